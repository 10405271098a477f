package packettest

import (
	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// ChecksumMismatches verifies the checksums of an Ethernet frame (IPv4
// header, TCP or UDP over IPv4 or IPv6) with gopacket, independently of
// packet.SetChecksums, and returns how many are wrong. The error is
// gopacket's when it cannot verify them.
func ChecksumMismatches(frame []byte) (int, error) {
	pk := gopacket.NewPacket(frame, layers.LinkTypeEthernet, gopacket.Default)
	switch l := pk.TransportLayer().(type) {
	case *layers.TCP:
		_ = l.SetNetworkLayerForChecksum(pk.NetworkLayer())
	case *layers.UDP:
		_ = l.SetNetworkLayerForChecksum(pk.NetworkLayer())
	}
	err, mismatches := pk.VerifyChecksums()
	return len(mismatches), err
}

// ChecksumsOK reports whether gopacket verifies every checksum of an
// Ethernet frame (see ChecksumMismatches).
func ChecksumsOK(frame []byte) bool {
	n, err := ChecksumMismatches(frame)
	return err == nil && n == 0
}
