-- id: yammer-auth-code-missing
-- title: No Yammer auth code
-- severity: error
-- rule: more-than 2 in 10m
-- jobs: Office365ActivityImporter
-- guide: traces | where message contains "No auth code found for Yammer"
--   Alert rule "Yammer access issue": time period 10 minutes, trigger count > 2.
--   This text is in the guide but in no public build (log-formats.md §3.8); older builds print it.
-- advice: There is no Yammer authorisation code in Redis for the service account. Sign in to the
--   solution's website with the Yammer service account and authorise Yammer again.
SELECT timestamp, job, source_file AS file, line_no AS line, message
FROM traces
WHERE message ILIKE '%No auth code found for Yammer%'
