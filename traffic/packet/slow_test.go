package packet_test

import (
	"errors"
	"testing"

	"github.com/sessionlab/sessionlab/traffic/packet"
	pt "github.com/sessionlab/sessionlab/traffic/packet/packettest"
)

// The slow reference is packettest.Reference: gopacket.NewPacket over the
// same bytes, its layers copied field by field into a Packet. These tests
// check the hand-rolled decoder against it.

func checkAgainstReference(t *testing.T, name string, frame []byte, link packet.LinkType) {
	t.Helper()
	var got packet.Packet
	err := packet.Decode(frame, link, &got)
	want, refErr := pt.Reference(frame, link)
	if errors.Is(refErr, pt.ErrNotComparable) {
		return
	}
	if (err != nil) != (refErr != nil) {
		t.Errorf("%s: Decode error %v, gopacket error %v", name, err, refErr)
		return
	}
	if err != nil {
		return
	}
	for _, d := range pt.Diff(&got, &want) {
		t.Errorf("%s: %s", name, d)
	}
}

func TestDecodeMatchesGopacketOnMix(t *testing.T) {
	for i, f := range pt.Mix(3000, 7) {
		checkAgainstReference(t, "mix frame "+itoa(i), f, packet.LinkEthernet)
	}
}

func TestDecodeMatchesGopacketOnEdgeCases(t *testing.T) {
	for _, c := range edgeCases() {
		checkAgainstReference(t, c.name, c.frame, c.link)
	}
}

// TestDecodeMatchesGopacketOnTruncations compares every cut of the
// truncation frames: both decoders must agree on whether the cut is an error
// and, where it is not, on every field.
func TestDecodeMatchesGopacketOnTruncations(t *testing.T) {
	for _, f := range truncationFrames(pt.Payload(10)) {
		for n := 0; n <= len(f.frame); n++ {
			checkAgainstReference(t, f.name+" cut at "+itoa(n), f.frame[:n], f.link)
		}
	}
}

func itoa(i int) string {
	if i == 0 {
		return "0"
	}
	var b [20]byte
	n := len(b)
	for ; i > 0; i /= 10 {
		n--
		b[n] = byte('0' + i%10)
	}
	return string(b[n:])
}
