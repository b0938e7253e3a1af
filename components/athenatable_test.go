package components

import (
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/athenaqueries"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/flowlog"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/mockaws"
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
	want := map[string]string{
		"projection.enabled":        "true",
		"projection.year.type":      "integer",
		"projection.year.range":     "2024,2099",
		"projection.month.range":    "1,12",
		"projection.month.digits":   "2",
		"projection.day.range":      "1,31",
		"projection.day.digits":     "2",
		"projection.hour.range":     "0,23",
		"projection.hour.digits":    "2",
		"storage.location.template": testLocation + "year=${year}/month=${month}/day=${day}/hour=${hour}/",
	}
	for k, v := range want {
		if params[k] != v {
			t.Errorf("parameter %s = %v, want %s", k, params[k], v)
		}
	}
	var keys []string
	for _, k := range tbl.Inputs["partitionKeys"].([]any) {
		keys = append(keys, str(asMap(k)["name"]))
	}
	if strings.Join(keys, ",") != "year,month,day,hour" {
		t.Errorf("partition keys %v", keys)
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
