package pcap_test

import (
	"bytes"
	"io"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"github.com/sessionlab/sessionlab/traffic/packet"
	pt "github.com/sessionlab/sessionlab/traffic/packet/packettest"
	"github.com/sessionlab/sessionlab/traffic/pcap"
)

// The slow reference for the reader is gopacket's pcapgo: it reads the same
// bytes and must find the same frames, timestamps, lengths and link types.

type refFrame struct {
	data []byte
	ts   int64
	wire int
	link packet.LinkType
}

func pcapgoFrames(t *testing.T, file []byte) []refFrame {
	t.Helper()
	var read func() ([]byte, gopacket.CaptureInfo, error)
	var link func(ci gopacket.CaptureInfo) packet.LinkType
	if bytes.HasPrefix(file, []byte{0x0a, 0x0d, 0x0d, 0x0a}) {
		r, err := pcapgo.NewNgReader(bytes.NewReader(file), pcapgo.NgReaderOptions{WantMixedLinkType: true})
		if err != nil {
			t.Fatal(err)
		}
		read = r.ReadPacketData
		link = func(ci gopacket.CaptureInfo) packet.LinkType {
			return packet.LinkType(ci.AncillaryData[0].(layers.LinkType))
		}
	} else {
		r, err := pcapgo.NewReader(bytes.NewReader(file))
		if err != nil {
			t.Fatal(err)
		}
		read = r.ReadPacketData
		lt := packet.LinkType(r.LinkType())
		link = func(gopacket.CaptureInfo) packet.LinkType { return lt }
	}
	var out []refFrame
	for {
		data, ci, err := read()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, refFrame{data: data, ts: ci.Timestamp.UnixNano(), wire: ci.Length, link: link(ci)})
	}
}

func checkAgainstPcapgo(t *testing.T, name string, file []byte) {
	t.Helper()
	want := pcapgoFrames(t, file)
	got, _, err := readAll(t, file, pcap.Options{})
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if len(got) != len(want) {
		t.Fatalf("%s: %d frames, pcapgo %d", name, len(got), len(want))
	}
	for i := range got {
		g, w := got[i], want[i]
		if !bytes.Equal(g.Data, w.data) || g.Timestamp != w.ts || int(g.WireLen) != w.wire || g.Link != w.link {
			t.Errorf("%s frame %d: ts %d wire %d link %v len %d; pcapgo ts %d wire %d link %v len %d",
				name, i, g.Timestamp, g.WireLen, g.Link, len(g.Data), w.ts, w.wire, w.link, len(w.data))
		}
	}
}

func TestReaderMatchesPcapgo(t *testing.T) {
	frames := pt.Mix(300, 12)
	for _, opt := range []pcap.WriterOptions{
		{Format: pcap.FormatPcap},
		{Format: pcap.FormatPcap, Microsecond: true},
		{Format: pcap.FormatPcap, Snaplen: 96},
		{Format: pcap.FormatPcapng},
		{Format: pcap.FormatPcapng, Snaplen: 128},
	} {
		var b bytes.Buffer
		w, err := pcap.NewWriter(&b, opt)
		if err != nil {
			t.Fatal(err)
		}
		for i, f := range frames {
			if err := w.WriteFrame(1_700_000_000_123_456_789+int64(i)*1_000_001, 0, f); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		checkAgainstPcapgo(t, opt.Format.String(), b.Bytes())
	}
	// Hand-built big-endian files and a multi-interface pcapng.
	var recs []rec
	for i, f := range frames[:20] {
		recs = append(recs, rec{sec: uint32(1_700_000_000 + i), frac: uint32(i * 997), data: f, inclLength: -1})
	}
	checkAgainstPcapgo(t, "big-endian µs pcap", pcapFile(true, 0xa1b2c3d4, 65535, 1, recs...))
	checkAgainstPcapgo(t, "big-endian ns pcap", pcapFile(true, 0xa1b23c4d, 65535, 1, recs...))
	n := &ng{be: true}
	n.shb().idb(1, 0).idb(101, 0, n.opt(9, []byte{9}))
	var p packet.Packet
	for i, f := range frames[:20] {
		if i%2 == 0 {
			n.epb(0, uint64(1_700_000_000_000_000+i), f, 0)
		} else {
			_ = packet.Decode(f, packet.LinkEthernet, &p)
			n.epb(1, uint64(1_700_000_000_000_000_000+i), f[p.L3Offset:], 0)
		}
	}
	checkAgainstPcapgo(t, "big-endian two-interface pcapng", n.bytes())
}

// TestWriterIsDeterministic: the same frames give the same bytes.
func TestWriterIsDeterministic(t *testing.T) {
	frames := pt.Mix(100, 13)
	for _, opt := range []pcap.WriterOptions{{}, {Format: pcap.FormatPcapng}, {Gzip: true}, {Format: pcap.FormatPcapng, Gzip: true}} {
		var outs [2][]byte
		for k := range outs {
			var b bytes.Buffer
			w, _ := pcap.NewWriter(&b, opt)
			for i, f := range frames {
				_ = w.WriteFrame(int64(i)*7, 0, f)
			}
			_ = w.Close()
			outs[k] = b.Bytes()
		}
		if !bytes.Equal(outs[0], outs[1]) {
			t.Errorf("%+v: two writes of the same frames differ", opt)
		}
	}
	var b bytes.Buffer
	w, _ := pcap.NewWriter(&b, pcap.WriterOptions{})
	if err := w.WriteFrame(-1, 0, frames[0]); err == nil {
		t.Error("negative timestamp accepted")
	}
}
