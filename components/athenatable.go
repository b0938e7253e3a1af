package components

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/athena"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/glue"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/athenaqueries"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/awslimits"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/flowlog"
)

// AthenaTableArgs configures AthenaTable.
type AthenaTableArgs struct {
	// Location is the S3 URI under which the Hive-style hourly partitions
	// year=YYYY/month=MM/day=DD/hour=HH/ start (UTC); it ends with "/".
	Location pulumi.StringInput
	// Fields are the columns, in file order.
	Fields []flowlog.Field
	// Format is "parquet" or "plain-text" (space-delimited; gzip is read transparently).
	Format string
	// SkipHeaderLine skips the first line of each plain-text file (S3 flow
	// logs write a header; Firehose output has none).
	SkipHeaderLine bool
	// DatabaseName and TableName default to the component name (with
	// underscores) and "flow_logs".
	DatabaseName string
	TableName    string
	// ProjectionStartYear is the first year partition projection enumerates
	// (from January 1, 00:00 UTC); the projection ends at the current hour.
	ProjectionStartYear int
	// ScanLimitMB is the workgroup's bytes-scanned cutoff per query, in MB
	// (10 to MaxScanLimitMB).
	ScanLimitMB int
	// ResultExpirationDays expires query results (default 30).
	ResultExpirationDays int
	// KmsKeyArn encrypts query results with SSE-KMS ("" = SSE-S3).
	KmsKeyArn string
	// Queries limits the saved queries to these names; empty = every query
	// whose fields are recorded (athenaqueries.Applicable).
	Queries []string
	Tags    map[string]string
	// Sources, when set, makes the table read every member's flow logs in
	// a central bucket: Location is then s3://<bucket>/AWSLogs/, under
	// which each sender writes aws-account-id=<account>/aws-service=vpcflowlogs/aws-region=<region>/
	// and the hourly partitions (Hive-compatible prefixes), and the table
	// is partitioned by source_account and source_region as well.
	Sources *SourcePartitions
}

// SourcePartitions are the projected values of a central table's account
// and region partitions.
type SourcePartitions struct {
	// Accounts are enumerated (projection type enum); empty makes the
	// account partition injected: the accounts are not listed (an
	// organization) and every query names the accounts it reads
	// (athenaqueries.SourceAccountParameter in the saved queries).
	Accounts []string
	// Regions are enumerated; at least one.
	Regions []string
}

// SourceLocationTemplate is the storage.location.template of a central
// table: the members' Hive-compatible prefixes
// (https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-s3-path.html)
// with the account, region and hour projected.
func SourceLocationTemplate(location string) string {
	return location + "aws-account-id=${" + athenaqueries.SourceAccountColumn + "}/aws-service=vpcflowlogs/aws-region=${" +
		athenaqueries.SourceRegionColumn + "}/${" + athenaqueries.PartitionColumn + "}/"
}

// SourceProjectionParameters are the projection parameters of a central
// table's account and region columns: enum for what is listed, injected
// for the accounts of an organization
// (https://docs.aws.amazon.com/athena/latest/ug/partition-projection-supported-types.html).
func SourceProjectionParameters(p SourcePartitions) map[string]string {
	acct := "projection." + athenaqueries.SourceAccountColumn
	reg := "projection." + athenaqueries.SourceRegionColumn
	out := map[string]string{
		reg + ".type":   "enum",
		reg + ".values": strings.Join(p.Regions, ","),
	}
	if len(p.Accounts) == 0 {
		out[acct+".type"] = "injected"
	} else {
		out[acct+".type"] = "enum"
		out[acct+".values"] = strings.Join(p.Accounts, ",")
	}
	return out
}

// AthenaTable is a Glue table over flow-log files with partition projection
// (no partitions are ever added by hand), an Athena workgroup with its own
// encrypted result bucket and a scan cutoff, and the saved queries.
type AthenaTable struct {
	pulumi.ResourceState

	DatabaseName  pulumi.StringOutput    `pulumi:"databaseName"`
	TableName     pulumi.StringOutput    `pulumi:"tableName"`
	WorkgroupName pulumi.StringOutput    `pulumi:"workgroupName"`
	ResultBucket  pulumi.StringOutput    `pulumi:"resultBucket"`
	NamedQueryIDs pulumi.StringMapOutput `pulumi:"namedQueryIds"`
	StorageLayout pulumi.StringOutput    `pulumi:"storageLocationTemplate"`
	QueryNames    []string

	// ResultBucketArn is the result bucket's ARN (QuickSightAnalysis writes there).
	ResultBucketArn pulumi.StringOutput `pulumi:"resultBucketArn"`
}

var glueNameRe = regexp.MustCompile(`^[a-z0-9_]{1,255}$`)

// glueName turns a component name into a Glue/Athena identifier.
func glueName(s string) string {
	return strings.ToLower(strings.NewReplacer("-", "_", ".", "_").Replace(s))
}

// PartitionKeys are the projected partition columns of every flow-log
// table: one string column, athenaqueries.PartitionColumn ("datehour"),
// whose value is the S3 prefix of one hour, "year=2026/month=12/day=02/hour=05".
var PartitionKeys = []string{athenaqueries.PartitionColumn}

// PartitionFormat is the Java DateTimeFormatter pattern of a PartitionKeys
// value: the Hive-style hourly prefix that flow logs delivered to S3 with
// Hive-compatible prefixes and per-hour partitions write under
// .../aws-region=<region>/
// (https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-s3-path.html)
// and that FirehoseDataPrefix writes under flowlogs/. The quoted parts are
// literal text; the value is UTC, as both writers' prefixes are.
const PartitionFormat = "'year='yyyy'/month='MM'/day='dd'/hour='HH"

// ProjectionParameters are the table parameters that make Athena compute the
// hourly partitions from startYear up to the current hour, never beyond it:
// a date projection whose range ends at NOW, one partition per HOURS
// interval
// (https://docs.aws.amazon.com/athena/latest/ug/partition-projection-supported-types.html#partition-projection-date-type).
// A query without a partition predicate thus enumerates the hours since
// startYear, not every hour to 2099. The table adds the
// storage.location.template (LocationTemplate of its location).
func ProjectionParameters(startYear int) map[string]string {
	col := "projection." + athenaqueries.PartitionColumn
	return map[string]string{
		"EXTERNAL":             "TRUE",
		"projection.enabled":   "true",
		col + ".type":          "date",
		col + ".format":        PartitionFormat,
		col + ".range":         fmt.Sprintf("year=%d/month=01/day=01/hour=00,NOW", startYear),
		col + ".interval":      "1",
		col + ".interval.unit": "HOURS",
	}
}

// LocationTemplate appends the hourly partition to a location: the
// projected value is the whole "year=.../month=.../day=.../hour=..." prefix.
// The template holds a placeholder for every partition column and ends with
// "/", as Athena requires
// (https://docs.aws.amazon.com/athena/latest/ug/partition-projection-setting-up.html).
func LocationTemplate(location string) string {
	return location + "${" + athenaqueries.PartitionColumn + "}/"
}

func (a *AthenaTableArgs) defaults(name string) {
	if a.DatabaseName == "" {
		a.DatabaseName = glueName(name)
	}
	if a.TableName == "" {
		a.TableName = "flow_logs"
	}
	if a.ProjectionStartYear == 0 {
		a.ProjectionStartYear = 2024
	}
	if a.ResultExpirationDays == 0 {
		a.ResultExpirationDays = 30
	}
}

// MaxScanLimitMB is the largest ScanLimitMB: its bytes, ScanLimitMB x
// 1,000,000, must fit the workgroup's BytesScannedCutoffPerQuery, a Long
// (awslimits.MaxAthenaScanLimitMB, the config's bound too).
const MaxScanLimitMB = awslimits.MaxAthenaScanLimitMB

func (a *AthenaTableArgs) validate() error {
	var errs []error
	if a.Location == nil {
		errs = append(errs, errors.New("Location: required"))
	}
	if len(a.Fields) == 0 {
		errs = append(errs, errors.New("Fields: at least one column is required"))
	}
	if a.Format != awslimits.FileFormatParquet && a.Format != awslimits.FileFormatPlainText {
		errs = append(errs, fmt.Errorf("Format: %q is not %q or %q", a.Format, awslimits.FileFormatParquet, awslimits.FileFormatPlainText))
	}
	if !glueNameRe.MatchString(a.DatabaseName) {
		errs = append(errs, fmt.Errorf("DatabaseName: %q must be lowercase letters, digits and underscores", a.DatabaseName))
	}
	if !glueNameRe.MatchString(a.TableName) {
		errs = append(errs, fmt.Errorf("TableName: %q must be lowercase letters, digits and underscores", a.TableName))
	}
	// Compared in MB: ScanLimitMB*1_000_000 overflows int64 above
	// MaxScanLimitMB and wrapped to a value "below Athena's minimum".
	switch {
	case a.ScanLimitMB < awslimits.MinAthenaScanLimitBytes/1_000_000:
		errs = append(errs, fmt.Errorf("ScanLimitMB: %d is below Athena's minimum of 10 MB", a.ScanLimitMB))
	case a.ScanLimitMB > MaxScanLimitMB:
		errs = append(errs, fmt.Errorf("ScanLimitMB: %d is above %d, the largest cutoff whose bytes (MB x 1,000,000) fit BytesScannedCutoffPerQuery, a 64-bit integer", a.ScanLimitMB, MaxScanLimitMB))
	}
	// The range ends at NOW and must start before it, or every query fails.
	if now := time.Now().UTC().Year(); a.ProjectionStartYear < 2015 || a.ProjectionStartYear > now {
		errs = append(errs, fmt.Errorf("ProjectionStartYear: %d is not between 2015 and the current year %d (the projection ends at the current hour)", a.ProjectionStartYear, now))
	}
	if a.ResultExpirationDays < 1 {
		errs = append(errs, fmt.Errorf("ResultExpirationDays: %d must be >= 1", a.ResultExpirationDays))
	}
	if err := validateArn("KmsKeyArn", a.KmsKeyArn, "kms"); err != nil {
		errs = append(errs, err)
	}
	if a.Sources != nil {
		if len(a.Sources.Regions) == 0 {
			errs = append(errs, errors.New("Sources.Regions: at least one region"))
		}
		for i, r := range a.Sources.Regions {
			if !regionNameRe.MatchString(r) {
				errs = append(errs, fmt.Errorf("Sources.Regions[%d]: %q is not a region name", i, r))
			}
		}
		for i, id := range a.Sources.Accounts {
			if !accountIDRe.MatchString(id) {
				errs = append(errs, fmt.Errorf("Sources.Accounts[%d]: %q is not a 12-digit account id", i, id))
			}
		}
	}
	applicable := athenaqueries.Applicable(a.Fields)
	for _, q := range a.Queries {
		if _, ok := athenaqueries.ByName(q); !ok {
			errs = append(errs, fmt.Errorf("Queries: unknown query %q", q))
			continue
		}
		found := false
		for _, aq := range applicable {
			found = found || aq.Name == q
		}
		if !found {
			errs = append(errs, fmt.Errorf("Queries: %q needs fields that are not recorded", q))
		}
	}
	return errors.Join(errs...)
}

// NewAthenaTable creates the database, table, workgroup, result bucket and saved queries.
func NewAthenaTable(ctx *pulumi.Context, name string, args *AthenaTableArgs, opts ...pulumi.ResourceOption) (*AthenaTable, error) {
	if args == nil {
		return nil, errors.New("AthenaTable: args are required")
	}
	a := *args
	a.defaults(name)
	if err := a.validate(); err != nil {
		return nil, fmt.Errorf("AthenaTable %q: %w", name, err)
	}
	c := &AthenaTable{}
	if err := ctx.RegisterComponentResource(typeToken("AthenaTable"), name, c, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(c)

	db, err := glue.NewCatalogDatabase(ctx, name+"-db", &glue.CatalogDatabaseArgs{
		Name:        pulumi.String(a.DatabaseName),
		Description: pulumi.String("VPC flow logs (" + name + ")"),
		Tags:        NameTags(a.Tags, name+"-db"),
	}, parent)
	if err != nil {
		return nil, err
	}

	cols := glue.CatalogTableStorageDescriptorColumnArray{}
	for _, col := range flowlog.GlueColumns(a.Fields) {
		cols = append(cols, glue.CatalogTableStorageDescriptorColumnArgs{
			Name: pulumi.String(col.Name), Type: pulumi.String(col.Type), Comment: pulumi.String(col.Comment),
		})
	}
	keys := glue.CatalogTablePartitionKeyArray{}
	partitions := PartitionKeys
	if a.Sources != nil {
		partitions = append([]string{athenaqueries.SourceAccountColumn, athenaqueries.SourceRegionColumn}, PartitionKeys...)
	}
	for _, k := range partitions {
		// A date-projected column is a string in queries: the projection only
		// formats the values (Athena guide, "Understand partition key and
		// partition projection data types",
		// https://docs.aws.amazon.com/athena/latest/ug/partition-projection-kinesis-firehose-example-choosing-partition-keys.html).
		keys = append(keys, glue.CatalogTablePartitionKeyArgs{Name: pulumi.String(k), Type: pulumi.String("string")})
	}
	locationTemplate, scope := LocationTemplate, ""
	params := pulumi.StringMap{}
	for k, v := range ProjectionParameters(a.ProjectionStartYear) {
		params[k] = pulumi.String(v)
	}
	if a.Sources != nil {
		locationTemplate = SourceLocationTemplate
		for k, v := range SourceProjectionParameters(*a.Sources) {
			params[k] = pulumi.String(v)
		}
		if len(a.Sources.Accounts) == 0 {
			scope = athenaqueries.SourceAccountParameter
		}
	}
	template := a.Location.ToStringOutput().ApplyT(locationTemplate).(pulumi.StringOutput)
	params["storage.location.template"] = template
	sd := &glue.CatalogTableStorageDescriptorArgs{
		Location: a.Location,
		Columns:  cols,
	}
	if a.Format == awslimits.FileFormatParquet {
		params["classification"] = pulumi.String("parquet")
		sd.InputFormat = pulumi.String("org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat")
		sd.OutputFormat = pulumi.String("org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat")
		sd.SerDeInfo = &glue.CatalogTableStorageDescriptorSerDeInfoArgs{
			SerializationLibrary: pulumi.String("org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"),
			Parameters:           pulumi.StringMap{"serialization.format": pulumi.String("1")},
		}
	} else {
		params["classification"] = pulumi.String("csv")
		if a.SkipHeaderLine {
			params["skip.header.line.count"] = pulumi.String("1")
		}
		sd.InputFormat = pulumi.String("org.apache.hadoop.mapred.TextInputFormat")
		sd.OutputFormat = pulumi.String("org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat")
		sd.SerDeInfo = &glue.CatalogTableStorageDescriptorSerDeInfoArgs{
			SerializationLibrary: pulumi.String("org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe"),
			Parameters: pulumi.StringMap{
				"field.delim":          pulumi.String(" "),
				"serialization.format": pulumi.String(" "),
			},
		}
	}
	table, err := glue.NewCatalogTable(ctx, name+"-table", &glue.CatalogTableArgs{
		Name:              pulumi.String(a.TableName),
		DatabaseName:      db.Name,
		Description:       pulumi.String("VPC flow log records; partitions are projected, never added"),
		TableType:         pulumi.String("EXTERNAL_TABLE"),
		Parameters:        params,
		PartitionKeys:     keys,
		StorageDescriptor: sd,
	}, parent)
	if err != nil {
		return nil, err
	}

	results, err := newSecureBucket(ctx, name+"-results", secureBucketArgs{
		KmsKeyArn:      a.KmsKeyArn,
		ExpirationDays: a.ResultExpirationDays,
		Retain:         false, // query results are a cache, not data
		Tags:           a.Tags,
	}, c)
	if err != nil {
		return nil, err
	}
	enc := &athena.WorkgroupConfigurationResultConfigurationEncryptionConfigurationArgs{
		EncryptionOption: pulumi.String("SSE_S3"),
	}
	if a.KmsKeyArn != "" {
		enc = &athena.WorkgroupConfigurationResultConfigurationEncryptionConfigurationArgs{
			EncryptionOption: pulumi.String("SSE_KMS"),
			KmsKeyArn:        pulumi.String(a.KmsKeyArn),
		}
	}
	wg, err := athena.NewWorkgroup(ctx, name+"-workgroup", &athena.WorkgroupArgs{
		Description:  pulumi.String("Flow-log queries (" + name + ")"),
		ForceDestroy: pulumi.Bool(true),
		Configuration: &athena.WorkgroupConfigurationArgs{
			EnforceWorkgroupConfiguration:   pulumi.Bool(true),
			PublishCloudwatchMetricsEnabled: pulumi.Bool(true),
			BytesScannedCutoffPerQuery:      pulumi.Int(a.ScanLimitMB * 1_000_000),
			ResultConfiguration: &athena.WorkgroupConfigurationResultConfigurationArgs{
				OutputLocation:          pulumi.Sprintf("s3://%s/results/", results.Bucket.Bucket),
				EncryptionConfiguration: enc,
			},
		},
		Tags: NameTags(a.Tags, name+"-workgroup"),
	}, parent)
	if err != nil {
		return nil, err
	}

	queries := athenaqueries.Applicable(a.Fields)
	if len(a.Queries) > 0 {
		queries = nil
		for _, n := range a.Queries {
			q, _ := athenaqueries.ByName(n)
			queries = append(queries, q)
		}
	}
	ids := pulumi.StringMap{}
	for _, q := range queries {
		description := q.Description
		if scope != "" {
			description += " " + athenaqueries.SourceAccountParameterHint
		}
		nq, err := athena.NewNamedQuery(ctx, name+"-"+q.Name, &athena.NamedQueryArgs{
			Name:        pulumi.String(q.Name),
			Description: pulumi.String(description),
			Database:    db.Name,
			Workgroup:   wg.Name,
			Query:       pulumi.String(q.RenderScoped(a.DatabaseName, a.TableName, scope)),
		}, parent, pulumi.DependsOn([]pulumi.Resource{table}))
		if err != nil {
			return nil, err
		}
		ids[q.Name] = nq.ID().ToStringOutput()
		c.QueryNames = append(c.QueryNames, q.Name)
	}

	c.DatabaseName = db.Name
	c.TableName = table.Name
	c.WorkgroupName = wg.Name
	c.ResultBucket = results.Bucket.Bucket
	c.ResultBucketArn = results.Bucket.Arn
	c.NamedQueryIDs = ids.ToStringMapOutput()
	c.StorageLayout = template
	return c, ctx.RegisterResourceOutputs(c, pulumi.Map{
		"databaseName":            c.DatabaseName,
		"tableName":               c.TableName,
		"workgroupName":           c.WorkgroupName,
		"resultBucket":            c.ResultBucket,
		"resultBucketArn":         c.ResultBucketArn,
		"namedQueryIds":           c.NamedQueryIDs,
		"storageLocationTemplate": c.StorageLayout,
	})
}
