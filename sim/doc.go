// Package sim is sessionlab's engine: it runs one repetition of one
// scenario point against a real session layer (core/session) and returns
// its measurements. The runner (sim/runner) calls it for every point and
// repetition of a sweep; `sessionlab run`, `sweep`, `search` and `compare
// --run` all go through it.
//
// # Data flow of one packet
//
//	source (pcap replay, synth generator, veth) ── packet.Packet, decoded in place
//	  ──> classify: inbound (towards the local side) or not; fib of its interface
//	  ──> dispatcher: symmetric 5-tuple hash → worker (both directions of a flow
//	      land on the same worker)
//	  ──> the worker's bounded event queue (wrk-mq-length; full → queue_full drop)
//	  ──> worker step (a batch of up to BatchSize packets): for each packet the
//	      transport shim (sim/internal/shim) looks the 5-tuple up in VPP's order
//	      (established, half-open, rules, listeners) and turns it into the
//	      layer's transport notifications (accept, connected, enqueue in order
//	      or at an out-of-order offset, closing, reset, closed, delete)
//	  ──> settle: every thread's control events and application event delivery
//	      (Layer.Poll), the shim's deferred answers to the layer's transport
//	      calls, the application models (sim/internal/apps) reading, writing,
//	      connecting and closing, until nothing moves
//	  ──> recorder (sim/internal/metrics): counters, drops by cause, HDR
//	      histograms of packet, session-setup and fifo latency, telemetry
//
// # Two clocks, one model
//
// The same model (model.go) runs under both clocks; only when its steps run
// and what "now" is differ.
//
// Simulated (simulate.go): a discrete-event loop on a virtual clock.
// Packets arrive at the timestamps their source schedules; a worker step
// lasts what the cost model (sim/internal/cost) charges for the operations
// it performed — lookups, inserts and splits, accepts, enqueues and
// dequeues per byte, events, application callbacks — so queueing, drops
// and latency follow from the configuration and the load. Everything runs
// on one goroutine in a fixed order (ties broken by a fixed agent order),
// so the same seed gives the same results bit for bit: every count, every
// virtual-time latency, every series. The costs are built in (identical on
// every machine), calibrated on this machine at start (sim.calibrate), or
// given by the scenario (sim.costs); results say which.
//
// Live (live.go): real goroutines on the wall clock — one per source
// (paced by traffic/pcap's Pacer; veth sources arrive on their own), one
// per worker, and a control goroutine for timers and telemetry. The session
// layer is single-threaded, so every step holds one mutex; a step takes a
// whole batch, which keeps the lock's cost to nanoseconds per packet
// (BenchmarkWorkerLock measures it).
//
// # The end of a repetition
//
// When the traffic ends the model is drained: every transport connection
// is reset as if its peer went away, the applications close what they hold
// and detach, and the layer runs to quiescence. Then core/session's leak
// check must find nothing: a leaked session is a count metric
// (sessions_leaked) and a warning. docs/sim.md lists every metric.
package sim
