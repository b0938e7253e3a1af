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
	interface_id_ table window datehour date_format current_timestamp interval`)

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

// TestWindowComparesTheStringPartition: the partition column is a string
// (a date-projected column), so every query bounds it with a string in the
// projection's format; comparing it with a number (year = year(current_date))
// fails in Athena.
func TestWindowComparesTheStringPartition(t *testing.T) {
	want := "datehour >= date_format(current_timestamp - interval '24' hour, 'year=%Y/month=%m/day=%d/hour=%H')"
	if Window != want {
		t.Errorf("Window = %q, want %q", Window, want)
	}
	num := regexp.MustCompile(`\b(year|month|day|hour)\s*(=|<|>)`)
	for _, q := range All {
		sql := q.Render("db", "tbl")
		if !strings.Contains(sql, want) {
			t.Errorf("%s does not bound the partitions: %s", q.Name, sql)
		}
		if m := num.FindString(regexp.MustCompile(`'[^']*'`).ReplaceAllString(sql, "''")); m != "" {
			t.Errorf("%s compares %q, a partition column the table no longer has", q.Name, m)
		}
	}
}
