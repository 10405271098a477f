package session

import "testing"

// TestSessionBasic reproduces session_test.c "basic" (session_test_basic):
// a builtin app with global and local scope binds 0.0.0.0 and ::, a second
// bind of each fails, both unbinds work.
func TestSessionBasic(t *testing.T) {
	l, _, _ := newTestLayer(t, smallConfig(), EngineRuleTable)
	server := mustAttach(t, l, AttachArgs{Name: "session_test", Flags: AppIsBuiltin | AppUseGlobalScope | AppUseLocalScope})

	b4 := ListenArgs{App: server, Proto: ProtoTCP, Addr: ip("0.0.0.0"), FibIndex: InvalidIndex}
	h4, err := l.Listen(b4)
	if err != nil {
		t.Fatalf("server bind4 should work: %v", err)
	}
	if _, err := l.Listen(b4); err == nil {
		t.Fatal("double server bind4 should not work")
	} else if !errIs(err, ErrAlreadyListening) {
		t.Fatalf("double bind4: got %v, want ALREADY_LISTENING", err)
	}
	b6 := ListenArgs{App: server, Proto: ProtoTCP, Addr: ip("::"), FibIndex: InvalidIndex}
	h6, err := l.Listen(b6)
	if err != nil {
		t.Fatalf("server bind6 should work: %v", err)
	}
	if _, err := l.Listen(b6); err == nil {
		t.Fatal("double server bind6 should not work")
	}
	if err := l.Unlisten(server, h4); err != nil {
		t.Fatalf("unbind4 should work: %v", err)
	}
	if err := l.Unlisten(server, h6); err != nil {
		t.Fatalf("unbind6 should work: %v", err)
	}
	if err := l.Detach(server); err != nil {
		t.Fatal(err)
	}
	if k := l.LeakCheck(); !k.Empty() {
		t.Fatalf("leak after detach: %+v", k)
	}
}
