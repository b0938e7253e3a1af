// Package docgen keeps the numbers and examples in README.md and docs/*.md
// generated from the code: marked blocks (<!-- BEGIN generated:NAME ... -->
// ... <!-- END generated:NAME -->) that `make docs` (cmd/docgen) rewrites and
// a test compares with a fresh rendering. It also holds the checks that keep
// the documentation honest: every relative link and #anchor resolves, and the
// README's quick start plans with 0 rule violations.
package docgen

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Begin and End return the markers around the generated block name.
func Begin(name string) string {
	return "<!-- BEGIN generated:" + name + " (by `make docs`; do not edit) -->"
}

// End returns the closing marker of the generated block name.
func End(name string) string { return "<!-- END generated:" + name + " -->" }

// Replace returns doc with the text between the markers of block name
// replaced by content (which ends in a newline).
func Replace(doc, name, content string) (string, error) {
	b, e := Begin(name), End(name)
	i := strings.Index(doc, b)
	j := strings.Index(doc, e)
	if i < 0 || j < i {
		return "", fmt.Errorf("lacks the markers %q ... %q", b, e)
	}
	if strings.Count(doc, b) != 1 || strings.Count(doc, e) != 1 {
		return "", fmt.Errorf("has the markers of block %q more than once", name)
	}
	return doc[:i+len(b)] + "\n" + content + doc[j:], nil
}

// Blocks maps a file (relative to the module root) to its generated blocks
// by name.
type Blocks map[string]map[string]string

// Files returns the files, sorted.
func (bs Blocks) Files() []string {
	var out []string
	for f := range bs {
		out = append(out, f)
	}
	sort.Strings(out)
	return out
}

// Apply renders every block into its file under root and returns the new
// contents by file, without writing.
func (bs Blocks) Apply(root string) (map[string]string, error) {
	out := map[string]string{}
	for _, f := range bs.Files() {
		b, err := os.ReadFile(filepath.Join(root, f))
		if err != nil {
			return nil, err
		}
		doc := string(b)
		var names []string
		for n := range bs[f] {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			if doc, err = Replace(doc, n, bs[f][n]); err != nil {
				return nil, fmt.Errorf("%s %w", f, err)
			}
		}
		out[f] = doc
	}
	return out, nil
}
