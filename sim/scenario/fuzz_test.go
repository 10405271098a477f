package scenario

import (
	"testing"
	"testing/fstest"
)

// FuzzDecode feeds arbitrary bytes to the whole loading path (decode,
// defaults, validation, sweep expansion and resolution of every point):
// it must return a scenario or an error, never panic, and every error must
// name the file.
func FuzzDecode(f *testing.F) {
	f.Add([]byte(base))
	f.Add([]byte("name: x\nsweep: {axes: [{param: session.wrk-mq-length, range: {from: 1, to: 3, step: 1}}]}\n"))
	f.Add([]byte("a: &a [*a]\n"))
	fsys := fstest.MapFS{"x.pcap": {Data: []byte("capture")}, "c.conf": {Data: []byte("session { enable }")}}
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Parse("fuzz.yaml", data, Options{Files: fsys})
		if err != nil {
			if l, ok := err.(ErrorList); ok {
				for _, e := range l {
					if e.File == "" {
						t.Fatalf("error without a file: %v", e)
					}
				}
			}
			return
		}
		for i := range min(s.Points(), 4) {
			if _, err := s.Resolve(i); err != nil {
				t.Fatalf("point %d of a valid scenario fails: %v", i, err)
			}
		}
	})
}
