package docgen

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

const root = "../.."

func read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, path))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestGeneratedBlocksAreFresh: every generated block of README.md and
// docs/*.md is what `make docs` would write now.
func TestGeneratedBlocksAreFresh(t *testing.T) {
	blocks, err := Generate(root)
	if err != nil {
		t.Fatal(err)
	}
	docs, err := blocks.Apply(root)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range blocks.Files() {
		if read(t, f) != docs[f] {
			t.Errorf("%s: a generated block is stale: run `make docs`", f)
		}
	}
}

// TestQuickStartPlans replays the README's quick start (its `pulumi stack
// init` and `pulumi config set` lines) into a scratch stack file and plans
// it offline: it must validate and break no rule.
func TestQuickStartPlans(t *testing.T) {
	s, seen := quickStart(t, read(t, "README.md"))
	for _, want := range []string{"pulumi login", "pulumi stack", "pulumi config", "pulumi up"} {
		if !strings.Contains(strings.Join(seen, "\n"), want) {
			t.Errorf("the quick start has no `%s`", want)
		}
	}
	if _, ok := s.Config["aws:region"]; !ok {
		t.Error("the quick start sets no aws:region: the aws provider needs one on a fresh account")
	}
	if slices.Contains(ShippedStacks, s.Stack) {
		t.Errorf("the quick start's stack %q has a stack file in the repository; it must start from nothing", s.Stack)
	}
	cfg, err := s.WriteAndLoad(root, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	p, err := Plan(s.Project, s.Stack, cfg)
	if err != nil {
		t.Fatalf("the quick start's stack does not plan: %v", err)
	}
	if err := p.Clean(); err != nil {
		t.Error(err)
	}
}

// TestShippedStacksAreListed: every Pulumi.<stack>.yaml of the repository
// (but one the quick start wrote in this clone) is in ShippedStacks.
func TestShippedStacksAreListed(t *testing.T) {
	s, _ := quickStart(t, read(t, "README.md"))
	files, err := filepath.Glob(filepath.Join(root, "Pulumi.*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range files {
		if stack := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(f), "Pulumi."), ".yaml"); stack != s.Stack {
			got = append(got, stack)
		}
	}
	if !slices.Equal(got, ShippedStacks) {
		t.Errorf("stack files %v, ShippedStacks %v", got, ShippedStacks)
	}
}

// TestQuickStartNamesThePinnedGo: the README names go.mod's release.
func TestQuickStartNamesThePinnedGo(t *testing.T) {
	m := regexp.MustCompile(`(?m)^go (\d+\.\d+\.\d+)$`).FindStringSubmatch(read(t, "go.mod"))
	if m == nil {
		t.Fatal("go.mod has no exact go line")
	}
	readme := read(t, "README.md")
	for _, want := range []string{"`go " + m[1] + "`", "GOTOOLCHAIN=go" + m[1]} {
		if !strings.Contains(readme, want) {
			t.Errorf("README.md does not name %s", want)
		}
	}
}

// TestLinksResolve: every relative link of README.md and docs/*.md names a
// file that exists, and every #anchor a heading of its target.
func TestLinksResolve(t *testing.T) {
	files, err := MarkdownFiles(root)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		broken, err := BrokenLinks(root, f)
		if err != nil {
			t.Fatal(err)
		}
		for _, b := range broken {
			t.Error(b)
		}
	}
}

// TestReadmeStaysShort: the README is the front door (what it deploys, the
// picture, the two commands, a quick start, links); the rest lives in docs/.
// Every line counts, the generated picture too.
func TestReadmeStaysShort(t *testing.T) {
	readme := read(t, "README.md")
	if n := strings.Count(readme, "\n"); n > 300 {
		t.Errorf("README.md has %d lines; keep it at 300 or fewer and move the rest to docs/", n)
	}
	if strings.Contains(readme, "<!-- org-diagram:begin") {
		t.Error("README.md carries the organization picture; it belongs in docs/organization.md")
	}
}
