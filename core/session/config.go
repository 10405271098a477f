package session

import "github.com/sessionlab/sessionlab/core/config"

// FromConfig converts the typed `session { }` stanza (core/config) and the
// worker count of the `cpu { }` stanza into the layer's Config, and returns
// the rules engine the stanza enables (EngineDisable when it does not).
// Table sizes are those the tables are built with (defaults for zeros,
// bucket counts rounded to powers of two); the worker queue length is
// max(2048, wrk-mq-length) unless the configuration allows small queues.
func FromConfig(s *config.Session, workers int) (Config, Engine) {
	c := Config{
		Workers:               workers,
		PreallocatedSessions:  s.PreallocatedSessions.Value,
		V4SessionBuckets:      s.ModelBuckets(config.V4Session),
		V4HalfOpenBuckets:     s.ModelBuckets(config.V4HalfOpen),
		V6SessionBuckets:      s.ModelBuckets(config.V6Session),
		V6HalfOpenBuckets:     s.ModelBuckets(config.V6HalfOpen),
		V4SessionMemory:       s.Memory(config.V4Session),
		V4HalfOpenMemory:      s.Memory(config.V4HalfOpen),
		V6SessionMemory:       s.Memory(config.V6Session),
		V6HalfOpenMemory:      s.Memory(config.V6HalfOpen),
		LocalEndpointsBuckets: s.ModelBuckets(config.LocalEndpoints),
		LocalEndpointsMemory:  s.Memory(config.LocalEndpoints),
		MinSrcPort:            s.MinSrcPort.Value,
		MaxSrcPort:            s.MaxSrcPort.Value,
		WrkMqLength:           s.WorkerMQLength(),
	}
	e := EngineDisable
	switch s.Engine.Value {
	case config.EngineRuleTable:
		e = EngineRuleTable
	case config.EngineSDL:
		e = EngineSDL
	}
	return c, e
}
