-- id: call-webhook-subscription
-- title: Call-records webhook subscription is verified
-- severity: warning
-- rule: rows
-- jobs: Office365ActivityImporter
-- guide: traces | where operation_Name == "Office365ActivityImporter" and (message contains "Verifying call webhook subscription"
--   or message contains "Updated subscription" or message contains "Created subscription")
-- advice: With call import enabled, every Office365ActivityImporter cycle starts by verifying the
--   Graph call-records webhook subscription. If it never does, the job is not reaching its cycle
--   (see its restarts and start-up errors); if it verifies but never updates or creates the
--   subscription, look for "Couldn't create webhook" and permission errors. Behind private
--   endpoints Graph cannot reach the webhook: disable call import (Calls=False).
WITH m AS (
    -- the lines the aggregate below reads, filtered in the scan (an aggregate over every line
    -- read its columns for all of them: 45 against 13 ms on the 200 MB bench log)
    SELECT timestamp, template, operation_Name, source_file, file_id, line_no FROM traces
    WHERE (template IN ('calls-skipped', 'webhook-verify', 'webhook-subscription-updated', 'webhook-subscription-created',
                        'graph-import-start')) IS TRUE
), j AS (
    SELECT
        max(timestamp) FILTER (WHERE template = 'calls-skipped') AS skipped_at,
        max(timestamp) FILTER (WHERE template = 'webhook-verify') AS verified_at,
        max(timestamp) FILTER (WHERE template IN ('webhook-subscription-updated', 'webhook-subscription-created')) AS subscribed_at,
        -- cycle starts: "Starting Teams & Graph import." follows the verification (or the skip
        -- line) at the start of every cycle; a log that starts mid-cycle shows the cycle's end only
        count(*) FILTER (WHERE template = 'graph-import-start' AND operation_Name = 'Office365ActivityImporter') AS cycles,
        -- the last verification line (aggregates, not ORDER BY ... LIMIT 1 subqueries, which
        -- Spark cannot decorrelate: the check is emitted for Spark too)
        arg_max(source_file, (timestamp, file_id, line_no)) FILTER (WHERE template = 'webhook-verify') AS verified_file,
        arg_max(line_no, (timestamp, file_id, line_no)) FILTER (WHERE template = 'webhook-verify') AS verified_line
    -- one row also where none of those lines is (a lake's site without them keeps its row)
    FROM (SELECT 1 AS one) o LEFT JOIN m ON true
), l AS (
    -- whether the job printed anything: EXISTS stops at the first such line (counting them
    -- all read two columns of every line, ~7 ms on the 200 MB bench log); lines is 0 or 1
    SELECT CASE WHEN EXISTS (SELECT 1 FROM traces WHERE operation_Name = 'Office365ActivityImporter' AND NOT is_system)
           THEN 1 ELSE 0 END AS lines
)
SELECT
    CASE
        WHEN skipped_at IS NOT NULL AND (verified_at IS NULL OR skipped_at > verified_at) THEN 'skipped'
        WHEN verified_at IS NOT NULL AND subscribed_at IS NOT NULL THEN 'pass'
        WHEN verified_at IS NOT NULL THEN 'fail'
        WHEN cycles > 0 THEN 'fail'
        ELSE 'unknown'
    END AS status,
    CASE
        WHEN skipped_at IS NOT NULL AND (verified_at IS NULL OR skipped_at > verified_at) THEN 'call import is disabled (Calls=False: "Skipping Call Queue import & webhook validation.")'
        WHEN verified_at IS NOT NULL AND subscribed_at IS NOT NULL THEN 'subscription verified, last updated or created at ' || strftime(subscribed_at, '%Y-%m-%dT%H:%M:%SZ')
        WHEN verified_at IS NOT NULL THEN 'the job verifies the subscription but never updates or creates it (last verification ' || strftime(verified_at, '%Y-%m-%dT%H:%M:%SZ') || ')'
        WHEN cycles > 0 THEN 'the job runs import cycles but never verifies the call webhook subscription'
        WHEN lines = 0 THEN 'no Office365ActivityImporter output in the logs'
        ELSE 'the start of no Office365ActivityImporter cycle is visible in the logs'
    END AS message,
    coalesce(verified_at, skipped_at) AS timestamp,
    'Office365ActivityImporter' AS job,
    verified_file AS file,
    verified_line AS line
FROM j, l
