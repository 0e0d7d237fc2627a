-- id: job-not-running
-- title: Both web-jobs are running at capture time
-- severity: error
-- rule: rows
-- jobs: AppInsightsImporter, Office365ActivityImporter
-- guide: In the Azure Portal, under the App Service -> "web-jobs" blade you should see two web-jobs
--   "AppInsightsImporter" and "Office365ActivityImport". They should both say "running".
--   Offline: the Kudu status file of each instance (status_<instance>) or, without it, the job's
--   last "Status changed to ..." line.
-- advice: A job that is not Running is not importing. PendingRestart means it just exited (see
--   job-restarts and the exceptions before it); Stopped or Disabling means someone stopped it or
--   the site was stopped; InactiveInstance is normal on the other instances of a singleton job.
WITH jobs AS (
    SELECT DISTINCT job FROM traces WHERE source = 'job-log' AND job IS NOT NULL
    UNION SELECT DISTINCT job FROM job_status WHERE job IS NOT NULL
), st AS (
    SELECT job, instance, status, source_file AS file, NULL::BIGINT AS line, NULL::TIMESTAMP AS timestamp, 'status file' AS src
    FROM job_status
), lines AS (
    SELECT job, instance, arg_max(regexp_extract(message, '^Status changed to (\w+)', 1), (timestamp, line_no)) AS status,
           arg_max(source_file, (timestamp, line_no)) AS file, arg_max(line_no, (timestamp, line_no)) AS line, max(timestamp) AS timestamp,
           'last status line' AS src
    FROM traces WHERE template = 'kudu-status' AND job IS NOT NULL AND timestamp <= (SELECT "at" FROM kl_eval)
    GROUP BY job, instance
), per_job AS (
    SELECT j.job,
        coalesce((SELECT list(s.instance || ': ' || s.status ORDER BY s.instance) FROM st s WHERE s.job = j.job),
                 (SELECT list(l.instance || ': ' || l.status ORDER BY l.instance) FROM lines l WHERE l.job = j.job)) AS states,
        coalesce((SELECT bool_or(s.status = 'Running') FROM st s WHERE s.job = j.job),
                 (SELECT bool_or(l.status = 'Running') FROM lines l WHERE l.job = j.job)) AS running,
        (SELECT first(src) FROM st s WHERE s.job = j.job) IS NOT NULL AS from_file,
        coalesce((SELECT first(s.file) FROM st s WHERE s.job = j.job AND s.status <> 'Running'),
                 (SELECT first(l.file) FROM lines l WHERE l.job = j.job AND l.status <> 'Running')) AS file,
        (SELECT first(l.line) FROM lines l WHERE l.job = j.job AND l.status <> 'Running') AS line,
        (SELECT max(l.timestamp) FROM lines l WHERE l.job = j.job) AS timestamp
    FROM jobs j
)
SELECT
    CASE WHEN states IS NULL THEN 'unknown' WHEN running THEN 'pass' ELSE 'fail' END AS status,
    job || ': ' || coalesce(array_to_string(states, ', '), 'no status known') ||
        CASE WHEN from_file THEN ' (status file)' ELSE ' (last status line)' END AS message,
    job, file, CASE WHEN from_file THEN 1 ELSE line END AS line, timestamp
FROM per_job
