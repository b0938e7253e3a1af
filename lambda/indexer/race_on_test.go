//go:build race

package main

// raceEnabled: the race detector adds its own allocations and makes
// sync.Pool drop items at random, so a heap measured under it is not the
// function's; `make unit` runs the peak-heap tests again without -race.
const raceEnabled = true
