-- id: sql-public-access-denied
-- title: SQL Server refuses public access (private endpoint not used)
-- severity: error
-- rule: any
-- jobs: AppInsightsImporter, Office365ActivityImporter
-- guide: SqlException: Reason: An instance-specific error occurred while establishing a connection to SQL Server.
--   Connection was denied since Deny Public Network Access is set to Yes. To connect to this server,
--   use the Private Endpoint from inside your virtual network.
-- advice: The SQL server only accepts private-endpoint connections, but the web-jobs reach it by
--   its public DNS name. Integrate the App Service with the VNet and change the SQL connection
--   string to the private endpoint's name (privatelink DNS zone), as the guide's private
--   endpoint section describes; then restart the web-jobs.
SELECT timestamp, job, source_file AS file, line_no AS line, message
FROM traces
-- the parser tags the rows of: contains(lower(message), 'deny public network access is set to yes')
WHERE kl_signal(signals, 'public-access-denied')
