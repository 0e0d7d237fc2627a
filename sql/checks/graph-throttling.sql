-- id: graph-throttling
-- title: Throttling exhausted its retries
-- severity: warning
-- rule: any
-- jobs: AppInsightsImporter, Office365ActivityImporter
-- guide: (not in the guide) AutoThrottleHttpClient retries throttled calls and gives up with
--   "Throttle error. Maximum retry attempts N has been attempted for URL." (docs/formats.md §3.4 #82)
-- advice: Microsoft Graph or the Activity API kept throttling after every retry, so that data was
--   skipped this cycle. Occasional throttling is normal; if it persists, reduce the job's
--   parallelism (ChunkSize) or spread the import (DaysBeforeNowToDownload).
SELECT timestamp, job, source_file AS file, line_no AS line, message
FROM traces
WHERE template = 'throttle-exhausted'
