package results

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"
)

// Schema is the value of the "schema" field of every results document this
// package writes and the only one it reads. A change that old readers would
// misread bumps the version suffix.
const Schema = "sessionlab.results/v1"

// SchemaPrefix is the part of Schema before the version; Load uses it to tell
// "another version of our format" from "not our format at all".
const SchemaPrefix = "sessionlab.results/"

// Document is one results file: a scenario run (or sweep, or search) with
// everything needed to report on it and to compare it with another run.
type Document struct {
	// Schema is always the constant Schema.
	Schema string `json:"schema"`
	// Scenario says what was run.
	Scenario Scenario `json:"scenario"`
	// Config is the effective configuration after defaults, --set overrides
	// and VPP's own adjustments (for example a too-small event queue).
	Config Config `json:"config"`
	// Environment says where and when it ran.
	Environment Environment `json:"environment"`
	// Sweep lists the swept parameters; empty for a single-point run.
	Sweep Sweep `json:"sweep"`
	// Points holds every point that ran at least one repetition, in index
	// order. A complete run has one point per grid cell of Sweep.
	Points []Point `json:"points"`
	// Plots lists the plots the scenario asked for (the report draws them).
	Plots []PlotSpec `json:"plots,omitempty"`
	// Warnings are run-wide warnings (configuration adjusted, outside VPP's
	// limits, calibration unstable, ...).
	Warnings []string `json:"warnings,omitempty"`
	// Incomplete is true when the run was interrupted (Ctrl-C, time-out)
	// before every point finished.
	Incomplete bool `json:"incomplete,omitempty"`
	// FinishedPoints lists, when Incomplete, the indices of the points whose
	// every repetition finished. Empty when the run is complete.
	FinishedPoints []int `json:"finished_points,omitempty"`
}

// Mode is how a scenario ran.
type Mode string

// The modes a scenario runs in.
const (
	// ModeLive runs real goroutines on the wall clock: real throughput and
	// latency, noisy.
	ModeLive Mode = "live"
	// ModeSim runs discrete events on a virtual clock: the same seed gives
	// the same counts.
	ModeSim Mode = "sim"
)

// Scenario identifies what was run.
type Scenario struct {
	// Name is the scenario's name (two documents compare only if equal).
	Name string `json:"name"`
	// Description is the scenario's one-paragraph description.
	Description string `json:"description,omitempty"`
	// Mode is "live" or "sim".
	Mode Mode `json:"mode"`
	// Seed is the scenario's base seed; repetitions derive theirs from it.
	Seed uint64 `json:"seed"`
	// Repetitions is how many repetitions each point was asked to run.
	Repetitions int `json:"repetitions"`
	// Source is where the scenario came from: a file path as given, or
	// "builtin:<name>" for a scenario embedded in the binary.
	Source string `json:"source,omitempty"`
	// YAML is the scenario file's full text, so a result can be re-run.
	YAML string `json:"yaml,omitempty"`
}

// Config is the effective configuration of a run.
type Config struct {
	// SessionStanza is the `session { ... }` stanza as VPP startup.conf text.
	SessionStanza string `json:"session_stanza,omitempty"`
	// Session is the same stanza as ordered key/values (every parameter,
	// defaults included), keys as VPP spells them.
	Session []KeyValue `json:"session,omitempty"`
	// Workers is the number of worker threads.
	Workers int `json:"workers"`
	// Fields are the other effective scenario fields, flattened to dotted
	// keys ("traffic.0.rate") in a stable order.
	Fields []KeyValue `json:"fields,omitempty"`
}

// KeyValue is one configuration entry.
type KeyValue struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// Environment describes the machine and build a run happened on. It holds no
// personal data: no host name, user name or path outside the scenario source.
type Environment struct {
	GoVersion string `json:"go_version"`         // runtime.Version()
	GOOS      string `json:"goos"`               // runtime.GOOS
	GOARCH    string `json:"goarch"`             // runtime.GOARCH
	GOAMD64   string `json:"goamd64,omitempty"`  // v1..v4 on amd64 builds
	CPUModel  string `json:"cpu_model"`          // "model name" from /proc/cpuinfo, or "unknown"
	Cores     int    `json:"cores"`              // runtime.NumCPU()
	Kernel    string `json:"kernel,omitempty"`   // kernel release (uname -r)
	Version   string `json:"version"`            // sessionlab version
	Commit    string `json:"commit"`             // sessionlab commit, or "unknown"
	Modified  bool   `json:"modified,omitempty"` // built from a modified tree
	// Start and End bound the whole run (wall clock, UTC, RFC 3339).
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
}

// Sweep describes the parameter grid. Axes in the same Zip group advance
// together (they must have equally many values); the grid is the cartesian
// product of the groups, in the order each group first appears, the last
// group varying fastest. An ungrouped axis is a group of its own.
type Sweep struct {
	Axes []Axis `json:"axes,omitempty"`
}

// Axis is one swept parameter.
type Axis struct {
	// Name is the parameter as the scenario names it: a startup.conf key
	// ("session.session-table-buckets") or a scenario field path
	// ("traffic.0.rate").
	Name string `json:"name"`
	// Unit of the values when numeric ("B", "pps"), optional.
	Unit string `json:"unit,omitempty"`
	// Values in sweep order.
	Values []Value `json:"values"`
	// Zip names the group of axes that advance together; empty = own group.
	Zip string `json:"zip,omitempty"`
}

// Value is a parameter value: the text a user wrote ("64m", "1024", "on")
// and, when it denotes a number, that number (64m = 67108864) so plots can
// place it on a numeric axis.
//
// In JSON a Value is an object {"text": "64m", "num": 67108864}; "num" is
// absent for a non-numeric value.
type Value struct {
	Text    string
	Num     float64
	Numeric bool
}

// Text returns a non-numeric Value.
func Text(s string) Value { return Value{Text: s} }

// Num returns a numeric Value whose text is the shortest decimal form of f.
func Num(f float64) Value {
	return Value{Text: strconv.FormatFloat(f, 'g', -1, 64), Num: f, Numeric: true}
}

// NumText returns a numeric Value with its own text ("64m" for 67108864).
func NumText(text string, f float64) Value { return Value{Text: text, Num: f, Numeric: true} }

// String returns the value's text.
func (v Value) String() string { return v.Text }

// Equal reports whether v and w are the same value (same text, same number).
func (v Value) Equal(w Value) bool {
	return v.Text == w.Text && v.Numeric == w.Numeric && (!v.Numeric || v.Num == w.Num)
}

type valueJSON struct {
	Text string   `json:"text"`
	Num  *float64 `json:"num,omitempty"`
}

// MarshalJSON implements json.Marshaler.
func (v Value) MarshalJSON() ([]byte, error) {
	j := valueJSON{Text: v.Text}
	if v.Numeric {
		n := v.Num
		j.Num = &n
	}
	return json.Marshal(j)
}

// UnmarshalJSON implements json.Unmarshaler. It accepts the object form and,
// for hand-written files, a bare JSON number or string.
func (v *Value) UnmarshalJSON(b []byte) error {
	var j valueJSON
	switch {
	case len(b) > 0 && b[0] == '{':
		dec := json.NewDecoder(bytesReader(b))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&j); err != nil {
			return fmt.Errorf("parameter value: %w", err)
		}
		*v = Value{Text: j.Text}
		if j.Num != nil {
			v.Num, v.Numeric = *j.Num, true
		}
		return nil
	case len(b) > 0 && b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*v = Text(s)
		return nil
	default:
		var f float64
		if err := json.Unmarshal(b, &f); err != nil {
			return fmt.Errorf("parameter value must be an object, string or number, not %s", truncate(string(b), 20))
		}
		*v = NumText(string(b), f)
		return nil
	}
}

// Point is one cell of the sweep grid.
type Point struct {
	// Index is the point's position in the full grid (0-based).
	Index int `json:"index"`
	// Params holds one value per sweep axis, in axis order.
	Params []Param `json:"params,omitempty"`
	// Repetitions holds every repetition that finished, in order.
	Repetitions []Repetition `json:"repetitions"`
	// Warnings specific to this point (queue shorter than VPP allows, ...).
	Warnings []string `json:"warnings,omitempty"`
	// Search is the NDR/PDR search at this point, when one ran.
	Search *Search `json:"search,omitempty"`
}

// Param is a swept parameter's value at a point.
type Param struct {
	Name  string `json:"name"`
	Value Value  `json:"value"`
}

// Repetition is one run of a point.
type Repetition struct {
	// Index of the repetition within its point (0-based).
	Index int `json:"index"`
	// Seed the repetition ran with.
	Seed uint64 `json:"seed"`
	// DurationNS is the measured span in nanoseconds (virtual time in sim
	// mode, wall time live), warm-up excluded.
	DurationNS int64 `json:"duration_ns"`
	// Metrics are the repetition's scalar results.
	Metrics []Metric `json:"metrics"`
	// Histograms are latency distributions.
	Histograms []Histogram `json:"histograms,omitempty"`
	// Series are telemetry time series.
	Series []Series `json:"series,omitempty"`
	// Drops counts what was dropped, by cause.
	Drops []Drop `json:"drops,omitempty"`
	// Warnings specific to this repetition.
	Warnings []string `json:"warnings,omitempty"`
}

// Duration returns DurationNS as a time.Duration.
func (r *Repetition) Duration() time.Duration { return time.Duration(r.DurationNS) }

// Direction says which way a metric improves.
type Direction string

// The directions of a metric.
const (
	HigherIsBetter Direction = "higher_is_better"
	LowerIsBetter  Direction = "lower_is_better"
	// NoDirection: a change is reported but is neither better nor worse.
	NoDirection Direction = "none"
)

// Sign is +1 when higher is better, -1 when lower is better, 0 otherwise:
// multiplying a change by it gives a positive number for an improvement.
func (d Direction) Sign() float64 {
	switch d {
	case HigherIsBetter:
		return 1
	case LowerIsBetter:
		return -1
	}
	return 0
}

// Kind says how a metric is compared between runs.
type Kind string

// The kinds of metric.
const (
	// KindCount is an exact count: in simulated mode two runs with the same
	// seed must agree exactly.
	KindCount Kind = "count"
	// KindMeasurement is a noisy measurement, compared statistically.
	KindMeasurement Kind = "measurement"
)

// Metric is one scalar result of a repetition.
type Metric struct {
	Name      string    `json:"name"`
	Unit      string    `json:"unit"`
	Direction Direction `json:"direction"`
	Kind      Kind      `json:"kind"`
	Value     float64   `json:"value"`
}

// Histogram summarises a latency distribution (unit "ns").
type Histogram struct {
	// Name of what was timed ("packet", "session_setup", "fifo").
	Name  string  `json:"name"`
	Unit  string  `json:"unit"`
	Count uint64  `json:"count"`
	Min   float64 `json:"min"`
	Max   float64 `json:"max"`
	Mean  float64 `json:"mean"`
	P50   float64 `json:"p50"`
	P90   float64 `json:"p90"`
	P99   float64 `json:"p99"`
	P999  float64 `json:"p999"`
	// CDF holds (value, fraction ≤ value) points, both non-decreasing, the
	// last fraction 1.
	CDF []CDFPoint `json:"cdf,omitempty"`
}

// CDFPoint is one point of a cumulative distribution: the fraction of
// samples at or below Value.
type CDFPoint struct {
	Value    float64 `json:"v"`
	Fraction float64 `json:"f"`
}

// Series is a telemetry time series.
type Series struct {
	// Name is what was sampled; the recorder's names are listed in
	// docs/results.md ("table_occupancy", "fifo_fill", "sessions", ...).
	Name string `json:"name"`
	// Labels qualify the series ({"worker": "0"}, {"state": "established"}).
	Labels map[string]string `json:"labels,omitempty"`
	Unit   string            `json:"unit"`
	// Points in increasing time order.
	Points []SeriesPoint `json:"points"`
}

// SeriesPoint is a sample at TNS nanoseconds after the repetition started.
type SeriesPoint struct {
	TNS int64   `json:"t_ns"`
	V   float64 `json:"v"`
}

// Drop is a count of things dropped for one cause.
type Drop struct {
	// Cause is one of the Drop* constants or another snake_case cause.
	Cause string `json:"cause"`
	Count uint64 `json:"count"`
}

// The drop causes the simulator records.
const (
	DropQueueFull     = "queue_full"
	DropFifoFull      = "fifo_full"
	DropTableFull     = "table_full"
	DropRule          = "rule_drop"
	DropPoolExhausted = "pool_exhausted"
)

// Search is an NDR/PDR loss-ratio search at one point (MLRsearch).
type Search struct {
	// LoadUnit is "pps" (packets/s) or "cps" (new sessions/s).
	LoadUnit string `json:"load_unit"`
	// Goals and their results, NDR first by convention.
	Goals []SearchGoal `json:"goals"`
	// Trials in the order they ran.
	Trials []Trial `json:"trials"`
	// Latency measured at fractions of a goal's throughput (usually PDR).
	Latency []LoadLatency `json:"latency,omitempty"`
}

// SearchGoal is one search goal and what the search found for it.
type SearchGoal struct {
	// Name is "NDR", "PDR" or a user name.
	Name string `json:"name"`
	// LossRatio is the loss a trial may have and still count as passing.
	LossRatio float64 `json:"loss_ratio"`
	// ExceedRatio is the fraction of trial time allowed above LossRatio.
	ExceedRatio float64 `json:"exceed_ratio"`
	// Width is the relative goal width (0.005 = 0.5%).
	Width float64 `json:"width"`
	// LowerBound is the highest load found to pass, UpperBound the lowest
	// found to fail (in LoadUnit). Lower ≤ upper.
	LowerBound float64 `json:"lower_bound"`
	UpperBound float64 `json:"upper_bound"`
}

// Trial is one search trial.
type Trial struct {
	Load       float64 `json:"load"`
	DurationNS int64   `json:"duration_ns"`
	Offered    uint64  `json:"offered"`
	Received   uint64  `json:"received"`
	Drops      []Drop  `json:"drops,omitempty"`
	// LossRatio = (Offered - Received) / Offered, 0 when nothing was offered.
	LossRatio float64 `json:"loss_ratio"`
}

// LoadLatency is latency measured at a fraction of a goal's load.
type LoadLatency struct {
	// Goal names the SearchGoal whose LowerBound the fraction applies to.
	Goal       string      `json:"goal"`
	Fraction   float64     `json:"fraction"`
	Load       float64     `json:"load"`
	Histograms []Histogram `json:"histograms"`
}

// PlotKind is the kind of a requested plot.
type PlotKind string

// The plots a scenario can ask for.
const (
	// PlotMetric: a metric (median with CI) against swept axis X, one line
	// per value of axis Series.
	PlotMetric PlotKind = "metric"
	// PlotLatency: histogram percentiles (p50..p99.9) against axis X.
	PlotLatency PlotKind = "latency"
	// PlotCDF: a histogram's CDF, one line per point.
	PlotCDF PlotKind = "cdf"
	// PlotHeatmap: a metric's median over axes X and Y.
	PlotHeatmap PlotKind = "heatmap"
	// PlotTimeSeries: a telemetry series over time, one line per point
	// (first repetition) and label set.
	PlotTimeSeries PlotKind = "timeseries"
	// PlotSearch: NDR/PDR bounds against axis X.
	PlotSearch PlotKind = "search"
	// PlotTrials: the search trials (loss ratio against load) of each point.
	PlotTrials PlotKind = "trials"
)

// PlotSpec is one plot the scenario asked for.
type PlotSpec struct {
	Kind PlotKind `json:"kind"`
	// Metric names the metric (metric, heatmap), histogram (latency, cdf)
	// or series (timeseries); unused for search and trials.
	Metric string `json:"metric,omitempty"`
	// X names the sweep axis on the horizontal axis (metric, latency,
	// heatmap, search).
	X string `json:"x,omitempty"`
	// Y names the second sweep axis of a heatmap.
	Y string `json:"y,omitempty"`
	// Series names the sweep axis that splits lines (metric, search).
	Series string `json:"series,omitempty"`
	// Title overrides the generated title.
	Title string `json:"title,omitempty"`
}
