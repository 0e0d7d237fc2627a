package gen

import (
	"time"
)

// State kept between cycles and across restarts (the real jobs keep it in SQL and Redis).
type aiState struct {
	newestHit    time.Time
	hitsTotal    int
	readOnlyUsed map[int]int // SQLReadOnly incident index -> cycles used
}

type activityState struct {
	eventsTotal int
	lastUsage   time.Time // last usage-reports import (Redis)
	lastStats   time.Time // last anonymous usage-stats upload (Redis)
	taskID      int       // .NET Task ids printed by "Updated subscription '<id>'"
}

func (a *actor) initJobState() {
	start := a.sim.cfg.Start
	a.ai.newestHit = start.Add(-between(a.r, 2*time.Minute, 9*time.Minute))
	a.ai.hitsTotal = 800_000 + a.r.IntN(900_000)
	a.act.eventsTotal = 20_000_000 + a.r.IntN(40_000_000)
	a.act.lastUsage = start.Add(-between(a.r, 2*time.Hour, 20*time.Hour))
	a.act.lastStats = start.Add(-between(a.r, time.Hour, 22*time.Hour))
	a.act.taskID = 20 + a.r.IntN(40)
}

func (a *actor) tenant() *Tenant { return &a.sim.cfg.Tenant }

// commonStartup is ConsoleApp.PrintStartupAndLoggingConfig.
func (a *actor) commonStartup() {
	t := a.tenant()
	a.trace("Office 365 Advanced Analytics engine START: '" + a.sim.cfg.Build + "'.")
	a.trace("Destination SQL Server='" + t.SQLServer + "', DB='" + t.Database + "'.")
	a.trace("Import logging is disabled. Add key 'ImportLogging' value 'True' to configuration to enable full logging.")
}

// crash writes an unhandled exception the way the CLR does (an empty line, then
// "Unhandled Exception: " + ex.ToString()) and ends the process with 0xE0434352.
func (a *actor) crash(mark, exText string) {
	a.adv(ms(5 + a.r.IntN(30)))
	a.stderr("")
	old := a.mark
	a.mark = mark
	first, rest := exText, ""
	for i := 0; i < len(exText); i++ {
		if exText[i] == '\n' {
			first, rest = exText[:i], exText[i+1:]
			break
		}
	}
	a.emit(Stderr, Err, "Unhandled Exception: "+first)
	a.mark = old
	if rest != "" {
		a.stderr(rest)
	}
	a.exit(-532462766)
}

// ---------------------------------------------------------------------------------------------
// AppInsightsImporter

func (a *actor) aiStartup() bool {
	t := a.tenant()
	a.commonStartup()
	a.trace("Configured values:")
	a.trace("Destination SQL Server configuration: \ndata source='" + t.SQLServer + "', initial catalog='" + t.Database + "'")
	a.trace("Testing SQL config...")
	a.adv(between(a.r, 2*time.Second, 9*time.Second))
	if a.schemaBroken(a.t) {
		a.crash(MarkEFModel, efModelChanged(AppInsightsImporter))
		return false
	}
	a.trace("Found " + n0(a.ai.hitsTotal) + " hits in table already. Test passed!")
	a.raw("\nPausing 20 seconds in case any of these configuration values are wrong (CTRL+C to abort)...")
	a.adv(20*time.Second + ms(a.r.IntN(30)))
	a.raw("")
	a.trace("Starting Application Insights import.")
	if a.sim.cfg.Settings.DisableWebTraffic {
		a.trace("WARNING: Web-traffic import is disabled in app configuration. Stopping here until the app is restarted.")
		// Thread.Sleep(int.MaxValue) forever: no further output from this process.
		a.st = stDone
		a.t = a.t.Add(100 * 365 * 24 * time.Hour)
		if end := a.sim.cfg.End; !end.IsZero() {
			a.t = end
		}
		return false
	}
	a.adv(ms(50 + a.r.IntN(400)))
	return true
}

// hitRate is the expected page views per hour at t: business hours on weekdays, with some
// evening and night traffic from other time zones.
func (a *actor) hitRate(t time.Time) float64 {
	peak := float64(a.tenant().HitsPerHour)
	h := t.Hour()
	f := 0.02
	switch {
	case h >= 7 && h < 17:
		f = 1
	case h >= 17 && h < 21:
		f = 0.25
	case h >= 5 && h < 7:
		f = 0.2
	}
	if wd := t.Weekday(); wd == time.Saturday || wd == time.Sunday {
		f *= 0.08
	}
	return peak * f
}

func (a *actor) aiCycle() {
	start := a.t
	readOnly := a.sqlReadOnly(start)
	newest := a.ai.newestHit
	from := newest.Add(-time.Minute)
	a.trace("Requesting data from AppInsights from " + dotnetDateTime(from) + " (newest hit is from " + dotnetDateTime(newest) + ")...")
	a.adv(between(a.r, 1200*time.Millisecond, 5*time.Second))

	if a.chance(0.004) {
		a.marked(MarkHandledError, func() {
			a.trace("Got fatal exception downloading page-views from Application Insights REST: Response status code does not indicate success: 429 (Too Many Requests).")
		})
		a.endAICycle(start)
		return
	}

	elapsed := a.t.Sub(newest)
	if elapsed > 30*time.Minute {
		elapsed = 30 * time.Minute
	}
	expected := a.hitRate(a.t) * elapsed.Hours()
	hits := int(expected * (0.6 + 0.8*a.r.Float64()))
	if expected < 4 && a.r.Float64() < 0.5 {
		hits = 0
	}
	if readOnly && hits < 20 {
		hits = 20 + a.r.IntN(60)
	}
	if hits == 0 {
		a.trace("No new hits found.")
		a.endAICycle(start)
		return
	}
	earliest := newest.Add(between(a.r, time.Second, 40*time.Second))
	latest := a.t.Add(-between(a.r, 5*time.Second, 90*time.Second))
	if !latest.After(earliest) {
		latest = earliest.Add(time.Second)
	}
	a.ai.newestHit = latest
	a.trace("Hits downloaded - '" + n0(hits) + "' in total. Earliest: " + hundredths(earliest) + ", latest: " + hundredths(latest))
	a.adv(between(a.r, 800*time.Millisecond, 4*time.Second))
	events := hits/4 + a.r.IntN(hits/3+2)
	a.trace("Processed " + itoa(events) + " events, and " + itoa(hits) + " page-views")
	a.adv(ms(50 + a.r.IntN(300)))

	// PageViewCollection.SaveToSQL
	inScope := hits
	if a.r.Float64() < 0.12 {
		n := 1 + a.r.IntN(3)
		for range n {
			a.marked("", func() {
				a.trace("Ignoring out-of-scope URL: " + a.outOfScopeURL())
			})
		}
		inScope -= n
	}
	if !readOnly && inScope > 0 {
		a.trace("Inserting " + n0(inScope) + " records into ##import_staging_hit_imports, across " + itoa((inScope+999)/1000) + " thread(s)...")
		a.adv(time.Duration(inScope)*3*time.Millisecond + ms(200+a.r.IntN(800)))
	}
	a.ai.hitsTotal += inScope
	a.trace("Hits batch imported.")

	// CustomEventsResultCollection.SaveAllEventTypesToSql
	updates := events / 3
	d := ms(100 + a.r.IntN(400))
	if updates > 0 && !readOnly {
		a.trace("Inserting " + n0(updates) + " records into ##import_staging_hit_updates, across 1 thread(s)...")
		d += time.Duration(updates) * 4 * time.Millisecond
	}
	a.adv(d)
	a.finished("FinishedSectionImport", "Hit updates", d)

	searches := events / 8
	d = ms(50 + a.r.IntN(300))
	if searches > 0 {
		a.trace("Processing " + n0(searches) + " searches...")
		d += time.Duration(searches) * 6 * time.Millisecond
	}
	a.adv(d)
	a.finished("FinishedSectionImport", "Searches", d)
	if readOnly {
		searches = 0
	}
	a.trace("Search batch imported - " + n0(searches) + " new searches inserted")

	pageEvents := events / 10
	d = ms(200 + a.r.IntN(600))
	urls := 0
	if readOnly {
		if pageEvents < 12 {
			pageEvents = 12 + a.r.IntN(20)
		}
		msg := readOnlyMessage(a.tenant().Database)
		a.adv(ms(300 + a.r.IntN(900)))
		a.marked(MarkSQLReadOnly, func() {
			a.trace("SQL exception '" + msg + "' when saving page updates for this chunk.")
		})
		a.adv(ms(100 + a.r.IntN(500)))
		a.marked(MarkSQLReadOnly, func() {
			a.trace("SQL exception '" + msg + "' when saving page updates for this chunk.")
		})
		d += ms(1500)
	} else if pageEvents > 0 {
		urls = pageEvents/2 + a.r.IntN(pageEvents/2+1)
		d += time.Duration(pageEvents) * 40 * time.Millisecond
	}
	a.adv(d)
	a.trace("Updated " + itoa(urls) + " URLs from " + itoa(pageEvents) + " page-update events")
	a.finished("FinishedSectionImport", "Page updates", d)
	a.trace("Page updates imported - " + n0(urls))

	if readOnly {
		// SaveClicksToSQL throws; ImportAndSave catches the SqlException.
		a.adv(ms(200 + a.r.IntN(700)))
		a.marked(MarkSQLReadOnly, func() {
			a.trace("Got SQL error: " + readOnlyMessage(a.tenant().Database))
		})
	} else if a.chance(0.01) {
		msg := a.randomSQLError()
		a.adv(between(a.r, time.Second, 30*time.Second))
		a.marked(MarkSQLError, func() { a.trace("Got SQL error: " + msg) })
	} else {
		clicks := events / 5
		d = ms(50 + a.r.IntN(200))
		if clicks > 0 {
			a.trace("Inserting " + n0(clicks) + " records into ##import_staging_clicks, across 1 thread(s)...")
			d += time.Duration(clicks) * 5 * time.Millisecond
		}
		a.adv(d)
		a.trace("Clicks batch imported - " + itoa(clicks) + " clicks inserted")
		a.finished("FinishedSectionImport", "Clicks", d)
	}
	a.trace("Saved " + n0(events) + " events, and " + n0(hits) + " page-views")
	// The "Hits import" JobTimer is never started, so it always reports zero.
	a.finished("FinishedSectionImport", "Hits import", 0)

	if a.chance(0.002) {
		// An exception that escapes ImportAndSave: Main logs it and returns (exit code 0).
		a.marked(MarkHandledError, func() {
			a.trace("Got uncaught exception importing & saving data from Application Insights: One or more errors occurred.")
		})
		a.exit(0)
		return
	}
	a.endAICycle(start)
}

func (a *actor) endAICycle(start time.Time) {
	a.adv(ms(5 + a.r.IntN(30)))
	a.finished("FinishedImportCycle", ProcessName(AppInsightsImporter), a.t.Sub(start))
	a.wait10()
}

func (a *actor) outOfScopeURL() string {
	paths := []string{"/sites/hr-archive/SitePages/Home.aspx", "/sites/projects-2019/Shared%20Documents/Forms/AllItems.aspx", "/personal/adele_vance_contoso_com/_layouts/15/onedrive.aspx", "/sites/sandbox/SitePages/Test.aspx"}
	return a.tenant().SharePoint + paths[a.r.IntN(len(paths))]
}

func readOnlyMessage(db string) string {
	return "Failed to update database \"" + db + "\" because the database is read-only."
}

func (a *actor) randomSQLError() string {
	msgs := []string{
		"Execution Timeout Expired.  The timeout period elapsed prior to completion of the operation or the server is not responding.",
		"Transaction (Process ID " + itoa(52+a.r.IntN(90)) + ") was deadlocked on lock resources with another process and has been chosen as the deadlock victim. Rerun the transaction.",
		"Resource ID : 1. The request limit for the database is 60 and has been reached. See 'https://docs.microsoft.com/azure/azure-sql/database/resource-limits-logical-server' for assistance.",
		"The service has encountered an error processing your request. Please try again. Error code 40540.",
	}
	return msgs[a.r.IntN(len(msgs))]
}

// ---------------------------------------------------------------------------------------------
// Office365ActivityImporter

func (a *actor) activityStartup() bool {
	t := a.tenant()
	a.commonStartup()
	a.trace("\nConfigured values:")
	a.trace("Destination SQL Server='" + t.SQLServer + "', DB='" + t.Database + "'.")
	a.trace("Azure AD tenant='" + t.TenantDomain + ", client ID='" + t.ClientID + "'.")
	a.trace("Days back to check for events from Activity API='" + itoa(t.DaysBack) + "'.")
	a.trace("\nConfigured workloads to import:")
	for _, w := range t.Workloads {
		a.trace("+" + w)
	}
	a.raw("")
	a.trace("Testing SQL configuration...")
	a.adv(between(a.r, 3*time.Second, 10*time.Second))
	if a.schemaBroken(a.t) {
		a.crash(MarkEFModel, efModelChanged(Office365ActivityImporter))
		return false
	}
	// Start-ups are rare (site restarts, crashes), so these are per start-up.
	if a.chance(0.04) {
		a.crash(MarkCrash, entityOpenFailed(a.r))
		return false
	}
	if a.chance(0.03) {
		a.crash(MarkCrash, aggregateKeyVault())
		return false
	}
	a.trace("Found " + n0(a.act.eventsTotal) + " events in table already. Test passed!")
	a.adv(ms(30 + a.r.IntN(200)))
	return true
}

// msalError is the MsalServiceException message of an expired/invalid client secret, with
// the continuation lines AAD appends to error_description.
func (a *actor) msalError() string {
	return "AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '" +
		a.tenant().ClientID + "'.\nTrace ID: " + guid(a.r) + "\nCorrelation ID: " + guid(a.r) +
		"\nTimestamp: " + a.t.UTC().Format("2006-01-02 15:04:05") + "Z"
}

func (a *actor) activityCycle() {
	cfg := &a.sim.cfg
	t := a.tenant()
	set := cfg.Settings
	start := a.t
	secretBad := a.secretInvalid(start)

	// ProcessCallQueueAndWebhook
	if !set.DisableCalls {
		a.trace("Verifying call webhook subscription.")
		if a.cycle == 1 {
			a.adv(ms(200 + a.r.IntN(600)))
			a.trace("ServiceBus client: Now listening for service-bus messages.")
		}
		a.adv(between(a.r, 300*time.Millisecond, 1500*time.Millisecond))
		webhook := t.WebAppURL + "api/CallRecordWebhook"
		switch {
		case secretBad:
			msg := a.msalError()
			a.marked(MarkAADSecret, func() { a.trace("Got exception on ProcessCallQueueAndWebhook: " + msg) })
		case a.chance(0.01):
			a.trace("No subscription found for call-records, for URL '" + webhook + "'. Creating...")
			a.adv(between(a.r, 2*time.Second, 12*time.Second))
			msg := "Code: InvalidRequest\nMessage: Subscription validation request failed. Notification endpoint must respond with 200 OK to validation request.\nInner error:\n\tAdditionalData:\n\tdate: " +
				a.t.UTC().Format("2006-01-02T15:04:05") + "\n\trequest-id: " + guid(a.r) + "\n\tclient-request-id: " + guid(a.r) + "\nClientRequestId: " + guid(a.r) + "\n"
			a.marked(MarkWebhookFailed, func() {
				a.trace("Couldn't create webhook at URL '" + webhook + "'. Got exception: '" + msg + "'")
			})
		default:
			a.act.taskID += 3 + a.r.IntN(40)
			a.trace("Updated subscription '" + itoa(a.act.taskID) + "' for webhook, for URL '" + webhook + "'.")
		}
		if !secretBad && a.callsNow() {
			a.serviceBusCall()
		}
	} else {
		a.trace("Skipping Call Queue import & webhook validation.")
	}

	// GetGraphTeamsAndUserData
	a.trace("Starting Teams & Graph import.")
	a.adv(between(a.r, 200*time.Millisecond, 900*time.Millisecond))
	if secretBad {
		if !set.DisableGraphUsersMetadata {
			a.trace(shortTime(a.t) + " User import - start")
			a.adv(between(a.r, 300*time.Millisecond, 1200*time.Millisecond))
		}
		msg := a.msalError()
		a.marked(MarkAADSecret, func() { a.trace("Got exception on GetGraphTeamsAndUserData: " + msg) })
	} else if ok := a.graphImport(); ok {
		a.trace("Finished Graph API import tasks.")
	}

	// DownloadActivityData
	if !set.DisableActivityLog {
		a.downloadActivity(secretBad)
	} else {
		a.trace("Skipping Activity API import.")
	}

	a.adv(ms(5 + a.r.IntN(30)))
	a.finished("FinishedImportCycle", ProcessName(Office365ActivityImporter), a.t.Sub(start))
	a.adv(between(a.r, 100*time.Millisecond, 800*time.Millisecond))
	if a.chance(0.0015) {
		// new RedisStatsDatesLoader(...) runs outside any try block.
		a.crash(MarkCrash, redisCrash())
		return
	}
	const prefix = "Usage Stats Reporter - "
	if a.redisFlushed(a.act.lastStats) {
		a.act.lastStats = time.Time{}
	}
	if a.act.lastStats.IsZero() || a.t.Sub(a.act.lastStats) > 24*time.Hour {
		if a.act.lastStats.IsZero() {
			a.trace(prefix + "no last telemetry date found in redis - uploading new report now")
		} else {
			a.trace(prefix + "Last usage report was uploaded " + dotnetDateTime(a.act.lastStats) + " - uploading new report now")
		}
		a.adv(between(a.r, 500*time.Millisecond, 3*time.Second))
		a.trace(prefix + "uploaded stats to server")
		a.trace(prefix + "saved latest stats to database - see table 'sys_telemetry_reports'")
		a.act.lastStats = a.t
	} else {
		a.trace(prefix + "telemetry stats uploaded recently (less than 24 hours ago) - skipping for now")
	}
	a.wait10()
}

// callsNow reports whether a Teams call record arrives during this cycle (business hours).
func (a *actor) callsNow() bool {
	h := a.t.Hour()
	p := 0.05
	if h >= 8 && h < 18 {
		p = 0.5
	}
	if wd := a.t.Weekday(); wd == time.Saturday || wd == time.Sunday {
		p = 0.03
	}
	return a.r.Float64() < p
}

func (a *actor) serviceBusCall() {
	id := hexID(a.r, 32)
	a.adv(between(a.r, 100*time.Millisecond, 3*time.Second))
	a.trace("New message received from ServiceBus with ID '" + id + "'.")
	a.adv(between(a.r, 400*time.Millisecond, 2*time.Second))
	a.trace("Added call ID '" + guid(a.r) + "' to database from ServiceBus.")
	a.trace("Succesfully processed & completed ServiceBus message ID '" + id + "'")
}

// graphImport is GraphImporter.GetAndSaveAllGraphData; false if it failed (the failure is logged).
func (a *actor) graphImport() bool {
	set := a.sim.cfg.Settings
	t := a.tenant()
	if !set.DisableGraphUsersMetadata {
		s := a.t
		a.trace(shortTime(a.t) + " User import - start")
		a.adv(between(a.r, 2*time.Second, 15*time.Second))
		changed := 3 + a.r.IntN(40)
		if a.cycle == 1 {
			a.trace("User import - read " + n0(t.Users) + " users (all) from Graph API")
			changed = t.Users
		} else {
			a.trace("User import - read " + n0(changed) + " updated users from Graph API, using last delta.")
		}
		inserted := a.r.IntN(3)
		if inserted > changed {
			inserted = changed
		}
		a.trace("User import - updating " + n0(changed-inserted) + " existing users...")
		a.adv(time.Duration(changed) * 8 * time.Millisecond)
		a.trace("User import - updated user license information from " + itoa(9+a.r.IntN(6)) + " tenant SKUs")
		a.adv(between(a.r, time.Second, 6*time.Second))
		a.trace(shortTime(a.t) + " User import - inserted " + n0(inserted) + " new users and updated " + n0(changed-inserted) + " from Graph API")
		a.finished("FinishedSectionImport", "User metadata refresh", a.t.Sub(s))
	} else {
		a.trace("Skipping user metadata import")
	}

	if !set.DisableGraphUserApps {
		s := a.t
		users := 12 + a.r.IntN(60)
		if a.cycle == 1 {
			users = 150 + a.r.IntN(300)
		}
		a.trace("User Apps Load - updating Teams Apps for " + n0(users) + " users...")
		a.adv(between(a.r, 500*time.Millisecond, 2*time.Second))
		a.trace("User Apps Load - testing API permissions for 'TeamsAppInstallation.ReadForUser.All' read with 'adele.vance@" + a.mailDomain() + "'...")
		a.adv(between(a.r, 300*time.Millisecond, 1500*time.Millisecond))
		a.trace("User Apps Load - 'TeamsAppInstallation.ReadForUser.All' permissions verified")
		progressSteps(users, func(pc, step int) {
			a.adv(time.Duration(step) * time.Duration(80+a.r.IntN(420)) * time.Millisecond)
			if pc < 100 {
				a.trace("User Apps Load: processed " + itoa(pc) + "% of users for Teams Apps...")
			}
		})
		a.adv(between(a.r, 200*time.Millisecond, time.Second))
		a.finished("FinishedSectionImport", "User Apps load", a.t.Sub(s))
		a.finished("FinishedSectionImport", "User Teams apps refresh", a.t.Sub(s)+ms(a.r.IntN(40)))
	} else {
		a.trace("Skipping user Teams apps import")
	}

	if !set.DisableGraphUsageReports {
		a.usageReports()
	} else {
		a.trace("Skipping usage reports import")
	}

	if !set.DisableGraphTeams {
		s := a.t
		a.trace("Searching for groups with a team attached...")
		a.adv(between(a.r, 2*time.Second, 9*time.Second))
		threads := 5
		a.trace("Loading & saving to SQL " + itoa(t.Teams) + " groups/teams over " + itoa(threads) + " threads...")
		batches := t.Teams / 8
		throttleAt := -1 // Graph throttles about one Teams import in three, once
		if a.r.Float64() < 0.35 {
			throttleAt = a.r.IntN(batches)
		}
		for i := range batches {
			a.adv(between(a.r, 100*time.Millisecond, 2*time.Second))
			switch x := a.r.Float64(); {
			case x < 0.04:
				a.marked(MarkRedisToken, func() {
					a.trace("Couldn't find token entry in redis for Team '" + a.teamName() + "', or refresh token is null.")
				})
			case i == throttleAt:
				a.marked(MarkThrottleRetry, func() {
					a.trace("Throttle error for https://graph.microsoft.com/v1.0/teams/" + guid(a.r) + "/channels. Waiting to retry for attempt #1, " + itoa(2+a.r.IntN(20)) + " seconds (from 'retry-after' header)...")
				})
				a.adv(between(a.r, 2*time.Second, 20*time.Second))
			case a.chance(0.004):
				a.marked(MarkHandledError, func() {
					a.trace("Couldn't load team from Group " + a.teamName() + ": Code: NotFound\nMessage: No team found with Group Id " + guid(a.r) + "\nInner error:\n\tAdditionalData:\n\trequest-id: " + guid(a.r) + "\nClientRequestId: " + guid(a.r) + "\n")
				})
			}
		}
		if a.chance(0.003) {
			url := "https://graph.microsoft.com/v1.0/groups/" + guid(a.r) + "/team"
			a.marked(MarkThrottleExceeded, func() {
				a.trace("Throttle error. Maximum retry attempts 10 has been attempted for " + url + ".")
			})
			a.marked(MarkHandledError, func() {
				a.trace("Got exception on GetGraphTeamsAndUserData: Response status code does not indicate success: 429 (Too Many Requests).")
			})
			return false
		}
		a.adv(between(a.r, time.Second, 5*time.Second))
		a.trace("Teams import complete.\n")
		a.finished("FinishedSectionImport", "Teams import", a.t.Sub(s))
	} else {
		a.trace("Skipping Teams import")
	}
	return true
}

// progressSteps walks a loop over n items that reports round(i/n*100) percent whenever that
// value goes up, staying below 100 (ActivityImporter, AbstractUserAppLoader): fn gets each
// reported percentage and the number of items processed since the previous report; a final
// call with pc 100 covers the items after the last report.
func progressSteps(n int, fn func(pc, step int)) {
	done, last := 0, 0
	for i := 1; i < n; i++ {
		pc := int(float64(i)/float64(n)*100 + 0.5)
		if pc > last && pc < 100 {
			fn(pc, i-done)
			done, last = i, pc
		}
	}
	if n > done {
		fn(100, n-done)
	}
}

// pctLines are the Activity importer's progress messages, built once.
var pctLines = func() []string {
	l := make([]string, 100)
	for i := range l {
		l[i] = "Audit events import: processed " + itoa(i) + "% activity report data..."
	}
	return l
}()

var usageThings = []string{"Teams user activity", "Teams user device", "Outlook activity", "OneDrive usage", "OneDrive activity", "SharePoint user activity", "Yammer user activity", "Yammer group activity", "Yammer device activity", "Apps & platform activity"}

// redisFlushed reports whether the Redis cache lost its data after 'since'.
func (a *actor) redisFlushed(since time.Time) bool {
	for _, in := range a.sim.cfg.Incidents {
		if in.Kind == RedisFlushed && in.At.After(since) && !in.At.After(a.t) {
			return true
		}
	}
	return false
}

func (a *actor) usageReports() {
	if a.redisFlushed(a.act.lastUsage) {
		a.act.lastUsage = time.Time{}
	}
	if !a.act.lastUsage.IsZero() && a.t.Sub(a.act.lastUsage) <= 24*time.Hour {
		a.trace("Skipping activity reports as have processed recently (less than 24 hours ago). Will import again after " + dotnetDateTime(a.act.lastUsage.Add(24*time.Hour)) + ".")
		return
	}
	s := a.t
	t := a.tenant()
	a.trace("\nReading all activity reports from " + itoa(t.DaysBack) + " days back...")
	for _, th := range usageThings {
		a.trace("Importing " + th + " reports...")
	}
	order := a.r.Perm(len(usageThings))
	for _, i := range order {
		th := usageThings[i]
		n := t.Users * t.DaysBack * (40 + a.r.IntN(60)) / 100
		if i >= 6 && i <= 8 { // Yammer: few users
			n = n / 20
		}
		a.adv(between(a.r, 2*time.Second, 25*time.Second))
		a.trace("GraphImporter read " + n0(n) + " " + th + " records from Graph API")
		a.adv(time.Duration(n/50) * time.Millisecond)
		a.trace("Imported " + n0(n) + " " + th + " reports.")
	}
	a.act.lastUsage = a.t
	a.trace("Activity reports imported. Will run again in 24 hours")
	a.finished("FinishedSectionImport", "Usage reports", a.t.Sub(s))
}

func (a *actor) teamName() string {
	names := []string{"Marketing EMEA", "Project Falcon", "IT Service Desk", "Finance Close", "Sales North America", "HR Business Partners", "Legal Review", "Product Launch 2027"}
	return names[a.r.IntN(len(names))]
}

func (a *actor) mailDomain() string {
	d := a.tenant().TenantDomain
	for i := 0; i < len(d); i++ {
		if d[i] == '.' {
			return d[:i] + ".com"
		}
	}
	return d
}

// downloadActivity is ProgramTasks.DownloadActivityData.
func (a *actor) downloadActivity(secretBad bool) {
	t := a.tenant()
	if a.noOrgURLs(a.t) {
		a.marked(MarkNoOrgURLs, func() {
			a.trace("FATAL ERROR: No org URLs found in database! This means everything would be ignored for SharePoint audit data. Add at least one URL to the org_urls table for this to work.")
		})
		return
	}
	began := a.t
	a.trace("\nBeginning import. Filtering for SharePoint events below these URLs:")
	for _, u := range t.OrgURLs {
		a.trace("+" + u)
	}
	a.raw("")
	a.trace("Starting activity import for " + itoa(len(t.OrgURLs)) + " url filters")
	a.raw("Generating new OAuth token...")
	a.adv(between(a.r, 150*time.Millisecond, 900*time.Millisecond))
	if secretBad {
		msg := a.msalError()
		a.marked(MarkAADSecret, func() {
			a.trace(msg) // OAuthContext.GetAccessToken: Telemetry.LogError(ex, ex.Message)
			a.raw("Got exception on DownloadActivityData: " + msg)
		})
		return
	}
	s := a.t
	a.trace("Reading existing Office 365 Activity API subscriptions...")
	a.adv(between(a.r, 300*time.Millisecond, 1500*time.Millisecond))
	for _, w := range t.Workloads {
		a.trace("Subscription for '" + w + "' is already in place and enabled.")
	}
	to := a.t
	from := to.Add(-time.Duration(t.DaysBack) * 24 * time.Hour)
	a.trace("Audit events import: getting changes summary from Office 365 Activity API from '" + dotnetDateTime(from) + "' to '" + dotnetDateTime(to) + "'...")
	a.adv(between(a.r, 4*time.Second, 25*time.Second))
	links := t.AuditPerCycle*3/4 + a.r.IntN(t.AuditPerCycle/2+1)
	threads := (links + 999) / 1000
	a.trace("Audit events import: full-loading activity reports from " + n0(links) + " links, across " + n0(threads) + " thread(s)...")
	total, pending, errors := 0, 0, 0
	progressSteps(links, func(pc, step int) {
		n := step*11 + a.r.IntN(step*8+1) - step*4
		total += n
		pending += n
		a.adv(time.Duration(step) * time.Duration(80+a.r.IntN(80)) * time.Millisecond / time.Duration(threads))
		if a.chance(0.00005 * float64(step)) {
			errors++
			uri := "https://manage.office.com/api/v1.0/" + t.TenantID + "/activity/feed/audit/" + hexID(a.r, 24) + "$" + hexID(a.r, 24) + "$audit_sharepoint$Audit_SharePoint$emea0034"
			a.marked(MarkHandledError, func() {
				a.trace("Got error 'Response status code does not indicate success: 500 (Internal Server Error).' downloading " + uri + ". Will try again on next cycle.")
			})
		}
		for pending >= 20_000 {
			a.trace("Inserting " + n0(20_000) + " records into ##import_staging_event_lookups, across 1 thread(s)...")
			a.adv(between(a.r, 3*time.Second, 12*time.Second))
			pending -= 20_000
		}
		if pc < 100 {
			a.trace(pctLines[pc])
		}
	})
	if pending > 0 {
		a.trace("Inserting " + n0(pending) + " records into ##import_staging_event_lookups, across 1 thread(s)...")
		a.adv(between(a.r, time.Second, 6*time.Second))
	}
	imported := total / (8 + a.r.IntN(10))
	outOfScope := total / (30 + a.r.IntN(40))
	already := total - imported - outOfScope
	a.act.eventsTotal += imported
	a.trace("Audit events import: Got " + n0(total) + " audit events from " + n0(links) + " summary reports. " +
		itoa(imported) + " imported, " + itoa(already) + " processed already, " + itoa(outOfScope) + " URLs out of scope of SharePoint site import whitelist (org_urls)")
	a.finished("FinishedSectionImport", "Audit events import", a.t.Sub(s))
	a.marked(MarkActivityFinished, func() {
		a.trace("Finished activity import. Time taken in = " + n2(a.t.Sub(began).Minutes()) + " minutes. Stats: Imported successfully: " + n0(imported) +
			", already processed: " + n0(already) + ", URLs out of scope (orgs table): " + n0(outOfScope) + ", errors: " + n0(errors) + ", total: " + n0(total))
	})
}
