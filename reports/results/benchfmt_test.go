package results_test

import (
	"bufio"
	"bytes"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/sessionlab/sessionlab/internal/testutil/golden"
	"github.com/sessionlab/sessionlab/reports/results"
)

// benchLine is one result line as the Go benchmark format defines it
// (proposal 14313, as golang.org/x/perf/benchfmt reads it).
type benchLine struct {
	name   string // without the "Benchmark" prefix and -procs suffix
	procs  int
	iters  int
	values map[string]float64
}

// parseBenchfmt is a strict reader of the benchmark format: every line must
// be blank, a configuration line ("key: value", key starting with a lower
// case letter and without spaces or upper case letters) or a benchmark line
// ("Benchmark" + name, a positive iteration count, then value/unit pairs).
// It rejects anything benchfmt would skip or misread, so a passing test means
// benchstat sees every value.
func parseBenchfmt(t *testing.T, b []byte) (config map[string]string, lines []benchLine) {
	t.Helper()
	keyRE := regexp.MustCompile(`^[a-z][^\sA-Z:]*$`)
	procsRE := regexp.MustCompile(`-([0-9]+)$`)
	config = map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if strings.TrimSpace(line) == "" {
			continue
		}
		if strings.HasPrefix(line, "Benchmark") {
			f := strings.Fields(line)
			if len(f) < 4 || len(f)%2 != 0 {
				t.Fatalf("line %d: %d fields, want name, iterations and value/unit pairs: %q", n, len(f), line)
			}
			if f[0] == "Benchmark" || !strings.HasPrefix(f[0], "Benchmark") {
				t.Fatalf("line %d: bad name %q", n, f[0])
			}
			r := benchLine{name: strings.TrimPrefix(f[0], "Benchmark"), procs: 1, values: map[string]float64{}}
			if m := procsRE.FindStringSubmatch(r.name); m != nil {
				r.procs, _ = strconv.Atoi(m[1])
				r.name = strings.TrimSuffix(r.name, m[0])
			}
			it, err := strconv.Atoi(f[1])
			if err != nil || it <= 0 {
				t.Fatalf("line %d: iterations %q", n, f[1])
			}
			r.iters = it
			for i := 2; i < len(f); i += 2 {
				v, err := strconv.ParseFloat(f[i], 64)
				if err != nil {
					t.Fatalf("line %d: value %q: %v", n, f[i], err)
				}
				if _, dup := r.values[f[i+1]]; dup {
					t.Fatalf("line %d: unit %q twice", n, f[i+1])
				}
				r.values[f[i+1]] = v
			}
			lines = append(lines, r)
			continue
		}
		k, v, ok := strings.Cut(line, ":")
		if !ok || !keyRE.MatchString(k) || !strings.HasPrefix(v, " ") {
			t.Fatalf("line %d is neither a benchmark nor a configuration line: %q", n, line)
		}
		config[k] = strings.TrimSpace(v)
	}
	return config, lines
}

func TestBenchfmt(t *testing.T) {
	d := small()
	var buf bytes.Buffer
	if err := results.WriteBenchfmt(&buf, d); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "testdata/small.bench", buf.Bytes(), *update)
	config, lines := parseBenchfmt(t, buf.Bytes())
	if config["scenario"] != "small" || config["goos"] != "linux" || config["mode"] != "sim" {
		t.Errorf("configuration lines: %v", config)
	}
	if want := 4 * 2; len(lines) != want {
		t.Fatalf("%d benchmark lines, want points × repetitions = %d", len(lines), want)
	}
	k := 0
	for i := range d.Points {
		pt := &d.Points[i]
		wantName := fmt.Sprintf("Scenario/point=%d", pt.Index)
		for _, p := range pt.Params {
			wantName += "/" + results.ShortName(p.Name) + "=" + p.Value.Text
		}
		for r := range pt.Repetitions {
			l := lines[k]
			k++
			if l.name != wantName || l.procs != 1 {
				t.Errorf("name %q procs %d, want %q procs 1", l.name, l.procs, wantName)
			}
			for _, m := range pt.Repetitions[r].Metrics {
				unit := m.Name + "-" + m.Unit
				if v, ok := l.values[unit]; !ok || v != m.Value {
					t.Errorf("%s: %s = %v (present %v), want %v", l.name, unit, v, ok, m.Value)
				}
			}
		}
	}
}

// TestBenchfmtHostileNames checks names that would break the format: spaces,
// slashes and a trailing "-5" that a reader would take for GOMAXPROCS.
func TestBenchfmtHostileNames(t *testing.T) {
	d := small()
	d.Sweep.Axes[2].Values = []results.Value{results.Text("a b/c"), results.Num(-5)}
	for i := range d.Points {
		d.Points[i].Params = d.Sweep.ParamsAt(d.Points[i].Index)
		for r := range d.Points[i].Repetitions {
			d.Points[i].Repetitions[r].Metrics[0].Name = "thr ough/put"
		}
	}
	if err := d.Validate(); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := results.WriteBenchfmt(&buf, d); err != nil {
		t.Fatal(err)
	}
	_, lines := parseBenchfmt(t, buf.Bytes())
	if got, want := lines[0].name, "Scenario/point=0/event-queue-length=2048/burst=8/kind=a_b_c"; got != want {
		t.Errorf("name %q, want %q", got, want)
	}
	if got, want := lines[2].name, "Scenario/point=1/event-queue-length=2048/burst=8/kind=-5"; got != want {
		t.Errorf("name %q, want %q (the -5 must survive)", got, want)
	}
	if _, ok := lines[0].values["thr_ough_put-pps"]; !ok {
		t.Errorf("units %v, want thr_ough_put-pps", lines[0].values)
	}
}
