package config

import (
	"fmt"
	"math/rand"
	"strings"
	"testing"
)

// randomSetting returns a random keyword and a value it accepts.
func randomSetting(r *rand.Rand) (string, string) {
	count := func() string {
		switch r.Intn(4) {
		case 0:
			return fmt.Sprint(r.Int31())
		case 1:
			return fmt.Sprint(-r.Int31())
		default:
			return fmt.Sprint(r.Intn(300000))
		}
	}
	size := func(limit uint64) string {
		suffix := []string{"", "k", "K", "m", "M", "g", "G"}[r.Intn(7)]
		shift := map[string]uint{"": 0, "k": 10, "K": 10, "m": 20, "M": 20, "g": 30, "G": 30}[suffix]
		return fmt.Sprintf("%d%s", r.Uint64()%(limit>>shift), suffix)
	}
	k := keywords[r.Intn(len(keywords))]
	switch k.arg {
	case argInt:
		return k.words[0], count()
	case argMemory:
		if strings.HasSuffix(k.name, "-table-memory") {
			return k.name, size(MaxTableMemory)
		}
		return k.name, size(1 << 40)
	case argHex:
		return k.words[0], fmt.Sprintf("0x%x", r.Uint64())
	}
	return k.words[0], strings.TrimSpace(strings.TrimPrefix(k.name, k.words[0]))
}

// TestRandomConfigurations checks, on random session stanzas, that Set
// applies a keyword exactly as the file does and that Stanza round-trips.
func TestRandomConfigurations(t *testing.T) {
	r := rand.New(rand.NewSource(3))
	for i := 0; i < 2000; i++ {
		opt := Options{AllowSmallQueues: r.Intn(2) == 0}
		viaSet := Default()
		viaSet.Options = opt
		var body []string
		for j := r.Intn(8); j >= 0; j-- {
			kw, val := randomSetting(r)
			if kw == "wrk-mq-length" && val == "0" && opt.AllowSmallQueues {
				continue // an error with small queues allowed; covered elsewhere
			}
			if err := viaSet.Set(kw, val); err != nil {
				t.Fatalf("Set(%q, %q): %v", kw, val, err)
			}
			body = append(body, kw+" "+val)
		}
		src := "session {\n  " + strings.Join(body, "\n  ") + "\n}\n"
		f, err := Parse("r.conf", []byte(src), opt)
		if err != nil {
			t.Fatalf("%s: %v", src, err)
		}
		if d := diffValues(f.Session, viaSet); d != "" || f.Session.SegmentBaseva.Value != viaSet.SegmentBaseva.Value {
			t.Fatalf("Set and the file disagree on %s\n%s", d, src)
		}
		again, err := Parse("stanza", []byte(f.Session.Stanza()), opt)
		if err != nil {
			t.Fatalf("re-parsing the stanza of\n%s: %v\n%s", src, err, f.Session.Stanza())
		}
		if d := diffValues(f.Session, again.Session); d != "" {
			t.Fatalf("round trip differs on %s\n%s\n%s", d, src, f.Session.Stanza())
		}
	}
}
