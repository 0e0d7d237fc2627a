-- id: activity-import-finished
-- title: Activity API import finishes at least once a day
-- severity: error
-- rule: at-least-one-per 24h
-- jobs: Office365ActivityImporter
-- guide: traces | where message contains "Finished activity import"
--   Alert rule "No recent data from Activity API": time period 24 hours (1440 minutes), trigger count 0.
--   Covered wherever the job is alive (no covered-by): the job imports the audit data itself, so a
--   job alive but stuck before its activity import (configuration error, crash loop) leaves the
--   data unimported, which is what this check says; the checks beside it name the cause.
-- advice: The Office365ActivityImporter has not finished an audit-log import for a day, so the
--   activity data is getting stale. Look at the errors printed in its cycles (exceptions on
--   DownloadActivityData, SQL or Azure AD errors) and at the checks failing beside this one. If
--   cycles are merely slow, upscale the database and the App Service plan (guide: "this
--   cycle/message should be no longer than once every 24 hours").
WITH state AS (
    -- ImportJobSettings ActivityLog=False prints "Skipping Activity API import." every cycle.
    SELECT arg_max(template, (timestamp, file_id, line_no)) AS last
    -- "(template IN (...)) IS TRUE" is filtered in DuckDB's scan; a bare IN list of templates
    -- is planned as a join, which reads every column of every row (docs/checks.md, "Fast checks")
    FROM traces WHERE (template IN ('activity-skipped', 'activity-import-start', 'activity-import-finished')) IS TRUE
)
SELECT timestamp, job, source_file AS file, line_no AS line, message, NULL AS skip_reason
FROM traces
-- the parser tags the rows of: contains(lower(message), 'finished activity import')
WHERE kl_signal(signals, 'activity-import-finished')
UNION ALL
SELECT NULL, 'Office365ActivityImporter', NULL, NULL, NULL,
       'ActivityLog is disabled in ImportJobSettings (the job prints "Skipping Activity API import.")'
FROM state WHERE last = 'activity-skipped'
