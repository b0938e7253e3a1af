package athenaqueries

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/flowlog"
)

var identRe = regexp.MustCompile(`[a-z_]+`)

// sqlWords are SQL keywords, functions and aliases the queries use.
var sqlWords = strings.Fields(`select from where and or as group by order desc limit in is not null like count sum
	day_of_week from_unixtime current_date year month day hour day_of_month total_bytes total_packets flows
	interface_id_ table window`)

// TestQueriesReadOnlyTheColumnsTheyDeclare: every column a query reads is in
// Needs, so Applicable never deploys a query that fails on a missing column.
func TestQueriesReadOnlyTheColumnsTheyDeclare(t *testing.T) {
	seen := map[string]bool{}
	for _, q := range All {
		if seen[q.Name] {
			t.Errorf("query name %q used twice", q.Name)
		}
		seen[q.Name] = true
		var cols []string
		for _, n := range q.Needs {
			f, ok := flowlog.Lookup(n)
			if !ok {
				t.Errorf("%s needs unknown field %q", q.Name, n)
				continue
			}
			cols = append(cols, f.Column())
		}
		sql := strings.ToLower(regexp.MustCompile(`'[^']*'`).ReplaceAllString(q.Render("db", "tbl"), ""))
		sql = strings.NewReplacer(`"db"."tbl"`, "").Replace(sql)
		for _, w := range identRe.FindAllString(sql, -1) {
			if slices.Contains(sqlWords, w) || slices.Contains(cols, w) {
				continue
			}
			if _, isField := flowlog.Lookup(strings.ReplaceAll(w, "_", "-")); isField {
				t.Errorf("%s reads column %s without declaring it in Needs", q.Name, w)
			}
		}
		if !strings.Contains(q.SQL, "{{window}}") {
			t.Errorf("%s scans every partition: it has no {{window}} predicate", q.Name)
		}
	}
	for _, mission := range []string{"rejected-tcp-by-source", "top-source-ports-10-0"} {
		if _, ok := ByName(mission); !ok {
			t.Errorf("mission query %s missing", mission)
		}
	}
}

func TestApplicableFollowsRecordedFields(t *testing.T) {
	if got := len(Applicable(flowlog.DefaultFields())); got != len(All) {
		t.Errorf("default fields allow %d of %d queries", got, len(All))
	}
	for _, q := range Applicable(flowlog.V2Fields()) {
		for _, n := range q.Needs {
			if f, _ := flowlog.Lookup(n); f.Version > 2 {
				t.Errorf("%s applies to v2 fields but needs %s", q.Name, n)
			}
		}
	}
}
