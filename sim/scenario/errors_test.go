package scenario

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestErrorsGolden decodes and validates every file in testdata/errors and
// compares the complete error text (positions included) with its .golden
// file. Run with -update to rewrite the golden files after checking the
// new texts by eye.
func TestErrorsGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/errors/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no test files: %v", err)
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".yaml")
		t.Run(name, func(t *testing.T) {
			_, err := Load(f, Options{})
			if err == nil {
				t.Fatal("no error")
			}
			var l ErrorList
			if !errors.As(err, &l) {
				t.Fatalf("error is %T, not an ErrorList: %v", err, err)
			}
			for _, e := range l {
				if e.File != f && e.File != "testdata/errors/ok.conf" {
					t.Errorf("error names file %q, want %q", e.File, f)
				}
			}
			var b strings.Builder
			for _, e := range l {
				b.WriteString(e.Error())
				b.WriteByte('\n')
			}
			got := b.String()
			golden := strings.TrimSuffix(f, ".yaml") + ".golden"
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if got != string(want) {
				t.Errorf("errors differ from %s\ngot:\n%s\nwant:\n%s", golden, got, want)
			}
		})
	}
}

func TestEditDistance(t *testing.T) {
	for _, c := range []struct {
		a, b string
		d    int
	}{
		{"", "", 0}, {"name", "name", 0}, {"nmae", "name", 1}, {"nam", "name", 1},
		{"names", "name", 1}, {"rat", "rate", 1}, {"kitten", "sitting", 3}, {"abc", "", 3},
	} {
		if got := editDistance(c.a, c.b); got != c.d {
			t.Errorf("editDistance(%q, %q) = %d, want %d", c.a, c.b, got, c.d)
		}
		if got := slowEditDistance(c.a, c.b); got != c.d {
			t.Errorf("slowEditDistance(%q, %q) = %d, want %d", c.a, c.b, got, c.d)
		}
	}
	if s := suggest("descripton", []string{"name", "description"}); s != ` (did you mean "description"?)` {
		t.Errorf("suggest = %q", s)
	}
	if s := suggest("zzz", []string{"name", "mode"}); s != "" {
		t.Errorf("suggest for a non-typo = %q", s)
	}
}
