// Package scenario is sessionlab's scenario model: the YAML files users
// write (or pick from the built-ins in scenarios/) to say what to
// configure, which traffic to offer, which knobs to sweep and which plots
// to draw.
//
// Data flows through it in one direction:
//
//	YAML text ──Decode (strict: unknown fields, wrong types → file:line:col)──> *Scenario
//	  ──--set overrides──> ──defaults──> ──validate (fields, startup.conf, rules, sweep)──>
//	*Scenario ──Resolve(i)──> *Resolved (one sweep point: scenario copy + *config.File + params)
//	  ──> the runner (sim/runner) ──> an engine (package sim) ──> results.Repetition
//
// Decoding walks goccy/go-yaml's AST against the Go types by reflection, so
// it can report every problem with its position and, for an unknown field,
// the closest valid name at that level; it records where each field path
// was written so later checks (validation, startup.conf errors inside a
// block scalar, rule lines, sweep values) point into the file too.
//
// A sweep is a grid over startup.conf parameters ("session.<keyword>",
// applied with core/config's own parser, as VPP reads them) and scenario
// fields ("traffic[0].synth.rate"); zipped axes advance together, the last
// group varies fastest (the arithmetic is results.Sweep's). --set overrides
// use the same paths. Every point is resolved once at load time, so a bad
// combination fails before a run starts, not in its middle.
//
// The types' doc comments are the reference: scenarios/schema.json (JSON
// Schema 2020-12 for editors) and the field table of docs/scenarios.md are
// generated from them (go test ./sim/scenario -run TestSchema -update).
//
// Nothing here is on a packet path: a scenario is loaded once per run, so
// the package favours clear errors over speed.
package scenario
