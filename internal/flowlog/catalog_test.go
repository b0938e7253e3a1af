package flowlog_test

import (
	"errors"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/filterpattern"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/flowlog"
)

// awsDefaultFormat is the default flow log format as AWS documents it
// ("Default format" in the VPC Flow Logs user guide).
const awsDefaultFormat = "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status"

// v2to5 are all fields of versions 2-5 in the order of AWS's "Available
// fields" table, spelled out so a change to the catalog shows up here.
var v2to5 = []string{
	"version", "account-id", "interface-id", "srcaddr", "dstaddr", "srcport", "dstport", "protocol",
	"packets", "bytes", "start", "end", "action", "log-status",
	"vpc-id", "subnet-id", "instance-id", "tcp-flags", "type", "pkt-srcaddr", "pkt-dstaddr",
	"region", "az-id", "sublocation-type", "sublocation-id",
	"pkt-src-aws-service", "pkt-dst-aws-service", "flow-direction", "traffic-path",
}

// customNames is a custom format mixing versions, out of catalog order.
var customNames = []string{"srcaddr", "dstaddr", "dstport", "action", "pkt-srcaddr", "flow-direction", "log-status"}

func names(fields []flowlog.Field) []string {
	out := make([]string, len(fields))
	for i, f := range fields {
		out[i] = f.Name
	}
	return out
}

func columns(fields []flowlog.Field) []string {
	out := make([]string, len(fields))
	for i, f := range fields {
		out[i] = f.Column()
	}
	return out
}

func mustFields(t testing.TB, ns []string) []flowlog.Field {
	t.Helper()
	fs, err := flowlog.FieldsByName(ns)
	if err != nil {
		t.Fatalf("FieldsByName(%v): %v", ns, err)
	}
	return fs
}

// kindTypes is the only Athena / OpenSearch typing each parser kind may have:
// the parser, the Glue table and the index mapping must agree on a field.
var kindTypes = map[flowlog.Kind]struct{ athena, opensearch string }{
	flowlog.KindString: {"string", "keyword"},
	flowlog.KindInt32:  {"int", "integer"},
	flowlog.KindInt64:  {"bigint", "long"},
	flowlog.KindTime:   {"bigint", "date"},
	flowlog.KindIP:     {"string", "ip"},
}

var (
	fieldNameRe = regexp.MustCompile(`^[a-z][a-z0-9]*(-[a-z0-9]+)*$`)
	// Column names must be valid filter-pattern field names, Glue column
	// names and JSON keys alike.
	columnRe = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
)

func TestCatalogFieldInvariants(t *testing.T) {
	athenaTypes := map[string]bool{"int": true, "bigint": true, "string": true}
	osTypes := map[string]bool{"integer": true, "long": true, "keyword": true, "ip": true, "date": true}
	seenName := map[string]bool{}
	seenColumn := map[string]bool{}
	prevVersion := 0
	for _, f := range flowlog.Catalog {
		t.Run(f.Name, func(t *testing.T) {
			if !fieldNameRe.MatchString(f.Name) {
				t.Errorf("name %q is not a lowercase dash-separated flow log field name", f.Name)
			}
			if seenName[f.Name] {
				t.Errorf("name %q appears twice in the catalog", f.Name)
			}
			seenName[f.Name] = true
			if c := f.Column(); !columnRe.MatchString(c) || seenColumn[c] {
				t.Errorf("column %q is not a unique identifier", c)
			}
			seenColumn[f.Column()] = true
			if strings.TrimSpace(f.Description) == "" {
				t.Error("no description")
			}
			if f.Version < 2 || f.Version > 8 {
				t.Errorf("version %d outside the documented 2-8", f.Version)
			}
			if f.Version < prevVersion {
				t.Errorf("version %d after a version %d field: the catalog must follow AWS's table order", f.Version, prevVersion)
			}
			prevVersion = f.Version
			if !athenaTypes[f.AthenaType] {
				t.Errorf("Athena type %q not in {int, bigint, string}", f.AthenaType)
			}
			if !osTypes[f.OpenSearchType] {
				t.Errorf("OpenSearch type %q not in {integer, long, keyword, ip, date}", f.OpenSearchType)
			}
			want, ok := kindTypes[f.Kind]
			if !ok {
				t.Fatalf("unknown kind %v", f.Kind)
			}
			if f.AthenaType != want.athena || f.OpenSearchType != want.opensearch {
				t.Errorf("kind %v has Athena %q / OpenSearch %q; want %q / %q", f.Kind, f.AthenaType, f.OpenSearchType, want.athena, want.opensearch)
			}
			numeric := f.Kind == flowlog.KindInt32 || f.Kind == flowlog.KindInt64 || f.Kind == flowlog.KindTime
			if f.IsNumeric() != numeric {
				t.Errorf("IsNumeric() = %v for kind %v", f.IsNumeric(), f.Kind)
			}
			got, ok := flowlog.Lookup(f.Name)
			if !ok || !reflect.DeepEqual(got, f) {
				t.Errorf("Lookup(%q) = %+v, %v", f.Name, got, ok)
			}
		})
	}
	if _, ok := flowlog.Lookup("no-such-field"); ok {
		t.Error(`Lookup("no-such-field") succeeded`)
	}
	if got := flowlog.Names(); !reflect.DeepEqual(got, names(flowlog.Catalog)) {
		t.Errorf("Names() = %v, not the catalog order", got)
	}
}

// Spot checks of types a user sees in Athena and OpenSearch.
func TestCatalogKnownFieldTypes(t *testing.T) {
	tests := []struct {
		name             string
		kind             flowlog.Kind
		athena, osSearch string
	}{
		{"srcaddr", flowlog.KindIP, "string", "ip"},
		{"pkt-dstaddr", flowlog.KindIP, "string", "ip"},
		{"dstport", flowlog.KindInt32, "int", "integer"},
		{"protocol", flowlog.KindInt32, "int", "integer"},
		{"tcp-flags", flowlog.KindInt32, "int", "integer"},
		{"bytes", flowlog.KindInt64, "bigint", "long"},
		{"packets", flowlog.KindInt64, "bigint", "long"},
		{"start", flowlog.KindTime, "bigint", "date"},
		{"end", flowlog.KindTime, "bigint", "date"},
		{"action", flowlog.KindString, "string", "keyword"},
		{"account-id", flowlog.KindString, "string", "keyword"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, ok := flowlog.Lookup(tt.name)
			if !ok {
				t.Fatalf("%q not in catalog", tt.name)
			}
			if f.Kind != tt.kind || f.AthenaType != tt.athena || f.OpenSearchType != tt.osSearch {
				t.Errorf("got %v/%s/%s, want %v/%s/%s", f.Kind, f.AthenaType, f.OpenSearchType, tt.kind, tt.athena, tt.osSearch)
			}
		})
	}
}

func TestDefaultFieldsAreAllV2ToV5InCatalogOrder(t *testing.T) {
	got := names(flowlog.DefaultFields())
	if !reflect.DeepEqual(got, v2to5) {
		t.Errorf("DefaultFields() =\n%v\nwant\n%v", got, v2to5)
	}
	if v := flowlog.MaxVersion(flowlog.DefaultFields()); v != flowlog.DefaultMaxVersion {
		t.Errorf("MaxVersion(DefaultFields()) = %d, want %d", v, flowlog.DefaultMaxVersion)
	}
}

func TestV2FieldsAreAWSDefaultFormat(t *testing.T) {
	if got := strings.Join(names(flowlog.V2Fields()), " "); got != awsDefaultFormat {
		t.Errorf("V2Fields() = %q\nwant AWS's default format %q", got, awsDefaultFormat)
	}
	// The default format is a prefix of the v2-5 default fields, so a
	// v2 record is also the first 14 values of a default-fields record.
	if got := names(flowlog.DefaultFields())[:14]; strings.Join(got, " ") != awsDefaultFormat {
		t.Errorf("DefaultFields() does not start with the default format: %v", got)
	}
}

func TestMaxVersion(t *testing.T) {
	tests := []struct {
		fields []string
		want   int
	}{
		{strings.Fields(awsDefaultFormat), 2},
		{[]string{"srcaddr", "tcp-flags"}, 3},
		{[]string{"region", "srcaddr"}, 4},
		{customNames, 5},
		{[]string{"srcaddr", "ecs-task-id"}, 7},
		{[]string{"reject-reason"}, 8},
	}
	for _, tt := range tests {
		if got := flowlog.MaxVersion(mustFields(t, tt.fields)); got != tt.want {
			t.Errorf("MaxVersion(%v) = %d, want %d", tt.fields, got, tt.want)
		}
	}
}

func TestFieldsByNameKeepsOrder(t *testing.T) {
	fs := mustFields(t, customNames)
	if got := names(fs); !reflect.DeepEqual(got, customNames) {
		t.Errorf("FieldsByName order = %v, want %v", got, customNames)
	}
}

func TestFieldsByNameErrors(t *testing.T) {
	tests := []struct {
		name    string
		fields  []string
		unknown string // the name an *UnknownFieldError must carry, if any
		wantMsg string
	}{
		{"nil list", nil, "", "at least one"},
		{"empty list", []string{}, "", "at least one"},
		{"unknown field", []string{"srcaddr", "source-address"}, "source-address", `"source-address"`},
		{"underscore spelling", []string{"log_status"}, "log_status", `"log_status"`},
		{"case matters", []string{"SRCADDR"}, "SRCADDR", `"SRCADDR"`},
		{"duplicate field", []string{"srcaddr", "dstport", "srcaddr"}, "", `"srcaddr" is listed twice`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs, err := flowlog.FieldsByName(tt.fields)
			if err == nil {
				t.Fatalf("FieldsByName(%q) = %v, want an error", tt.fields, names(fs))
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("error %q does not contain %q", err, tt.wantMsg)
			}
			var uf *flowlog.UnknownFieldError
			if isUnknown := errors.As(err, &uf); isUnknown != (tt.unknown != "") {
				t.Fatalf("errors.As(UnknownFieldError) = %v for %v", isUnknown, err)
			}
			if uf != nil {
				if uf.Name != tt.unknown {
					t.Errorf("UnknownFieldError.Name = %q, want %q", uf.Name, tt.unknown)
				}
				// The message lists the allowed names so a user can fix the typo.
				for _, n := range []string{"srcaddr", "log-status", "reject-reason"} {
					if !strings.Contains(err.Error(), n) {
						t.Errorf("error %q does not list allowed field %q", err, n)
					}
				}
			}
		})
	}
}

func TestLogFormat(t *testing.T) {
	tests := []struct {
		fields []string
		want   string
	}{
		{[]string{"version"}, "${version}"},
		{customNames, "${srcaddr} ${dstaddr} ${dstport} ${action} ${pkt-srcaddr} ${flow-direction} ${log-status}"},
		{strings.Fields(awsDefaultFormat), "${version} ${account-id} ${interface-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${packets} ${bytes} ${start} ${end} ${action} ${log-status}"},
	}
	for _, tt := range tests {
		if got := flowlog.LogFormat(mustFields(t, tt.fields)); got != tt.want {
			t.Errorf("LogFormat(%v) = %q, want %q", tt.fields, got, tt.want)
		}
	}
}

func TestParseLogFormat(t *testing.T) {
	valid := []struct {
		format string
		want   []string
	}{
		{"${version} ${srcaddr}", []string{"version", "srcaddr"}},
		// AWS may hand the format back with other whitespace.
		{"  ${srcaddr}\t${dstaddr}\n", []string{"srcaddr", "dstaddr"}},
	}
	for _, tt := range valid {
		fs, err := flowlog.ParseLogFormat(tt.format)
		if err != nil {
			t.Errorf("ParseLogFormat(%q): %v", tt.format, err)
			continue
		}
		if got := names(fs); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("ParseLogFormat(%q) = %v, want %v", tt.format, got, tt.want)
		}
	}

	invalid := []struct {
		name, format, wantMsg string
	}{
		{"empty", "", "at least one"},
		{"blank", "   ", "at least one"},
		{"bare name", "${version} srcaddr", `"srcaddr"`},
		{"no braces", "$version", `"$version"`},
		{"no dollar", "{version}", `"{version}"`},
		{"empty braces", "${}", `"${}"`},
		{"unclosed", "${version", `"${version"`},
		{"two fields glued", "${version}${srcaddr}", "unknown flow log field"},
		{"unknown field", "${version} ${nope}", `"nope"`},
		// The shortest well-formed token names an unknown field rather than
		// being called malformed.
		{"unknown one-letter field", "${x}", `unknown flow log field "x"`},
		{"duplicate field", "${srcaddr} ${srcaddr}", "listed twice"},
	}
	for _, tt := range invalid {
		t.Run(tt.name, func(t *testing.T) {
			fs, err := flowlog.ParseLogFormat(tt.format)
			if err == nil {
				t.Fatalf("ParseLogFormat(%q) = %v, want an error", tt.format, names(fs))
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("error %q does not contain %q", err, tt.wantMsg)
			}
		})
	}
}

// exampleValue is a plausible value for a field, used to build lines in any order.
func exampleValue(f flowlog.Field, i int) string {
	switch f.Kind {
	case flowlog.KindIP:
		return "10.0.0." + strconv.Itoa(10+i)
	case flowlog.KindInt32:
		return strconv.Itoa(20 + i)
	case flowlog.KindInt64:
		return strconv.Itoa(4000 + i)
	case flowlog.KindTime:
		return strconv.Itoa(1418530010 + i)
	}
	return "val-" + f.Column()
}

// TestDerivedArtifactsInLockstep proves that the log format, the Glue
// columns, the OpenSearch mapping, the metric-filter pattern and the parser
// all describe the same fields in the same order.
func TestDerivedArtifactsInLockstep(t *testing.T) {
	tests := []struct {
		name   string
		fields []flowlog.Field
	}{
		{"default v2-5", flowlog.DefaultFields()},
		{"AWS default v2", flowlog.V2Fields()},
		{"custom", mustFields(t, customNames)},
		{"whole catalog", flowlog.Catalog},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fields := tt.fields
			cols := columns(fields)

			// LogFormat -> ParseLogFormat round-trips.
			format := flowlog.LogFormat(fields)
			back, err := flowlog.ParseLogFormat(format)
			if err != nil {
				t.Fatalf("ParseLogFormat(LogFormat) = %v", err)
			}
			if !reflect.DeepEqual(back, fields) {
				t.Errorf("ParseLogFormat(%q) = %v, want %v", format, names(back), names(fields))
			}

			// Glue columns: same names, same order, catalog types.
			glue := flowlog.GlueColumns(fields)
			if len(glue) != len(fields) {
				t.Fatalf("GlueColumns has %d columns for %d fields", len(glue), len(fields))
			}
			for i, c := range glue {
				f := fields[i]
				if c.Name != f.Column() || c.Type != f.AthenaType || c.Comment != f.Description {
					t.Errorf("GlueColumns[%d] = %+v, want {%s %s %q}", i, c, f.Column(), f.AthenaType, f.Description)
				}
			}

			// OpenSearch mapping: exactly these keys, catalog types, epoch dates.
			props := flowlog.OpenSearchProperties(fields)
			var keys []string
			for k := range props {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			if want := flowlog.SortedColumns(fields); !reflect.DeepEqual(keys, want) {
				t.Errorf("OpenSearchProperties keys = %v, want %v", keys, want)
			}
			for _, f := range fields {
				p := props[f.Column()]
				if p["type"] != f.OpenSearchType {
					t.Errorf("%s: mapping type %q, want %q", f.Column(), p["type"], f.OpenSearchType)
				}
				wantLen := 1
				if f.Kind == flowlog.KindTime {
					wantLen = 2
					if p["format"] != "epoch_second" {
						t.Errorf("%s: date format %q, want epoch_second (flow logs write Unix seconds)", f.Column(), p["format"])
					}
				}
				if len(p) != wantLen {
					t.Errorf("%s: mapping %v has unexpected properties", f.Column(), p)
				}
			}

			// The filter pattern without conditions names every column in order.
			pat, err := flowlog.FilterPattern(fields, nil)
			if err != nil {
				t.Fatalf("FilterPattern: %v", err)
			}
			fp, err := filterpattern.Parse(pat)
			if err != nil {
				t.Fatalf("filterpattern.Parse(%q): %v", pat, err)
			}
			if got := fp.Fields(); !reflect.DeepEqual(got, cols) {
				t.Errorf("pattern fields = %v, want %v", got, cols)
			}

			// A line written in this order parses into the right fields and
			// matches the pattern; a line one field short matches neither.
			vals := make([]string, len(fields))
			for i, f := range fields {
				vals[i] = exampleValue(f, i)
			}
			line := strings.Join(vals, " ")
			p := flowlog.NewParser(fields)
			if !reflect.DeepEqual(p.Fields(), fields) {
				t.Errorf("Parser.Fields() = %v", names(p.Fields()))
			}
			rec, err := p.Parse(line)
			if err != nil {
				t.Fatalf("Parse(%q): %v", line, err)
			}
			if !reflect.DeepEqual(rec.Values, vals) || !reflect.DeepEqual(rec.Fields(), fields) || rec.Len() != len(fields) {
				t.Errorf("Parse = %v, want %v", rec.Values, vals)
			}
			for i, f := range fields {
				if p.Index(f.Name) != i {
					t.Errorf("Index(%q) = %d, want %d", f.Name, p.Index(f.Name), i)
				}
				if v, ok := rec.Get(f.Name); !ok || v != vals[i] {
					t.Errorf("Get(%q) = %q, %v; want %q", f.Name, v, ok, vals[i])
				}
			}
			if !fp.Match(line) {
				t.Errorf("pattern %q does not match line %q", pat, line)
			}
			short := strings.Join(vals[:len(vals)-1], " ")
			if _, err := p.Parse(short); !errors.Is(err, flowlog.ErrNotFlowLog) {
				t.Errorf("Parse(line one field short) error = %v, want ErrNotFlowLog", err)
			}
			if len(fields) > 1 && fp.Match(short) {
				t.Errorf("pattern %q matches a line one field short", pat)
			}
		})
	}
}

func TestSortedColumns(t *testing.T) {
	got := flowlog.SortedColumns(mustFields(t, customNames))
	want := []string{"action", "dstaddr", "dstport", "flow_direction", "log_status", "pkt_srcaddr", "srcaddr"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("SortedColumns = %v, want %v", got, want)
	}
}
