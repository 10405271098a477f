package main

import (
	"github.com/sessionlab/sessionlab/sim"
	"github.com/sessionlab/sessionlab/sim/runner"
	"github.com/sessionlab/sessionlab/sim/scenario"
)

// The simulator is the engine behind run, sweep, search and compare --run:
// one sim.Engine serves both modes (the scenario's mode picks the clock),
// and it is safe for the concurrent points of --jobs.
func init() { installEngine() }

// installEngine sets the hooks run.go (engineFor) and compare.go
// (compareRunner) declare.
func installEngine() {
	eng := sim.NewEngine()
	engineFor = func(scenario.Mode) (runner.Engine, error) { return eng, nil }
	compareRunner = sim.CompareRunner(eng)
}
