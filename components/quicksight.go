package components

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudcontrol"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/quicksight"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/athenaqueries"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/awslimits"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/flowlog"
)

// QuickSightAnalysisArgs configures QuickSightAnalysis.
type QuickSightAnalysisArgs struct {
	// PrincipalArn is the QuickSight user or group that owns the data source,
	// data set and dashboard:
	// arn:aws:quicksight:<region>:<account>:(user|group)/<namespace>/<name>.
	PrincipalArn string
	// WorkgroupName is the Athena workgroup the data source runs its queries
	// in (its result location, encryption and scan cutoff apply).
	WorkgroupName pulumi.StringInput
	// DatabaseName and TableName name the Glue table of the flow logs. Pass
	// AthenaTable's outputs so the data set waits for the table.
	DatabaseName pulumi.StringInput
	TableName    pulumi.StringInput
	// Fields are the table's columns, in file order (the recorded fields).
	Fields []flowlog.Field
	// FlowLogBucketArn is the bucket the table reads (QuickSight reads it);
	// ResultBucketArn the workgroup's result bucket (QuickSight writes it).
	FlowLogBucketArn pulumi.StringInput
	ResultBucketArn  pulumi.StringInput
	// KmsKeyArn is the key the buckets are encrypted with ("" = SSE-S3).
	KmsKeyArn string
	// ServiceRoleName is the role QuickSight uses for Athena data sources
	// (default aws-quicksight-service-role-v0).
	ServiceRoleName string
	// IDPrefix prefixes the QuickSight ids (<prefix>-athena, <prefix>-flow-logs,
	// <prefix>-dashboard), which are unique per account and region; default
	// the component name.
	IDPrefix string
	Tags     map[string]string
}

// QuickSightAnalysis is QuickSight over the flow-log table: an Athena data
// source bound to the workgroup, a direct-query data set over the table with
// calculated fields, and a dashboard with the mission's visuals, all owned by
// one QuickSight principal; plus a customer managed policy, scoped to the
// buckets, the Glue table and the workgroup, attached to QuickSight's service role.
type QuickSightAnalysis struct {
	pulumi.ResourceState

	DataSourceArn    pulumi.StringOutput `pulumi:"dataSourceArn"`
	DataSetArn       pulumi.StringOutput `pulumi:"dataSetArn"`
	DashboardID      pulumi.StringOutput `pulumi:"dashboardId"`
	DashboardArn     pulumi.StringOutput `pulumi:"dashboardArn"`
	DashboardURL     pulumi.StringOutput `pulumi:"dashboardUrl"`
	ServicePolicyArn pulumi.StringOutput `pulumi:"servicePolicyArn"`
	// Visuals are the ids of the dashboard's visuals; SkippedVisuals say
	// which visuals were left out because their fields are not recorded.
	Visuals        []string
	SkippedVisuals []string
}

// QuickSightColumn is one input column of the data set.
type QuickSightColumn struct {
	Name string
	Type string // INTEGER or STRING
}

// quickSightTypes maps the catalog's Athena types to QuickSight input column types.
var quickSightTypes = map[string]string{"int": "INTEGER", "bigint": "INTEGER", "string": "STRING"}

// QuickSightColumns are the data set's input columns: the table's columns
// (flowlog.GlueColumns, in file order) and then its projected partition
// column (a string, like every date-projected column), from which the
// partition_time calculated field is derived for the dashboard's time filter.
func QuickSightColumns(fields []flowlog.Field) ([]QuickSightColumn, error) {
	var out []QuickSightColumn
	for _, c := range flowlog.GlueColumns(fields) {
		t, ok := quickSightTypes[c.Type]
		if !ok {
			return nil, fmt.Errorf("column %s: Athena type %q has no QuickSight type", c.Name, c.Type)
		}
		out = append(out, QuickSightColumn{Name: c.Name, Type: t})
	}
	for _, k := range PartitionKeys {
		out = append(out, QuickSightColumn{Name: k, Type: "STRING"})
	}
	return out, nil
}

// QuickSightCalculatedField is a column the data set computes.
type QuickSightCalculatedField struct {
	ID, Name, Expression string
	// Needs are the catalog fields the expression reads.
	Needs []string
}

// partitionGoLayout is PartitionFormat as a Go time layout (a test keeps
// the two equal).
const partitionGoLayout = "year=2006/month=01/day=02/hour=15"

// QuickSightPartitionTime is the calculated field holding the start of the
// hour a record's partition covers, as a QuickSight date: the pieces of the
// partition value ("year=2026/month=12/day=02/hour=05") cut out with
// substring (1-based) and parsed with parseDate
// (https://docs.aws.amazon.com/quicksight/latest/user/parseDate-function.html).
// The dashboard filters on it, so Athena only reads the partitions of the
// window.
var QuickSightPartitionTime = QuickSightCalculatedField{
	ID: "partition-time", Name: "partition_time", Expression: partitionTimeExpression(),
}

func partitionTimeExpression() string {
	part := func(ref string) string {
		return fmt.Sprintf("substring({%s}, %d, %d)", athenaqueries.PartitionColumn, strings.Index(partitionGoLayout, ref)+1, len(ref))
	}
	return fmt.Sprintf("parseDate(concat(%s, '-', %s, '-', %s, ' ', %s, ':00:00'), 'yyyy-MM-dd HH:mm:ss')",
		part("2006"), part("01"), part("02"), part("15"))
}

var allCalculatedFields = []QuickSightCalculatedField{
	QuickSightPartitionTime,
	{ID: "protocol-name", Name: "protocol_name", Needs: []string{"protocol"},
		Expression: "ifelse({protocol} = 6, 'TCP', {protocol} = 17, 'UDP', {protocol} = 1, 'ICMP', toString({protocol}))"},
	{ID: "flow-duration-seconds", Name: "flow_duration_seconds", Needs: []string{"start", "end"},
		Expression: "{end} - {start}"},
	{ID: "flow-date", Name: "flow_date", Needs: []string{"start"},
		Expression: "epochDate({start})"},
}

// QuickSightCalculatedFields are the calculated fields whose inputs are recorded.
func QuickSightCalculatedFields(fields []flowlog.Field) []QuickSightCalculatedField {
	var out []QuickSightCalculatedField
	for _, c := range allCalculatedFields {
		if recorded(fields, c.Needs...) {
			out = append(out, c)
		}
	}
	return out
}

func recorded(fields []flowlog.Field, names ...string) bool {
	for _, n := range names {
		if !slices.ContainsFunc(fields, func(f flowlog.Field) bool { return f.Name == n }) {
			return false
		}
	}
	return true
}

// QuickSightVisual is one visual of the dashboard.
type QuickSightVisual struct {
	ID, Title string
	// Kind is the definition's visual key (BarChartVisual, PieChartVisual, KPIVisual).
	Kind string
	// Needs are the catalog fields the visual cannot do without.
	Needs []string
	// Spec is the visual as the QuickSight API takes it (AWS::QuickSight::Dashboard Definition).
	Spec map[string]any
}

// quickSightDataSetIdentifier is how the dashboard definition names the data set.
const quickSightDataSetIdentifier = "flow_logs"

func qsColumn(name string) map[string]any {
	return map[string]any{"DataSetIdentifier": quickSightDataSetIdentifier, "ColumnName": name}
}

func qsDimension(id, column string) map[string]any {
	return map[string]any{"CategoricalDimensionField": map[string]any{"FieldId": id, "Column": qsColumn(column)}}
}

func qsSum(id, column string) map[string]any {
	return map[string]any{"NumericalMeasureField": map[string]any{
		"FieldId": id, "Column": qsColumn(column),
		"AggregationFunction": map[string]any{"SimpleNumericalAggregation": "SUM"},
	}}
}

func qsCount(id, column string) map[string]any {
	return map[string]any{"CategoricalMeasureField": map[string]any{
		"FieldId": id, "Column": qsColumn(column), "AggregationFunction": "COUNT",
	}}
}

func qsTitle(text string) map[string]any {
	return map[string]any{"Visibility": "VISIBLE", "FormatText": map[string]any{"PlainText": text}}
}

// qsBar is a horizontal bar chart of the top 10 categories by value,
// stacked by colors when given.
func qsBar(id, title string, category, value map[string]any, valueID string, colors []any) map[string]any {
	wells := map[string]any{"Category": []any{category}, "Values": []any{value}}
	conf := map[string]any{
		"Orientation": "HORIZONTAL",
		"SortConfiguration": map[string]any{
			"CategorySort":       []any{map[string]any{"FieldSort": map[string]any{"FieldId": valueID, "Direction": "DESC"}}},
			"CategoryItemsLimit": map[string]any{"ItemsLimit": 10, "OtherCategories": "INCLUDE"},
		},
	}
	if len(colors) > 0 {
		wells["Colors"] = colors
		conf["BarsArrangement"] = "STACKED"
	}
	conf["FieldWells"] = map[string]any{"BarChartAggregatedFieldWells": wells}
	return map[string]any{"VisualId": id, "Title": qsTitle(title), "ChartConfiguration": conf}
}

func qsKPI(id, title string, value map[string]any) map[string]any {
	return map[string]any{"VisualId": id, "Title": qsTitle(title),
		"ChartConfiguration": map[string]any{"FieldWells": map[string]any{"Values": []any{value}}}}
}

// QuickSightVisuals returns the dashboard's visuals whose fields are
// recorded, in layout order (the two KPIs first), and a sentence for each
// visual left out.
func QuickSightVisuals(fields []flowlog.Field) (visuals []QuickSightVisual, skipped []string) {
	// The address bars split bytes by protocol when the protocol is recorded.
	var protocolColors func(id string) []any
	if recorded(fields, "protocol") {
		protocolColors = func(id string) []any { return []any{qsDimension(id+"-protocol", "protocol_name")} }
	} else {
		protocolColors = func(string) []any { return nil }
	}
	all := []QuickSightVisual{
		{ID: "total-bytes", Title: "Total bytes", Kind: "KPIVisual", Needs: []string{"bytes"},
			Spec: qsKPI("total-bytes", "Total bytes", qsSum("total-bytes-bytes", "bytes"))},
		{ID: "total-packets", Title: "Total packets", Kind: "KPIVisual", Needs: []string{"packets"},
			Spec: qsKPI("total-packets", "Total packets", qsSum("total-packets-packets", "packets"))},
		{ID: "accept-reject", Title: "ACCEPT and REJECT flows", Kind: "PieChartVisual", Needs: []string{"action"},
			Spec: map[string]any{"VisualId": "accept-reject", "Title": qsTitle("ACCEPT and REJECT flows"),
				"ChartConfiguration": map[string]any{"FieldWells": map[string]any{"PieChartAggregatedFieldWells": map[string]any{
					"Category": []any{qsDimension("accept-reject-action", "action")},
					"Values":   []any{qsCount("accept-reject-flows", "action")},
				}}}}},
		{ID: "flows-per-interface", Title: "Flows per network interface", Kind: "BarChartVisual", Needs: []string{"interface-id"},
			Spec: qsBar("flows-per-interface", "Flows per network interface",
				qsDimension("flows-per-interface-eni", "interface_id"), qsCount("flows-per-interface-flows", "interface_id"),
				"flows-per-interface-flows", nil)},
		{ID: "bytes-by-destination", Title: "Top destination addresses by bytes", Kind: "BarChartVisual", Needs: []string{"dstaddr", "bytes"},
			Spec: qsBar("bytes-by-destination", "Top destination addresses by bytes",
				qsDimension("bytes-by-destination-dstaddr", "dstaddr"), qsSum("bytes-by-destination-bytes", "bytes"),
				"bytes-by-destination-bytes", protocolColors("bytes-by-destination"))},
		{ID: "bytes-by-source", Title: "Top source addresses by bytes", Kind: "BarChartVisual", Needs: []string{"srcaddr", "bytes"},
			Spec: qsBar("bytes-by-source", "Top source addresses by bytes",
				qsDimension("bytes-by-source-srcaddr", "srcaddr"), qsSum("bytes-by-source-bytes", "bytes"),
				"bytes-by-source-bytes", protocolColors("bytes-by-source"))},
	}
	for _, v := range all {
		var missing []string
		for _, n := range v.Needs {
			if !recorded(fields, n) {
				missing = append(missing, n)
			}
		}
		if len(missing) > 0 {
			skipped = append(skipped, fmt.Sprintf("%s (%q) needs the flow-log fields %s, which are not recorded",
				v.ID, v.Title, strings.Join(missing, ", ")))
			continue
		}
		visuals = append(visuals, v)
	}
	return visuals, skipped
}

// quickSightDefinition is the dashboard's definition: one sheet with the
// visuals on a 36-column grid, two per row.
func quickSightDefinition(visuals []QuickSightVisual, dataSetArn pulumi.StringOutput) map[string]any {
	var list, elements []any
	row := 0
	for i := 0; i < len(visuals); i += 2 {
		height := 0
		for j := i; j < min(i+2, len(visuals)); j++ {
			v := visuals[j]
			span := 12
			if v.Kind == "KPIVisual" {
				span = 6
			}
			height = max(height, span)
			list = append(list, map[string]any{v.Kind: v.Spec})
			elements = append(elements, map[string]any{
				"ElementId": v.ID, "ElementType": "VISUAL",
				"ColumnIndex": (j - i) * 18, "ColumnSpan": 18, "RowIndex": row, "RowSpan": span,
			})
		}
		row += height
	}
	return map[string]any{
		"DataSetIdentifierDeclarations": []any{map[string]any{"Identifier": quickSightDataSetIdentifier, "DataSetArn": dataSetArn}},
		"Sheets": []any{map[string]any{
			"SheetId": quickSightSheetID, "Name": "VPC flow logs",
			"Visuals": list,
			"Layouts": []any{map[string]any{"Configuration": map[string]any{"GridLayout": map[string]any{"Elements": elements}}}},
		}},
		"FilterGroups": []any{quickSightWindowFilterGroup()},
	}
}

const quickSightSheetID = "flow-logs"

// QuickSightWindowHours is the time window every visual of the dashboard
// reads: the last athenaqueries.WindowHours hours, the window of the saved
// queries.
const QuickSightWindowHours = athenaqueries.WindowHours

// quickSightWindowFilterGroup filters every visual of the sheet to the
// partitions of the last QuickSightWindowHours hours: a relative-dates filter
// on partition_time (AWS::QuickSight::Dashboard FilterGroup and
// RelativeDatesFilter,
// https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-properties-quicksight-dashboard-filtergroup.html,
// https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-properties-quicksight-dashboard-relativedatesfilter.html).
// Direct query turns it into a predicate on the partition column, so a
// visual never makes Athena read more than the window's partitions.
func quickSightWindowFilterGroup() map[string]any {
	return map[string]any{
		"FilterGroupId": "partition-window",
		"CrossDataset":  "SINGLE_DATASET",
		"Status":        "ENABLED",
		"ScopeConfiguration": map[string]any{"SelectedSheets": map[string]any{
			"SheetVisualScopingConfigurations": []any{map[string]any{"SheetId": quickSightSheetID, "Scope": "ALL_VISUALS"}},
		}},
		"Filters": []any{map[string]any{"RelativeDatesFilter": map[string]any{
			"FilterId":                "partition-window-last-hours",
			"Column":                  qsColumn(QuickSightPartitionTime.Name),
			"AnchorDateConfiguration": map[string]any{"AnchorOption": "NOW"},
			"TimeGranularity":         "HOUR",
			"RelativeDateType":        "LAST",
			"RelativeDateValue":       QuickSightWindowHours,
			"NullOption":              "NON_NULLS_ONLY",
		}}},
	}
}

// Owner permissions of the principal on each object.
var (
	quickSightDataSourceActions = []string{
		"quicksight:DescribeDataSource", "quicksight:DescribeDataSourcePermissions", "quicksight:PassDataSource",
		"quicksight:UpdateDataSource", "quicksight:DeleteDataSource", "quicksight:UpdateDataSourcePermissions",
	}
	quickSightDataSetActions = []string{
		"quicksight:DescribeDataSet", "quicksight:DescribeDataSetPermissions", "quicksight:PassDataSet",
		"quicksight:DescribeIngestion", "quicksight:ListIngestions", "quicksight:UpdateDataSet",
		"quicksight:DeleteDataSet", "quicksight:CreateIngestion", "quicksight:CancelIngestion",
		"quicksight:UpdateDataSetPermissions",
	}
	quickSightDashboardActions = []string{
		"quicksight:DescribeDashboard", "quicksight:ListDashboardVersions", "quicksight:QueryDashboard",
		"quicksight:UpdateDashboard", "quicksight:DeleteDashboard", "quicksight:UpdateDashboardPermissions",
		"quicksight:DescribeDashboardPermissions", "quicksight:UpdateDashboardPublishedVersion",
	}
)

// maxQuickSightIDPrefix is the longest IDPrefix: 96 characters of data
// set id less "-flow-logs".
const maxQuickSightIDPrefix = 96 - len("-flow-logs")

var (
	// quickSightIDRe is what IDPrefix may be: the data set id
	// (<prefix>-flow-logs) is at most 96 characters, and so the prefix at
	// most 86 (internal/awsconstraints cites the limits; the data source's
	// name, "VPC flow logs - Athena (<prefix>)", fits its 128 then too).
	quickSightIDRe = regexp.MustCompile(`^[A-Za-z0-9_-]{1,` + strconv.Itoa(maxQuickSightIDPrefix) + `}$`)
	iamRoleNameRe  = regexp.MustCompile(`^[\w+=,.@-]{1,64}$`)
)

func (a *QuickSightAnalysisArgs) defaults(name string) {
	if a.ServiceRoleName == "" {
		a.ServiceRoleName = awslimits.QuickSightServiceRole
	}
	if a.IDPrefix == "" {
		a.IDPrefix = name
	}
}

// plainString returns the value of a StringInput given as a plain pulumi.String.
func qsPlainString(in pulumi.StringInput) (string, bool) {
	s, ok := in.(pulumi.String)
	return string(s), ok
}

func (a *QuickSightAnalysisArgs) validate() error {
	var errs []error
	if !awslimits.QuickSightPrincipalArn.MatchString(a.PrincipalArn) {
		errs = append(errs, fmt.Errorf("PrincipalArn: %q is not the ARN of a QuickSight user or group (arn:aws:quicksight:<region>:<account>:user/<namespace>/<name> or group/<namespace>/<name>)", a.PrincipalArn))
	}
	required := map[string]pulumi.StringInput{
		"WorkgroupName": a.WorkgroupName, "DatabaseName": a.DatabaseName, "TableName": a.TableName,
		"FlowLogBucketArn": a.FlowLogBucketArn, "ResultBucketArn": a.ResultBucketArn,
	}
	for _, k := range qsSortedKeys(required) {
		if required[k] == nil {
			errs = append(errs, fmt.Errorf("%s: required", k))
		}
	}
	names := map[string]pulumi.StringInput{"DatabaseName": a.DatabaseName, "TableName": a.TableName}
	for _, k := range qsSortedKeys(names) {
		if s, ok := qsPlainString(names[k]); ok && !glueNameRe.MatchString(s) {
			errs = append(errs, fmt.Errorf("%s: %q must be lowercase letters, digits and underscores", k, s))
		}
	}
	buckets := map[string]pulumi.StringInput{"FlowLogBucketArn": a.FlowLogBucketArn, "ResultBucketArn": a.ResultBucketArn}
	for _, k := range qsSortedKeys(buckets) {
		if s, ok := qsPlainString(buckets[k]); ok && (s == "" || validateArn(k, s, "s3") != nil) {
			errs = append(errs, fmt.Errorf("%s: %q is not an S3 bucket ARN", k, s))
		}
	}
	if len(a.Fields) == 0 {
		errs = append(errs, errors.New("Fields: at least one column is required"))
	} else if _, err := QuickSightColumns(a.Fields); err != nil {
		errs = append(errs, fmt.Errorf("Fields: %w", err))
	} else if v, _ := QuickSightVisuals(a.Fields); len(v) == 0 {
		errs = append(errs, errors.New("Fields: no dashboard visual can be built; record at least one of bytes, packets, action, interface-id"))
	}
	errs = appendErr(errs, validateArn("KmsKeyArn", a.KmsKeyArn, "kms"))
	if !iamRoleNameRe.MatchString(a.ServiceRoleName) {
		errs = append(errs, fmt.Errorf("ServiceRoleName: %q is not an IAM role name", a.ServiceRoleName))
	}
	if !quickSightIDRe.MatchString(a.IDPrefix) {
		errs = append(errs, fmt.Errorf("IDPrefix: %q must be 1-%d letters, digits, '-' and '_'", a.IDPrefix, maxQuickSightIDPrefix))
	}
	return errors.Join(errs...)
}

func qsSortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// NewQuickSightAnalysis creates the service-role policy, the data source,
// the data set and the dashboard.
func NewQuickSightAnalysis(ctx *pulumi.Context, name string, args *QuickSightAnalysisArgs, opts ...pulumi.ResourceOption) (*QuickSightAnalysis, error) {
	if args == nil {
		return nil, errors.New("QuickSightAnalysis: args are required")
	}
	a := *args
	a.defaults(name)
	if err := a.validate(); err != nil {
		return nil, fmt.Errorf("QuickSightAnalysis %q: %w", name, err)
	}
	columns, _ := QuickSightColumns(a.Fields)
	calculated := QuickSightCalculatedFields(a.Fields)
	visuals, skipped := QuickSightVisuals(a.Fields)

	c := &QuickSightAnalysis{SkippedVisuals: skipped}
	if err := ctx.RegisterComponentResource(typeToken("QuickSightAnalysis"), name, c, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(c)
	env, err := lookupEnv(ctx, c)
	if err != nil {
		return nil, err
	}
	for _, s := range skipped {
		if err := ctx.Log.Warn("QuickSight dashboard: left out "+s, &pulumi.LogArgs{Resource: c}); err != nil {
			return nil, err
		}
	}

	// QuickSight reads Athena, Glue and S3 as its service role, for every
	// Athena data source of the account: the policy names exactly this
	// workgroup, this table and these two buckets.
	glueArn := func(resource string) string { return env.arn("glue", env.Region, env.AccountID, resource) }
	stmts := []statement{
		{
			"Sid":    "AthenaWorkgroup",
			"Effect": "Allow",
			"Action": []any{
				"athena:StartQueryExecution", "athena:StopQueryExecution", "athena:GetQueryExecution",
				"athena:GetQueryResults", "athena:GetQueryResultsStream", "athena:BatchGetQueryExecution",
				"athena:GetWorkGroup",
			},
			"Resource": pulumi.Sprintf("arn:%s:athena:%s:%s:workgroup/%s", env.Partition, env.Region, env.AccountID, a.WorkgroupName),
		},
		{
			"Sid":      "AthenaCatalog",
			"Effect":   "Allow",
			"Action":   []any{"athena:GetDataCatalog", "athena:GetDatabase", "athena:GetTableMetadata", "athena:ListTableMetadata"},
			"Resource": env.arn("athena", env.Region, env.AccountID, "datacatalog/AwsDataCatalog"),
		},
		{
			"Sid":    "GlueTable",
			"Effect": "Allow",
			"Action": []any{"glue:GetDatabase", "glue:GetTable", "glue:GetTables", "glue:GetPartition", "glue:GetPartitions", "glue:BatchGetPartition"},
			"Resource": []any{
				glueArn("catalog"),
				pulumi.Sprintf("%s/%s", glueArn("database"), a.DatabaseName),
				pulumi.Sprintf("%s/%s/%s", glueArn("table"), a.DatabaseName, a.TableName),
			},
		},
		{
			"Sid":      "ListFlowLogBucket",
			"Effect":   "Allow",
			"Action":   []any{"s3:ListBucket", "s3:GetBucketLocation"},
			"Resource": a.FlowLogBucketArn,
		},
		{
			"Sid":      "ReadFlowLogs",
			"Effect":   "Allow",
			"Action":   []any{"s3:GetObject"},
			"Resource": pulumi.Sprintf("%s/*", a.FlowLogBucketArn),
		},
		{
			"Sid":      "ListResultBucket",
			"Effect":   "Allow",
			"Action":   []any{"s3:ListBucket", "s3:GetBucketLocation", "s3:ListBucketMultipartUploads"},
			"Resource": a.ResultBucketArn,
		},
		{
			"Sid":      "ReadWriteResults",
			"Effect":   "Allow",
			"Action":   []any{"s3:GetObject", "s3:PutObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"},
			"Resource": pulumi.Sprintf("%s/*", a.ResultBucketArn),
		},
	}
	if a.KmsKeyArn != "" {
		stmts = append(stmts, statement{
			"Sid":       "BucketKey",
			"Effect":    "Allow",
			"Action":    []any{"kms:Decrypt", "kms:GenerateDataKey"},
			"Resource":  a.KmsKeyArn,
			"Condition": map[string]any{"StringEquals": map[string]any{"kms:ViaService": "s3." + env.Region + "." + env.DNSSuffix}},
		})
	}
	pol, err := iam.NewPolicy(ctx, name+"-service-policy", &iam.PolicyArgs{
		Description: pulumi.String("QuickSight access to the flow-log table, its buckets and workgroup (" + name + ")"),
		Policy:      policyJSON(policy(stmts...)),
		Tags:        NameTags(a.Tags, name+"-service-policy"),
	}, parent)
	if err != nil {
		return nil, err
	}
	attachment, err := iam.NewRolePolicyAttachment(ctx, name+"-service-policy-attachment", &iam.RolePolicyAttachmentArgs{
		Role:      pulumi.String(a.ServiceRoleName),
		PolicyArn: pol.Arn,
	}, parent)
	if err != nil {
		return nil, err
	}

	ds, err := quicksight.NewDataSource(ctx, name+"-athena", &quicksight.DataSourceArgs{
		AwsAccountId: pulumi.String(env.AccountID),
		DataSourceId: pulumi.String(a.IDPrefix + "-athena"),
		Name:         pulumi.String("VPC flow logs - Athena (" + a.IDPrefix + ")"),
		Type:         pulumi.String("ATHENA"),
		Parameters: &quicksight.DataSourceParametersArgs{
			Athena: &quicksight.DataSourceParametersAthenaArgs{WorkGroup: a.WorkgroupName},
		},
		SslProperties: &quicksight.DataSourceSslPropertiesArgs{DisableSsl: pulumi.Bool(false)},
		Permissions: quicksight.DataSourcePermissionArray{&quicksight.DataSourcePermissionArgs{
			Principal: pulumi.String(a.PrincipalArn), Actions: pulumi.ToStringArray(quickSightDataSourceActions),
		}},
		Tags: NameTags(a.Tags, name+"-athena"),
	}, parent, pulumi.DependsOn([]pulumi.Resource{attachment}))
	if err != nil {
		return nil, err
	}

	inputCols := quicksight.DataSetPhysicalTableMapRelationalTableInputColumnArray{}
	for _, col := range columns {
		inputCols = append(inputCols, quicksight.DataSetPhysicalTableMapRelationalTableInputColumnArgs{
			Name: pulumi.String(col.Name), Type: pulumi.String(col.Type),
		})
	}
	logical := &quicksight.DataSetLogicalTableMapArgs{
		LogicalTableMapId: pulumi.String("flow-logs"),
		Alias:             pulumi.String("flow_logs"),
		Source:            &quicksight.DataSetLogicalTableMapSourceArgs{PhysicalTableId: pulumi.String("flow-logs")},
	}
	if len(calculated) > 0 {
		cols := quicksight.DataSetLogicalTableMapDataTransformCreateColumnsOperationColumnArray{}
		for _, cf := range calculated {
			cols = append(cols, quicksight.DataSetLogicalTableMapDataTransformCreateColumnsOperationColumnArgs{
				ColumnId: pulumi.String(cf.ID), ColumnName: pulumi.String(cf.Name), Expression: pulumi.String(cf.Expression),
			})
		}
		logical.DataTransforms = quicksight.DataSetLogicalTableMapDataTransformArray{
			&quicksight.DataSetLogicalTableMapDataTransformArgs{
				CreateColumnsOperation: &quicksight.DataSetLogicalTableMapDataTransformCreateColumnsOperationArgs{Columns: cols},
			},
		}
	}
	dataSet, err := quicksight.NewDataSet(ctx, name+"-dataset", &quicksight.DataSetArgs{
		AwsAccountId: pulumi.String(env.AccountID),
		DataSetId:    pulumi.String(a.IDPrefix + "-flow-logs"),
		Name:         pulumi.String("VPC flow logs (" + a.IDPrefix + ")"),
		ImportMode:   pulumi.String("DIRECT_QUERY"),
		PhysicalTableMaps: quicksight.DataSetPhysicalTableMapArray{&quicksight.DataSetPhysicalTableMapArgs{
			PhysicalTableMapId: pulumi.String("flow-logs"),
			RelationalTable: &quicksight.DataSetPhysicalTableMapRelationalTableArgs{
				DataSourceArn: ds.Arn,
				Catalog:       pulumi.String("AwsDataCatalog"),
				Schema:        a.DatabaseName,
				Name:          a.TableName,
				InputColumns:  inputCols,
			},
		}},
		LogicalTableMaps: quicksight.DataSetLogicalTableMapArray{logical},
		Permissions: quicksight.DataSetPermissionArray{&quicksight.DataSetPermissionArgs{
			Principal: pulumi.String(a.PrincipalArn), Actions: pulumi.ToStringArray(quickSightDataSetActions),
		}},
		Tags: NameTags(a.Tags, name+"-dataset"),
	}, parent)
	if err != nil {
		return nil, err
	}

	// pulumi-aws v6 leaves the definition out of quicksight.Dashboard (its
	// schema is too large for the SDKs), so the dashboard is declared as the
	// CloudFormation type AWS::QuickSight::Dashboard through Cloud Control,
	// which takes the full definition.
	dashboardID := a.IDPrefix + "-dashboard"
	tagList := []any{}
	dashTags := NameTags(a.Tags, name+"-dashboard")
	for _, k := range qsSortedKeys(dashTags) {
		tagList = append(tagList, map[string]any{"Key": k, "Value": dashTags[k]})
	}
	dashboard, err := cloudcontrol.NewResource(ctx, name+"-dashboard", &cloudcontrol.ResourceArgs{
		TypeName: pulumi.String("AWS::QuickSight::Dashboard"),
		DesiredState: pulumi.JSONMarshal(pulumi.ToOutput(map[string]any{
			"AwsAccountId":       env.AccountID,
			"DashboardId":        dashboardID,
			"Name":               "VPC flow logs (" + a.IDPrefix + ")",
			"VersionDescription": "Declared by the vpc-flow-logs Pulumi program",
			"Definition":         quickSightDefinition(visuals, dataSet.Arn),
			"Permissions": []any{map[string]any{
				"Principal": a.PrincipalArn, "Actions": qsAnyList(quickSightDashboardActions),
			}},
			"Tags": tagList,
		})),
	}, parent)
	if err != nil {
		return nil, err
	}

	for _, v := range visuals {
		c.Visuals = append(c.Visuals, v.ID)
	}
	c.DataSourceArn = ds.Arn
	c.DataSetArn = dataSet.Arn
	c.DashboardID = dashboard.ID().ToStringOutput().ApplyT(func(string) string { return dashboardID }).(pulumi.StringOutput)
	c.DashboardArn = dashboard.ID().ToStringOutput().ApplyT(func(string) string {
		return env.arn("quicksight", env.Region, env.AccountID, "dashboard/"+dashboardID)
	}).(pulumi.StringOutput)
	c.DashboardURL = dashboard.ID().ToStringOutput().ApplyT(func(string) string {
		return fmt.Sprintf("https://%s.quicksight.aws.amazon.com/sn/dashboards/%s", env.Region, dashboardID)
	}).(pulumi.StringOutput)
	c.ServicePolicyArn = pol.Arn
	return c, ctx.RegisterResourceOutputs(c, pulumi.Map{
		"dataSourceArn":    c.DataSourceArn,
		"dataSetArn":       c.DataSetArn,
		"dashboardId":      c.DashboardID,
		"dashboardArn":     c.DashboardArn,
		"dashboardUrl":     c.DashboardURL,
		"servicePolicyArn": c.ServicePolicyArn,
		"visuals":          pulumi.ToStringArray(c.Visuals),
		"skippedVisuals":   pulumi.ToStringArray(c.SkippedVisuals),
	})
}

func qsAnyList(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}
