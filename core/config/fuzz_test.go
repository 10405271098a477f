package config

import (
	"bytes"
	"errors"
	"testing"
)

// FuzzParse feeds arbitrary bytes to Parse. It must never panic; every error
// must be an *Error that points into the input; and every accepted
// configuration must render (Stanza, Summary) into text that parses back to
// the same values.
func FuzzParse(f *testing.F) {
	// Seeds: testdata/fuzz/FuzzParse (the example file, the cases).
	f.Fuzz(func(t *testing.T, src []byte) {
		lines := bytes.Count(src, []byte("\n")) + 1
		for _, opt := range []Options{{}, {AllowSmallQueues: true}} {
			file, err := Parse("fuzz.conf", src, opt)
			if err != nil {
				var e *Error
				if !errors.As(err, &e) {
					t.Fatalf("error %v is %T, not *Error", err, err)
				}
				if e.File != "fuzz.conf" || e.Line < 1 || e.Line > lines || e.Col < 1 || e.Msg == "" {
					t.Fatalf("error without a valid position: %#v", e)
				}
				continue
			}
			for _, w := range file.Warnings {
				if w.File != "fuzz.conf" || !w.Pos.IsValid() || w.Pos.Line > lines || w.Msg == "" {
					t.Fatalf("warning without a valid position: %#v", w)
				}
			}
			text := file.Session.Stanza()
			again, err := Parse("stanza", []byte(text), opt)
			if err != nil {
				t.Fatalf("Stanza() output does not parse: %v\n%s", err, text)
			}
			if d := diffValues(file.Session, again.Session); d != "" {
				t.Fatalf("Stanza() round trip differs: %s\n%s", d, text)
			}
			sm := file.Summary()
			if _, err := sm.JSON(); err != nil {
				t.Fatalf("JSON: %v", err)
			}
			if err := sm.WriteText(&bytes.Buffer{}); err != nil {
				t.Fatalf("WriteText: %v", err)
			}
		}
	})
}
