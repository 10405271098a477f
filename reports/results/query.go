package results

import (
	"sort"
	"strings"
)

// Read-side helpers shared by plots, the HTML report and compare. They walk
// the document in its stored order, so everything derived from it is
// deterministic.

// MetricNames returns the names of all metrics in first-appearance order.
func (d *Document) MetricNames() []string {
	var names []string
	seen := map[string]bool{}
	for i := range d.Points {
		for r := range d.Points[i].Repetitions {
			for _, m := range d.Points[i].Repetitions[r].Metrics {
				if !seen[m.Name] {
					seen[m.Name] = true
					names = append(names, m.Name)
				}
			}
		}
	}
	return names
}

// MetricInfo returns the first declaration of the named metric (its Value is
// that repetition's value) and whether one exists.
func (d *Document) MetricInfo(name string) (Metric, bool) {
	for i := range d.Points {
		for r := range d.Points[i].Repetitions {
			if m, ok := d.Points[i].Repetitions[r].Metric(name); ok {
				return m, true
			}
		}
	}
	return Metric{}, false
}

// HistogramNames returns the names of all histograms of the repetitions in
// first-appearance order.
func (d *Document) HistogramNames() []string {
	var names []string
	seen := map[string]bool{}
	for i := range d.Points {
		for r := range d.Points[i].Repetitions {
			for _, h := range d.Points[i].Repetitions[r].Histograms {
				if !seen[h.Name] {
					seen[h.Name] = true
					names = append(names, h.Name)
				}
			}
		}
	}
	return names
}

// SeriesNames returns the names of all time series in first-appearance order.
func (d *Document) SeriesNames() []string {
	var names []string
	seen := map[string]bool{}
	for i := range d.Points {
		for r := range d.Points[i].Repetitions {
			for _, s := range d.Points[i].Repetitions[r].Series {
				if !seen[s.Name] {
					seen[s.Name] = true
					names = append(names, s.Name)
				}
			}
		}
	}
	return names
}

// HasSearch reports whether any point holds a search.
func (d *Document) HasSearch() bool {
	for i := range d.Points {
		if d.Points[i].Search != nil {
			return true
		}
	}
	return false
}

// Metric returns the repetition's metric named name.
func (r *Repetition) Metric(name string) (Metric, bool) {
	for _, m := range r.Metrics {
		if m.Name == name {
			return m, true
		}
	}
	return Metric{}, false
}

// Histogram returns the repetition's histogram named name.
func (r *Repetition) Histogram(name string) (*Histogram, bool) {
	for i := range r.Histograms {
		if r.Histograms[i].Name == name {
			return &r.Histograms[i], true
		}
	}
	return nil, false
}

// Samples returns the named metric's value in every repetition of p that has
// it, in repetition order.
func (p *Point) Samples(metric string) []float64 {
	var xs []float64
	for r := range p.Repetitions {
		if m, ok := p.Repetitions[r].Metric(metric); ok {
			xs = append(xs, m.Value)
		}
	}
	return xs
}

// Label returns the point's parameters as "a=1 b=64m", or "all" for the only
// point of an unswept run.
func (p *Point) Label() string {
	if len(p.Params) == 0 {
		return "all"
	}
	var b strings.Builder
	for i, q := range p.Params {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(ShortName(q.Name))
		b.WriteByte('=')
		b.WriteString(q.Value.Text)
	}
	return b.String()
}

// ShortName returns the last dotted component of a parameter name
// ("session.session-table-buckets" → "session-table-buckets") for labels.
func ShortName(name string) string {
	if i := strings.LastIndexByte(name, '.'); i >= 0 && i+1 < len(name) {
		return name[i+1:]
	}
	return name
}

// Key returns the series name with its labels in a stable order:
// "sessions{state=established,worker=0}".
func (s *Series) Key() string {
	if len(s.Labels) == 0 {
		return s.Name
	}
	keys := make([]string, 0, len(s.Labels))
	for k := range s.Labels {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString(s.Name)
	b.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(s.Labels[k])
	}
	b.WriteByte('}')
	return b.String()
}
