//go:build linux

package sim

import (
	"testing"

	"github.com/sessionlab/sessionlab/traffic/veth"
)

// TestVethLive runs the built-in veth-live scenario (shortened) when the
// test may create network namespaces: real frames through a veth pair,
// received with AF_PACKET, into the UDP sink.
func TestVethLive(t *testing.T) {
	if testing.Short() {
		t.Skip("creates network namespaces and a veth pair")
	}
	if err := veth.CheckPrivileges(); err != nil {
		t.Skipf("veth-live needs root (CAP_NET_ADMIN, CAP_SYS_ADMIN, CAP_NET_RAW): %v", err)
	}
	d := run(t, load(t, "veth-live", "repetitions=1", "duration=300ms", "warmup=100ms", "sweep.axes[0].values=[64]"))
	// At 100k frames/s for 300 ms; far fewer arrive under the race
	// detector, which slows the sender and the receiver alike.
	if got := metric(t, d, 0, "received_packets"); got < 1000 {
		t.Errorf("received %v frames in 300 ms at 100k frames/s", got)
	}
	if got := metric(t, d, 0, "app_bytes"); got == 0 {
		t.Error("the sink read nothing")
	}
	if got := metric(t, d, 0, "sessions_leaked"); got != 0 {
		t.Errorf("%v sessions leaked", got)
	}
}
