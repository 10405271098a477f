package pcap_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/sessionlab/sessionlab/traffic/packet"
	pt "github.com/sessionlab/sessionlab/traffic/packet/packettest"
	"github.com/sessionlab/sessionlab/traffic/pcap"
)

// fuzzRead reads data to the end with and without SkipBad. It must not
// panic, must make progress (every record or resync step consumes input, so
// the number of reads is bounded by the input size), must return *Error
// values only, and with SkipBad must end at EOF unless the input failed.
func fuzzRead(t *testing.T, data []byte) {
	for _, skip := range []bool{false, true} {
		r, err := pcap.NewReader(bytes.NewReader(data), pcap.Options{SkipBad: skip})
		if err != nil {
			var pe *pcap.Error
			if !errors.As(err, &pe) {
				t.Fatalf("NewReader error %T %v is not a *pcap.Error", err, err)
			}
			continue
		}
		var p packet.Packet
		limit := len(data) + 16
		if r.Compressed() {
			limit = 1 << 20
		}
		for i := 0; ; i++ {
			if i > limit {
				t.Fatalf("SkipBad=%v: %d reads from %d bytes: no progress", skip, i, len(data))
			}
			err := r.Next(&p)
			if err == io.EOF {
				break
			}
			if err == nil {
				if len(p.Data) > pcap.DefaultMaxPacket || p.WireLen < p.CapLen {
					t.Fatalf("frame of %d bytes, wire %d", len(p.Data), p.WireLen)
				}
				continue
			}
			var pe *pcap.Error
			if !errors.As(err, &pe) {
				t.Fatalf("error %T %v is not a *pcap.Error", err, err)
			}
			if !r.Compressed() && (pe.Offset < 0 || pe.Offset > int64(len(data))) {
				t.Fatalf("error offset %d outside a %d-byte input: %v", pe.Offset, len(data), err)
			}
			var de *packet.DecodeError
			if errors.As(err, &de) {
				continue // a frame that does not decode; reading goes on
			}
			if skip && !r.Compressed() {
				t.Fatalf("SkipBad reader stopped on %v", err)
			}
			break
		}
		st := r.Stats()
		if st.Packets > uint64(len(data)) {
			t.Fatalf("stats %+v from %d bytes", st, len(data))
		}
	}
}

func FuzzPcapReader(f *testing.F) {
	for _, c := range pcapSeeds() {
		f.Add(c)
	}
	f.Fuzz(func(t *testing.T, data []byte) { fuzzRead(t, data) })
}

func FuzzPcapngReader(f *testing.F) {
	for _, c := range pcapngSeeds() {
		f.Add(c)
	}
	f.Fuzz(func(t *testing.T, data []byte) { fuzzRead(t, data) })
}

func pcapSeeds() [][]byte {
	frames := pt.Mix(3, 30)
	var recs []rec
	for i, f := range frames {
		recs = append(recs, rec{sec: 1_700_000_000, frac: uint32(i), data: f, inclLength: -1})
	}
	var b bytes.Buffer
	w, _ := pcap.NewWriter(&b, pcap.WriterOptions{Gzip: true})
	_ = w.WriteFrame(1, 0, frames[0])
	_ = w.Close()
	return [][]byte{
		pcapFile(false, 0xa1b2c3d4, 65535, 1, recs...),
		pcapFile(true, 0xa1b23c4d, 96, 101, rec{data: frames[0][14:], inclLength: -1}),
		pcapFile(false, 0xa1b2cd34, 65535, 1),
		pcapFile(false, 0xa1b2c3d4, 65535, 1|1<<26|2<<28, rec{data: frames[1], inclLength: -1}),
		b.Bytes(),
	}
}

func pcapngSeeds() [][]byte {
	frames := pt.Mix(3, 31)
	n := &ng{}
	n.shb().idb(1, 0).idb(276, 0, n.opt(9, []byte{0x80 | 20}))
	n.epb(0, 1, frames[0], 0).spb(frames[1], 0).pb(0, 2, frames[2]).block(5, make([]byte, 16))
	m := &ng{be: true}
	m.shb().idb(1, 128, m.opt(9, []byte{9}), m.opt(14, make([]byte, 8))).epb(0, 5, frames[0], 0)
	return [][]byte{n.bytes(), m.bytes(), append(n.bytes(), m.bytes()...)}
}

// TestWriteReaderCorpus regenerates the seed corpora when
// SESSIONLAB_WRITE_CORPUS=1.
func TestWriteReaderCorpus(t *testing.T) {
	if os.Getenv("SESSIONLAB_WRITE_CORPUS") != "1" {
		t.Skip("set SESSIONLAB_WRITE_CORPUS=1 to regenerate the seed corpus")
	}
	for name, seeds := range map[string][][]byte{"FuzzPcapReader": pcapSeeds(), "FuzzPcapngReader": pcapngSeeds()} {
		dir := filepath.Join("testdata", "fuzz", name)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for i, s := range seeds {
			body := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", s)
			if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("seed-%02d", i)), []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	// The corrupt-file cases are seeds too.
	for i, c := range corruptCases(t) {
		body := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", c.file)
		name := "FuzzPcapReader"
		if bytes.HasPrefix(c.file, []byte{0x0a, 0x0d, 0x0d, 0x0a}) {
			name = "FuzzPcapngReader"
		}
		if err := os.WriteFile(filepath.Join("testdata", "fuzz", name, fmt.Sprintf("corrupt-%02d", i)), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
