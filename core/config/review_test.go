package config

import (
	"errors"
	"strings"
	"testing"
)

// Independent review of the session stanza against spec §1.1/§1.2: the
// boundaries of every number form, the < 4 GiB and >= 2048 rules at their
// edges, white space and comments between a keyword and its value, and the
// error text VPP prints.

// TestReviewNumberBoundaries pins each conversion at the exact edges the spec
// states: %d fits int32, the >= 2048 test is unsigned, ports truncate to 16
// bits, memory sizes are shifted 64-bit amounts that must stay below 4 GiB.
func TestReviewNumberBoundaries(t *testing.T) {
	type row struct {
		body string
		get  func(*Session) uint64
		want uint64
	}
	mq := func(s *Session) uint64 { return uint64(s.WorkerMQLength()) }
	v4mem := func(s *Session) uint64 { return s.V4SessionTableMemory.Value }
	minp := func(s *Session) uint64 { return uint64(s.MinSrcPort.Value) }
	maxp := func(s *Session) uint64 { return uint64(s.MaxSrcPort.Value) }
	seg := func(s *Session) uint64 { return s.WrkMqsSegmentSize.Value }
	rows := []row{
		{"wrk-mq-length 2147483647", mq, 2147483647},
		// -2^31 is the smallest int32; read unsigned it is 2^31 >= 2048.
		{"wrk-mq-length -2147483648", mq, 1 << 31},
		{"wrk-mq-length 2049", mq, 2049},
		{"wrk-mq-length 0", mq, 2048},
		{"wrk-mq-length -0", mq, 2048},
		{"event-queue-length 2048", mq, 2048},
		{"event-queue-length 2047", mq, 2048},
		{"event-queue-length -1", mq, 1<<32 - 1},
		// The last accepted value wins, an ignored one does not reset it.
		{"wrk-mq-length 4096 event-queue-length 100", mq, 4096},
		{"event-queue-length 4096 wrk-mq-length 8192", mq, 8192},
		{"v4-session-table-memory 4194303k", v4mem, 4<<30 - 1<<10},
		{"v4-session-table-memory 4095M", v4mem, 4095 << 20},
		{"v4-session-table-memory +1G", v4mem, 1 << 30},
		{"v4-session-table-memory 1K", v4mem, 1 << 10},
		{"v4-session-table-memory -0", v4mem, 0},
		{"min-src-port 65535", minp, 65535},
		{"min-src-port 65536", minp, 0},
		{"min-src-port 2147483647", minp, 65535},
		{"max-src-port -65535", maxp, 1},
		{"max-src-port 0", maxp, 0},
		// Memory sizes are signed: -1k is 2^64 - 1024 as VPP's uword.
		{"wrk-mqs-segment-size -1k", seg, 1<<64 - 1<<10},
		{"wrk-mqs-segment-size 9223372036854775807", seg, 1<<63 - 1},
		{"evt_qs_seg_size 3G", seg, 3 << 30},
	}
	for _, r := range rows {
		t.Run(r.body, func(t *testing.T) {
			f := mustSession(t, r.body, Options{})
			if got := r.get(f.Session); got != r.want {
				t.Errorf("got %d, want %d", got, r.want)
			}
		})
	}
}

// TestReviewTooLarge: every *-table-memory keyword refuses 4 GiB and more
// (including negative amounts and sizes whose shift does not wrap to 0), with
// VPP's "memory size %llx (%lld) too large" text.
func TestReviewTooLarge(t *testing.T) {
	values := []struct{ in, text string }{
		{"4194304k", "memory size 100000000 (4294967296) too large"},
		{"4096m", "memory size 100000000 (4294967296) too large"},
		{"4G", "memory size 100000000 (4294967296) too large"},
		{"-1k", "memory size fffffffffffffc00 (-1024) too large"},
		{"16777216g", "memory size 40000000000000 (18014398509481984) too large"},
	}
	for _, tbl := range Tables {
		for _, v := range values {
			body := tbl.MemoryKeyword() + " " + v.in
			_, err := parseSession(t, body, Options{})
			var e *Error
			if !errors.As(err, &e) || !strings.Contains(e.Msg, v.text) {
				t.Errorf("%s: %v, want an error containing %q", body, err, v.text)
			}
		}
	}
}

// TestReviewValueLayout: a keyword's value may follow on another line or
// after a comment (the reader turns both into one blank), or touch the
// keyword (unformat skips zero or more blanks).
func TestReviewValueLayout(t *testing.T) {
	for _, src := range []string{
		"session {\n wrk-mq-length\n 4096\n}",
		"session {\n wrk-mq-length # the length:\n\t4096 }",
		"session {\r\n\twrk-mq-length\t4096\r\n}",
		"session { wrk-mq-length4096 }",
		"session wrk-mq-length4096",
		"session { wrk-mq-length +4096 }",
	} {
		f, err := Parse("l.conf", []byte(src), Options{})
		if err != nil || f.Session.WrkMqLength.Value != 4096 {
			t.Errorf("%q: %v", src, err)
		}
	}
	// segment-baseva's `0x` is a literal of the format: blanks may surround it.
	for _, body := range []string{"segment-baseva0x10", "segment-baseva 0x10", "segment-baseva 0x 10"} {
		f := mustSession(t, body, Options{})
		if f.Session.SegmentBaseva.Value != 0x10 {
			t.Errorf("%s: baseva %#x", body, f.Session.SegmentBaseva.Value)
		}
	}
}

// TestReviewKeywordOrder: the first keyword in VPP's list that matches wins,
// and literal keywords need no word boundary after them.
func TestReviewKeywordOrder(t *testing.T) {
	rows := []struct {
		body string
		want Engine
	}{
		{"enable rt-backend rule-table enable rt-backend sdl", EngineSDL},
		{"enable rt-backend sdl enable rt-backend rule-table", EngineRuleTable},
		{"enable rt-backend sdl enable", EngineRuleTable},
		{"enablert-backendrule-table", EngineRuleTable},
	}
	for _, r := range rows {
		f := mustSession(t, r.body, Options{})
		if f.Session.Engine.Value != r.want {
			t.Errorf("%s: engine %v, want %v", r.body, f.Session.Engine.Value, r.want)
		}
	}
	// A prefix match leaves the rest for the next keyword: use-dmapoll-main
	// is use-dma followed by poll-main.
	f := mustSession(t, "use-dmapoll-main", Options{})
	if !f.Session.UseDMA.Value || !f.Session.PollMain.Value {
		t.Errorf("use-dmapoll-main: %+v %+v", f.Session.UseDMA, f.Session.PollMain)
	}
	// Deprecated no-ops change nothing, wherever they appear.
	f = mustSession(t, "evt_qs_memfd_seg use-app-socket-api evt_qs_memfd_seg", Options{})
	f.Session.Warnings = nil
	if d := diffValues(f.Session, Default()); d != "" {
		t.Errorf("no-ops changed %s", d)
	}
}

// TestReviewUnknownInput: the fatal error names the rest of the stanza,
// 30 bytes at most, "..." only when more follows, trailing blanks dropped.
func TestReviewUnknownInput(t *testing.T) {
	thirty := strings.Repeat("x", 30)
	rows := []struct{ body, text string }{
		// The stanza's closing blank counts: 30 bytes plus it are 31.
		{"poll-main " + thirty, thirty + "..."},
		{"poll-main " + thirty[:29], thirty[:29]},
		{"wrk-mq-length 4096 WRK-MQ-LENGTH 4096", "WRK-MQ-LENGTH 4096"},
		{"no-adaptiv", "no-adaptiv"},
		{"session-enable", "session-enable"},
		{"enable rt-backend", "rt-backend"},
		{"wrk-mq-length 1e4", "e4"},
		{"v4-session-table-memory 1t", "t"},
		{"v4-session-table-memory 1kk", "k"},
	}
	for _, r := range rows {
		_, err := parseSession(t, r.body, Options{})
		var e *Error
		if !errors.As(err, &e) || e.Text != r.text || !strings.HasPrefix(e.Msg, "unknown input `"+r.text+"'") {
			t.Errorf("%q: %v (text %q), want unknown input `%s'", r.body, err, textOf(e), r.text)
		}
	}
	// Without braces there is no closing blank: exactly 30 bytes, no "...".
	_, err := Parse("u.conf", []byte("session poll-main session "+thirty), Options{})
	var e *Error
	if !errors.As(err, &e) || e.Text != thirty {
		t.Errorf("30 bytes unbraced: %v", err)
	}
}
