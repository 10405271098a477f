package synth

import (
	"errors"
	"fmt"
	"io"

	"github.com/sessionlab/sessionlab/traffic/packet"
	"github.com/sessionlab/sessionlab/traffic/pcap"
)

// Write writes every remaining packet of g to w.
func Write(w *pcap.Writer, g *Generator) error {
	var p packet.Packet
	for {
		err := g.Next(&p)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if err := w.WritePacket(&p); err != nil {
			return err
		}
	}
}

// WriteFile generates opt's traffic into a capture file at path in the
// given format (gzip-compressed when the name ends in ".gz").
func WriteFile(path string, format pcap.Format, opt Options) (Stats, error) {
	g, err := New(opt)
	if err != nil {
		return Stats{}, err
	}
	w, err := pcap.Create(path, pcap.WriterOptions{Format: format, Link: packet.LinkEthernet})
	if err != nil {
		return Stats{}, err
	}
	err = Write(w, g)
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return g.Stats(), fmt.Errorf("synth: writing %s: %w", path, err)
	}
	if g.Stats().Packets == 0 {
		return g.Stats(), errors.New("synth: the options produce no packets")
	}
	return g.Stats(), nil
}
