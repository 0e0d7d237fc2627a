-- id: config-errors
-- title: Configuration errors at start-up
-- severity: error
-- rule: any
-- jobs: AppInsightsImporter, Office365ActivityImporter
-- guide: "Both web-jobs print their configured values at start-up, so verify these settings if there are any errors."
-- advice: The job found its configuration unusable and stopped or gave up. The message says which
--   setting: App Service configuration values of the wrong type, no workloads in
--   ContentTypesListAsString, no App Insights API key, or a SQL connection that fails. Fix the
--   setting (or run the installer again to reset it) and restart the web-job.
SELECT timestamp, job, source_file AS file, line_no AS line, message
FROM traces
-- "(template IN (...)) IS TRUE" is filtered in DuckDB's scan; a bare IN list of templates
-- is planned as a join, which reads every column of every row (docs/checks.md, "Fast checks")
WHERE (template IN ('config-convert-error', 'workloads-missing', 'appinsights-api-key-missing',
                   'sql-connect-fatal', 'check-settings-restart', 'sql-error-startup')) IS TRUE
