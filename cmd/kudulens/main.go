// Command kudulens analyses Azure App Service web-job logs of the Office 365 Advanced Analytics
// Engine offline: it reads Kudu job logs and application logs from files, folders and bundles
// into an embedded DuckDB database and answers questions about them.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"syscall"
	"time"

	"github.com/spf13/pflag"

	"github.com/kudulens/kudulens/internal/escape"
)

// Exit codes (documented in the README and in `kudulens help`).
const (
	exitOK          = 0
	exitCheckFailed = 1 // diagnose: a check failed at or above --fail-on
	exitUsage       = 2 // bad command line
	exitInputFailed = 3 // some inputs could not be read completely; the rest was processed
	exitFatal       = 4 // the run could not complete (database unusable, output not writable, ...)
	exitInterrupted = 130
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// stopGrace is how long a run may take to wind down after SIGINT or SIGTERM (finish the
// transaction at hand, close the database) before the process ends without waiting.
const stopGrace = 2 * time.Second

func main() {
	ctx, cancel := context.WithCancel(context.Background())
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-sigs
		cancel()
		// Whatever does not heed the cancellation (a read blocked in the kernel, a long call
		// into DuckDB) must not keep the process alive: a signal always ends the run. Ending
		// here is like a kill, which the database survives (each file is one transaction).
		select {
		case <-sigs:
		case <-time.After(stopGrace):
		}
		fmt.Fprintf(os.Stderr, "kudulens: interrupted: the run did not wind down within %s and was ended; every committed file is whole, run the same command again to read the rest\n", stopGrace)
		os.Exit(exitInterrupted)
	}()
	stopProfile := startProfile(os.Getenv("KUDULENS_CPUPROFILE"))
	code := run(ctx, os.Args[1:], &env{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr})
	stopProfile()
	writeHeapProfile(os.Getenv("KUDULENS_MEMPROFILE"))
	signal.Stop(sigs)
	cancel()
	os.Exit(code)
}

// startProfile writes a Go CPU profile of the run to path when set (KUDULENS_CPUPROFILE, for
// the speed work in bench/: go tool pprof bin/kudulens FILE). Time spent inside DuckDB shows
// as cgo calls.
func startProfile(path string) (stop func()) {
	if path == "" {
		return func() {}
	}
	f, err := os.Create(path)
	if err == nil {
		err = pprof.StartCPUProfile(f)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "kudulens: KUDULENS_CPUPROFILE: %v\n", err)
		return func() {}
	}
	return func() { pprof.StopCPUProfile(); f.Close() }
}

// writeHeapProfile writes a Go heap profile at the end of the run to path when set
// (KUDULENS_MEMPROFILE: what the Go heap still holds, e.g. what a fleet run keeps per site;
// go tool pprof -sample_index=inuse_space bin/kudulens FILE). Memory DuckDB allocates in C is
// not in it.
func writeHeapProfile(path string) {
	if path == "" {
		return
	}
	runtime.GC() // the profile's in-use numbers are as of the last collection
	f, err := os.Create(path)
	if err == nil {
		err = pprof.WriteHeapProfile(f)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "kudulens: KUDULENS_MEMPROFILE: %v\n", err)
	}
}

// env is the process environment a command runs in; tests give their own.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
	// flagSets, when set, is given each flag set a command makes (newFlagSet): kudulens
	// completion reads the commands' flags from them.
	flagSets func(*pflag.FlagSet)
}

func (e *env) env(k string) string {
	if e.getenv != nil {
		return e.getenv(k)
	}
	return os.Getenv(k)
}

type command struct {
	name, summary string
	run           func(ctx context.Context, args []string, e *env) int
}

func commands() []command {
	return []command{
		{"ingest", "read logs into a database", runIngest},
		{"diagnose", "run the monitoring guide's checks and report", runDiagnose},
		{"checks", "list the checks", runChecks},
		{"query", "run SQL or KQL on the tables", runQuery},
		{"export", "write the tables as partitioned Parquet", runExport},
		{"show", "print the lines around an evidence reference FILE:LINE", runShow},
		{"diff", "compare two bundles of one site: checks, exception types, cycle times", runDiff},
		{"version", "print the version, commit and DuckDB version", runVersion},
		{"completion", "print a shell completion script: bash, zsh or powershell", runCompletion},
	}
}

func run(ctx context.Context, args []string, e *env) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(e.stdout)
		if len(args) == 0 {
			return exitUsage
		}
		return exitOK
	}
	if args[0] == "--version" || args[0] == "-v" {
		return runVersion(ctx, args[1:], e)
	}
	var names []string
	for _, c := range commands() {
		names = append(names, c.name)
		if c.name == args[0] {
			code := c.run(ctx, args[1:], e)
			if code != exitOK && ctx.Err() != nil {
				return exitInterrupted
			}
			return code
		}
	}
	hint := ""
	if c := closest(args[0], names); c != "" {
		hint = fmt.Sprintf("; did you mean %q?", c)
	}
	fmt.Fprintf(e.stderr, "kudulens: unknown command %q%s (see kudulens help)\n", escape.Terminal(args[0]), hint)
	return exitUsage
}

func usage(w io.Writer) {
	fmt.Fprint(w, `kudulens analyses Azure App Service web-job logs (Kudu job logs, application logs) offline.

Usage: kudulens <command> [flags] [SOURCE...]

Commands:
`)
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
	fmt.Fprint(w, `
SOURCE is a file, a folder (read recursively), a .zip/.tar/.tar.gz/.gz/.zst bundle (archives
nested in archives too), - for standard input, or an Azure Blob Storage container (with a
prefix): https://<account>.blob.core.windows.net/<container>[/<prefix>][?<SAS>] (any endpoint
host, e.g. a private endpoint) or az://<container>[/<prefix>] (see kudulens ingest --help).

Exit codes: 0 ok; 1 a check failed (diagnose); 2 usage error; 3 some inputs failed (the rest was
processed), or diagnose found no log lines to judge; 4 the run failed; 130 interrupted.

Examples:
  kudulens diagnose customer-bundle.zip
  kudulens diagnose customer-bundle.zip --out report.html
  kudulens query customer-bundle.zip --kql 'exceptions | summarize count() by outerType'

Run 'kudulens <command> --help' for a command's flags and examples; kudulens --version (-v)
for the version, commit and DuckDB version.
`)
}

// fatal prints err and returns the exit code for it.
func fatal(e *env, err error) int {
	if errors.Is(err, context.Canceled) {
		fmt.Fprintln(e.stderr, "kudulens: interrupted")
		return exitInterrupted
	}
	// An error names files and quotes what was read: text from the bundle.
	fmt.Fprintf(e.stderr, "kudulens: %s\n", escape.TerminalLines(err.Error()))
	return exitFatal
}
