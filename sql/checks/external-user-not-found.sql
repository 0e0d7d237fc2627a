-- id: external-user-not-found
-- title: External users not found in Azure AD (benign)
-- severity: info
-- rule: any
-- jobs: Office365ActivityImporter
-- guide: "if audit data is loaded for external users then those users won't be found when the
--   web-job tries to load the user from your Azure AD and a "not found" exception will be logged."
-- advice: These are expected: audit events of guest or external users name users that are not
--   in your directory. Nothing to do unless internal users show up here too.
SELECT timestamp, job, source_file AS file, line_no AS line, message
FROM traces
-- the parser tags the rows whose message (lower-cased) contains '#ext#' or 'external user' and
-- 'not found', 'does not exist' or 'request_resourcenotfound' (sql/signals.go)
WHERE kl_signal(signals, 'external-user-not-found')
