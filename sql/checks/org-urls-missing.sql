-- id: org-urls-missing
-- title: Org URLs are configured for the activity import
-- severity: error
-- rule: any
-- jobs: Office365ActivityImporter
-- guide: "Office365ActivityImporter" Web-Job Restarts — also seen in logs: "FATAL ERROR: No org URLs found in database!".
--   "Make sure there is at least one record in the orgs_urls table."
-- advice: The org_urls table is empty, so the audit import stops (older builds restart the job).
--   Add at least one SharePoint site URL to the org_urls table (the installer does this for the
--   URLs it was given), then restart the web-job.
SELECT timestamp, job, source_file AS file, line_no AS line, message
FROM traces
-- the parser tags the rows of: message LIKE 'FATAL ERROR: No org URLs found in database!%'
WHERE kl_signal(signals, 'org-urls-missing')
