// Command kudubench measures kudulens against its floors, DuckDB's own load and parse, and
// lnav, on the same generated inputs in one run, and writes a markdown report
// (bench/RESULTS.md). make bench runs it; see bench/README.md.
//
//	kudubench --size 200MB --out bench/RESULTS.md           # the quick table
//	kudubench --size 200MB --full --out bench/RESULTS.md    # plus 1 GB and 4 GB memory rows
//
// Every measurement runs in a process of its own (in-process rows re-execute kudubench as
// "kudubench row NAME ARGS..."), so that its peak RSS comes from wait4 and nothing is shared
// between rows.
package main

import (
	"errors"
	"fmt"
	"os"
	"runtime/debug"
	"runtime/pprof"
	"strings"

	"github.com/kudulens/kudulens/internal/outfile"
	"github.com/spf13/pflag"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "row" {
		// KUDUBENCH_CPUPROFILE=file profiles one row: kudubench row arrow FILE.
		if path := os.Getenv("KUDUBENCH_CPUPROFILE"); path != "" {
			f, err := os.Create(path)
			if err == nil && pprof.StartCPUProfile(f) == nil {
				defer pprof.StopCPUProfile()
			}
		}
		if err := runRow(os.Args[2:]); err != nil {
			fmt.Fprintln(os.Stderr, "kudubench row:", err)
			pprof.StopCPUProfile()
			os.Exit(1)
		}
		return
	}
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "kudubench:", err)
		os.Exit(1)
	}
}

type config struct {
	dataDir  string
	size     string
	full     bool
	out      string
	kudugen  string
	kudulens string
	lnav     string
	runs     int
	seed     uint64
	micro    string
	only     string
	fleet    string // "20x50MB": the fleet row's sites and size per site; "" skips it
}

func run(args []string) error {
	var c config
	fs := pflag.NewFlagSet("kudubench", pflag.ContinueOnError)
	fs.StringVar(&c.dataDir, "data", "bench/data", "where inputs are generated (kept between runs) and databases written")
	fs.StringVar(&c.size, "size", "200MB", "size of the main input (uncompressed)")
	fs.BoolVar(&c.full, "full", false, "also measure peak RSS on 1 GB and 4 GB inputs")
	fs.StringVar(&c.out, "out", "bench/RESULTS.md", "markdown report to write (\"\" for none)")
	fs.StringVar(&c.kudugen, "kudugen", "bin/kudugen", "kudugen binary")
	fs.StringVar(&c.kudulens, "kudulens", "bin/kudulens", "kudulens binary")
	fs.StringVar(&c.lnav, "lnav", "lnav", "lnav binary (\"\" skips the lnav rows)")
	fs.IntVar(&c.runs, "runs", 3, "runs per row on the main input; the fastest counts")
	fs.Uint64Var(&c.seed, "seed", 1, "generator seed")
	fs.StringVar(&c.micro, "micro", "", "output of go test -bench for the parser, to quote in the report")
	fs.StringVar(&c.fleet, "fleet", "20x50MB", "the fleet row: SITESxSIZE generated bundles (one per site) diagnosed by one diagnose --fleet run (\"\" skips it)")
	fs.StringVar(&c.only, "only", "", "comma-separated row ids to run (for experiments; the report is then partial)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return nil
		}
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	debug.SetGCPercent(100)
	b, err := newBench(c)
	if err != nil {
		return err
	}
	if err := b.measure(); err != nil {
		return err
	}
	report := b.report()
	fmt.Print(report)
	if c.out != "" && c.only == "" {
		return outfile.Write(c.out, []byte(report), 0o644)
	}
	return nil
}

func (c *config) wants(id string) bool {
	if c.only == "" {
		return true
	}
	for _, s := range strings.Split(c.only, ",") {
		if s == id {
			return true
		}
	}
	return false
}
