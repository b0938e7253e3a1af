package runbook

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestDescriptionEndsWithTheLink(t *testing.T) {
	d := Description("Invocations of f failed", IndexerErrors)
	if want := "Invocations of f failed Runbook: " + Base + "#indexer-errors"; d != want {
		t.Errorf("Description = %q, want %q", d, want)
	}
	text, link := Split(d)
	if text != "Invocations of f failed" || link != Link(IndexerErrors) {
		t.Errorf("Split(%q) = %q, %q", d, text, link)
	}
}

func TestLongDescriptionCutsTheTextNotTheLink(t *testing.T) {
	for _, text := range []string{
		strings.Repeat("x", 2000),
		strings.Repeat("é", 1000), // two bytes each
		strings.Repeat("x", MaxDescription-len(" Runbook: "+Link(RuleAlarm))+1),
	} {
		d := Description(text, RuleAlarm)
		if len(d) > MaxDescription {
			t.Errorf("%d bytes; CloudWatch accepts %d", len(d), MaxDescription)
		}
		if !utf8.ValidString(d) {
			t.Error("the cut split a character")
		}
		got, link := Split(d)
		if link != Link(RuleAlarm) {
			t.Errorf("link lost: %q", d)
		}
		if !strings.HasSuffix(got, Ellipsis) || !strings.HasPrefix(text, strings.TrimSuffix(got, Ellipsis)) {
			t.Errorf("cut text %q is not a marked prefix of the text", got)
		}
		if len(d) < MaxDescription-utf8.UTFMax {
			t.Errorf("cut to %d bytes, far below the limit", len(d))
		}
	}
	exact := strings.Repeat("x", MaxDescription-len(" Runbook: "+Link(RuleAlarm)))
	if d := Description(exact, RuleAlarm); len(d) != MaxDescription || strings.Contains(d, Ellipsis) {
		t.Errorf("a description that fits exactly was cut: %d bytes", len(d))
	}
}

func TestSplit(t *testing.T) {
	for _, tc := range []struct{ in, text, link string }{
		{"no link here", "no link here", ""},
		{"", "", ""},
		{"bare " + Link("a-b"), "bare", Link("a-b")},
		{"labelled Runbook: " + Link("a-b"), "labelled", Link("a-b")},
		// A link that something follows is not the description's runbook link.
		{"see " + Link("a") + " then more", "see " + Link("a") + " then more", ""},
		{"other https://example.com/#a", "other https://example.com/#a", ""},
	} {
		text, link := Split(tc.in)
		if text != tc.text || link != tc.link {
			t.Errorf("Split(%q) = %q, %q; want %q, %q", tc.in, text, link, tc.text, tc.link)
		}
	}
}

func TestHeadingAnchors(t *testing.T) {
	md := strings.Join([]string{
		"# Operations",
		"## Flow-log rule alarms",
		"### OpenSearch cluster status: red",
		"### `make replay` (dry run first)",
		"### The [replay tool](replay.md) and snake_case",
		"## Repeated",
		"## Repeated",
		"```sh",
		"# not a heading",
		"```",
		"#no-space is not a heading",
		"### Trailing hashes ###",
		"    # indented code, not a heading",
	}, "\n")
	got := HeadingAnchors(md)
	want := []string{"operations", "flow-log-rule-alarms", "opensearch-cluster-status-red", "make-replay-dry-run-first",
		"the-replay-tool-and-snake_case", "repeated", "repeated-1", "trailing-hashes"}
	for _, a := range want {
		if !got[a] {
			t.Errorf("anchor %q missing from %v", a, got)
		}
	}
	if len(got) != len(want) {
		t.Errorf("anchors %v, want exactly %v", got, want)
	}
}

// Every alarm section the program links to is a heading of
// docs/operations.md, including those of alarms the stacks test's
// configurations do not declare.
func TestEveryAnchorHasASection(t *testing.T) {
	md, err := os.ReadFile(filepath.Join("..", "..", "docs", "operations.md"))
	if err != nil {
		t.Fatal(err)
	}
	anchors := HeadingAnchors(string(md))
	seen := map[string]bool{}
	for _, a := range append(slices.Clone(All), SecurityAnalyticsFinding) {
		if seen[a] {
			t.Errorf("anchor %q listed twice", a)
		}
		seen[a] = true
		if !anchors[a] {
			t.Errorf("docs/operations.md has no heading with anchor %q", a)
		}
	}
	// The table of alarms at the top of the page lists every kind.
	table := Sections(string(md))["the-alarms"]
	for _, a := range All {
		if !strings.Contains(table, "(#"+a+")") {
			t.Errorf("docs/operations.md's table \"The alarms\" has no row linking to #%s", a)
		}
	}
}

func TestSections(t *testing.T) {
	md := "# Top\nintro\n## A\nabout a\n### A detail\ndeep\n## B\nabout b\n```\n## not b\n```\n"
	got := Sections(md)
	for anchor, want := range map[string]string{
		"top":      "intro\nabout a\ndeep\nabout b\n```\n## not b\n```\n",
		"a":        "about a\ndeep",
		"a-detail": "deep",
		"b":        "about b\n```\n## not b\n```\n",
	} {
		if got[anchor] != want {
			t.Errorf("section %q = %q, want %q", anchor, got[anchor], want)
		}
	}
	if len(got) != 4 {
		t.Errorf("sections %v", got)
	}
}

// The page's own links (](#anchor)) go to headings it has, so a renamed
// section cannot leave a dead cross-reference.
func TestOperationsPageLinksResolve(t *testing.T) {
	md, err := os.ReadFile(filepath.Join("..", "..", "docs", "operations.md"))
	if err != nil {
		t.Fatal(err)
	}
	anchors := HeadingAnchors(string(md))
	links := regexp.MustCompile(`\]\(#([^)]+)\)`).FindAllStringSubmatch(string(md), -1)
	if len(links) == 0 {
		t.Fatal("no in-page links found")
	}
	for _, l := range links {
		if !anchors[l[1]] {
			t.Errorf("link to #%s: no such heading", l[1])
		}
	}
}
