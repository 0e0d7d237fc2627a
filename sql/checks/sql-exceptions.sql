-- id: sql-exceptions
-- title: Persistent SQL errors
-- severity: error
-- rule: more-than 10 in 1h
-- jobs: AppInsightsImporter, Office365ActivityImporter
-- guide: exceptions | where outerType == "System.Data.SqlClient.SqlException"
--   Alert rule "Issue writing data in SQL": time period 1 hour, trigger count > 10.
--   Offline, the type is inferred from SQL Server's own error texts (exceptions.inferred_by).
-- advice: SQL Server errors keep coming. Read the messages in the evidence: login failures mean
--   a changed password or firewall rule; timeouts and deadlocks mean an undersized database
--   (check DTU percentage and scale up); "Deny Public Network Access" means the private endpoint
--   DNS is not used.
SELECT timestamp, job, source_file AS file, line_no AS line,
       CASE WHEN origin = 'handled' THEN details ELSE coalesce(outerType || ': ', '') || coalesce(outerMessage, '') END AS message
FROM exceptions
WHERE outerType = 'System.Data.SqlClient.SqlException'
