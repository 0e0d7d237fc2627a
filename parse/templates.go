package parse

// The message templates of the Analytics Engine's code and of Kudu (docs/formats.md §3, §4.3).
// Text is the console text with "{}" for each interpolation hole; a template matches a message
// when its literal parts occur in order, the first at the start and the last at the end (unless
// the text starts or ends with a hole). Templates are matched against the message after the
// app's time prefix is stripped. Messages that began with "\n" print as two console lines, so
// such templates are listed without the newline.
//
// Sev is the App Insights severityLevel the code logs the message with (0 Verbose … 4
// Critical); sevNone marks text that never becomes an App Insights trace (raw Console.WriteLine,
// event echoes, Kudu's own lines). Job is the program that prints it; NoJob means both
// importers (or Kudu, which the file's folder attributes).
//
// IDs are stable: checks and user queries refer to them (traces.template).
const sevNone = NullSeverity

type templateDef struct {
	ID   string
	Text string
	Job  Job
	Sev  int8
}

const (
	ai  = AppInsightsImporter
	act = Office365ActivityImporter
	wh  = CallRecordWebhookController
)

// Special template IDs whose text needs more than literal matching.
const (
	TemplateSectionTimer = "section-timer" // "<Section>: H hours, M mins, and S seconds."
	TemplateEvent        = "event"         // "New event '<Name>'; '<k>=<v>;...'."
	TemplateCrashHeader  = "crash-header"  // "Unhandled Exception: <Type>: <message>"
)

var templateDefs = []templateDef{
	// §3.1 start-up and configuration (both jobs)
	{"appinsights-disabled", "WARNING: No AppInsights connection string provided. AppInsights logging disabled.", NoJob, sevNone},
	{"engine-start", "Office 365 Advanced Analytics engine START: '{}'.", NoJob, 1},
	{"sql-destination", "Destination SQL Server='{}", NoJob, 1},
	{"import-logging-enabled", "Import logging is ENABLED.", NoJob, 1},
	{"import-logging-disabled", "Import logging is disabled.{}", NoJob, 1},
	{"sql-test-hits", "Testing SQL config...", ai, 1},
	{"sql-test-hits-passed", "Found {} hits in table already. Test passed!", ai, 1},
	{"sql-connect-fatal", "Fatal error connecting to configured SQL:{}", NoJob, 1},
	{"sql-check-config", "Check your SQL configuration in the .config file / App Service settings.", NoJob, sevNone},
	{"wait-mins", "Waiting {} mins...", NoJob, 1},
	{TemplateSectionTimer, "{}: {} hours, {} mins, and {} seconds.", NoJob, 1},
	{TemplateEvent, "New event '{}'; '{}'.", NoJob, sevNone},
	{"configured-values", "Configured values:", NoJob, 1},

	// §3.2 AppInsightsImporter
	{"debug-save-responses", "DEBUG: Will save Application Insights responses to temp disk location.", ai, sevNone},
	{"sql-destination-config", "Destination SQL Server configuration{}", ai, 1},
	{"sql-data-source", "data source='{}', initial catalog='{}'", ai, 1},
	{"appinsights-api-key-missing", "Critical: no Application Insights API key found{}", ai, 1},
	{"pausing-seconds", "Pausing {} seconds in case any of these configuration values are wrong{}", ai, sevNone},
	{"pausing-ms", "Pausing {} milliseconds...", NoJob, sevNone},
	{"appinsights-import-start", "Starting Application Insights import.", ai, 1},
	{"check-settings-restart", "Check settings & restart app.", ai, 1},
	{"web-traffic-disabled", "WARNING: Web-traffic import is disabled in app configuration.{}", ai, 2},
	{"appinsights-uncaught", "Got uncaught exception importing & saving data from Application Insights: {}", ai, 3},
	{"ctrl-c", "CTRL+C Pressed...", NoJob, sevNone},
	{"appinsights-request", "Requesting data from AppInsights from {}", ai, 1},
	{"pageviews-download-failed", "Got fatal exception downloading page-views from Application Insights REST: {}", ai, 3},
	{"hits-downloaded", "Hits downloaded - '{}' in total.{}", ai, 1},
	{"customevents-download-failed", "Got fatal exception downloading custom events from Application Insights REST: {}", ai, 3},
	{"processed-events-pageviews", "Processed {} events, and {} page-views", ai, 1},
	{"sql-error", "Got SQL error: {}", ai, 3},
	{"saved-events-pageviews", "Saved {} events, and {} page-views", ai, 1},
	{"no-new-hits", "No new hits found.", ai, 1},
	{"searches-imported", "Search batch imported - {} new searches inserted", ai, 1},
	{"page-updates-imported", "Page updates imported - {}", ai, 1},
	{"clicks-imported", "Clicks batch imported - {} clicks inserted", ai, 1},
	{"url-out-of-scope", "Ignoring out-of-scope URL: {}", ai, 1},
	{"hits-batch-imported", "Hits batch imported.", ai, 1},
	{"page-request-duplicate", "DEBUG: Ignoring duplicate page-request {}", ai, sevNone},
	{"page-request-empty", "DEBUG: Ignoring page-request with empty page-request.", ai, sevNone},
	{"searches-processing", "Processing {} searches...", ai, 1},
	{"urls-updated", "Updated {} URLs from {} page-update events", ai, 1},
	{"page-updates-sql-exception", "SQL exception '{}' when saving page updates for this chunk.", ai, 3},
	{"page-updates-dbupdate-exception", "DbUpdate exception '{}' when saving page updates for this chunk.", ai, 3},
	{"page-updates-dbupdate-error", "ERROR: DbUpdate exception '{}", ai, 3},
	{"pageview-json-invalid", "Couldn't deserialise page-view custom event data: invalid Json{}", ai, 2},
	{"unexpected-prop-value", "ERROR:Unexpected {} value for URL {}", ai, sevNone},
	{"blob-storage-config", "Blob storage account '{}', container '{}'.", ai, 1},

	// §3.3 Office365ActivityImporter start-up
	{"config-convert-error", "Error converting configurations values to int/guid/timespan. Please verify App Settings.", act, sevNone},
	{"tenant-client", "Azure AD tenant='{}, client ID='{}'{}", act, 1},
	{"days-back", "Days back to check for events from Activity API='{}'.", act, 1},
	{"workloads-configured", "Configured workloads to import:", act, 1},
	{"plus-item", "+{}", act, 1},
	{"workloads-missing", "CONFIG ERROR: No Office 365 workloads found in configuration key 'ContentTypesListAsString'!", act, 3},
	{"sql-test-events", "Testing SQL configuration...", act, 1},
	{"sql-test-events-passed", "Found {} events in table already. Test passed!", act, 1},
	{"sql-error-startup", "Got a SQL error: {}", act, 3},
	{"single-call-import", "Detected '{}' parameter value. Importing single call-record from Graph and exiting.", act, 1},

	// §3.4 Office365ActivityImporter cycle
	{"webhook-verify", "Verifying call webhook subscription.", act, 1},
	{"callqueue-exception", "Got exception on ProcessCallQueueAndWebhook: {}", act, 4},
	{"calls-skipped", "Skipping Call Queue import & webhook validation.", act, 1},
	{"graph-import-start", "Starting Teams & Graph import.", act, 1},
	{"teams-access-denied", "ERROR: Can't access Teams user data - are application permissions configured correctly?", act, 2},
	{"graph-import-finished", "Finished Graph API import tasks.", act, 1},
	{"graph-exception", "Got exception on GetGraphTeamsAndUserData: {}", act, 4},
	{"org-urls-missing", "FATAL ERROR: No org URLs found in database!{}", act, 4},
	{"import-filtering", "Beginning import. Filtering for SharePoint events below these URLs:", act, 1},
	{"activity-import-start", "Starting activity import{}", act, 1},
	{"activity-import-finished", "Finished activity import.{}", act, 1},
	{"activity-import-exception", "Got unexpected exception importing activity: {}", act, 3},
	{"activity-download-exception", "Got exception on DownloadActivityData: {}", act, sevNone},
	{"activity-skipped", "Skipping Activity API import.", act, 1},
	{"oauth-token-new", "Generating new OAuth token...", NoJob, sevNone},
	{"oauth-token-created", "OAuth token succesfully created from Azure AD.", NoJob, 1},
	{"keyvault-cert-retrieve", "Retrieving certificate {} from KeyVault {}", NoJob, 1},
	{"keyvault-cert-missing", "Certificate {} not found in KeyVault {}", NoJob, 4},
	{"subscriptions-reading", "Reading existing Office 365 Activity API subscriptions...", act, 1},
	{"subscription-in-place", "Subscription for '{}' is already in place{}", act, 1},
	{"subscription-creating", "Creating subscription for content-type {}", act, sevNone},
	{"subscription-created", "Subscription for '{}' has been created.", act, sevNone},
	{"subscription-create-failed", "Can't create subscription. Check service-account permissions{}", act, 1},
	{"subscription-missing", "Subscription for '{}' could not be found or created - {}", act, 1},
	{"audit-changes-summary", "Audit events import: getting changes summary from {}", act, 1},
	{"audit-no-time-chunks", "Audit events import: ERROR: Could not download activity{}", act, 2},
	{"audit-full-loading", "Audit events import: full-loading activity reports from {}", act, 1},
	{"audit-progress", "Audit events import: processed {}% activity report data...", act, 1},
	{"audit-got-events", "Audit events import: Got {} audit events from {}", act, 1},
	{"activity-report-download-error", "Got error '{}' downloading {}. Will try again on next cycle.", act, 3},
	{"metadata-download-error", "Error downloading metadata {} with error '{}", act, 3},
	{"throttle-retry", "Throttle error for {}. Waiting to retry for attempt #{}", NoJob, 1},
	{"throttle-wait", "Throttle error downloading from REST. Waiting {} seconds to try again...", NoJob, 1},
	{"throttle-exhausted", "Throttle error. Maximum retry attempts {} has been attempted for {}", NoJob, 3},
	{"sql-insert-start", "Inserting {} records into {}, across {} thread(s)...", NoJob, 1},
	{"sql-insert-failed", "Failed to insert record into {} - {}", NoJob, 4},

	// §3.5 Graph: users, Teams, usage reports
	{"users-skipped", "Skipping user metadata import", act, 1},
	{"teams-apps-skipped", "Skipping user Teams apps import", act, 1},
	{"usage-reports-skipped", "Skipping usage reports import", act, 1},
	{"teams-skipped", "Skipping Teams import", act, 1},
	{"usage-reports-reading", "Reading all activity reports from {} days back...", act, 1},
	{"usage-report-importing", "Importing {} reports...", act, 1},
	{"usage-report-read", "GraphImporter read {} records from Graph API", act, 1},
	{"usage-report-imported", "Imported {} reports.", act, 1},
	{"usage-reports-done", "Activity reports imported. Will run again in 24 hours", act, 1},
	{"usage-reports-recent", "Skipping activity reports as have processed recently{}", act, 1},
	{"usage-reports-concealed", "WARNING: Usage reports have associated user email concealed{}", act, 1},
	{"user-import-start", "User import - start", act, 1},
	{"user-import-done", "User import - inserted {} new users and updated {} from Graph API", act, 1},
	{"user-import-read", "User import - read {} from Graph API{}", act, 1},
	{"user-import-skus-failed", "User import - couldn't load SKUs for org - {}", act, 3},
	{"user-apps-updating", "User Apps Load - updating Teams Apps for {} users...", act, 1},
	{"user-apps-progress", "User Apps Load: processed {}% of users for Teams Apps...", act, 1},
	{"user-apps-access-denied", "User Apps Load - access denied reading user Teams Apps.{}", act, 3},
	{"user-apps-no-users", "User Apps Load - no users to process", act, 2},
	{"teams-searching", "Searching for groups with a team attached...", act, 1},
	{"teams-loading", "Loading & saving to SQL {} groups/teams over {} threads...", act, 1},
	{"teams-import-complete", "Teams import complete.", act, 1},
	{"team-load-failed", "Couldn't load team from Group {}: {}", act, 3},
	{"group-save-failed", "Couldn't save Group {} to SQL: {}", act, 3},
	{"team-sql-exception", "Got SQL exception saving Team: {}. Will try again next cycle.", act, 3},
	{"team-token-missing", "Couldn't find token entry in redis for Team '{}', or refresh token is null.", act, 1},
	{"team-token-missing-old", "Couldn't find Team entry in redis or refresh token is null.", act, 1},

	// §3.6 calls: webhook subscription, Service Bus, webhook controller
	{"webhook-subscription-missing", "No subscription found for call-records, for URL '{}'. Creating...", act, 1},
	{"webhook-subscription-created", "Created subscription id '{}' for webhook.", act, 1},
	{"webhook-create-failed", "Couldn't create webhook at URL '{}'. Got exception: '{}'", act, 3},
	{"webhook-subscription-updated", "Updated subscription {}", act, 1},
	{"servicebus-listening", "ServiceBus client: Now listening for service-bus messages.", act, 1},
	{"servicebus-not-listening", "ServiceBus client: Not listening for service-bus messages?", act, 2},
	{"servicebus-stopped", "ServiceBus client: Service-bus processor stopped.", act, 1},
	{"servicebus-message-received", "New message received from ServiceBus with ID '{}'.", act, 1},
	{"servicebus-message-completed", "Succesfully processed & completed ServiceBus message ID '{}'", act, 1},
	{"servicebus-message-abandoned", "Abandoning ServiceBus message ID '{}' as import was NOT succesful", act, 1},
	{"servicebus-call-added", "Added call ID '{}' to database from ServiceBus.", act, 1},
	{"servicebus-no-call-id", "ServiceBus error: couldn't find call ID in JSon. Ignoring event.", act, 1},
	{"servicebus-deserialise-error", "Error deserialising body '{}' from ServiceBus. Exception: {}", act, 3},
	{"servicebus-processing-error", "ServiceBus processing error: {}", act, 3},
	{"servicebus-complete-failed", "Couldn't complete ServiceBus message '{}': {}", act, 3},
	{"servicebus-processor-exception", "ServiceBus processor encountered an exception '{}'.", act, 3},
	{"servicebus-exception-context", "Exception context for troubleshooting:", act, 3},
	{"servicebus-exception-namespace", "- Namespace: {}", act, 3},
	{"servicebus-exception-entity", "- Entity Path: {}", act, 3},
	{"servicebus-exception-source", "- Error Source: {}", act, 3},
	{"webhook-ping", "CallRecordWebhookController: test ping from Graph received.", wh, 1},
	{"webhook-invoked", "CallRecordWebhookController invoked{}", wh, 1},
	{"webhook-call-posted", "New call POSTed from Graph with {}", wh, 1},
	{"webhook-queue-error", "Error adding change messages to queue: {}", wh, 3},

	// §3.7 anonymous usage stats
	{"usage-stats-error", "Usage Stats Reporter - error uploading anonymised runtime stats - {}", act, 2},
	{"usage-stats", "Usage Stats Reporter - {}", act, 1},

	// Exception text printed on stderr by an unhandled crash (§6)
	{TemplateCrashHeader, "Unhandled Exception: {}", NoJob, sevNone},
	{"stack-frame", "   at {}", NoJob, sevNone},
	{"stack-inner-end", "   --- End of inner exception stack trace ---", NoJob, sevNone},
	{"stack-async-separator", "--- End of stack trace from previous location where exception was thrown ---", NoJob, sevNone},
	{"stack-inner-exception", "---> (Inner Exception #{}) {}", NoJob, sevNone},
	// Continuation lines of MSAL / Azure SDK exception messages printed inside a template hole
	{"msal-trace-id", "Trace ID: {}", NoJob, sevNone},
	{"msal-correlation-id", "Correlation ID: {}", NoJob, sevNone},
	{"msal-timestamp", "Timestamp: {}", NoJob, sevNone},
	{"azure-status", "Status: {} ({})", NoJob, sevNone},
	{"azure-error-code", "ErrorCode: {}", NoJob, sevNone},

	// Kudu (§4.3): lifecycle SYS lines and the console cap warning
	{"kudu-status", "Status changed to {}", NoJob, sevNone},
	{"kudu-always-on", "'Always On' doesn't appear to be enabled for this Web App.{}", NoJob, sevNone},
	{"kudu-singleton", "WebJob singleton {}", NoJob, sevNone},
	{"kudu-dir-change", "Job directory change detected: {}", NoJob, sevNone},
	{"kudu-run-script", "Run script '{}' with script host - '{}'", NoJob, sevNone},
	{"kudu-still-running", "WebJob is still running", NoJob, sevNone},
	{"kudu-exit-code", "Job failed due to exit code {}", NoJob, sevNone},
	{"kudu-process-down", "Process went down, waiting for {} seconds", NoJob, sevNone},
	{"kudu-site-shutdown", "WebJob is stopping due to website shutting down", NoJob, sevNone},
	{"kudu-aborted", "WebJob process was aborted", NoJob, sevNone},
	{"kudu-files-updated", "Detected WebJob file/s were updated, refreshing WebJob", NoJob, sevNone},
	{"kudu-copy-failed", "Failed to copy job files: {}", NoJob, sevNone},
	{"kudu-diff-failed", "Failed to diff WebJob directories for changes.{}", NoJob, sevNone},
	{"kudu-temp-delete-failed", "Failed to delete temporary directory{}", NoJob, sevNone},
	{"kudu-kill-failed", "Failed to kill process - {}", NoJob, sevNone},
	{"kudu-output-capped", "Reached maximum allowed output lines for this run{}", NoJob, sevNone},
}

// exceptionHoles names, for templates that print a caught exception's message inside a hole
// ({ex.Message}), which hole (1-based) holds it. Such lines become exceptions rows of origin
// "handled" (docs/formats.md §6.2): App Insights got a TrackException for them, the console only
// the message.
var exceptionHoles = map[string]int{
	"appinsights-uncaught":            1,
	"pageviews-download-failed":       1,
	"customevents-download-failed":    1,
	"sql-error":                       1,
	"page-updates-sql-exception":      1,
	"page-updates-dbupdate-exception": 1,
	"page-updates-dbupdate-error":     1,
	"sql-error-startup":               1,
	"callqueue-exception":             1,
	"graph-exception":                 1,
	"activity-import-exception":       1,
	"activity-download-exception":     1,
	"activity-report-download-error":  1,
	"metadata-download-error":         2,
	"sql-insert-failed":               2,
	"user-import-skus-failed":         1,
	"team-load-failed":                2,
	"group-save-failed":               2,
	"team-sql-exception":              1,
	"webhook-create-failed":           2,
	"servicebus-deserialise-error":    2,
	"servicebus-processing-error":     1,
	"servicebus-complete-failed":      2,
	"servicebus-processor-exception":  1,
	"webhook-queue-error":             1,
	"usage-stats-error":               1,
	"subscription-missing":            2,
}

// sectionJobs maps the section (timer operation) names of §2.2 to the job that prints them.
var sectionJobs = map[string]Job{
	"Hits import":                            ai,
	"Hit updates":                            ai,
	"Searches":                               ai,
	"Page updates":                           ai,
	"Clicks":                                 ai,
	"SPOInsights.WebJob.AppInsightsImporter": ai,
	"User metadata refresh":                  act,
	"User Teams apps refresh":                act,
	"User Apps load":                         act,
	"User Apps Load":                         act,
	"Usage reports":                          act,
	"Teams import":                           act,
	"Audit events import":                    act,
	"Audit events":                           act,
	"SPOInsights.WebJob.Office365ActivityImport": act,
}

// knownSections lists the keys of sectionJobs, for interning.
var knownSections = func() []string {
	var out []string
	for k := range sectionJobs {
		out = append(out, k)
	}
	return out
}()

// SectionJob returns the job that times section name (a FinishedSectionImport or
// FinishedImportCycle context), NoJob if unknown.
func SectionJob(section string) Job {
	if j, ok := sectionJobs[section]; ok {
		return j
	}
	return JobOf(section)
}

// sectionJobBytes is SectionJob without converting the common names to a string.
func sectionJobBytes(section []byte) Job {
	if j, ok := sectionJobs[string(section)]; ok {
		return j
	}
	return JobOf(string(section))
}
