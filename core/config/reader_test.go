package config

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestStanzas(t *testing.T) {
	src := "unix {\n  nodaemon\n  log /var/log/vpp.log # the log\n}\n" +
		"dpdk { dev 0000:00:08.0 { num-rx-queues 2 } dev default { num-rx-desc 1024 } }\n" +
		"heapsize 2G\n" +
		"plugins { plugin\\ name\\} { enable } }\n" +
		"api-trace {}\n"
	f, err := Parse("s.conf", []byte(src), Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := []Stanza{
		{Name: "unix", Value: " nodaemon log /var/log/vpp.log ", Braced: true, Pos: Pos{1, 1}, ValuePos: Pos{1, 6}},
		{Name: "dpdk", Value: " dev 0000:00:08.0 { num-rx-queues 2 } dev default { num-rx-desc 1024 } ", Braced: true, Pos: Pos{5, 1}, ValuePos: Pos{5, 6}},
		{Name: "heapsize", Value: "2G", Pos: Pos{6, 1}, ValuePos: Pos{6, 10}},
		{Name: "plugins", Value: " plugin name} { enable } ", Braced: true, Pos: Pos{7, 1}, ValuePos: Pos{7, 9}},
		{Name: "api-trace", Value: "", Braced: true, Pos: Pos{8, 1}, ValuePos: Pos{8, 11}},
	}
	if !reflect.DeepEqual(f.Stanzas, want) {
		t.Errorf("stanzas:\n got %+v\nwant %+v", f.Stanzas, want)
	}
	if v, ok := f.Value("heapsize"); !ok || v != "2G" {
		t.Errorf("Value(heapsize) = %q, %v", v, ok)
	}
	if _, ok := f.Value("session"); ok {
		t.Errorf("Value(session) found in a file without one")
	}
}

// A `#` starts a comment anywhere, even inside a word, and the comment ends
// the word: the newline after it is a blank.
func TestCommentsMidToken(t *testing.T) {
	src := "session {\n  poll-main#no space before this comment\n  wrk-mq-length 40#96\n96\n  use-dma# }\n}\n"
	f, err := Parse("c.conf", []byte(src), Options{})
	if err == nil {
		t.Fatalf("parsed %q without error: %+v", src, f.Session)
	}
	// `40#96` is the number 40 (ignored: too small), then `96` on the next
	// line is unknown input.
	var e *Error
	if !errors.As(err, &e) || e.Line != 4 || e.Col != 1 || e.Text != "96 use-dma" {
		t.Errorf("error %v (text %q), want 4:1 unknown input `96 use-dma'", err, e.Text)
	}
	f, err = Parse("c.conf", []byte("session { poll-main#x\n use-dma }#{\n"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !f.Session.PollMain.Value || !f.Session.UseDMA.Value {
		t.Errorf("comment broke the stanza: %+v", f.Session)
	}
	// A comment may even cut a keyword in two.
	_, err = Parse("c.conf", []byte("session { poll-ma#in\nin }"), Options{})
	if !errors.As(err, &e) || e.Text != "poll-ma in" {
		t.Errorf("split keyword: %v", err)
	}
}

func TestRepeatedStanzasConcatenated(t *testing.T) {
	src := "session { wrk-mq-length 4096 }\nunix { nodaemon }\nsession { poll-main }\nsession {}\nsession enable\n"
	f, err := Parse("r.conf", []byte(src), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := f.Value("session"); v != " wrk-mq-length 4096   poll-main   enable" {
		t.Errorf("concatenated value %q", v)
	}
	s := f.Session
	if s.WrkMqLength.Value != 4096 || !s.PollMain.Value || s.Engine.Value != EngineRuleTable {
		t.Errorf("session: %+v", s)
	}
	if s.PollMain.Pos != (Pos{3, 11}) || s.Engine.Pos != (Pos{5, 9}) {
		t.Errorf("positions across stanzas: poll-main %v, enable %v", s.PollMain.Pos, s.Engine.Pos)
	}
	if n := len(f.Stanzas); n != 5 {
		t.Errorf("%d stanzas, want 5", n)
	}
	// A keyword cannot straddle two stanzas' text only by accident of the
	// join: the joining space separates them.
	_, err = Parse("r.conf", []byte("session { poll- }\nsession { main }"), Options{})
	var e *Error
	if !errors.As(err, &e) || e.Line != 1 || e.Col != 11 {
		t.Errorf("straddling keyword: %v", err)
	}
}

func TestFlattening(t *testing.T) {
	src := "\r\n\t session\t{\r\n\twrk-mq-length\t\t8192\r\n}\r\n  \t"
	f, err := Parse("w.conf", []byte(src), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if f.Session.WrkMqLength.Value != 8192 || f.Session.WrkMqLength.Pos != (Pos{3, 2}) {
		t.Errorf("CRLF/TAB file: %+v", f.Session.WrkMqLength)
	}
	if f.Stanzas[0].Value != " wrk-mq-length 8192 " {
		t.Errorf("flattened value %q", f.Stanzas[0].Value)
	}
	// A stanza value may be a single word: `session enable`.
	f, err = Parse("w.conf", []byte("session enable"), Options{})
	if err != nil || !f.Session.Enabled() {
		t.Errorf("session enable: %v", err)
	}
	// Backslash escapes the next byte, inside braces too.
	f, err = Parse("w.conf", []byte(`session { wrk-mq-length 40\96 }`), Options{})
	if err != nil || f.Session.WrkMqLength.Value != 4096 {
		t.Errorf("escaped digit: %v %+v", err, f.Session.WrkMqLength)
	}
	// Empty and comment-only files are fine.
	for _, src := range []string{"", "# nothing\n\n   # at all", " \t\r\n"} {
		f, err := Parse("e.conf", []byte(src), Options{})
		if err != nil || len(f.Stanzas) != 0 || f.Session == nil {
			t.Errorf("%q: %v %+v", src, err, f)
		}
	}
}

// VPP aborts on `session { }` (one blank, which no keyword matches);
// sessionlab accepts it with a note. `session {}` is empty in both.
func TestBlankSessionStanza(t *testing.T) {
	f, err := Parse("b.conf", []byte("session { }"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Warnings) != 1 || f.Warnings[0].Kind != KindCompat || f.Warnings[0].Pos != (Pos{1, 10}) {
		t.Errorf("warnings %v", f.Warnings)
	}
	f, err = Parse("b.conf", []byte("session {}"), Options{})
	if err != nil || len(f.Warnings) != 0 {
		t.Errorf("session {}: %v %v", err, f.Warnings)
	}
}

func TestReaderErrors(t *testing.T) {
	rows := []struct {
		src       string
		line, col int
		text, msg string
	}{
		{"unix { nodaemon\nsession { enable }", 1, 6, "{", "unclosed `{': 1 `}' missing"},
		{"dpdk { dev x { a }\n", 1, 6, "{", "unclosed `{'"},
		{"unix { nodaemon } }", 1, 19, "}", "unbalanced `}'"},
		{"{ x }", 1, 1, "{", "expected a stanza name"},
		{"unix { nodaemon }\nsession", 2, 1, "session", "stanza `session' has no value"},
		{"unix { nodaemon }\nsession # { enable }", 2, 1, "session", "no value"},
		{"unix\x00 { }", 1, 5, `\x00`, "NUL byte"},
		{"session { poll-main \\}", 1, 9, "{", "unclosed"},
	}
	for _, r := range rows {
		_, err := Parse("e.conf", []byte(r.src), Options{})
		var e *Error
		if !errors.As(err, &e) || e.Line != r.line || e.Col != r.col || e.Text != r.text || !strings.Contains(e.Msg, r.msg) {
			t.Errorf("%q: got %v (text %q), want %d:%d %q containing %q", r.src, err, textOf(e), r.line, r.col, r.text, r.msg)
		}
	}
}

func textOf(e *Error) string {
	if e == nil {
		return ""
	}
	return e.Text
}

func TestMaxConfigSize(t *testing.T) {
	// Exactly 256 KiB is accepted, one byte more is not.
	ok := append([]byte("session { poll-main }\n"), make([]byte, MaxConfigSize-22)...)
	for i := 22; i < len(ok); i++ {
		ok[i] = '#'
	}
	if len(ok) != MaxConfigSize {
		t.Fatalf("test file is %d bytes", len(ok))
	}
	if _, err := Parse("big.conf", ok, Options{}); err != nil {
		t.Errorf("256 KiB file: %v", err)
	}
	_, err := Parse("big.conf", append(ok, '\n'), Options{})
	var e *Error
	if !errors.As(err, &e) || !strings.Contains(e.Msg, "larger than VPP's limit of 262144 bytes") || e.Line != 2 || e.Col != MaxConfigSize-22+1 {
		t.Errorf("256 KiB + 1: %v", err)
	}
	// ParseFile reads no more than the limit (+1) and reports the same.
	path := filepath.Join(t.TempDir(), "big.conf")
	if err := os.WriteFile(path, append(ok, strings.Repeat("#", 1<<20)...), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ParseFile(path, Options{}); !errors.As(err, &e) || !strings.Contains(e.Msg, "larger than") {
		t.Errorf("ParseFile of a 1.25 MiB file: %v", err)
	}
	if _, err := ParseFile(filepath.Join(t.TempDir(), "missing.conf"), Options{}); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}

func TestCPUWorkers(t *testing.T) {
	rows := []struct {
		cpu     string
		workers int
		keyword string
	}{
		{"", 0, ""},
		{"main-core 1", 0, ""},
		{"main-core 0 workers 4", 4, "workers"},
		{"workers 0", 0, "workers"},
		{"corelist-workers 2-5,8", 5, "corelist-workers"},
		{"corelist-workers 2-3 main-core 1", 2, "corelist-workers"},
		{"corelist-workers 1,1,2", 2, "corelist-workers"},
		{"coremask-workers 0x3c", 4, "coremask-workers"},
		{"coremask-workers F0", 4, "coremask-workers"},
		{"workers 0 workers 3", 3, "workers"},
		{"scheduler-policy fifo scheduler-priority 50 skip-cores 1 workers 2", 2, "workers"},
	}
	for _, r := range rows {
		f, err := Parse("cpu.conf", []byte("unix { nodaemon }\ncpu { "+r.cpu+" }\n"), Options{})
		if err != nil {
			t.Errorf("cpu { %s }: %v", r.cpu, err)
			continue
		}
		if f.Workers != r.workers || f.WorkersFrom.Keyword != r.keyword || f.WorkersFrom.Set != (r.keyword != "") {
			t.Errorf("cpu { %s }: workers %d from %+v, want %d from %q", r.cpu, f.Workers, f.WorkersFrom, r.workers, r.keyword)
		}
		if r.keyword != "" && f.WorkersFrom.Pos.Line != 2 {
			t.Errorf("cpu { %s }: position %v", r.cpu, f.WorkersFrom.Pos)
		}
	}
	errs := []struct{ cpu, msg string }{
		{"workers", "needs a value"},
		{"workers -1", "expected an unsigned decimal number"},
		{"workers 4x", "expected an unsigned decimal number"},
		{"workers 4294967296", "out of range"},
		{"corelist-workers 2-", "low-high"},
		{"corelist-workers 5-2", "low <= high"},
		{"corelist-workers 2;3", "core list"},
		{"corelist-workers 99999", "out of range"},
		{"coremask-workers 0xg", "hexadecimal"},
		{"coremask-workers 0x", "hexadecimal"},
		{"workers 2 workers 4", "number of 'workers' threads is already configured"},
		{"workers 2 corelist-workers 1-2", "core placement of 'workers' threads is already configured"},
	}
	for _, r := range errs {
		_, err := Parse("cpu.conf", []byte("cpu { "+r.cpu+" }"), Options{})
		var e *Error
		if !errors.As(err, &e) || !strings.Contains(e.Msg, r.msg) || e.Line != 1 {
			t.Errorf("cpu { %s }: %v, want error containing %q", r.cpu, err, r.msg)
		}
	}
}
