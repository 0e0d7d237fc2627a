package gen

import (
	"errors"
	"hash/fnv"
	"math/rand/v2"
	"slices"
	"sort"
	"time"
)

// Config describes a simulation. The zero value of every optional field has a sensible default
// (see Defaults); Seed and Start are the fields that matter.
type Config struct {
	// Seed makes the run reproducible: the same Config gives the same events.
	Seed uint64
	// Start is when the site (and both jobs) first start. Default 2026-01-05T06:00:00Z.
	Start time.Time
	// End is the capture time: nothing at or after it is produced, and the job states at End
	// are what status files show. Zero means the simulation never ends (the consumer stops).
	End time.Time
	// Site is the App Service name (application-log applicationName, blob folder).
	Site string
	// Instances are the short instance ids (6 lower-case hex digits). Default: Instances
	// generated ids (or one if NumInstances is 0).
	Instances    []string
	NumInstances int
	// Jobs lists the web-jobs to run. Default both.
	Jobs []string
	// Build is the BuildLabel app setting printed at start-up. Default "Build 1312".
	Build string
	// Settings is the ImportJobSettings app setting. The zero value means all imports enabled.
	Settings ImportJobSettings
	// Tenant holds customer-specific values (SQL server, tenant domain, URLs...). Zero fields
	// are filled from the seed.
	Tenant Tenant
	// Incidents are scripted events (site restarts, redeploys, expired secret, ...).
	Incidents []Incident
	// Chaos scales the rate of random failures (handled errors, crashes, webhook errors,
	// throttling); 0 disables them, 1 is a realistic rate for a troubled but working
	// installation. Benign noise (successful throttle retries, missing Teams tokens,
	// out-of-scope URLs) is always on.
	Chaos float64
	// SiteRestartEvery is the mean interval of random site restarts (platform maintenance,
	// configuration changes). Zero disables random restarts.
	SiteRestartEvery time.Duration
	// AppInsightsConnectionMissing makes both jobs start without an App Insights connection
	// string (they then print the WARNING line first).
	AppInsightsConnectionMissing bool
}

// ImportJobSettings mirrors the ImportJobSettings app setting: every import is enabled unless
// its Disable field is set.
type ImportJobSettings struct {
	DisableCalls              bool
	DisableGraphUsersMetadata bool
	DisableGraphUserApps      bool
	DisableGraphUsageReports  bool
	DisableGraphTeams         bool
	DisableActivityLog        bool
	DisableWebTraffic         bool
}

// String is the setting as the installer writes it (ImportTaskSettings.ToSettingsString).
func (s ImportJobSettings) String() string {
	b := func(disabled bool) string {
		if disabled {
			return "False"
		}
		return "True"
	}
	return "Calls=" + b(s.DisableCalls) + ";GraphUsersMetadata=" + b(s.DisableGraphUsersMetadata) +
		";GraphUserApps=" + b(s.DisableGraphUserApps) + ";GraphUsageReports=" + b(s.DisableGraphUsageReports) +
		";GraphTeams=" + b(s.DisableGraphTeams) + ";ActivityLog=" + b(s.DisableActivityLog) +
		";WebTraffic=" + b(s.DisableWebTraffic)
}

// IncidentKind says what an Incident does.
type IncidentKind uint8

const (
	// SiteRestart stops every job on every instance at At (Kudu "WebJob is stopping due to
	// website shutting down"); the site comes back Down later with a new SCM process id.
	SiteRestart IncidentKind = iota + 1
	// Redeploy replaces Job's binaries at At: Kudu refreshes (stops and restarts) the job.
	Redeploy
	// SecretExpired makes every AAD token request fail with AADSTS7000215 from At (until
	// Until, if set): the Activity importer's call webhook, Graph and Activity API imports fail.
	SecretExpired
	// SQLReadOnly makes the database read-only for the first Cycles AppInsightsImporter
	// cycles that start at or after At (one "Got SQL error" and two page-update chunk errors each).
	SQLReadOnly
	// SchemaMismatch makes every process of Job started at or after At (and before Until, if
	// set) crash at start-up with the Entity Framework "model backing the context has
	// changed" InvalidOperationException.
	SchemaMismatch
	// NoOrgURLs empties the org_urls table from At (until Until): Activity cycles log the
	// FATAL ERROR line and skip the audit import.
	NoOrgURLs
	// RedisFlushed loses the Redis cache's data at At (e.g. a Basic-tier cache patched):
	// the next Activity cycle imports the usage reports and uploads the usage stats again.
	RedisFlushed
)

// Incident is one scripted event of a scenario.
type Incident struct {
	Kind   IncidentKind
	At     time.Time
	Until  time.Time     // SecretExpired, NoOrgURLs, SchemaMismatch: end of the condition (zero = open-ended)
	Job    string        // Redeploy, SchemaMismatch
	Down   time.Duration // SiteRestart: how long the site stays down (default 40 s)
	Cycles int           // SQLReadOnly: affected cycles (default 3)
}

// Tenant holds the customer-specific values printed in the logs.
type Tenant struct {
	SQLServer     string   // e.g. contoso-sql.privatelink.database.windows.net
	Database      string   // e.g. AnalyticsDB
	TenantDomain  string   // e.g. contoso.onmicrosoft.com
	TenantID      string   // GUID
	ClientID      string   // GUID of the AAD app registration
	WebAppURL     string   // https://<site>.azurewebsites.net/
	SharePoint    string   // https://contoso.sharepoint.com
	OrgURLs       []string // org_urls filter entries, "(*)" suffix for sub-sites
	Workloads     []string // ContentTypesListAsString
	DaysBack      int      // DaysBeforeNowToDownload
	Users         int      // users in the tenant
	Teams         int      // Teams in the tenant
	HitsPerHour   int      // page views per business hour
	AuditPerCycle int      // activity content links (summaries) per cycle
}

// Defaults returns c with every unset field filled in.
func (c Config) Defaults() Config {
	if c.Start.IsZero() {
		c.Start = time.Date(2026, 1, 5, 6, 0, 0, 0, time.UTC)
	}
	c.Start = c.Start.UTC()
	if !c.End.IsZero() {
		c.End = c.End.UTC()
	}
	if c.Site == "" {
		c.Site = "contoso-analytics"
	}
	if len(c.Instances) == 0 {
		n := c.NumInstances
		if n <= 0 {
			n = 1
		}
		r := rand.New(rand.NewPCG(c.Seed, 0x1d))
		for range n {
			c.Instances = append(c.Instances, hexID(r, 6))
		}
	}
	if len(c.Jobs) == 0 {
		c.Jobs = slices.Clone(Jobs)
	}
	if c.Build == "" {
		c.Build = "Build 1312"
	}
	c.Tenant = c.Tenant.defaults(c.Seed, c.Site)
	return c
}

func (t Tenant) defaults(seed uint64, site string) Tenant {
	r := rand.New(rand.NewPCG(seed, 0x7e))
	if t.SQLServer == "" {
		t.SQLServer = "contoso-sql.privatelink.database.windows.net"
	}
	if t.Database == "" {
		t.Database = "AnalyticsDB"
	}
	if t.TenantDomain == "" {
		t.TenantDomain = "contoso.onmicrosoft.com"
	}
	if t.TenantID == "" {
		t.TenantID = guid(r)
	}
	if t.ClientID == "" {
		t.ClientID = guid(r)
	}
	if t.WebAppURL == "" {
		t.WebAppURL = "https://" + site + ".azurewebsites.net/"
	}
	if t.SharePoint == "" {
		t.SharePoint = "https://contoso.sharepoint.com"
	}
	if len(t.OrgURLs) == 0 {
		t.OrgURLs = []string{t.SharePoint + " (*)", t.SharePoint + "/sites/intranet (exact match)", t.SharePoint + "/sites/communications (*)"}
	}
	if len(t.Workloads) == 0 {
		t.Workloads = []string{"Audit.SharePoint", "Audit.General", "Audit.Exchange", "Audit.AzureActiveDirectory"}
	}
	if t.DaysBack == 0 {
		t.DaysBack = 6
	}
	if t.Users == 0 {
		t.Users = 4_812
	}
	if t.Teams == 0 {
		t.Teams = 236
	}
	if t.HitsPerHour == 0 {
		t.HitsPerHour = 2_400
	}
	if t.AuditPerCycle == 0 {
		t.AuditPerCycle = 1_800
	}
	return t
}

// Simulator produces the events of a Config in time order.
type Simulator struct {
	cfg    Config
	actors []*actor
	site   siteSchedule
	done   bool
}

// New returns a simulator for cfg (after Defaults).
func New(cfg Config) (*Simulator, error) {
	cfg = cfg.Defaults()
	for _, id := range cfg.Instances {
		if len(id) != 6 {
			return nil, errors.New("gen: instance ids must have 6 characters: " + id)
		}
	}
	for _, j := range cfg.Jobs {
		if j != AppInsightsImporter && j != Office365ActivityImporter {
			return nil, errors.New("gen: unknown job " + j)
		}
	}
	s := &Simulator{cfg: cfg}
	s.site.init(cfg)
	idx := 0
	for ii, inst := range cfg.Instances {
		in := &instance{id: inst, idx: ii, seed: cfg.Seed}
		for _, job := range cfg.Jobs {
			a := newActor(s, idx, job, in)
			s.actors = append(s.actors, a)
			idx++
		}
	}
	return s, nil
}

// Config returns the effective configuration (with defaults applied).
func (s *Simulator) Config() Config { return s.cfg }

// Next returns the next event, or nil when the simulation has reached Config.End. The event
// is valid until the next call.
func (s *Simulator) Next() *Event {
	if s.done {
		return nil
	}
	var best *actor
	var bestEv *Event
	for _, a := range s.actors {
		e := a.head()
		if e == nil {
			continue
		}
		if bestEv == nil || e.Time.Before(bestEv.Time) {
			best, bestEv = a, e
		}
	}
	if best == nil {
		s.done = true
		return nil
	}
	best.qh++
	return bestEv
}

// Run calls fn for every event until the simulation ends or fn returns an error
// (ErrStop ends the run without an error).
func (s *Simulator) Run(fn func(*Event) error) error {
	for {
		e := s.Next()
		if e == nil {
			return nil
		}
		if err := fn(e); err != nil {
			if errors.Is(err, ErrStop) {
				return nil
			}
			return err
		}
	}
}

// ErrStop can be returned by a Run callback to end the run early without an error.
var ErrStop = errors.New("gen: stop")

// instance is one App Service instance (VM).
type instance struct {
	id   string
	idx  int
	seed uint64
}

// pid returns the SCM worker process id of the instance after its k-th site restart.
// Windows process ids are multiples of 4.
func (in *instance) pid(k int) int {
	h := fnv.New64a()
	var b [16]byte
	for i := range 8 {
		b[i] = byte(in.seed >> (8 * i))
		b[8+i] = byte(uint64(k) >> (8 * i))
	}
	h.Write(b[:])
	h.Write([]byte(in.id))
	return 4 * (300 + int(h.Sum64()%2200))
}

// siteSchedule holds the site restarts (scripted and random), sorted by time.
type siteSchedule struct {
	restarts []Incident
	r        *rand.Rand
	mean     time.Duration
	upTo     time.Time // random restarts are generated up to here
	scripted []Incident
}

func (ss *siteSchedule) init(cfg Config) {
	for _, in := range cfg.Incidents {
		if in.Kind == SiteRestart {
			if in.Down <= 0 {
				in.Down = 40 * time.Second
			}
			ss.scripted = append(ss.scripted, in)
		}
	}
	ss.mean = cfg.SiteRestartEvery
	ss.r = rand.New(rand.NewPCG(cfg.Seed, 0x5e))
	ss.upTo = cfg.Start
	ss.restarts = slices.Clone(ss.scripted)
	sort.Slice(ss.restarts, func(i, j int) bool { return ss.restarts[i].At.Before(ss.restarts[j].At) })
}

// extend makes sure random restarts are known past t.
func (ss *siteSchedule) extend(t time.Time) {
	if ss.mean <= 0 {
		return
	}
	changed := false
	for !ss.upTo.After(t) {
		gap := time.Duration(ss.r.ExpFloat64() * float64(ss.mean))
		if gap < 2*time.Hour {
			gap = 2*time.Hour + time.Duration(ss.r.Int64N(int64(time.Hour)))
		}
		ss.upTo = ss.upTo.Add(gap)
		ss.restarts = append(ss.restarts, Incident{Kind: SiteRestart, At: ss.upTo, Down: between(ss.r, 20*time.Second, 3*time.Minute)})
		changed = true
	}
	if changed {
		sort.SliceStable(ss.restarts, func(i, j int) bool { return ss.restarts[i].At.Before(ss.restarts[j].At) })
	}
}

// next returns the first restart at or after t (for instance idx, whose restart is offset a
// few seconds per instance) and the number of restarts before it.
func (ss *siteSchedule) next(t time.Time, idx int) (Incident, int, bool) {
	ss.extend(t.Add(48 * time.Hour))
	off := time.Duration(idx) * 7 * time.Second
	i := sort.Search(len(ss.restarts), func(i int) bool { return !ss.restarts[i].At.Add(off).Before(t) })
	if i == len(ss.restarts) {
		return Incident{}, i, false
	}
	in := ss.restarts[i]
	in.At = in.At.Add(off)
	return in, i, true
}
