package pcap

import (
	"bufio"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/sessionlab/sessionlab/traffic/packet"
)

// WriterOptions say what a Writer writes. The zero value writes a
// nanosecond pcap of Ethernet frames with snaplen 262144.
type WriterOptions struct {
	Format Format
	// Link is the link type of every frame (default Ethernet).
	Link packet.LinkType
	// Snaplen caps the bytes stored per frame (default 262144); longer
	// frames are cut and keep their wire length.
	Snaplen uint32
	// Microsecond writes classic microsecond pcap timestamps instead of
	// nanosecond ones (pcap only; pcapng always records nanoseconds).
	Microsecond bool
	// Gzip compresses the output.
	Gzip bool
}

// Writer writes frames to a pcap or pcapng stream. Output is a pure
// function of the frames written (no clock, no host name), so the same
// frames give the same bytes. Writes are buffered: call Close (or Flush).
type Writer struct {
	opt    WriterOptions
	bw     *bufio.Writer
	gz     *gzip.Writer
	closer io.Closer
	hdr    [32]byte
	n      uint64
}

// Create creates path and writes the file header. A name ending in ".gz"
// turns on gzip compression.
func Create(path string, opt WriterOptions) (*Writer, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if strings.HasSuffix(path, ".gz") {
		opt.Gzip = true
	}
	w, err := NewWriter(f, opt)
	if err != nil {
		f.Close()
		return nil, err
	}
	w.closer = f
	return w, nil
}

// NewWriter writes the file header to out and returns a Writer.
func NewWriter(out io.Writer, opt WriterOptions) (*Writer, error) {
	if opt.Link == 0 {
		opt.Link = packet.LinkEthernet
	}
	if opt.Snaplen == 0 {
		opt.Snaplen = DefaultMaxPacket
	}
	if opt.Format != FormatPcap && opt.Format != FormatPcapng {
		return nil, fmt.Errorf("pcap: unknown format %d", opt.Format)
	}
	w := &Writer{opt: opt}
	if opt.Gzip {
		// No name or modification time in the gzip header: reproducible.
		w.gz = gzip.NewWriter(out)
		out = w.gz
	}
	w.bw = bufio.NewWriterSize(out, 1<<20)
	le := binary.LittleEndian
	if opt.Format == FormatPcap {
		var h [24]byte
		magic := uint32(0xa1b23c4d)
		if opt.Microsecond {
			magic = 0xa1b2c3d4
		}
		le.PutUint32(h[0:4], magic)
		le.PutUint16(h[4:6], 2)
		le.PutUint16(h[6:8], 4)
		le.PutUint32(h[16:20], opt.Snaplen)
		le.PutUint32(h[20:24], uint32(opt.Link))
		_, err := w.bw.Write(h[:])
		return w, err
	}
	// Section header: BOM, version 1.0, unknown section length, no options.
	var shb [28]byte
	le.PutUint32(shb[0:4], blockSHB)
	le.PutUint32(shb[4:8], 28)
	le.PutUint32(shb[8:12], 0x1a2b3c4d)
	le.PutUint16(shb[12:14], 1)
	le.PutUint64(shb[16:24], ^uint64(0))
	le.PutUint32(shb[24:28], 28)
	// Interface description: link type, snaplen, if_tsresol = 9 (ns).
	var idb [32]byte
	le.PutUint32(idb[0:4], blockIDB)
	le.PutUint32(idb[4:8], 32)
	le.PutUint16(idb[8:10], uint16(opt.Link))
	le.PutUint32(idb[12:16], opt.Snaplen)
	le.PutUint16(idb[16:18], 9)
	le.PutUint16(idb[18:20], 1)
	idb[20] = 9
	le.PutUint32(idb[28:32], 32) // 24..28: end-of-options
	if _, err := w.bw.Write(shb[:]); err != nil {
		return nil, err
	}
	_, err := w.bw.Write(idb[:])
	return w, err
}

// WritePacket writes p.Data with p.Timestamp and p.WireLen.
func (w *Writer) WritePacket(p *packet.Packet) error {
	return w.WriteFrame(p.Timestamp, int(p.WireLen), p.Data)
}

var zeros [8]byte

// WriteFrame writes one frame captured at ts (ns since the epoch) whose
// length on the wire was wireLen (raised to len(data) if smaller).
func (w *Writer) WriteFrame(ts int64, wireLen int, data []byte) error {
	if ts < 0 {
		return fmt.Errorf("pcap: negative timestamp %d for frame %d", ts, w.n+1)
	}
	wireLen = max(wireLen, len(data))
	if len(data) > int(w.opt.Snaplen) {
		data = data[:w.opt.Snaplen]
	}
	le := binary.LittleEndian
	h := w.hdr[:]
	if w.opt.Format == FormatPcap {
		frac := ts % 1e9
		if w.opt.Microsecond {
			frac /= 1e3
		}
		le.PutUint32(h[0:4], uint32(ts/1e9))
		le.PutUint32(h[4:8], uint32(frac))
		le.PutUint32(h[8:12], uint32(len(data)))
		le.PutUint32(h[12:16], uint32(wireLen))
		if _, err := w.bw.Write(h[:16]); err != nil {
			return err
		}
		if _, err := w.bw.Write(data); err != nil {
			return err
		}
	} else {
		pad := (4 - len(data)%4) % 4
		blen := uint32(32 + len(data) + pad)
		le.PutUint32(h[0:4], blockEPB)
		le.PutUint32(h[4:8], blen)
		le.PutUint32(h[8:12], 0)
		le.PutUint32(h[12:16], uint32(uint64(ts)>>32))
		le.PutUint32(h[16:20], uint32(ts))
		le.PutUint32(h[20:24], uint32(len(data)))
		le.PutUint32(h[24:28], uint32(wireLen))
		if _, err := w.bw.Write(h[:28]); err != nil {
			return err
		}
		if _, err := w.bw.Write(data); err != nil {
			return err
		}
		le.PutUint32(h[0:4], blen)
		if _, err := w.bw.Write(zeros[:pad]); err != nil {
			return err
		}
		if _, err := w.bw.Write(h[0:4]); err != nil {
			return err
		}
	}
	w.n++
	return nil
}

// Count returns the number of frames written.
func (w *Writer) Count() uint64 { return w.n }

// Flush writes buffered data to the underlying writer (and flushes gzip).
func (w *Writer) Flush() error {
	if err := w.bw.Flush(); err != nil {
		return err
	}
	if w.gz != nil {
		return w.gz.Flush()
	}
	return nil
}

// Close flushes, ends the gzip stream if any, and closes the file if the
// Writer created it.
func (w *Writer) Close() error {
	err := w.bw.Flush()
	if w.gz != nil {
		err = errors.Join(err, w.gz.Close())
	}
	if w.closer != nil {
		err = errors.Join(err, w.closer.Close())
	}
	return err
}
