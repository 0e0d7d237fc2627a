-- id: job-not-running
-- title: Both web-jobs are running at capture time
-- severity: error
-- rule: rows
-- jobs: AppInsightsImporter, Office365ActivityImporter
-- guide: In the Azure Portal, under the App Service -> "web-jobs" blade you should see two web-jobs
--   "AppInsightsImporter" and "Office365ActivityImport". They should both say "running".
--   Offline: the Kudu status file of each instance (status_<instance>) or, without it, the job's
--   last "Status changed to ..." line. Only the two importers are judged: a customer's own job
--   beside them (a triggered one ends every run in Success or Failed) is listed as not judged.
--   A job log found outside data/jobs/continuous/<job>/ whose lines do not say which job wrote
--   it is judged as an unnamed job (it may be an importer's), unless its last status is a
--   triggered run's end (Success, Failed).
-- advice: A job that is not Running is not importing. PendingRestart means it just exited (see
--   job-restarts and the exceptions before it); Stopped or Disabling means someone stopped it or
--   the site was stopped; InactiveInstance is normal on the other instances of a singleton job.
--   For an unnamed job log, ask which job it is (its folder under data/jobs/continuous/).
WITH logs AS (
    -- only the status lines: the jobs come from all lines, grouped before naming them (a CTE
    -- of every line with all its columns was most of this check's time)
    SELECT timestamp, line_no, instance, source_file, message, coalesce(job, 'unnamed job (' || source_file || ')') AS jname
    FROM traces WHERE source = 'job-log' AND template = 'kudu-status'
), jobs AS (
    -- the jobs named, and the files of lines without one, each a DISTINCT of one column (of the
    -- (job, file) pairs of every line: ~20 against ~5 ms on the 200 MB bench log; a constant
    -- beside the job in the DISTINCT took ~17 ms)
    SELECT job, false AS unnamed FROM (SELECT DISTINCT job FROM traces WHERE source = 'job-log' AND job IS NOT NULL)
    UNION SELECT DISTINCT 'unnamed job (' || source_file || ')', true FROM traces WHERE source = 'job-log' AND job IS NULL
    UNION SELECT DISTINCT job, false FROM job_status WHERE job IS NOT NULL
), st AS (
    -- A status file tells the state when it was captured, with the logs beside it: the latest
    -- line of its bundle (the top archive it came from), or of all the logs for one read from
    -- a folder. Before that (--at in the past) it says nothing; the status lines up to --at do.
    -- sql/health.go reads job_status the same way.
    SELECT s.job, s.instance, s.status, s.source_file AS file, NULL::BIGINT AS line, NULL::TIMESTAMP AS timestamp, 'status file' AS src
    FROM job_status s JOIN files f USING (file_id)
    WHERE (SELECT "at" FROM kl_eval) >= coalesce(
        (SELECT max(l.last_ts) FROM files l WHERE l.kind IN ('kudu-log', 'app-log-csv', 'app-log-txt')
            AND split_part(l.path, '!', 1) = split_part(f.path, '!', 1)),
        (SELECT max(last_ts) FROM files), (SELECT "at" FROM kl_eval))
), lines AS (
    SELECT jname AS job, instance, arg_max(regexp_extract(message, '^Status changed to (\w+)', 1), (timestamp, line_no)) AS status,
           arg_max(source_file, (timestamp, line_no)) AS file, arg_max(line_no, (timestamp, line_no)) AS line, max(timestamp) AS timestamp,
           'last status line' AS src
    FROM logs WHERE timestamp <= (SELECT "at" FROM kl_eval)
    GROUP BY jname, instance
), st_job AS (
    -- per job, once: one aggregate each over st and lines, joined to the jobs, instead of ten
    -- correlated subqueries per job (planning them took ~40 ms of every diagnosis)
    SELECT job, list(instance || ': ' || status ORDER BY instance) AS states, bool_or(status = 'Running') AS running,
           first(file) FILTER (WHERE status <> 'Running') AS file
    FROM st GROUP BY job
), lines_job AS (
    SELECT job, list(instance || ': ' || status ORDER BY instance) AS states, bool_or(status = 'Running') AS running,
           bool_and(status IN ('Success', 'Failed')) AS run_ended,
           first(file) FILTER (WHERE status <> 'Running') AS file, first(line) FILTER (WHERE status <> 'Running') AS line,
           max(timestamp) AS timestamp
    FROM lines GROUP BY job
), per_job AS (
    SELECT j.job, j.unnamed,
        j.unnamed OR regexp_matches(lower(j.job), 'appinsightsimport|activityimport') AS importer,
        coalesce(s.states, l.states) AS states,
        coalesce(s.running, l.running) AS running,
        l.run_ended,
        s.job IS NOT NULL AS from_file,
        coalesce(s.file, l.file) AS file,
        l.line,
        l.timestamp
    FROM jobs j LEFT JOIN st_job s ON s.job = j.job LEFT JOIN lines_job l ON l.job = j.job
)
SELECT
    CASE WHEN NOT importer THEN 'skipped'
         WHEN states IS NULL THEN 'unknown'
         WHEN running THEN 'pass'
         WHEN unnamed AND run_ended THEN 'skipped'
         ELSE 'fail' END AS status,
    CASE WHEN NOT importer THEN job || ': not an importer job of the engine, not judged'
         WHEN unnamed AND NOT coalesce(running, false) AND run_ended THEN job || ': ' || array_to_string(states, ', ') ||
              ' (last status line: a triggered job''s run ended; not an importer, not judged)'
         ELSE job || ': ' || coalesce(array_to_string(states, ', '), 'no status known') ||
              CASE WHEN from_file THEN ' (status file)' ELSE ' (last status line)' END ||
              CASE WHEN unnamed THEN '; the log does not say which job wrote it' ELSE '' END
    END AS message,
    job, file, CASE WHEN from_file THEN 1 ELSE line END AS line, timestamp
FROM per_job
-- in job order: the detail lists the jobs, and a report must not change with the query plan
ORDER BY job
