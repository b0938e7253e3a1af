package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/flowlog"
)

// fencedAfter returns the body of the first fenced code block after marker in doc.
func fencedAfter(t *testing.T, doc, marker string) string {
	t.Helper()
	i := strings.Index(doc, marker)
	if i < 0 {
		t.Fatalf("the document has no %q", marker)
	}
	rest := doc[i+len(marker):]
	a := strings.Index(rest, "```\n")
	if a < 0 {
		t.Fatalf("no code block after %q", marker)
	}
	rest = rest[a+4:]
	b := strings.Index(rest, "```\n")
	if b < 0 {
		t.Fatalf("unterminated code block after %q", marker)
	}
	return strings.TrimSuffix(rest[:b], "\n")
}

// TestDocsInsightsExample keeps the Logs Insights query docs/alarms.md shows
// equal to the one the function builds for the default format from the
// pattern the same page shows (generated from the dev stack by `make docs`).
func TestDocsInsightsExample(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "docs", "alarms.md"))
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	pattern := fencedAfter(t, doc, "<!-- BEGIN generated:default-pattern")
	want := BuildInsightsQuery(flowlog.DefaultFields(), pattern).Text
	if got := fencedAfter(t, doc, "<!-- checked: insights-example -->"); got != want {
		t.Errorf("docs/alarms.md's Logs Insights example is stale; the function builds:\n%s", want)
	}
}

// TestOperationsQueryParsesTheDefaultFormat keeps the first line of the
// Logs Insights query docs/operations.md shows for the default format equal
// to the parse clause built from the field catalog.
func TestOperationsQueryParsesTheDefaultFormat(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "docs", "operations.md"))
	if err != nil {
		t.Fatal(err)
	}
	query := fencedAfter(t, string(b), "<!-- checked: operations-parse -->")
	want, _, _ := strings.Cut(BuildInsightsQuery(flowlog.DefaultFields(), "").Text, "\n")
	if got, _, _ := strings.Cut(query, "\n"); got != want {
		t.Errorf("docs/operations.md's default-format query parses\n%s\nthe catalog gives\n%s", got, want)
	}
}
