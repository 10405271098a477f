package results

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
)

// CSVHeader returns the header row WriteCSV writes for d: fixed columns, then
// one column per sweep axis (named by the axis), then the metric columns.
func CSVHeader(d *Document) []string {
	h := []string{"scenario", "mode", "point"}
	for _, a := range d.Sweep.Axes {
		h = append(h, a.Name)
	}
	return append(h, "repetition", "seed", "duration_ns", "metric", "unit", "direction", "kind", "value")
}

// WriteCSV writes one row per point × repetition × metric, in document
// order, after the CSVHeader row. Numbers are written in Go's shortest
// round-tripping form, so the CSV holds exactly the document's values.
func WriteCSV(w io.Writer, d *Document) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(CSVHeader(d)); err != nil {
		return err
	}
	row := make([]string, 0, 11+len(d.Sweep.Axes))
	for i := range d.Points {
		pt := &d.Points[i]
		for r := range pt.Repetitions {
			rep := &pt.Repetitions[r]
			for _, m := range rep.Metrics {
				row = append(row[:0], d.Scenario.Name, string(d.Scenario.Mode), strconv.Itoa(pt.Index))
				for _, a := range d.Sweep.Axes {
					v, _ := pt.Param(a.Name)
					row = append(row, v.Text)
				}
				row = append(row,
					strconv.Itoa(rep.Index),
					strconv.FormatUint(rep.Seed, 10),
					strconv.FormatInt(rep.DurationNS, 10),
					m.Name, m.Unit, string(m.Direction), string(m.Kind),
					strconv.FormatFloat(m.Value, 'g', -1, 64))
				if err := cw.Write(row); err != nil {
					return err
				}
			}
		}
	}
	cw.Flush()
	return cw.Error()
}

// WriteBenchfmt writes d in the Go benchmark format
// (https://go.googlesource.com/proposal/+/master/design/14313-benchmark-format.md)
// so that benchstat and other Go benchmark tools read it:
//
//	goos: linux
//	goarch: amd64
//	cpu: <model>
//	scenario: bucket-sweep
//	mode: sim
//	BenchmarkScenario/point=0/session-table-buckets=1024 1 1.25e+06 throughput-pps 83 lookup_ns-ns
//
// One line per point × repetition (a repetition is a benchmark run, so
// benchstat sees every repetition as a sample); each metric is a value/unit
// pair whose unit is "<metric>-<unit>", because benchstat groups values by
// unit and two metrics sharing a unit must stay apart. The configuration
// lines hold only what two comparable runs share (benchstat splits tables on
// any configuration key that differs, so no version or commit lines).
// Parameter names use
// their last dotted component; spaces and slashes in names and values become
// underscores, because they would end the name or start a sub-benchmark.
func WriteBenchfmt(w io.Writer, d *Document) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "goos: %s\n", d.Environment.GOOS)
	fmt.Fprintf(bw, "goarch: %s\n", d.Environment.GOARCH)
	if d.Environment.CPUModel != "" {
		fmt.Fprintf(bw, "cpu: %s\n", oneLine(d.Environment.CPUModel))
	}
	fmt.Fprintf(bw, "scenario: %s\n", oneLine(d.Scenario.Name))
	fmt.Fprintf(bw, "mode: %s\n", d.Scenario.Mode)
	for i := range d.Points {
		pt := &d.Points[i]
		name := BenchName(pt)
		for r := range pt.Repetitions {
			rep := &pt.Repetitions[r]
			if len(rep.Metrics) == 0 {
				continue
			}
			bw.WriteString(name)
			bw.WriteString(" 1")
			for _, m := range rep.Metrics {
				bw.WriteByte(' ')
				bw.WriteString(strconv.FormatFloat(m.Value, 'g', -1, 64))
				bw.WriteByte(' ')
				bw.WriteString(BenchUnit(m))
			}
			bw.WriteByte('\n')
		}
	}
	return bw.Flush()
}

// procsSuffix matches what a benchmark-format reader would take for a
// GOMAXPROCS suffix at the end of a name.
var procsSuffix = regexp.MustCompile(`-[0-9]+$`)

// BenchName returns the benchmark name WriteBenchfmt uses for p:
// "BenchmarkScenario/point=<index>" followed by "/<axis>=<value>" per axis.
func BenchName(p *Point) string {
	var b strings.Builder
	b.WriteString("BenchmarkScenario/point=")
	b.WriteString(strconv.Itoa(p.Index))
	for _, q := range p.Params {
		b.WriteByte('/')
		b.WriteString(benchToken(ShortName(q.Name)))
		b.WriteByte('=')
		b.WriteString(benchToken(q.Value.Text))
	}
	s := b.String()
	if procsSuffix.MatchString(s) {
		// A value such as "-5" at the very end would be read as GOMAXPROCS
		// 5; an explicit "-1" suffix is read as GOMAXPROCS 1 instead and
		// leaves the name intact.
		s += "-1"
	}
	return s
}

// BenchUnit returns the unit WriteBenchfmt writes for m: "<name>-<unit>".
func BenchUnit(m Metric) string { return benchToken(m.Name) + "-" + benchToken(m.Unit) }

func benchToken(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '/' || r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '\v' || r == '\f':
			return '_'
		case r < 0x20 || r == 0x7f || r == 0x85 || r == 0xa0 || r == 0x1680 || (r >= 0x2000 && r <= 0x200a) || r == 0x2028 || r == 0x2029 || r == 0x202f || r == 0x205f || r == 0x3000:
			return '_'
		}
		return r
	}, s)
}

// oneLine keeps a configuration value on one line.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
