package config

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// Summary is the effective configuration as `sessionlab config check` and
// `sessionlab config defaults` print it. Its JSON form is a public contract
// (docs/config.md documents every field): names are snake_case forms of
// VPP's keywords and do not change.
type Summary struct {
	// File is the configuration file; empty for the defaults.
	File string `json:"file,omitempty"`
	// Stanzas lists the file's stanzas in order (absent for the defaults).
	Stanzas []StanzaSummary `json:"stanzas,omitempty"`
	// Workers is the worker thread count read from the cpu stanza.
	Workers WorkersSummary `json:"workers"`
	// Session is the session stanza.
	Session SessionSummary `json:"session"`
	// Warnings lists every warning in file order (never null).
	Warnings []WarningSummary `json:"warnings"`
}

// StanzaSummary is one stanza of the file.
type StanzaSummary struct {
	Name   string `json:"name"`
	Line   int    `json:"line"`
	Col    int    `json:"col"`
	Braced bool   `json:"braced"`
	// Value is the stanza's value as VPP reads it (comments removed,
	// whitespace flattened, outer braces stripped).
	Value string `json:"value"`
}

// WorkersSummary says how many worker threads the configuration asks for.
type WorkersSummary struct {
	Count int  `json:"count"`
	Set   bool `json:"set"`
	// SetBy is the cpu keyword that set the count: workers,
	// corelist-workers or coremask-workers.
	SetBy string `json:"set_by,omitempty"`
	Line  int    `json:"line,omitempty"`
	Col   int    `json:"col,omitempty"`
}

// SessionSummary is the effective session stanza.
type SessionSummary struct {
	Enabled bool `json:"enabled"`
	// RTBackend is the rules engine: "rule-table", "sdl", or "disabled"
	// when the session layer is not enabled at start-up.
	RTBackend  string  `json:"rt_backend"`
	Parameters Params  `json:"parameters"`
	Derived    Derived `json:"derived"`
}

// Param is one session parameter.
type Param struct {
	// Name is the JSON key: the keyword with '-' replaced by '_'.
	Name string `json:"-"`
	// Keyword is the VPP keyword (its current name; aliases appear in SetBy).
	Keyword string `json:"keyword"`
	// Type is one of count, queue, size, buckets, memory, port, engine,
	// flag, address; it says how Value is to be read.
	Type string `json:"type"`
	// Value is the configured value (or the default when not set): a number
	// for counts, sizes and ports (sizes in bytes), a string for engine and
	// address, a boolean for flags.
	Value any `json:"value"`
	// Default is VPP's default.
	Default any `json:"default"`
	// Effective is what the model is built with: the default substituted for
	// a 0 table size, bucket counts rounded up to a power of two, the queue
	// length after VPP's minimum.
	Effective any `json:"effective"`
	// Human is Effective in binary units, for memory sizes ("64 MiB").
	Human string `json:"human,omitempty"`
	// Set reports whether the configuration set the parameter.
	Set bool `json:"set"`
	// SetBy is the keyword as written, Line and Col where (when Set).
	SetBy string `json:"set_by,omitempty"`
	Line  int    `json:"line,omitempty"`
	Col   int    `json:"col,omitempty"`
	// Note explains the value in a few words.
	Note string `json:"note,omitempty"`
}

// Params is the ordered parameter list; it marshals as a JSON object keyed by
// Param.Name, in VPP's keyword order.
type Params []Param

// MarshalJSON writes the parameters as one object, keeping their order.
func (ps Params) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, p := range ps {
		if i > 0 {
			b.WriteByte(',')
		}
		k, err := marshal(p.Name)
		if err != nil {
			return nil, err
		}
		v, err := marshal(p)
		if err != nil {
			return nil, err
		}
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// marshal is json.Marshal without HTML escaping, so messages keep their
// `<` and `>` readable.
func marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// Derived holds values computed from several parameters.
type Derived struct {
	// WrkMqLength is the entry count of each vpp worker message queue.
	WrkMqLength uint32 `json:"wrk_mq_length"`
	// SessionPoolFixed and SessionsPerThread describe the session pools:
	// fixed-size with preallocated-sessions (per worker, or on the main
	// thread without workers), growable otherwise (0).
	SessionPoolFixed  bool   `json:"session_pool_fixed"`
	SessionsPerThread uint32 `json:"sessions_per_thread"`
	// EphemeralPorts is the size of [min-src-port, max-src-port).
	EphemeralPorts int `json:"ephemeral_ports"`
}

// WarningSummary is a Warning in the JSON output.
type WarningSummary struct {
	File    string `json:"file,omitempty"`
	Line    int    `json:"line,omitempty"`
	Col     int    `json:"col,omitempty"`
	Keyword string `json:"keyword"`
	Kind    string `json:"kind"`
	Message string `json:"message"`
}

// Summary returns the file's effective configuration.
func (f *File) Summary() Summary {
	sm := Summary{File: f.Name, Stanzas: []StanzaSummary{}, Warnings: warningSummaries(f.Warnings)}
	for _, st := range f.Stanzas {
		sm.Stanzas = append(sm.Stanzas, StanzaSummary{Name: st.Name, Line: st.Pos.Line, Col: st.Pos.Col, Braced: st.Braced, Value: st.Value})
	}
	sm.Workers = WorkersSummary{Count: f.Workers, Set: f.WorkersFrom.Set}
	if f.WorkersFrom.Set {
		sm.Workers.SetBy = f.WorkersFrom.Keyword
		sm.Workers.Line, sm.Workers.Col = f.WorkersFrom.Pos.Line, f.WorkersFrom.Pos.Col
	}
	sm.Session = f.Session.Summary(f.Workers)
	return sm
}

// DefaultSummary returns VPP's defaults (no workers) as a Summary.
func DefaultSummary() Summary {
	return Summary{Session: Default().Summary(0), Warnings: []WarningSummary{}}
}

func warningSummaries(ws []Warning) []WarningSummary {
	out := []WarningSummary{}
	for _, w := range ws {
		out = append(out, WarningSummary{File: w.File, Line: w.Pos.Line, Col: w.Pos.Col, Keyword: w.Keyword, Kind: w.Kind.String(), Message: w.Msg})
	}
	return out
}

// Summary returns the session stanza's parameters and derived values for a
// configuration with the given number of worker threads.
func (s *Session) Summary(workers int) SessionSummary {
	per, fixed := s.SessionsPerThread(workers)
	return SessionSummary{
		Enabled:    s.Enabled(),
		RTBackend:  s.Engine.Value.String(),
		Parameters: s.Params(),
		Derived: Derived{
			WrkMqLength:       s.WorkerMQLength(),
			SessionPoolFixed:  fixed,
			SessionsPerThread: per,
			EphemeralPorts:    s.EphemeralPorts(),
		},
	}
}

func param[T comparable](keyword, typ string, st Setting[T], def, eff any, note string) Param {
	p := Param{
		Name: strings.ReplaceAll(keyword, "-", "_"), Keyword: keyword, Type: typ,
		Value: st.Value, Default: def, Effective: eff, Set: st.Set, Note: note,
	}
	if st.Set {
		p.SetBy, p.Line, p.Col = st.Keyword, st.Pos.Line, st.Pos.Col
	}
	return p
}

// Params lists every session parameter in VPP's keyword order.
func (s *Session) Params() Params {
	var ps Params
	note := ""
	if n := s.WrkMqLength.Value; n < MinWrkMqLength && s.Options.AllowSmallQueues {
		note = "below VPP's minimum of 2048 (VPP limits off)"
	}
	if note == "" {
		note = "entries of each vpp worker message queue (VPP minimum 2048)"
	}
	ps = append(ps, param("wrk-mq-length", "queue", s.WrkMqLength, uint32(DefaultWrkMqLength), s.WorkerMQLength(), note))

	seg := param("wrk-mqs-segment-size", "size", s.WrkMqsSegmentSize, uint64(0), s.WrkMqsSegmentSize.Value, "")
	if s.WrkMqsSegmentSize.Value == 0 {
		seg.Note = "0: computed from the queue sizes and thread count"
	} else {
		seg.Human = HumanBytes(s.WrkMqsSegmentSize.Value)
		seg.Note = "minimum size of the worker queues' memfd segment"
	}
	ps = append(ps, seg)

	pre := param("preallocated-sessions", "count", s.PreallocatedSessions, uint32(0), s.PreallocatedSessions.Value, "0: growable session pools")
	if s.PreallocatedSessions.Value != 0 {
		pre.Note = "fixed-size session pools"
	}
	ps = append(ps, pre)

	bucketsParam := func(t Table) Param {
		st := s.BucketsSetting(t)
		p := param(t.BucketsKeyword(), "buckets", st, t.DefaultBuckets(), s.ModelBuckets(t), "")
		n := st.Value
		if n == 0 {
			n = t.DefaultBuckets()
			p.Note = fmt.Sprintf("0: default %d, ", n)
		}
		if s.Buckets(t) > 1<<31 {
			p.Note += fmt.Sprintf("VPP rounds up to %d (overflows its u32); sessionlab builds %d buckets", s.Buckets(t), s.ModelBuckets(t))
		} else {
			p.Note += fmt.Sprintf("rounded up to %d buckets", s.Buckets(t))
		}
		return p
	}
	memoryParam := func(t Table) Param {
		st := s.MemorySetting(t)
		p := param(t.MemoryKeyword(), "memory", st, t.DefaultMemory(), s.Memory(t), "table arena size (VPP ignores it)")
		p.Human = HumanBytes(s.Memory(t))
		if st.Value == 0 {
			p.Note = "0: default; " + p.Note
		}
		return p
	}
	for _, t := range Tables[:LocalEndpoints] {
		ps = append(ps, bucketsParam(t))
	}
	for _, t := range Tables {
		ps = append(ps, memoryParam(t))
	}
	ps = append(ps, bucketsParam(LocalEndpoints))

	ps = append(ps, param("min-src-port", "port", s.MinSrcPort, uint16(DefaultMinSrcPort), s.MinSrcPort.Value, "first ephemeral port"))
	ps = append(ps, param("max-src-port", "port", s.MaxSrcPort, uint16(DefaultMaxSrcPort), s.MaxSrcPort.Value, "end of the ephemeral ports (exclusive)"))

	eng := param("enable", "engine", s.Engine, EngineDisabled, s.Engine.Value, "session layer not enabled at start-up")
	switch s.Engine.Value {
	case EngineRuleTable:
		eng.Note = "enabled at start-up, rule-table engine"
	case EngineSDL:
		eng.Note = "enabled at start-up, SDL engine"
	}
	ps = append(ps, eng)

	flag := func(keyword string, st Setting[bool], note string) {
		ps = append(ps, param(keyword, "flag", st, false, st.Value, note))
	}
	flag("poll-main", s.PollMain, "main thread also polls the session queue when workers exist")
	flag("use-private-rx-mqs", s.UsePrivateRxMqs, "private vpp rx message queues per app worker")
	flag("no-adaptive", s.NoAdaptive, "no adaptive polling (matters with private rx mqs)")
	flag("use-dma", s.UseDMA, "DMA-offloaded tx copies")
	flag("nat44-original-dst-enable", s.NAT44OriginalDst, "look up the NAT44 original destination of accepted sessions")
	flag("no-dump-segments", s.NoDumpSegments, "fifo segments left out of core dumps")

	// use-bapi-socket-api is the keyword users write; the parameter is the
	// inverse of the app socket API switch.
	bapi := s.AppSocketAPI
	bapi.Value = !bapi.Value
	bapiNote := "app socket API on"
	if bapi.Value {
		bapiNote = "app socket API off (deprecated binary-API attachment)"
	}
	flag("use-bapi-socket-api", bapi, bapiNote)

	base := Setting[string]{Set: s.SegmentBaseva.Set, Pos: s.SegmentBaseva.Pos, Keyword: s.SegmentBaseva.Keyword}
	if base.Set {
		base.Value = fmt.Sprintf("0x%x", s.SegmentBaseva.Value)
	}
	ps = append(ps, param("segment-baseva", "address", base, "", base.Value, "deprecated; VPP parses and ignores it"))
	return ps
}

// WriteText writes the summary as the aligned text `sessionlab config check`
// prints.
func (sm Summary) WriteText(w io.Writer) error {
	var b strings.Builder
	if sm.File != "" {
		fmt.Fprintf(&b, "configuration: %s\n", sm.File)
		names := make([]string, 0, len(sm.Stanzas))
		for _, st := range sm.Stanzas {
			names = append(names, fmt.Sprintf("%s (%d:%d)", st.Name, st.Line, st.Col))
		}
		if len(names) == 0 {
			names = append(names, "none")
		}
		fmt.Fprintf(&b, "stanzas:       %s\n", strings.Join(names, ", "))
		if sm.Workers.Set {
			fmt.Fprintf(&b, "workers:       %d (cpu %s at %d:%d)\n", sm.Workers.Count, sm.Workers.SetBy, sm.Workers.Line, sm.Workers.Col)
		} else {
			fmt.Fprintf(&b, "workers:       0 (main thread only; no cpu workers setting)\n")
		}
	}
	if sm.File == "" {
		b.WriteString("VPP's defaults for the session stanza (no configuration file)\n")
	}
	ss := sm.Session
	state := "not enabled at start-up"
	if ss.Enabled {
		state = fmt.Sprintf("enabled at start-up, %s engine", ss.RTBackend)
	}
	fmt.Fprintf(&b, "session layer: %s\n\n", state)

	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "PARAMETER\tVALUE\tSOURCE\tNOTE")
	for _, p := range ss.Parameters {
		src := "default"
		if p.Set {
			src = fmt.Sprintf("set %d:%d", p.Line, p.Col)
			if p.Line == 0 {
				src = "set"
			}
			if p.SetBy != p.Keyword && !(p.Type == "engine" && strings.HasPrefix(p.SetBy, "enable")) {
				src += " by " + p.SetBy
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", p.Keyword, textValue(p), src, p.Note)
	}
	if err := tw.Flush(); err != nil {
		return err
	}

	d := ss.Derived
	b.WriteString("\nderived\n")
	fmt.Fprintf(&b, "  worker message queue:  %d entries per thread\n", d.WrkMqLength)
	switch {
	case !d.SessionPoolFixed:
		b.WriteString("  session pools:         growable\n")
	case sm.Workers.Count > 0:
		fmt.Fprintf(&b, "  session pools:         fixed, %d sessions per worker (1.1 x preallocated-sessions / %d workers)\n", d.SessionsPerThread, sm.Workers.Count)
	default:
		fmt.Fprintf(&b, "  session pools:         fixed, %d sessions on the main thread\n", d.SessionsPerThread)
	}
	fmt.Fprintf(&b, "  ephemeral ports:       %d\n", d.EphemeralPorts)

	if sm.File != "" || len(sm.Warnings) > 0 {
		fmt.Fprintf(&b, "\nwarnings: %d\n", len(sm.Warnings))
		for _, w := range sm.Warnings {
			loc := w.File
			if w.Line > 0 {
				loc += fmt.Sprintf(":%d:%d", w.Line, w.Col)
			}
			if loc != "" {
				loc += ": "
			}
			fmt.Fprintf(&b, "  %s%s: %s: %s\n", loc, w.Kind, w.Keyword, w.Message)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// textValue renders a parameter's value for the text table.
func textValue(p Param) string {
	switch p.Type {
	case "flag":
		if p.Value.(bool) {
			return "on"
		}
		return "off"
	case "buckets":
		return fmt.Sprintf("%d -> %d", p.Value, p.Effective)
	case "memory":
		return fmt.Sprintf("%d B (%s)", p.Effective, p.Human)
	case "size":
		if p.Human != "" {
			return fmt.Sprintf("%d B (%s)", p.Value, p.Human)
		}
	case "address":
		if p.Value == "" {
			return "-"
		}
	}
	return fmt.Sprint(p.Value)
}

// JSON returns the summary as indented JSON (the `--json` output).
func (sm Summary) JSON() ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(sm); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
