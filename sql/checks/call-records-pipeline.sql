-- id: call-records-pipeline
-- title: Call records flow from the webhook through Service Bus into SQL
-- severity: warning
-- rule: rows
-- jobs: Office365ActivityImporter
-- guide: traces | where message contains "ServiceBus"
--   (with traces | where operation_Name == "CallRecordWebhookController", which only App
--   Insights has: the webhook runs in the web app, not in a web-job)
--   "This data will tell you where in the chain the call records are failing."
-- advice: The chain is: Graph subscription -> webhook (web app) -> Service Bus queue -> this job
--   reads the queue -> call record saved in SQL. The result names the last step seen. No
--   messages at all while listening usually means Graph does not call the webhook (no calls yet,
--   subscription missing, or the web app unreachable from Graph); errors on the queue mean
--   Service Bus access or message problems (check the connection string and the queue).
WITH m AS (
    -- the lines of the chain: DuckDB filters them in the scan, and the aggregate below tests
    -- its conditions on those only (on the 200 MB bench log, 60 -> 25 ms)
    SELECT timestamp, template FROM traces
    -- "(template IN (...)) IS TRUE" is filtered in DuckDB's scan; a bare IN list of templates
    -- is planned as a join, which reads every column of every row (docs/checks.md, "Fast checks")
    WHERE (template IN ('calls-skipped', 'webhook-verify', 'webhook-subscription-updated', 'webhook-subscription-created',
                       'servicebus-listening', 'servicebus-message-received', 'servicebus-message-completed', 'servicebus-call-added',
                       'servicebus-not-listening', 'servicebus-processor-exception', 'servicebus-message-abandoned',
                       'servicebus-deserialise-error', 'servicebus-processing-error', 'servicebus-complete-failed', 'servicebus-no-call-id')) IS TRUE
), s AS (
    SELECT
        max(timestamp) FILTER (WHERE template = 'calls-skipped') AS skipped_at,
        max(timestamp) FILTER (WHERE template = 'webhook-verify') AS verified_at,
        count(*) FILTER (WHERE template IN ('webhook-subscription-updated', 'webhook-subscription-created')) AS subscribed,
        count(*) FILTER (WHERE template = 'servicebus-listening') AS listening,
        count(*) FILTER (WHERE template = 'servicebus-message-received') AS received,
        count(*) FILTER (WHERE template IN ('servicebus-message-completed', 'servicebus-call-added')) AS saved,
        count(*) FILTER (WHERE template IN ('servicebus-not-listening', 'servicebus-processor-exception', 'servicebus-message-abandoned',
                                            'servicebus-deserialise-error', 'servicebus-processing-error', 'servicebus-complete-failed',
                                            'servicebus-no-call-id')) AS errors,
        max(timestamp) FILTER (WHERE template IN ('servicebus-not-listening', 'servicebus-processor-exception', 'servicebus-message-abandoned',
                                            'servicebus-deserialise-error', 'servicebus-processing-error', 'servicebus-complete-failed',
                                            'servicebus-no-call-id')) AS last_error_at
    -- one row also where none of those lines is (a lake's site without them keeps its row)
    FROM (SELECT 1 AS one) o LEFT JOIN m ON true
), e AS (
    SELECT timestamp, source_file, line_no, message FROM traces
    WHERE (template IN ('servicebus-not-listening', 'servicebus-processor-exception', 'servicebus-message-abandoned',
                       'servicebus-deserialise-error', 'servicebus-processing-error', 'servicebus-complete-failed', 'servicebus-no-call-id')) IS TRUE
    ORDER BY timestamp DESC LIMIT 1
)
SELECT
    CASE
        WHEN skipped_at IS NOT NULL AND (verified_at IS NULL OR skipped_at > verified_at) THEN 'skipped'
        WHEN errors > 0 THEN 'fail'
        WHEN saved > 0 THEN 'pass'
        ELSE 'unknown'
    END AS status,
    CASE
        WHEN skipped_at IS NOT NULL AND (verified_at IS NULL OR skipped_at > verified_at) THEN 'call import is disabled (Calls=False)'
        WHEN errors > 0 THEN format('the chain breaks at Service Bus: {} error line(s), the last: {}', errors, (SELECT message FROM e))
        WHEN saved > 0 THEN format('{} call record(s) read from Service Bus and saved', saved)
        WHEN received > 0 THEN format('{} Service Bus message(s) received but none reported saved', received)
        WHEN listening > 0 THEN 'listening on Service Bus, but no message received: Graph has not called the webhook in the span of the logs (App Insights traces of CallRecordWebhookController would tell why)'
        WHEN subscribed > 0 THEN 'the webhook subscription is in place, but the logs show no Service Bus activity'
        ELSE 'the logs show nothing of the call-records chain'
    END AS message,
    (SELECT timestamp FROM e) AS timestamp,
    'Office365ActivityImporter' AS job,
    (SELECT source_file FROM e) AS file,
    (SELECT line_no FROM e) AS line
FROM s
