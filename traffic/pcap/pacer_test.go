package pcap_test

import (
	"bytes"
	"context"
	"math"
	"testing"
	"time"

	"github.com/sessionlab/sessionlab/traffic/packet"
	pt "github.com/sessionlab/sessionlab/traffic/packet/packettest"
	"github.com/sessionlab/sessionlab/traffic/pcap"
)

// fakeClock advances by step on every read (the cost of a clock read, so
// spinning terminates) and by the requested duration plus overshoot on
// every sleep.
type fakeClock struct {
	now       int64
	step      int64
	overshoot int64
	sleeps    int
	slept     int64
	reads     int
}

func (c *fakeClock) Now() int64 { c.now += c.step; c.reads++; return c.now }
func (c *fakeClock) Sleep(d time.Duration) {
	c.sleeps++
	c.slept += int64(d)
	c.now += int64(d) + c.overshoot
}

func TestPacerReleasesOnTime(t *testing.T) {
	c := &fakeClock{step: 20, overshoot: 300_000}
	pc := pcap.NewPacer(c)
	start := int64(5_000_000)
	var released []int64
	for _, due := range []int64{0, 10_000, 20_000, 50_000_000, 50_010_000} {
		pc.Wait(start + due)
		released = append(released, c.now)
	}
	origin := released[0]
	for i, due := range []int64{0, 10_000, 20_000, 50_000_000, 50_010_000} {
		got := released[i] - origin
		if got < due || got > due+100 {
			t.Errorf("packet %d released at +%d, due +%d", i, got, due)
		}
	}
	if c.sleeps == 0 {
		t.Error("a 50 ms gap was spun, not slept")
	}
	// The 300 µs overshoot widens the spin window to 600 µs, so after the
	// first sleep the pacer stops sleeping within 600 µs of a deadline.
	if st := pc.Stats(); st.Late != 0 || st.Packets != 5 {
		t.Errorf("stats %+v", st)
	}
}

// TestPacerCatchesUpAfterAStall: when the clock jumps past several due
// times, those packets go out at once, counted late, and pacing resumes.
func TestPacerCatchesUpAfterAStall(t *testing.T) {
	c := &fakeClock{step: 10}
	pc := pcap.NewPacer(c)
	pc.Wait(0)
	origin := c.now
	c.now += 1_000_000 // a 1 ms stall
	reads := c.reads
	for i := int64(1); i <= 50; i++ {
		pc.Wait(i * 10_000) // 100k pps
	}
	// Packets 1-99 µs were all due during the stall: released with one clock
	// read each, no sleeping, no spinning.
	if c.sleeps != 0 || c.reads-reads != 50 {
		t.Errorf("catching up: %d sleeps, %d clock reads for 50 packets", c.sleeps, c.reads-reads)
	}
	st := pc.Stats()
	if st.Late != 50 || st.MaxLag < 990*time.Microsecond {
		t.Errorf("stats %+v, want 50 late, max lag about 1 ms", st)
	}
	// After the backlog, the next packet waits for its time again.
	pc.Wait(2_000_000)
	if got := c.now - origin; got < 2_000_000 {
		t.Errorf("after catching up, released at +%d, due +2000000", got)
	}
}

func TestReplayReportWithFakeClock(t *testing.T) {
	c := &fakeClock{step: 5, overshoot: 50_000}
	src := newSource(200)
	var n int
	rep, err := pcap.Replay(context.Background(), src, pcap.Timing{Mode: pcap.PPS, PPS: 1000}, c, func(p *packet.Packet) error {
		n++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n != 200 || rep.Packets != 200 || rep.Passes != 1 {
		t.Fatalf("report %+v, callback saw %d", rep, n)
	}
	if rep.RequestedPPS != 1000 || math.Abs(rep.AchievedPPS-1000) > 0.5 || math.Abs(rep.RateError) > 5e-4 {
		t.Errorf("requested %v achieved %v (error %v)", rep.RequestedPPS, rep.AchievedPPS, rep.RateError)
	}
	if rep.ScheduledSec != 0.199 {
		t.Errorf("scheduled %v s, want 0.199", rep.ScheduledSec)
	}
	if rep.Timing != "pps 1000" {
		t.Errorf("timing %q", rep.Timing)
	}
}

func TestReplayStops(t *testing.T) {
	c := &fakeClock{step: 5}
	n := 0
	_, err := pcap.Replay(context.Background(), newSource(10), pcap.Timing{Mode: pcap.TopSpeed}, c, func(*packet.Packet) error {
		if n++; n == 3 {
			return errStop
		}
		return nil
	})
	if err != errStop || n != 3 {
		t.Errorf("callback error: %v after %d", err, n)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := pcap.Replay(ctx, newSource(10), pcap.Timing{}, c, func(*packet.Packet) error { return nil }); err != context.Canceled {
		t.Errorf("cancelled context: %v", err)
	}
	if _, err := pcap.Replay(context.Background(), &sliceSource{}, pcap.Timing{}, c, func(*packet.Packet) error { return nil }); err == nil {
		t.Error("empty source replayed without error")
	}
}

// TestReplayAchievesRequestedRate is the acceptance test: replay in
// pps mode at 100k packets/s on the real clock must achieve within 5% of
// the requested rate. A loaded machine can preempt the pacer for longer
// than the whole run, so the run is retried up to five times; the bound is
// never loosened.
func TestReplayAchievesRequestedRate(t *testing.T) {
	const (
		rate    = 100_000.0
		packets = 30_000 // 0.3 s
		bound   = 0.05
		tries   = 5
	)
	// The real pipeline: a pcap file (in memory) read and decoded by a
	// Reader, scheduled, paced.
	var file bytes.Buffer
	w, err := pcap.NewWriter(&file, pcap.WriterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	frames := pt.Mix(1000, 40)
	for i := range packets {
		if err := w.WriteFrame(int64(i)*1000, 0, frames[i%len(frames)]); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	var last pcap.Report
	for try := 1; try <= tries; try++ {
		src, err := pcap.NewReader(bytes.NewReader(file.Bytes()), pcap.Options{})
		if err != nil {
			t.Fatal(err)
		}
		rep, err := pcap.Replay(context.Background(), src, pcap.Timing{Mode: pcap.PPS, PPS: rate}, nil, func(*packet.Packet) error { return nil })
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("try %d: requested %.0f pps, achieved %.0f pps (%+.2f%%), %d late, max lag %.3f ms",
			try, rep.RequestedPPS, rep.AchievedPPS, 100*rep.RateError, rep.Late, rep.MaxLagSec*1e3)
		if rep.RequestedPPS < rate*0.9999 || rep.RequestedPPS > rate*1.0001 {
			t.Fatalf("requested rate %v, want %v", rep.RequestedPPS, rate)
		}
		last = rep
		if math.Abs(rep.RateError) <= bound {
			return
		}
	}
	t.Errorf("after %d tries the achieved rate is %.0f pps, more than %.0f%% from %.0f", tries, last.AchievedPPS, bound*100, rate)
}
