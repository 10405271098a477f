package fifo

import "testing"

func TestSetEventOncePerBurst(t *testing.T) {
	f := mustNew(t, 64)
	if f.HasEvent() {
		t.Fatal("new fifo has an event")
	}
	if !f.SetEvent() {
		t.Fatal("first SetEvent should report the 0→1 transition")
	}
	for range 2 {
		if f.SetEvent() {
			t.Fatal("SetEvent reported a transition while the event was pending")
		}
	}
	f.UnsetEvent()
	if f.HasEvent() || !f.SetEvent() {
		t.Fatal("SetEvent after UnsetEvent should transition again")
	}
}

func TestDeqNotifications(t *testing.T) {
	f := mustNew(t, 100)
	buf := make([]byte, 100)
	if f.NeedsDeqNotif(10) {
		t.Fatal("no request, no notification")
	}

	// WANT_DEQ_NOTIF with threshold: free space must reach the threshold.
	f.AddWantDeqNotif(WantDeqNotif)
	f.SetDeqThreshold(50)
	mustEnq(t, f, make([]byte, 100), 100)
	f.Dequeue(buf[:30])
	if f.NeedsDeqNotif(30) {
		t.Fatal("30 free < threshold 50")
	}
	f.Dequeue(buf[:20])
	if !f.NeedsDeqNotif(20) {
		t.Fatal("50 free >= threshold 50")
	}
	f.ClearDeqNotif() // one-shot
	if f.WantDeqNotif()&WantDeqNotif != 0 || f.NeedsDeqNotif(0) || f.HasDeqNotif() {
		t.Fatalf("after clear: want %d has %v", f.WantDeqNotif(), f.HasDeqNotif())
	}
	// Threshold 0 = every dequeue.
	f.SetDeqThreshold(0)
	f.AddWantDeqNotif(WantDeqNotif)
	if !f.NeedsDeqNotif(0) {
		t.Fatal("threshold 0 notifies on every dequeue")
	}
	// With WANT_DEQ_NOTIF set the other flags are not consulted (VPP order).
	f.AddWantDeqNotif(WantDeqNotifIfEmpty)
	f.SetDeqThreshold(1000)
	f.DropAll()
	if f.NeedsDeqNotif(50) {
		t.Fatal("WANT_DEQ_NOTIF below threshold answers false even though IF_EMPTY holds")
	}
	f.DelWantDeqNotif(WantDeqNotif | WantDeqNotifIfEmpty)

	// IF_FULL: only on the transition out of full, once until re-armed.
	f.AddWantDeqNotif(WantDeqNotifIfFull)
	mustEnq(t, f, make([]byte, 100), 100)
	if f.NeedsDeqNotif(0) {
		t.Fatal("still full")
	}
	f.Dequeue(buf[:10])
	if !f.NeedsDeqNotif(10) {
		t.Fatal("was full before the last dequeue of 10, now 90")
	}
	f.ClearDeqNotif()
	if !f.HasDeqNotif() {
		t.Fatal("IF_FULL alone: clear sets has_deq_ntf")
	}
	mustEnq(t, f, make([]byte, 10), 10)
	f.Dequeue(buf[:10])
	if f.NeedsDeqNotif(10) {
		t.Fatal("has_deq_ntf suppresses until reset")
	}
	f.ResetHasDeqNotif()
	f.Dequeue(buf[:10])
	if f.NeedsDeqNotif(10) {
		t.Fatal("80 + 10 < 100: was not full before this dequeue")
	}
	mustEnq(t, f, make([]byte, 20), 20)
	f.Dequeue(buf[:1])
	if !f.NeedsDeqNotif(1) {
		t.Fatal("99 + 1 >= 100: transition out of full")
	}
	f.DelWantDeqNotif(WantDeqNotifIfFull)

	// IF_EMPTY: when empty and not yet notified.
	f.ResetHasDeqNotif()
	f.AddWantDeqNotif(WantDeqNotifIfEmpty)
	if f.NeedsDeqNotif(1) {
		t.Fatal("not empty yet")
	}
	f.DropAll()
	if !f.NeedsDeqNotif(99) {
		t.Fatal("empty: notify")
	}
	// Sending it sets has_deq_ntf (spec §7.4): IF_EMPTY stays quiet on an
	// empty fifo until the producer re-arms it.
	f.ClearDeqNotif()
	if !f.HasDeqNotif() || f.NeedsDeqNotif(99) {
		t.Fatal("IF_EMPTY: has_deq_ntf not set after the notification, or it notifies again")
	}
	f.ResetHasDeqNotif()
	if !f.NeedsDeqNotif(99) {
		t.Fatal("IF_EMPTY re-armed: notify")
	}
	// Every combination with IF_FULL or IF_EMPTY sets it; a later plain
	// WantDeqNotif notice, with neither requested any more, clears it: VPP
	// assigns the flag (has = want & (IF_FULL|IF_EMPTY)), it does not OR it.
	for _, want := range []DeqNotif{WantDeqNotifIfFull, WantDeqNotifIfEmpty,
		WantDeqNotifIfFull | WantDeqNotifIfEmpty, WantDeqNotif | WantDeqNotifIfFull} {
		g := mustNew(t, 64)
		g.AddWantDeqNotif(want)
		g.ClearDeqNotif()
		if !g.HasDeqNotif() {
			t.Fatalf("want %d: has_deq_ntf not set by the notification", want)
		}
		g.DelWantDeqNotif(want)
		g.AddWantDeqNotif(WantDeqNotif)
		g.ClearDeqNotif()
		if g.HasDeqNotif() {
			t.Fatalf("want %d: has_deq_ntf still set after a plain notice", want)
		}
	}
}

func TestSubscribers(t *testing.T) {
	f := mustNew(t, 64)
	for i := range 9 {
		f.AddSubscriber(uint8(i + 1))
	}
	got := f.Subscribers(nil)
	if len(got) != MaxSubscribers {
		t.Fatalf("subscribers %v, want %d (extra ones ignored)", got, MaxSubscribers)
	}
	f.DelSubscriber(2)
	got = f.Subscribers(nil)
	want := []uint8{1, 7, 3, 4, 5, 6}
	if string(got) != string(want) {
		t.Fatalf("after delete: %v, want %v (last moved into the hole)", got, want)
	}
	f.DelSubscriber(42)
	if len(f.Subscribers(nil)) != 6 {
		t.Fatal("deleting an unknown subscriber changed the list")
	}
}
