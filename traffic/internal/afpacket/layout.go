package afpacket

import (
	"encoding/binary"
	"fmt"
)

// Byte offsets of the kernel's ring structures (linux/if_packet.h). They are
// fixed by the ABI and identical on every 64- and 32-bit Linux architecture;
// fields are in host byte order, which NativeEndian reads with one load.
const (
	// struct tpacket_block_desc with its tpacket_hdr_v1 header.
	bdVersion    = 0
	bdStatus     = 8
	bdNumPkts    = 12
	bdFirstPkt   = 16
	bdBlockLen   = 20
	bdSeqNum     = 24
	blockDescLen = 48

	// struct tpacket3_hdr.
	h3NextOffset = 0
	h3Sec        = 4
	h3Nsec       = 8
	h3Snaplen    = 12
	h3Len        = 16
	h3Status     = 20
	h3Mac        = 24
	h3Net        = 26
	h3Size       = 48 // sizeof(struct tpacket3_hdr)

	// struct tpacket2_hdr.
	h2Status  = 0
	h2Len     = 4
	h2Snaplen = 8
	h2Mac     = 12
	h2Net     = 14
	h2Sec     = 16
	h2Nsec    = 20
	h2Size    = 32 // sizeof(struct tpacket2_hdr), already TPACKET_ALIGNed

	sockaddrLLLen = 20
	alignment     = 16 // TPACKET_ALIGNMENT: slot and header alignment
	v3Alignment   = 8  // V3_ALIGNMENT: frames inside a TPACKET_V3 block

	// txDataOffset is where frame data starts in a TPACKET_V2 transmit slot
	// when PACKET_TX_HAS_OFF is not set: TPACKET2_HDRLEN - sizeof(sockaddr_ll).
	txDataOffset = h2Size
)

// Kernel status bits (TP_STATUS_*) that the ring code reads or writes.
const (
	statusKernel      = 0
	statusUser        = 1 << 0
	statusCopy        = 1 << 1
	statusLosing      = 1 << 2
	statusCsumNotRdy  = 1 << 3
	statusVLANValid   = 1 << 4
	statusBlkTMO      = 1 << 5
	statusSendRequest = 1 << 0
	statusSending     = 1 << 1
	statusWrongFormat = 1 << 2
	statusAvailable   = 0
)

// Frame is one received frame. It is a small value: copying it copies the
// slice header, not the bytes.
type Frame struct {
	// Data is the captured frame, starting at the link-layer header. It
	// aliases ring memory (or the caller's buffer for Conn) and is valid until
	// the next receive call on the same socket.
	Data []byte
	// Timestamp is the kernel's receive time in nanoseconds since the Unix
	// epoch (CLOCK_REALTIME, taken when the frame was queued to the socket).
	Timestamp int64
	// Len is the frame's length on the wire; Len > len(Data) means the frame
	// was truncated to the ring's slot or the snap length.
	Len uint32
	// Status holds the kernel's per-frame TP_STATUS_* bits (checksum and VLAN
	// validity, TP_STATUS_LOSING when the kernel dropped frames before this
	// one). Zero for Conn.
	Status uint32
}

// Losing reports whether the kernel had to drop frames for this socket since
// the previous statistics read (TP_STATUS_LOSING).
func (f *Frame) Losing() bool { return f.Status&statusLosing != 0 }

// BlockError describes a TPACKET_V3 block whose header or frame headers do
// not describe a valid layout. The kernel never produces one; seeing it means
// the ring memory is shared with something else or the ABI changed.
type BlockError struct {
	Block  int    // block index in the ring (-1 when parsing a lone block)
	Packet int    // frame index inside the block (-1 for the block header)
	Offset int    // byte offset inside the block of the offending field
	Reason string // what is wrong
}

// Error names the block, the frame and the byte offset.
func (e *BlockError) Error() string {
	if e.Packet < 0 {
		return fmt.Sprintf("afpacket: ring block %d: header at offset %d: %s", e.Block, e.Offset, e.Reason)
	}
	return fmt.Sprintf("afpacket: ring block %d: frame %d at offset %d: %s", e.Block, e.Packet, e.Offset, e.Reason)
}

// blockWalker walks the frames of one retired TPACKET_V3 block. Everything it
// reads is bounds-checked against the block, so a corrupt block yields a
// *BlockError, never a panic or a read outside the block.
type blockWalker struct {
	blk   []byte
	off   uint32 // offset of the current tpacket3_hdr
	step  uint32 // its tp_next_offset, applied when the next frame is asked for
	left  uint32 // frames not yet returned
	index int    // frames already returned
	block int    // block number, for errors
}

// reset starts walking blk (one whole ring block). It checks the block
// header; frame headers are checked as they are reached.
func (w *blockWalker) reset(blk []byte, block int) error {
	*w = blockWalker{blk: blk, block: block}
	if len(blk) < blockDescLen {
		return &BlockError{Block: block, Packet: -1, Offset: 0, Reason: fmt.Sprintf("block of %d bytes is shorter than its %d-byte descriptor", len(blk), blockDescLen)}
	}
	n := binary.NativeEndian.Uint32(blk[bdNumPkts:])
	blen := binary.NativeEndian.Uint32(blk[bdBlockLen:])
	first := binary.NativeEndian.Uint32(blk[bdFirstPkt:])
	if uint64(blen) > uint64(len(blk)) {
		return &BlockError{Block: block, Packet: -1, Offset: bdBlockLen, Reason: fmt.Sprintf("blk_len %d exceeds block size %d", blen, len(blk))}
	}
	if n > 0 && (first < blockDescLen || uint64(first)+h3Size > uint64(blen)) {
		return &BlockError{Block: block, Packet: -1, Offset: bdFirstPkt, Reason: fmt.Sprintf("offset_to_first_pkt %d outside [%d, blk_len %d)", first, blockDescLen, blen)}
	}
	w.blk = blk[:blen]
	w.left, w.off = n, first
	return nil
}

// next returns the next frame of the block. ok is false when the block is
// exhausted or corrupt; err says which.
func (w *blockWalker) next() (f Frame, ok bool, err error) {
	if w.left == 0 {
		return Frame{}, false, nil
	}
	off := uint64(w.off)
	if w.index > 0 {
		// tp_next_offset of the previous frame: at least a header, and
		// V3_ALIGNMENT-aligned (the kernel rounds every frame up to 8).
		if w.step < h3Size || w.step%v3Alignment != 0 {
			return Frame{}, false, w.err(int(off)+h3NextOffset, fmt.Sprintf("previous frame's tp_next_offset %d with %d frames left", w.step, w.left))
		}
		off += uint64(w.step)
	}
	if off+h3Size > uint64(len(w.blk)) {
		return Frame{}, false, w.err(int(off), fmt.Sprintf("frame header beyond blk_len %d", len(w.blk)))
	}
	h := w.blk[off : off+h3Size : off+h3Size]
	mac := uint64(binary.NativeEndian.Uint16(h[h3Mac:]))
	snap := uint64(binary.NativeEndian.Uint32(h[h3Snaplen:]))
	if mac < h3Size || off+mac+snap > uint64(len(w.blk)) {
		return Frame{}, false, w.err(int(off), fmt.Sprintf("tp_mac %d + tp_snaplen %d outside blk_len %d", mac, snap, len(w.blk)))
	}
	f = Frame{
		Data:      w.blk[off+mac : off+mac+snap : off+mac+snap],
		Timestamp: int64(binary.NativeEndian.Uint32(h[h3Sec:]))*1e9 + int64(binary.NativeEndian.Uint32(h[h3Nsec:])),
		Len:       binary.NativeEndian.Uint32(h[h3Len:]),
		Status:    binary.NativeEndian.Uint32(h[h3Status:]),
	}
	w.off = uint32(off)
	w.step = binary.NativeEndian.Uint32(h[h3NextOffset:])
	w.left--
	w.index++
	return f, true, nil
}

func (w *blockWalker) err(off int, reason string) error {
	w.left = 0
	return &BlockError{Block: w.block, Packet: w.index, Offset: off, Reason: reason}
}

// parseSlotV2 reads the frame in one TPACKET_V2 receive slot whose status
// says TP_STATUS_USER.
func parseSlotV2(slot []byte) (Frame, error) {
	if len(slot) < h2Size {
		return Frame{}, fmt.Errorf("afpacket: ring slot of %d bytes is shorter than its %d-byte header", len(slot), h2Size)
	}
	mac := uint64(binary.NativeEndian.Uint16(slot[h2Mac:]))
	snap := uint64(binary.NativeEndian.Uint32(slot[h2Snaplen:]))
	if mac < h2Size || mac+snap > uint64(len(slot)) {
		return Frame{}, fmt.Errorf("afpacket: ring slot: tp_mac %d + tp_snaplen %d outside the %d-byte slot", mac, snap, len(slot))
	}
	return Frame{
		Data:      slot[mac : mac+snap : mac+snap],
		Timestamp: int64(binary.NativeEndian.Uint32(slot[h2Sec:]))*1e9 + int64(binary.NativeEndian.Uint32(slot[h2Nsec:])),
		Len:       binary.NativeEndian.Uint32(slot[h2Len:]),
		Status:    binary.NativeEndian.Uint32(slot[h2Status:]),
	}, nil
}
