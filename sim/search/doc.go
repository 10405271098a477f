// Package search finds the throughput of a system under test the way FD.io
// CSIT does for VPP: a Multiple Loss Ratio search (MLRsearch, IETF
// draft-ietf-bmwg-mlrsearch) for several goals at once — NDR (no loss) and
// PDR (a small loss ratio) by default — and measures latency at fractions of
// the result.
//
// The algorithm is pure: it never reads a clock, draws no random numbers and
// does no I/O. It asks a [Measurer] for trials (offer this load for this
// long, report offered and received counts) and decides from their results
// alone, so a deterministic measurer — the simulator with a seed — gives the
// same trial sequence and the same bounds on every run.
//
// Data flows through it in one direction:
//
//	Config (goals, min/max load, budget) ──newGrid──> loads on a logarithmic integer grid
//	  ──initial phase (max load, then the corrected max receive rate)──> first trials
//	  ──selectors (one per goal: coarse targets first, strategies in priority order)──>
//	  the lowest nominated load ──Measurer.Measure──> Trial ──database (per load)──>
//	  classification per target (lower bound / upper bound / undecided) ──> relevant bounds
//	  ──> ... until every goal's final bounds are within its width, or the budget is spent
//	  ──> Result (bounds, conditional throughput, every trial)
//
// Around the algorithm, [EngineMeasurer] runs trials on a runner.Engine (the
// simulator or the live engine), and [RunScenario] searches every point of a
// scenario's sweep and assembles one results document with each point's
// search and its latency at fractions of the found PDR.
//
// Loads live on an integer grid: index i stands for MinLoad·e^(i·unit), the
// unit chosen so that a goal's width is a whole number of steps. Interval
// widths, bisection and expansion are then exact integer arithmetic — a
// bisected interval is never a rounding error wider than its goal, and a
// doubled width halves back to exactly where it was — which is why the search
// is reproducible to the bit, not only to the last printed digit.
//
// docs/search.md explains the method, every parameter and how it maps to
// CSIT's MLRsearch, with a worked example.
package search
