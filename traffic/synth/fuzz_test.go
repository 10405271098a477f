package synth_test

import (
	"io"
	"testing"

	"github.com/sessionlab/sessionlab/traffic/packet"
	"github.com/sessionlab/sessionlab/traffic/synth"
)

// FuzzGenerator builds options from fuzzed numbers. Invalid options must be
// rejected by New with an error; valid ones must generate (a bounded number
// of) packets without panicking, with non-decreasing timestamps, every frame
// decoding cleanly.
func FuzzGenerator(f *testing.F) {
	f.Add(uint64(1), 10, 0.5, 0.5, 0.1, 0.1, 0.2, 1460, uint8(0), uint8(1), 1.0, 1000.0, 500.0)
	f.Add(uint64(2), 50, 0.0, 1.0, 0.5, 0.5, 1.0, 1, uint8(2), uint8(2), 0.0, 1e7, 0.0)
	f.Add(uint64(3), 5, 1.0, 0.0, 0.0, 0.0, 0.0, 9000, uint8(1), uint8(3), 3.0, 1.0, 1e5)
	f.Fuzz(func(t *testing.T, seed uint64, flows int, udp, v6, loss, reorder, rst float64, mss int, arrival, dist uint8, zipf, rate, flood float64) {
		opt := synth.Options{
			Seed: seed, Flows: flows % 200, UDPFraction: udp, IPv6Fraction: v6, Loss: loss, Reorder: reorder, RSTFraction: rst, MSS: mss,
			Arrival:    synth.Arrival{Process: []string{"poisson", "constant", "onoff", "bogus"}[arrival%4], Rate: rate},
			Size:       synth.SizeDist{Dist: []string{"fixed", "exponential", "pareto", "none", ""}[dist%5], Mean: 3000, Max: 1e5},
			Clients:    synth.Pool{Count: 50, Zipf: zipf},
			SYNFlood:   synth.Flood{Rate: flood},
			MaxPackets: 5000,
		}
		g, err := synth.New(opt)
		if err != nil {
			if opt.Validate() == nil {
				t.Fatalf("New failed on options Validate accepts: %v", err)
			}
			return
		}
		var p packet.Packet
		var last int64
		for {
			err := g.Next(&p)
			if err == io.EOF {
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if p.Timestamp < last {
				t.Fatalf("time went back: %d after %d", p.Timestamp, last)
			}
			last = p.Timestamp
			var q packet.Packet
			if err := packet.Decode(p.Data, packet.LinkEthernet, &q); err != nil || !q.HasL4() {
				t.Fatalf("generated frame does not decode: %v", err)
			}
		}
	})
}
