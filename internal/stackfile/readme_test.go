package stackfile

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestReadmeConfigTableMatchesPulumiYAML keeps the README's configuration
// reference in step with Pulumi.yaml: every declared key has a row with its
// type, default and description, and the table lists no other key.
func TestReadmeConfigTableMatchesPulumiYAML(t *testing.T) {
	root := filepath.Join("..", "..")
	p, err := LoadProject(root)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	rows := map[string]string{}
	for _, line := range strings.Split(readme, "\n") {
		if strings.HasPrefix(line, "| `") {
			key := strings.SplitN(strings.TrimPrefix(line, "| `"), "`", 2)[0]
			if _, ok := p.Config[key]; ok && rows[key] == "" {
				rows[key] = line
			}
		}
	}
	for key, ck := range p.Config {
		typ := ck.Type
		if typ == "array" && ck.Items != nil {
			typ = "array<" + ck.Items.Type + ">"
		}
		def := ""
		switch d := ck.Default.(type) {
		case string:
			def = d
			if d == "" {
				def = `""`
			}
		default:
			j, _ := json.Marshal(d)
			def = string(j)
		}
		want := "| `" + key + "` | " + typ + " | `" + def + "` | " + ck.Description + " |"
		if rows[key] != want {
			t.Errorf("README row for %s\n got: %s\nwant: %s", key, rows[key], want)
		}
	}
}
