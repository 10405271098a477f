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
		V4SessionBuckets:      bucketCount(s, config.V4Session),
		V4HalfOpenBuckets:     bucketCount(s, config.V4HalfOpen),
		V6SessionBuckets:      bucketCount(s, config.V6Session),
		V6HalfOpenBuckets:     bucketCount(s, config.V6HalfOpen),
		V4SessionMemory:       s.Memory(config.V4Session),
		V4HalfOpenMemory:      s.Memory(config.V4HalfOpen),
		V6SessionMemory:       s.Memory(config.V6Session),
		V6HalfOpenMemory:      s.Memory(config.V6HalfOpen),
		LocalEndpointsBuckets: bucketCount(s, config.LocalEndpoints),
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

// bucketCount is the table's bucket count as a uint32. A configured count
// above 2^31 (VPP reads the keyword with %d, so a negative number arrives as
// a huge unsigned one) rounds up to 2^32, which a uint32 cannot hold: it is
// saturated at 2^31 instead of wrapping to 0 (which would silently mean "the
// default"), so the table's creation fails with a clear memory error.
func bucketCount(s *config.Session, t config.Table) uint32 {
	return uint32(min(s.Buckets(t), 1<<31))
}
