// Package pcap reads and writes capture files and replays them on a
// schedule: the file side of sessionlab's traffic sources.
//
// Data flows through three stages that can be used apart:
//
//   - Reader turns a pcap or pcapng file (gzip-compressed or not) into
//     frames and, through Next, into decoded packet.Packets. It reuses one
//     buffer: the bytes of a packet are valid until the next call, nothing is
//     allocated per packet, and a bad record is an *Error naming the packet
//     number and byte offset (or, with Options.SkipBad, skipped and counted).
//   - Scheduler wraps any packet.Source (a Reader, a synthetic generator) and
//     rewrites each packet's Timestamp to the time it is due under a Timing:
//     the capture's own timing, a multiplier, a packet or bit rate, or top
//     speed; it loops the source and rewrites addresses per loop so flows
//     multiply. Scheduling is pure arithmetic: the simulator uses these
//     timestamps as virtual time.
//   - Pacer makes a live process wait on the wall clock until each scheduled
//     timestamp is due (sleep while far, spin when near, release at once when
//     behind); Replay strings Scheduler and Pacer together and reports the
//     requested and the achieved rate.
//
// Writer writes pcap (nanosecond or microsecond) and pcapng files.
package pcap

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"os"
	"strconv"

	"github.com/sessionlab/sessionlab/traffic/packet"
)

// Format is a capture file format.
type Format uint8

// Capture file formats.
const (
	FormatPcap Format = iota
	FormatPcapng
)

// String returns "pcap" or "pcapng".
func (f Format) String() string {
	if f == FormatPcapng {
		return "pcapng"
	}
	return "pcap"
}

// ParseFormat parses "pcap" or "pcapng".
func ParseFormat(s string) (Format, error) {
	switch s {
	case "pcap":
		return FormatPcap, nil
	case "pcapng":
		return FormatPcapng, nil
	}
	return 0, fmt.Errorf("pcap: unknown format %q (want pcap or pcapng)", s)
}

// DefaultMaxPacket is the largest record Options.MaxPacket allows by
// default: libpcap's largest snapshot length.
const DefaultMaxPacket = 262144

// Options tune a Reader. The zero value is ready to use.
type Options struct {
	// SkipBad skips bad records and undecodable packets instead of
	// returning an error, counting them in Stats. A record whose length
	// fields are corrupt is resynchronised by scanning forward for the next
	// plausible record (see docs/traffic.md for what can be recovered).
	SkipBad bool `yaml:"skip_bad"`
	// MaxPacket is the largest captured length accepted; a longer record
	// is corrupt. Zero means DefaultMaxPacket or the file's snaplen,
	// whichever is larger.
	MaxPacket int `yaml:"max_packet"`
}

// Stats count what a Reader has read.
type Stats struct {
	Packets    uint64 // packets returned
	Bytes      uint64 // captured bytes of the packets returned
	WireBytes  uint64 // wire length of the packets returned
	BadRecords uint64 // records or blocks skipped as corrupt (SkipBad)
	BadPackets uint64 // packets skipped because they did not decode (SkipBad)
	Resyncs    uint64 // times the reader scanned forward to find a record
	Skipped    uint64 // bytes skipped while resynchronising
}

// Error is a problem with a capture file: where it is (the packet number,
// counting records from 1 as Wireshark numbers frames, and the byte offset
// of the record in the decompressed stream) and what it is. Err, when set,
// is the underlying error (a *packet.DecodeError for a frame that does not
// decode, an I/O error).
type Error struct {
	Packet int64 // 0 for problems before the first record (the file header)
	Offset int64
	Reason string
	Err    error
}

// Error formats the error as
// "pcap: packet 1234 at offset 567890: truncated record: want 1514 bytes, have 200".
func (e *Error) Error() string {
	s := "pcap: "
	if e.Packet > 0 {
		s += "packet " + strconv.FormatInt(e.Packet, 10) + " "
	}
	s += "at offset " + strconv.FormatInt(e.Offset, 10) + ": " + e.Reason
	if e.Err != nil {
		if e.Reason != "" {
			s += ": "
		}
		s += e.Err.Error()
	}
	return s
}

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

// Frame is one raw record: its bytes and capture metadata. Data aliases the
// Reader's buffer and is valid until the next read.
type Frame struct {
	Data      []byte
	Timestamp int64 // ns since the Unix epoch
	WireLen   uint32
	Interface uint16 // pcapng interface id (0 for pcap)
	Link      packet.LinkType
}

// iface is a pcapng interface: its link type and how to turn its
// timestamps into nanoseconds.
type iface struct {
	link    packet.LinkType
	snaplen uint32
	// ns = ts*mul/div, or for binary resolutions (ts*1e9)>>shift; plus
	// offset seconds.
	mul, div uint64
	shift    uint
	binary   bool
	offset   int64
}

func (f *iface) nanos(ts uint64) int64 {
	var ns uint64
	switch {
	case f.binary:
		hi, lo := bits.Mul64(ts, 1e9)
		if f.shift == 0 {
			ns = lo
		} else {
			ns = hi<<(64-f.shift) | lo>>f.shift
		}
	case f.div > 1:
		ns = ts / f.div
	default:
		ns = ts * f.mul
	}
	return int64(ns) + f.offset*1e9
}

// Reader reads pcap and pcapng files. It is not safe for concurrent use.
type Reader struct {
	opt    Options
	raw    io.Reader // the file as given
	src    io.Reader // raw, or a gzip reader over it
	gz     *gzip.Reader
	closer io.Closer

	buf      []byte
	r, w     int
	off      int64 // stream offset of buf[r]
	eof      bool
	ioErr    error
	sticky   error // a fatal error every later read returns
	index    int64 // records read so far
	format   Format
	be       bool // file byte order is big-endian
	gzipped  bool
	stats    Stats
	firstBad *Error // the first problem SkipBad skipped
	frame    Frame
	lastTS   int64
	maxPkt   int
	maxBlock int

	// pcap
	nano     bool
	modified bool // Kuznetzov's modified pcap: 24-byte record headers
	snaplen  uint32
	link     packet.LinkType
	fcs      uint32 // FCS bytes at the end of every frame

	// pcapng
	ifaces []iface
}

// Buffer sizes: a file is read in 1 MiB chunks (the read syscall is then a
// few per thousand packets); an arbitrary stream starts at 64 KiB. Either
// grows to fit the largest record.
const (
	fileBufSize   = 1 << 20
	streamBufSize = 64 << 10
)

// Open opens a capture file. The Reader closes it on Close.
func Open(path string, opt Options) (*Reader, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	r, err := newReader(f, opt, fileBufSize)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	r.closer = f
	return r, nil
}

// NewReader reads the file header from rd (pcap, pcapng, or either
// gzip-compressed: the format is recognised by its magic number).
func NewReader(rd io.Reader, opt Options) (*Reader, error) {
	return newReader(rd, opt, streamBufSize)
}

func newReader(rd io.Reader, opt Options, size int) (*Reader, error) {
	r := &Reader{opt: opt, raw: rd, src: rd, buf: make([]byte, size)}
	if err := r.start(); err != nil {
		return nil, err
	}
	return r, nil
}

// start detects the format and reads the first header.
func (r *Reader) start() error {
	if r.fill(4) >= 2 && r.buf[r.r] == 0x1f && r.buf[r.r+1] == 0x8b {
		pre := append([]byte(nil), r.buf[r.r:r.w]...)
		mr := io.MultiReader(bytes.NewReader(pre), r.raw)
		var err error
		if r.gz == nil {
			r.gz, err = gzip.NewReader(mr)
		} else {
			err = r.gz.Reset(mr)
		}
		if err != nil {
			return &Error{Reason: "gzip header", Err: err}
		}
		r.gzipped = true
		r.src = r.gz
		r.r, r.w, r.eof, r.ioErr = 0, 0, false, nil
	}
	n := r.fill(4)
	if n < 4 {
		if r.ioErr != nil {
			return &Error{Reason: "reading file header", Err: r.ioErr}
		}
		return &Error{Reason: fmt.Sprintf("file too short for a capture header: %d bytes", n)}
	}
	magic := binary.BigEndian.Uint32(r.buf[r.r:])
	switch magic {
	case 0xa1b2c3d4, 0xd4c3b2a1, 0xa1b23c4d, 0x4d3cb2a1, 0xa1b2cd34, 0x34cdb2a1:
		r.format = FormatPcap
		return r.pcapHeader()
	case 0x0a0d0d0a:
		r.format = FormatPcapng
		return r.ngFirstSection()
	}
	return &Error{Reason: fmt.Sprintf("unknown magic 0x%08x: not a pcap or pcapng file", magic)}
}

// Format returns the file's format.
func (r *Reader) Format() Format { return r.format }

// Compressed reports whether the file is gzip-compressed.
func (r *Reader) Compressed() bool { return r.gzipped }

// LinkType returns the link type of a pcap file, or of the first interface
// of a pcapng file (packets carry their own in Packet.Link).
func (r *Reader) LinkType() packet.LinkType {
	if r.format == FormatPcapng && len(r.ifaces) > 0 {
		return r.ifaces[0].link
	}
	return r.link
}

// Snaplen returns the pcap snapshot length (the first interface's for pcapng).
func (r *Reader) Snaplen() uint32 {
	if r.format == FormatPcapng && len(r.ifaces) > 0 {
		return r.ifaces[0].snaplen
	}
	return r.snaplen
}

// Nanosecond reports whether a pcap file has nanosecond timestamps.
func (r *Reader) Nanosecond() bool { return r.nano }

// Stats returns the counts so far (cumulative across Rewind).
func (r *Reader) Stats() Stats { return r.stats }

// Close closes the file if the Reader opened it.
func (r *Reader) Close() error {
	if r.closer != nil {
		return r.closer.Close()
	}
	return nil
}

// Rewind restarts reading from the beginning of the file. The underlying
// reader must be an io.Seeker (a file is). Stats keep counting.
func (r *Reader) Rewind() error {
	s, ok := r.raw.(io.Seeker)
	if !ok {
		return errors.New("pcap: cannot rewind: the input is not seekable")
	}
	if _, err := s.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("pcap: rewind: %w", err)
	}
	r.src = r.raw
	r.r, r.w, r.off, r.eof, r.ioErr, r.sticky, r.index, r.lastTS = 0, 0, 0, false, nil, nil, 0, 0
	r.ifaces = r.ifaces[:0]
	r.gzipped = false
	return r.start()
}

// fill makes at least n bytes available at buf[r:] unless the input ends
// first, and returns how many are available. The common case, bytes
// already buffered, is one comparison and inlines.
func (r *Reader) fill(n int) int {
	if r.w-r.r >= n {
		return n
	}
	return r.fillSlow(n)
}

func (r *Reader) fillSlow(n int) int {
	if n > len(r.buf) {
		nb := make([]byte, max(n, 2*len(r.buf)))
		r.w = copy(nb, r.buf[r.r:r.w])
		r.r = 0
		r.buf = nb
	} else if r.r > 0 && n > len(r.buf)-r.r {
		r.w = copy(r.buf, r.buf[r.r:r.w])
		r.r = 0
	}
	for empty := 0; r.w-r.r < n && !r.eof; {
		m, err := r.src.Read(r.buf[r.w:])
		r.w += m
		switch {
		case err != nil:
			r.eof = true
			if err != io.EOF {
				r.ioErr = err
			}
		case m == 0:
			if empty++; empty > 100 {
				r.eof, r.ioErr = true, io.ErrNoProgress
			}
		default:
			empty = 0
		}
	}
	return min(n, r.w-r.r)
}

// advance consumes n buffered bytes.
func (r *Reader) advance(n int) {
	r.r += n
	r.off += int64(n)
}

// skip consumes n bytes that may not all be buffered, without buffering
// them; it returns how many it could skip before the input ended.
func (r *Reader) skip(n int64) int64 {
	var done int64
	for done < n {
		avail := r.fill(int(min(n-done, int64(len(r.buf)))))
		if avail == 0 {
			break
		}
		r.advance(avail)
		done += int64(avail)
	}
	return done
}

func (r *Reader) u16(b []byte) uint16 {
	if r.be {
		return binary.BigEndian.Uint16(b)
	}
	return binary.LittleEndian.Uint16(b)
}

func (r *Reader) u32(b []byte) uint32 {
	if r.be {
		return binary.BigEndian.Uint32(b)
	}
	return binary.LittleEndian.Uint32(b)
}

// errAt builds a record error at the current record.
func (r *Reader) errAt(off int64, reason string, err error) *Error {
	return &Error{Packet: r.index, Offset: off, Reason: reason, Err: err}
}

// truncated reports the end of input inside a record or block: an I/O
// error if there was one, otherwise a truncation.
func (r *Reader) truncated(off int64, what string, want, have int) *Error {
	if r.ioErr != nil {
		return r.errAt(off, "reading "+what, r.ioErr)
	}
	return r.errAt(off, fmt.Sprintf("truncated %s: want %d bytes, have %d", what, want, have), nil)
}

// ReadFrame reads the next record. It returns io.EOF after the last one.
// f.Data aliases the Reader's buffer until the next call.
func (r *Reader) ReadFrame(f *Frame) error {
	if r.sticky != nil {
		return r.sticky
	}
	for {
		var err error
		if r.format == FormatPcap {
			err = r.nextPcap(f)
		} else {
			err = r.nextNg(f)
		}
		if err == nil || err == io.EOF {
			return err
		}
		// The bad record has been consumed or the reader resynchronised
		// past it; with SkipBad, go on unless the input itself failed.
		var e *Error
		if !r.opt.SkipBad || !errors.As(err, &e) || r.ioErr != nil {
			r.sticky = err
			return err
		}
		r.stats.BadRecords++
		r.noteBad(e)
	}
}

// noteBad keeps the first problem skipped under SkipBad, so a summary can say
// where a damaged file first went wrong, not only how often.
func (r *Reader) noteBad(e *Error) {
	if r.firstBad == nil {
		r.firstBad = e
	}
}

// FirstBad returns the first bad record or undecodable packet that SkipBad
// skipped (nil if none): its packet number, offset and reason.
func (r *Reader) FirstBad() *Error { return r.firstBad }

// Next reads and decodes the next packet into *p: Reader is a
// packet.Source. A packet that does not decode is an *Error wrapping the
// *packet.DecodeError; reading may go on after it (call Next again), or with
// SkipBad it is skipped and counted. p.Data and p.Payload alias the
// Reader's buffer until the next call.
func (r *Reader) Next(p *packet.Packet) error {
	for {
		off := r.off
		if err := r.ReadFrame(&r.frame); err != nil {
			return err
		}
		p.Timestamp, p.WireLen, p.Interface = r.frame.Timestamp, r.frame.WireLen, r.frame.Interface
		err := packet.Decode(r.frame.Data, r.frame.Link, p)
		if err == nil {
			return nil
		}
		r.stats.Packets--
		r.stats.Bytes -= uint64(len(r.frame.Data))
		r.stats.WireBytes -= uint64(r.frame.WireLen)
		if !r.opt.SkipBad {
			return &Error{Packet: r.index, Offset: off, Reason: "decode", Err: err}
		}
		r.stats.BadPackets++
		if r.firstBad == nil {
			r.noteBad(&Error{Packet: r.index, Offset: off, Reason: "decode", Err: err})
		}
	}
}

// count records a packet returned by ReadFrame.
func (r *Reader) count(f *Frame) {
	r.stats.Packets++
	r.stats.Bytes += uint64(len(f.Data))
	r.stats.WireBytes += uint64(f.WireLen)
	r.lastTS = f.Timestamp
}

// ---- pcap ----

func (r *Reader) pcapHeader() error {
	if n := r.fill(24); n < 24 {
		return r.truncatedHeader("pcap file header", 24, n)
	}
	h := r.buf[r.r : r.r+24]
	switch binary.BigEndian.Uint32(h) {
	case 0xa1b2c3d4:
		r.be = true
	case 0xd4c3b2a1:
	case 0xa1b23c4d:
		r.be, r.nano = true, true
	case 0x4d3cb2a1:
		r.nano = true
	case 0xa1b2cd34:
		r.be, r.modified = true, true
	case 0x34cdb2a1:
		r.modified = true
	}
	if major := r.u16(h[4:6]); major != 2 {
		return &Error{Offset: 4, Reason: fmt.Sprintf("unsupported pcap version %d.%d", major, r.u16(h[6:8]))}
	}
	r.snaplen = r.u32(h[16:20])
	network := r.u32(h[20:24])
	r.link = packet.LinkType(network & 0xffff)
	// Bits 26-31 of the link type field: an F bit and the FCS length in
	// 16-bit words (pcap file format draft, "LinkType and additional
	// information").
	if network&(1<<26) != 0 {
		r.fcs = (network >> 28) * 2
	}
	r.maxPkt = r.opt.MaxPacket
	if r.maxPkt <= 0 {
		r.maxPkt = max(DefaultMaxPacket, int(min(r.snaplen, 1<<24)))
	}
	r.advance(24)
	return nil
}

func (r *Reader) truncatedHeader(what string, want, have int) error {
	if r.ioErr != nil {
		return &Error{Offset: r.off, Reason: "reading " + what, Err: r.ioErr}
	}
	return &Error{Offset: r.off, Reason: fmt.Sprintf("truncated %s: want %d bytes, have %d", what, want, have)}
}

// nextPcap reads one pcap record. On a bad record with SkipBad it leaves the
// reader positioned after a resynchronisation.
func (r *Reader) nextPcap(f *Frame) error {
	hl := 16
	if r.modified {
		hl = 24
	}
	start := r.off
	if n := r.fill(hl); n < hl {
		if n == 0 {
			if r.ioErr != nil {
				return r.errAt(start, "reading record header", r.ioErr)
			}
			return io.EOF
		}
		r.index++
		e := r.truncated(start, "record header", hl, n)
		r.advance(n)
		return e
	}
	r.index++
	h := r.buf[r.r : r.r+hl]
	sec, frac, incl, orig := r.u32(h[0:4]), r.u32(h[4:8]), r.u32(h[8:12]), r.u32(h[12:16])
	if incl > uint32(r.maxPkt) {
		e := r.errAt(start, fmt.Sprintf("captured length %d exceeds the limit %d", incl, r.maxPkt), nil)
		r.resyncPcap(start)
		return e
	}
	total := hl + int(incl)
	if n := r.fill(total); n < total {
		e := r.truncated(start, "record", total, n)
		r.advance(n)
		return e
	}
	data := r.buf[r.r+hl : r.r+total]
	ts := int64(sec) * 1e9
	if r.nano {
		ts += int64(frac)
	} else {
		ts += int64(frac) * 1e3
	}
	if r.fcs > 0 && incl == orig && incl >= r.fcs {
		data = data[:len(data)-int(r.fcs)]
		orig -= r.fcs
	}
	r.advance(total)
	*f = Frame{Data: data, Timestamp: ts, WireLen: max(orig, uint32(len(data))), Link: r.link}
	r.count(f)
	return nil
}

// plausiblePcap reports whether h looks like a pcap record header: lengths
// within limits and a timestamp within a day of the last good one.
func (r *Reader) plausiblePcap(h []byte) bool {
	sec, frac, incl, orig := r.u32(h[0:4]), r.u32(h[4:8]), r.u32(h[8:12]), r.u32(h[12:16])
	fracMax := uint32(1e6)
	if r.nano {
		fracMax = 1e9
	}
	if incl > uint32(r.maxPkt) || orig < incl || orig > 1<<18 || frac >= fracMax {
		return false
	}
	if r.lastTS != 0 {
		d := int64(sec) - r.lastTS/1e9
		if d < -86400 || d > 86400 {
			return false
		}
	}
	return true
}

// resyncPcap scans forward from one byte after start for a record header
// that is plausible and followed by another plausible header (or by the
// exact end of the input), and positions the reader there.
func (r *Reader) resyncPcap(start int64) {
	hl := 16
	if r.modified {
		hl = 24
	}
	r.stats.Resyncs++
	r.advance(1)
	skipped := int64(1)
	for {
		if r.fill(hl) < hl {
			skipped += r.skip(int64(r.w - r.r))
			r.stats.Skipped += uint64(skipped)
			return
		}
		h := r.buf[r.r : r.r+hl]
		if r.plausiblePcap(h) {
			total := hl + int(r.u32(h[8:12]))
			n := r.fill(total + hl)
			if n == total || (n >= total+hl && r.plausiblePcap(r.buf[r.r+total:r.r+total+hl])) {
				r.stats.Skipped += uint64(skipped)
				return
			}
		}
		r.advance(1)
		skipped++
	}
}

// ---- pcapng ----

const (
	blockSHB = 0x0a0d0d0a
	blockIDB = 1
	blockPB  = 2 // obsolete packet block
	blockSPB = 3
	blockEPB = 6
)

// ngFirstSection reads the first section header. Its byte order mark
// decides how every later field is read.
func (r *Reader) ngFirstSection() error {
	r.maxPkt = r.opt.MaxPacket
	if r.maxPkt <= 0 {
		r.maxPkt = DefaultMaxPacket
	}
	r.maxBlock = r.maxPkt + 1<<16
	if n := r.fill(12); n < 12 {
		return r.truncatedHeader("pcapng section header", 12, n)
	}
	if err := r.ngSection(); err != nil {
		var e *Error
		if errors.As(err, &e) {
			e.Packet = 0
		}
		return err
	}
	// Read the interface descriptions that follow, so LinkType and Snaplen
	// answer before the first packet. A bad one is left for nextNg, which
	// reports (or, with SkipBad, skips) it like any other bad block.
	for r.fill(12) == 12 && r.u32(r.buf[r.r:r.r+4]) == blockIDB {
		n := int(r.u32(r.buf[r.r+4 : r.r+8]))
		if n < 20 || n%4 != 0 || n > 1<<20 || r.fill(n) < n || int(r.u32(r.buf[r.r+n-4:r.r+n])) != n {
			break
		}
		start := r.off
		if r.ngInterface(start, r.buf[r.r:r.r+n]) != nil {
			break
		}
		r.advance(n)
	}
	return nil
}

// ngSection reads a section header block at the current position.
func (r *Reader) ngSection() error {
	start := r.off
	// Errors name the number the next packet would have.
	bad := func(off int64, reason string) error { return &Error{Packet: r.index + 1, Offset: off, Reason: reason} }
	h := r.buf[r.r : r.r+12]
	be := false
	switch bom := binary.BigEndian.Uint32(h[8:12]); bom {
	case 0x1a2b3c4d:
		be = true
	case 0x4d3c2b1a:
	default:
		return bad(start+8, fmt.Sprintf("bad byte-order magic 0x%08x in section header", bom))
	}
	saved := r.be
	r.be = be
	n := r.u32(h[4:8])
	var err error
	switch {
	case n < 28 || n%4 != 0 || n > 1<<20:
		err = bad(start+4, fmt.Sprintf("bad section header length %d", n))
	case r.fill(int(n)) < int(n):
		err = r.truncatedNg(start, "section header", int(n), r.fill(int(n)))
	default:
		b := r.buf[r.r : r.r+int(n)]
		if tail := r.u32(b[n-4:]); tail != n {
			err = bad(start+int64(n)-4, fmt.Sprintf("trailing block length %d differs from leading %d", tail, n))
		} else if major := r.u16(b[12:14]); major != 1 {
			err = bad(start+12, fmt.Sprintf("unsupported pcapng version %d.%d", major, r.u16(b[14:16])))
		}
	}
	if err != nil {
		r.be = saved // a rejected section does not change how the rest is read
		return err
	}
	r.ifaces = r.ifaces[:0]
	r.advance(int(n))
	return nil
}

// ngInterface parses an interface description block body.
func (r *Reader) ngInterface(start int64, b []byte) error {
	bad := func(reason string) error { return &Error{Packet: r.index + 1, Offset: start, Reason: reason} }
	if len(b) < 20 {
		return bad(fmt.Sprintf("interface description block too short: %d bytes", len(b)))
	}
	f := iface{link: packet.LinkType(r.u16(b[8:10])), snaplen: r.u32(b[12:16]), mul: 1000} // default: microseconds
	opts := b[16 : len(b)-4]
	for len(opts) >= 4 {
		code, olen := r.u16(opts[0:2]), int(r.u16(opts[2:4]))
		if code == 0 {
			break
		}
		padded := (olen + 3) &^ 3
		if 4+padded > len(opts) {
			return bad(fmt.Sprintf("interface option %d overruns its block", code))
		}
		v := opts[4 : 4+olen]
		switch {
		case code == 9 && olen == 1: // if_tsresol
			res := v[0]
			k := uint(res & 0x7f)
			if res&0x80 != 0 {
				if k > 63 {
					return bad(fmt.Sprintf("timestamp resolution 2^-%d out of range", k))
				}
				f.binary, f.shift = true, k
			} else {
				if k > 19 {
					return bad(fmt.Sprintf("timestamp resolution 10^-%d out of range", k))
				}
				f.mul, f.div = 1, 1
				if k <= 9 {
					f.mul = pow10(9 - k)
				} else {
					f.div = pow10(k - 9)
				}
			}
		case code == 14 && olen == 8: // if_tsoffset, seconds
			f.offset = int64(r.u32(v[0:4]))<<32 | int64(r.u32(v[4:8]))
			if !r.be {
				f.offset = int64(binary.LittleEndian.Uint64(v))
			}
		}
		opts = opts[4+padded:]
	}
	r.ifaces = append(r.ifaces, f)
	return nil
}

func pow10(k uint) uint64 {
	p := uint64(1)
	for ; k > 0; k-- {
		p *= 10
	}
	return p
}

// nextNg reads blocks until one holds a packet. Packet numbers count
// packet blocks only, as Wireshark's frame numbers do; an error in any block
// names the number the next packet would have.
func (r *Reader) nextNg(f *Frame) error {
	for {
		start := r.off
		bad := func(off int64, reason string) *Error {
			return &Error{Packet: r.index + 1, Offset: off, Reason: reason}
		}
		n := r.fill(12)
		if n == 0 {
			if r.ioErr != nil {
				return &Error{Packet: r.index + 1, Offset: start, Reason: "reading block header", Err: r.ioErr}
			}
			return io.EOF
		}
		if n < 12 {
			e := r.truncatedNg(start, "block header", 12, n)
			r.advance(n)
			return e
		}
		h := r.buf[r.r : r.r+12]
		typ := r.u32(h[0:4])
		if typ == blockSHB {
			if err := r.ngSection(); err != nil {
				r.resyncNg(start)
				return err
			}
			continue
		}
		blen := r.u32(h[4:8])
		if blen < 12 || blen%4 != 0 {
			e := bad(start+4, fmt.Sprintf("bad block length %d (block type %d)", blen, typ))
			r.resyncNg(start)
			return e
		}
		isPacket := typ == blockEPB || typ == blockSPB || typ == blockPB
		if !isPacket && typ != blockIDB {
			// Name resolution, statistics, decryption secrets, custom
			// blocks: skip without buffering, then check the trailer.
			if blen > 1<<30 {
				e := bad(start+4, fmt.Sprintf("block length %d too large (block type %d)", blen, typ))
				r.resyncNg(start)
				return e
			}
			if got := r.skip(int64(blen) - 4); got < int64(blen)-4 {
				return r.truncatedNg(start, "block", int(blen), int(got))
			}
			if have := r.fill(4); have < 4 {
				e := r.truncatedNg(start, "block", int(blen), int(blen)-4+have)
				r.advance(have)
				return e
			}
			if tail := r.u32(r.buf[r.r : r.r+4]); tail != blen {
				e := bad(start+int64(blen)-4, fmt.Sprintf("trailing block length %d differs from leading %d", tail, blen))
				r.resyncNg(start)
				return e
			}
			r.advance(4)
			continue
		}
		if int(blen) > r.maxBlock {
			e := bad(start+4, fmt.Sprintf("block length %d exceeds the limit %d (block type %d)", blen, r.maxBlock, typ))
			r.resyncNg(start)
			return e
		}
		if have := r.fill(int(blen)); have < int(blen) {
			e := r.truncatedNg(start, "block", int(blen), have)
			r.advance(have)
			if isPacket {
				r.index++
			}
			return e
		}
		b := r.buf[r.r : r.r+int(blen)]
		if tail := r.u32(b[blen-4:]); tail != blen {
			e := bad(start+int64(blen)-4, fmt.Sprintf("trailing block length %d differs from leading %d", tail, blen))
			r.resyncNg(start)
			return e
		}
		if typ == blockIDB {
			err := r.ngInterface(start, b)
			r.advance(int(blen))
			if err != nil {
				// The interface is lost; keep its slot so later interface
				// ids still line up, and let its packets fail to decode.
				r.ifaces = append(r.ifaces, iface{link: 0xffff, mul: 1000})
				return err
			}
			continue
		}
		r.index++
		err := r.ngPacket(start, typ, b, f)
		r.advance(int(blen))
		if err != nil {
			return err
		}
		r.count(f)
		return nil
	}
}

// truncatedNg reports the end of input inside a pcapng block.
func (r *Reader) truncatedNg(off int64, what string, want, have int) *Error {
	e := r.truncated(off, what, want, have)
	e.Packet = r.index + 1
	return e
}

// ngPacket decodes an enhanced, simple or obsolete packet block.
func (r *Reader) ngPacket(start int64, typ uint32, b []byte, f *Frame) error {
	var ifc, caplen, wire uint32
	var ts uint64
	var data []byte
	switch typ {
	case blockEPB, blockPB:
		if len(b) < 32 {
			return r.errAt(start, fmt.Sprintf("packet block too short: %d bytes", len(b)), nil)
		}
		if typ == blockEPB {
			ifc = r.u32(b[8:12])
		} else {
			ifc = uint32(r.u16(b[8:10]))
		}
		ts = uint64(r.u32(b[12:16]))<<32 | uint64(r.u32(b[16:20]))
		caplen, wire = r.u32(b[20:24]), r.u32(b[24:28])
		if caplen > uint32(len(b)-32) {
			return r.errAt(start, fmt.Sprintf("captured length %d overruns its %d-byte block", caplen, len(b)), nil)
		}
		data = b[28 : 28+caplen]
	case blockSPB:
		if len(r.ifaces) == 0 {
			return r.errAt(start, "simple packet block before any interface description", nil)
		}
		if len(b) < 16 {
			return r.errAt(start, fmt.Sprintf("simple packet block too short: %d bytes", len(b)), nil)
		}
		wire = r.u32(b[8:12])
		caplen = min(wire, uint32(len(b)-16))
		if s := r.ifaces[0].snaplen; s != 0 {
			caplen = min(caplen, s)
		}
		data = b[12 : 12+caplen]
	}
	if int(ifc) >= len(r.ifaces) {
		return r.errAt(start, fmt.Sprintf("interface %d not described (%d interfaces)", ifc, len(r.ifaces)), nil)
	}
	if caplen > uint32(r.maxPkt) {
		return r.errAt(start, fmt.Sprintf("captured length %d exceeds the limit %d", caplen, r.maxPkt), nil)
	}
	in := &r.ifaces[ifc]
	t := r.lastTS // a simple packet block has no timestamp: it inherits the previous one
	if typ != blockSPB {
		t = in.nanos(ts)
	}
	*f = Frame{Data: data, Timestamp: t, WireLen: max(wire, caplen), Interface: uint16(ifc), Link: in.link}
	return nil
}

// resyncNg scans forward from one byte after start for a block whose type is
// known, whose length is sane and whose trailing length copy matches, and
// positions the reader there.
func (r *Reader) resyncNg(start int64) {
	r.stats.Resyncs++
	skipped := int64(0)
	if r.off == start && r.w > r.r {
		r.advance(1)
		skipped = 1
	}
	for {
		if r.fill(12) < 12 {
			skipped += r.skip(int64(r.w - r.r))
			r.stats.Skipped += uint64(skipped)
			return
		}
		h := r.buf[r.r : r.r+12]
		typ, blen := r.u32(h[0:4]), r.u32(h[4:8])
		be := r.be
		if typ == blockSHB { // a new section brings its own byte order
			switch binary.BigEndian.Uint32(h[8:12]) {
			case 0x1a2b3c4d:
				be = true
			case 0x4d3c2b1a:
				be = false
			}
			if be {
				blen = binary.BigEndian.Uint32(h[4:8])
			} else {
				blen = binary.LittleEndian.Uint32(h[4:8])
			}
		}
		known := typ == blockIDB || typ == blockEPB || typ == blockSPB || typ == blockPB || typ == 4 || typ == 5 || typ == blockSHB
		if known && blen >= 12 && blen%4 == 0 && int(blen) <= r.maxBlock && r.fill(int(blen)) == int(blen) {
			tail := r.buf[r.r+int(blen)-4 : r.r+int(blen)]
			t := binary.LittleEndian.Uint32(tail)
			if be {
				t = binary.BigEndian.Uint32(tail)
			}
			if t == blen {
				r.stats.Skipped += uint64(skipped)
				return
			}
		}
		r.advance(1)
		skipped++
	}
}
