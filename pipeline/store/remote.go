package store

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// LakeRemote is a lake kept elsewhere than in a local folder: a blob container
// (pipeline/blob.Lake). Paths are relative to the lake, '/'-separated.
type LakeRemote interface {
	// Markers returns the contents of the commit markers by name (<export_id>.json): all of
	// them when site is nil, else those of site's exports (and any whose site the remote cannot
	// tell without reading them).
	Markers(ctx context.Context, site *string) (map[string][]byte, error)
	// Download copies the lake file rel into the local file local.
	Download(ctx context.Context, rel, local string) error
	// Upload writes the local file local to the lake file rel, replacing it.
	Upload(ctx context.Context, local, rel string) error
	// PutMarker uploads the commit marker local as rel, telling the export's site in a way
	// Markers can filter on without reading the marker.
	PutMarker(ctx context.Context, local, rel, site string) error
	// String names the lake in messages, without secrets.
	String() string
}

// ExportParquetRemote exports to a remote lake: the lake's markers and its files table are
// fetched into a private temporary folder, the export is written there as into a local lake
// (the same layout, appends and names), then its Parquet files are uploaded and its marker
// last — a reader of the remote lake sees the whole export or nothing of it. An export that
// died during the uploads is redone under the same names.
func (s *Store) ExportParquetRemote(ctx context.Context, r LakeRemote, o ExportOptions) (*ExportStats, error) {
	stage, err := os.MkdirTemp("", "kudulens-export-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(stage)
	if o.Site == "" {
		if o.Site, err = s.defaultExportSite(ctx); err != nil {
			return nil, err
		}
	}
	// What the export reads of the lake: its own site's markers and files table (what is
	// there already). A lake of a thousand sites is not read whole every night.
	ownFiles := func(c lakeCommit, rel string) bool {
		return c.Site == o.Site && strings.HasPrefix(rel, "table=files/")
	}
	if _, err := fetchLake(ctx, r, stage, &o.Site, ownFiles); err != nil {
		return nil, err
	}
	publish := func(c lakeCommit) error {
		for _, rel := range c.Files {
			if err := r.Upload(ctx, filepath.Join(stage, filepath.FromSlash(rel)), rel); err != nil {
				return err
			}
		}
		if err := writeCommit(stage, c); err != nil {
			return err
		}
		name := c.ExportID + ".json"
		return r.PutMarker(ctx, filepath.Join(stage, lakeCommitsDir, name), lakeCommitsDir+"/"+name, c.Site)
	}
	return s.export(ctx, stage, r.String(), o, publish)
}

// FetchLake copies a remote lake's committed exports into the local folder dir (markers and
// every file they list), where LoadParquet and LakeSites read it. It returns the number of
// exports. Files nobody committed are not fetched.
func FetchLake(ctx context.Context, r LakeRemote, dir string) (int, error) {
	return fetchLake(ctx, r, dir, nil, func(lakeCommit, string) bool { return true })
}

// FetchLakeSites is FetchLake for the exports of the sites keep takes (by export_site): the
// markers of every export are fetched, the files of the others are not. It returns the number
// of exports whose files were fetched.
func FetchLakeSites(ctx context.Context, r LakeRemote, dir string, keep func(site string) bool) (int, error) {
	kept := map[string]bool{}
	_, err := fetchLake(ctx, r, dir, nil, func(c lakeCommit, _ string) bool {
		if keep(c.Site) {
			kept[c.ExportID] = true
			return true
		}
		return false
	})
	return len(kept), err
}

// FetchLakeSite is FetchLake for one site's exports (by export_site): only that site's markers
// and files are fetched, and a remote that tells markers' sites apart (blob metadata) lists
// only its markers.
func FetchLakeSite(ctx context.Context, r LakeRemote, dir, site string) (int, error) {
	return fetchLake(ctx, r, dir, &site, func(lakeCommit, string) bool { return true })
}

// fetchLake writes r's markers (of site's exports, or all when site is nil) into
// dir/_kudulens_commits and downloads the files they list that want selects.
func fetchLake(ctx context.Context, r LakeRemote, dir string, site *string, want func(c lakeCommit, rel string) bool) (int, error) {
	markers, err := r.Markers(ctx, site)
	if err != nil {
		return 0, err
	}
	if len(markers) == 0 {
		return 0, nil
	}
	cdir := filepath.Join(dir, lakeCommitsDir)
	if err := os.MkdirAll(cdir, 0o755); err != nil {
		return 0, err
	}
	seen := map[string]bool{}
	n := 0
	for name, b := range markers {
		if !strings.HasSuffix(name, ".json") || !filepath.IsLocal(name) || strings.ContainsAny(name, `/\`) {
			return 0, fmt.Errorf("%s: %q is not the name of a commit marker", r, name)
		}
		var c lakeCommit
		if err := json.Unmarshal(b, &c); err != nil {
			return 0, fmt.Errorf("%s: %s/%s: %w", r, lakeCommitsDir, name, err)
		}
		if site != nil && c.Site != *site {
			continue // a marker the remote could not tell the site of without reading it
		}
		for _, rel := range c.Files {
			table, _, ok := strings.Cut(rel, "/")
			if !ok || !strings.HasPrefix(table, "table=") || !filepath.IsLocal(filepath.FromSlash(rel)) {
				return 0, fmt.Errorf("%s: %s/%s: file %q is not inside a table folder of the lake", r, lakeCommitsDir, name, rel)
			}
			if !want(c, rel) || seen[rel] {
				continue
			}
			seen[rel] = true
			local := filepath.Join(dir, filepath.FromSlash(rel))
			if err := os.MkdirAll(filepath.Dir(local), 0o755); err != nil {
				return 0, err
			}
			if err := r.Download(ctx, rel, local); err != nil {
				return 0, err
			}
		}
		if err := os.WriteFile(filepath.Join(cdir, name), b, 0o644); err != nil {
			return 0, err
		}
		n++
	}
	return n, nil
}
