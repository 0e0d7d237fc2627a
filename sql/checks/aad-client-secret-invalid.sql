-- id: aad-client-secret-invalid
-- title: Azure AD app client secret is invalid or expired
-- severity: error
-- rule: more-than 2 in 10m
-- jobs: Office365ActivityImporter
-- guide: exceptions | where innermostMessage contains "Invalid client secret is provided"
--   Alert rule "AAD App secret expiration": time period 10 minutes, trigger count > 2.
--   Azure AD now words it "AADSTS7000215: Invalid client secret provided. ..." and an expired
--   secret is AADSTS7000222, so the codes are matched too.
-- advice: The app registration's client secret is wrong or has expired, so every Graph and
--   Activity API call fails. Create a new client secret for the app registration in Entra ID,
--   put its value (not its ID) in the App Service setting ClientSecret (or switch to certificate
--   authentication), and restart the web-jobs.
SELECT timestamp, job, source_file AS file, line_no AS line,
       CASE WHEN origin = 'handled' THEN details ELSE coalesce(outerType || ': ', '') || coalesce(outerMessage, '') END AS message
FROM exceptions
WHERE contains(lower(innermostMessage), 'invalid client secret is provided')
   OR contains(lower(innermostMessage), 'invalid client secret provided')
   OR contains(lower(innermostMessage), 'aadsts7000215')
   OR contains(lower(innermostMessage), 'aadsts7000222')
