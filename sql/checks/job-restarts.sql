-- id: job-restarts
-- title: Web-job restarts or crash-loops
-- severity: error
-- rule: more-than 2 in 1h
-- jobs: AppInsightsImporter, Office365ActivityImporter
-- guide: "Verify web-jobs are running: Both web-jobs should be in the "running" state, without restarts."
--   Kudu's own lines (never in App Insights): "Process went down, waiting for N seconds" after
--   every exit, with "Job failed due to exit code N" before it when the exit was a failure
--   (-532462766 = unhandled .NET exception, -1 = the app gave up on its configuration).
--   Judged per job: more than 2 exits of one job within an hour. A job log outside its job
--   folder whose lines do not name the job is judged on its own, as an unnamed job.
-- advice: The job keeps exiting and Kudu keeps restarting it. The lines just before each exit
--   say why: an unhandled exception (see the exceptions of the same minute), a configuration
--   error, or the database. A continuous job should never exit.
WITH down AS (
    SELECT timestamp, source_file, file_id, line_no, instance, message, coalesce(job, 'unnamed job (' || source_file || ')') AS jname
    FROM traces
    WHERE template = 'kudu-process-down' AND is_system
), exits AS (
    SELECT file_id, instance, line_no, timestamp, message FROM traces WHERE template = 'kudu-exit-code'
), paired AS (
    -- the exit-code line just before each process-down line (same file and instance, within
    -- 5 seconds): a join of the two small sets, not a correlated subquery per row
    SELECT d.file_id, d.line_no, max(e.line_no) AS exit_line, arg_max(e.message, e.line_no) AS exit_message
    FROM down d JOIN exits e ON e.file_id = d.file_id AND e.instance IS NOT DISTINCT FROM d.instance
        AND e.line_no < d.line_no AND e.timestamp BETWEEN d.timestamp - INTERVAL 5 SECOND AND d.timestamp
    GROUP BY d.file_id, d.line_no
)
SELECT d.timestamp, d.jname AS job, d.jname AS grp, d.source_file AS file, coalesce(p.exit_line, d.line_no) AS line,
       coalesce(p.exit_message || ', then ', '') || d.message AS message
FROM down d LEFT JOIN paired p USING (file_id, line_no)
