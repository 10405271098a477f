// Command benchratio turns `go test -bench` output into the ratio tables that
// sessionlab's performance claims rest on: every figure is printed beside the
// peer it was measured against in the same run.
//
// Convention: a benchmark compares implementations with a sub-benchmark path
// component `impl=<name>`, for example
//
//	BenchmarkLookup/keys=1M/impl=bihash
//	BenchmarkLookup/keys=1M/impl=map
//
// All benchmarks that are equal once the impl component is removed form a group.
// The first impl seen in a group is the subject; every other impl is a peer.
// For ns/op the ratio is peer/subject (a speedup: above 1 means the subject is
// faster); for throughput units (anything ending in "/s") it is subject/peer
// (also above 1 = subject better); for other units (B/op, allocs/op, bytes/entry,
// ...) it is subject/peer (below 1 = subject uses less). With -count N the
// median of the N samples is used.
//
// An optional targets file (-targets) holds lines
//
//	<group regexp> <subject> <peer> <unit> <op> <value>
//
// e.g. `core/bihash.Lookup/keys=1M$ bihash map ns/op >= 2.0`, and each target is
// reported as PASS or MISS with the measured ratio. A peer of "-" makes the
// target absolute: the subject's own median is compared with the value, e.g.
// `core/session.Cycle$ prealloc - cycles/s >= 1e6` (for the few targets an
// issue states as a rate rather than against a peer). Blank lines and # comments
// are ignored. The exit status is 0 even when a target is missed: targets are
// reported, not enforced (benchmarks on a shared machine are evidence, not a gate).
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

type sample map[string][]float64 // unit -> values

type bench struct {
	group, impl string
	values      sample
}

type group struct {
	name  string
	impls []string // first = subject
	byImp map[string]*bench
}

func main() {
	targets := flag.String("targets", "", "file of ratio targets to check")
	flag.Parse()
	groups, order, plain, err := parse(os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchratio:", err)
		os.Exit(2)
	}
	printGroups(os.Stdout, groups, order)
	if len(plain) > 0 {
		fmt.Println()
		fmt.Printf("%d benchmarks without an impl= peer (see the raw output above).\n", len(plain))
	}
	if *targets != "" {
		if err := checkTargets(os.Stdout, *targets, groups, order); err != nil {
			fmt.Fprintln(os.Stderr, "benchratio:", err)
			os.Exit(2)
		}
	}
}

var procSuffix = regexp.MustCompile(`-\d+$`)

func parse(r io.Reader) (map[string]*group, []string, []string, error) {
	groups := map[string]*group{}
	var order, plain []string
	pkg := ""
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "pkg: ") {
			pkg = strings.TrimPrefix(strings.TrimPrefix(line, "pkg: "), "github.com/sessionlab/sessionlab/")
			continue
		}
		if !strings.HasPrefix(line, "Benchmark") {
			continue
		}
		f := strings.Fields(line)
		if len(f) < 4 {
			continue
		}
		name := procSuffix.ReplaceAllString(strings.TrimPrefix(f[0], "Benchmark"), "")
		if _, err := strconv.ParseInt(f[1], 10, 64); err != nil {
			continue
		}
		vals := sample{}
		for i := 2; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				break
			}
			vals[f[i+1]] = append(vals[f[i+1]], v)
		}
		gname, impl := splitImpl(name)
		if impl == "" {
			plain = append(plain, pkg+"."+name)
			continue
		}
		key := pkg + "." + gname
		g := groups[key]
		if g == nil {
			g = &group{name: key, byImp: map[string]*bench{}}
			groups[key] = g
			order = append(order, key)
		}
		b := g.byImp[impl]
		if b == nil {
			b = &bench{group: key, impl: impl, values: sample{}}
			g.byImp[impl] = b
			g.impls = append(g.impls, impl)
		}
		for u, v := range vals {
			b.values[u] = append(b.values[u], v...)
		}
	}
	return groups, order, plain, sc.Err()
}

func splitImpl(name string) (groupName, impl string) {
	parts := strings.Split(name, "/")
	kept := parts[:0]
	for _, p := range parts {
		if strings.HasPrefix(p, "impl=") {
			impl = strings.TrimPrefix(p, "impl=")
			continue
		}
		kept = append(kept, p)
	}
	return strings.Join(kept, "/"), impl
}

func median(v []float64) float64 {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	n := len(s)
	if n == 0 {
		return 0
	}
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// ratio returns the subject's advantage over the peer for unit, oriented as
// documented in the package comment.
func ratio(unit string, subject, peer float64) float64 {
	switch {
	case unit == "ns/op":
		if subject == 0 {
			return 0
		}
		return peer / subject
	default:
		if peer == 0 {
			return 0
		}
		return subject / peer
	}
}

func units(b *bench) []string {
	var us []string
	for u := range b.values {
		us = append(us, u)
	}
	sort.Slice(us, func(i, j int) bool {
		if us[i] == "ns/op" {
			return true
		}
		if us[j] == "ns/op" {
			return false
		}
		return us[i] < us[j]
	})
	return us
}

func printGroups(w io.Writer, groups map[string]*group, order []string) {
	if len(order) == 0 {
		fmt.Fprintln(w, "no benchmarks with impl= peers found")
		return
	}
	fmt.Fprintln(w, "Ratio tables (subject = first impl; ns/op: peer÷subject, >1 = subject faster;")
	fmt.Fprintln(w, "x/s: subject÷peer, >1 = subject better; other units: subject÷peer)")
	for _, key := range order {
		g := groups[key]
		subj := g.byImp[g.impls[0]]
		fmt.Fprintf(w, "\n%s\n", key)
		for _, impl := range g.impls {
			b := g.byImp[impl]
			var cells []string
			for _, u := range units(b) {
				cells = append(cells, fmt.Sprintf("%s %s", fmtNum(median(b.values[u])), u))
			}
			line := fmt.Sprintf("  %-16s %s", impl, strings.Join(cells, "  "))
			if impl != g.impls[0] {
				var rs []string
				for _, u := range units(b) {
					sv, ok := subj.values[u]
					if !ok {
						continue
					}
					rs = append(rs, fmt.Sprintf("%s %.2fx", u, ratio(u, median(sv), median(b.values[u]))))
				}
				line += "   | " + g.impls[0] + " vs " + impl + ": " + strings.Join(rs, ", ")
			}
			fmt.Fprintln(w, line)
		}
	}
}

func fmtNum(v float64) string {
	switch {
	case v >= 1e6:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case v >= 100:
		return strconv.FormatFloat(v, 'f', 1, 64)
	default:
		return strconv.FormatFloat(v, 'g', 4, 64)
	}
}

func checkTargets(w io.Writer, path string, groups map[string]*group, order []string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	fmt.Fprintln(w, "\nTargets:")
	sc := bufio.NewScanner(f)
	ln := 0
	for sc.Scan() {
		ln++
		line := strings.TrimSpace(sc.Text())
		if i := strings.Index(line, "#"); i >= 0 {
			line = strings.TrimSpace(line[:i])
		}
		if line == "" {
			continue
		}
		fs := strings.Fields(line)
		if len(fs) != 6 {
			return fmt.Errorf("%s:%d: want `<group regexp> <subject> <peer> <unit> <op> <value>`, got %q", path, ln, line)
		}
		re, err := regexp.Compile(fs[0])
		if err != nil {
			return fmt.Errorf("%s:%d: group regexp: %v", path, ln, err)
		}
		want, err := strconv.ParseFloat(fs[5], 64)
		if err != nil {
			return fmt.Errorf("%s:%d: value %q: %v", path, ln, fs[5], err)
		}
		op := fs[4]
		if op != ">=" && op != "<=" {
			return fmt.Errorf("%s:%d: op must be >= or <=, got %q", path, ln, op)
		}
		matched := false
		for _, key := range order {
			if !re.MatchString(key) {
				continue
			}
			g := groups[key]
			s := g.byImp[fs[1]]
			if s == nil || s.values[fs[3]] == nil {
				continue
			}
			if fs[2] == "-" {
				matched = true
				v := median(s.values[fs[3]])
				fmt.Fprintf(w, "  %s  %s: %s %s = %s (target %s %s)\n", verdict(op, v, want), key, fs[1], fs[3], fmtNum(v), op, fmtNum(want))
				continue
			}
			p := g.byImp[fs[2]]
			if p == nil || p.values[fs[3]] == nil {
				continue
			}
			matched = true
			r := ratio(fs[3], median(s.values[fs[3]]), median(p.values[fs[3]]))
			fmt.Fprintf(w, "  %s  %s: %s vs %s %s = %.2fx (target %s %.2f)\n", verdict(op, r, want), key, fs[1], fs[2], fs[3], r, op, want)
		}
		if !matched {
			fmt.Fprintf(w, "  ----  %s: not measured in this run\n", line)
		}
	}
	return sc.Err()
}

// verdict is PASS when v satisfies `v op want`, MISS otherwise.
func verdict(op string, v, want float64) string {
	if (op == ">=" && v >= want) || (op == "<=" && v <= want) {
		return "PASS"
	}
	return "MISS"
}
