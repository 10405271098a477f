package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// FuzzLine feeds random command lines, and sequences of them (the input is
// split at newlines, at most 64 commands), to a fresh executor: no input
// may panic, every failure must be a one-line error with a name, and both
// renderings must succeed (the JSON one must be valid JSON).
func FuzzLine(f *testing.F) {
	scripts, _ := filepath.Glob(filepath.Join(scriptDir, "*.cli"))
	for _, s := range scripts {
		if b, err := os.ReadFile(s); err == nil {
			f.Add(string(b))
		}
	}
	for _, c := range Commands() {
		f.Add(c)
	}
	opts := testOptions(f)
	f.Fuzz(func(t *testing.T, in string) {
		// A hang is a failure too: report the input.
		watchdog := time.AfterFunc(20*time.Second, func() { panic(fmt.Sprintf("FuzzLine: no progress in 20s on %q", in)) })
		defer watchdog.Stop()
		x, err := New(opts)
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(in, "\n")
		if len(lines) > 64 {
			lines = lines[:64]
		}
		for i, l := range lines {
			r := x.Exec(l)
			if r.Err != nil {
				if r.Err.Name == "" || r.Err.Msg == "" || strings.ContainsAny(r.Err.Error(), "\n") {
					t.Fatalf("line %d %q: bad error %+v", i, l, r.Err)
				}
			}
			var b bytes.Buffer
			if err := r.WriteText(&b); err != nil {
				t.Fatal(err)
			}
			b.Reset()
			if err := r.WriteJSON(&b, i+1); err != nil {
				t.Fatalf("line %d %q: %v", i, l, err)
			}
			if !json.Valid(b.Bytes()) {
				t.Fatalf("line %d %q: invalid JSON %s", i, l, b.String())
			}
		}
	})
}
