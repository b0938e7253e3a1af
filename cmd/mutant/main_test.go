package main

import (
	"strings"
	"testing"
)

const src = "package p\n\nfunc f(a, b int) bool {\n\tswitch {\n\tcase a < b:\n\t\treturn a-b >= 0 && b != 1\n\t}\n\treturn false\n}\n"

func TestMutate(t *testing.T) {
	for _, tc := range []struct {
		line, col int
		mutator   string
		want      string // the mutated line
	}{
		{5, 9, "CONDITIONALS_BOUNDARY", "\tcase a <= b:"},
		{5, 9, "CONDITIONALS_NEGATION", "\tcase a >= b:"},
		{6, 11, "ARITHMETIC_BASE", "\t\treturn a+b >= 0 && b != 1"},
		{6, 11, "INVERT_NEGATIVES", "\t\treturn a+b >= 0 && b != 1"},
		{6, 14, "CONDITIONALS_NEGATION", "\t\treturn a-b < 0 && b != 1"},
		{6, 19, "INVERT_LOGICAL", "\t\treturn a-b >= 0 || b != 1"},
		{6, 24, "CONDITIONALS_NEGATION", "\t\treturn a-b >= 0 && b == 1"},
	} {
		got, err := Mutate([]byte(src), tc.line, tc.col, tc.mutator)
		if err != nil {
			t.Errorf("Mutate %d:%d %s: %v", tc.line, tc.col, tc.mutator, err)
			continue
		}
		lines := strings.Split(string(got), "\n")
		if lines[tc.line-1] != tc.want {
			t.Errorf("Mutate %d:%d %s: line %q, want %q", tc.line, tc.col, tc.mutator, lines[tc.line-1], tc.want)
		}
		lines[tc.line-1] = strings.Split(src, "\n")[tc.line-1]
		if strings.Join(lines, "\n") != src {
			t.Errorf("Mutate %d:%d %s changed another line:\n%s", tc.line, tc.col, tc.mutator, got)
		}
	}
	for _, bad := range []struct {
		line, col int
		mutator   string
	}{
		{5, 8, "CONDITIONALS_BOUNDARY"},  // "a": not an operator
		{6, 24, "CONDITIONALS_BOUNDARY"}, // "!=" has no boundary
		{5, 9, "NO_SUCH_MUTATOR"},
		{99, 1, "ARITHMETIC_BASE"},
	} {
		if got, err := Mutate([]byte(src), bad.line, bad.col, bad.mutator); err == nil {
			t.Errorf("Mutate %d:%d %s = %q, want an error", bad.line, bad.col, bad.mutator, got)
		}
	}
}

func TestParseMutant(t *testing.T) {
	f, l, c, err := parseMutant("internal/flowlog/record.go:145:19")
	if err != nil || f != "internal/flowlog/record.go" || l != 145 || c != 19 {
		t.Errorf("parseMutant = %q %d %d %v", f, l, c, err)
	}
	for _, bad := range []string{"record.go", "record.go:1", "record.go:x:1", "record.go:1:y"} {
		if _, _, _, err := parseMutant(bad); err == nil {
			t.Errorf("parseMutant(%q): no error", bad)
		}
	}
}
