package scenario

import (
	"os"
	"testing"
	"testing/fstest"
)

// BenchmarkParseDefault loads the built-in default scenario: decoding,
// validation, the startup.conf and every sweep point (what `sessionlab
// run` does once before a run).
func BenchmarkParseDefault(b *testing.B) {
	src, err := os.ReadFile("../../scenarios/default.yaml")
	if err != nil {
		b.Fatal(err)
	}
	fsys := fstest.MapFS{"data/default.pcap": {Data: []byte("x")}}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse("default.yaml", src, Options{Files: fsys}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkResolve resolves one sweep point: deep copy, values applied,
// defaults, validation, startup.conf parsed and the values set through
// config.Session.Set (once per point and run).
func BenchmarkResolve(b *testing.B) {
	src := base + "sweep:\n  axes:\n    - param: session.v4-session-table-buckets\n      values: [1024, 4096]\n    - param: traffic[0].synth.arrival.rate\n      values: [100, 200]\n"
	s, err := Parse("t.yaml", []byte(src), Options{Files: files})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if _, err := s.Resolve(i % 4); err != nil {
			b.Fatal(err)
		}
		i++
	}
}
