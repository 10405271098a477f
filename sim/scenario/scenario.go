package scenario

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
)

// Options tune how a scenario is loaded.
type Options struct {
	// Files resolves the files a scenario names (startup_conf_file, pcap
	// files). Nil means the OS file system, relative to the directory of
	// the scenario file; built-in scenarios pass their embedded files.
	Files fs.FS
	// Sets are --set overrides, applied in order before defaults,
	// validation and sweep expansion.
	Sets []Override
}

// Override is one --set key=value: a scenario field path or a
// startup.conf parameter ("session.<keyword>"), and a value written as in
// YAML ("1000", "64k", "[1, 2]", "{calibrate: true}").
type Override struct {
	Key, Value string
}

// String returns "key=value".
func (o Override) String() string { return o.Key + "=" + o.Value }

// ParseOverride parses "key=value".
func ParseOverride(s string) (Override, error) {
	k, v, ok := strings.Cut(s, "=")
	k = strings.TrimSpace(k)
	if !ok || k == "" {
		return Override{}, fmt.Errorf("--set %q: want key=value (e.g. traffic[0].synth.rate=5000 or session.wrk-mq-length=4096)", s)
	}
	return Override{Key: k, Value: v}, nil
}

// sessionPrefix starts the sweep params and overrides that address the
// startup.conf session stanza.
const sessionPrefix = "session."

// Parse decodes, completes and validates a scenario held in memory. name
// labels it in errors (a path, or "builtin:<name>"). Errors are an
// [ErrorList] of positioned problems, every problem found at once.
//
// The steps, in order: strict decoding; --set overrides; defaults;
// validation of every field, the startup.conf text, the rules and the
// sweep; finally every sweep point is resolved once so that a value that
// only fails in combination (or a startup.conf value VPP refuses) is
// reported now rather than in the middle of a run.
func Parse(name string, src []byte, opt Options) (*Scenario, error) {
	s, err := Decode(name, src)
	if err != nil {
		return nil, err
	}
	s.src.files = opt.Files
	if s.src.files == nil {
		s.src.files = dirFS(".")
	}
	var errs ErrorList
	for _, o := range opt.Sets {
		if e := s.applyOverride(o); e != nil {
			errs = append(errs, e)
		}
	}
	if len(errs) > 0 {
		return nil, errs.err()
	}
	s.applyDefaults()
	if err := s.validate(); err != nil {
		return nil, err
	}
	return s, nil
}

// Load reads the scenario file at path and parses it (see [Parse]); files
// it names resolve relative to its directory unless opt.Files is set.
func Load(path string, opt Options) (*Scenario, error) {
	b, err := readLimited(path)
	if err != nil {
		return nil, err
	}
	if opt.Files == nil {
		opt.Files = dirFS(filepath.Dir(path))
	}
	return Parse(path, b, opt)
}

// MaxFileSize bounds a scenario file (and a startup_conf_file): scenarios
// are hand-written; anything larger is a mistake (a capture given as a
// scenario, say).
const MaxFileSize = 4 << 20

func readLimited(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(b) > MaxFileSize {
		return nil, fmt.Errorf("%s: larger than %d bytes; not a scenario file", path, MaxFileSize)
	}
	return b, nil
}

// dirFS is an fs.FS over the OS file system that accepts absolute paths
// and paths with "..", as a scenario's references to files beside or above
// it are legitimate (os.DirFS refuses both).
type dirFS string

func (d dirFS) Open(name string) (fs.File, error) {
	p := name
	if !filepath.IsAbs(p) {
		p = filepath.Join(string(d), p)
	}
	return os.Open(p)
}

// SourceName returns the name the scenario was loaded under (a path or
// "builtin:<name>").
func (s *Scenario) SourceName() string { return s.src.name }

// Text returns the scenario file's text exactly as read.
func (s *Scenario) Text() []byte { return s.src.text }

// Overrides returns the --set overrides of startup.conf parameters (the
// scenario-field overrides are already applied to the fields).
func (s *Scenario) Overrides() []Override { return s.sessionSets }

// Open opens a file the scenario names (a capture, a startup.conf),
// relative to the scenario file, or from the binary for a built-in.
func (s *Scenario) Open(name string) (fs.File, error) {
	if s.src.files == nil {
		return dirFS(".").Open(name)
	}
	f, err := s.src.files.Open(name)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			return nil, fmt.Errorf("%s: %w", name, pe.Err)
		}
		return nil, err
	}
	return f, nil
}

// ReadFile reads a file the scenario names (see Open).
func (s *Scenario) ReadFile(name string) ([]byte, error) {
	f, err := s.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(f)
}

// VPPLimitsOn reports whether VPP's limits apply (vpp_limits, default
// true).
func (s *Scenario) VPPLimitsOn() bool { return s.VPPLimits == nil || *s.VPPLimits }

// PosOf returns where the file wrote the field at path (or its nearest
// written parent); the zero Pos when nothing on the path was written.
// Engines use it to position run-time errors ("apps[1].connect").
func (s *Scenario) PosOf(path string) Pos {
	if es, err := parsePath(path); err == nil {
		path = canonicalPath(es)
	}
	return s.src.posOf(path)
}

// Errorf returns an *Error positioned at the field path, for engines that
// find a problem with a field at run time.
func (s *Scenario) Errorf(path, format string, args ...any) *Error {
	return &Error{File: s.src.name, Pos: s.PosOf(path), Path: path, Msg: fmt.Sprintf(format, args...)}
}

// applyOverride applies one --set.
func (s *Scenario) applyOverride(o Override) *Error {
	file := "--set " + o.String()
	if kw, ok := strings.CutPrefix(o.Key, sessionPrefix); ok {
		if err := checkSessionParam(kw, o.Value); err != nil {
			return &Error{File: "--set", Path: o.Key, Msg: err.Error()}
		}
		s.sessionSets = append(s.sessionSets, Override{Key: kw, Value: o.Value})
		return nil
	}
	es, err := parsePath(o.Key)
	if err != nil {
		return &Error{File: "--set", Msg: err.Error()}
	}
	if es[0].name == "sweep" && len(es) == 1 {
		return &Error{File: "--set", Path: o.Key, Msg: "set the sweep's axes one by one (sweep.axes[0].values=[...])"}
	}
	target, err := lookupPath(reflect.ValueOf(s).Elem(), es, true)
	if err != nil {
		return &Error{File: "--set", Msg: err.Error()}
	}
	n, err := parseYAML(file, []byte(o.Value))
	if err != nil {
		var l ErrorList
		if errors.As(err, &l) && len(l) > 0 {
			return &Error{File: "--set", Path: o.Key, Msg: l[0].Msg}
		}
		return &Error{File: "--set", Path: o.Key, Msg: err.Error()}
	}
	if n == nil {
		return &Error{File: "--set", Path: o.Key, Msg: "empty value"}
	}
	d := &decoder{src: s.src, file: "--set", anchors: nil}
	target.Set(reflect.Zero(target.Type()))
	d.value(n, target, canonicalPath(es), 0)
	if len(d.errs) > 0 {
		e := d.errs[0]
		e.Pos = Pos{}
		return e
	}
	// The field is now explicitly set (defaults must not replace an
	// explicit 0) and has no position in the file.
	s.src.vals[canonicalPath(es)] = Pos{}
	return nil
}

// DeriveSeed mixes parts into base with SplitMix64 steps: a fixed,
// documented function, so seeds are the same on every machine and in every
// version. Repetition r of every point runs with DeriveSeed(seed, r);
// engines derive per-source seeds the same way (DeriveSeed(repSeed, i)).
func DeriveSeed(base uint64, parts ...uint64) uint64 {
	x := splitmix(base)
	for _, p := range parts {
		x = splitmix(x ^ splitmix(p+0x9e3779b97f4a7c15))
	}
	return x
}

func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// RepetitionSeed is the seed of repetition rep of every point. Points share
// seeds (common random numbers): repetition r offers the same traffic at
// every point, so differences between points come from the configuration,
// not from the draw.
func (s *Scenario) RepetitionSeed(rep int) uint64 { return DeriveSeed(s.Seed, uint64(rep)) }
