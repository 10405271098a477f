package cli

import (
	"github.com/sessionlab/sessionlab/core/config"
	"github.com/sessionlab/sessionlab/core/session"
)

// FromConfig converts a parsed startup.conf into the Options that boot the
// layer from it, as VPP boots from its `-c startup.conf`: worker threads
// (cpu stanza), table buckets and memory, preallocated sessions, the
// ephemeral port range, the worker queue length, and the engine `enable`
// asks for (the layer starts disabled without it).
func FromConfig(f *config.File) Options {
	s := f.Session
	b := func(t config.Table) uint32 { return uint32(min(s.Buckets(t), 1<<31)) }
	c := session.Config{
		Workers:               f.Workers,
		PreallocatedSessions:  s.PreallocatedSessions.Value,
		V4SessionBuckets:      b(config.V4Session),
		V4HalfOpenBuckets:     b(config.V4HalfOpen),
		V6SessionBuckets:      b(config.V6Session),
		V6HalfOpenBuckets:     b(config.V6HalfOpen),
		V4SessionMemory:       s.Memory(config.V4Session),
		V4HalfOpenMemory:      s.Memory(config.V4HalfOpen),
		V6SessionMemory:       s.Memory(config.V6Session),
		V6HalfOpenMemory:      s.Memory(config.V6HalfOpen),
		LocalEndpointsBuckets: b(config.LocalEndpoints),
		LocalEndpointsMemory:  s.Memory(config.LocalEndpoints),
		MinSrcPort:            s.MinSrcPort.Value,
		MaxSrcPort:            s.MaxSrcPort.Value,
		WrkMqLength:           s.WorkerMQLength(),
	}
	o := Options{Config: c}
	switch s.Engine.Value {
	case config.EngineRuleTable:
		o.Engine = session.EngineRuleTable
	case config.EngineSDL:
		o.Engine = session.EngineSDL
	}
	return o
}
