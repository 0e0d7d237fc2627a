package main

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/kudulens/kudulens/internal/escape"
	"github.com/kudulens/kudulens/pipeline/blob"
)

// missingSources returns the SOURCE arguments that name a local path that does not exist
// (standard input and blob URLs are not paths).
func missingSources(sources []string) []string {
	var missing []string
	for _, src := range sources {
		if src == "-" || blob.IsSource(src) {
			continue
		}
		if _, err := os.Stat(src); errors.Is(err, os.ErrNotExist) {
			missing = append(missing, src)
		}
	}
	return missing
}

// checkSourcesExist stops a command before anything runs when none of its SOURCE arguments
// exists: a mistyped path is a usage error, not an empty bundle whose checks all "pass". When
// only some are missing the run goes on; they are listed as failed inputs in the summary and
// in every report, and the exit code says so (3).
func checkSourcesExist(cmd string, sources []string, e *env) int {
	missing := missingSources(sources)
	if len(sources) == 0 || len(missing) < len(sources) {
		return -1
	}
	quoted := make([]string, len(missing))
	for i, m := range missing {
		quoted[i] = escape.Terminal(m)
	}
	fmt.Fprintf(e.stderr, "kudulens %s: no such file or folder: %s (nothing was read)\n", cmd, strings.Join(quoted, ", "))
	return exitUsage
}
