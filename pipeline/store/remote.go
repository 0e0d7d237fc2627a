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
	// Markers returns the contents of the commit markers by name (<export_id>.json).
	Markers(ctx context.Context) (map[string][]byte, error)
	// Download copies the lake file rel into the local file local.
	Download(ctx context.Context, rel, local string) error
	// Upload writes the local file local to the lake file rel, replacing it.
	Upload(ctx context.Context, local, rel string) error
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
	if _, err := fetchLake(ctx, r, stage, func(rel string) bool { return strings.HasPrefix(rel, "table=files/") }); err != nil {
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
		return r.Upload(ctx, filepath.Join(stage, lakeCommitsDir, name), lakeCommitsDir+"/"+name)
	}
	return s.export(ctx, stage, r.String(), o, publish)
}

// FetchLake copies a remote lake's committed exports into the local folder dir (markers and
// every file they list), where LoadParquet and LakeSites read it. It returns the number of
// exports. Files nobody committed are not fetched.
func FetchLake(ctx context.Context, r LakeRemote, dir string) (int, error) {
	return fetchLake(ctx, r, dir, func(string) bool { return true })
}

// fetchLake writes r's markers into dir/_kudulens_commits and downloads the files they list
// that want selects.
func fetchLake(ctx context.Context, r LakeRemote, dir string, want func(rel string) bool) (int, error) {
	markers, err := r.Markers(ctx)
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
	for name, b := range markers {
		if !strings.HasSuffix(name, ".json") || !filepath.IsLocal(name) || strings.ContainsAny(name, `/\`) {
			return 0, fmt.Errorf("%s: %q is not the name of a commit marker", r, name)
		}
		var c lakeCommit
		if err := json.Unmarshal(b, &c); err != nil {
			return 0, fmt.Errorf("%s: %s/%s: %w", r, lakeCommitsDir, name, err)
		}
		for _, rel := range c.Files {
			table, _, ok := strings.Cut(rel, "/")
			if !ok || !strings.HasPrefix(table, "table=") || !filepath.IsLocal(filepath.FromSlash(rel)) {
				return 0, fmt.Errorf("%s: %s/%s: file %q is not inside a table folder of the lake", r, lakeCommitsDir, name, rel)
			}
			if !want(rel) || seen[rel] {
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
	}
	return len(markers), nil
}
