package results_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/sessionlab/sessionlab/internal/testutil/golden"
	"github.com/sessionlab/sessionlab/reports/results"
	"github.com/sessionlab/sessionlab/reports/results/resultstest"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

// small is a compact document for golden files: two zipped axes plus one
// plain axis, two metrics, two repetitions.
func small() *results.Document {
	s := resultstest.Spec{
		Name: "small", Seed: 3, NoiseSeed: 4, Repetitions: 2,
		Axes: []results.Axis{
			{Name: "session.event-queue-length", Zip: "q", Values: []results.Value{results.Num(2048), results.Num(4096)}},
			{Name: "traffic.0.burst", Zip: "q", Values: []results.Value{results.Num(8), results.Num(16)}},
			{Name: "apps.0.kind", Values: []results.Value{results.Text("echo"), results.Text("sink")}},
		},
		Metrics: []resultstest.Metric{
			{Name: "throughput", Unit: "pps", Direction: results.HigherIsBetter, Kind: results.KindMeasurement, Base: 1e6, Noise: 0.01},
			{Name: "queue_drops", Unit: "packets", Direction: results.LowerIsBetter, Kind: results.KindCount, Base: 1000},
		},
	}
	return resultstest.Build(s)
}

func TestGoldenJSON(t *testing.T) {
	b, err := results.Marshal(small())
	if err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "testdata/small.json", b, *update)
}

func TestSaveLoadRoundTrip(t *testing.T) {
	for name, d := range map[string]*results.Document{
		"small":   small(),
		"default": resultstest.Build(resultstest.Default()),
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "r.json")
			if err := results.Save(path, d); err != nil {
				t.Fatal(err)
			}
			got, err := results.Load(path)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, d) {
				a, _ := json.Marshal(got)
				b, _ := json.Marshal(d)
				t.Fatalf("round trip changed the document:\n%s", golden.FirstDiff(string(a), string(b)))
			}
		})
	}
}

// TestGzipRoundTrip: a ".gz" path is written compressed (deterministically)
// and read back transparently; a corrupt gzip file is an error naming it.
func TestGzipRoundTrip(t *testing.T) {
	d := resultstest.Build(resultstest.Default())
	dir := t.TempDir()
	plain, packed, again := filepath.Join(dir, "r.json"), filepath.Join(dir, "r.json.gz"), filepath.Join(dir, "s.json.gz")
	for _, p := range []string{plain, packed, again} {
		if err := results.Save(p, d); err != nil {
			t.Fatal(err)
		}
	}
	pb, _ := os.ReadFile(plain)
	zb, _ := os.ReadFile(packed)
	zb2, _ := os.ReadFile(again)
	if len(zb) < 2 || zb[0] != 0x1f || zb[1] != 0x8b || len(zb) >= len(pb) {
		t.Fatalf("%s is not a smaller gzip file (%d bytes against %d)", packed, len(zb), len(pb))
	}
	if !bytes.Equal(zb, zb2) {
		t.Fatal("two saves of one document gave different gzip files")
	}
	got, err := results.Load(packed)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, d) {
		t.Fatal("gzip round trip changed the document")
	}
	bad := filepath.Join(dir, "bad.json.gz")
	os.WriteFile(bad, zb[:len(zb)/2], 0o644)
	if _, err := results.Load(bad); err == nil || !strings.Contains(err.Error(), "bad.json.gz: gzip") {
		t.Fatalf("truncated gzip: %v", err)
	}
}

func TestSaveRefusesInvalid(t *testing.T) {
	d := small()
	d.Points[0].Repetitions[0].Metrics[0].Unit = ""
	path := filepath.Join(t.TempDir(), "r.json")
	err := results.Save(path, d)
	if err == nil || !strings.Contains(err.Error(), "points[0].repetitions[0].metrics[0].unit") {
		t.Fatalf("Save of an invalid document: err = %v", err)
	}
	if _, statErr := os.Stat(path); !os.IsNotExist(statErr) {
		t.Errorf("Save wrote %s despite the error", path)
	}
}

func TestSweepGrid(t *testing.T) {
	d := small()
	// Zipped queue/burst advance together (2 values), apps.0.kind is its
	// own group (2 values): 4 points, the last group fastest.
	if got := d.Sweep.Size(); got != 4 {
		t.Fatalf("Size = %d, want 4", got)
	}
	want := []string{
		"event-queue-length=2048 burst=8 kind=echo",
		"event-queue-length=2048 burst=8 kind=sink",
		"event-queue-length=4096 burst=16 kind=echo",
		"event-queue-length=4096 burst=16 kind=sink",
	}
	for i, w := range want {
		p := results.Point{Index: i, Params: d.Sweep.ParamsAt(i)}
		if got := p.Label(); got != w {
			t.Errorf("point %d: %q, want %q", i, got, w)
		}
	}
	if got := (results.Sweep{}).Size(); got != 1 {
		t.Errorf("empty sweep Size = %d, want 1", got)
	}
}

// TestValidate breaks one rule at a time and checks Validate names exactly
// that field.
func TestValidate(t *testing.T) {
	if err := small().Validate(); err != nil {
		t.Fatalf("valid document: %v", err)
	}
	cases := []struct {
		name   string
		break_ func(d *results.Document)
		path   string
		msg    string
	}{
		{"schema", func(d *results.Document) { d.Schema = "x" }, "schema", "want"},
		{"mode", func(d *results.Document) { d.Scenario.Mode = "fast" }, "scenario.mode", `"fast"`},
		{"reps", func(d *results.Document) { d.Scenario.Repetitions = 0 }, "scenario.repetitions", "at least 1"},
		{"name", func(d *results.Document) { d.Scenario.Name = " " }, "scenario.name", "empty"},
		{"workers", func(d *results.Document) { d.Config.Workers = 0 }, "config.workers", "at least 1"},
		{"dup key", func(d *results.Document) { d.Config.Session[1].Key = d.Config.Session[0].Key }, "config.session[1].key", "repeats"},
		{"end before start", func(d *results.Document) { d.Environment.End = d.Environment.Start.Add(-1) }, "environment.end", "before start"},
		{"cores", func(d *results.Document) { d.Environment.Cores = 0 }, "environment.cores", "at least 1"},
		{"axis dup", func(d *results.Document) { d.Sweep.Axes[1].Name = d.Sweep.Axes[0].Name }, "sweep.axes[1].name", "repeats"},
		{"zip len", func(d *results.Document) {
			d.Sweep.Axes[1].Values = append(d.Sweep.Axes[1].Values, results.Num(32))
		}, "sweep.axes[1].values", "zip group"},
		{"value dup", func(d *results.Document) { d.Sweep.Axes[2].Values[1] = results.Text("echo") }, "sweep.axes[2].values[1]", "repeats"},
		{"point order", func(d *results.Document) { d.Points[1].Index = 0 }, "points[1].index", "increasing"},
		{"point range", func(d *results.Document) { d.Points[3].Index = 9 }, "points[3].index", "outside"},
		{"param value", func(d *results.Document) { d.Points[2].Params[2].Value = results.Text("sink") }, "points[2].params[2].value", "grid"},
		{"param name", func(d *results.Document) { d.Points[2].Params[0].Name = "x" }, "points[2].params[0].name", "want axis"},
		{"missing point", func(d *results.Document) { d.Points = d.Points[:3] }, "points", "incomplete"},
		{"rep count", func(d *results.Document) { d.Points[1].Repetitions = d.Points[1].Repetitions[:1] }, "points[1].repetitions", "has 1"},
		{"rep index", func(d *results.Document) { d.Points[1].Repetitions[1].Index = 0 }, "points[1].repetitions[1].index", "position"},
		{"metric unit", func(d *results.Document) { d.Points[0].Repetitions[1].Metrics[1].Unit = "" }, "points[0].repetitions[1].metrics[1].unit", "empty"},
		{"metric direction", func(d *results.Document) { d.Points[0].Repetitions[0].Metrics[0].Direction = "up" }, "points[0].repetitions[0].metrics[0].direction", `"up"`},
		{"metric kind", func(d *results.Document) { d.Points[0].Repetitions[0].Metrics[0].Kind = "gauge" }, "points[0].repetitions[0].metrics[0].kind", `"gauge"`},
		{"metric inconsistent", func(d *results.Document) { d.Points[3].Repetitions[1].Metrics[0].Unit = "cps" }, "points[3].repetitions[1].metrics[0]", "points[0].repetitions[0].metrics[0]"},
		{"metric dup", func(d *results.Document) { d.Points[0].Repetitions[0].Metrics[1].Name = "throughput" }, "points[0].repetitions[0].metrics[1].name", "repeats"},
		{"histogram order", func(d *results.Document) {
			d.Points[0].Repetitions[0].Histograms = []results.Histogram{{Name: "h", Unit: "ns", Count: 1, Min: 1, P50: 5, P90: 4, P99: 6, P999: 6, Max: 6, Mean: 3}}
		}, "points[0].repetitions[0].histograms[0].p90", "below p50"},
		{"cdf end", func(d *results.Document) {
			d.Points[0].Repetitions[0].Histograms = []results.Histogram{{Name: "h", Unit: "ns", Count: 1, Min: 1, P50: 1, P90: 1, P99: 1, P999: 1, Max: 1, Mean: 1,
				CDF: []results.CDFPoint{{Value: 1, Fraction: 0.5}}}}
		}, "points[0].repetitions[0].histograms[0].cdf[0].f", "want 1"},
		{"series time", func(d *results.Document) {
			d.Points[0].Repetitions[0].Series = []results.Series{{Name: "s", Unit: "x", Points: []results.SeriesPoint{{TNS: 5}, {TNS: 4}}}}
		}, "points[0].repetitions[0].series[0].points[1].t_ns", "before"},
		{"drop dup", func(d *results.Document) {
			d.Points[0].Repetitions[0].Drops = []results.Drop{{Cause: "queue_full"}, {Cause: "queue_full"}}
		}, "points[0].repetitions[0].drops[1].cause", "repeats"},
		{"search unit", func(d *results.Document) {
			d.Points[0].Search = &results.Search{LoadUnit: "bps", Goals: []results.SearchGoal{{Name: "NDR", Width: 0.005}}}
		}, "points[0].search.load_unit", `"bps"`},
		{"search bounds", func(d *results.Document) {
			d.Points[0].Search = &results.Search{LoadUnit: "pps", Goals: []results.SearchGoal{{Name: "NDR", Width: 0.005, LowerBound: 2, UpperBound: 1}}}
		}, "points[0].search.goals[0].upper_bound", "lower_bound"},
		{"trial loss", func(d *results.Document) {
			d.Points[0].Search = &results.Search{LoadUnit: "pps", Goals: []results.SearchGoal{{Name: "NDR", Width: 0.005}},
				Trials: []results.Trial{{Load: 10, DurationNS: 1, Offered: 10, Received: 5, LossRatio: 0.4}}}
		}, "points[0].search.trials[0].loss_ratio", "0.5"},
		{"latency goal", func(d *results.Document) {
			d.Points[0].Search = &results.Search{LoadUnit: "pps", Goals: []results.SearchGoal{{Name: "NDR", Width: 0.005}},
				Latency: []results.LoadLatency{{Goal: "PDR", Fraction: 0.5}}}
		}, "points[0].search.latency[0].goal", `"PDR"`},
		{"plot axis", func(d *results.Document) {
			d.Plots = []results.PlotSpec{{Kind: results.PlotMetric, Metric: "throughput", X: "nope"}}
		}, "plots[0].x", "not a sweep axis"},
		{"plot metric", func(d *results.Document) {
			d.Plots = []results.PlotSpec{{Kind: results.PlotMetric, Metric: "nope", X: "apps.0.kind"}}
		}, "plots[0].metric", "throughput, queue_drops"},
		{"plot kind", func(d *results.Document) { d.Plots = []results.PlotSpec{{Kind: "pie"}} }, "plots[0].kind", `"pie"`},
		{"finished without incomplete", func(d *results.Document) { d.FinishedPoints = []int{0} }, "finished_points", "incomplete"},
		{"finished unknown", func(d *results.Document) {
			d.Incomplete = true
			d.Points = d.Points[:2]
			d.FinishedPoints = []int{0, 3}
		}, "finished_points[1]", "not in points"},
		{"finished partial", func(d *results.Document) {
			d.Incomplete = true
			d.Points = d.Points[:2]
			d.Points[1].Repetitions = d.Points[1].Repetitions[:1]
			d.FinishedPoints = []int{0, 1}
		}, "finished_points[1]", "1 of 2"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := small()
			c.break_(d)
			err := d.Validate()
			ve, ok := err.(*results.ValidationError)
			if !ok {
				t.Fatalf("Validate = %v, want a *ValidationError", err)
			}
			for _, p := range ve.Problems {
				if p.Path == c.path && strings.Contains(p.Msg, c.msg) {
					return
				}
			}
			t.Errorf("no problem at %s mentioning %q; got:\n%v", c.path, c.msg, err)
		})
	}
}

func TestIncompleteValid(t *testing.T) {
	d := small()
	d.Incomplete = true
	d.Points = d.Points[:2]
	d.Points[1].Repetitions = d.Points[1].Repetitions[:1]
	d.FinishedPoints = []int{0}
	if err := d.Validate(); err != nil {
		t.Fatalf("an interrupted run with a partial point is valid: %v", err)
	}
}

func writeFile(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "r.json")
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestLoadErrors(t *testing.T) {
	good, err := results.Marshal(small())
	if err != nil {
		t.Fatal(err)
	}
	replace := func(old, new string) string {
		s := strings.Replace(string(good), old, new, 1)
		if s == string(good) {
			t.Fatalf("test bug: %q not in the document", old)
		}
		return s
	}
	cases := []struct {
		name, content string
		want          []string
	}{
		{"empty", "  \n", []string{"empty file"}},
		{"array", "[1, 2]", []string{"JSON array", "want an object"}},
		{"no schema", `{"scenario": {}}`, []string{`no "schema" field`}},
		{"schema type", `{"schema": 1}`, []string{`"schema" is 1`}},
		{"other version", replace(results.Schema, "sessionlab.results/v2"), []string{`"sessionlab.results/v2"`, "another version", "reads only"}},
		{"other schema", `{"schema": "benchstat/v9", "x": 1}`, []string{`"benchstat/v9" is not a sessionlab results document`}},
		{"syntax", "{\n  \"schema\": \"sessionlab.results/v1\",\n  \"scenario\": {,}\n}", []string{":3:", "syntax"}},
		{"truncated", string(good[:len(good)/2]), []string{"r.json"}},
		{"type", replace(`"workers": 2`, `"workers": "two"`), []string{"config.workers", "string"}},
		{"unknown field", replace(`"workers": 2`, `"workers": 2, "wrokers": 3`), []string{`"wrokers"`}},
		{"trailing", string(good) + "{}", []string{"after the document"}},
		{"invalid", replace(`"unit": "pps"`, `"unit": ""`), []string{"points[0].repetitions[0].metrics[0].unit: must not be empty"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := writeFile(t, c.content)
			d, err := results.Load(path)
			if err == nil {
				t.Fatalf("Load succeeded: %+v", d.Scenario)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, path) {
				t.Errorf("error does not start with the file name: %v", err)
			}
			for _, w := range c.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q does not mention %q", msg, w)
				}
			}
		})
	}
	if _, err := results.Load(filepath.Join(t.TempDir(), "missing.json")); err == nil || !os.IsNotExist(err) {
		t.Errorf("missing file: err = %v", err)
	}
}

func TestValueJSON(t *testing.T) {
	cases := []struct {
		in   string
		want results.Value
	}{
		{`{"text":"64m","num":67108864}`, results.NumText("64m", 64<<20)},
		{`{"text":"echo"}`, results.Text("echo")},
		{`"echo"`, results.Text("echo")},
		{`1024`, results.Num(1024)},
		{`1e3`, results.NumText("1e3", 1000)},
	}
	for _, c := range cases {
		var v results.Value
		if err := json.Unmarshal([]byte(c.in), &v); err != nil {
			t.Errorf("%s: %v", c.in, err)
			continue
		}
		if !v.Equal(c.want) {
			t.Errorf("%s: got %+v, want %+v", c.in, v, c.want)
		}
	}
	for _, bad := range []string{`true`, `[1]`, `{"text":"a","nmu":1}`, `{"text":"a","num":"x"}`} {
		var v results.Value
		if err := json.Unmarshal([]byte(bad), &v); err == nil {
			t.Errorf("%s: accepted as %+v", bad, v)
		}
	}
	b, _ := json.Marshal(results.Text("a"))
	if string(b) != `{"text":"a"}` {
		t.Errorf("non-numeric value marshals as %s", b)
	}
}

func TestCSV(t *testing.T) {
	d := small()
	var buf bytes.Buffer
	if err := results.WriteCSV(&buf, d); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "testdata/small.csv", buf.Bytes(), *update)
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	header := rows[0]
	rows = rows[1:]
	if want := 4 * 2 * 2; len(rows) != want {
		t.Fatalf("%d rows, want points × repetitions × metrics = %d", len(rows), want)
	}
	col := map[string]int{}
	for i, h := range header {
		col[h] = i
	}
	// Every row's value is exactly the document's value.
	for _, row := range rows {
		pi, _ := strconv.Atoi(row[col["point"]])
		ri, _ := strconv.Atoi(row[col["repetition"]])
		m, ok := d.Points[pi].Repetitions[ri].Metric(row[col["metric"]])
		if !ok {
			t.Fatalf("row names unknown metric: %v", row)
		}
		v, err := strconv.ParseFloat(row[col["value"]], 64)
		if err != nil || v != m.Value {
			t.Errorf("row %v: value %v, document has %v", row, v, m.Value)
		}
		if got := row[col["apps.0.kind"]]; got != d.Points[pi].Params[2].Value.Text {
			t.Errorf("row %v: axis column %q", row, got)
		}
	}
}

func TestEnvironment(t *testing.T) {
	d := small()
	d.Environment = results.CurrentEnvironment(d.Environment.Start)
	d.Environment.End = d.Environment.Start
	if err := d.Validate(); err != nil {
		t.Fatalf("current environment is not valid: %v", err)
	}
	b, _ := json.Marshal(d.Environment)
	if host, err := os.Hostname(); err == nil && len(host) > 3 && bytes.Contains(b, []byte(host)) {
		t.Errorf("environment contains the host name %q: %s", host, b)
	}
}
