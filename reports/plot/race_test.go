//go:build race

package plot_test

// raceEnabled: under the race detector rasterising is about ten times
// slower, so tests that render everything twice check determinism on a
// subset (the full check runs in every normal `go test`).
const raceEnabled = true
