package scenario

import (
	"errors"
	"fmt"
	"math"
	"net/netip"
	"reflect"
	"regexp"
	"slices"
	"strings"

	"github.com/sessionlab/sessionlab/core/config"
	"github.com/sessionlab/sessionlab/traffic/synth"
)

// Validation. Every rule here names the field path it checks, and the path
// is mapped back to the line and column the file wrote it at (or, for a
// missing field, where its parent is). All problems are collected; the user
// fixes a file in one round, not one error at a time.

// checker collects validation errors for one scenario.
type checker struct {
	s    *Scenario
	errs *ErrorList
}

func (c *checker) errf(path, format string, args ...any) {
	*c.errs = append(*c.errs, &Error{File: c.s.src.name, Pos: c.s.src.posOf(path), Path: path, Msg: fmt.Sprintf(format, args...)})
}

// keyErrf reports at the key of path (for "remove this field" errors).
func (c *checker) keyErrf(path, format string, args ...any) {
	*c.errs = append(*c.errs, &Error{File: c.s.src.name, Pos: c.s.src.keyPosOf(path), Path: path, Msg: fmt.Sprintf(format, args...)})
}

// validate checks the whole scenario and expands its sweep.
func (s *Scenario) validate() error {
	var errs ErrorList
	s.validateModel(&errs)
	s.expandSweep(&errs)
	if len(errs) > 0 {
		return errs.err()
	}
	// The base configuration, then every point: values that are fine one
	// by one can still fail together, and startup.conf values are only
	// checked in context (vpp_limits, workers).
	s.effectiveConfig(nil, &errs)
	if len(errs) > 0 {
		return errs.err()
	}
	for i := range s.Points() {
		if _, err := s.Resolve(i); err != nil {
			var l ErrorList
			if errors.As(err, &l) {
				errs = append(errs, l...)
			} else {
				errs = append(errs, &Error{File: s.src.name, Msg: err.Error()})
			}
			if len(errs) > maxListed {
				break
			}
		}
	}
	return errs.err()
}

// validateModel checks the fields (not the sweep, not the startup.conf).
func (s *Scenario) validateModel(errs *ErrorList) {
	c := &checker{s: s, errs: errs}
	if s.Name == "" {
		c.errf("name", "missing name")
	} else if strings.IndexFunc(s.Name, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.')
	}) >= 0 {
		c.errf("name", "name %q: use letters, digits, '-', '_' and '.' only", s.Name)
	}
	c.enum("mode", string(s.Mode), Mode("").enumValues())
	if s.Duration != 0 && s.Packets != 0 {
		c.keyErrf("packets", "give duration or packets, not both")
	}
	if s.Repetitions < 1 || s.Repetitions > 10000 {
		c.errf("repetitions", "repetitions is %d, want 1 to 10000", s.Repetitions)
	}
	if s.StartupConf != "" && s.StartupConfFile != "" {
		c.keyErrf("startup_conf_file", "give startup_conf or startup_conf_file, not both")
	}
	if s.StartupConfFile != "" {
		c.file("startup_conf_file", s.StartupConfFile)
	}
	if s.Workers != nil && (*s.Workers < 0 || *s.Workers > 1024) {
		c.errf("workers", "workers is %d, want 0 to 1024", *s.Workers)
	}
	ifaces := c.interfaces()
	nss := c.namespaces(ifaces)
	c.apps(nss)
	c.rules(nss)
	c.traffic()
	c.sim()
	c.plots()
	c.search()
}

func (c *checker) enum(path, v string, valid []string) {
	if !slices.Contains(valid, v) {
		c.errf(path, "%q is not one of %s%s", v, strings.Join(valid, ", "), suggest(v, valid))
	}
}

// file checks that a file the scenario names can be opened.
func (c *checker) file(path, name string) {
	f, err := c.s.Open(name)
	if err != nil {
		c.errf(path, "cannot open %v", err)
		return
	}
	f.Close()
}

func (c *checker) interfaces() map[string]*Interface {
	byName := map[string]*Interface{}
	idx := map[uint32]int{}
	for i := range c.s.Interfaces {
		it := &c.s.Interfaces[i]
		p := fmt.Sprintf("interfaces[%d]", i)
		if it.Name == "" {
			c.errf(p, "missing name")
		} else if _, dup := byName[it.Name]; dup {
			c.errf(p+".name", "interface %q is defined twice", it.Name)
		} else {
			byName[it.Name] = it
		}
		if it.SwIfIndex != nil {
			switch j, dup := idx[*it.SwIfIndex]; {
			case *it.SwIfIndex == 0:
				c.errf(p+".sw_if_index", "sw_if_index 0 is VPP's local0; use 1 or more")
			case *it.SwIfIndex == math.MaxUint32:
				c.errf(p+".sw_if_index", "sw_if_index 4294967295 is VPP's \"no interface\" (~0)")
			case dup:
				c.errf(p+".sw_if_index", "sw_if_index %d is also interfaces[%d]'s", *it.SwIfIndex, j)
			default:
				idx[*it.SwIfIndex] = i
			}
		}
		for k, a := range it.IP4 {
			if !a.Addr().Is4() {
				c.errf(fmt.Sprintf("%s.ip4[%d]", p, k), "%s is not an IPv4 prefix", a)
			}
		}
		for k, a := range it.IP6 {
			if !a.Addr().Is6() || a.Addr().Is4In6() {
				c.errf(fmt.Sprintf("%s.ip6[%d]", p, k), "%s is not an IPv6 prefix", a)
			}
		}
	}
	return byName
}

func (c *checker) namespaces(ifaces map[string]*Interface) map[string]bool {
	fibs := map[uint32]bool{0: true}
	for _, it := range c.s.Interfaces {
		fibs[it.FIB] = true
	}
	ids := map[string]bool{DefaultNamespace: true}
	for i, ns := range c.s.Namespaces {
		p := fmt.Sprintf("namespaces[%d]", i)
		switch {
		case ns.ID == "":
			c.errf(p, "missing id")
		case len(ns.ID) > 64:
			c.errf(p+".id", "namespace id is longer than 64 bytes")
		case ids[ns.ID] && ns.ID != DefaultNamespace:
			c.errf(p+".id", "namespace %q is defined twice", ns.ID)
		}
		ids[ns.ID] = true
		if ns.Interface != "" {
			if _, ok := ifaces[ns.Interface]; !ok {
				c.errf(p+".interface", "no interface named %q%s", ns.Interface, suggest(ns.Interface, mapKeys(ifaces)))
			}
		} else if ns.IP4FIB == nil && ns.IP6FIB == nil {
			c.errf(p, "namespace %q needs an interface or a FIB (ip4_fib, ip6_fib), as VPP's `app ns add` does", ns.ID)
		}
		for _, f := range []struct {
			name string
			id   *uint32
		}{{"ip4_fib", ns.IP4FIB}, {"ip6_fib", ns.IP6FIB}} {
			if f.id != nil && !fibs[*f.id] {
				c.errf(p+"."+f.name, "FIB table %d does not exist (no interface is in it); VPP refuses the namespace", *f.id)
			}
		}
	}
	return ids
}

func mapKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func (c *checker) apps(nss map[string]bool) {
	names := map[string]bool{}
	for i := range c.s.Apps {
		a := &c.s.Apps[i]
		p := fmt.Sprintf("apps[%d]", i)
		switch {
		case a.Name == "":
			c.errf(p, "missing name")
		case names[a.Name]:
			c.errf(p+".name", "app %q is defined twice", a.Name)
		}
		names[a.Name] = true
		c.enum(p+".kind", string(a.Kind), AppKind("").enumValues())
		if !nss[a.Namespace] {
			c.errf(p+".namespace", "no namespace %q (declare it under namespaces)%s", a.Namespace, suggest(a.Namespace, mapKeys(nss)))
		}
		c.enum(p+".scope", string(a.Scope), Scope("").enumValues())
		if !slices.Contains(AppKind("").enumValues(), string(a.Kind)) {
			continue
		}
		listens := a.Kind == AppEcho || a.Kind == AppSink || a.Kind == AppProxy
		connects := a.Kind == AppClient || a.Kind == AppProxy
		switch {
		case listens && len(a.Listen) == 0:
			c.errf(p, "a%s %s app needs listen endpoints", article(string(a.Kind)), a.Kind)
		case !listens && len(a.Listen) > 0:
			c.keyErrf(p+".listen", "a %s app does not listen", a.Kind)
		}
		switch {
		case connects && a.Connect == nil:
			c.errf(p, "a %s app needs a connect endpoint", a.Kind)
		case !connects && a.Connect != nil:
			c.keyErrf(p+".connect", "a%s %s app does not connect", article(string(a.Kind)), a.Kind)
		}
		seen := map[Endpoint]int{}
		for k, e := range a.Listen {
			if j, dup := seen[e]; dup {
				c.errf(fmt.Sprintf("%s.listen[%d]", p, k), "%s is also listen[%d]", e, j)
			}
			seen[e] = k
		}
		if a.Connect != nil && a.Connect.Addr.Addr().IsUnspecified() {
			c.errf(p+".connect", "cannot connect to the unspecified address %s (VPP: invalid remote ip)", a.Connect.Addr.Addr())
		}
		if a.Kind != AppClient {
			for _, f := range []struct {
				name string
				set  bool
			}{{"rate", a.Rate != 0}, {"concurrency", a.Concurrency != 0}, {"sessions", a.Sessions != 0}, {"request", a.Request != 0}} {
				if f.set {
					c.keyErrf(p+"."+f.name, "%s applies to client apps only", f.name)
				}
			}
		}
		if a.Rate < 0 {
			c.errf(p+".rate", "rate %v is negative", a.Rate)
		}
		if a.Concurrency < 0 || a.Concurrency > 10000000 {
			c.errf(p+".concurrency", "concurrency %d, want 1 to 10000000", a.Concurrency)
		}
		for _, f := range []struct {
			name string
			v    Size
		}{{"rx_fifo", a.RxFifo}, {"tx_fifo", a.TxFifo}} {
			if f.v < 64 || f.v > 1<<31 {
				c.errf(p+"."+f.name, "fifo size %s, want 64 bytes to 2g (VPP fifo sizes are 32-bit)", f.v)
			}
		}
	}
}

func article(s string) string {
	if s != "" && strings.ContainsRune("aeiou", rune(s[0])) {
		return "n"
	}
	return ""
}

func (c *checker) rules(nss map[string]bool) {
	for i, line := range c.s.Rules {
		p := fmt.Sprintf("rules[%d]", i)
		r, err := checkRule(line)
		if err != nil {
			*c.errs = append(*c.errs, &Error{File: c.s.src.name, Pos: c.s.textPos(p, err.off), Path: p, Msg: err.msg})
			continue
		}
		if r.appns != "" && !nss[r.appns] {
			*c.errs = append(*c.errs, &Error{File: c.s.src.name, Pos: c.s.textPos(p, r.appnsOff), Path: p,
				Msg: fmt.Sprintf("appns %q is not a namespace of the scenario%s", r.appns, suggest(r.appns, mapKeys(nss)))})
		}
	}
	if g := c.s.RulesGen; g != nil {
		if g.Count < 1 || g.Count > 1000000 {
			c.errf("rules_gen.count", "count %d, want 1 to 1000000", g.Count)
		}
		c.enum("rules_gen.shape", string(g.Shape), RulesShape("").enumValues())
		c.enum("rules_gen.proto", g.Proto, []string{"tcp", "udp", "both"})
		c.enum("rules_gen.scope", string(g.Scope), Scope("").enumValues())
		if !nss[g.Namespace] {
			c.errf("rules_gen.namespace", "no namespace %q%s", g.Namespace, suggest(g.Namespace, mapKeys(nss)))
		}
		if g.Prefix.IsValid() && g.Prefix.Bits() > 30 && g.Prefix.Addr().Is4() {
			c.errf("rules_gen.prefix", "prefix %s is too narrow to generate rules in (want /30 or wider)", g.Prefix)
		}
	}
}

// textPos maps a byte offset inside the string at path to a file position.
func (s *Scenario) textPos(path string, off int) Pos {
	b, ok := s.src.blocks[path]
	if !ok {
		return s.src.posOf(path)
	}
	text := ""
	if es, err := parsePath(path); err == nil {
		if v, err := lookupPath(reflectValue(s), es, false); err == nil {
			text = v.String()
		}
	}
	off = min(max(off, 0), len(text))
	line := strings.Count(text[:off], "\n")
	col := off - (strings.LastIndexByte(text[:off], '\n') + 1)
	if line == 0 {
		return Pos{Line: b.line, Col: b.col + col}
	}
	if b.block {
		return Pos{Line: b.line + line, Col: b.col + col}
	}
	return Pos{Line: b.line + line, Col: col + 1}
}

func (c *checker) traffic() {
	hasClient := slices.ContainsFunc(c.s.Apps, func(a App) bool { return a.Kind == AppClient })
	if len(c.s.Traffic) == 0 && !hasClient {
		c.errf("traffic", "no traffic: add a traffic source (pcap, synth, veth) or a client app")
	}
	names := map[string]int{}
	endless := false
	for i := range c.s.Traffic {
		t := &c.s.Traffic[i]
		p := fmt.Sprintf("traffic[%d]", i)
		if j, dup := names[t.Name]; dup {
			c.errf(p+".name", "source name %q is also traffic[%d]'s", t.Name, j)
		}
		names[t.Name] = i
		n := 0
		for _, set := range []bool{t.Pcap != nil, t.Synth != nil, t.Veth != nil} {
			if set {
				n++
			}
		}
		switch {
		case n == 0:
			c.errf(p, "a traffic source needs one of pcap, synth, veth")
			continue
		case n > 1:
			c.errf(p, "a traffic source holds exactly one of pcap, synth, veth (this one has %d); make them separate items", n)
			continue
		}
		switch {
		case t.Pcap != nil:
			c.pcap(p+".pcap", t.Pcap)
		case t.Synth != nil:
			c.synth(p+".synth", t.Synth)
		case t.Veth != nil:
			endless = c.veth(p+".veth", t.Veth) || endless
		}
	}
	if hasClient {
		for _, a := range c.s.Apps {
			if a.Kind == AppClient && a.Sessions == 0 {
				endless = true
			}
		}
	}
	if endless && c.s.Duration == 0 && c.s.Packets == 0 {
		c.errf("", "some traffic never ends (a veth generator without count, a client without sessions): give duration or packets")
	}
}

// pcap checks a pcap source. A capture is never endless: loop counts
// passes (traffic/pcap has no "forever").
func (c *checker) pcap(p string, s *PcapSource) {
	if s.File == "" {
		c.errf(p, "missing file")
	} else {
		c.file(p+".file", s.File)
	}
	if err := s.Timing.Validate(); err != nil {
		c.errf(p+".timing", "%s", strings.TrimPrefix(err.Error(), "timing: "))
	}
}

// synthField finds the YAML field a traffic/synth validation message
// names ("synth: arrival.rate must be > 0 ..."), so the error can point at
// it in the file.
var synthField = regexp.MustCompile(`^synth: ([a-z0-9_]+(\.[a-z0-9_]+)*)`)

// synth checks a synthetic source with traffic/synth's own rules (after
// its defaults), positioning each problem at the field it names.
func (c *checker) synth(p string, o *synth.Options) {
	err := o.Validate()
	if err == nil {
		return
	}
	errs := []error{err}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	}
	for _, e := range errs {
		msg := e.Error()
		path := p
		if m := synthField.FindStringSubmatch(msg); m != nil {
			path = p + "." + m[1]
			// The path already names the field; keep the message's rest
			// unless the field is only its first word of several.
			rest := strings.TrimPrefix(msg, m[0])
			if strings.HasPrefix(rest, ": ") || strings.HasPrefix(rest, " must ") {
				msg = strings.TrimLeft(rest, ": ")
			}
		}
		c.errf(path, "%s", strings.TrimPrefix(msg, "synth: "))
	}
}

// veth checks a veth source; it reports whether the source is endless.
func (c *checker) veth(p string, v *VethSource) bool {
	if c.s.Mode != ModeLive {
		c.errf(p, "veth sources run in live mode only (set mode: live)")
	}
	if v.Topology != "" && !validTopologyName(v.Topology) {
		c.errf(p+".topology", "topology name %q: want 1-8 characters of [a-z0-9]", v.Topology)
	}
	if v.MTU < 68 || v.MTU > 65535 {
		c.errf(p+".mtu", "MTU %d, want 68 to 65535", v.MTU)
	}
	for _, a := range []struct {
		name string
		pfx  netip.Prefix
	}{{"sender_addr", v.SenderAddr}, {"receiver_addr", v.ReceiverAddr}} {
		if a.pfx.IsValid() && !a.pfx.Addr().Is4() {
			c.errf(p+"."+a.name, "%s: veth topologies are IPv4 only", a.pfx)
		}
	}
	if v.SenderAddr.Addr() == v.ReceiverAddr.Addr() {
		c.errf(p+".receiver_addr", "sender and receiver have the same address %s", v.SenderAddr.Addr())
	}
	if v.Rate < 0 {
		c.errf(p+".rate", "rate %v is negative", v.Rate)
	}
	c.enum(p+".ring", v.Ring, []string{"tpacketv3", "tpacketv2", "recvfrom"})
	c.enum(p+".tx", v.TX, []string{"txring", "sendmmsg", "sendto"})
	if v.Workers < 1 || v.Workers > 64 {
		c.errf(p+".workers", "workers %d, want 1 to 64", v.Workers)
	}
	f := &v.Frames
	n := 0
	for _, set := range []bool{f.Generator != nil, f.Pcap != nil, f.Synth != nil} {
		if set {
			n++
		}
	}
	if n > 1 {
		c.errf(p+".frames", "frames holds exactly one of generator, pcap, synth")
		return false
	}
	switch {
	case f.Generator != nil:
		g := f.Generator
		c.enum(p+".frames.generator.proto", g.Proto, []string{"udp", "tcp"})
		if g.SYN && g.Proto != "tcp" {
			c.errf(p+".frames.generator.syn", "syn needs proto tcp")
		}
		if g.FrameSize < 64 || g.FrameSize > v.MTU+14 {
			c.errf(p+".frames.generator.frame_size", "frame size %d, want 64 to MTU + 14 (%d)", g.FrameSize, v.MTU+14)
		}
		if g.Flows < 1 {
			c.errf(p+".frames.generator.flows", "flows %d, want at least 1", g.Flows)
		}
		return g.Count == 0
	case f.Pcap != nil:
		c.pcap(p+".frames.pcap", f.Pcap)
	case f.Synth != nil:
		c.synth(p+".frames.synth", f.Synth)
	}
	return false
}

func validTopologyName(s string) bool {
	if len(s) < 1 || len(s) > 8 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

func (c *checker) sim() {
	m := c.s.Sim
	if m == nil {
		return
	}
	if m.Sample.D() < 1000 {
		c.errf("sim.sample", "sample interval %s, want at least 1µs", m.Sample)
	}
	v := reflectValue(&m.Costs)
	for i := range v.NumField() {
		f := v.Field(i)
		if f.IsNil() {
			continue
		}
		if x := f.Elem().Float(); !(x >= 0) || x > 1e12 {
			c.errf("sim.costs."+yamlName(v.Type().Field(i)), "cost %v ns, want 0 to 1e12", x)
		}
	}
}

func (c *checker) plots() {
	params := map[string]bool{}
	if c.s.Sweep != nil {
		for _, a := range c.s.Sweep.Axes {
			params[a.Param] = true
		}
	}
	axisRef := func(path, name string, required bool) {
		if name == "" {
			if required {
				c.errf(path, "missing: name a sweep axis (its param)")
			}
			return
		}
		if !params[name] {
			c.errf(path, "%q is not a swept param%s", name, suggest(name, mapKeys(params)))
		}
	}
	for i, pl := range c.s.Plots {
		p := fmt.Sprintf("plots[%d]", i)
		if !slices.Contains(PlotKind("").enumValues(), string(pl.Kind)) {
			c.enum(p+".kind", string(pl.Kind), PlotKind("").enumValues())
			continue
		}
		needMetric := pl.Kind != "search" && pl.Kind != "trials"
		if needMetric && pl.Metric == "" {
			c.errf(p, "a %s plot needs metric", pl.Kind)
		}
		switch pl.Kind {
		case "metric", "latency", "search":
			axisRef(p+".x", pl.X, true)
		case "heatmap":
			axisRef(p+".x", pl.X, true)
			axisRef(p+".y", pl.Y, true)
			if pl.X != "" && pl.X == pl.Y {
				c.errf(p+".y", "y is the same axis as x")
			}
		}
		axisRef(p+".series", pl.Series, false)
		if pl.Series != "" && pl.Series == pl.X {
			c.errf(p+".series", "series is the same axis as x")
		}
	}
}

func (c *checker) search() {
	d := c.s.Search
	if d == nil {
		return
	}
	if !(d.GoalWidth > 0 && d.GoalWidth < 1) {
		c.errf("search.goal_width", "goal width %v, want more than 0 and less than 1", float64(d.GoalWidth))
	}
	if len(d.LossRatios) == 0 {
		c.errf("search.loss_ratios", "want at least one loss ratio")
	}
	for i := 1; i < len(d.LossRatios); i++ {
		if d.LossRatios[i] <= d.LossRatios[i-1] {
			c.errf(fmt.Sprintf("search.loss_ratios[%d]", i), "loss ratios must increase (NDR first)")
		}
	}
	if d.Trial <= 0 {
		c.errf("search.trial", "trial duration must be positive")
	}
	if d.DurationSum < d.Trial {
		c.errf("search.duration_sum", "duration_sum %s is shorter than one trial (%s)", d.DurationSum, d.Trial)
	}
	c.enum("search.load_unit", d.LoadUnit, []string{"pps", "cps"})
	if !(d.MinLoad > 0) {
		c.errf("search.min_load", "min_load %v, want > 0", d.MinLoad)
	}
	if d.MaxLoad != 0 && d.MaxLoad < d.MinLoad {
		c.errf("search.max_load", "max_load %v is below min_load %v", d.MaxLoad, d.MinLoad)
	}
	for i, f := range d.LatencyFractions {
		if f == 0 {
			c.errf(fmt.Sprintf("search.latency_fractions[%d]", i), "a latency fraction must be more than 0")
		}
	}
	if d.Timeout <= 0 {
		c.errf("search.timeout", "timeout must be positive")
	}
}

// reflectValue returns the addressable value p points to.
func reflectValue[T any](p *T) reflect.Value { return reflect.ValueOf(p).Elem() }

// effectiveConfig parses the scenario's startup.conf, applies workers, the
// --set overrides and sweep values, and returns the configuration and its
// warnings as text. Problems are appended to errs (the File is nil then).
func (s *Scenario) effectiveConfig(sweepVals []Override, errs *ErrorList) (*config.File, []string) {
	name, text := s.src.name, []byte(DefaultStartupConf)
	inline := false
	switch {
	case s.StartupConf != "":
		text, inline = []byte(s.StartupConf), true
	case s.StartupConfFile != "":
		b, err := s.ReadFile(s.StartupConfFile)
		if err != nil {
			*errs = append(*errs, &Error{File: s.src.name, Pos: s.src.posOf("startup_conf_file"), Path: "startup_conf_file", Msg: "cannot read " + err.Error()})
			return nil, nil
		}
		name, text = s.StartupConfFile, b
	}
	f, err := config.Parse(name, text, config.Options{AllowSmallQueues: !s.VPPLimitsOn()})
	if err != nil {
		e := &Error{File: s.src.name, Path: "startup_conf", Msg: err.Error()}
		var ce *config.Error
		if errors.As(err, &ce) {
			e.Msg = ce.Msg
			switch {
			case inline && ce.Line > 0:
				e.Pos = s.confPos(ce.Line, ce.Col)
			case inline:
				e.Pos = s.src.posOf("startup_conf")
			default:
				e.File, e.Path, e.Pos = ce.File, "", Pos{Line: ce.Line, Col: ce.Col}
				if ce.Line == 0 {
					e.Msg = err.Error()
					e.File = s.src.name
					e.Path = "startup_conf_file"
					e.Pos = s.src.posOf("startup_conf_file")
				}
			}
		}
		*errs = append(*errs, e)
		return nil, nil
	}
	nParsed := len(f.Session.Warnings)
	if s.Workers != nil {
		f.Workers = *s.Workers
	}
	apply := func(o Override, what string) bool {
		if err := f.Session.Set(o.Key, o.Value); err != nil {
			*errs = append(*errs, &Error{File: s.src.name, Path: sessionPrefix + o.Key, Msg: what + ": " + err.Error()})
			return false
		}
		return true
	}
	for _, o := range s.sessionSets {
		if !apply(o, "--set") {
			return nil, nil
		}
	}
	for _, o := range sweepVals {
		if !apply(o, "sweep value") {
			return nil, nil
		}
	}
	f.Warnings = append(f.Warnings, f.Session.Warnings[nParsed:]...)
	if (len(s.Rules) > 0 || s.RulesGen != nil) && f.Session.Engine.Value == config.EngineDisabled {
		path := "rules"
		if len(s.Rules) == 0 {
			path = "rules_gen"
		}
		*errs = append(*errs, &Error{File: s.src.name, Pos: s.src.keyPosOf(path), Path: path,
			Msg: "session rules need the session layer enabled with a rules engine: add `enable rt-backend rule-table` to the session stanza"})
		return nil, nil
	}
	var warns []string
	for _, w := range f.Warnings {
		if inline && w.Pos.IsValid() {
			w.File, w.Pos = s.src.name, s.confPos(w.Pos.Line, w.Pos.Col)
		}
		warns = append(warns, w.String())
	}
	if !s.VPPLimitsOn() {
		warns = append(warns, "vpp_limits: false: the configuration may be outside VPP's limits (queues below 2048 entries are kept)")
	}
	return f, warns
}

// confPos maps a line:col of the inline startup_conf text into the file.
func (s *Scenario) confPos(line, col int) Pos {
	b, ok := s.src.blocks["startup_conf"]
	if !ok {
		return s.src.posOf("startup_conf")
	}
	if line == 1 {
		return Pos{Line: b.line, Col: b.col + col - 1}
	}
	if b.block {
		return Pos{Line: b.line + line - 1, Col: b.col + col - 1}
	}
	return Pos{Line: b.line + line - 1, Col: col}
}

// Config returns the scenario's effective configuration without sweep
// values (workers and --set applied), and its warnings.
func (s *Scenario) Config() (*config.File, []string, error) {
	var errs ErrorList
	f, w := s.effectiveConfig(nil, &errs)
	if err := errs.err(); err != nil {
		return nil, nil, err
	}
	return f, w, nil
}
