package packet_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"unsafe"

	"github.com/sessionlab/sessionlab/traffic/packet"
	pt "github.com/sessionlab/sessionlab/traffic/packet/packettest"
)

// within reports whether b is empty or lies inside data.
func within(b, data []byte) bool {
	if len(b) == 0 {
		return true
	}
	if len(data) == 0 {
		return false
	}
	start := uintptr(unsafe.Pointer(unsafe.SliceData(data)))
	p := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	return p >= start && p+uintptr(len(b)) <= start+uintptr(len(data))
}

// FuzzDecode feeds arbitrary bytes as any link type. Decode must not panic,
// must return only *DecodeError values with an offset inside the frame, and
// a successful decode must keep every slice and offset inside the frame.
// For Ethernet frames that both decode cleanly, the result must match
// gopacket's (packettest.Reference).
func FuzzDecode(f *testing.F) {
	for _, c := range edgeCases() {
		f.Add(c.frame, uint16(c.link))
	}
	f.Fuzz(func(t *testing.T, data []byte, link uint16) {
		var p packet.Packet
		err := packet.Decode(data, packet.LinkType(link), &p)
		if err != nil {
			var de *packet.DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("error %v is not a *DecodeError", err)
			}
			if de.Offset < 0 || de.Offset > len(data) {
				t.Fatalf("error offset %d outside a %d-byte frame", de.Offset, len(data))
			}
			_ = err.Error()
			return
		}
		if int(p.CapLen) != len(data) || p.WireLen < p.CapLen {
			t.Fatalf("CapLen %d WireLen %d for %d bytes", p.CapLen, p.WireLen, len(data))
		}
		if !within(p.Payload, data) {
			t.Fatalf("Payload outside the frame")
		}
		if p.Family != 0 && (int(p.L3Offset) > len(data) || int(p.L4Offset) > len(data) || p.L4Offset < p.L3Offset) {
			t.Fatalf("offsets L3 %d L4 %d outside a %d-byte frame", p.L3Offset, p.L4Offset, len(data))
		}
		if p.Family != 0 && p.Family != 4 && p.Family != 6 {
			t.Fatalf("Family %d", p.Family)
		}
		if packet.LinkType(link) == packet.LinkEthernet {
			want, refErr := pt.Reference(data, packet.LinkEthernet)
			if refErr == nil {
				if d := pt.Diff(&p, &want); len(d) > 0 {
					t.Fatalf("differs from gopacket: %v", d)
				}
			}
		}
	})
}

// TestWriteDecodeCorpus regenerates testdata/fuzz/FuzzDecode from the edge
// cases and truncation frames when SESSIONLAB_WRITE_CORPUS=1.
func TestWriteDecodeCorpus(t *testing.T) {
	if os.Getenv("SESSIONLAB_WRITE_CORPUS") != "1" {
		t.Skip("set SESSIONLAB_WRITE_CORPUS=1 to regenerate the seed corpus")
	}
	dir := filepath.Join("testdata", "fuzz", "FuzzDecode")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	write := func(name string, frame []byte, link packet.LinkType) {
		body := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\nuint16(%d)\n", frame, link)
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for i, c := range edgeCases() {
		write(fmt.Sprintf("edge-%02d", i), c.frame, c.link)
	}
	for i, f := range truncationFrames(pt.Payload(10)) {
		write(fmt.Sprintf("chain-%02d", i), f.frame, f.link)
		write(fmt.Sprintf("chain-%02d-cut", i), f.frame[:len(f.frame)/2], f.link)
	}
}
