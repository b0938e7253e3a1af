package docgen

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/athenaqueries"
)

// TestOperationsNamesWhatExists: the runbooks tell the person on call to
// run a saved query by name and to filter a function's log lines by their
// message; every saved query named ("saved query `name`") is one the
// program saves, and every message a Logs Insights query of
// docs/operations.md compares msg with is a message a function logs.
func TestOperationsNamesWhatExists(t *testing.T) {
	doc := strings.Join(strings.Fields(read(t, "docs/operations.md")), " ")
	saved := map[string]bool{}
	for _, q := range athenaqueries.All {
		saved[q.Name] = true
	}
	named := regexp.MustCompile("saved query `([^`]+)`").FindAllStringSubmatch(doc, -1)
	if len(named) == 0 {
		t.Fatal("docs/operations.md names no saved query")
	}
	for _, m := range named {
		if !saved[m[1]] {
			t.Errorf("docs/operations.md names the saved query %q, which the program does not save", m[1])
		}
	}
	var sources strings.Builder
	err := filepath.WalkDir(filepath.Join(root, "lambda"), func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return err
		}
		b, err := os.ReadFile(p)
		sources.Write(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	msgs := regexp.MustCompile(`msg !?= "([^"]+)"`).FindAllStringSubmatch(doc, -1)
	if len(msgs) == 0 {
		t.Fatal("docs/operations.md filters no log message")
	}
	for _, m := range msgs {
		if !strings.Contains(sources.String(), `"`+m[1]+`"`) {
			t.Errorf("docs/operations.md filters on the log message %q, which no function logs", m[1])
		}
	}
}
