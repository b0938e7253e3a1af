//go:build !race

package cwlogs_test

const raceEnabled = false
