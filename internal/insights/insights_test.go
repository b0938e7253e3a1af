package insights

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/flowlog"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// testLogGroup is the log group name the golden rules read.
const testLogGroup = "/vpc-flow-logs/dev/flowlogs"

// TestGolden compares each rule, rendered for the default format, with
// testdata/<id>.json. Run with -update to rewrite them after a deliberate
// change, and review the diff.
func TestGolden(t *testing.T) {
	for _, s := range Specs {
		t.Run(s.ID, func(t *testing.T) {
			d, err := s.Build(flowlog.DefaultFields(), testLogGroup)
			if err != nil {
				t.Fatal(err)
			}
			got, err := d.JSON()
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join("testdata", s.ID+".json")
			if *update {
				if err := os.WriteFile(path, []byte(got+"\n"), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./internal/insights -update)", err)
			}
			if got+"\n" != string(want) {
				t.Errorf("%s differs from the rendered rule:\n%s", path, got)
			}
		})
	}
}

// TestEveryNameIsARecordedField proves, for the default, the version 2 and a
// reordered format, that every key, ValueOf and filter names a field the
// rule's Fields map declares, and that each declared position holds that
// field in the format.
func TestEveryNameIsARecordedField(t *testing.T) {
	reordered := slices.Clone(flowlog.DefaultFields())
	slices.Reverse(reordered)
	formats := map[string][]flowlog.Field{"default": flowlog.DefaultFields(), "v2": flowlog.V2Fields(), "reversed": reordered}
	for name, fields := range formats {
		for _, s := range Specs {
			d, err := s.Build(fields, testLogGroup)
			if err != nil {
				t.Fatalf("%s %s: %v", name, s.ID, err)
			}
			declared := map[string]bool{}
			for p, col := range d.Fields {
				i, err := strconv.Atoi(p)
				if err != nil || i < 1 || i > len(fields) {
					t.Fatalf("%s %s: position %q is not 1-%d", name, s.ID, p, len(fields))
				}
				if fields[i-1].Column() != col {
					t.Errorf("%s %s: position %d is %s in the format, the rule calls it %s", name, s.ID, i, fields[i-1].Column(), col)
				}
				declared[col] = true
			}
			names := slices.Clone(d.Contribution.Keys)
			if d.Contribution.ValueOf != "" {
				names = append(names, d.Contribution.ValueOf)
			}
			for _, f := range d.Contribution.Filters {
				names = append(names, f.Match)
			}
			for _, n := range names {
				if !declared[n] {
					t.Errorf("%s %s: %q is not one of the rule's Fields %v", name, s.ID, n, d.Fields)
				}
			}
		}
	}
}

// TestPositionsFollowTheFormat pins one custom format: srcaddr moved to the
// front and bytes second, so the rule reads positions 1 and 2.
func TestPositionsFollowTheFormat(t *testing.T) {
	fields, err := flowlog.FieldsByName([]string{"srcaddr", "bytes", "version", "dstaddr", "action"})
	if err != nil {
		t.Fatal(err)
	}
	s, _ := Lookup(TopTalkersSource)
	d, err := s.Build(fields, testLogGroup)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"1": "srcaddr", "2": "bytes"}
	if !mapsEqual(d.Fields, want) {
		t.Errorf("Fields = %v, want %v", d.Fields, want)
	}
	s, _ = Lookup(TopRejectedSources)
	if d, err = s.Build(fields, testLogGroup); err != nil {
		t.Fatal(err)
	}
	want = map[string]string{"1": "srcaddr", "5": "action"}
	if !mapsEqual(d.Fields, want) {
		t.Errorf("Fields = %v, want %v", d.Fields, want)
	}
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// TestMissingFieldIsRefused: a rule over a format that lacks one of its
// fields is an error naming the rule and the field.
func TestMissingFieldIsRefused(t *testing.T) {
	fields, err := flowlog.FieldsByName([]string{"srcaddr", "dstaddr", "bytes"})
	if err != nil {
		t.Fatal(err)
	}
	s, _ := Lookup(TopRejectedSources)
	_, err = s.Build(fields, testLogGroup)
	if err == nil || !strings.Contains(err.Error(), TopRejectedSources) || !strings.Contains(err.Error(), "action") {
		t.Fatalf("err = %v, want one naming %s and action", err, TopRejectedSources)
	}
	if got := s.Missing(fields); !slices.Equal(got, []string{"action"}) {
		t.Errorf("Missing = %v, want [action]", got)
	}
}

// TestSyntaxLimits holds every rule to the syntax: schema, CLF, 1-4 keys,
// at most 4 filters, an aggregation that matches ValueOf, valid JSON.
func TestSyntaxLimits(t *testing.T) {
	for _, s := range Specs {
		d, err := s.Build(flowlog.DefaultFields(), testLogGroup)
		if err != nil {
			t.Fatal(err)
		}
		if d.Schema != (Schema{Name: "CloudWatchLogRule", Version: 1}) || d.LogFormat != "CLF" {
			t.Errorf("%s: schema %v, format %s", s.ID, d.Schema, d.LogFormat)
		}
		if n := len(d.Contribution.Keys); n < 1 || n > MaxKeys {
			t.Errorf("%s: %d keys", s.ID, n)
		}
		if len(d.Contribution.Filters) > MaxFilters {
			t.Errorf("%s: %d filters", s.ID, len(d.Contribution.Filters))
		}
		if (d.AggregateOn == AggregateSum) != (d.Contribution.ValueOf != "") {
			t.Errorf("%s: AggregateOn %s with ValueOf %q", s.ID, d.AggregateOn, d.Contribution.ValueOf)
		}
		js, err := d.JSON()
		if err != nil {
			t.Fatal(err)
		}
		var back map[string]any
		if err := json.Unmarshal([]byte(js), &back); err != nil {
			t.Errorf("%s: %v", s.ID, err)
		}
	}
	// A spec beyond the limits is refused.
	bad := Spec{ID: "too-many", Keys: []string{"srcaddr", "dstaddr", "srcport", "dstport", "protocol"}}
	if _, err := bad.Build(flowlog.DefaultFields(), testLogGroup); err == nil {
		t.Error("5 keys accepted")
	}
}

func TestMetricExpression(t *testing.T) {
	got := MetricExpression(RuleName("vpc-flow-logs-dev", TopRejectedSources), "MaxContributorValue")
	want := "INSIGHT_RULE_METRIC('vpc-flow-logs-dev-top-rejected-sources', 'MaxContributorValue')"
	if got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

// NODATA and SKIPDATA records ("-" in every field) never rank: every rule
// keeps only log-status OK when the format records log-status, and reads
// no log-status when it does not.
func TestOnlyRecordsWithData(t *testing.T) {
	for _, s := range Specs {
		d, err := s.Build(flowlog.DefaultFields(), testLogGroup)
		if err != nil {
			t.Fatal(err)
		}
		last := d.Contribution.Filters[len(d.Contribution.Filters)-1]
		if last.Match != "log_status" || !slices.Equal(last.In, []string{"OK"}) || d.Fields["14"] != "log_status" {
			t.Errorf("%s: filters %v, fields %v; want log_status (position 14) in [OK]", s.ID, d.Contribution.Filters, d.Fields)
		}
	}
	fields, err := flowlog.FieldsByName([]string{"srcaddr", "dstaddr", "dstport", "protocol", "bytes", "action", "interface-id"})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range Specs {
		d, err := s.Build(fields, testLogGroup)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range d.Contribution.Filters {
			if f.Match == "log_status" {
				t.Errorf("%s filters on log_status, which the format does not record", s.ID)
			}
		}
	}
}
