//go:build race

package cwlogs_test

// raceEnabled: the race detector makes sync.Pool drop items at random, so
// allocation counts that rely on a pool are not meaningful; `make unit`
// runs the allocation tests again without -race.
const raceEnabled = true
