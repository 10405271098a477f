package compare

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/sessionlab/sessionlab/reports/results"
)

// Output formats of a Report.

// FormatValue prints a value with four significant digits and an SI suffix
// from 10 000 on (1.235M, 12.35k, 812.5, 0.1235), integers below 10 000 as
// they are.
func FormatValue(v float64) string {
	switch {
	case math.IsNaN(v):
		return "—"
	case math.IsInf(v, 0):
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	a := math.Abs(v)
	for _, s := range []struct {
		from, div float64
		suffix    string
	}{{1e12, 1e12, "T"}, {1e9, 1e9, "G"}, {1e6, 1e6, "M"}, {1e4, 1e3, "k"}} {
		if a >= s.from {
			return fmtSig(v/s.div) + s.suffix
		}
	}
	if v == math.Trunc(v) {
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	return fmtSig(v)
}

// fmtSig prints 4 significant digits without an exponent.
func fmtSig(v float64) string {
	a := math.Abs(v)
	switch {
	case a >= 1000:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case a >= 100:
		return strconv.FormatFloat(v, 'f', 1, 64)
	case a >= 10:
		return strconv.FormatFloat(v, 'f', 2, 64)
	case a >= 1 || a == 0:
		return strconv.FormatFloat(v, 'f', 3, 64)
	}
	return strconv.FormatFloat(v, 'g', 4, 64)
}

// FormatChange prints a percent change with its sign ("+10.2%", "-0.5%").
func FormatChange(p float64) string {
	switch {
	case math.IsNaN(p):
		return "—"
	case math.IsInf(p, 1):
		return "+∞%"
	case math.IsInf(p, -1):
		return "-∞%"
	case p == 0:
		return "0.0%"
	}
	return fmt.Sprintf("%+.1f%%", p)
}

func formatCI(r *Row) string {
	if math.IsNaN(r.CI.Lo) || math.IsNaN(r.CI.Hi) {
		return "—"
	}
	return "[" + FormatChange(r.CI.Lo) + ", " + FormatChange(r.CI.Hi) + "]"
}

func formatP(r *Row) string {
	switch {
	case r.Kind == results.KindCount && math.IsNaN(r.P) && r.Verdict != Missing:
		return "exact"
	case math.IsNaN(r.PAdj):
		return "—"
	case r.PAdj < 0.001:
		return "<0.001"
	}
	return strconv.FormatFloat(r.PAdj, 'f', 3, 64)
}

func directionText(d results.Direction) string {
	switch d {
	case results.HigherIsBetter:
		return "higher is better"
	case results.LowerIsBetter:
		return "lower is better"
	}
	return "no direction"
}

func shortCommit(c string) string {
	if len(c) > 12 {
		return c[:12]
	}
	return c
}

// groups returns the rows grouped by metric, metrics in first-row order.
func (r *Report) groups() [][]*Row {
	var order []string
	by := map[string][]*Row{}
	for i := range r.Rows {
		m := r.Rows[i].Metric
		if _, ok := by[m]; !ok {
			order = append(order, m)
		}
		by[m] = append(by[m], &r.Rows[i])
	}
	out := make([][]*Row, len(order))
	for i, m := range order {
		out[i] = by[m]
	}
	return out
}

// Summary is the one-line outcome: "FAIL: 2 worse, 1 mismatch; 1 better, 57 ~".
func (r *Report) Summary() string {
	var parts []string
	for _, v := range []Verdict{Worse, Mismatch, Better, Changed, Same, Missing} {
		if n := r.Count(v); n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, v))
		}
	}
	verdict := "PASS"
	if r.ExitCode() != 0 {
		verdict = "FAIL"
	}
	if len(parts) == 0 {
		return verdict + ": nothing compared"
	}
	return verdict + ": " + strings.Join(parts, ", ")
}

func (r *Report) header() []string {
	return []string{
		fmt.Sprintf("scenario %s (%s, seed %d): %s (%s %s, %d reps) vs %s (%s %s, %d reps)",
			r.Base.Scenario, r.Base.Mode, r.Base.Seed,
			r.Base.Name, r.Base.Version, shortCommit(r.Base.Commit), r.Base.Repetitions,
			r.Head.Name, r.Head.Version, shortCommit(r.Head.Commit), r.Head.Repetitions),
		fmt.Sprintf("α = %g after Holm over %d tests; threshold ±%g%%; %g%% percentile-bootstrap CI of the median change (%d resamples); Mann-Whitney U",
			r.Alpha, r.Tests, r.Threshold, 100*r.Confidence, r.Resamples),
	}
}

// WriteText writes the report as aligned text tables, one per metric, in
// the spirit of benchstat.
func (r *Report) WriteText(w io.Writer) error {
	ew := &errWriter{w: w}
	for _, h := range r.header() {
		ew.printf("%s\n", h)
	}
	for _, g := range r.groups() {
		ew.printf("\n%s [%s, %s, %s]\n", g[0].Metric, g[0].Unit, directionText(g[0].Direction), g[0].Kind)
		tw := tabwriter.NewWriter(ew, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "point\tbase\thead\tchange\tCI\tp(Holm)\tn\tverdict")
		var notes []string
		for _, row := range g {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%d+%d\t%s\n",
				row.Label(), FormatValue(row.Base.Median), FormatValue(row.Head.Median),
				FormatChange(row.ChangePct), formatCI(row), formatP(row), row.Base.N, row.Head.N, row.Verdict)
			if row.Note != "" {
				notes = append(notes, "  ! "+row.Label()+": "+row.Note)
			}
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		for _, n := range notes {
			ew.printf("%s\n", n)
		}
	}
	if len(r.Warnings) > 0 {
		ew.printf("\n")
		for _, wn := range r.Warnings {
			ew.printf("warning: %s\n", wn)
		}
	}
	ew.printf("\n%s\n", r.Summary())
	return ew.err
}

var mdEscaper = strings.NewReplacer(
	`\`, `\\`, "|", `\|`, "*", `\*`, "_", `\_`, "`", "\\`", "<", "&lt;", ">", "&gt;", "[", `\[`, "]", `\]`, "\n", " ",
)

func md(s string) string { return mdEscaper.Replace(s) }

func mdVerdict(v Verdict) string {
	switch v {
	case Worse:
		return "🔴 **worse**"
	case Mismatch:
		return "🔴 **mismatch**"
	case Better:
		return "🟢 better"
	case Changed:
		return "🔵 changed"
	case Missing:
		return "⚪ missing"
	}
	return "~"
}

func mdTable(ew *errWriter, rows []*Row, withMetric bool) {
	if withMetric {
		ew.printf("| metric | point | base | head | change | CI | p (Holm) | verdict |\n|---|---|--:|--:|--:|---|--:|---|\n")
	} else {
		ew.printf("| point | base | head | change | CI | p (Holm) | verdict |\n|---|--:|--:|--:|---|--:|---|\n")
	}
	for _, row := range rows {
		if withMetric {
			ew.printf("| %s (%s) ", md(row.Metric), md(row.Unit))
		}
		ew.printf("| %s | %s | %s | %s | %s | %s | %s |\n",
			md(row.Label()), FormatValue(row.Base.Median), FormatValue(row.Head.Median),
			FormatChange(row.ChangePct), md(formatCI(row)), md(formatP(row)), mdVerdict(row.Verdict))
	}
}

// WriteMarkdown writes the report as GitHub-flavoured Markdown for a CI job
// summary: the outcome first, then the rows that changed, then every
// comparison in a collapsed section.
func (r *Report) WriteMarkdown(w io.Writer) error {
	ew := &errWriter{w: w}
	ew.printf("### sessionlab compare: %s\n\n", md(r.Base.Scenario))
	ew.printf("**%s**\n\n", md(r.Summary()))
	for _, h := range r.header() {
		ew.printf("%s  \n", md(h))
	}
	ew.printf("\n")
	var bad, good []*Row
	for i := range r.Rows {
		switch r.Rows[i].Verdict {
		case Worse, Mismatch:
			bad = append(bad, &r.Rows[i])
		case Better, Changed:
			good = append(good, &r.Rows[i])
		}
	}
	if len(bad) > 0 {
		ew.printf("#### Regressions and mismatches\n\n")
		mdTable(ew, bad, true)
		for _, row := range bad {
			if row.Note != "" {
				ew.printf("\n- %s at %s: %s", md(row.Metric), md(row.Label()), md(row.Note))
			}
		}
		ew.printf("\n\n")
	}
	if len(good) > 0 {
		ew.printf("#### Improvements and other significant changes\n\n")
		mdTable(ew, good, true)
		ew.printf("\n")
	}
	if len(r.Warnings) > 0 {
		ew.printf("#### Warnings\n\n")
		for _, wn := range r.Warnings {
			ew.printf("- ⚠️ %s\n", md(wn))
		}
		ew.printf("\n")
	}
	ew.printf("<details><summary>All %d comparisons</summary>\n\n", len(r.Rows))
	for _, g := range r.groups() {
		ew.printf("##### %s (%s, %s, %s)\n\n", md(g[0].Metric), md(g[0].Unit), directionText(g[0].Direction), g[0].Kind)
		mdTable(ew, g, false)
		ew.printf("\n")
	}
	ew.printf("</details>\n")
	return ew.err
}

// JSONSchema is the "schema" of WriteJSON's output.
const JSONSchema = "sessionlab.compare/v1"

type jsonSide struct {
	N      int       `json:"n"`
	Median *float64  `json:"median"`
	Values []float64 `json:"values"`
}

type jsonRow struct {
	Point     int               `json:"point"`
	Params    []results.Param   `json:"params"`
	Metric    string            `json:"metric"`
	Unit      string            `json:"unit"`
	Direction results.Direction `json:"direction"`
	Kind      results.Kind      `json:"kind"`
	Base      jsonSide          `json:"base"`
	Head      jsonSide          `json:"head"`
	ChangePct *float64          `json:"change_pct"`
	CIPct     *[2]float64       `json:"ci_pct"`
	P         *float64          `json:"p"`
	PAdj      *float64          `json:"p_adj"`
	ExactP    bool              `json:"exact_p"`
	Verdict   Verdict           `json:"verdict"`
	Note      string            `json:"note,omitempty"`
}

type jsonReport struct {
	Schema       string         `json:"schema"`
	Result       string         `json:"result"`
	ExitCode     int            `json:"exit_code"`
	Summary      string         `json:"summary"`
	Base         DocInfo        `json:"base"`
	Head         DocInfo        `json:"head"`
	Alpha        float64        `json:"alpha"`
	ThresholdPct float64        `json:"threshold_pct"`
	Confidence   float64        `json:"confidence"`
	Resamples    int            `json:"resamples"`
	Tests        int            `json:"tests"`
	Counts       map[string]int `json:"counts"`
	Rows         []jsonRow      `json:"rows"`
	Warnings     []string       `json:"warnings"`
}

// finite returns &v, or nil for NaN and ±Inf (which JSON cannot hold).
func finite(v float64) *float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return &v
}

func jside(s Side) jsonSide {
	v := s.Values
	if v == nil {
		v = []float64{}
	}
	return jsonSide{N: s.N, Median: finite(s.Median), Values: v}
}

// WriteJSON writes the report as the JSON document docs/results.md
// documents under "compare output" (schema "sessionlab.compare/v1").
// Numbers that are not finite (a change from a zero median, a p-value of a
// row that was not tested) are null.
func (r *Report) WriteJSON(w io.Writer) error {
	out := jsonReport{
		Schema: JSONSchema, ExitCode: r.ExitCode(), Summary: r.Summary(),
		Base: r.Base, Head: r.Head, Alpha: r.Alpha, ThresholdPct: r.Threshold,
		Confidence: r.Confidence, Resamples: r.Resamples, Tests: r.Tests,
		Counts: map[string]int{}, Rows: []jsonRow{}, Warnings: r.Warnings,
	}
	out.Result = "pass"
	if out.ExitCode != 0 {
		out.Result = "fail"
	}
	if out.Warnings == nil {
		out.Warnings = []string{}
	}
	for _, v := range []Verdict{Same, Better, Worse, Changed, Mismatch, Missing} {
		out.Counts[string(v)] = r.Count(v)
	}
	for i := range r.Rows {
		row := &r.Rows[i]
		jr := jsonRow{
			Point: row.Point, Params: row.Params, Metric: row.Metric, Unit: row.Unit,
			Direction: row.Direction, Kind: row.Kind, Base: jside(row.Base), Head: jside(row.Head),
			ChangePct: finite(row.ChangePct), P: finite(row.P), PAdj: finite(row.PAdj),
			ExactP: row.Exact, Verdict: row.Verdict, Note: row.Note,
		}
		if jr.Params == nil {
			jr.Params = []results.Param{}
		}
		if lo, hi := finite(row.CI.Lo), finite(row.CI.Hi); lo != nil && hi != nil {
			jr.CIPct = &[2]float64{*lo, *hi}
		}
		out.Rows = append(out.Rows, jr)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

// errWriter remembers the first write error so formatting code stays flat.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(p)
	e.err = err
	return n, err
}

func (e *errWriter) printf(format string, args ...any) {
	fmt.Fprintf(e, format, args...)
}
