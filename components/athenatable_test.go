package components

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/athenaqueries"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/flowlog"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/mockaws"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/stackconfig"
)

const testLocation = "s3://flow-bucket/AWSLogs/aws-account-id=123456789012/aws-service=vpcflowlogs/aws-region=us-east-1/"

func tableArgs(format string) *AthenaTableArgs {
	return &AthenaTableArgs{
		Location:       pulumi.String(testLocation),
		Fields:         flowlog.DefaultFields(),
		Format:         format,
		SkipHeaderLine: true,
		ScanLimitMB:    1024,
	}
}

func TestAthenaTableParquet(t *testing.T) {
	m := run(t, func(ctx *pulumi.Context) error {
		_, err := NewAthenaTable(ctx, "flow-tbl", tableArgs("parquet"))
		return err
	})
	assertComponentTree(t, m, "vpcflowlogs:index:AthenaTable", "flow-tbl")

	db := mustGet(t, m, "flow-tbl-db")
	if db.Input("name") != "flow_tbl" {
		t.Errorf("database name %q", db.Input("name"))
	}
	tbl := mustGet(t, m, "flow-tbl-table")
	sd := asMap(tbl.Inputs["storageDescriptor"])
	if sd["location"] != testLocation {
		t.Errorf("location %v", sd["location"])
	}
	cols := sd["columns"].([]any)
	fields := flowlog.DefaultFields()
	if len(cols) != len(fields) {
		t.Fatalf("%d columns for %d fields", len(cols), len(fields))
	}
	for i, c := range cols {
		col := asMap(c)
		if col["name"] != fields[i].Column() || col["type"] != fields[i].AthenaType {
			t.Errorf("column %d = %v %v, want %s %s (catalog order)", i, col["name"], col["type"], fields[i].Column(), fields[i].AthenaType)
		}
	}
	if !strings.Contains(str(asMap(sd["serDeInfo"])["serializationLibrary"]), "ParquetHiveSerDe") {
		t.Errorf("SerDe %v", sd["serDeInfo"])
	}
	params := asMap(tbl.Inputs["parameters"])
	// One date-projected partition column whose range ends at the current
	// hour: a query without a partition predicate enumerates the hours since
	// the start year, never the years to come.
	want := map[string]string{
		"projection.enabled":                "true",
		"projection.datehour.type":          "date",
		"projection.datehour.format":        "'year='yyyy'/month='MM'/day='dd'/hour='HH",
		"projection.datehour.range":         "year=2024/month=01/day=01/hour=00,NOW",
		"projection.datehour.interval":      "1",
		"projection.datehour.interval.unit": "HOURS",
		"storage.location.template":         testLocation + "${datehour}/",
	}
	for k, v := range want {
		if params[k] != v {
			t.Errorf("parameter %s = %v, want %s", k, params[k], v)
		}
	}
	for k, v := range params {
		if strings.HasPrefix(k, "projection.") && !strings.HasPrefix(k, "projection.datehour.") && k != "projection.enabled" {
			t.Errorf("parameter %s = %v projects a column that is not a partition key", k, v)
		}
		if strings.Contains(str(v), "2099") {
			t.Errorf("parameter %s = %v: the projection must end at NOW", k, v)
		}
	}
	keys := tbl.Inputs["partitionKeys"].([]any)
	if len(keys) != 1 || asMap(keys[0])["name"] != "datehour" || asMap(keys[0])["type"] != "string" {
		t.Errorf("partition keys %v, want datehour string (a date-projected key is a string in queries)", keys)
	}

	wg := mustGet(t, m, "flow-tbl-workgroup")
	conf := asMap(wg.Inputs["configuration"])
	if conf["enforceWorkgroupConfiguration"] != true || conf["bytesScannedCutoffPerQuery"] != float64(1024_000_000) {
		t.Errorf("workgroup configuration %v", conf)
	}
	rc := asMap(conf["resultConfiguration"])
	if asMap(rc["encryptionConfiguration"])["encryptionOption"] != "SSE_S3" || !strings.HasPrefix(str(rc["outputLocation"]), "s3://flow-tbl-results-") {
		t.Errorf("result configuration %v", rc)
	}
	if lc := mustGet(t, m, "flow-tbl-results-lifecycle"); !strings.Contains(str(lc.Inputs["rules"].([]any)[1].(map[string]any)["id"]), "expire") {
		t.Errorf("result bucket has no expiry: %v", lc.Inputs["rules"])
	}

	queries := m.ByType("aws:athena/namedQuery:NamedQuery")
	applicable := athenaqueries.Applicable(fields)
	if len(queries) != len(applicable) || len(applicable) != len(athenaqueries.All) {
		t.Errorf("%d saved queries, %d applicable, %d known", len(queries), len(applicable), len(athenaqueries.All))
	}
	for _, q := range queries {
		if q.Input("workgroup") != wg.Outputs["name"] || q.Input("database") != "flow_tbl" {
			t.Errorf("query %s runs in %q/%q", q.Name, q.Input("workgroup"), q.Input("database"))
		}
		if !strings.Contains(q.Input("query"), `"flow_tbl"."flow_logs"`) || strings.Contains(q.Input("query"), "{{") {
			t.Errorf("query %s not rendered: %s", q.Name, q.Input("query"))
		}
	}
	for _, n := range []string{"flow-tbl-rejected-tcp-by-source", "flow-tbl-top-source-ports-10-0"} {
		mustGet(t, m, n)
	}
}

func TestAthenaTablePlainTextAndFewFields(t *testing.T) {
	m := run(t, func(ctx *pulumi.Context) error {
		a := tableArgs("plain-text")
		a.Fields = flowlog.V2Fields()
		_, err := NewAthenaTable(ctx, "txt", a)
		return err
	})
	tbl := mustGet(t, m, "txt-table")
	sd := asMap(tbl.Inputs["storageDescriptor"])
	serde := asMap(sd["serDeInfo"])
	if !strings.Contains(str(serde["serializationLibrary"]), "LazySimpleSerDe") || asMap(serde["parameters"])["field.delim"] != " " {
		t.Errorf("plain-text SerDe %v", serde)
	}
	if asMap(tbl.Inputs["parameters"])["skip.header.line.count"] != "1" {
		t.Error("plain-text S3 flow logs have a header line to skip")
	}
	// v2 fields lack type, pkt-*, instance-id, subnet-id: those queries are left out.
	for _, q := range m.ByType("aws:athena/namedQuery:NamedQuery") {
		for _, missing := range []string{"ipv4-bytes", "top-talkers-packet-level", "top-talking-instances", "top-talking-subnets"} {
			if q.Name == "txt-"+missing {
				t.Errorf("query %s needs fields that are not recorded", q.Name)
			}
		}
	}
}

func TestAthenaTableRejectsBadArgs(t *testing.T) {
	cases := map[string]func(a *AthenaTableArgs){
		"scan limit":    func(a *AthenaTableArgs) { a.ScanLimitMB = 5 },
		"format":        func(a *AthenaTableArgs) { a.Format = "orc" },
		"db name":       func(a *AthenaTableArgs) { a.DatabaseName = "Flow-Logs" },
		"unknown query": func(a *AthenaTableArgs) { a.Queries = []string{"nope"} },
		"query fields":  func(a *AthenaTableArgs) { a.Fields = flowlog.V2Fields(); a.Queries = []string{"ipv6-bytes"} },
		"no location":   func(a *AthenaTableArgs) { a.Location = nil },
		"future start":  func(a *AthenaTableArgs) { a.ProjectionStartYear = time.Now().UTC().Year() + 1 },
		"key not KMS":   func(a *AthenaTableArgs) { a.KmsKeyArn = "arn:aws:s3:::flow-bucket" },
	}
	for name, mutate := range cases {
		t.Run(name, func(t *testing.T) {
			a := tableArgs("parquet")
			mutate(a)
			m, err := mockaws.Run(func(ctx *pulumi.Context) error {
				_, err := NewAthenaTable(ctx, "bad", a)
				return err
			}, "p", "s", nil)
			if err == nil || len(m.Resources) != 0 {
				t.Fatalf("err = %v, %d resources registered", err, len(m.Resources))
			}
		})
	}
}

// renderJavaPattern formats t with the subset of Java DateTimeFormatter
// patterns PartitionFormat uses: 'quoted literals', yyyy, MM, dd, HH.
func renderJavaPattern(tb testing.TB, pattern string, t time.Time) string {
	tb.Helper()
	var b strings.Builder
	for i := 0; i < len(pattern); {
		switch {
		case pattern[i] == '\'':
			j := strings.IndexByte(pattern[i+1:], '\'')
			if j < 0 {
				tb.Fatalf("unterminated quote in %q", pattern)
			}
			b.WriteString(pattern[i+1 : i+1+j])
			i += j + 2
		case strings.HasPrefix(pattern[i:], "yyyy"):
			b.WriteString(t.Format("2006"))
			i += 4
		case strings.HasPrefix(pattern[i:], "MM"):
			b.WriteString(t.Format("01"))
			i += 2
		case strings.HasPrefix(pattern[i:], "dd"):
			b.WriteString(t.Format("02"))
			i += 2
		case strings.HasPrefix(pattern[i:], "HH"):
			b.WriteString(t.Format("15"))
			i += 2
		default:
			if c := pattern[i]; (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') {
				tb.Fatalf("pattern letter %q of %q not handled", c, pattern)
			}
			b.WriteByte(pattern[i])
			i++
		}
	}
	return b.String()
}

// renderMySQLFormat formats t with Athena's date_format specifiers %Y %m %d %H.
func renderMySQLFormat(tb testing.TB, format string, t time.Time) string {
	tb.Helper()
	r := strings.NewReplacer("%Y", t.Format("2006"), "%m", t.Format("01"), "%d", t.Format("02"), "%H", t.Format("15"))
	out := r.Replace(format)
	if strings.Contains(out, "%") {
		tb.Fatalf("specifier of %q not handled", format)
	}
	return out
}

// renderFirehosePrefix evaluates the !{timestamp:...} expressions of a
// Firehose prefix.
func renderFirehosePrefix(tb testing.TB, prefix string, t time.Time) string {
	tb.Helper()
	re := regexp.MustCompile(`!\{timestamp:([^}]*)\}`)
	return re.ReplaceAllStringFunc(prefix, func(m string) string {
		return renderJavaPattern(tb, re.FindStringSubmatch(m)[1], t)
	})
}

// TestPartitionLayoutAgrees: one hour has the same partition value in the
// projection (PartitionFormat and its range start), in the saved queries'
// window (date_format) and in the S3 prefixes both writers use, and Athena
// finds its objects where the writers put them.
func TestPartitionLayoutAgrees(t *testing.T) {
	when := time.Date(2026, time.December, 2, 5, 0, 0, 0, time.UTC)
	const want = "year=2026/month=12/day=02/hour=05"
	if got := renderJavaPattern(t, PartitionFormat, when); got != want {
		t.Errorf("projection format gives %q, want %q", got, want)
	}
	if got := renderMySQLFormat(t, athenaqueries.PartitionSQLFormat, when); got != want {
		t.Errorf("saved queries' date_format gives %q, want %q", got, want)
	}
	start := strings.SplitN(ProjectionParameters(2024)["projection.datehour.range"], ",", 2)[0]
	if jan := time.Date(2024, time.January, 1, 0, 0, 0, 0, time.UTC); start != renderJavaPattern(t, PartitionFormat, jan) {
		t.Errorf("range start %q is not in the projection's format", start)
	}
	// Firehose: flowlogs/<value>/...; the table's location is s3://<bucket>/flowlogs/.
	if got := renderFirehosePrefix(t, FirehoseDataPrefix, when); got != "flowlogs/"+want+"/" {
		t.Errorf("Firehose writes under %q, the table reads flowlogs/%s/", got, want)
	}
	// S3 flow logs with Hive-compatible prefixes and per-hour partitions:
	// <location>year=YYYY/month=MM/day=DD/hour=HH/ (flow-logs-s3-path).
	loc := strings.Replace(LocationTemplate(testLocation), "${datehour}", want, 1)
	if loc != testLocation+"year=2026/month=12/day=02/hour=05/" {
		t.Errorf("the table reads %q", loc)
	}
	if !strings.Contains(athenaqueries.Window, athenaqueries.PartitionColumn+" >= date_format(") ||
		!strings.Contains(athenaqueries.Window, "'"+athenaqueries.PartitionSQLFormat+"'") {
		t.Errorf("saved queries' window %q does not bound %s in its format", athenaqueries.Window, athenaqueries.PartitionColumn)
	}
}

// TestCentralTableQueriesSayHowToEnterTheAccount: over an organization's
// bucket (injected account partition) every saved query names the account
// with an execution parameter, and its description says to quote the
// value (a bare 12-digit id is a number to Athena, not the string the
// partition column holds); with enumerated accounts no query asks.
func TestCentralTableQueriesSayHowToEnterTheAccount(t *testing.T) {
	for _, tc := range []struct {
		accounts []string
		scoped   bool
	}{{nil, true}, {[]string{"111111111111"}, false}} {
		m := run(t, func(ctx *pulumi.Context) error {
			a := tableArgs("plain-text")
			a.Sources = &SourcePartitions{Accounts: tc.accounts, Regions: []string{"eu-west-1"}}
			_, err := NewAthenaTable(ctx, "org", a)
			return err
		})
		queries := m.ByType("aws:athena/namedQuery:NamedQuery")
		if len(queries) == 0 {
			t.Fatal("no saved queries")
		}
		for _, q := range queries {
			asks := strings.Contains(q.Input("query"), athenaqueries.SourceAccountParameter)
			says := strings.HasSuffix(q.Input("description"), athenaqueries.SourceAccountParameterHint)
			if asks != tc.scoped || says != tc.scoped {
				t.Errorf("accounts %v: %s asks for the account %v and says how %v, want %v", tc.accounts, q.Name, asks, says, tc.scoped)
			}
		}
	}
}

// TestSourceProjectionParameters pins the projection of a central table's
// account and region columns, written out by hand from the Athena page on
// projection types (https://docs.aws.amazon.com/athena/latest/ug/partition-projection-supported-types.html):
// listed accounts are an enum of them; no accounts (an organization) is the
// injected type, with no values; the regions are always an enum.
func TestSourceProjectionParameters(t *testing.T) {
	acct, reg := "projection."+athenaqueries.SourceAccountColumn, "projection."+athenaqueries.SourceRegionColumn
	for _, tc := range []struct {
		name string
		p    SourcePartitions
		want map[string]string
	}{
		{"listed accounts", SourcePartitions{Accounts: []string{"111111111111", "222222222222"}, Regions: []string{"us-east-1", "eu-west-1"}}, map[string]string{
			acct + ".type": "enum", acct + ".values": "111111111111,222222222222",
			reg + ".type": "enum", reg + ".values": "us-east-1,eu-west-1",
		}},
		{"an organization", SourcePartitions{Regions: []string{"us-east-1"}}, map[string]string{
			acct + ".type": "injected",
			reg + ".type":  "enum", reg + ".values": "us-east-1",
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := SourceProjectionParameters(tc.p)
			if len(got) != len(tc.want) {
				t.Errorf("got %d parameters %v, want %d %v", len(got), got, len(tc.want), tc.want)
			}
			for k, v := range tc.want {
				if got[k] != v {
					t.Errorf("%s = %q, want %q", k, got[k], v)
				}
			}
		})
	}
}

// TestAthenaTableArgsAtTheirBounds: each bound of the validation is
// inclusive where AWS's is, and one step past it is refused: Athena's scan
// cutoff starts at 10 MB (awslimits.MinAthenaScanLimitBytes), and the
// projection may start in 2015 or any year up to the current one, and query
// results expire after at least a day (the lifecycle rule's minimum).
func TestAthenaTableArgsAtTheirBounds(t *testing.T) {
	year := time.Now().UTC().Year()
	for _, tc := range []struct {
		name string
		set  func(a *AthenaTableArgs)
		ok   bool
	}{
		{"scan limit of 10 MB", func(a *AthenaTableArgs) { a.ScanLimitMB = 10 }, true},
		{"scan limit of 9 MB", func(a *AthenaTableArgs) { a.ScanLimitMB = 9 }, false},
		{"scan limit of MaxScanLimitMB", func(a *AthenaTableArgs) { a.ScanLimitMB = MaxScanLimitMB }, true},
		{"projection from 2015", func(a *AthenaTableArgs) { a.ProjectionStartYear = 2015 }, true},
		{"projection from 2014", func(a *AthenaTableArgs) { a.ProjectionStartYear = 2014 }, false},
		{"projection from this year", func(a *AthenaTableArgs) { a.ProjectionStartYear = year }, true},
		{"projection from next year", func(a *AthenaTableArgs) { a.ProjectionStartYear = year + 1 }, false},
		{"results kept 1 day", func(a *AthenaTableArgs) { a.ResultExpirationDays = 1 }, true},
		{"results kept -1 days", func(a *AthenaTableArgs) { a.ResultExpirationDays = -1 }, false}, // 0 is the default, 30
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := tableArgs("parquet")
			tc.set(a)
			m, err := mockaws.Run(func(ctx *pulumi.Context) error {
				_, err := NewAthenaTable(ctx, "bounds", a)
				return err
			}, "p", "s", nil)
			if tc.ok && err != nil {
				t.Fatalf("refused: %v", err)
			}
			if !tc.ok && (err == nil || len(m.Resources) != 0) {
				t.Fatalf("err = %v, %d resources registered; want an error and none", err, len(m.Resources))
			}
		})
	}
}

// TestAthenaTableScanLimitAboveInt64 is the overflow the config's sweep found:
// ScanLimitMB*1_000_000 wrapped around int64, so 10,000,000,000,000 MB was
// refused as "below Athena's minimum of 10 MB", and 18,446,744,073,720 MB
// wrapped to 10,448,384 bytes, passed the minimum and became a 10 MB cutoff.
// Above MaxScanLimitMB the component refuses with the real reason and
// registers nothing; the config refuses the same values.
func TestAthenaTableScanLimitAboveInt64(t *testing.T) {
	for _, mb := range []int{MaxScanLimitMB + 1, 10_000_000_000_000, 18_446_744_073_720} {
		t.Run(strconv.Itoa(mb), func(t *testing.T) {
			a := tableArgs("parquet")
			a.ScanLimitMB = mb
			m, err := mockaws.Run(func(ctx *pulumi.Context) error {
				_, err := NewAthenaTable(ctx, "bounds", a)
				return err
			}, "p", "s", nil)
			want := fmt.Sprintf("ScanLimitMB: %d is above %d", mb, MaxScanLimitMB)
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Fatalf("err = %v, want one containing %q", err, want)
			}
			if len(m.Resources) != 0 {
				t.Errorf("%d resources registered", len(m.Resources))
			}
			_, cfgErr := stackconfig.Load(func(key string) (string, bool) {
				if key == stackconfig.Key("athenaScanLimitMb") {
					return strconv.Itoa(mb), true
				}
				return "", false
			})
			if cfgErr == nil {
				t.Errorf("athenaScanLimitMb %d: the config accepts what the component refuses", mb)
			}
		})
	}
	if MaxScanLimitMB != stackconfig.MaxAthenaScanLimitMB {
		t.Errorf("MaxScanLimitMB %d, stackconfig.MaxAthenaScanLimitMB %d: they disagree", MaxScanLimitMB, stackconfig.MaxAthenaScanLimitMB)
	}
}
