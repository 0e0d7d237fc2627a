-- id: console-output-capped
-- title: Kudu stopped recording console output (200-line cap) with no application log to fill in
-- severity: info
-- rule: rows
-- jobs: AppInsightsImporter, Office365ActivityImporter
-- guide: (not in the guide) Kudu keeps only the first 200 console lines of each process run in
--   job_log.txt, then writes "Reached maximum allowed output lines for this run, to see all of the
--   job's logs you can enable App Service Logs option in the Portal." (docs/formats.md §4.2)
-- advice: After the cap, job_log.txt holds nothing of that run's output: errors, finished imports
--   and cycles of those hours cannot be seen, and checks that need them say "unknown". Enable App
--   Service Logs (Application Logging, Blob is best: it keeps every line) and include the
--   application log in the next bundle.
SELECT
    CASE WHEN covered THEN 'pass' ELSE 'fail' END AS status,
    job || ' (' || instance || '): console capped from ' || strftime(start, '%Y-%m-%dT%H:%M:%SZ') || ' to ' ||
        strftime("end", '%Y-%m-%dT%H:%M:%SZ') ||
        CASE WHEN covered THEN ', covered by the application log' ELSE ', not covered by any application log' END AS message,
    start AS timestamp, job, file, line
FROM kl_capped
ORDER BY start
