package main

import "testing"

func TestNextBatch(t *testing.T) {
	rec := func(sizes ...int) [][]byte {
		out := make([][]byte, len(sizes))
		for i, s := range sizes {
			out[i] = make([]byte, s)
		}
		return out
	}
	for _, tc := range []struct {
		name       string
		records    [][]byte
		maxRecords int
		maxBytes   int
		want       int
	}{
		{"empty", nil, 500, 100, 0},
		{"count bound", rec(1, 1, 1, 1), 3, 100, 3},
		{"byte bound", rec(40, 40, 40), 10, 100, 2},
		{"exact bytes", rec(50, 50, 1), 10, 100, 2},
		{"oversize first goes alone", rec(150, 1), 10, 100, 1},
		{"oversize later waits", rec(1, 150), 10, 100, 1},
		{"empty records", rec(0, 0, 0), 2, 100, 2},
	} {
		if got := nextBatch(tc.records, tc.maxRecords, tc.maxBytes); got != tc.want {
			t.Errorf("%s: %d, want %d", tc.name, got, tc.want)
		}
	}
}
