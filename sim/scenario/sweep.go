package scenario

import (
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/sessionlab/sessionlab/core/config"
	"github.com/sessionlab/sessionlab/reports/results"
)

// Sweep expansion. Validation turns the sweep block into axes (ranges
// expanded, every value checked against its parameter's type); the grid
// arithmetic (zip groups, cartesian product, last group fastest) is
// results.Sweep's, so the runner that enumerates points, the results
// document that lists them and compare that matches them agree by
// construction. A point is resolved on demand: the scenario is deep-copied,
// the point's values are applied (scenario fields by decoding the value as
// the field's type, startup.conf parameters through config.Session.Set, as
// VPP would read them), defaults are filled and the copy is validated.

// MaxPoints bounds a sweep's grid. Larger grids are almost always a typo
// in a range step; split a real one into several scenarios or shards.
const MaxPoints = 100000

// maxAxisValues bounds the values one range may generate.
const maxAxisValues = 10000

// axis is one expanded sweep axis.
type axis struct {
	// session is the startup.conf keyword for "session.<keyword>" params;
	// path is the field path otherwise.
	session string
	path    []pathElem
	values  []Scalar
	res     results.Axis
}

// Resolved is one sweep point, ready to run: the scenario with the --set
// overrides and the point's values applied and defaults filled in, its
// effective startup.conf, and the point's parameters.
type Resolved struct {
	// Scenario is the point's own copy; engines may read it freely.
	Scenario *Scenario
	// Index is the point's position in the grid (0-based).
	Index int
	// Params are the point's values, one per sweep axis in axis order.
	Params []results.Param
	// Config is the effective configuration: the startup.conf text with
	// workers, --set and sweep values applied.
	Config *config.File
	// Warnings about this point's configuration (startup.conf warnings,
	// queues below VPP's minimum, ...), as text.
	Warnings []string
}

// Rules returns the point's session rule lines: the scenario's rules,
// then the generated ones.
func (r *Resolved) Rules() []string {
	s := r.Scenario
	out := make([]string, 0, len(s.Rules))
	out = append(out, s.Rules...)
	if s.RulesGen != nil {
		out = append(out, s.RulesGen.Lines(s.Seed)...)
	}
	return out
}

// String describes the point: "point 3 (session.wrk-mq-length=4096)".
func (r *Resolved) String() string { return describePoint(r.Index, r.Params) }

func describePoint(i int, ps []results.Param) string {
	if len(ps) == 0 {
		return fmt.Sprintf("point %d", i)
	}
	parts := make([]string, len(ps))
	for k, p := range ps {
		parts[k] = p.Name + "=" + p.Value.Text
	}
	return fmt.Sprintf("point %d (%s)", i, strings.Join(parts, ", "))
}

// SweepAxes returns the sweep's axes as the results document records them
// (empty without a sweep).
func (s *Scenario) SweepAxes() []results.Axis {
	out := make([]results.Axis, len(s.axes))
	for i, a := range s.axes {
		out[i] = a.res
		out[i].Values = append([]results.Value(nil), a.res.Values...)
	}
	return out
}

// Points returns the number of points of the grid (1 without a sweep).
func (s *Scenario) Points() int { return s.sweep().Size() }

func (s *Scenario) sweep() results.Sweep {
	sw := results.Sweep{Axes: make([]results.Axis, len(s.axes))}
	for i, a := range s.axes {
		sw.Axes[i] = a.res
	}
	return sw
}

// indices returns, per axis, the value index of grid point i.
func (s *Scenario) indices(i int) []int {
	idx := make([]int, len(s.axes))
	gs := s.sweep().Groups()
	for g := len(gs) - 1; g >= 0; g-- {
		vi := i % gs[g].Len
		i /= gs[g].Len
		for _, a := range gs[g].Axes {
			idx[a] = vi
		}
	}
	return idx
}

// Resolve returns grid point i (0 ≤ i < Points()).
func (s *Scenario) Resolve(i int) (*Resolved, error) {
	if i < 0 || i >= s.Points() {
		return nil, fmt.Errorf("%s: point %d is outside the sweep's %d points", s.src.name, i, s.Points())
	}
	idx := s.indices(i)
	c := s.clone()
	r := &Resolved{Scenario: c, Index: i, Params: make([]results.Param, len(s.axes))}
	var errs ErrorList
	var sessionVals []Override
	for k, a := range s.axes {
		r.Params[k] = results.Param{Name: a.res.Name, Value: a.res.Values[idx[k]]}
		v := a.values[idx[k]]
		if a.session != "" {
			sessionVals = append(sessionVals, Override{Key: a.session, Value: v.Text})
			continue
		}
		if err := c.setScalar(a.path, v); err != nil {
			errs = append(errs, &Error{File: s.src.name, Pos: s.src.posOf(fmt.Sprintf("sweep.axes[%d].values[%d]", k, idx[k])),
				Path: a.res.Name, Msg: err.Error()})
		}
	}
	if len(errs) == 0 {
		c.applyDefaults()
		c.validateModel(&errs)
		cfg, warns := c.effectiveConfig(sessionVals, &errs)
		r.Config, r.Warnings = cfg, warns
	}
	if len(errs) > 0 {
		if len(s.axes) > 0 {
			what := describePoint(i, r.Params)
			for _, e := range errs {
				e.Msg = "at sweep " + what + ": " + e.Msg
			}
		}
		return nil, errs.err()
	}
	return r, nil
}

// setScalar stores a sweep value in the field at path.
func (s *Scenario) setScalar(path []pathElem, v Scalar) error {
	target, err := lookupPath(reflect.ValueOf(s).Elem(), path, true)
	if err != nil {
		return err
	}
	for target.Kind() == reflect.Pointer {
		if target.IsNil() {
			target.Set(reflect.New(target.Type().Elem()))
		}
		target = target.Elem()
	}
	d := &decoder{src: s.src, file: s.src.name}
	d.assign(target, v.Text, v.kind, Pos{}, "")
	if len(d.errs) > 0 {
		return fmt.Errorf("%s", d.errs[0].Msg)
	}
	return nil
}

// expandSweep checks the sweep block and builds s.axes.
func (s *Scenario) expandSweep(errs *ErrorList) {
	s.axes = nil
	if s.Sweep == nil {
		return
	}
	bad := false
	errf := func(path, format string, args ...any) {
		*errs = append(*errs, &Error{File: s.src.name, Pos: s.src.posOf(path), Path: path, Msg: fmt.Sprintf(format, args...)})
		bad = true
	}
	params := map[string]int{}
	zipLen := map[string]int{}
	for i, ax := range s.Sweep.Axes {
		p := fmt.Sprintf("sweep.axes[%d]", i)
		a := axis{res: results.Axis{Name: ax.Param, Unit: ax.Unit, Zip: ax.Zip}}
		var target reflect.Type // the field's type (nil for session params)
		switch {
		case ax.Param == "":
			errf(p, "missing param (a startup.conf parameter \"session.<keyword>\" or a scenario field path)")
			continue
		case strings.HasPrefix(ax.Param, sessionPrefix):
			a.session = strings.TrimPrefix(ax.Param, sessionPrefix)
			if err := checkSessionKeyword(a.session); err != nil {
				errf(p+".param", "%v", err)
				continue
			}
		default:
			es, err := parsePath(ax.Param)
			if err == nil {
				switch es[0].name {
				case "sweep", "name", "plots", "search", "description":
					err = fmt.Errorf("%s cannot be swept", es[0].name)
				}
			}
			if err == nil {
				target, err = typeAtPath(reflect.TypeFor[Scenario](), es)
			}
			if err == nil {
				for target.Kind() == reflect.Pointer {
					target = target.Elem()
				}
				if !isScalarType(target) && (target.Kind() == reflect.Struct || target.Kind() == reflect.Slice) {
					err = fmt.Errorf("%s is not a single value; sweep one of its fields", ax.Param)
				}
			}
			if err == nil {
				// Indices must exist in the scenario.
				_, err = lookupPath(reflect.ValueOf(s.clone()).Elem(), es, true)
			}
			if err != nil {
				errf(p+".param", "%v", err)
				continue
			}
			a.path = es
		}
		if j, dup := params[ax.Param]; dup {
			errf(p+".param", "%q is already swept by sweep.axes[%d]", ax.Param, j)
			continue
		}
		params[ax.Param] = i
		switch {
		case ax.Range != nil && ax.Values != nil:
			errf(p, "give values or range, not both")
			continue
		case ax.Range != nil:
			vs, err := ax.Range.expand()
			if err != nil {
				errf(p+".range", "%v", err)
				continue
			}
			a.values = vs
		case len(ax.Values) == 0:
			errf(p, "no values (give values: [...] or range: {from, to, step})")
			continue
		default:
			a.values = ax.Values
		}
		texts := map[string]int{}
		for k, v := range a.values {
			vp := fmt.Sprintf("%s.values[%d]", p, k)
			if ax.Range != nil {
				vp = p + ".range"
			}
			if j, dup := texts[v.Text]; dup {
				errf(vp, "value %q repeats values[%d]", v.Text, j)
				continue
			}
			texts[v.Text] = k
			if err := checkAxisValue(a.session, target, v); err != nil {
				errf(vp, "%v", err)
				continue
			}
			rv, unit := resultValue(v, target)
			a.res.Values = append(a.res.Values, rv)
			if a.res.Unit == "" {
				a.res.Unit = unit
			}
		}
		if ax.Zip != "" {
			if n, ok := zipLen[ax.Zip]; ok && n != len(a.values) {
				errf(p+".zip", "zip group %q: this axis has %d values, the group's first axis %d", ax.Zip, len(a.values), n)
				continue
			} else if !ok {
				zipLen[ax.Zip] = len(a.values)
			}
		}
		s.axes = append(s.axes, a)
	}
	if bad {
		s.axes = nil
		return
	}
	size := 1
	for _, g := range s.sweep().Groups() {
		size *= g.Len
		if size > MaxPoints {
			errf("sweep", "the grid has more than %d points; narrow the ranges or split the sweep", MaxPoints)
			s.axes = nil
			return
		}
	}
}

// checkAxisValue checks that v can be assigned to the parameter.
func checkAxisValue(session string, target reflect.Type, v Scalar) error {
	if session != "" {
		return checkSessionParam(session, v.Text)
	}
	tmp := reflect.New(target).Elem()
	d := &decoder{}
	d.assign(tmp, v.Text, v.kind, Pos{}, "")
	if len(d.errs) > 0 {
		return fmt.Errorf("%s", d.errs[0].Msg)
	}
	return nil
}

// resultValue is the results document's form of a sweep value: its text,
// and its number when it denotes one (sizes in bytes, durations in
// seconds, percentages as fractions), with the unit that implies.
func resultValue(v Scalar, target reflect.Type) (results.Value, string) {
	switch v.kind {
	case kindInt, kindFloat:
		if f, err := strconv.ParseFloat(intText(v.Text), 64); err == nil && !math.IsInf(f, 0) && !math.IsNaN(f) {
			return results.NumText(v.Text, f), ""
		}
	case kindString:
		t := strings.TrimSpace(v.Text)
		if target == reflect.TypeFor[Duration]() {
			if d, err := time.ParseDuration(t); err == nil {
				return results.NumText(v.Text, d.Seconds()), "s"
			}
		}
		if n, err := parseSize(t); err == nil {
			return results.NumText(v.Text, float64(n)), ""
		}
		if f, err := strconv.ParseFloat(t, 64); err == nil && !math.IsInf(f, 0) && !math.IsNaN(f) {
			return results.NumText(v.Text, f), ""
		}
		if strings.HasSuffix(t, "%") {
			var r Ratio
			if r.decodeScalar(t, kindString) == nil {
				return results.NumText(v.Text, float64(r)), ""
			}
		}
	}
	return results.Text(v.Text), ""
}

// expand generates a range's values.
func (r *Range) expand() ([]Scalar, error) {
	from, to := r.From.Value, r.To.Value
	suffixed := r.From.Suffixed || r.To.Suffixed || r.Step.Suffixed
	if to < from {
		return nil, fmt.Errorf("to (%s) is below from (%s)", r.To, r.From)
	}
	var out []Scalar
	add := func(v float64) error {
		if len(out) == maxAxisValues {
			return fmt.Errorf("the range has more than %d values", maxAxisValues)
		}
		kind := kindFloat
		if v == math.Trunc(v) {
			kind = kindInt
		}
		text := formatNumber(v, suffixed)
		if suffixed && kind == kindInt {
			kind = kindString // "16m" is written as a string
		}
		out = append(out, Scalar{Text: text, kind: kind})
		return nil
	}
	// A value within a relative 1e-9 of to counts as reaching it, so
	// 0.1-steps land on to despite binary rounding.
	eps := 1e-9 * max(math.Abs(to), math.Abs(from), 1)
	switch {
	case r.Step.Value != 0 && r.Factor != 0:
		return nil, fmt.Errorf("give step or factor, not both")
	case r.Step.Value > 0:
		for k := 0; ; k++ {
			v := from + float64(k)*r.Step.Value
			if v > to+eps {
				break
			}
			if err := add(v); err != nil {
				return nil, err
			}
		}
	case r.Step.Value < 0:
		return nil, fmt.Errorf("step %s is negative (ranges count up from from to to)", r.Step)
	case r.Factor > 1:
		if from <= 0 {
			return nil, fmt.Errorf("a factor range needs from > 0, not %s", r.From)
		}
		for v := from; v <= to+eps; v *= r.Factor {
			if err := add(v); err != nil {
				return nil, err
			}
		}
	case r.Factor != 0:
		return nil, fmt.Errorf("factor %v must be greater than 1", r.Factor)
	default:
		return nil, fmt.Errorf("give step (> 0) or factor (> 1)")
	}
	return out, nil
}

// checkSessionKeyword checks that a startup.conf session keyword exists,
// suggesting the closest one otherwise.
func checkSessionKeyword(kw string) error {
	for _, p := range config.Default().Params() {
		if p.Keyword == kw {
			return nil
		}
	}
	// Deprecated keywords are valid too; Set knows them.
	if err := config.Default().Set(kw, ""); err == nil || !strings.Contains(err.Error(), "unknown session keyword") {
		return nil
	}
	var names []string
	for _, p := range config.Default().Params() {
		names = append(names, p.Keyword)
	}
	return fmt.Errorf("unknown startup.conf session keyword %q%s", kw, suggest(kw, names))
}

// checkSessionParam applies keyword=value to a default session stanza, as
// VPP would read `session { keyword value }`.
func checkSessionParam(kw, value string) error {
	if err := checkSessionKeyword(kw); err != nil {
		return err
	}
	s := config.Default()
	s.Options.AllowSmallQueues = true
	if err := s.Set(kw, value); err != nil {
		return fmt.Errorf("startup.conf: %v", err)
	}
	return nil
}
