// Package results is sessionlab's results model: the one versioned JSON
// document ("schema": "sessionlab.results/v1") that `run`, `sweep` and
// `search` write and that `report` and `compare` read.
//
// Data flows through it in one direction:
//
//	simulator / search ──fills──> *Document ──Save──> results.json
//	results.json ──Load (schema check, strict decode, Validate)──> *Document
//	*Document ──> WriteCSV, WriteBenchfmt, reports/plot, reports/html, reports/compare
//
// A Document holds the scenario (with its full YAML text) and its effective
// configuration, the environment the run happened in, the sweep (axes and,
// per point, every repetition's metrics, latency histograms, telemetry time
// series and drops by cause), an optional NDR/PDR search per point, warnings,
// and the plots the scenario asked for. docs/results.md documents every field:
// it is a public contract, and Validate enforces the rules written there, so a
// file that loads is a file every consumer can use without further checks.
//
// Metrics carry their own unit, direction (is higher better?) and kind. The
// kind decides how `compare` treats them: a [KindCount] is exact in simulated
// mode (two runs with the same seed must agree to the last unit), a
// [KindMeasurement] is noisy and compared statistically.
package results
