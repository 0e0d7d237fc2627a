-- id: sql-database-read-only
-- title: SQL database is read-only
-- severity: error
-- rule: more-than 2 in 10m
-- jobs: AppInsightsImporter, Office365ActivityImporter
-- guide: exceptions | where outerMessage contains "because the database is read-only"
--   Alert rule "Issue writing data in SQL": time period 10 minutes, trigger count > 2.
-- advice: SQL Server refuses writes because the database is read-only (error 3906): usually an
--   Azure SQL database that reached its maximum size, a failover group secondary, or a restore
--   left read-only. Check the database's size and service tier in the portal, free space or
--   scale up, then confirm the importers save again.
SELECT timestamp, job, source_file AS file, line_no AS line,
       CASE WHEN origin = 'handled' THEN details ELSE coalesce(outerType || ': ', '') || coalesce(outerMessage, '') END AS message
FROM exceptions
WHERE contains(lower(outerMessage), 'because the database is read-only')
