package inlinetest

import "testing"

func TestPattern(t *testing.T) {
	out := []byte(`./a.go:3:6: can inline small
./a.go:9:6: can inline (*Fifo).index
./b.go:2:6: can inline Handle.Thread
./r.go:14:6: can inline (*ring[github.com/x/y/session.ctrlEvent]).push
./r.go:38:6: can inline (*ring[github.com/x/y/session.pendingEvent]).pop
../bihash/lookup.go:16:6: can inline bihash.(*Table[go.shape.[2]uint64]).bucketAt
./t.go:16:6: can inline (*Table[go.shape.[2]uint64]).bucketAt
./c.go:5:6: can inline done.func1
./d.go:5:6: inlining call to notHere
`)
	for _, tc := range []struct {
		fn   string
		want bool
	}{
		{"small", true},
		{"smal", false},
		{"(*Fifo).index", true},
		{"Fifo.index", false},
		{"Handle.Thread", true},
		{"Thread", false},
		{"(*ring[...session.ctrlEvent]).push", true},
		{"(*ring[...session.ctrlEvent]).pop", false},
		{"(*ring[...]).pop", true},
		{"(*Table[go.shape.[2]uint64]).bucketAt", true},
		{"(*Table[go.shape.[3]uint64]).bucketAt", false},
		{"done", false},
		{"done.func1", true},
		{"notHere", false},
	} {
		if got := pattern(tc.fn).Match(out); got != tc.want {
			t.Errorf("pattern(%q) matches: %v, want %v", tc.fn, got, tc.want)
		}
	}
}

// TestCheck builds testdata/small, whose two functions inline.
func TestCheck(t *testing.T) {
	t.Chdir("testdata/small")
	Check(t, "twice", "(*box).get")
}
