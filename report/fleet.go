package report

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"os"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/kudulens/kudulens/internal/escape"
	klsql "github.com/kudulens/kudulens/sql"
)

// Fleet is the nightly summary of many sites: one row per site, its failing checks, and what
// changed since the previous run (FleetState). Its JSON form is stable: fields are only added.
type Fleet struct {
	GeneratedAt time.Time   `json:"generatedAt"`
	Source      string      `json:"source"`
	Note        string      `json:"note,omitempty"`        // e.g. the source is one site's folder, diagnosed as one site
	Selection   string      `json:"selection,omitempty"`   // the part of the fleet this run diagnosed (--shard, --sites); "" for all of it
	Previous    *time.Time  `json:"previousRun,omitempty"` // when the state file was written
	Sites       []FleetSite `json:"sites"`
	Gone        []string    `json:"gone,omitempty"` // sites of the previous run that are not here now
}

// FleetSite is one site's row.
type FleetSite struct {
	Site        string         `json:"site"`
	Source      string         `json:"source"`
	Status      string         `json:"status"` // ok | problems | empty (no logs) | failed (could not be diagnosed)
	Verdict     string         `json:"verdict"`
	EvaluatedAt *time.Time     `json:"evaluatedAt,omitempty"`
	Failing     []FleetFailure `json:"failing"`
	Unknown     int            `json:"unknown"` // checks the logs cannot judge
	Files       int64          `json:"files"`
	Lines       int64          `json:"lines"`
	Rejected    int64          `json:"rejected"`
	InputErrors int            `json:"inputErrors"` // files failed or read only partly
	Error       string         `json:"error,omitempty"`
	NewSite     bool           `json:"newSite,omitempty"` // not in the previous run
	New         []string       `json:"new"`               // failing now, not in the previous run
	Resolved    []string       `json:"resolved"`          // failing in the previous run, not now
	Report      string         `json:"report,omitempty"`  // the site's own report, when written
}

// FleetFailure is a failing check of a site.
type FleetFailure struct {
	ID       string         `json:"id"`
	Title    string         `json:"title"`
	Severity klsql.Severity `json:"severity"`
	Since    time.Time      `json:"since"`
}

// FleetSiteFromReport fills a row from a site's diagnosis.
func FleetSiteFromReport(site, source string, r *klsql.Report) FleetSite {
	fs := FleetSite{Site: site, Source: source, Verdict: Verdict(r), Failing: []FleetFailure{},
		Files: r.Ingest.Files, Lines: r.Ingest.Lines, Rejected: r.Ingest.Rejected}
	at := r.EvaluatedAt
	fs.EvaluatedAt = &at
	for _, p := range problems(r) {
		since := p.Start
		if p.FirstSeen != nil { // when it fired, as in the site's own reports
			since = p.FirstSeen.UTC()
		}
		fs.Failing = append(fs.Failing, FleetFailure{ID: p.ID, Title: p.Title, Severity: p.Severity, Since: since})
	}
	sort.SliceStable(fs.Failing, func(i, j int) bool {
		return fs.Failing[i].Severity.Rank() > fs.Failing[j].Severity.Rank()
	})
	for _, c := range r.Checks {
		if c.Status == klsql.StatusUnknown {
			fs.Unknown++
		}
	}
	fs.Status = "ok"
	if len(fs.Failing) > 0 {
		fs.Status = "problems"
	}
	if r.Ingest.Lines == 0 {
		fs.Status, fs.Verdict, fs.EvaluatedAt = "empty", "no log lines in this source", nil
	}
	return fs
}

// FleetState is what the next run compares with (--state FILE).
type FleetState struct {
	Version     int                       `json:"version"`
	GeneratedAt time.Time                 `json:"generatedAt"`
	Sites       map[string]FleetSiteState `json:"sites"`
}

// FleetSiteState is one site's failing checks at a run.
type FleetSiteState struct {
	Status      string     `json:"status"`
	EvaluatedAt *time.Time `json:"evaluatedAt,omitempty"`
	Failing     []string   `json:"failing"`
}

// ReadFleetState reads a state file; a missing file is no previous run (nil, nil).
func ReadFleetState(path string) (*FleetState, error) {
	b, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var st FleetState
	if err := json.Unmarshal(b, &st); err != nil {
		return nil, fmt.Errorf("state %s: %w", path, err)
	}
	return &st, nil
}

// Compare fills New, Resolved, NewSite and Gone from the previous state (nil: first run).
// inRun says which sites this run was asked to diagnose (--shard, --sites; nil: all of them):
// only those can be gone, a site of the previous state outside the run is not judged.
func (f *Fleet) Compare(prev *FleetState, inRun func(site string) bool) {
	for i := range f.Sites {
		s := &f.Sites[i]
		s.New, s.Resolved = []string{}, []string{}
		var before []string
		if prev != nil {
			p, ok := prev.Sites[s.Site]
			s.NewSite = !ok
			before = p.Failing
		}
		was := map[string]bool{}
		for _, id := range before {
			was[id] = true
		}
		now := map[string]bool{}
		for _, c := range s.Failing {
			now[c.ID] = true
			if prev != nil && !was[c.ID] {
				s.New = append(s.New, c.ID)
			}
		}
		if s.Status == "failed" { // could not be diagnosed: nothing is known to be resolved
			continue
		}
		for _, id := range before {
			if !now[id] {
				s.Resolved = append(s.Resolved, id)
			}
		}
	}
	if prev == nil {
		return
	}
	t := prev.GeneratedAt
	f.Previous = &t
	here := map[string]bool{}
	for _, s := range f.Sites {
		here[s.Site] = true
	}
	for name := range prev.Sites {
		if !here[name] && (inRun == nil || inRun(name)) {
			f.Gone = append(f.Gone, name)
		}
	}
	sort.Strings(f.Gone)
}

// State is the state to keep for the next run, given the state the file holds now (cur: read
// again right before it is rewritten, so that another shard's run that wrote it meanwhile is
// kept). A site that could not be diagnosed keeps its state in cur, so a bad night does not
// make its problems look resolved and then new. A site of cur outside this run (inRun false:
// another shard, not matched by --sites) is kept as it is; only a site the run was asked to
// diagnose and did not find is dropped (gone).
func (f *Fleet) State(cur *FleetState, inRun func(site string) bool) *FleetState {
	st := &FleetState{Version: 1, GeneratedAt: f.GeneratedAt, Sites: map[string]FleetSiteState{}}
	if cur != nil && inRun != nil {
		for name, p := range cur.Sites {
			if !inRun(name) {
				st.Sites[name] = p
			}
		}
	}
	for _, s := range f.Sites {
		if s.Status == "failed" && cur != nil {
			if p, ok := cur.Sites[s.Site]; ok {
				st.Sites[s.Site] = p
				continue
			}
		}
		ids := make([]string, 0, len(s.Failing))
		for _, c := range s.Failing {
			ids = append(ids, c.ID)
		}
		sort.Strings(ids)
		st.Sites[s.Site] = FleetSiteState{Status: s.Status, EvaluatedAt: s.EvaluatedAt, Failing: ids}
	}
	return st
}

func (f *Fleet) counts() (problems, ok, other int) {
	for _, s := range f.Sites {
		switch s.Status {
		case "problems":
			problems++
		case "ok":
			ok++
		default:
			other++
		}
	}
	return
}

// FleetVerdict is the summary's first line.
func FleetVerdict(f *Fleet) string {
	p, ok, other := f.counts()
	v := fmt.Sprintf("%d sites: %d with problems, %d ok", len(f.Sites), p, ok)
	if other > 0 {
		v += fmt.Sprintf(", %d not diagnosed", other)
	}
	var newN, resN int
	for _, s := range f.Sites {
		newN += len(s.New)
		resN += len(s.Resolved)
	}
	if f.Previous != nil {
		v += fmt.Sprintf(" · since %s: %d new failures, %d resolved", ts(*f.Previous), newN, resN)
		if len(f.Gone) > 0 {
			v += fmt.Sprintf(", %d sites gone", len(f.Gone))
		}
	}
	return v
}

// FleetText writes the summary for a terminal or a mail. Site names (folder and blob names)
// and errors go through escape.Terminal.
func FleetText(w io.Writer, f *Fleet) error {
	fmt.Fprintf(w, "FLEET %s\n%s · generated %s\n\n", escape.Terminal(f.Source), FleetVerdict(f), ts(f.GeneratedAt))
	if f.Note != "" {
		fmt.Fprintf(w, "note: %s\n\n", escape.Terminal(f.Note))
	}
	if f.Selection != "" {
		fmt.Fprintf(w, "part of the fleet: %s\n\n", escape.Terminal(f.Selection))
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SITE\tSTATUS\tEVALUATED AT\tFAILING (+ new since the previous run)\tRESOLVED")
	for _, s := range f.Sites {
		var fails []string
		newID := map[string]bool{}
		for _, id := range s.New {
			newID[id] = true
		}
		for _, c := range s.Failing {
			mark := ""
			if newID[c.ID] {
				mark = "+"
			}
			fails = append(fails, mark+c.ID)
		}
		failing := strings.Join(fails, ", ")
		if s.Error != "" {
			failing = "error: " + escape.Terminal(oneLine(s.Error, 100))
		} else if failing == "" {
			failing = "-"
		}
		resolved := escape.Terminal(strings.Join(s.Resolved, ", "))
		if resolved == "" {
			resolved = "-"
		}
		name := escape.Terminal(s.Site)
		if s.NewSite {
			name += " (new)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", name, strings.ToUpper(s.Status), tsp(s.EvaluatedAt), failing, resolved)
	}
	tw.Flush()
	if len(f.Gone) > 0 {
		fmt.Fprintf(w, "\ngone since the previous run: %s\n", escape.Terminal(strings.Join(f.Gone, ", ")))
	}
	return nil
}

// FleetJSON writes the summary as JSON.
func FleetJSON(w io.Writer, f *Fleet) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(f)
}

// FleetMarkdown writes the summary for a ticket or a wiki; site names and errors go through
// escape.Markdown.
func FleetMarkdown(w io.Writer, f *Fleet) error {
	mdEscape := escape.Markdown
	var b strings.Builder
	fmt.Fprintf(&b, "## kudulens fleet: %s\n\n%s · generated `%s`\n\n", mdEscape(f.Source), mdEscape(FleetVerdict(f)), ts(f.GeneratedAt))
	if f.Note != "" {
		fmt.Fprintf(&b, "**Note:** %s\n\n", mdEscape(f.Note))
	}
	if f.Selection != "" {
		fmt.Fprintf(&b, "Part of the fleet: %s\n\n", mdEscape(f.Selection))
	}
	b.WriteString("| site | status | evaluated at | failing | new | resolved |\n|---|---|---|---|---|---|\n")
	for _, s := range f.Sites {
		var ids []string
		for _, c := range s.Failing {
			ids = append(ids, "`"+c.ID+"`")
		}
		if s.Error != "" {
			ids = []string{mdEscape(oneLine(s.Error, 120))}
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s |\n", mdEscape(s.Site), s.Status, tsp(s.EvaluatedAt), strings.Join(ids, " "),
			mdEscape(strings.Join(s.New, ", ")), mdEscape(strings.Join(s.Resolved, ", ")))
	}
	if len(f.Gone) > 0 {
		fmt.Fprintf(&b, "\nGone since the previous run: %s\n", mdEscape(strings.Join(f.Gone, ", ")))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

//go:embed fleet.tmpl
var fleetTemplate string

var fleetTmpl = template.Must(template.New("fleet").Funcs(template.FuncMap{
	"ts": ts, "tsp": tsp,
	"isNew": func(s FleetSite, id string) bool {
		for _, x := range s.New {
			if x == id {
				return true
			}
		}
		return false
	},
}).Parse(fleetTemplate))

// FleetHTML writes the summary as one self-contained page (the report's stylesheet).
func FleetHTML(w io.Writer, f *Fleet) error {
	p, ok, other := f.counts()
	v := struct {
		*Fleet
		Verdict             string
		Problems, OK, Other int
		CSS                 template.CSS
		CSP                 string
	}{f, FleetVerdict(f), p, ok, other, template.CSS(htmlCSS),
		"default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"}
	return fleetTmpl.Execute(w, &v)
}
