package main

import (
	"fmt"
	"hash/fnv"
	"path"
	"strconv"
	"strings"
)

// Site selection of a fleet run (--shard K/N, --sites GLOB): which of a fleet's sites this
// run diagnoses, so that N machines can each take a part of one fleet.
//
// A site is in shard K of N when 1 + FNV-1a-32(site name) mod N = K: the assignment depends on
// the site's name only (not on the order of the listing, nor on the other sites), so a site
// stays in its shard from night to night while sites come and go, and the N shards together
// take every site exactly once. The name is the site name as reports show it (after archive
// extensions are cut and secrets redacted).
//
// --sites takes path.Match patterns on the site name (* ? [a-z] \ escapes), repeated or
// comma-separated; a site is selected when any pattern matches. With both flags a site must
// match a pattern and be in the shard.

// siteSelection is the part of a fleet a run takes; the zero value takes every site.
type siteSelection struct {
	k, n  int      // shard K of N; n == 0: no --shard
	globs []string // --sites patterns; none: every site
}

// parseShard reads --shard K/N.
func parseShard(s string) (k, n int, err error) {
	ks, ns, ok := strings.Cut(s, "/")
	if ok {
		k, err = strconv.Atoi(strings.TrimSpace(ks))
	}
	if ok && err == nil {
		n, err = strconv.Atoi(strings.TrimSpace(ns))
	}
	if !ok || err != nil || n < 1 || k < 1 || k > n {
		return 0, 0, fmt.Errorf("--shard %q: want K/N with 1 <= K <= N, e.g. 2/4 (the second of four shards)", s)
	}
	return k, n, nil
}

// newSiteSelection checks the flags' values; an error is a usage error.
func newSiteSelection(shard string, sites []string) (siteSelection, error) {
	var sel siteSelection
	if shard != "" {
		var err error
		if sel.k, sel.n, err = parseShard(shard); err != nil {
			return sel, err
		}
	}
	for _, g := range sites {
		g = strings.TrimSpace(g)
		if g == "" {
			return sel, fmt.Errorf("--sites: an empty pattern (give a site name or a pattern such as 'contoso-*')")
		}
		// path.Match checks the syntax of the whole pattern, whatever the name.
		if _, err := path.Match(g, ""); err != nil {
			return sel, fmt.Errorf("--sites %q: %w (patterns as in path.Match: * ? [a-z], \\ escapes)", g, err)
		}
		sel.globs = append(sel.globs, g)
	}
	return sel, nil
}

// all reports whether the selection takes every site.
func (s siteSelection) all() bool { return s.n == 0 && len(s.globs) == 0 }

// shardOf is the shard (1..n) a site name belongs to.
func shardOf(site string, n int) int {
	h := fnv.New32a()
	h.Write([]byte(site))
	return 1 + int(h.Sum32()%uint32(n))
}

// matchesGlobs reports whether a --sites pattern matches the site (true without patterns).
func (s siteSelection) matchesGlobs(site string) bool {
	if len(s.globs) == 0 {
		return true
	}
	for _, g := range s.globs {
		if ok, _ := path.Match(g, site); ok {
			return true
		}
	}
	return false
}

// takes reports whether the run diagnoses the site.
func (s siteSelection) takes(site string) bool {
	return s.matchesGlobs(site) && (s.n == 0 || shardOf(site, s.n) == s.k)
}

// inRun is takes as the report package wants it: nil when every site is taken.
func (s siteSelection) inRun() func(string) bool {
	if s.all() {
		return nil
	}
	return s.takes
}

// shardLabel names the shard in the results' folders and rows: "2-of-4", "1-of-1" without
// --shard.
func (s siteSelection) shardLabel() string {
	if s.n == 0 {
		return "1-of-1"
	}
	return fmt.Sprintf("%d-of-%d", s.k, s.n)
}

// describe says what part of the fleet the run took, for the summary ("" for all of it).
func (s siteSelection) describe(taken, total int) string {
	if s.all() {
		return ""
	}
	var parts []string
	if s.n > 0 {
		parts = append(parts, fmt.Sprintf("shard %d/%d", s.k, s.n))
	}
	if len(s.globs) > 0 {
		parts = append(parts, "sites "+strings.Join(s.globs, ","))
	}
	return fmt.Sprintf("%s: %d of the %d sites", strings.Join(parts, ", "), taken, total)
}

// unmatchedGlobs lists the --sites patterns that match none of the fleet's sites: a typo in a
// nightly job must not pass as a run over nothing.
func (s siteSelection) unmatchedGlobs(sites []string) []string {
	var out []string
	for _, g := range s.globs {
		hit := false
		for _, site := range sites {
			if ok, _ := path.Match(g, site); ok {
				hit = true
				break
			}
		}
		if !hit {
			out = append(out, g)
		}
	}
	return out
}
