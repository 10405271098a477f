package pcap_test

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sessionlab/sessionlab/traffic/packet"
	pt "github.com/sessionlab/sessionlab/traffic/packet/packettest"
	"github.com/sessionlab/sessionlab/traffic/pcap"
)

// readAll reads every frame of b, returning frames (copied) and the error
// that ended reading (nil at EOF).
func readAll(t testing.TB, b []byte, opt pcap.Options) ([]pcap.Frame, *pcap.Reader, error) {
	t.Helper()
	r, err := pcap.NewReader(bytes.NewReader(b), opt)
	if err != nil {
		return nil, nil, err
	}
	var out []pcap.Frame
	for {
		var f pcap.Frame
		err := r.ReadFrame(&f)
		if err == io.EOF {
			return out, r, nil
		}
		if err != nil {
			return out, r, err
		}
		f.Data = bytes.Clone(f.Data)
		out = append(out, f)
	}
}

func TestPcapByteOrdersAndResolutions(t *testing.T) {
	frames := pt.Mix(5, 1)
	for _, c := range []struct {
		name  string
		be    bool
		magic uint32
		nano  bool
	}{
		{"little-endian microsecond", false, 0xa1b2c3d4, false},
		{"big-endian microsecond", true, 0xa1b2c3d4, false},
		{"little-endian nanosecond", false, 0xa1b23c4d, true},
		{"big-endian nanosecond", true, 0xa1b23c4d, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			var recs []rec
			for i, f := range frames {
				recs = append(recs, rec{sec: 1_700_000_000 + uint32(i), frac: 123456 + uint32(i), data: f, inclLength: -1, wire: uint32(len(f) + i)})
			}
			file := pcapFile(c.be, c.magic, 65535, 1, recs...)
			got, r, err := readAll(t, file, pcap.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if r.Format() != pcap.FormatPcap || r.Nanosecond() != c.nano || r.Snaplen() != 65535 || r.LinkType() != packet.LinkEthernet {
				t.Errorf("header: format %v nano %v snaplen %d link %v", r.Format(), r.Nanosecond(), r.Snaplen(), r.LinkType())
			}
			if len(got) != len(frames) {
				t.Fatalf("read %d frames, want %d", len(got), len(frames))
			}
			for i, f := range got {
				mult := int64(1000)
				if c.nano {
					mult = 1
				}
				wantTS := int64(1_700_000_000+i)*1e9 + int64(123456+i)*mult
				if f.Timestamp != wantTS || !bytes.Equal(f.Data, frames[i]) || f.WireLen != uint32(len(frames[i])+i) || f.Link != packet.LinkEthernet {
					t.Errorf("frame %d: ts %d (want %d) wire %d len %d", i, f.Timestamp, wantTS, f.WireLen, len(f.Data))
				}
			}
			st := r.Stats()
			if st.Packets != 5 || st.BadRecords != 0 {
				t.Errorf("stats %+v", st)
			}
		})
	}
}

func TestPcapFCSAndModifiedFormat(t *testing.T) {
	f := pt.Mix(1, 2)[0]
	withFCS := append(bytes.Clone(f), 0xde, 0xad, 0xbe, 0xef)
	// F bit (26) with a 4-byte FCS: 2 sixteen-bit words in bits 28-31.
	file := pcapFile(false, 0xa1b2c3d4, 65535, 1|1<<26|2<<28, rec{data: withFCS, inclLength: -1})
	got, _, err := readAll(t, file, pcap.Options{})
	if err != nil || len(got) != 1 {
		t.Fatalf("read: %v, %d frames", err, len(got))
	}
	if !bytes.Equal(got[0].Data, f) || got[0].WireLen != uint32(len(f)) {
		t.Errorf("FCS not stripped: %d bytes, wire %d", len(got[0].Data), got[0].WireLen)
	}

	// Kuznetzov's modified pcap: 24-byte record headers.
	var b bytes.Buffer
	b.Write(pcapFile(false, 0xa1b2cd34, 65535, 1))
	rh := make([]byte, 24)
	order(false).PutUint32(rh[0:4], 7)
	order(false).PutUint32(rh[8:12], uint32(len(f)))
	order(false).PutUint32(rh[12:16], uint32(len(f)))
	b.Write(rh)
	b.Write(f)
	got, _, err = readAll(t, b.Bytes(), pcap.Options{})
	if err != nil || len(got) != 1 || !bytes.Equal(got[0].Data, f) || got[0].Timestamp != 7e9 {
		t.Fatalf("modified pcap: %v, %d frames", err, len(got))
	}
}

// TestPcapngInterfaces: several interfaces with their own link types and
// timestamp resolutions, simple and obsolete packet blocks, blocks to skip,
// and a second section in the other byte order.
func TestPcapngInterfaces(t *testing.T) {
	eth := pt.Mix(1, 3)[0]
	var p packet.Packet
	if err := packet.Decode(eth, packet.LinkEthernet, &p); err != nil {
		t.Fatal(err)
	}
	raw := eth[p.L3Offset:]
	sll2 := pt.SLL2(p.EtherType, raw)
	for _, be := range []bool{false, true} {
		n := &ng{be: be}
		n.shb()
		n.idb(1, 0)                                // 0: ethernet, default µs
		n.idb(101, 0, n.opt(9, []byte{9}))         // 1: raw IP, ns
		n.idb(276, 0, n.opt(9, []byte{0x80 | 20}), // 2: SLL2, 2^-20 s
			n.opt(14, func() []byte { b := make([]byte, 8); n.o().PutUint64(b, 100); return b }())) // +100 s
		n.block(4, make([]byte, 12))     // name resolution: skipped
		n.block(0xbad, make([]byte, 40)) // custom/unknown: skipped
		n.epb(0, 1_700_000_000_000_000, eth, 0)
		n.epb(1, 1_700_000_000_000_000_123, raw, 0)
		n.epb(2, 3<<20|1<<19, sll2, 1500) // 3.5 s
		n.block(5, make([]byte, 16))      // interface statistics: skipped
		n.pb(0, 2_000_000, eth)
		n.spb(eth, 0)
		// A second section in the other byte order resets the interfaces.
		m := &ng{be: !be}
		m.shb()
		m.idb(228, 0, m.opt(9, []byte{3}))
		m.epb(0, 42, raw, 0)
		file := append(n.bytes(), m.bytes()...)

		got, r, err := readAll(t, file, pcap.Options{})
		if err != nil {
			t.Fatalf("be=%v: %v", be, err)
		}
		if r.Format() != pcap.FormatPcapng {
			t.Errorf("format %v", r.Format())
		}
		want := []pcap.Frame{
			{Data: eth, Timestamp: 1_700_000_000_000_000_000, WireLen: uint32(len(eth)), Interface: 0, Link: packet.LinkEthernet},
			{Data: raw, Timestamp: 1_700_000_000_000_000_123, WireLen: uint32(len(raw)), Interface: 1, Link: packet.LinkRaw},
			{Data: sll2, Timestamp: 103_500_000_000, WireLen: 1500, Interface: 2, Link: packet.LinkLinuxSLL2},
			{Data: eth, Timestamp: 2_000_000_000, WireLen: uint32(len(eth)), Interface: 0, Link: packet.LinkEthernet},
			{Data: eth, Timestamp: 2_000_000_000, WireLen: uint32(len(eth)), Interface: 0, Link: packet.LinkEthernet}, // SPB inherits
			{Data: raw, Timestamp: 42_000_000, WireLen: uint32(len(raw)), Interface: 0, Link: packet.LinkIPv4},
		}
		if len(got) != len(want) {
			t.Fatalf("be=%v: read %d frames, want %d", be, len(got), len(want))
		}
		for i := range want {
			g, w := got[i], want[i]
			if !bytes.Equal(g.Data, w.Data) || g.Timestamp != w.Timestamp || g.WireLen != w.WireLen || g.Interface != w.Interface || g.Link != w.Link {
				t.Errorf("be=%v frame %d: got ts %d wire %d if %d link %v len %d; want ts %d wire %d if %d link %v len %d",
					be, i, g.Timestamp, g.WireLen, g.Interface, g.Link, len(g.Data), w.Timestamp, w.WireLen, w.Interface, w.Link, len(w.Data))
			}
		}
		// Every frame decodes to the same flow whatever its link type.
		rd, _ := pcap.NewReader(bytes.NewReader(file), pcap.Options{})
		for i := 0; ; i++ {
			var q packet.Packet
			err := rd.Next(&q)
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("Next %d: %v", i, err)
			}
			if q.Tuple() != p.Tuple() {
				t.Errorf("frame %d decodes to %v, want %v", i, q.Tuple(), p.Tuple())
			}
		}
	}
}

func TestGzipDetected(t *testing.T) {
	frames := pt.Mix(50, 4)
	for _, format := range []pcap.Format{pcap.FormatPcap, pcap.FormatPcapng} {
		var b bytes.Buffer
		w, err := pcap.NewWriter(&b, pcap.WriterOptions{Format: format, Gzip: true})
		if err != nil {
			t.Fatal(err)
		}
		for i, f := range frames {
			if err := w.WriteFrame(int64(i)*1000, 0, f); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		if b.Bytes()[0] != 0x1f || b.Bytes()[1] != 0x8b {
			t.Fatalf("%v: output is not gzip", format)
		}
		got, r, err := readAll(t, b.Bytes(), pcap.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if !r.Compressed() || r.Format() != format || len(got) != len(frames) {
			t.Fatalf("%v: compressed %v format %v frames %d", format, r.Compressed(), r.Format(), len(got))
		}
		for i := range got {
			if !bytes.Equal(got[i].Data, frames[i]) || got[i].Timestamp != int64(i)*1000 {
				t.Errorf("%v frame %d differs", format, i)
			}
		}
	}
}

// corruptCases are files with one thing wrong, the error a strict reader
// gives, and what SkipBad recovers.
func corruptCases(t testing.TB) []struct {
	name      string
	file      []byte
	err       string
	recovered int // frames SkipBad reads
	bad       uint64
} {
	frames := pt.Mix(6, 5)
	recs := func(mod func(i int, r *rec)) []rec {
		var rs []rec
		for i, f := range frames {
			r := rec{sec: 1_700_000_000, frac: uint32(i), data: f, inclLength: -1}
			mod(i, &r)
			rs = append(rs, r)
		}
		return rs
	}
	good := pcapFile(false, 0xa1b2c3d4, 65535, 1, recs(func(int, *rec) {})...)
	// Offsets of each record in good.
	offs := []int{24}
	for _, f := range frames {
		offs = append(offs, offs[len(offs)-1]+16+len(f))
	}
	cut := offs[2] + 16 + 7 // 7 bytes into record 3's data
	badLen := bytes.Clone(good)
	order(false).PutUint32(badLen[offs[2]+8:], 0x7fffffff) // record 3's incl_len
	n := &ng{}
	n.shb().idb(1, 0)
	ngStart := n.buf.Len()
	var ngOffs []int
	for i, f := range frames {
		ngOffs = append(ngOffs, n.buf.Len())
		n.epb(0, uint64(1_700_000_000_000_000+i), f, 0)
	}
	ngGood := n.bytes()
	ngBadTail := bytes.Clone(ngGood)
	order(false).PutUint32(ngBadTail[ngOffs[2]+4:], 16) // block 3's leading length
	ngBadIf := bytes.Clone(ngGood)
	order(false).PutUint32(ngBadIf[ngOffs[3]+8:], 5) // block 4's interface id
	_ = ngStart
	return []struct {
		name      string
		file      []byte
		err       string
		recovered int
		bad       uint64
	}{
		{"pcap truncated record", good[:cut], "pcap: packet 3 at offset " + itoa(offs[2]) + ": truncated record: want " + itoa(16+len(frames[2])) + " bytes, have 23", 2, 1},
		{"pcap truncated record header", good[:offs[3]+5], "pcap: packet 4 at offset " + itoa(offs[3]) + ": truncated record header: want 16 bytes, have 5", 3, 1},
		{"pcap bad length", badLen, "pcap: packet 3 at offset " + itoa(offs[2]) + ": captured length 2147483647 exceeds the limit 262144", 5, 1},
		{"pcap truncated file header", good[:10], "pcap: at offset 0: truncated pcap file header: want 24 bytes, have 10", -1, 0},
		{"not a capture", []byte("hello, world"), "pcap: at offset 0: unknown magic 0x68656c6c: not a pcap or pcapng file", -1, 0},
		{"pcapng bad block length", ngBadTail, "pcap: packet 3 at offset " + itoa(ngOffs[2]+12) + ": trailing block length", 5, 1},
		{"pcapng undescribed interface", ngBadIf, "pcap: packet 4 at offset " + itoa(ngOffs[3]) + ": interface 5 not described (1 interfaces)", 5, 1},
		{"pcapng truncated block", ngGood[:ngOffs[4]+30], "pcap: packet 5 at offset " + itoa(ngOffs[4]) + ": truncated block: want " + itoa(32+(len(frames[4])+3)&^3) + " bytes, have 30", 4, 1},
	}
}

func itoa(i int) string {
	var b [20]byte
	n := len(b)
	if i == 0 {
		return "0"
	}
	for ; i > 0; i /= 10 {
		n--
		b[n] = byte('0' + i%10)
	}
	return string(b[n:])
}

func TestCorruptFiles(t *testing.T) {
	for _, c := range corruptCases(t) {
		t.Run(c.name, func(t *testing.T) {
			_, r, err := readAll(t, c.file, pcap.Options{})
			if err == nil || !strings.HasPrefix(err.Error(), c.err) {
				t.Fatalf("error = %v\nwant   %s…", err, c.err)
			}
			var pe *pcap.Error
			if !errors.As(err, &pe) {
				t.Fatalf("error %T is not a *pcap.Error", err)
			}
			if r != nil {
				// A record error is sticky: the reader does not guess.
				var f pcap.Frame
				if err2 := r.ReadFrame(&f); err2 != err {
					t.Errorf("second read returned %v, want the same error", err2)
				}
			}
			if c.recovered < 0 {
				return
			}
			got, r, err := readAll(t, c.file, pcap.Options{SkipBad: true})
			if err != nil {
				t.Fatalf("SkipBad: %v", err)
			}
			if len(got) != c.recovered || r.Stats().BadRecords != c.bad {
				t.Errorf("SkipBad read %d frames (want %d), stats %+v", len(got), c.recovered, r.Stats())
			}
		})
	}
}

// TestResyncKeepsLaterPackets checks that after a corrupt length field the
// reader finds the very next record, so every later packet is read.
func TestResyncKeepsLaterPackets(t *testing.T) {
	frames := pt.Mix(40, 6)
	var recs []rec
	for i, f := range frames {
		recs = append(recs, rec{sec: 1_700_000_000, frac: uint32(i), data: f, inclLength: -1})
	}
	file := pcapFile(true, 0xa1b2c3d4, 65535, 1, recs...)
	off := 24
	for _, f := range frames[:10] {
		off += 16 + len(f)
	}
	order(true).PutUint32(file[off+8:], 1<<30) // record 11
	got, r, err := readAll(t, file, pcap.Options{SkipBad: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 39 {
		t.Fatalf("read %d frames, want 39", len(got))
	}
	// The skipped record is reported where it was: record 11, at its offset.
	if fb := r.FirstBad(); fb == nil || fb.Packet != 11 || fb.Offset != int64(off) {
		t.Fatalf("FirstBad = %v, want packet 11 at offset %d", fb, off)
	}
	for i, f := range got {
		j := i
		if i >= 10 {
			j++
		}
		if !bytes.Equal(f.Data, frames[j]) {
			t.Fatalf("frame %d is not input frame %d", i, j)
		}
	}
	st := r.Stats()
	if st.Resyncs != 1 || st.Skipped != uint64(16+len(frames[10])) {
		t.Errorf("stats %+v, want 1 resync skipping %d bytes", st, 16+len(frames[10]))
	}
}

func TestDecodeErrorsNamePacketAndContinue(t *testing.T) {
	frames := pt.Mix(4, 7)
	bad := bytes.Clone(frames[1])
	bad[14] = 0x65 // IPv4 ethertype, version 6
	file := pcapFile(false, 0xa1b23c4d, 65535, 1,
		rec{data: frames[0], inclLength: -1}, rec{data: bad, inclLength: -1}, rec{data: frames[2], inclLength: -1})
	r, err := pcap.NewReader(bytes.NewReader(file), pcap.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var p packet.Packet
	if err := r.Next(&p); err != nil {
		t.Fatal(err)
	}
	err = r.Next(&p)
	want := "pcap: packet 2 at offset " + itoa(24+16+len(frames[0])) + ": decode: ipv4 at offset 14: wrong IP version: want 4, have 6"
	if err == nil || err.Error() != want {
		t.Fatalf("error = %v\nwant    %s", err, want)
	}
	var de *packet.DecodeError
	if !errors.As(err, &de) || de.Layer != packet.LayerIPv4 {
		t.Errorf("error does not wrap the DecodeError: %#v", err)
	}
	if err := r.Next(&p); err != nil {
		t.Fatalf("reading on after a decode error: %v", err)
	}
	if err := r.Next(&p); err != io.EOF {
		t.Fatalf("want EOF, got %v", err)
	}
	if st := r.Stats(); st.Packets != 2 {
		t.Errorf("stats count %d packets, want 2 (the undecodable one is not counted)", st.Packets)
	}

	r, _ = pcap.NewReader(bytes.NewReader(file), pcap.Options{SkipBad: true})
	n := 0
	for r.Next(&p) == nil {
		n++
	}
	if st := r.Stats(); n != 2 || st.BadPackets != 1 || st.Packets != 2 {
		t.Errorf("SkipBad: %d packets, stats %+v", n, st)
	}
}

func TestRewindAndOpen(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"a.pcap", "a.pcapng.gz"} {
		path := filepath.Join(dir, name)
		format := pcap.FormatPcap
		if strings.Contains(name, "pcapng") {
			format = pcap.FormatPcapng
		}
		w, err := pcap.Create(path, pcap.WriterOptions{Format: format})
		if err != nil {
			t.Fatal(err)
		}
		for i, f := range pt.Mix(20, 8) {
			if err := w.WriteFrame(int64(i), 0, f); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		r, err := pcap.Open(path, pcap.Options{})
		if err != nil {
			t.Fatal(err)
		}
		var p packet.Packet
		for pass := 0; pass < 3; pass++ {
			n := 0
			for r.Next(&p) == nil {
				n++
			}
			if n != 20 {
				t.Errorf("%s pass %d: %d packets", name, pass, n)
			}
			if err := r.Rewind(); err != nil {
				t.Fatal(err)
			}
		}
		if st := r.Stats(); st.Packets != 60 {
			t.Errorf("%s: stats %+v", name, st)
		}
		r.Close()
	}
	if _, err := pcap.Open(filepath.Join(dir, "missing.pcap"), pcap.Options{}); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
	r, _ := pcap.NewReader(struct{ io.Reader }{bytes.NewReader(pcapFile(false, 0xa1b2c3d4, 100, 1))}, pcap.Options{})
	if err := r.Rewind(); err == nil {
		t.Error("Rewind of a non-seekable stream succeeded")
	}
}

func TestReaderDoesNotAllocatePerPacket(t *testing.T) {
	var b bytes.Buffer
	w, _ := pcap.NewWriter(&b, pcap.WriterOptions{})
	frames := pt.Mix(1000, 10)
	for i := 0; i < 20; i++ {
		for j, f := range frames {
			_ = w.WriteFrame(int64(i*1000+j), 0, f)
		}
	}
	_ = w.Close()
	for _, format := range []pcap.Format{pcap.FormatPcap, pcap.FormatPcapng} {
		file := b.Bytes()
		if format == pcap.FormatPcapng {
			var nb bytes.Buffer
			nw, _ := pcap.NewWriter(&nb, pcap.WriterOptions{Format: pcap.FormatPcapng})
			for i, f := range frames {
				_ = nw.WriteFrame(int64(i), 0, f)
			}
			_ = nw.Close()
			file = nb.Bytes()
		}
		r, err := pcap.NewReader(bytes.NewReader(file), pcap.Options{})
		if err != nil {
			t.Fatal(err)
		}
		var p packet.Packet
		if n := testing.AllocsPerRun(900, func() {
			if err := r.Next(&p); err != nil {
				t.Fatal(err)
			}
		}); n != 0 {
			t.Errorf("%v: %v allocations per packet", format, n)
		}
	}
}

// TestGzipCorruption: a damaged deflate stream cannot be resynchronised;
// even with SkipBad the reader reports the error.
func TestGzipCorruption(t *testing.T) {
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	file := pcapFile(false, 0xa1b2c3d4, 65535, 1, rec{data: pt.Payload(3000), inclLength: -1}, rec{data: pt.Payload(3000), inclLength: -1})
	_, _ = zw.Write(file)
	_ = zw.Close()
	z := b.Bytes()
	z[len(z)/2] ^= 0xff
	_, _, err := readAll(t, z, pcap.Options{SkipBad: true})
	if err == nil {
		t.Fatal("corrupt gzip read without error")
	}
	if !strings.Contains(err.Error(), "pcap:") {
		t.Errorf("error %q does not say where", err)
	}
}
