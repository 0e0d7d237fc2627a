package main

// Flags and plumbing for Azure Blob Storage sources (pipeline/blob*.go).

import (
	"context"
	"fmt"
	"net/url"
	"sync"
	"time"

	"github.com/spf13/pflag"

	"github.com/kudulens/kudulens/internal/escape"
	"github.com/kudulens/kudulens/pipeline"
	"github.com/kudulens/kudulens/pipeline/blob"
	"github.com/kudulens/kudulens/pipeline/store"
)

// blobFlags configure blob sources. Credentials come from flags or the environment and are
// never printed.
type blobFlags struct {
	connectionString string
	account          string
	auth             authFlag
	authorityHost    authorityHostFlag
	tenant           string
	parallel         int
	retries          int
	// parallelFlag is set by a command that registers --parallel itself (diagnose, where it
	// is shared with --fleet); see useParallel.
	parallelFlag string

	// ingest only
	statePath    string
	since, until string

	sinceT, untilT time.Time
	state          *blob.State
	progress       blob.Progress

	// identity is the Entra ID sign-in of the run, made once and shared by its sources
	// (fleet sites too), so that one token serves them all.
	identityOnce sync.Once
	identity     *blob.Identity
}

// authFlag is --auth: checked when the flags are parsed.
type authFlag struct{ mode blob.Auth }

func (a *authFlag) String() string {
	if a.mode == "" {
		return string(blob.AuthDefault)
	}
	return string(a.mode)
}

func (a *authFlag) Set(s string) error {
	m, err := blob.ParseAuth(s)
	if err != nil {
		return fmt.Errorf("want one of %s", blob.AuthModes)
	}
	a.mode = m
	return nil
}

func (a *authFlag) Type() string { return "MODE" }

// authorityHostFlag is --authority-host: an https:// URL, checked when the flags are parsed.
type authorityHostFlag struct{ url string }

func (h *authorityHostFlag) String() string { return h.url }

func (h *authorityHostFlag) Set(s string) error {
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "https" || u.Host == "" || u.RawQuery != "" {
		return fmt.Errorf("want an https:// URL such as https://login.microsoftonline.us (Azure Government) or https://login.chinacloudapi.cn (Azure China)")
	}
	h.url = s
	return nil
}

func (h *authorityHostFlag) Type() string { return "URL" }

func (b *blobFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&b.connectionString, "connection-string", "", "Azure Storage connection string for blob sources (default: $AZURE_STORAGE_CONNECTION_STRING)")
	fs.StringVar(&b.account, "account", "", "storage account of az:// sources (default: $AZURE_STORAGE_ACCOUNT); its key comes from $AZURE_STORAGE_KEY")
	fs.Var(&b.auth, "auth", "blob sources: credential to use: "+blob.AuthModes+"; login, cli, managed-identity and workload-identity sign in with Entra ID (default: the SAS in the URL, else the connection string, else the account key, else anonymous)")
	fs.Var(&b.authorityHost, "authority-host", "Entra ID endpoint of a sovereign cloud for --auth login and workload-identity (default: $AZURE_AUTHORITY_HOST, else the public cloud)")
	fs.StringVar(&b.tenant, "tenant", "", "Entra ID tenant of the storage account for --auth login, cli and workload-identity (default: the signed-in account's)")
	if b.parallelFlag == "" {
		fs.IntVar(&b.parallel, "parallel", 4, "blob sources: blobs downloaded at once")
	}
	fs.IntVar(&b.retries, "retries", 4, "blob sources: retries of a failed request or a broken download, with backoff")
}

// useParallel takes --parallel from a command that registered it itself, when it was given.
func (b *blobFlags) useParallel(fs *pflag.FlagSet, v int) {
	if fs.Changed("parallel") {
		b.parallel = v
	}
}

// registerIngest adds the flags only ingest has.
func (b *blobFlags) registerIngest(fs *pflag.FlagSet) {
	fs.StringVar(&b.statePath, "state", "", "incremental mode for blob sources: remember in FILE what was read; the next run reads only new blobs and appended tails")
	fs.StringVar(&b.since, "since", "", "blob sources: skip application-log blobs whose hour ends before TIME (RFC 3339, or a duration before now such as 36h, 7d or 1w)")
	fs.StringVar(&b.until, "until", "", "blob sources: skip application-log blobs whose hour starts after TIME (RFC 3339, or a duration before now)")
}

// parseTimes reads --since and --until (ingest).
func (b *blobFlags) parseTimes(now time.Time) error {
	var err error
	if b.sinceT, err = timeOrAgo(b.since, now); err != nil {
		return fmt.Errorf("--since: %w", err)
	}
	if b.untilT, err = timeOrAgo(b.until, now); err != nil {
		return fmt.Errorf("--until: %w", err)
	}
	return nil
}

func timeOrAgo(s string, now time.Time) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if d, err := parseAgo(s); err == nil {
		return now.Add(-d).UTC(), nil
	}
	return parseTime(s)
}

// pruneFor makes diagnose prune application-log blobs to what it evaluates: --since when it
// is a time (or a duration before an explicit --at), and --at.
func (b *blobFlags) pruneFor(since string, at time.Time) {
	if since != "" {
		if t, err := parseTime(since); err == nil {
			b.sinceT = t
		} else if d, err := parseAgo(since); err == nil && !at.IsZero() {
			b.sinceT = at.Add(-d)
		}
	}
	b.untilT = at
}

// options are the pipeline options for blob sources.
func (b *blobFlags) options(e *env) *blob.Options {
	o := &blob.Options{
		Parallel: b.parallel,
		Retries:  b.retries,
		Since:    b.sinceT,
		Until:    b.untilT,
		State:    b.state,
		Progress: &b.progress,
	}
	if b.retries == 0 {
		o.Retries = -1 // none (0 means the default in blob.Options)
	}
	switch {
	case b.connectionString != "":
		o.ConnectionString, o.ConnectionStringFrom = b.connectionString, "--connection-string"
	case e.env("AZURE_STORAGE_CONNECTION_STRING") != "":
		o.ConnectionString, o.ConnectionStringFrom = e.env("AZURE_STORAGE_CONNECTION_STRING"), "AZURE_STORAGE_CONNECTION_STRING"
	}
	o.Account = b.account
	if o.Account == "" {
		o.Account = e.env("AZURE_STORAGE_ACCOUNT")
	}
	if k := e.env("AZURE_STORAGE_KEY"); k != "" {
		o.Key, o.KeyFrom = k, "AZURE_STORAGE_KEY"
	}
	o.Auth = b.auth.mode
	if o.Auth.SignsIn() {
		o.Identity = b.signIn(e)
	}
	return o
}

// signIn is the run's Entra ID identity. If the environment's AZURE_AUTHORITY_HOST is not
// an https:// URL it is nil: each source then makes its own, and azidentity, which reads
// that variable too, says what is wrong in the source's error.
func (b *blobFlags) signIn(e *env) *blob.Identity {
	b.identityOnce.Do(func() {
		o := blob.IdentityOptions{TenantID: b.tenant, ClientID: e.env("AZURE_CLIENT_ID")}
		switch {
		case b.authorityHost.url != "":
			o.AuthorityHost, o.AuthorityHostFrom = b.authorityHost.url, "--authority-host"
		case e.env("AZURE_AUTHORITY_HOST") != "":
			o.AuthorityHost, o.AuthorityHostFrom = e.env("AZURE_AUTHORITY_HOST"), "AZURE_AUTHORITY_HOST"
		}
		b.identity, _ = blob.NewIdentity(b.auth.mode, o)
	})
	return b.identity
}

// loadState loads the --state file, if any, against the database.
func (b *blobFlags) loadState(ctx context.Context, database *store.Store, db string, e *env) error {
	if b.statePath == "" {
		return nil
	}
	st, err := blob.LoadState(ctx, b.statePath, database, db)
	if err != nil {
		return err
	}
	for _, n := range st.Notes() {
		fmt.Fprintf(e.stderr, "kudulens: %s\n", escape.Terminal(n))
	}
	b.state = st
	return nil
}

// saveState writes the --state file after the run and says what the run did.
func (b *blobFlags) saveState(sum *pipeline.Summary, runErr error, e *env) error {
	if b.state == nil {
		return nil
	}
	if err := b.state.Save(sum.BlobOutcomes(), runErr); err != nil {
		return err
	}
	s := b.state.Stats()
	fmt.Fprintf(e.stdout, "state %s: %d blobs unchanged, %d new, %d appended tails", b.statePath, s.Unchanged, s.New, s.Tails)
	if s.Recovered > 0 {
		fmt.Fprintf(e.stdout, ", %d pieces of an interrupted run recovered", s.Recovered)
	}
	if s.Forgotten > 0 {
		fmt.Fprintf(e.stdout, ", %d entries dropped", s.Forgotten)
	}
	fmt.Fprintln(e.stdout)
	return nil
}

// progressText is the blob part of the progress line ("" without blob sources).
func (b *blobFlags) progressText(elapsed time.Duration) string {
	p := &b.progress
	listed := p.Listed.Load()
	if listed == 0 && p.Unchanged.Load() == 0 {
		return ""
	}
	got, total := p.Bytes.Load(), p.ListedBytes.Load()
	return fmt.Sprintf("blobs %d/%d, %.1f of %.1f MB downloaded, %s", p.Started.Load(), listed, float64(got)/1e6, float64(total)/1e6, eta(got, total, elapsed))
}
