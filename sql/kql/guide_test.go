package kql_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/kudulens/kudulens/sql/kql"
)

// guideFixture is a small database of the two web-jobs and the webhook controller, with
// messages from the app's templates (docs/formats.md §3, template numbers in comments).
// line_no identifies each row in the expectations.
var guideFixture = []string{
	`INSERT INTO traces (timestamp, operation_Name, job, instance, level, is_system, severityLevel, message, source, line_no) VALUES
 ('2026-11-19 21:30:00', NULL, 'Office365ActivityImporter', '5e1c2a', 'INFO', true, NULL, 'Status changed to Running', 'job-log', 1),
 ('2026-11-19 21:30:02', 'Office365ActivityImporter', 'Office365ActivityImporter', '5e1c2a', 'INFO', false, 1, 'Office 365 Advanced Analytics engine START: ''Release 5.3''.', 'job-log', 2),
 ('2026-11-19 21:30:05', 'Office365ActivityImporter', 'Office365ActivityImporter', '5e1c2a', 'INFO', false, 1, 'Verifying call webhook subscription.', 'job-log', 3),
 ('2026-11-19 21:30:06', 'Office365ActivityImporter', 'Office365ActivityImporter', '5e1c2a', 'INFO', false, 1, 'No subscription found for call-records, for URL ''https://contoso-aae.azurewebsites.net/api/CallRecordWebhook''. Creating...', 'job-log', 4),
 ('2026-11-19 21:30:07', 'Office365ActivityImporter', 'Office365ActivityImporter', '5e1c2a', 'ERR', false, 3, 'Couldn''t create webhook at URL ''https://contoso-aae.azurewebsites.net/api/CallRecordWebhook''. Got exception: ''Forbidden''', 'job-log', 5),
 ('2026-11-19 21:40:05', 'Office365ActivityImporter', 'Office365ActivityImporter', '5e1c2a', 'INFO', false, 1, 'Verifying call webhook subscription.', 'job-log', 6),
 ('2026-11-19 21:40:06', 'Office365ActivityImporter', 'Office365ActivityImporter', '5e1c2a', 'INFO', false, 1, 'Created subscription id ''3f2b7c9e-1d4a-4e8b-9c3d-2a1b0c9d8e7f'' for webhook.', 'job-log', 7),
 ('2026-11-19 21:40:07', 'Office365ActivityImporter', 'Office365ActivityImporter', '5e1c2a', 'INFO', false, 1, 'ServiceBus client: Now listening for service-bus messages.', 'job-log', 8),
 ('2026-11-19 21:41:10', 'Office365ActivityImporter', 'Office365ActivityImporter', '5e1c2a', 'INFO', false, 1, 'New message received from ServiceBus with ID ''0c4f1e2a9b''.', 'job-log', 9),
 ('2026-11-19 21:41:12', 'Office365ActivityImporter', 'Office365ActivityImporter', '5e1c2a', 'INFO', false, 1, 'Added call ID ''c0ffee00-1234-4abc-9def-001122334455'' to database from ServiceBus.', 'job-log', 10),
 ('2026-11-19 21:52:40', 'Office365ActivityImporter', 'Office365ActivityImporter', '5e1c2a', 'INFO', false, 1, 'Finished activity import. Time taken in = 11.55 minutes. Stats: Imported successfully: 1,234, already processed: 56, URLs out of scope (orgs table): 7, errors: 0, total: 1,297', 'job-log', 11),
 ('2026-11-19 21:52:41', 'Office365ActivityImporter', 'Office365ActivityImporter', '5e1c2a', 'INFO', false, 1, 'Waiting 10 mins...', 'job-log', 12),
 ('2026-11-19 22:02:41', 'Office365ActivityImporter', 'Office365ActivityImporter', '5e1c2a', 'INFO', false, 1, 'Updated subscription ''112'' for webhook, for URL ''https://contoso-aae.azurewebsites.net/api/CallRecordWebhook''.', 'job-log', 13),
 ('2026-11-19 22:05:00', 'Office365ActivityImporter', 'Office365ActivityImporter', '5e1c2a', 'INFO', false, 1, 'Waiting 2 mins...', 'job-log', 14),
 ('2026-11-19 21:30:03', 'AppInsightsImporter', 'AppInsightsImporter', '7d3b9f', 'INFO', false, 1, 'Starting Application Insights import.', 'job-log', 15),
 ('2026-11-19 21:30:04', 'AppInsightsImporter', 'AppInsightsImporter', '7d3b9f', 'INFO', false, 1, 'Requesting data from AppInsights from 11/19/2026 9:20:00 PM (newest hit is from 11/19/2026 9:19:12 PM)...', 'job-log', 16),
 ('2026-11-19 21:30:09', 'AppInsightsImporter', 'AppInsightsImporter', '7d3b9f', 'ERR', false, 3, 'Got SQL error: Failed to update database "AnalyticsDB" because the database is read-only.', 'job-log', 17),
 ('2026-11-19 21:30:10', 'AppInsightsImporter', 'AppInsightsImporter', '7d3b9f', 'INFO', false, 1, 'Waiting 10 mins...', 'job-log', 18),
 ('2026-11-19 21:35:00', 'CallRecordWebhookController', NULL, NULL, 'INFO', false, 1, 'CallRecordWebhookController: test ping from Graph received.', 'app-log', 19),
 ('2026-11-19 21:41:09', 'CallRecordWebhookController', NULL, NULL, 'INFO', false, 1, 'CallRecordWebhookController invoked. 1 valid changes; 0 invalid changes.', 'app-log', 20),
 ('2026-11-19 21:41:09', 'CallRecordWebhookController', NULL, NULL, 'INFO', false, 1, 'New call POSTed from Graph with ID ''c0ffee00-1234-4abc-9def-001122334455''', 'app-log', 21),
 ('2026-11-19 21:41:30', 'Office365ActivityImporter', 'Office365ActivityImporter', '5e1c2a', 'ERR', false, 3, 'Abandoning ServiceBus message ID ''0c4f1e2a9b'' as import was NOT succesful', 'job-log', 22)`,
	`INSERT INTO exceptions (timestamp, operation_Name, job, instance, origin, inferred_by, outerType, outerMessage, innermostType, innermostMessage, details, frames, severityLevel, line_no) VALUES
 ('2026-11-19 21:30:09', 'AppInsightsImporter', 'AppInsightsImporter', '7d3b9f', 'handled', 'sql-error', 'System.Data.SqlClient.SqlException', 'Failed to update database "AnalyticsDB" because the database is read-only.', 'System.Data.SqlClient.SqlException', 'Failed to update database "AnalyticsDB" because the database is read-only.', 'Got SQL error: Failed to update database "AnalyticsDB" because the database is read-only.', 0, 3, 17),
 ('2026-11-19 21:20:11', 'Office365ActivityImporter', 'Office365ActivityImporter', '5e1c2a', 'crash', NULL, 'System.AggregateException', 'One or more errors occurred.', 'Microsoft.Identity.Client.MsalServiceException', 'AADSTS7000215: Invalid client secret is provided.', 'Unhandled Exception: System.AggregateException: One or more errors occurred. ---> Microsoft.Identity.Client.MsalServiceException: AADSTS7000215: Invalid client secret is provided.', 12, 4, 30),
 ('2026-11-19 21:10:00', 'Office365ActivityImporter', 'Office365ActivityImporter', '5e1c2a', 'crash', NULL, 'System.InvalidOperationException', 'The model backing the ''SPOInsightsEntitiesContext'' context has changed since the database was created.', 'System.InvalidOperationException', 'The model backing the ''SPOInsightsEntitiesContext'' context has changed since the database was created.', 'Unhandled Exception: System.InvalidOperationException: The model backing ...', 20, 4, 40)`,
	`INSERT INTO customEvents (timestamp, operation_Name, job, instance, name, section, duration_s, properties, line_no) VALUES
 ('2026-11-19 21:35:12', 'Office365ActivityImporter', 'Office365ActivityImporter', '5e1c2a', 'FinishedSectionImport', 'Teams import', 305, '{"context": "Teams import: 0 hours, 5 mins, and 5 seconds."}', 50),
 ('2026-11-19 21:52:40', 'Office365ActivityImporter', 'Office365ActivityImporter', '5e1c2a', 'FinishedSectionImport', 'Audit events', 693, '{"context": "Audit events: 0 hours, 11 mins, and 33 seconds."}', 51),
 ('2026-11-19 21:52:41', 'Office365ActivityImporter', 'Office365ActivityImporter', '5e1c2a', 'FinishedImportCycle', 'Office365ActivityImporter', 1359, '{"context": "Office365ActivityImporter: 0 hours, 22 mins, and 39 seconds."}', 52),
 ('2026-11-19 21:30:08', 'AppInsightsImporter', 'AppInsightsImporter', '7d3b9f', 'FinishedSectionImport', 'Hits import', 4, '{"context": "Hits import: 0 hours, 0 mins, and 4 seconds."}', 53),
 ('2026-11-19 21:30:10', 'AppInsightsImporter', 'AppInsightsImporter', '7d3b9f', 'FinishedImportCycle', 'AppInsightsImporter', 7, '{"context": "AppInsightsImporter: 0 hours, 0 mins, and 7 seconds."}', 54)`,
}

// guideQueries are every KQL query of the monitoring guide (docs/checks.md), copied verbatim
// with their line breaks and indentation (the guide's blank line between "traces" and "| where"
// included).
// The alert rules' queries are the "App Insights Query" cell of each table row. want lists
// the line_no of the rows each must return.
var guideQueries = []struct {
	name string
	kql  string
	want []int
}{
	{"office 365 importer messages", `traces
| where operation_Name == "Office365ActivityImporter"`, []int{2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 22}},
	{"import cycle finished", `traces
| where operation_Name == "Office365ActivityImporter" and message == "Waiting 2 mins..."`, []int{14}},
	{"call-logging", `traces
| where operation_Name == "Office365ActivityImporter"
or operation_Name == "CallRecordWebhookController"`, []int{2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 19, 20, 21, 22}},
	{"application insights importer messages", `traces
| where operation_Name == "AppInsightsImporter"`, []int{15, 16, 17, 18}},
	{"graph api webhook messages", `traces
| where operation_Name == "CallRecordWebhookController"`, []int{19, 20, 21}},
	{"call records from service bus", `traces
| where message contains "ServiceBus"`, []int{8, 9, 10, 22}},
	{"alert: no recent data from activity api", `traces | where message contains "Finished activity import"`, []int{11}},
	{"alert: database read-only", `exceptions | where outerMessage contains "because the database is read-only"`, []int{17}},
	{"alert: sql exceptions", `exceptions | where outerType == "System.Data.SqlClient.SqlException"`, []int{17}},
	{"alert: aad app secret", `exceptions | where innermostMessage contains "Invalid client secret is provided"`, []int{30}},
	// The two Yammer messages are in no public build of the app (docs/formats.md §3.8), so
	// the fixture has none.
	{"alert: yammer auth code", `traces | where message contains "No auth code found for Yammer"`, nil},
	{"alert: yammer export", `traces | where message contains "Error requesting Yammer export"`, nil},
	{"finished events", `customEvents | where name == "FinishedSectionImport" or name == "FinishedImportCycle"`, []int{50, 51, 52, 53, 54}},
	{"finished activity events", `customEvents | where (name == "FinishedSectionImport" or name == "FinishedImportCycle") and operation_Name == "Office365ActivityImporter"`, []int{50, 51, 52}},
	{"webhook subscription created", `        traces

        | where operation_Name == "Office365ActivityImporter" and (message contains "Verifying call webhook subscription" or message contains "Updated subscription" or message contains "Created subscription")`, []int{3, 6, 7, 13}},
	{"webhook subscription failures", `        traces

        | where operation_Name == "Office365ActivityImporter" and message contains "Couldn't create webhook"`, []int{5}},
	{"webhook called", `    traces

    | where operation_Name == "CallRecordWebhookController"`, []int{19, 20, 21}},
	{"service-bus processing", `    traces

    | where message contains "ServiceBus"`, []int{8, 9, 10, 22}},
}

func TestGuideQueries(t *testing.T) {
	db := openDB(t, guideFixture...)
	for _, g := range guideQueries {
		t.Run(g.name, func(t *testing.T) {
			sql, err := kql.Translate(g.kql, kql.Options{})
			if err != nil {
				t.Fatalf("%s\n%v", g.kql, err)
			}
			rows, err := db.Query(sql)
			if err != nil {
				t.Fatalf("%v\nSQL:\n%s", err, sql)
			}
			defer rows.Close()
			cols, _ := rows.Columns()
			at := slices.Index(cols, "line_no")
			if at < 0 {
				t.Fatalf("no line_no column in %v", cols)
			}
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			var got []int
			for rows.Next() {
				if err := rows.Scan(ptrs...); err != nil {
					t.Fatal(err)
				}
				got = append(got, int(vals[at].(int64)))
			}
			if err := rows.Err(); err != nil {
				t.Fatal(err)
			}
			slices.Sort(got)
			if !slices.Equal(got, g.want) {
				t.Errorf("%s\ngot  %v\nwant %v\nSQL:\n%s", g.kql, got, g.want, sql)
			}
			// The result has the table's columns, named as in Application Insights.
			if strings.HasPrefix(strings.TrimSpace(g.kql), "customEvents") && !slices.Contains(cols, "customDimensions") {
				t.Errorf("customEvents result has no customDimensions column: %v", cols)
			}
		})
	}
}
