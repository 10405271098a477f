package config

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// parseSession parses `session { body }` on a line of its own after a
// comment line, so positions are on line 2 and body starts at column 11.
func parseSession(t *testing.T, body string, opt Options) (*File, error) {
	t.Helper()
	return Parse("test.conf", []byte("# test\nsession { "+body+" }\n"), opt)
}

func mustSession(t *testing.T, body string, opt Options) *File {
	t.Helper()
	f, err := parseSession(t, body, opt)
	if err != nil {
		t.Fatalf("session { %s }: %v", body, err)
	}
	return f
}

func kinds(ws []Warning) []WarningKind {
	var k []WarningKind
	for _, w := range ws {
		k = append(k, w.Kind)
	}
	return k
}

func TestDefault(t *testing.T) {
	s := Default()
	checks := []struct {
		name      string
		got, want any
	}{
		{"wrk-mq-length", s.WrkMqLength.Value, uint32(2048)},
		{"wrk-mqs-segment-size", s.WrkMqsSegmentSize.Value, uint64(0)},
		{"preallocated-sessions", s.PreallocatedSessions.Value, uint32(0)},
		{"v4-session-table-buckets", s.V4SessionTableBuckets.Value, uint32(20000)},
		{"v4-halfopen-table-buckets", s.V4HalfOpenTableBuckets.Value, uint32(20000)},
		{"v6-session-table-buckets", s.V6SessionTableBuckets.Value, uint32(20000)},
		{"v6-halfopen-table-buckets", s.V6HalfOpenTableBuckets.Value, uint32(20000)},
		{"v4-session-table-memory", s.V4SessionTableMemory.Value, uint64(64 << 20)},
		{"v4-halfopen-table-memory", s.V4HalfOpenTableMemory.Value, uint64(64 << 20)},
		{"v6-session-table-memory", s.V6SessionTableMemory.Value, uint64(64 << 20)},
		{"v6-halfopen-table-memory", s.V6HalfOpenTableMemory.Value, uint64(64 << 20)},
		{"local-endpoints-table-memory", s.LocalEndpointsTableMemory.Value, uint64(512 << 20)},
		{"local-endpoints-table-buckets", s.LocalEndpointsTableBuckets.Value, uint32(250000)},
		{"min-src-port", s.MinSrcPort.Value, uint16(1024)},
		{"max-src-port", s.MaxSrcPort.Value, uint16(65535)},
		{"engine", s.Engine.Value, EngineDisabled},
		{"poll-main", s.PollMain.Value, false},
		{"use-private-rx-mqs", s.UsePrivateRxMqs.Value, false},
		{"no-adaptive", s.NoAdaptive.Value, false},
		{"use-dma", s.UseDMA.Value, false},
		{"nat44-original-dst-enable", s.NAT44OriginalDst.Value, false},
		{"no-dump-segments", s.NoDumpSegments.Value, false},
		{"app socket api", s.AppSocketAPI.Value, true},
		{"v4 buckets rounded", s.Buckets(V4Session), uint64(32768)},
		{"v6 half-open buckets rounded", s.Buckets(V6HalfOpen), uint64(32768)},
		{"local endpoints buckets rounded", s.Buckets(LocalEndpoints), uint64(262144)},
		{"worker mq length", s.WorkerMQLength(), uint32(2048)},
		{"enabled", s.Enabled(), false},
		{"ephemeral ports", s.EphemeralPorts(), 64511},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v (%T), want %v (%T)", c.name, c.got, c.got, c.want, c.want)
		}
	}
	// Nothing in a default session is marked as set.
	v := reflect.ValueOf(s).Elem()
	for i := 0; i < v.NumField(); i++ {
		if v.Field(i).Kind() != reflect.Struct {
			continue
		}
		if f := v.Field(i).FieldByName("Set"); f.IsValid() && f.Bool() {
			t.Errorf("default %s is marked as set", v.Type().Field(i).Name)
		}
	}
	// A file without a session stanza yields exactly the defaults.
	f, err := Parse("x.conf", []byte("unix { nodaemon }"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(f.Session, Default()) {
		t.Errorf("session of a file without session stanza differs from Default()")
	}
	if len(f.Warnings) != 0 {
		t.Errorf("warnings for a file without session stanza: %v", f.Warnings)
	}
}

// TestKeywords covers every keyword and alias of the session stanza: the
// stored value, the Setting's bookkeeping and the warnings.
func TestKeywords(t *testing.T) {
	type row struct {
		body    string
		field   func(*Session) any
		want    any
		keyword string // Setting.Keyword ("" to skip)
		warns   []WarningKind
		msg     string // substring of the first warning
	}
	rows := []row{
		{"wrk-mq-length 4096", func(s *Session) any { return s.WrkMqLength.Value }, uint32(4096), "wrk-mq-length", nil, ""},
		{"wrk-mq-length 2048", func(s *Session) any { return s.WrkMqLength.Value }, uint32(2048), "wrk-mq-length", nil, ""},
		{"wrk-mq-length 2047", func(s *Session) any { return s.WrkMqLength.Set }, false, "", []WarningKind{KindIgnored}, "event queue length 2047 too small, ignored"},
		{"wrk-mq-length -1", func(s *Session) any { return s.WrkMqLength.Value }, uint32(4294967295), "wrk-mq-length", []WarningKind{KindCompat}, "unsigned"},
		{"wrk-mq-length +4096", func(s *Session) any { return s.WrkMqLength.Value }, uint32(4096), "wrk-mq-length", nil, ""},
		{"wrk-mq-length4096", func(s *Session) any { return s.WrkMqLength.Value }, uint32(4096), "wrk-mq-length", nil, ""},
		{"event-queue-length 8192", func(s *Session) any { return s.WrkMqLength.Value }, uint32(8192), "event-queue-length", []WarningKind{KindDeprecated}, "alias of wrk-mq-length"},
		{"event-queue-length 100", func(s *Session) any { return s.WrkMqLength.Value }, uint32(2048), "", []WarningKind{KindDeprecated, KindIgnored}, "alias"},
		{"wrk-mqs-segment-size 64m", func(s *Session) any { return s.WrkMqsSegmentSize.Value }, uint64(64 << 20), "wrk-mqs-segment-size", nil, ""},
		{"wrk-mqs-segment-size 8g", func(s *Session) any { return s.WrkMqsSegmentSize.Value }, uint64(8 << 30), "wrk-mqs-segment-size", nil, ""},
		{"wrk-mqs-segment-size -1", func(s *Session) any { return s.WrkMqsSegmentSize.Value }, uint64(1<<64 - 1), "wrk-mqs-segment-size", []WarningKind{KindCompat}, "unsigned size"},
		{"evt_qs_seg_size 32M", func(s *Session) any { return s.WrkMqsSegmentSize.Value }, uint64(32 << 20), "evt_qs_seg_size", []WarningKind{KindDeprecated}, "alias of wrk-mqs-segment-size"},
		{"preallocated-sessions 100000", func(s *Session) any { return s.PreallocatedSessions.Value }, uint32(100000), "preallocated-sessions", nil, ""},
		{"preallocated-sessions -2", func(s *Session) any { return s.PreallocatedSessions.Value }, uint32(4294967294), "preallocated-sessions", []WarningKind{KindCompat}, "unsigned count"},
		{"v4-session-table-buckets 100000", func(s *Session) any { return s.Buckets(V4Session) }, uint64(131072), "v4-session-table-buckets", nil, ""},
		{"v4-halfopen-table-buckets 1000", func(s *Session) any { return s.Buckets(V4HalfOpen) }, uint64(1024), "v4-halfopen-table-buckets", nil, ""},
		{"v6-session-table-buckets 65536", func(s *Session) any { return s.Buckets(V6Session) }, uint64(65536), "v6-session-table-buckets", nil, ""},
		{"v6-halfopen-table-buckets 3", func(s *Session) any { return s.Buckets(V6HalfOpen) }, uint64(4), "v6-halfopen-table-buckets", nil, ""},
		{"local-endpoints-table-buckets 1", func(s *Session) any { return s.Buckets(LocalEndpoints) }, uint64(1), "local-endpoints-table-buckets", nil, ""},
		{"v4-session-table-buckets 0", func(s *Session) any { return s.Buckets(V4Session) }, uint64(32768), "v4-session-table-buckets", []WarningKind{KindIgnored}, "0 means VPP's default, 20000"},
		{"local-endpoints-table-buckets 0", func(s *Session) any { return s.Buckets(LocalEndpoints) }, uint64(262144), "local-endpoints-table-buckets", []WarningKind{KindIgnored}, "250000"},
		{"v4-session-table-buckets -1", func(s *Session) any { return s.Buckets(V4Session) }, uint64(1 << 32), "v4-session-table-buckets", []WarningKind{KindCompat}, "4294967295"},
		{"v4-session-table-memory 128m", func(s *Session) any { return s.Memory(V4Session) }, uint64(128 << 20), "v4-session-table-memory", []WarningKind{KindCompat}, "arena is exactly 128 MiB"},
		{"v4-halfopen-table-memory 1g", func(s *Session) any { return s.Memory(V4HalfOpen) }, uint64(1 << 30), "v4-halfopen-table-memory", []WarningKind{KindCompat}, "VPP since 21.01 ignores"},
		{"v6-session-table-memory 4095m", func(s *Session) any { return s.Memory(V6Session) }, uint64(4095 << 20), "v6-session-table-memory", []WarningKind{KindCompat}, ""},
		{"v6-halfopen-table-memory 4294967295", func(s *Session) any { return s.Memory(V6HalfOpen) }, uint64(1<<32 - 1), "v6-halfopen-table-memory", []WarningKind{KindCompat}, ""},
		{"local-endpoints-table-memory 1024k", func(s *Session) any { return s.Memory(LocalEndpoints) }, uint64(1 << 20), "local-endpoints-table-memory", []WarningKind{KindCompat}, ""},
		{"v4-session-table-memory 0", func(s *Session) any { return s.Memory(V4Session) }, uint64(64 << 20), "v4-session-table-memory", []WarningKind{KindIgnored}, "64 MiB"},
		{"v4-session-table-memory 2K", func(s *Session) any { return s.V4SessionTableMemory.Value }, uint64(2048), "", []WarningKind{KindCompat}, ""},
		{"v4-session-table-memory 3G", func(s *Session) any { return s.V4SessionTableMemory.Value }, uint64(3 << 30), "", []WarningKind{KindCompat}, ""},
		{"v4-session-table-memory 12345", func(s *Session) any { return s.V4SessionTableMemory.Value }, uint64(12345), "", []WarningKind{KindCompat}, ""},
		// The shift wraps in 64 bits: 2^34 g is 2^64, i.e. 0, i.e. default.
		{"v4-session-table-memory 17179869184g", func(s *Session) any { return s.V4SessionTableMemory.Value }, uint64(0), "", []WarningKind{KindIgnored}, ""},
		{"min-src-port 2000", func(s *Session) any { return s.MinSrcPort.Value }, uint16(2000), "min-src-port", nil, ""},
		{"max-src-port 50000", func(s *Session) any { return s.MaxSrcPort.Value }, uint16(50000), "max-src-port", nil, ""},
		{"max-src-port 70000", func(s *Session) any { return s.MaxSrcPort.Value }, uint16(4464), "max-src-port", []WarningKind{KindCompat}, "70000 becomes 4464"},
		{"min-src-port -1", func(s *Session) any { return s.MinSrcPort.Value }, uint16(65535), "min-src-port", []WarningKind{KindCompat, KindCompat}, "-1 becomes 65535"},
		{"min-src-port 3000 max-src-port 3000", func(s *Session) any { return s.EphemeralPorts() }, 0, "", []WarningKind{KindCompat}, "range [3000, 3000) is empty"},
		{"enable rt-backend rule-table", func(s *Session) any { return s.Engine.Value }, EngineRuleTable, "enable rt-backend rule-table", nil, ""},
		{"enable rt-backend sdl", func(s *Session) any { return s.Engine.Value }, EngineSDL, "enable rt-backend sdl", nil, ""},
		{"enable", func(s *Session) any { return s.Engine.Value }, EngineRuleTable, "enable", []WarningKind{KindCompat}, "VPP since 24.10"},
		{"enablert-backendsdl", func(s *Session) any { return s.Engine.Value }, EngineSDL, "enable rt-backend sdl", nil, ""},
		{"enable poll-main", func(s *Session) any { return s.Engine.Value == EngineRuleTable && s.PollMain.Value }, true, "", []WarningKind{KindCompat}, ""},
		{"poll-main", func(s *Session) any { return s.PollMain.Value }, true, "poll-main", nil, ""},
		{"use-private-rx-mqs", func(s *Session) any { return s.UsePrivateRxMqs.Value }, true, "use-private-rx-mqs", nil, ""},
		{"no-adaptive", func(s *Session) any { return s.NoAdaptive.Value }, true, "no-adaptive", nil, ""},
		{"use-dma", func(s *Session) any { return s.UseDMA.Value }, true, "use-dma", nil, ""},
		{"nat44-original-dst-enable", func(s *Session) any { return s.NAT44OriginalDst.Value }, true, "nat44-original-dst-enable", nil, ""},
		{"no-dump-segments", func(s *Session) any { return s.NoDumpSegments.Value }, true, "no-dump-segments", nil, ""},
		{"use-app-socket-api", func(s *Session) any { return s.AppSocketAPI }, Setting[bool]{Value: true}, "", []WarningKind{KindDeprecated}, "no-op"},
		{"use-bapi-socket-api", func(s *Session) any { return s.AppSocketAPI.Value }, false, "use-bapi-socket-api", []WarningKind{KindDeprecated}, "App attachment using binary-api is deprecated"},
		// use-app-socket-api is a no-op: it does not turn the API back on.
		{"use-bapi-socket-api use-app-socket-api", func(s *Session) any { return s.AppSocketAPI.Value }, false, "", []WarningKind{KindDeprecated, KindDeprecated}, ""},
		{"evt_qs_memfd_seg", func(s *Session) any { return reflect.DeepEqual(s, withWarnings(Default(), s.Warnings)) }, true, "", []WarningKind{KindDeprecated}, "memfd"},
		{"segment-baseva 0x7f0000000000", func(s *Session) any { return s.SegmentBaseva.Value }, uint64(0x7f0000000000), "segment-baseva", []WarningKind{KindDeprecated}, "ignores"},
		{"segment-baseva 0xABCdef", func(s *Session) any { return s.SegmentBaseva.Value }, uint64(0xabcdef), "segment-baseva", []WarningKind{KindDeprecated}, ""},
		{"segment-baseva 0x 10", func(s *Session) any { return s.SegmentBaseva.Value }, uint64(0x10), "segment-baseva", []WarningKind{KindDeprecated}, ""},
		// The last value wins; the earlier one is reported as ignored.
		{"wrk-mq-length 4096 wrk-mq-length 8192", func(s *Session) any { return s.WrkMqLength.Value }, uint32(8192), "wrk-mq-length", []WarningKind{KindIgnored}, "overrides wrk-mq-length 4096 set at 2:11"},
		{"poll-main poll-main", func(s *Session) any { return s.PollMain.Value }, true, "poll-main", nil, ""},
		{"enable enable rt-backend sdl", func(s *Session) any { return s.Engine.Value }, EngineSDL, "enable rt-backend sdl", []WarningKind{KindCompat, KindIgnored}, ""},
	}
	for _, r := range rows {
		t.Run(r.body, func(t *testing.T) {
			f := mustSession(t, r.body, Options{})
			s := f.Session
			if got := r.field(s); !reflect.DeepEqual(got, r.want) {
				t.Errorf("got %#v, want %#v", got, r.want)
			}
			if got := kinds(s.Warnings); !reflect.DeepEqual(got, r.warns) {
				t.Errorf("warning kinds %v, want %v: %v", got, r.warns, s.Warnings)
			}
			if r.msg != "" && (len(s.Warnings) == 0 || !strings.Contains(s.Warnings[0].Msg, r.msg)) {
				t.Errorf("first warning %v does not contain %q", s.Warnings, r.msg)
			}
			if !reflect.DeepEqual(f.Warnings, s.Warnings) {
				t.Errorf("File.Warnings %v != Session.Warnings %v", f.Warnings, s.Warnings)
			}
			for _, w := range s.Warnings {
				if w.File != "test.conf" || w.Pos.Line != 2 {
					t.Errorf("warning without the right position: %v", w)
				}
			}
			if r.keyword != "" {
				st := settingByKeyword(s, r.keyword)
				if st == nil {
					t.Fatalf("no setting set by %q", r.keyword)
				}
			}
		})
	}
}

func withWarnings(s *Session, w []Warning) *Session { s.Warnings = w; return s }

// settingByKeyword finds the Setting whose Keyword is kw, via reflection.
func settingByKeyword(s *Session, kw string) any {
	v := reflect.ValueOf(s).Elem()
	for i := 0; i < v.NumField(); i++ {
		f := v.Field(i)
		if f.Kind() != reflect.Struct {
			continue
		}
		if k := f.FieldByName("Keyword"); k.IsValid() && k.String() == kw && f.FieldByName("Set").Bool() {
			return f.Interface()
		}
	}
	return nil
}

func TestSettingPosition(t *testing.T) {
	src := "unix { nodaemon }\nsession {\n\tpoll-main\n  wrk-mq-length   4096 # comment\n}\n"
	f, err := Parse("p.conf", []byte(src), Options{})
	if err != nil {
		t.Fatal(err)
	}
	s := f.Session
	if want := (Setting[bool]{Value: true, Set: true, Pos: Pos{3, 2}, Keyword: "poll-main"}); s.PollMain != want {
		t.Errorf("poll-main = %+v, want %+v", s.PollMain, want)
	}
	if want := (Setting[uint32]{Value: 4096, Set: true, Pos: Pos{4, 3}, Keyword: "wrk-mq-length"}); s.WrkMqLength != want {
		t.Errorf("wrk-mq-length = %+v, want %+v", s.WrkMqLength, want)
	}
}

func TestAllowSmallQueues(t *testing.T) {
	f := mustSession(t, "wrk-mq-length 512", Options{AllowSmallQueues: true})
	s := f.Session
	if s.WrkMqLength.Value != 512 || s.WorkerMQLength() != 512 {
		t.Errorf("queue length %d / %d, want 512", s.WrkMqLength.Value, s.WorkerMQLength())
	}
	if got := kinds(s.Warnings); !reflect.DeepEqual(got, []WarningKind{KindCompat}) || !strings.Contains(s.Warnings[0].Msg, "outside VPP's range") {
		t.Errorf("warnings %v", s.Warnings)
	}
	f = mustSession(t, "event-queue-length 16", Options{AllowSmallQueues: true})
	if f.Session.WrkMqLength.Value != 16 || !reflect.DeepEqual(kinds(f.Session.Warnings), []WarningKind{KindDeprecated, KindCompat}) {
		t.Errorf("event-queue-length 16: %+v %v", f.Session.WrkMqLength, f.Session.Warnings)
	}
	_, err := parseSession(t, "wrk-mq-length 0", Options{AllowSmallQueues: true})
	var e *Error
	if !errors.As(err, &e) || !strings.Contains(e.Msg, "at least one entry") || e.Line != 2 || e.Col != 25 {
		t.Errorf("wrk-mq-length 0 with small queues: %v", err)
	}
	// Without the option, the same file keeps VPP's default.
	f = mustSession(t, "wrk-mq-length 512", Options{})
	if f.Session.WrkMqLength.Value != 2048 || f.Session.WrkMqLength.Set {
		t.Errorf("without AllowSmallQueues: %+v", f.Session.WrkMqLength)
	}
}

// TestErrors covers every way the session stanza can be refused.
func TestErrors(t *testing.T) {
	rows := []struct {
		body      string
		line, col int
		text      string
		msg       string
	}{
		// A number ends at the first non-digit; `k' is then unknown input.
		{"v4-session-table-buckets 16k", 2, 38, "k", "unknown input `k' (v4-session-table-buckets read the number 16 and stopped at `k'"},
		{"wrk-mq-length 4096abc poll-main", 2, 29, "abc poll-main", "unknown input `abc poll-main'"},
		{"wrk-mq-length 0x1000", 2, 26, "x1000", "unknown input `x1000'"},
		{"wrk-mq-length 4096-5", 2, 29, "-5", "unknown input `-5'"},
		// %d must fit 32 bits, else the keyword does not match at all.
		{"wrk-mq-length 2147483648", 2, 11, "wrk-mq-length 2147483648", "out of range"},
		{"preallocated-sessions -2147483649", 2, 11, "preallocated-sessions -2147483...", "out of range"},
		{"wrk-mq-length", 2, 11, "wrk-mq-length", "none follows"},
		{"wrk-mq-length four", 2, 11, "wrk-mq-length four", "not `four'"},
		{"wrk-mq-length --5", 2, 11, "wrk-mq-length --5", "unknown input"},
		{"wrk-mq-length +-5", 2, 11, "wrk-mq-length +-5", "unknown input"},
		// Memory sizes: < 4 GiB, one suffix, no hex, no B.
		{"v4-session-table-memory 4g", 2, 35, "4g", "memory size 100000000 (4294967296) too large"},
		{"v6-halfopen-table-memory 4294967296", 2, 36, "4294967296", "too large"},
		{"local-endpoints-table-memory -1", 2, 40, "-1", "memory size ffffffffffffffff (-1) too large"},
		{"v4-halfopen-table-memory 64MB", 2, 39, "B", "unknown input `B' (v4-halfopen-table-memory read the size 64M"},
		{"v4-session-table-memory 64 m", 2, 38, "m", "unknown input `m'"},
		{"v4-session-table-memory 0x100", 2, 36, "x100", "unknown input `x100'"},
		{"v4-session-table-memory 1.5g", 2, 36, ".5g", "unknown input `.5g'"},
		{"wrk-mqs-segment-size 9223372036854775808", 2, 11, "wrk-mqs-segment-size 922337203...", "out of range"},
		// Literal keywords match as prefixes (unformat needs no word boundary).
		{"poll-mainXYZ", 2, 20, "XYZ", "unknown input `XYZ' (VPP matched the keyword poll-main as a prefix"},
		{"enabled", 2, 17, "d", "unknown input `d'"},
		{"enable rt-backend foo", 2, 18, "rt-backend foo", "unknown input `rt-backend foo'"},
		{"Poll-main", 2, 11, "Poll-main", "unknown input `Poll-main'"},
		{"poll-main bogus-keyword", 2, 21, "bogus-keyword", "unknown input `bogus-keyword'"},
		{"segment-baseva 0X10", 2, 11, "segment-baseva 0X10", "unknown input"},
		{"segment-baseva 0x-10", 2, 11, "segment-baseva 0x-10", "a hexadecimal address"},
		{"segment-baseva 0x10000000000000000", 2, 11, "segment-baseva 0x1000000000000...", "out of range"},
		// VPP shows at most 30 bytes of the rest of the input.
		{"poll-main this-is-a-very-long-unknown-keyword-indeed", 2, 21, "this-is-a-very-long-unknown-ke...", "unknown input `this-is-a-very-long-unknown-ke...'"},
	}
	for _, r := range rows {
		t.Run(r.body, func(t *testing.T) {
			_, err := parseSession(t, r.body, Options{})
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %v (%T), want *Error", err, err)
			}
			if e.File != "test.conf" || e.Line != r.line || e.Col != r.col || e.Text != r.text || !strings.Contains(e.Msg, r.msg) {
				t.Errorf("got %q (text %q), want test.conf:%d:%d text %q containing %q", e.Error(), e.Text, r.line, r.col, r.text, r.msg)
			}
			if !strings.HasPrefix(e.Error(), "test.conf:") {
				t.Errorf("Error() = %q, want file:line:col prefix", e.Error())
			}
		})
	}
}

// The issue's own acceptance cases, spelled out.
func TestAcceptanceCases(t *testing.T) {
	src := "session {\n  enable rt-backend rule-table\n  v4-session-table-buckets 16k\n}\n"
	_, err := Parse("startup.conf", []byte(src), Options{})
	if err == nil || err.Error() != "startup.conf:3:30: unknown input `k' (v4-session-table-buckets read the number 16 and stopped at `k': VPP numbers are plain decimal, with no suffix and no hex)" {
		t.Errorf("16k: %v", err)
	}

	f := mustSession(t, "event-queue-length 100", Options{})
	if f.Session.WorkerMQLength() != 2048 || f.Session.WrkMqLength.Set {
		t.Errorf("event-queue-length 100 changed the queue: %+v", f.Session.WrkMqLength)
	}
	found := false
	for _, w := range f.Warnings {
		found = found || (w.Kind == KindIgnored && strings.HasPrefix(w.Msg, "event queue length 100 too small, ignored"))
	}
	if !found {
		t.Errorf("no VPP warning for event-queue-length 100: %v", f.Warnings)
	}

	f = mustSession(t, "enable", Options{})
	if !f.Session.Enabled() || f.Session.Engine.Value != EngineRuleTable {
		t.Errorf("plain enable: %+v", f.Session.Engine)
	}
	if len(f.Warnings) != 1 || f.Warnings[0].Kind != KindCompat || !strings.Contains(f.Warnings[0].Msg, "rt-backend rule-table") {
		t.Errorf("plain enable warnings: %v", f.Warnings)
	}
	if sm := f.Summary(); !sm.Session.Enabled || sm.Session.RTBackend != "rule-table" {
		t.Errorf("summary: enabled %v, backend %q", sm.Session.Enabled, sm.Session.RTBackend)
	}
}

func TestSessionsPerThread(t *testing.T) {
	s := Default()
	if n, fixed := s.SessionsPerThread(4); n != 0 || fixed {
		t.Errorf("no preallocation: %d %v", n, fixed)
	}
	s.PreallocatedSessions.Value = 100000
	for _, c := range []struct {
		workers int
		want    uint32
	}{{0, 100000}, {1, 110000}, {2, 55000}, {3, 36666}, {7, 15714}} {
		if n, fixed := s.SessionsPerThread(c.workers); n != c.want || !fixed {
			t.Errorf("%d workers: %d %v, want %d", c.workers, n, fixed, c.want)
		}
	}
}

func TestRoundBuckets(t *testing.T) {
	for _, c := range []struct {
		in   uint32
		want uint64
	}{{0, 1}, {1, 1}, {2, 2}, {3, 4}, {20000, 32768}, {32768, 32768}, {32769, 65536}, {250000, 262144}, {1<<31 + 1, 1 << 32}, {1<<32 - 1, 1 << 32}} {
		if got := RoundBuckets(c.in); got != c.want {
			t.Errorf("RoundBuckets(%d) = %d, want %d", c.in, got, c.want)
		}
	}
}

func TestSet(t *testing.T) {
	s := Default()
	for _, c := range [][2]string{
		{"wrk-mq-length", "8192"},
		{"v4-session-table-buckets", "50000"},
		{"v4-session-table-memory", "1g"},
		{"enable", "rt-backend sdl"},
		{"poll-main", ""},
		{"min-src-port", " 4000 "},
	} {
		if err := s.Set(c[0], c[1]); err != nil {
			t.Fatalf("Set(%q, %q): %v", c[0], c[1], err)
		}
	}
	if s.WrkMqLength.Value != 8192 || s.Buckets(V4Session) != 65536 || s.Memory(V4Session) != 1<<30 ||
		s.Engine.Value != EngineSDL || !s.PollMain.Value || s.MinSrcPort.Value != 4000 {
		t.Errorf("after Set: %+v", s)
	}
	if !s.WrkMqLength.Set || s.WrkMqLength.Pos.IsValid() || s.WrkMqLength.Keyword != "wrk-mq-length" {
		t.Errorf("Set bookkeeping: %+v", s.WrkMqLength)
	}
	// Warnings of Set calls are kept, without a position.
	if len(s.Warnings) != 1 || s.Warnings[0].Kind != KindCompat || s.Warnings[0].Pos.IsValid() || s.Warnings[0].File != "" {
		t.Errorf("warnings after Set: %v", s.Warnings)
	}
	// A small queue is ignored with VPP's warning, unless limits are off.
	if err := s.Set("event-queue-length", "100"); err != nil {
		t.Fatal(err)
	}
	if s.WrkMqLength.Value != 8192 {
		t.Errorf("small queue changed the length: %d", s.WrkMqLength.Value)
	}
	s.Options.AllowSmallQueues = true
	if err := s.Set("wrk-mq-length", "100"); err != nil || s.WorkerMQLength() != 100 {
		t.Errorf("small queue with AllowSmallQueues: %v %d", err, s.WorkerMQLength())
	}

	before := *s
	before.Warnings = append([]Warning(nil), s.Warnings...)
	for _, c := range []struct{ kw, val, msg string }{
		{"v4-session-table-buckets", "16k", "v4-session-table-buckets 16k: unknown input `k'"},
		{"v4-session-table-memory", "4g", "memory size 100000000 (4294967296) too large"},
		{"wrk-mq-length", "", "none follows"},
		{"wrk-mq-length", "4096 poll-main", "exactly one wrk-mq-length setting"},
		{"poll-main", "x", "unknown input `x'"},
		{"poll", "-main", "unknown session keyword `poll'"},
		{"bogus", "1", "unknown session keyword"},
		{"enable", "rt-backend foo", "unknown input `rt-backend foo'"},
		{"wrk-mq-length", "0", "at least one entry"},
	} {
		err := s.Set(c.kw, c.val)
		var e *Error
		if !errors.As(err, &e) || !strings.Contains(err.Error(), c.msg) || e.Line != 0 {
			t.Errorf("Set(%q, %q) = %v, want an *Error without position containing %q", c.kw, c.val, err, c.msg)
		}
	}
	if !reflect.DeepEqual(*s, before) {
		t.Errorf("failed Set calls changed the session")
	}
}

func TestStanzaRoundTrip(t *testing.T) {
	if got, want := Default().Stanza(), "session {\n}\n"; got != want {
		t.Errorf("default stanza %q, want %q", got, want)
	}
	body := `enable wrk-mq-length -5 wrk-mqs-segment-size -3k preallocated-sessions 7
		v4-session-table-buckets 0 v6-halfopen-table-buckets 100 v6-session-table-memory 1000
		local-endpoints-table-memory 3g local-endpoints-table-buckets 9 min-src-port 70000
		max-src-port 100 use-bapi-socket-api no-dump-segments use-dma segment-baseva 0x1000`
	f := mustSession(t, body, Options{})
	text := f.Session.Stanza()
	g, err := Parse("stanza", []byte(text), Options{})
	if err != nil {
		t.Fatalf("re-parsing %q: %v", text, err)
	}
	if d := diffValues(f.Session, g.Session); d != "" {
		t.Errorf("round trip of\n%s\ndiffers: %s", text, d)
	}
	if !strings.Contains(text, "enable rt-backend rule-table") || strings.Contains(text, "segment-baseva") {
		t.Errorf("stanza:\n%s", text)
	}
}

// diffValues compares the values (not positions or keywords) of two sessions,
// ignoring SegmentBaseva, which Stanza leaves out (VPP ignores it).
func diffValues(a, b *Session) string {
	va, vb := reflect.ValueOf(a).Elem(), reflect.ValueOf(b).Elem()
	for i := 0; i < va.NumField(); i++ {
		name := va.Type().Field(i).Name
		fa, fb := va.Field(i), vb.Field(i)
		if name == "SegmentBaseva" || fa.Kind() != reflect.Struct || !fa.FieldByName("Value").IsValid() {
			continue
		}
		if x, y := fa.FieldByName("Value").Interface(), fb.FieldByName("Value").Interface(); x != y {
			return name + ": " + reflect.ValueOf(x).String() + " vs " + reflect.ValueOf(y).String()
		}
	}
	return ""
}

func TestFormatSize(t *testing.T) {
	for _, c := range []struct {
		in   uint64
		want string
	}{{0, "0"}, {1, "1"}, {1024, "1k"}, {1536, "1536"}, {64 << 20, "64m"}, {3 << 30, "3g"}, {1<<64 - 1, "-1"}, {1<<64 - 1024, "-1k"}, {1 << 63, "-8589934592g"}} {
		if got := FormatSize(c.in); got != c.want {
			t.Errorf("FormatSize(%d) = %q, want %q", c.in, got, c.want)
		}
		// What FormatSize writes, unformat_memory_size reads back.
		sc := &scanner{t: &text{buf: []byte(c.want)}}
		if v, st := sc.memorySize(); st != numOK || v != c.in || sc.i != len(c.want) {
			t.Errorf("memorySize(%q) = %d, %v", c.want, v, st)
		}
	}
	for _, c := range []struct {
		in   uint64
		want string
	}{{0, "0 B"}, {1023, "1023 B"}, {1024, "1 KiB"}, {1536, "1.50 KiB"}, {64 << 20, "64 MiB"}, {1<<32 - 1, "4.00 GiB"}, {1<<64 - 1, "16.00 EiB"}} {
		if got := HumanBytes(c.in); got != c.want {
			t.Errorf("HumanBytes(%d) = %q, want %q", c.in, got, c.want)
		}
	}
}

// A negative bucket count is read unsigned and rounds past 2^31; the
// summary's effective value is what the model builds (2^31), and the
// per-worker pool truncates explicitly (the same on every architecture).
func TestOverflowingCounts(t *testing.T) {
	f, err := Parse("p.conf", []byte("session { v4-session-table-buckets -1 preallocated-sessions -1 }"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := f.Session.ModelBuckets(V4Session); got != 1<<31 {
		t.Errorf("ModelBuckets = %d, want 2^31", got)
	}
	for _, p := range f.Session.Params() {
		if p.Keyword == "v4-session-table-buckets" && fmt.Sprint(p.Effective) != "2147483648" {
			t.Errorf("summary effective %v, want %d (what the model builds)", p.Effective, uint64(1<<31))
		}
	}
	if got, want := PerWorkerSessions(0xffffffff, 1), uint32(4724464024&0xffffffff); got != want {
		t.Errorf("PerWorkerSessions(2^32-1, 1) = %d, want %d", got, want)
	}
	if got := PerWorkerSessions(100000, 3); got != 36666 {
		t.Errorf("PerWorkerSessions(100000, 3) = %d, want 36666", got)
	}
}
