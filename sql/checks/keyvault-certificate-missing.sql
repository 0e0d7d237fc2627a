-- id: keyvault-certificate-missing
-- title: Authentication certificate not found in Key Vault
-- severity: error
-- rule: any
-- jobs: AppInsightsImporter, Office365ActivityImporter
-- guide: "Recommended: Verify Web-Job Logs ... Here we see that the operation has failed because
--   there's no certificate in the key vault." (Got exception on DownloadActivityData: A certificate
--   with (name/id) O365AdvancedAnalytics was not found in this key vault.)
-- advice: With UseClientCertificate=true the jobs read the certificate "O365AdvancedAnalytics"
--   from Key Vault. Create or import it there under exactly that name, give the App Service
--   identity get rights on certificates and secrets, and set WEBSITE_LOAD_USER_PROFILE=1.
SELECT timestamp, job, source_file AS file, line_no AS line, message
FROM traces
WHERE template = 'keyvault-cert-missing'
UNION ALL
-- the other lines that say it (two scans filtered on one column each: docs/checks.md, "Fast checks")
SELECT timestamp, job, source_file, line_no, message
FROM traces
WHERE kl_signal(signals, 'keyvault-not-found')
   -- the parser tags the rows of: contains(lower(message), 'was not found in this key vault')
  AND (template = 'keyvault-cert-missing') IS NOT TRUE
