-- id: appinsights-logging-disabled
-- title: Web-jobs log to Application Insights
-- severity: warning
-- rule: any
-- jobs: AppInsightsImporter, Office365ActivityImporter
-- guide: "If you see no data in Application Insights for any of the importer web-jobs ... you need to
--   check the app-service logs to figure out why."
--   The logger prints "WARNING: No AppInsights connection string provided. AppInsights logging disabled."
-- advice: The jobs have no Application Insights connection string, so none of the guide's App
--   Insights queries and alerts see anything. Set AppInsightsConnectionString in the App Service
--   configuration (the installer writes it) and restart the web-jobs; meanwhile kudulens on the
--   job and application logs is the only monitoring.
SELECT timestamp, job, source_file AS file, line_no AS line, message
FROM traces
WHERE template = 'appinsights-disabled'
