package stackfile

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestReadmeConfigTableMatchesPulumiYAML keeps the configuration reference
// of docs/configuration.md generated from Pulumi.yaml: `make docs` rewrites it, and this
// fails when the committed table is stale.
func TestReadmeConfigTableMatchesPulumiYAML(t *testing.T) {
	root := filepath.Join("..", "..")
	p, err := LoadProject(root)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Order) != len(p.Config) {
		t.Fatalf("declaration order has %d keys, config %d", len(p.Order), len(p.Config))
	}
	b, err := os.ReadFile(filepath.Join(root, ConfigDoc))
	if err != nil {
		t.Fatal(err)
	}
	want, err := ReplaceTable(string(b), ConfigTable(p, p.Order))
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != want {
		t.Error(ConfigDoc + "'s configuration table is stale: run `make docs`")
	}
	for _, key := range p.Order {
		if !strings.Contains(string(b), "| `"+key+"` |") {
			t.Errorf("%s lacks a row for %s", ConfigDoc, key)
		}
	}
}

// TestEveryKeyHasAnExample: each declared key appears in Pulumi.dev.yaml
// (set or in a comment) or in an example of README.md or docs/*.md.
func TestEveryKeyHasAnExample(t *testing.T) {
	root := filepath.Join("..", "..")
	p, err := LoadProject(root)
	if err != nil {
		t.Fatal(err)
	}
	dev, _ := os.ReadFile(filepath.Join(root, "Pulumi.dev.yaml"))
	readme, _ := os.ReadFile(filepath.Join(root, "README.md"))
	pages, _ := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	for _, p := range pages {
		b, _ := os.ReadFile(p)
		readme = append(readme, b...)
	}
	for _, key := range p.Order {
		full := p.Name + ":" + key
		if !strings.Contains(string(dev), full) && !strings.Contains(string(readme), full) {
			t.Errorf("no example for %s in Pulumi.dev.yaml, README.md or docs/*.md", full)
		}
	}
}
