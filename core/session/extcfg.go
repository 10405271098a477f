package session

import "encoding/binary"

// ExtCfgType is the type of an extended endpoint config (VPP's
// transport_endpt_ext_cfg_type_t).
type ExtCfgType uint16

// Extended endpoint config types, with VPP's values.
const (
	ExtCfgNone   ExtCfgType = 0 // an opaque value
	ExtCfgCrypto ExtCfgType = 1 // TLS: certificate/key pair, ALPN, engine
	ExtCfgHTTP   ExtCfgType = 2 // HTTP: timeouts and flags
)

// ExtCfg is one extended endpoint config: its type and len bytes of data,
// whose layout belongs to the transport that reads it (VPP's
// transport_endpt_ext_cfg_t). Opaque and CkpairIndex read the first word of
// the data, where VPP's union puts the opaque value and the crypto config's
// ckpair_index.
type ExtCfg struct {
	Type ExtCfgType
	Data []byte
}

// Opaque returns the config's opaque value (the first 4 bytes of its data,
// little-endian as VPP's union lays them out), 0 if it has fewer.
func (c *ExtCfg) Opaque() uint32 {
	if len(c.Data) < 4 {
		return 0
	}
	return binary.LittleEndian.Uint32(c.Data)
}

// SetOpaque sets the opaque value (the data must hold 4 bytes).
func (c *ExtCfg) SetOpaque(v uint32) { binary.LittleEndian.PutUint32(c.Data[:4], v) }

// CkpairIndex and SetCkpairIndex are the crypto config's certificate/key pair
// index, the first field of VPP's transport_endpt_crypto_cfg_t.
func (c *ExtCfg) CkpairIndex() uint32 { return c.Opaque() }

// SetCkpairIndex sets the crypto config's certificate/key pair index.
func (c *ExtCfg) SetCkpairIndex(v uint32) { c.SetOpaque(v) }

// ExtCfgs are the extended configs of a listen or connect (VPP's
// session_endpoint_cfg_t.ext_cfgs), handed to the transport.
type ExtCfgs struct {
	cfgs []*ExtCfg
}

// Add appends a config of type t with n zeroed bytes of data and returns it
// for filling in (session_endpoint_add_ext_cfg). The pointer stays valid
// across later adds.
func (e *ExtCfgs) Add(t ExtCfgType, n int) *ExtCfg {
	c := &ExtCfg{Type: t, Data: make([]byte, max(n, 0))}
	e.cfgs = append(e.cfgs, c)
	return c
}

// Get returns the first config of type t, or nil
// (session_endpoint_get_ext_cfg).
func (e *ExtCfgs) Get(t ExtCfgType) *ExtCfg {
	for _, c := range e.cfgs {
		if c.Type == t {
			return c
		}
	}
	return nil
}

// Len returns the number of configs.
func (e *ExtCfgs) Len() int { return len(e.cfgs) }

// Free drops every config (session_endpoint_free_ext_cfgs).
func (e *ExtCfgs) Free() { e.cfgs = nil }

// ExtCfgTransport is a Transport that takes the extended configs of listens
// and connects, as VPP's TLS, HTTP and QUIC transports read theirs from the
// endpoint. The layer calls SetExtCfgs with the session's handle just before
// the Listen or Connect that creates it, when there are any.
type ExtCfgTransport interface {
	Transport
	SetExtCfgs(h Handle, ext *ExtCfgs)
}

// passExtCfgs hands ext to tp if it takes extended configs.
func passExtCfgs(tp Transport, h Handle, ext *ExtCfgs) {
	if ext.Len() == 0 {
		return
	}
	if et, ok := tp.(ExtCfgTransport); ok {
		et.SetExtCfgs(h, ext)
	}
}
