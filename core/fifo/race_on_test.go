//go:build race

package fifo

const raceEnabled = true
