-- id: call-webhook-create-failed
-- title: Call-records webhook cannot be created
-- severity: error
-- rule: any
-- jobs: Office365ActivityImporter
-- guide: traces | where operation_Name == "Office365ActivityImporter" and message contains "Couldn't create webhook"
-- advice: Graph refused to create the call-records subscription. The message says why: the
--   webhook URL must be reachable from the internet over HTTPS (not behind a private endpoint)
--   and answer Graph's validation POST (test it from the solution website), and the app needs
--   the CallRecords.Read.All application permission with admin consent.
SELECT timestamp, job, source_file AS file, line_no AS line, message
FROM traces
-- the parser tags the rows of: contains(lower(message), 'couldn''t create webhook')
WHERE kl_signal(signals, 'webhook-create-failed')
