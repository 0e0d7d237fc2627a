// Command kudugen writes simulated Azure App Service web-job logs of the Office 365 Advanced
// Analytics Engine (package bench/gen): big single files for benchmarks, whole bundles, and
// the committed sample bundle.
//
//	kudugen --kind kudu --size 1GB --compress zstd --seed 1 --out bench/data/kudu-1g.log.zst
//	kudugen --kind applog-csv --size 512MB --out bench/data/applog.csv.gz
//	kudugen --kind bundle --size 200MB --out bench/data/bundle
//	kudugen --scenario sample --out fixtures
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/kudulens/kudulens/bench/gen"
)

func main() {
	// Generation allocates many short strings and keeps almost nothing: trade memory for
	// less GC work.
	debug.SetGCPercent(400)
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "kudugen:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout, stderr io.Writer) error {
	fl := pflag.NewFlagSet("kudugen", pflag.ContinueOnError)
	fl.SetOutput(stderr)
	kind := fl.String("kind", gen.KindKudu, "output kind: kudu, applog-csv, applog-txt, bundle")
	size := fl.String("size", "", "stop after this much (uncompressed) output, e.g. 64MB, 1GB, 2GiB (kinds kudu, applog-*, bundle)")
	compress := fl.String("compress", "", "none, gzip or zstd (default: from the --out extension)")
	seed := fl.Uint64("seed", 1, "random seed; the same seed and options give byte-identical output")
	out := fl.String("out", "", "output file (\"-\" for stdout), or directory for --kind bundle and --scenario")
	instances := fl.Int("instances", 2, "number of App Service instances")
	job := fl.String("job", "", "only this job (AppInsightsImporter or Office365ActivityImporter); default both")
	start := fl.String("start", "2026-01-05T06:00:00Z", "simulation start (RFC 3339)")
	end := fl.String("end", "", "simulation end (RFC 3339); needed when --size is not given")
	capLines := fl.Bool("cap", false, "kind kudu: apply Kudu's 200 console lines per run cap")
	chaos := fl.Float64("chaos", 1, "rate of random failures (0 = none, 1 = realistic)")
	scenario := fl.String("scenario", "", "write a fixed scenario instead: sample")
	quiet := fl.Bool("quiet", false, "do not print a summary")
	fl.SortFlags = false
	if err := fl.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return nil
		}
		return err
	}
	if *out == "" {
		return errors.New("--out is required")
	}
	if *scenario != "" {
		if *scenario != "sample" {
			return fmt.Errorf("unknown scenario %q (known: sample)", *scenario)
		}
		began := time.Now()
		files, err := gen.SampleFiles()
		if err != nil {
			return err
		}
		if err := gen.WriteFiles(*out, files); err != nil {
			return err
		}
		if !*quiet {
			fmt.Fprintf(stdout, "wrote %d files under %s in %s\n", len(files), *out, time.Since(began).Round(time.Millisecond))
		}
		return nil
	}

	startT, err := time.Parse(time.RFC3339, *start)
	if err != nil {
		return fmt.Errorf("--start: %w", err)
	}
	cfg := gen.BenchConfig(*seed, startT, *instances)
	cfg.Chaos = *chaos
	if *end != "" {
		if cfg.End, err = time.Parse(time.RFC3339, *end); err != nil {
			return fmt.Errorf("--end: %w", err)
		}
	}
	var limit int64
	if *size != "" {
		if limit, err = parseSize(*size); err != nil {
			return fmt.Errorf("--size: %w", err)
		}
	}
	if limit == 0 && cfg.End.IsZero() {
		return errors.New("give --size or --end")
	}
	began := time.Now()
	if *kind == "bundle" {
		res, err := gen.WriteBundle(gen.DirSink{Dir: *out}, gen.BundleOptions{Config: cfg, Size: limit, Kudu: gen.KuduOptions{Cap: true}})
		if err != nil {
			return err
		}
		if !*quiet {
			report(stdout, res.Bytes, res.Bytes, time.Since(began))
		}
		return nil
	}

	comp := *compress
	if comp == "" {
		comp = gen.CompressionFor(*out)
	}
	var dst io.Writer
	var file *os.File
	if *out == "-" {
		dst = stdout
	} else {
		if err := os.MkdirAll(filepath.Dir(*out), 0o755); err != nil {
			return err
		}
		if file, err = os.Create(*out); err != nil {
			return err
		}
		dst = file
	}
	cw := &counter{w: dst}
	zw, err := gen.NewCompressor(cw, comp)
	if err != nil {
		return err
	}
	// Generate on this goroutine, compress and write on another.
	aw := gen.NewAsyncWriter(zw, 4<<20)
	n, err := gen.Generate(aw, gen.GenerateOptions{Config: cfg, Kind: *kind, Size: limit, Job: *job, Kudu: gen.KuduOptions{Cap: *capLines}})
	if cerr := aw.Close(); err == nil {
		err = cerr
	}
	if cerr := zw.Close(); err == nil {
		err = cerr
	}
	if file != nil {
		if cerr := file.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		return err
	}
	if !*quiet && *out != "-" {
		report(stdout, n, cw.n, time.Since(began))
	}
	return nil
}

func report(w io.Writer, raw, written int64, d time.Duration) {
	mb := float64(raw) / 1e6
	fmt.Fprintf(w, "generated %.1f MB (%.1f MB written) in %s: %.0f MB/s\n", mb, float64(written)/1e6, d.Round(time.Millisecond), mb/d.Seconds())
}

type counter struct {
	w io.Writer
	n int64
}

func (c *counter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// parseSize parses "123", "64KB", "1.5GB" (powers of 1000) and "64KiB", "2GiB" (powers of 1024).
func parseSize(s string) (int64, error) {
	s = strings.TrimSpace(s)
	units := []struct {
		suffix string
		mult   float64
	}{
		{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"TiB", 1 << 40},
		{"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"TB", 1e12},
		{"K", 1e3}, {"M", 1e6}, {"G", 1e9}, {"T", 1e12}, {"B", 1},
	}
	mult := 1.0
	for _, u := range units {
		if len(s) > len(u.suffix) && strings.EqualFold(s[len(s)-len(u.suffix):], u.suffix) {
			mult = u.mult
			s = strings.TrimSpace(s[:len(s)-len(u.suffix)])
			break
		}
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || v < 0 {
		return 0, fmt.Errorf("bad size %q", s)
	}
	return int64(v * mult), nil
}
