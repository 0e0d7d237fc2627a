package main

import (
	"context"
	"io"

	"github.com/kudulens/kudulens/pipeline/store"
	"github.com/kudulens/kudulens/report"
	klsql "github.com/kudulens/kudulens/sql"
)

// writeHTML renders the HTML report: the charts' data is read from the store, focused on
// where the failing checks are.
func writeHTML(ctx context.Context, w io.Writer, database *store.Store, rep *klsql.Report) error {
	in, err := klsql.ComputeInsights(ctx, database.DB(), rep, klsql.InsightOptions{FocusStart: report.FocusStart(rep)})
	if err != nil {
		return err
	}
	return report.HTML(w, rep, in, report.HTMLOptions{Version: version})
}
