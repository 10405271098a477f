package afpacket

import (
	"bytes"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

// cmsgTimestamp encodes an SCM_TIMESTAMPNS control message.
func cmsgTimestamp(sec, nsec int64) []byte {
	b := make([]byte, unix.CmsgSpace(16))
	h := (*unix.Cmsghdr)(unsafe.Pointer(&b[0]))
	h.Level, h.Type = unix.SOL_SOCKET, unix.SCM_TIMESTAMPNS
	h.SetLen(unix.CmsgLen(16))
	ts := (*unix.Timespec)(unsafe.Pointer(&b[unix.CmsgLen(0)]))
	ts.Sec, ts.Nsec = sec, nsec
	return b
}

func cmsgOther() []byte {
	b := make([]byte, unix.CmsgSpace(4))
	h := (*unix.Cmsghdr)(unsafe.Pointer(&b[0]))
	h.Level, h.Type = unix.SOL_PACKET, unix.PACKET_AUXDATA
	h.SetLen(unix.CmsgLen(4))
	return b
}

func TestParseTimestampNS(t *testing.T) {
	tests := []struct {
		name string
		oob  []byte
		want int64
	}{
		{"alone", cmsgTimestamp(1700000000, 123), 1700000000*1e9 + 123},
		{"after another message", append(cmsgOther(), cmsgTimestamp(2, 3)...), 2e9 + 3},
		{"missing", cmsgOther(), 0},
		{"empty", nil, 0},
		{"truncated", cmsgTimestamp(1, 1)[:20], 0},
		{"length beyond buffer", func() []byte { b := cmsgTimestamp(1, 1); b[0] = 0xff; return b }(), 0},
		{"zero length", bytes.Repeat([]byte{0}, 32), 0},
	}
	for _, tt := range tests {
		if got := parseTimestampNS(tt.oob); got != tt.want {
			t.Errorf("%s: %d, want %d", tt.name, got, tt.want)
		}
	}
}

// FuzzTimestampCmsg checks the control-message walk never panics and agrees
// with x/sys/unix's parser wherever that one accepts the buffer.
func FuzzTimestampCmsg(f *testing.F) {
	f.Add(cmsgTimestamp(5, 6))
	f.Add(append(cmsgOther(), cmsgTimestamp(1, 2)...))
	f.Add([]byte{1, 2, 3})
	f.Fuzz(func(t *testing.T, oob []byte) {
		got := parseTimestampNS(oob)
		msgs, err := unix.ParseSocketControlMessage(oob)
		if err != nil {
			return
		}
		var want int64
		for _, m := range msgs {
			if m.Header.Level == unix.SOL_SOCKET && m.Header.Type == unix.SCM_TIMESTAMPNS && len(m.Data) >= 16 {
				ts := (*unix.Timespec)(unsafe.Pointer(&m.Data[0]))
				want = ts.Sec*1e9 + ts.Nsec
				break
			}
		}
		if got != want {
			t.Fatalf("parseTimestampNS = %d, x/sys/unix finds %d", got, want)
		}
	})
}
