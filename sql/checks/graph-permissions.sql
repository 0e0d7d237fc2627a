-- id: graph-permissions
-- title: Microsoft Graph or Activity API permission missing
-- severity: error
-- rule: any
-- jobs: Office365ActivityImporter
-- guide: "Permissions — Access denied errors" (Recommended: Setup Health Alerts)
-- advice: The app registration lacks an application permission (or its admin consent). The
--   message names it where the app knows: TeamsAppInstallation.ReadForUser.All,
--   Organization.Read.All, the Office 365 Management API (ActivityFeed.Read) for audit
--   subscriptions, or Graph "Authorization_RequestDenied". Grant it in Entra ID with admin
--   consent, then restart the web-job.
SELECT timestamp, job, source_file AS file, line_no AS line, message
FROM traces
WHERE (template IN ('teams-access-denied', 'user-apps-access-denied', 'user-import-skus-failed', 'subscription-create-failed')) IS TRUE
UNION ALL
-- the other lines that carry the denial: two scans filtered on one column each, not one OR of
-- two columns, which DuckDB tests after reading every column of every line (docs/checks.md,
-- "Fast checks")
SELECT timestamp, job, source_file, line_no, message
FROM traces
WHERE kl_signal(signals, 'graph-denied')
   -- the parser tags the rows of: contains(lower(message), 'authorization_requestdenied')
   -- OR contains(lower(message), 'insufficient privileges to complete the operation')
  AND (template IN ('teams-access-denied', 'user-apps-access-denied', 'user-import-skus-failed', 'subscription-create-failed')) IS NOT TRUE
