package components

import (
	"encoding/json"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/awsconstraints"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/flowlog"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/mockaws"
)

const (
	qsPrincipal  = "arn:aws:quicksight:us-east-1:123456789012:group/default/flowlog-analysts"
	qsFlowBucket = "arn:aws:s3:::flow-bucket"
	qsResults    = "arn:aws:s3:::results-bucket"
	qsKey        = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
)

func qsArgs() *QuickSightAnalysisArgs {
	return &QuickSightAnalysisArgs{
		PrincipalArn:     qsPrincipal,
		WorkgroupName:    pulumi.String("flow-wg"),
		DatabaseName:     pulumi.String("flow_db"),
		TableName:        pulumi.String("flow_logs"),
		Fields:           flowlog.DefaultFields(),
		FlowLogBucketArn: pulumi.String(qsFlowBucket),
		ResultBucketArn:  pulumi.String(qsResults),
		Tags:             map[string]string{"team": "secops"},
	}
}

func runQS(t *testing.T, a *QuickSightAnalysisArgs) (*mockaws.Mocks, *QuickSightAnalysis) {
	t.Helper()
	var c *QuickSightAnalysis
	m := run(t, func(ctx *pulumi.Context) error {
		var err error
		c, err = NewQuickSightAnalysis(ctx, "qs", a)
		return err
	})
	return m, c
}

// dataSetColumns returns the data set's input columns (name -> type, and in
// order) and its calculated fields (name -> expression).
func dataSetColumns(t *testing.T, ds *mockaws.Resource) (order []string, types map[string]string, calculated map[string]string) {
	t.Helper()
	types, calculated = map[string]string{}, map[string]string{}
	pts := ds.Inputs["physicalTableMaps"].([]any)
	if len(pts) != 1 {
		t.Fatalf("%d physical tables", len(pts))
	}
	for _, c := range asMap(asMap(pts[0])["relationalTable"])["inputColumns"].([]any) {
		col := asMap(c)
		order = append(order, str(col["name"]))
		types[str(col["name"])] = str(col["type"])
	}
	for _, lt := range ds.Inputs["logicalTableMaps"].([]any) {
		for _, tr := range asMap(lt)["dataTransforms"].([]any) {
			for _, c := range asMap(asMap(tr)["createColumnsOperation"])["columns"].([]any) {
				col := asMap(c)
				calculated[str(col["columnName"])] = str(col["expression"])
			}
		}
	}
	return order, types, calculated
}

// desiredState parses the Cloud Control resource's desired state.
func desiredState(t *testing.T, r *mockaws.Resource) map[string]any {
	t.Helper()
	var st map[string]any
	if err := json.Unmarshal([]byte(r.Input("desiredState")), &st); err != nil {
		t.Fatalf("desiredState is not JSON: %v\n%s", err, r.Input("desiredState"))
	}
	return st
}

// walk calls f on every object in v, depth first.
func walk(v any, f func(map[string]any)) {
	switch t := v.(type) {
	case map[string]any:
		f(t)
		for _, e := range t {
			walk(e, f)
		}
	case []any:
		for _, e := range t {
			walk(e, f)
		}
	}
}

func visualsOf(t *testing.T, def map[string]any) map[string]map[string]any {
	t.Helper()
	out := map[string]map[string]any{}
	sheets := def["Sheets"].([]any)
	if len(sheets) != 1 {
		t.Fatalf("%d sheets", len(sheets))
	}
	for _, v := range asMap(sheets[0])["Visuals"].([]any) {
		vm := asMap(v)
		if len(vm) != 1 {
			t.Fatalf("visual container %v holds %d visuals", vm, len(vm))
		}
		for kind, spec := range vm {
			id := str(asMap(spec)["VisualId"])
			if _, dup := out[id]; dup {
				t.Errorf("visual id %s twice", id)
			}
			out[id] = map[string]any{"kind": kind, "spec": spec}
		}
	}
	return out
}

func TestQuickSightAnalysis(t *testing.T) {
	m, c := runQS(t, qsArgs())
	assertComponentTree(t, m, "vpcflowlogs:index:QuickSightAnalysis", "qs")

	// The data source queries Athena in the workgroup, over SSL.
	src := mustGet(t, m, "qs-athena")
	if src.Input("type") != "ATHENA" || asMap(asMap(src.Inputs["parameters"])["athena"])["workGroup"] != "flow-wg" {
		t.Errorf("data source %v %v", src.Inputs["type"], src.Inputs["parameters"])
	}
	if asMap(src.Inputs["sslProperties"])["disableSsl"] != false {
		t.Errorf("SSL %v", src.Inputs["sslProperties"])
	}
	if src.Input("dataSourceId") != "qs-athena" || src.Input("awsAccountId") != mockaws.Account {
		t.Errorf("data source id %q in %q", src.Input("dataSourceId"), src.Input("awsAccountId"))
	}

	// The data set queries the table directly; its columns are the catalog's,
	// in file order, typed for QuickSight, then the partition columns.
	ds := mustGet(t, m, "qs-dataset")
	if ds.Input("importMode") != "DIRECT_QUERY" {
		t.Errorf("import mode %q", ds.Input("importMode"))
	}
	rt := asMap(asMap(ds.Inputs["physicalTableMaps"].([]any)[0])["relationalTable"])
	if rt["dataSourceArn"] != src.Outputs["arn"] || rt["catalog"] != "AwsDataCatalog" || rt["schema"] != "flow_db" || rt["name"] != "flow_logs" {
		t.Errorf("relational table %v", rt)
	}
	order, types, calculated := dataSetColumns(t, ds)
	fields := flowlog.DefaultFields()
	if len(order) != len(fields)+len(PartitionKeys) {
		t.Fatalf("%d columns for %d fields + %d partition keys", len(order), len(fields), len(PartitionKeys))
	}
	for i, f := range fields {
		want := map[string]string{"int": "INTEGER", "bigint": "INTEGER", "string": "STRING"}[f.AthenaType]
		if order[i] != f.Column() || types[order[i]] != want {
			t.Errorf("column %d = %s %s, want %s %s (catalog order)", i, order[i], types[order[i]], f.Column(), want)
		}
	}
	if got := order[len(fields):]; !slices.Equal(got, PartitionKeys) || types["datehour"] != "STRING" {
		t.Errorf("partition columns %v (%s), want datehour STRING", got, types["datehour"])
	}
	wantCalc := map[string][]string{
		"protocol_name":         {"ifelse(", "{protocol} = 6, 'TCP'", "{protocol} = 17, 'UDP'", "{protocol} = 1, 'ICMP'"},
		"flow_duration_seconds": {"{end} - {start}"},
		"flow_date":             {"epochDate({start})"},
		"partition_time":        {"parseDate(", "{datehour}"},
	}
	if len(calculated) != len(wantCalc) {
		t.Errorf("calculated fields %v", calculated)
	}
	for name, parts := range wantCalc {
		for _, p := range parts {
			if !strings.Contains(calculated[name], p) {
				t.Errorf("calculated field %s = %q lacks %q", name, calculated[name], p)
			}
		}
	}
	// Every column a calculated field reads is an input column.
	for name, expr := range calculated {
		for _, ref := range strings.FieldsFunc(expr, func(r rune) bool { return r == '{' || r == '}' }) {
			if strings.ContainsAny(ref, " (),'=") || ref == "" {
				continue
			}
			if _, ok := types[ref]; !ok {
				t.Errorf("calculated field %s reads %s, which the data set lacks", name, ref)
			}
		}
	}

	// The dashboard: six visuals, each field reference a column or
	// calculated field of the data set it declares.
	dash := mustGet(t, m, "qs-dashboard")
	if dash.Input("typeName") != "AWS::QuickSight::Dashboard" {
		t.Errorf("dashboard type %q", dash.Input("typeName"))
	}
	st := desiredState(t, dash)
	if st["DashboardId"] != "qs-dashboard" || st["AwsAccountId"] != mockaws.Account || str(st["Name"]) == "" {
		t.Errorf("dashboard ids %v %v %v", st["DashboardId"], st["AwsAccountId"], st["Name"])
	}
	def := asMap(st["Definition"])
	decls := def["DataSetIdentifierDeclarations"].([]any)
	if len(decls) != 1 || asMap(decls[0])["DataSetArn"] != ds.Outputs["arn"] {
		t.Fatalf("data set declarations %v, data set %v", decls, ds.Outputs["arn"])
	}
	ident := asMap(decls[0])["Identifier"]
	visuals := visualsOf(t, def)
	assertWindowFilter(t, def, c.Visuals)
	wantVisuals := map[string]string{
		"bytes-by-destination": "BarChartVisual", "bytes-by-source": "BarChartVisual",
		"accept-reject": "PieChartVisual", "flows-per-interface": "BarChartVisual",
		"total-bytes": "KPIVisual", "total-packets": "KPIVisual",
	}
	if len(visuals) != len(wantVisuals) || len(c.Visuals) != len(wantVisuals) || len(c.SkippedVisuals) != 0 {
		t.Errorf("visuals %v (component: %v, skipped %v)", visuals, c.Visuals, c.SkippedVisuals)
	}
	for id, kind := range wantVisuals {
		if visuals[id]["kind"] != kind {
			t.Errorf("visual %s is %v, want %s", id, visuals[id]["kind"], kind)
		}
	}
	refs := map[string][]string{} // visual -> columns
	for id, v := range visuals {
		fieldIDs := map[string]bool{}
		walk(v["spec"], func(o map[string]any) {
			if col, ok := o["Column"].(map[string]any); ok {
				name := str(col["ColumnName"])
				refs[id] = append(refs[id], name)
				if col["DataSetIdentifier"] != ident {
					t.Errorf("visual %s reads %v from data set %v, not the declared %v", id, name, col["DataSetIdentifier"], ident)
				}
				if _, isCol := types[name]; !isCol && calculated[name] == "" {
					t.Errorf("visual %s reads %q, neither a column nor a calculated field of the data set", id, name)
				}
				fid := str(o["FieldId"])
				if fid == "" || fieldIDs[fid] {
					t.Errorf("visual %s: field id %q empty or repeated", id, fid)
				}
				fieldIDs[fid] = true
			}
		})
		// Sorts name fields of their own visual.
		walk(v["spec"], func(o map[string]any) {
			if fs, ok := o["FieldSort"].(map[string]any); ok && !fieldIDs[str(fs["FieldId"])] {
				t.Errorf("visual %s sorts by %v, not one of its fields", id, fs["FieldId"])
			}
		})
	}
	wantRefs := map[string][]string{
		"bytes-by-destination": {"dstaddr", "bytes", "protocol_name"},
		"bytes-by-source":      {"srcaddr", "bytes", "protocol_name"},
		"accept-reject":        {"action"},
		"flows-per-interface":  {"interface_id"},
		"total-bytes":          {"bytes"},
		"total-packets":        {"packets"},
	}
	for id, want := range wantRefs {
		for _, w := range want {
			if !slices.Contains(refs[id], w) {
				t.Errorf("visual %s does not read %s (reads %v)", id, w, refs[id])
			}
		}
	}
	// The layout places every visual once.
	var placed []string
	walk(def["Sheets"], func(o map[string]any) {
		if o["ElementType"] == "VISUAL" {
			placed = append(placed, str(o["ElementId"]))
		}
	})
	slices.Sort(placed)
	if want := slices.Sorted(maps.Keys(visuals)); !slices.Equal(placed, want) {
		t.Errorf("layout places %v, visuals are %v", placed, want)
	}

	// Permissions: the principal owns all three, and nobody else is named.
	for _, r := range []*mockaws.Resource{src, ds} {
		perms := r.Inputs["permissions"].([]any)
		if len(perms) != 1 || asMap(perms[0])["principal"] != qsPrincipal || len(asMap(perms[0])["actions"].([]any)) == 0 {
			t.Errorf("%s permissions %v", r.Name, perms)
		}
	}
	if !slices.Contains(strings1(asMap(asMap(src.Inputs["permissions"].([]any)[0]))["actions"]), "quicksight:PassDataSource") ||
		!slices.Contains(strings1(asMap(ds.Inputs["permissions"].([]any)[0])["actions"]), "quicksight:PassDataSet") {
		t.Error("the owner cannot pass the data source and data set on (needed to build analyses)")
	}
	perms := st["Permissions"].([]any)
	if len(perms) != 1 || asMap(perms[0])["Principal"] != qsPrincipal ||
		!slices.Contains(strings1(asMap(perms[0])["Actions"]), "quicksight:QueryDashboard") {
		t.Errorf("dashboard permissions %v", perms)
	}

	// QuickSight's service role gets a policy scoped to the two buckets, the
	// table and the workgroup.
	pol := mustGet(t, m, "qs-service-policy")
	att := mustGet(t, m, "qs-service-policy-attachment")
	if att.Input("role") != "aws-quicksight-service-role-v0" || att.Input("policyArn") != pol.Outputs["arn"] {
		t.Errorf("attachment %v", att.Inputs)
	}
	if !slices.Contains(src.Dependencies, att.URN) {
		t.Errorf("the data source does not wait for the service-role policy: %v", src.Dependencies)
	}
	doc := policyDoc(t, pol, "policy")
	var s3Resources []string
	for _, s := range doc["Statement"].([]any) {
		st := asMap(s)
		res := strings1(st["Resource"])
		for _, r := range res {
			if r == "*" || strings.Contains(strings.TrimSuffix(r, "/*"), "*") {
				t.Errorf("statement %v has a wildcard resource %q", st["Sid"], r)
			}
		}
		for _, a := range strings1(st["Action"]) {
			if strings.HasSuffix(a, "*") {
				t.Errorf("statement %v has a wildcard action %q", st["Sid"], a)
			}
			if strings.HasPrefix(a, "s3:") {
				s3Resources = append(s3Resources, res...)
			}
		}
		if strings.HasPrefix(str(st["Sid"]), "Bucket") || strings.Contains(str(st["Sid"]), "Kms") {
			t.Errorf("KMS statement without a key: %v", st)
		}
	}
	for _, r := range s3Resources {
		if b := strings.TrimSuffix(r, "/*"); b != qsFlowBucket && b != qsResults {
			t.Errorf("S3 access beyond the two buckets: %s", r)
		}
	}
	for _, r := range []string{qsFlowBucket, qsFlowBucket + "/*", qsResults, qsResults + "/*"} {
		if !slices.Contains(s3Resources, r) {
			t.Errorf("no S3 access to %s", r)
		}
	}
	if w := statementBySid(t, doc, "ReadWriteResults"); !slices.Contains(strings1(w["Action"]), "s3:PutObject") {
		t.Errorf("QuickSight cannot write query results: %v", w)
	}
	if r := statementBySid(t, doc, "ReadFlowLogs"); slices.ContainsFunc(strings1(r["Action"]), func(a string) bool { return a != "s3:GetObject" }) {
		t.Errorf("QuickSight may do more than read flow logs: %v", r)
	}
	if wg := statementBySid(t, doc, "AthenaWorkgroup"); wg["Resource"] != "arn:aws:athena:us-east-1:123456789012:workgroup/flow-wg" {
		t.Errorf("workgroup statement %v", wg["Resource"])
	}
	glue := strings1(statementBySid(t, doc, "GlueTable")["Resource"])
	if !slices.Contains(glue, "arn:aws:glue:us-east-1:123456789012:table/flow_db/flow_logs") ||
		!slices.Contains(glue, "arn:aws:glue:us-east-1:123456789012:database/flow_db") {
		t.Errorf("Glue resources %v", glue)
	}

	// Tags reach every taggable resource, and the dashboard's tag list.
	for _, r := range []*mockaws.Resource{src, ds, pol} {
		if asMap(r.Inputs["tags"])["team"] != "secops" {
			t.Errorf("%s tags %v", r.Name, r.Inputs["tags"])
		}
	}
	if !slices.ContainsFunc(st["Tags"].([]any), func(v any) bool { return asMap(v)["Key"] == "team" && asMap(v)["Value"] == "secops" }) {
		t.Errorf("dashboard tags %v", st["Tags"])
	}
}

func strings1(v any) []string {
	switch t := v.(type) {
	case string:
		return []string{t}
	case []any:
		var out []string
		for _, e := range t {
			out = append(out, str(e))
		}
		return out
	}
	return nil
}

func TestQuickSightKmsAndIDPrefix(t *testing.T) {
	a := qsArgs()
	a.KmsKeyArn = qsKey
	a.IDPrefix = "vpcflowlogs-prod"
	a.ServiceRoleName = "custom-quicksight-role"
	m, c := runQS(t, a)
	doc := policyDoc(t, mustGet(t, m, "qs-service-policy"), "policy")
	key := statementBySid(t, doc, "BucketKey")
	if key["Resource"] != qsKey || !slices.Equal(strings1(key["Action"]), []string{"kms:Decrypt", "kms:GenerateDataKey"}) {
		t.Errorf("key statement %v", key)
	}
	if asMap(asMap(key["Condition"])["StringEquals"])["kms:ViaService"] != "s3.us-east-1.amazonaws.com" {
		t.Errorf("key use is not limited to S3: %v", key["Condition"])
	}
	if att := mustGet(t, m, "qs-service-policy-attachment"); att.Input("role") != "custom-quicksight-role" {
		t.Errorf("attached to %q", att.Input("role"))
	}
	for name, want := range map[string]string{"qs-athena": "vpcflowlogs-prod-athena", "qs-dataset": "vpcflowlogs-prod-flow-logs"} {
		r := mustGet(t, m, name)
		if got := r.Input("dataSourceId") + r.Input("dataSetId"); got != want {
			t.Errorf("%s id %q, want %q", name, got, want)
		}
	}
	if st := desiredState(t, mustGet(t, m, "qs-dashboard")); st["DashboardId"] != "vpcflowlogs-prod-dashboard" {
		t.Errorf("dashboard id %v", st["DashboardId"])
	}
	// Awaited, not asserted inside an ApplyT callback that may run after the test has ended.
	for _, o := range []struct {
		name string
		out  pulumi.Output
		want string
	}{
		{"DashboardID", c.DashboardID, "vpcflowlogs-prod-dashboard"},
		{"DashboardURL", c.DashboardURL, "https://us-east-1.quicksight.aws.amazon.com/sn/dashboards/vpcflowlogs-prod-dashboard"},
		{"DashboardArn", c.DashboardArn, "arn:aws:quicksight:us-east-1:123456789012:dashboard/vpcflowlogs-prod-dashboard"},
	} {
		if got := await(t, o.out); got != o.want {
			t.Errorf("%s = %v, want %s", o.name, got, o.want)
		}
	}
}

// With fewer fields, visuals and calculated fields whose fields are not
// recorded are left out, and the component says which and why.
func TestQuickSightSkipsVisualsOfUnrecordedFields(t *testing.T) {
	fields, err := flowlog.FieldsByName([]string{"version", "srcaddr", "dstaddr", "bytes", "start", "action"})
	if err != nil {
		t.Fatal(err)
	}
	a := qsArgs()
	a.Fields = fields
	m, c := runQS(t, a)
	if want := []string{"total-bytes", "accept-reject", "bytes-by-destination", "bytes-by-source"}; !slices.Equal(c.Visuals, want) {
		t.Errorf("visuals %v, want %v", c.Visuals, want)
	}
	if len(c.SkippedVisuals) != 2 || !strings.Contains(c.SkippedVisuals[0], "total-packets") || !strings.Contains(c.SkippedVisuals[0], "packets") ||
		!strings.Contains(c.SkippedVisuals[1], "flows-per-interface") || !strings.Contains(c.SkippedVisuals[1], "interface-id") {
		t.Errorf("skipped %v", c.SkippedVisuals)
	}
	ds := mustGet(t, m, "qs-dataset")
	order, _, calculated := dataSetColumns(t, ds)
	if !slices.Equal(order, []string{"version", "srcaddr", "dstaddr", "bytes", "start", "action", "datehour"}) {
		t.Errorf("columns %v", order)
	}
	if len(calculated) != 2 || calculated["flow_date"] == "" || calculated["partition_time"] == "" {
		t.Errorf("calculated %v, want only flow_date and partition_time (protocol and end are not recorded)", calculated)
	}
	// The time window applies whatever fields are recorded.
	assertWindowFilter(t, asMap(desiredState(t, mustGet(t, m, "qs-dashboard"))["Definition"]), c.Visuals)
	visuals := visualsOf(t, asMap(desiredState(t, mustGet(t, m, "qs-dashboard"))["Definition"]))
	if len(visuals) != 4 {
		t.Errorf("%d visuals", len(visuals))
	}
	// Without a protocol there is no protocol_name to stack the bars by.
	walk(visuals["bytes-by-destination"]["spec"], func(o map[string]any) {
		if o["Colors"] != nil || o["ColumnName"] == "protocol_name" {
			t.Errorf("bar split by a protocol that is not recorded: %v", o)
		}
	})
}

func TestQuickSightRejectsBadArgs(t *testing.T) {
	cases := map[string]func(a *QuickSightAnalysisArgs){
		"IAM role as principal": func(a *QuickSightAnalysisArgs) { a.PrincipalArn = "arn:aws:iam::123456789012:role/analyst" },
		"no namespace": func(a *QuickSightAnalysisArgs) {
			a.PrincipalArn = "arn:aws:quicksight:us-east-1:123456789012:user/alice"
		},
		"no principal":        func(a *QuickSightAnalysisArgs) { a.PrincipalArn = "" },
		"no workgroup":        func(a *QuickSightAnalysisArgs) { a.WorkgroupName = nil },
		"no result bucket":    func(a *QuickSightAnalysisArgs) { a.ResultBucketArn = nil },
		"bucket name for ARN": func(a *QuickSightAnalysisArgs) { a.FlowLogBucketArn = pulumi.String("flow-bucket") },
		"table name":          func(a *QuickSightAnalysisArgs) { a.TableName = pulumi.String("Flow-Logs") },
		"no fields":           func(a *QuickSightAnalysisArgs) { a.Fields = nil },
		"no visual possible": func(a *QuickSightAnalysisArgs) {
			a.Fields, _ = flowlog.FieldsByName([]string{"version", "srcaddr", "dstaddr"})
		},
		"KMS alias": func(a *QuickSightAnalysisArgs) { a.KmsKeyArn = "alias/flowlogs" },
		"id prefix": func(a *QuickSightAnalysisArgs) { a.IDPrefix = "flow logs" },
		// 87 characters: the data set id would be 97, over QuickSight's 96.
		"id prefix too long": func(a *QuickSightAnalysisArgs) { a.IDPrefix = strings.Repeat("p", 87) },
		"role name":          func(a *QuickSightAnalysisArgs) { a.ServiceRoleName = "role/with/path" },
	}
	for name, mutate := range cases {
		t.Run(name, func(t *testing.T) {
			a := qsArgs()
			mutate(a)
			m, err := mockaws.Run(func(ctx *pulumi.Context) error {
				_, err := NewQuickSightAnalysis(ctx, "bad", a)
				return err
			}, "p", "s", nil)
			if err == nil || len(m.Resources) != 0 {
				t.Fatalf("err = %v, %d resources registered", err, len(m.Resources))
			}
		})
	}
}

// The data set's types come from the catalog: every Athena type of the
// catalog has a QuickSight type.
func TestQuickSightColumnsCoverTheCatalog(t *testing.T) {
	cols, err := QuickSightColumns(flowlog.Catalog)
	if err != nil {
		t.Fatal(err)
	}
	if len(cols) != len(flowlog.Catalog)+len(PartitionKeys) {
		t.Errorf("%d columns", len(cols))
	}
}

// assertWindowFilter checks the dashboard's definition has one enabled
// filter group that keeps every visual of its one sheet to the last
// QuickSightWindowHours hours of partition_time, a calculated field of the
// declared data set.
func assertWindowFilter(t *testing.T, def map[string]any, visualIDs []string) {
	t.Helper()
	sheets := def["Sheets"].([]any)
	if len(sheets) != 1 {
		t.Fatalf("%d sheets", len(sheets))
	}
	sheetID := asMap(sheets[0])["SheetId"]
	ident := asMap(def["DataSetIdentifierDeclarations"].([]any)[0])["Identifier"]
	groups, _ := def["FilterGroups"].([]any)
	if len(groups) != 1 {
		t.Fatalf("filter groups %v, want one: without it a visual scans every projected partition", def["FilterGroups"])
	}
	g := asMap(groups[0])
	if g["Status"] != "ENABLED" || g["CrossDataset"] != "SINGLE_DATASET" || str(g["FilterGroupId"]) == "" {
		t.Errorf("filter group %v", g)
	}
	scopes := asMap(asMap(g["ScopeConfiguration"])["SelectedSheets"])["SheetVisualScopingConfigurations"].([]any)
	if len(scopes) != 1 || asMap(scopes[0])["SheetId"] != sheetID || asMap(scopes[0])["Scope"] != "ALL_VISUALS" {
		t.Errorf("filter scope %v, want every visual of sheet %v (%v)", scopes, sheetID, visualIDs)
	}
	filters := g["Filters"].([]any)
	if len(filters) != 1 {
		t.Fatalf("filters %v", filters)
	}
	f := asMap(asMap(filters[0])["RelativeDatesFilter"])
	if f == nil {
		t.Fatalf("filter %v is not a RelativeDatesFilter", filters[0])
	}
	col := asMap(f["Column"])
	if col["ColumnName"] != QuickSightPartitionTime.Name || col["DataSetIdentifier"] != ident {
		t.Errorf("window filter on %v, want %s of %v", col, QuickSightPartitionTime.Name, ident)
	}
	if f["RelativeDateType"] != "LAST" || f["TimeGranularity"] != "HOUR" || f["RelativeDateValue"] != float64(QuickSightWindowHours) ||
		asMap(f["AnchorDateConfiguration"])["AnchorOption"] != "NOW" || f["NullOption"] != "NON_NULLS_ONLY" || str(f["FilterId"]) == "" {
		t.Errorf("window filter %v, want the last %d hours", f, QuickSightWindowHours)
	}
}

// TestQuickSightPartitionTime: partition_time cuts year, month, day and hour
// out of the partition value (QuickSight's substring is 1-based) and parses
// them into the start of that hour.
func TestQuickSightPartitionTime(t *testing.T) {
	when := time.Date(2026, time.December, 2, 5, 0, 0, 0, time.UTC)
	value := when.Format(partitionGoLayout)
	if value != "year=2026/month=12/day=02/hour=05" || value != renderJavaPattern(t, PartitionFormat, when) {
		t.Fatalf("partition value %q; Java pattern gives %q", value, renderJavaPattern(t, PartitionFormat, when))
	}
	expr := QuickSightPartitionTime.Expression
	m := regexp.MustCompile(`^parseDate\(concat\((.*)\), '([^']*)'\)$`).FindStringSubmatch(expr)
	if m == nil || m[2] != "yyyy-MM-dd HH:mm:ss" {
		t.Fatalf("expression %q is not parseDate(concat(...), 'yyyy-MM-dd HH:mm:ss')", expr)
	}
	var out strings.Builder
	sub := regexp.MustCompile(`^substring\(\{datehour\}, (\d+), (\d+)\)$`)
	args := regexp.MustCompile(`substring\(\{datehour\}, \d+, \d+\)|'[^']*'`).FindAllString(m[1], -1)
	if strings.Join(args, ", ") != m[1] {
		t.Fatalf("concat arguments %q are not substrings of datehour and literals", m[1])
	}
	for _, arg := range args {
		if lit, ok := strings.CutPrefix(arg, "'"); ok {
			out.WriteString(strings.TrimSuffix(lit, "'"))
			continue
		}
		sm := sub.FindStringSubmatch(arg)
		if sm == nil {
			t.Fatalf("argument %q of concat", arg)
		}
		start, _ := strconv.Atoi(sm[1])
		n, _ := strconv.Atoi(sm[2])
		out.WriteString(value[start-1 : start-1+n])
	}
	got, err := time.Parse("2006-01-02 15:04:05", out.String())
	if err != nil || !got.Equal(when) {
		t.Errorf("partition_time of %q = %q (%v), want %v", value, out.String(), err, when)
	}
}

// TestQuickSightLongestIDPrefixFits: the longest IDPrefix accepted (86
// characters) gives a data set id of exactly QuickSight's 96 and a data
// source name within its 128, and deploy-name-limits' table agrees.
func TestQuickSightLongestIDPrefixFits(t *testing.T) {
	a := qsArgs()
	a.IDPrefix = strings.Repeat("p", 86)
	m, err := mockaws.Run(func(ctx *pulumi.Context) error {
		_, err := NewQuickSightAnalysis(ctx, "qs", a)
		return err
	}, "p", "s", nil)
	if err != nil {
		t.Fatal(err)
	}
	ds := m.ByType("aws:quicksight/dataSet:DataSet")
	src := m.ByType("aws:quicksight/dataSource:DataSource")
	if len(ds) != 1 || len(src) != 1 {
		t.Fatalf("%d data sets, %d data sources", len(ds), len(src))
	}
	if n := len(ds[0].Input("dataSetId")); n != 96 {
		t.Errorf("data set id of %d characters, want the 96 of the limit", n)
	}
	if n := len(src[0].Input("name")); n > 128 {
		t.Errorf("data source name of %d characters, over 128", n)
	}
	for _, r := range append(ds, src...) {
		if v := awsconstraints.CheckResource(r.Type, r.Name, r.Inputs); len(v) != 0 {
			t.Errorf("%s: %v", r.Name, v)
		}
	}
	ds[0].Inputs["dataSetId"] = ds[0].Input("dataSetId") + "x"
	if v := awsconstraints.CheckResource(ds[0].Type, ds[0].Name, ds[0].Inputs); len(v) == 0 {
		t.Error("a data set id of 97 characters passes deploy-name-limits")
	}
}
