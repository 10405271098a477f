//go:build race

package msgq

const raceEnabled = true
