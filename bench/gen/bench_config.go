package gen

import (
	"math/rand/v2"
	"time"
)

// BenchConfig returns the configuration kudugen uses for benchmark data: instances
// instances, realistic random failures (Chaos 1), a site restart every few days, and a
// random schedule of incidents over the years after start (an expired client secret fixed a
// day or two later, short read-only database windows, a redeploy with a schema mismatch
// fixed by the next deployment, an empty org_urls table). The simulation itself is unbounded;
// the caller stops it by size.
func BenchConfig(seed uint64, start time.Time, instances int) Config {
	if start.IsZero() {
		start = time.Date(2026, 1, 5, 6, 0, 0, 0, time.UTC)
	}
	if instances <= 0 {
		instances = 2
	}
	cfg := Config{
		Seed:             seed,
		Start:            start,
		NumInstances:     instances,
		Chaos:            1,
		SiteRestartEvery: 4 * 24 * time.Hour,
	}
	r := rand.New(rand.NewPCG(seed, 0xbe))
	t := start.Add(between(r, 2*24*time.Hour, 6*24*time.Hour))
	horizon := start.Add(5 * 365 * 24 * time.Hour)
	for t.Before(horizon) {
		switch r.IntN(4) {
		case 0:
			fix := t.Add(between(r, 6*time.Hour, 60*time.Hour))
			cfg.Incidents = append(cfg.Incidents, Incident{Kind: SecretExpired, At: t, Until: fix})
		case 1:
			cfg.Incidents = append(cfg.Incidents, Incident{Kind: SQLReadOnly, At: t, Cycles: 1 + r.IntN(5)})
		case 2:
			job := Jobs[r.IntN(len(Jobs))]
			fix := t.Add(between(r, 20*time.Minute, 5*time.Hour))
			cfg.Incidents = append(cfg.Incidents,
				Incident{Kind: Redeploy, Job: job, At: t},
				Incident{Kind: SchemaMismatch, Job: job, At: t, Until: fix},
				Incident{Kind: Redeploy, Job: job, At: fix})
		case 3:
			cfg.Incidents = append(cfg.Incidents, Incident{Kind: NoOrgURLs, At: t, Until: t.Add(between(r, time.Hour, 30*time.Hour))})
		}
		t = t.Add(between(r, 5*24*time.Hour, 30*24*time.Hour))
	}
	return cfg
}
