package config

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/sessionlab/sessionlab/internal/testutil/golden"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

func exampleFile(t testing.TB) *File {
	src, err := os.ReadFile("../../examples/startup.conf")
	if err != nil {
		t.Fatal(err)
	}
	f, err := Parse("examples/startup.conf", src, Options{})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// TestGoldenCheck pins the `sessionlab config check` output (text and JSON)
// for the example startup.conf, and `sessionlab config defaults`.
func TestGoldenCheck(t *testing.T) {
	for _, c := range []struct {
		name string
		sm   Summary
	}{
		{"check_example", exampleFile(t).Summary()},
		{"defaults", DefaultSummary()},
	} {
		var txt bytes.Buffer
		if err := c.sm.WriteText(&txt); err != nil {
			t.Fatal(err)
		}
		golden.Check(t, "testdata/"+c.name+".txt", txt.Bytes(), *update)
		js, err := c.sm.JSON()
		if err != nil {
			t.Fatal(err)
		}
		golden.Check(t, "testdata/"+c.name+".json", js, *update)
	}
}

// TestExampleFile checks what the example is meant to show.
func TestExampleFile(t *testing.T) {
	f := exampleFile(t)
	s := f.Session
	if f.Workers != 2 || !s.Enabled() || s.Engine.Value != EngineRuleTable || s.WorkerMQLength() != 4096 ||
		s.Buckets(V4Session) != 131072 || s.Memory(V4Session) != 256<<20 {
		t.Errorf("example: workers %d, session %+v", f.Workers, s)
	}
	if n, fixed := s.SessionsPerThread(f.Workers); n != 55000 || !fixed {
		t.Errorf("sessions per worker %d %v", n, fixed)
	}
	var names []string
	for _, st := range f.Stanzas {
		names = append(names, st.Name)
	}
	if got := strings.Join(names, " "); got != "unix api-trace api-segment socksvr cpu buffers dpdk plugins tcp session" {
		t.Errorf("stanzas %s", got)
	}
}

// TestJSONContract checks that every key of the JSON output is documented in
// docs/config.md, so the public contract and its documentation stay in step.
func TestJSONContract(t *testing.T) {
	doc, err := os.ReadFile("../../docs/config.md")
	if err != nil {
		t.Fatal(err)
	}
	f, err := Parse("all.conf", []byte("cpu { workers 2 } session { enable wrk-mqs-segment-size 1m segment-baseva 0x10 }"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	js, err := f.Summary().JSON()
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := json.Unmarshal(js, &v); err != nil {
		t.Fatal(err)
	}
	keys := map[string]bool{}
	var walk func(any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				keys[k] = true
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	walk(v)
	var missing []string
	for k := range keys {
		if !bytes.Contains(doc, []byte("`"+k+"`")) {
			missing = append(missing, k)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("JSON keys not documented in docs/config.md: %v", missing)
	}
}

func BenchmarkParse(b *testing.B) {
	src, err := os.ReadFile("../../examples/startup.conf")
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse("startup.conf", src, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
