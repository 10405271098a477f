package cli

import (
	"fmt"
	"net/netip"
	"testing"

	"github.com/sessionlab/sessionlab/core/session"
)

// BenchmarkExec measures one command through the whole CLI path: tokenize,
// select the command, parse, run, settle, render to text. The lookup group
// compares it with the bare layer call (impl=direct), which is what the
// CLI's overhead is judged against: the command language is for people and
// CI scripts, not for the packet path.
func BenchmarkExec(b *testing.B) {
	b.Run("cmd=lookup/impl=cli", func(b *testing.B) {
		x := benchExecutor(b)
		b.ReportAllocs()
		for b.Loop() {
			r := x.Exec("session lookup tcp 10.0.0.1 80 198.51.100.4 40000")
			if !r.OK() {
				b.Fatal(r.Err)
			}
		}
	})
	b.Run("cmd=lookup/impl=direct", func(b *testing.B) {
		x := benchExecutor(b)
		lcl, rmt := netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("198.51.100.4")
		b.ReportAllocs()
		for b.Loop() {
			if r := x.Layer().Lookup(0, 0, session.ProtoTCP, lcl, rmt, 80, 40000); r.Kind != session.LookupListener {
				b.Fatal(r)
			}
		}
	})
	b.Run("cmd=rule-add-del", func(b *testing.B) {
		x := benchExecutor(b)
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			i++
			add := fmt.Sprintf("session rule add proto tcp 10.%d.%d.0/24 0 192.0.2.0/24 %d action drop", i>>8&255, i&255, i&1023)
			if r := x.Exec(add); !r.OK() {
				b.Fatal(r.Err)
			}
			if r := x.Exec("session rule del" + add[len("session rule add"):len(add)-len(" action drop")]); !r.OK() {
				b.Fatal(r.Err)
			}
		}
	})
	b.Run("cmd=show-session-verbose", func(b *testing.B) {
		x := benchExecutor(b)
		b.ReportAllocs()
		for b.Loop() {
			if r := x.Exec("show session verbose"); !r.OK() {
				b.Fatal(r.Err)
			}
		}
	})
}

func benchExecutor(b *testing.B) *Executor {
	x := newTestExecutor(b)
	for _, c := range []string{"session enable rt-backend rule-table", "app attach srv scope all",
		"app listen srv tcp 0.0.0.0:80"} {
		if r := x.Exec(c); !r.OK() {
			b.Fatal(r.Err)
		}
	}
	return x
}
