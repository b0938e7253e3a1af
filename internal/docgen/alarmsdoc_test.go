package docgen

import (
	"regexp"
	"strings"
	"testing"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/filterpattern"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/flowlog"
)

// TestRawPatternExamplesFitTheDefaultFormat: every space-delimited example
// of docs/alarms.md's "Raw patterns" section names the fields where the
// default format records them: each counts a default-format record of a
// REJECTed flow from 10.0.0.155 (and the v2-only record, a prefix of it),
// and none counts the ACCEPTed one. An example written for the 14 v2
// fields, with action second to last, counts nothing on the default.
func TestRawPatternExamplesFitTheDefaultFormat(t *testing.T) {
	doc := read(t, "docs/alarms.md")
	i := strings.Index(doc, "\n## Raw patterns")
	j := strings.Index(doc[i+1:], "\n## ")
	if i < 0 || j < 0 {
		t.Fatal("docs/alarms.md has no Raw patterns section")
	}
	section := doc[i : i+1+j]
	line := func(fields []flowlog.Field, action string) string {
		vals := make([]string, len(fields))
		for k, f := range fields {
			switch f.Column() {
			case "srcaddr":
				vals[k] = "10.0.0.155"
			case "action":
				vals[k] = action
			case "version":
				vals[k] = "5"
			default:
				vals[k] = "-"
			}
		}
		return strings.Join(vals, " ")
	}
	n := 0
	for _, m := range regexp.MustCompile("`(\\[[^`]*[a-z][^`]*\\])`").FindAllStringSubmatch(section, -1) {
		p, err := filterpattern.Parse(m[1])
		if err != nil {
			t.Errorf("%s: %v", m[1], err)
			continue
		}
		if !strings.Contains(m[1], "REJECT") {
			continue
		}
		n++
		for _, fields := range [][]flowlog.Field{flowlog.DefaultFields(), flowlog.V2Fields()} {
			if rec := line(fields, "REJECT"); !p.Match(rec) {
				t.Errorf("%s does not count the %d-field record %q", m[1], len(fields), rec)
			}
			if rec := line(fields, "ACCEPT"); p.Match(rec) {
				t.Errorf("%s counts the ACCEPTed %d-field record %q", m[1], len(fields), rec)
			}
		}
	}
	if n == 0 {
		t.Fatal("no space-delimited REJECT example found")
	}
}
