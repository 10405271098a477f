package ruleline

import (
	"strings"
	"testing"
)

// FuzzParse: any line parses or fails with a positioned error, never a
// panic; a rule that parses has a protocol and, when added, prefixes of
// one family.
func FuzzParse(f *testing.F) {
	f.Add("session rule add proto tcp 0.0.0.0/0 0 192.168.66.0/24 0 action 4294967294 tag block-66")
	f.Add("session rule add appns blue proto udp ::/0 0 fd00::/8 53 action 3 scope local")
	f.Fuzz(func(t *testing.T, line string) {
		l, err := Parse(line)
		if err != nil {
			e, ok := err.(*Error)
			if !ok || e.Col < 1 || e.Col > len(line)+1 || e.Msg == "" {
				t.Fatalf("%q: bad error %#v", line, err)
			}
			return
		}
		if !l.Rule.Proto.Valid() {
			t.Fatalf("%q: parsed with protocol %v", line, l.Rule.Proto)
		}
		if l.Add && (!l.Rule.Lcl.IsValid() || l.Rule.Lcl.Addr().Is4() != l.Rule.Rmt.Addr().Is4()) {
			t.Fatalf("%q: parsed prefixes %v %v", line, l.Rule.Lcl, l.Rule.Rmt)
		}
		if !strings.HasPrefix(strings.TrimSpace(line), "session") {
			t.Fatalf("%q: parsed without the command words", line)
		}
	})
}
