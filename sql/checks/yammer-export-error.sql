-- id: yammer-export-error
-- title: Yammer export requests fail
-- severity: error
-- rule: more-than 2 in 10m
-- jobs: Office365ActivityImporter
-- guide: traces | where message contains "Error requesting Yammer export"
--   Alert rule "Yammer access issue": time period 10, trigger count > 2.
--   This text is in the guide but in no public build (log-formats.md §3.8); older builds print it.
-- advice: The Yammer authorisation code is invalid (expired or revoked). Authorise Yammer again
--   with the service account from the solution's website.
SELECT timestamp, job, source_file AS file, line_no AS line, message
FROM traces
WHERE message ILIKE '%Error requesting Yammer export%'
