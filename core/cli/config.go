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
	c, e := session.FromConfig(f.Session, f.Workers)
	// Unlike session.FromConfig, a bucket count that rounds up to 2^32
	// (which a uint32 cannot hold) boots with 2^31 buckets.
	b := f.Session.ModelBuckets
	c.V4SessionBuckets = b(config.V4Session)
	c.V4HalfOpenBuckets = b(config.V4HalfOpen)
	c.V6SessionBuckets = b(config.V6Session)
	c.V6HalfOpenBuckets = b(config.V6HalfOpen)
	c.LocalEndpointsBuckets = b(config.LocalEndpoints)
	return Options{Config: c, Engine: e}
}
