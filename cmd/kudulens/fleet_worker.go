package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/kudulens/kudulens/internal/escape"
	"github.com/kudulens/kudulens/pipeline/blob"
	"github.com/kudulens/kudulens/report"
)

// Each site of a fleet run is diagnosed in a process of its own: kudulens re-runs itself as
// "diagnose --fleet-worker" with the run's own arguments, reads the site from stdin (JSON:
// its path may hold a SAS, which must not show in the process list) and writes the site's
// summary row and check results to stdout.
//
// Why: the memory of a fleet run must not grow with its sites, and in one process it did. The
// Go heap holds nothing of a finished site (KUDULENS_MEMPROFILE after each site: 2 MB), but
// the process's resident memory grew by about 0.15 MB per MB of a site's logs ingested (7 MB
// per 50 MB site; 0.8 MB per 5 MB site), all of it outside Go: each site's DuckDB database was
// closed (its threads gone), glibc's malloc_trim gave none of it back, and sites read from
// Parquet (no Arrow ingest) did not grow it. Memory a library keeps is given back when the
// process that held it ends. A site that crashes its process (a bug in a parser or in
// DuckDB) is that site's failure, not the run's.

// workerJob is the site a worker diagnoses.
type workerJob struct {
	Site    string `json:"site"`
	Path    string `json:"path"`
	Display string `json:"display"`
	// LakeSite is set when Path is a Parquet lake holding several sites: the one to load.
	LakeSite *string `json:"lakeSite,omitempty"`
	// Token is the run's Entra ID token (--auth modes that sign in): the run asks for one token,
	// not one per site.
	Token *blob.Token `json:"token,omitempty"`
	// Results is the local folder the site's JSON report goes into (--results): the run's
	// own folder, or the stage of a --results container.
	Results string `json:"results,omitempty"`
}

// workerResult is what a worker found.
type workerResult struct {
	Row        report.FleetSite `json:"row"`
	Checks     []siteCheck      `json:"checks"`
	JSONReport string           `json:"jsonReport"`
}

// workerEnv are the variables a fleet run reads through env (tests give their own) and hands
// to its workers; the profiles (KUDULENS_CPUPROFILE, KUDULENS_MEMPROFILE) are the run's own
// and are not handed on.
var workerEnv = []string{"TMPDIR", "AZURE_STORAGE_CONNECTION_STRING", "AZURE_STORAGE_ACCOUNT", "AZURE_STORAGE_KEY",
	"AZURE_CLIENT_ID", "AZURE_AUTHORITY_HOST"}

// diagnoseSiteInWorker runs diagnoseSite for en in a worker process given the arguments of
// the run's diagnose command (fo.args).
func diagnoseSiteInWorker(ctx context.Context, en fleetEntry, fo *fleetOptions, sf *storeFlags, e *env) (report.FleetSite, []siteCheck, string) {
	if en.skip != "" { // not to be opened at all (a named pipe, a symlink): listed here as skipped
		return diagnoseSite(ctx, en, fo, sf, e)
	}
	failed := func(err error) (report.FleetSite, []siteCheck, string) {
		return report.FleetSite{Site: en.site, Source: en.display, Status: "failed", Error: err.Error(),
			Failing: []report.FleetFailure{}, Verdict: "could not be diagnosed"}, nil, ""
	}
	exe, err := os.Executable()
	if err != nil {
		return failed(fmt.Errorf("start a worker process: %w", err))
	}
	wj := workerJob{Site: en.site, Path: en.path, Display: en.display, Results: fo.results}
	if en.lake != nil {
		wj.LakeSite = &en.lake.site
	}
	if blob.IsSource(en.path) {
		if id := sf.blob.options(e).Identity; id != nil {
			tok, err := id.SharedToken(ctx)
			if err != nil {
				return failed(err)
			}
			wj.Token = &tok
		}
	}
	job, err := json.Marshal(wj)
	if err != nil {
		return failed(err)
	}
	cmd := exec.CommandContext(ctx, exe, append([]string{"diagnose", "--fleet-worker"}, fo.args...)...)
	// On an interrupt the worker is asked to stop as a run is (it removes its temporary
	// database folder), and killed only if it has not ended within stopGrace.
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = stopGrace + time.Second
	cmd.Env = workerEnviron(e)
	cmd.Stdin = bytes.NewReader(job)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	runErr := cmd.Run()
	if stderr.Len() > 0 {
		e.stderr.Write(stderr.Bytes()) // the site's warnings, as an in-process run would print them
	}
	var res workerResult
	if runErr == nil {
		if err := json.Unmarshal(stdout.Bytes(), &res); err != nil {
			return failed(fmt.Errorf("worker process: %w", err))
		}
		return res.Row, res.Checks, res.JSONReport
	}
	if ctx.Err() != nil {
		return failed(ctx.Err())
	}
	last := strings.TrimSpace(stderr.String())
	if i := strings.LastIndexByte(last, '\n'); i >= 0 {
		last = last[i+1:]
	}
	if last != "" {
		runErr = fmt.Errorf("%w: %s", runErr, last)
	}
	return failed(fmt.Errorf("worker process: %w", runErr))
}

// workerEnviron is the worker's environment: this process's, with the variables of workerEnv
// as env gives them.
func workerEnviron(e *env) []string {
	drop := map[string]bool{"KUDULENS_CPUPROFILE": true, "KUDULENS_MEMPROFILE": true}
	for _, k := range workerEnv {
		drop[k] = true
	}
	var out []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if !drop[k] {
			out = append(out, kv)
		}
	}
	for _, k := range workerEnv {
		if v := e.env(k); v != "" {
			out = append(out, k+"="+v)
		}
	}
	if testing.Testing() {
		// In a test binary "itself" is the test binary: TestMain runs main for it.
		out = append(out, "KUDULENS_TEST_MAIN=1")
	}
	return out
}

// runFleetWorker is diagnose --fleet-worker: one site, read from stdin, diagnosed in this
// process; the result on stdout.
func runFleetWorker(ctx context.Context, fo *fleetOptions, sf *storeFlags, e *env) int {
	b, err := io.ReadAll(io.LimitReader(e.stdin, 1<<20))
	if err != nil {
		return fatal(e, err)
	}
	var job workerJob
	if err := json.Unmarshal(b, &job); err != nil || job.Site == "" {
		fmt.Fprintln(e.stderr, "kudulens diagnose: --fleet-worker is how a fleet run diagnoses one site: it reads the site (JSON) from stdin")
		return exitUsage
	}
	if job.Token != nil {
		if id := sf.blob.options(e).Identity; id != nil {
			if err := id.SeedToken(*job.Token); err != nil {
				return fatal(e, err)
			}
		}
	}
	fo.results = job.Results
	en := fleetEntry{site: job.Site, path: job.Path, display: job.Display}
	if job.LakeSite != nil {
		en.lake = &lakeSelection{site: *job.LakeSite}
	}
	row, checks, jsonReport := diagnoseSite(ctx, en, fo, sf, e)
	if ctx.Err() != nil {
		return exitInterrupted
	}
	out, err := json.Marshal(workerResult{Row: row, Checks: checks, JSONReport: jsonReport})
	if err != nil {
		return fatal(e, err)
	}
	if _, err := e.stdout.Write(out); err != nil {
		return fatal(e, errors.New(escape.Terminal(err.Error())))
	}
	return exitOK
}
