package stacks

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// outputsTable returns the output names in the first column of the
// "## Stack outputs" table, from README.md or the docs/ page that holds it.
func outputsTable(t *testing.T) (string, []string) {
	t.Helper()
	root := moduleRoot(t)
	files, _ := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	files = append([]string{filepath.Join(root, "README.md")}, files...)
	cell := regexp.MustCompile("`([A-Za-z0-9]+)`")
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		_, section, ok := strings.Cut(string(b), "\n## Stack outputs\n")
		if !ok {
			continue
		}
		if i := strings.Index(section, "\n## "); i >= 0 {
			section = section[:i]
		}
		var names []string
		for _, line := range strings.Split(section, "\n") {
			cols := strings.Split(line, "|")
			if len(cols) < 3 || strings.HasPrefix(strings.TrimSpace(cols[1]), "---") || strings.TrimSpace(cols[1]) == "output" {
				continue
			}
			for _, m := range cell.FindAllStringSubmatch(cols[1], -1) {
				names = append(names, m[1])
			}
		}
		return filepath.Base(f), names
	}
	t.Fatal(`no "## Stack outputs" section in README.md or docs/*.md`)
	return "", nil
}

// TestStackOutputsAreDocumented: every output the dev stack (with the
// webhook Slack mode) exports is in the stack outputs table, and every
// output the table names is exported by some sh.export call in stacks/.
func TestStackOutputsAreDocumented(t *testing.T) {
	file, documented := outputsTable(t)
	r, err := deploy(t, with(devConfig(t), "slackMode", "webhook", "slackWebhookUrl", testSlackWebhook))
	if err != nil {
		t.Fatal(err)
	}
	for k := range r.outputs {
		if !slices.Contains(documented, k) {
			t.Errorf("stack output %s is not in the stack outputs table of %s", k, file)
		}
	}
	src, _ := filepath.Glob("*.go")
	var code strings.Builder
	for _, f := range src {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		code.Write(b)
	}
	for _, k := range documented {
		if !strings.Contains(code.String(), `sh.export("`+k+`"`) {
			t.Errorf("%s documents stack output %s, which stacks/ never exports", file, k)
		}
	}
	if !slices.Contains(documented, "dashboardUrl") {
		t.Errorf("the table of %s lacks dashboardUrl", file)
	}
}
