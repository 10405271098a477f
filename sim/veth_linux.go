package sim

import (
	"errors"
	"fmt"

	"github.com/sessionlab/sessionlab/sim/scenario"
	"github.com/sessionlab/sessionlab/traffic/packet"
	"github.com/sessionlab/sessionlab/traffic/synth"
	"github.com/sessionlab/sessionlab/traffic/veth"
)

// vethStream receives frames at end B of a veth pair (live mode): every
// frame addressed to sessionlab is inbound; its timestamp is its arrival.
type vethStream struct {
	src  *veth.Source
	topo *veth.Topology
	base func() int64
}

func (v *vethStream) next(p *packet.Packet) (direction, error) {
	if err := v.src.Next(p); err != nil {
		return 0, err
	}
	p.Timestamp = v.base()
	if d, ok := flowDirection(p); ok {
		return d, nil
	}
	return inbound, nil
}

func (v *vethStream) close() error {
	return errors.Join(v.src.Close(), v.topo.Close())
}

// vethStream builds traffic[i]'s veth pair and source.
func (m *model) vethStream(i int, vs *scenario.VethSource) (stream, error) {
	path := fmt.Sprintf("traffic[%d].veth", i)
	if err := veth.CheckPrivileges(); err != nil {
		return nil, m.s.Errorf(path, "%v", err)
	}
	ring, err := veth.ParseRing(vs.Ring)
	if err != nil {
		return nil, m.s.Errorf(path+".ring", "%v", err)
	}
	tx, err := veth.ParseTx(vs.TX)
	if err != nil {
		return nil, m.s.Errorf(path+".tx", "%v", err)
	}
	var t *veth.Topology
	if vs.Topology != "" {
		t, err = veth.Open(veth.DefaultPrefix, vs.Topology)
	} else {
		t, err = veth.New(veth.Config{MTU: vs.MTU, AddrA: vs.SenderAddr, AddrB: vs.ReceiverAddr})
	}
	if err != nil {
		return nil, m.s.Errorf(path, "%v", err)
	}
	cfg := veth.SourceConfig{Topology: t, Ring: ring, Sender: veth.SenderConfig{TX: tx, Rate: vs.Rate}}
	a, b := t.End(veth.A), t.End(veth.B)
	switch f := vs.Frames; {
	case f.Generator != nil:
		g := f.Generator
		cfg.Gen = veth.GenConfig{Proto: g.Proto, FrameSize: g.FrameSize, Flows: g.Flows, Count: g.Count}
		if g.SYN {
			cfg.Gen.TCPFlags = veth.TCPSyn
		}
		cfg.Sender.Count = g.Count
	case f.Pcap != nil:
		ps, err := m.pcapStream(i, f.Pcap, loadPlan{factor: 1}, false)
		if err != nil {
			t.Close()
			return nil, err
		}
		cfg.Frames = veth.NewPacketFrames(ps.sch, [6]byte(a.MAC), [6]byte(b.MAC), t.MTU+14)
	case f.Synth != nil:
		o, err := synthOptions(i, f.Synth, 0, 1)
		if err != nil {
			t.Close()
			return nil, err
		}
		g, err := synth.New(o)
		if err != nil {
			t.Close()
			return nil, m.s.Errorf(path+".frames.synth", "%v", err)
		}
		cfg.Frames = veth.NewPacketFrames(g, [6]byte(a.MAC), [6]byte(b.MAC), t.MTU+14)
	}
	if vs.Reply {
		cfg.Responder = veth.NewReplier([6]byte(b.MAC), b.Addr.Addr())
	}
	if vs.Workers > 1 {
		m.warnings = append(m.warnings, fmt.Sprintf("%s.workers %d: the engine reads end B with one socket; the worker queues spread the frames", path, vs.Workers))
	}
	src, err := veth.NewSource(cfg)
	if err != nil {
		t.Close()
		return nil, m.s.Errorf(path, "%v", err)
	}
	return &vethStream{src: src, topo: t, base: m.wall}, nil
}
