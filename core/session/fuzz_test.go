package session

import (
	"fmt"
	"net/netip"
	"testing"
	"time"

	"github.com/sessionlab/sessionlab/core/rules"
)

// FuzzParseProto: ParseProto never panics and accepts exactly the names
// String prints.
func FuzzParseProto(f *testing.F) {
	for _, s := range []string{"tcp", "UDP", "ct", "quic", "", "tcp4", "\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParseProto(s)
		if err != nil {
			return
		}
		if q, err := ParseProto(p.String()); err != nil || q != p {
			t.Fatalf("%q parsed as %v, which does not round-trip", s, p)
		}
	})
}

// FuzzOps drives a layer with a loopback test transport through an
// arbitrary sequence of API calls, transport events and polls decoded from
// the input: nothing may panic, and once every application has detached
// and the network has settled nothing may leak.
func FuzzOps(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13})
	f.Add([]byte{0, 0, 2, 2, 2, 9, 9, 4, 9, 9, 6, 9})
	f.Add([]byte{13, 0, 1, 2, 12, 3, 9, 5, 9, 10, 9})
	f.Fuzz(fuzzOps)
}

func fuzzOps(t *testing.T, ops []byte) {
	wd := time.AfterFunc(10*time.Second, func() { panic(fmt.Sprintf("watchdog: input %q", ops)) })
	defer wd.Stop()
	{
		if len(ops) > 400 {
			ops = ops[:400]
		}
		cfg := smallConfig()
		cfg.Workers = 1
		cfg.WrkMqLength = 4
		l, err := New(Options{Config: cfg})
		if err != nil {
			t.Fatal(err)
		}
		defer l.Release()
		if err := l.Enable(EngineRuleTable); err != nil {
			t.Fatal(err)
		}
		tp := &TestTransport{L: l, Auto: true, TimeWait: true}
		_ = l.RegisterTransport(ProtoTCP, tp)
		sw, _ := l.AddInterface("loop0")
		_ = l.AddInterfaceAddress(sw, pfx("10.0.0.1/24"))
		var apps []uint32
		var handles []Handle
		next := func(i *int) byte {
			if *i >= len(ops) {
				return 0
			}
			b := ops[*i]
			*i++
			return b
		}
		pickApp := func(b byte) (uint32, bool) {
			if len(apps) == 0 {
				return 0, false
			}
			return apps[int(b)%len(apps)], true
		}
		pickH := func(b byte) Handle {
			if len(handles) == 0 {
				return InvalidHandle
			}
			return handles[int(b)%len(handles)]
		}
		collect := func() {
			for _, a := range apps {
				q, err := l.Queue(a, 0)
				if err != nil {
					continue
				}
				for {
					ev, ok := q.Pop()
					if !ok {
						break
					}
					if ev.Handle != InvalidHandle && len(handles) < 64 {
						handles = append(handles, ev.Handle)
					}
					if ev.Type == EventAccepted {
						_ = l.AcceptReply(a, ev.Handle, ErrNone)
					}
				}
			}
		}
		for i := 0; i < len(ops); {
			op := next(&i) % 14
			arg := next(&i)
			switch op {
			case 0:
				flags := AppFlags(arg) & (AppUseGlobalScope | AppUseLocalScope | AppIsProxy)
				if a, err := l.Attach(AttachArgs{Name: fmt.Sprint("app", len(apps)), Flags: flags, ProxyTransports: 1,
					EventQueueSize: uint32(arg%8) + 1}); err == nil {
					apps = append(apps, a)
				}
			case 1:
				if a, ok := pickApp(arg); ok {
					addr := []string{"0.0.0.0", "10.0.0.1", "127.0.0.1", "10.0.0.9"}[arg%4]
					if h, err := l.Listen(ListenArgs{App: a, Proto: ProtoTCP, Addr: ip(addr), Port: uint16(arg % 3), FibIndex: InvalidIndex}); err == nil {
						handles = append(handles, h)
					}
				}
			case 2:
				if a, ok := pickApp(arg); ok {
					dst := []string{"10.0.0.1", "127.0.0.1", "10.0.0.7", "0.0.0.0"}[arg%4]
					_, _ = l.Connect(ConnectArgs{App: a, Proto: ProtoTCP, Remote: netip.AddrPortFrom(ip(dst), uint16(arg%3)), FibIndex: InvalidIndex})
				}
			case 3:
				if a, ok := pickApp(arg); ok {
					_ = l.Close(a, pickH(next(&i)))
				}
			case 4:
				if a, ok := pickApp(arg); ok {
					_ = l.Reset(a, pickH(next(&i)))
				}
			case 5:
				if a, ok := pickApp(arg); ok {
					_ = l.Shutdown(a, pickH(next(&i)))
				}
			case 6:
				if a, ok := pickApp(arg); ok {
					_, _ = l.Write(a, pickH(next(&i)), []byte("hello"))
				}
			case 7:
				if a, ok := pickApp(arg); ok {
					buf := make([]byte, 8)
					_, _ = l.Read(a, pickH(next(&i)), buf)
				}
			case 8:
				if a, ok := pickApp(arg); ok {
					_ = l.Unlisten(a, pickH(next(&i)))
				}
			case 9:
				tp.Step()
				l.PollAll(0, 1)
				collect()
			case 10:
				if a, ok := pickApp(arg); ok {
					_ = l.Detach(a)
				}
			case 11:
				tp.ExpireTimeWait()
			case 12:
				r := rules.Rule{Lcl: pfx("0.0.0.0/0"), Rmt: pfx("10.0.0.0/24"), RmtPort: uint16(arg % 3), Proto: rules.ProtoTCP,
					Action: []rules.Action{rules.ActionDrop, rules.ActionAllow, 0, 1}[arg%4], Scope: rules.Scope(arg%3 + 1)}
				_ = l.RuleAddDel(RuleArgs{Rule: r, IsAdd: arg&0x80 == 0, FibIndex: InvalidIndex})
			case 13:
				// The network aborts a connection (transport events for a
				// connection go through its transport, which keeps both
				// ends consistent).
				if n := tp.NumConns(); n > 0 {
					tp.Abort(uint32(int(arg) % n))
				}
			}
		}
		// Quiesce: every app detaches, the network settles.
		for _, a := range apps {
			_ = l.Detach(a)
		}
		for range 5 {
			tp.Settle(0, 50)
			tp.ExpireTimeWait()
		}
		if k := l.LeakCheck(); !k.Empty() {
			for _, h := range k.Handles {
				si, _ := l.Session(h)
				t.Logf("leaked %v: %+v", h, si)
			}
			t.Fatalf("leaks: %+v", k)
		}
	}
}
