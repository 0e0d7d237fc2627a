-- id: ef-model-changed
-- title: Database schema does not match the web-job binaries
-- severity: error
-- rule: any
-- jobs: AppInsightsImporter, Office365ActivityImporter
-- guide: The model backing the 'SPOInsightsEntitiesContext' context has changed since the database was created.
--   (current builds name the context 'AnalyticsEntitiesContext'; any context name matches)
-- advice: The web-jobs are newer than the database schema (an update without the schema
--   upgrade). Run the installer of the same build with the option that upgrades the database
--   schema (or "force schema update" if you are sure of the build), then restart the web-jobs.
WITH tagged AS MATERIALIZED (
    -- the lines the parser tagged (contains(message, 'The model backing the ''')), filtered in
    -- the scan; materialized, so that the tests below read these lines only (in one WHERE with
    -- them, DuckDB read the message of every line: docs/checks.md, "Fast checks")
    SELECT timestamp, job, source_file, file_id, line_no, message FROM traces WHERE kl_signal(signals, 'ef-model')
)
SELECT timestamp, job, source_file AS file, line_no AS line,
       coalesce(outerType || ': ', '') || coalesce(outerMessage, details) AS message
FROM exceptions
WHERE (contains(outerMessage, 'The model backing the ''') AND regexp_matches(outerMessage, 'The model backing the ''[^'']+'' context has changed since the database was created'))
   OR (contains(innermostMessage, 'The model backing the ''') AND regexp_matches(innermostMessage, 'The model backing the ''[^'']+'' context has changed since the database was created'))
UNION ALL
-- a message line whose crash block was not recognised (e.g. cut by the console cap)
SELECT t.timestamp, t.job, t.source_file, t.line_no, t.message
FROM tagged t
WHERE regexp_matches(t.message, 'The model backing the ''[^'']+'' context has changed since the database was created')
  AND NOT EXISTS (SELECT 1 FROM exceptions x WHERE x.file_id = t.file_id AND x.line_no <= t.line_no
                  AND t.line_no < x.line_no + x.line_count)
