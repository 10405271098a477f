package afpacket

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"
)

// testFrame is one frame as the block builder lays it out.
type testFrame struct {
	data     []byte
	wireLen  uint32
	sec, ns  uint32
	status   uint32
	macExtra int // extra bytes between the header and the frame
}

// buildBlock lays frames out in a blockSize-byte TPACKET_V3 block the way
// the kernel does: descriptor, then frames at offset_to_first_pkt, each a
// tpacket3_hdr, its sockaddr_ll and the frame at tp_mac, linked by
// tp_next_offset rounded to 8 bytes, the last one's next offset zero.
func buildBlock(blockSize int, frames []testFrame) []byte {
	b := make([]byte, blockSize)
	ne := binary.NativeEndian
	ne.PutUint32(b[bdVersion:], 3)
	ne.PutUint32(b[bdStatus:], statusUser)
	ne.PutUint32(b[bdNumPkts:], uint32(len(frames)))
	ne.PutUint32(b[bdFirstPkt:], blockDescLen)
	off := blockDescLen
	for i, f := range frames {
		mac := 80 + f.macExtra // TPACKET_ALIGN(48 + 20) + 16 - like the kernel's macoff
		total := (mac + len(f.data) + 7) &^ 7
		h := b[off:]
		next := uint32(total)
		if i == len(frames)-1 {
			next = 0
		}
		ne.PutUint32(h[h3NextOffset:], next)
		ne.PutUint32(h[h3Sec:], f.sec)
		ne.PutUint32(h[h3Nsec:], f.ns)
		ne.PutUint32(h[h3Snaplen:], uint32(len(f.data)))
		ne.PutUint32(h[h3Len:], f.wireLen)
		ne.PutUint32(h[h3Status:], f.status|statusUser)
		ne.PutUint16(h[h3Mac:], uint16(mac))
		ne.PutUint16(h[h3Net:], uint16(mac+14))
		copy(h[mac:], f.data)
		off += total
	}
	ne.PutUint32(b[bdBlockLen:], uint32(off))
	return b
}

func sampleFrames() []testFrame {
	return []testFrame{
		{data: bytes.Repeat([]byte{0xaa}, 60), wireLen: 60, sec: 1700000000, ns: 1},
		{data: bytes.Repeat([]byte{0xbb}, 1514), wireLen: 1514, sec: 1700000000, ns: 999999999, status: statusLosing},
		{data: bytes.Repeat([]byte{0xcc}, 61), wireLen: 9000, sec: 1700000001, ns: 5, macExtra: 4},
	}
}

func TestBlockWalker(t *testing.T) {
	frames := sampleFrames()
	blk := buildBlock(8192, frames)
	var w blockWalker
	if err := w.reset(blk, 7); err != nil {
		t.Fatal(err)
	}
	for i, want := range frames {
		f, ok, err := w.next()
		if err != nil || !ok {
			t.Fatalf("frame %d: ok=%v err=%v", i, ok, err)
		}
		if !bytes.Equal(f.Data, want.data) {
			t.Errorf("frame %d: data %x..., want %x...", i, f.Data[:4], want.data[:4])
		}
		if f.Len != want.wireLen {
			t.Errorf("frame %d: Len %d, want %d", i, f.Len, want.wireLen)
		}
		if ts := int64(want.sec)*1e9 + int64(want.ns); f.Timestamp != ts {
			t.Errorf("frame %d: Timestamp %d, want %d", i, f.Timestamp, ts)
		}
		if f.Losing() != (want.status&statusLosing != 0) {
			t.Errorf("frame %d: Losing %v", i, f.Losing())
		}
		if cap(f.Data) != len(f.Data) {
			t.Errorf("frame %d: Data has spare capacity %d, appending would overwrite the ring", i, cap(f.Data)-len(f.Data))
		}
	}
	if _, ok, err := w.next(); ok || err != nil {
		t.Fatalf("after the last frame: ok=%v err=%v", ok, err)
	}
}

func TestBlockWalkerEmpty(t *testing.T) {
	var w blockWalker
	if err := w.reset(buildBlock(4096, nil), 0); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := w.next(); ok || err != nil {
		t.Fatalf("empty block: ok=%v err=%v", ok, err)
	}
}

func TestBlockWalkerErrors(t *testing.T) {
	ne := binary.NativeEndian
	tests := []struct {
		name    string
		corrupt func(b []byte)
		reset   bool // the error comes from reset, not next
		frame   int
		offset  int
	}{
		{"blk_len beyond block", func(b []byte) { ne.PutUint32(b[bdBlockLen:], 1<<20) }, true, -1, bdBlockLen},
		{"first packet inside descriptor", func(b []byte) { ne.PutUint32(b[bdFirstPkt:], 8) }, true, -1, bdFirstPkt},
		{"first packet beyond blk_len", func(b []byte) { ne.PutUint32(b[bdFirstPkt:], 4000) }, true, -1, bdFirstPkt},
		{"snaplen beyond block", func(b []byte) { ne.PutUint32(b[blockDescLen+h3Snaplen:], 5000) }, false, 0, blockDescLen},
		{"mac inside header", func(b []byte) { ne.PutUint16(b[blockDescLen+h3Mac:], 10) }, false, 0, blockDescLen},
		{"next offset zero with frames left", func(b []byte) { ne.PutUint32(b[blockDescLen+h3NextOffset:], 0) }, false, 1, blockDescLen + h3NextOffset},
		{"next offset misaligned", func(b []byte) { ne.PutUint32(b[blockDescLen+h3NextOffset:], 150) }, false, 1, blockDescLen + h3NextOffset},
		{"more packets than fit", func(b []byte) { ne.PutUint32(b[bdNumPkts:], 4) }, false, 3, -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			blk := buildBlock(8192, sampleFrames())
			tt.corrupt(blk)
			var w blockWalker
			err := w.reset(blk, 3)
			if tt.reset {
				checkBlockErr(t, err, tt.frame, tt.offset)
				return
			}
			if err != nil {
				t.Fatalf("reset: %v", err)
			}
			got := 0
			for i := 0; i < 10; i++ {
				var ok bool
				if _, ok, err = w.next(); err != nil || !ok {
					break
				}
				got++
			}
			if got != tt.frame {
				t.Errorf("%d frames before the error, want %d (every intact frame is returned)", got, tt.frame)
			}
			checkBlockErr(t, err, tt.frame, tt.offset)
			if _, ok, err := w.next(); ok || err != nil {
				t.Errorf("walker continues after an error: ok=%v err=%v", ok, err)
			}
		})
	}
}

func checkBlockErr(t *testing.T, err error, frame, offset int) {
	t.Helper()
	var be *BlockError
	if !errors.As(err, &be) {
		t.Fatalf("error %v, want a *BlockError", err)
	}
	if be.Block != 3 || be.Packet != frame || (offset >= 0 && be.Offset != offset) {
		t.Fatalf("BlockError %+v, want block 3, frame %d, offset %d", be, frame, offset)
	}
	if be.Error() == "" {
		t.Fatal("empty message")
	}
}

func TestParseSlotV2(t *testing.T) {
	ne := binary.NativeEndian
	slot := make([]byte, 2048)
	ne.PutUint32(slot[h2Status:], statusUser|statusLosing)
	ne.PutUint32(slot[h2Len:], 100)
	ne.PutUint32(slot[h2Snaplen:], 64)
	ne.PutUint16(slot[h2Mac:], 66)
	ne.PutUint32(slot[h2Sec:], 10)
	ne.PutUint32(slot[h2Nsec:], 20)
	copy(slot[66:], bytes.Repeat([]byte{7}, 64))
	f, err := parseSlotV2(slot)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Data) != 64 || f.Data[0] != 7 || f.Len != 100 || f.Timestamp != 10e9+20 || !f.Losing() {
		t.Fatalf("frame %+v", f)
	}
	ne.PutUint32(slot[h2Snaplen:], 4000)
	if _, err := parseSlotV2(slot); err == nil {
		t.Fatal("snaplen beyond slot accepted")
	}
	if _, err := parseSlotV2(slot[:10]); err == nil {
		t.Fatal("short slot accepted")
	}
}

func TestStatsAdd(t *testing.T) {
	got := Stats{1, 2, 3}.Add(Stats{10, 20, 30})
	if got != (Stats{11, 22, 33}) {
		t.Fatalf("Add = %+v", got)
	}
}

func TestWalkerAllocs(t *testing.T) {
	blk := buildBlock(8192, sampleFrames())
	var w blockWalker
	allocs := testing.AllocsPerRun(100, func() {
		_ = w.reset(blk, 0)
		for {
			_, ok, _ := w.next()
			if !ok {
				break
			}
		}
	})
	if allocs != 0 {
		t.Fatalf("walking a block allocates %.1f times", allocs)
	}
}

func BenchmarkBlockWalk(b *testing.B) {
	var frames []testFrame
	for i := 0; i < 400; i++ {
		frames = append(frames, testFrame{data: make([]byte, 64), wireLen: 64, sec: 1, ns: uint32(i)})
	}
	blk := buildBlock(128<<10, frames)
	var w blockWalker
	b.SetBytes(int64(len(frames)))
	b.ReportAllocs()
	for b.Loop() {
		_ = w.reset(blk, 0)
		for {
			f, ok, _ := w.next()
			if !ok {
				break
			}
			_ = f
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(frames)), "ns/frame")
}
