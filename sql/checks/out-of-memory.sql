-- id: out-of-memory
-- title: Web-job runs out of memory
-- severity: error
-- rule: any
-- jobs: AppInsightsImporter, Office365ActivityImporter
-- guide: "Check on the app-service-plan free memory especially. If there is a lot of data the
--   import processes can crash from running out of memory."
-- advice: The import ran out of memory. Scale the App Service plan up (temporarily to a much
--   larger SKU to confirm), and check the plan's memory percentage in the portal; lowering
--   ChunkSize reduces the memory an import cycle needs.
WITH tagged AS MATERIALIZED (
    -- the lines the parser tagged, filtered in the scan; materialized, so that the tests below
    -- read these lines only (in one WHERE with them, DuckDB read the message of every line:
    -- docs/checks.md, "Fast checks"). The parser tags messages holding 'outofmemoryexception',
    -- 'insufficient memory' or 'insufficient system memory' (lower-cased).
    SELECT timestamp, job, source_file, file_id, line_no, message FROM traces WHERE kl_signal(signals, 'out-of-memory')
)
SELECT timestamp, job, source_file AS file, line_no AS line, coalesce(outerType || ': ', '') || coalesce(outerMessage, '') AS message
FROM exceptions
WHERE (outerType = 'System.OutOfMemoryException' OR innermostType = 'System.OutOfMemoryException')
  -- SQL Server's own memory errors (701 "There is insufficient system memory in resource pool
  -- 'default' to run this query.", 802 "There is insufficient memory available in the buffer
  -- pool.") come inside "Got SQL error: ..." lines: the database ran out, not the web-job.
  AND NOT regexp_matches(coalesce(details, ''), 'insufficient (system )?memory (available )?in (the )?(resource|buffer) pool', 'i')
UNION ALL
SELECT t.timestamp, t.job, t.source_file, t.line_no, t.message
FROM tagged t
WHERE NOT regexp_matches(t.message, 'insufficient (system )?memory (available )?in (the )?(resource|buffer) pool', 'i')
  AND NOT EXISTS (SELECT 1 FROM exceptions x WHERE x.file_id = t.file_id AND x.line_no <= t.line_no
                  AND t.line_no < x.line_no + x.line_count
                  AND (x.outerType = 'System.OutOfMemoryException' OR x.innermostType = 'System.OutOfMemoryException'))
