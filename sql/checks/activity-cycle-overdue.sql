-- id: activity-cycle-overdue
-- title: Office365ActivityImporter completes a cycle at least once a day
-- severity: error
-- rule: at-least-one-per 24h
-- jobs: Office365ActivityImporter
-- guide: traces | where operation_Name == "Office365ActivityImporter" and message == "Waiting 2 mins..."
--   "Important: this cycle/message should be no longer than once every 24 hours."
--   Current builds print "Waiting 10 mins..." (docs/formats.md §2.3), so any "Waiting N mins..." counts.
--   Covered wherever the job is alive (no covered-by): a cycle is the job's own work, so a job
--   alive that never ends one (stuck, or crashing before) is what this check reports.
-- advice: The importer has not reached the end of an import cycle for a day: the backlog grows
--   faster than it imports, or it is stuck or crashing. Check the job's restarts and errors; if it
--   is only slow, upscale the database and the App Service plan (guide section 2.4.4).
SELECT timestamp, job, source_file AS file, line_no AS line, message
FROM traces
WHERE operation_Name = 'Office365ActivityImporter'
  -- the parser tags the rows of: regexp_matches(message, '^Waiting \d+ mins\.\.\.$')
  AND kl_signal(signals, 'waiting-mins')
