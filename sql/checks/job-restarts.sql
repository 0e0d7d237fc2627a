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
    SELECT d.*, coalesce(d.job, 'unnamed job (' || d.source_file || ')') AS jname, (SELECT f.line_no FROM traces f
                 WHERE f.file_id = d.file_id AND f.template = 'kudu-exit-code' AND f.instance IS NOT DISTINCT FROM d.instance
                   AND f.line_no < d.line_no AND f.timestamp BETWEEN d.timestamp - INTERVAL 5 SECOND AND d.timestamp
                 ORDER BY f.line_no DESC LIMIT 1) AS exit_line
    FROM traces d
    WHERE d.template = 'kudu-process-down' AND d.is_system
)
-- the evidence is the exit-code line when the exit was a failure, else the "went down" line;
-- each job is judged on its own (grp)
SELECT d.timestamp, d.jname AS job, d.jname AS grp, d.source_file AS file, coalesce(d.exit_line, d.line_no) AS line,
       coalesce((SELECT f.message FROM traces f WHERE f.file_id = d.file_id AND f.line_no = d.exit_line) || ', then ', '') || d.message AS message
FROM down d
