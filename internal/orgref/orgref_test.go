package orgref_test

import (
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/flowlog"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/lambdabuild"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/mockaws"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/orgref"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/stackconfig"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/stackfile"
)

const central = "acme/vpc-flow-logs/central"

// outputs is a complete, valid set of central outputs.
func outputs() map[string]any {
	return map[string]any{
		orgref.OutArchitectures: []any{"cloudwatch-opensearch", "s3-athena", "firehose-athena"},
		orgref.OutFlowLogFormat: flowlog.LogFormat(flowlog.DefaultFields()),
		orgref.OutS3Destination: map[string]any{"bucketArn": "arn:aws:s3:::central-flow-logs", "fileFormat": "parquet",
			"hiveCompatiblePartitions": true, "perHourPartition": true},
		orgref.OutLogDestinationArns: map[string]any{
			"eu-west-1": "arn:aws:logs:eu-west-1:210987654321:destination:flows-eu-west-1",
			"us-east-1": "arn:aws:logs:us-east-1:210987654321:destination:flows-us-east-1",
		},
		orgref.OutAlarmEventBusArn: "arn:aws:events:eu-west-1:210987654321:event-bus/alarms",
		orgref.OutAlarmTopicArn:    "arn:aws:sns:eu-west-1:210987654321:alarms",
	}
}

func getter(m map[string]any) func(string) (any, bool) {
	return func(name string) (any, bool) { v, ok := m[name]; return v, ok }
}

func TestParse(t *testing.T) {
	c, err := orgref.Parse(central, getter(outputs()))
	if err != nil {
		t.Fatal(err)
	}
	if !c.CloudWatchLogs() || !c.Enabled(stackconfig.S3Athena) || len(c.Architectures) != 3 {
		t.Errorf("architectures = %v", c.Architectures)
	}
	if c.S3 == nil || c.S3.BucketArn != "arn:aws:s3:::central-flow-logs" || !c.S3.HiveCompatiblePartitions || !c.S3.PerHourPartition {
		t.Errorf("S3 = %+v", c.S3)
	}
	if len(c.Fields) != len(flowlog.DefaultFields()) {
		t.Errorf("Fields = %d, want %d", len(c.Fields), len(flowlog.DefaultFields()))
	}
	if d, err := c.LogDestination("us-east-1"); err != nil || !strings.HasSuffix(d, ":destination:flows-us-east-1") {
		t.Errorf("LogDestination(us-east-1) = %q, %v", d, err)
	}
	_, err = c.LogDestination("ap-south-1")
	for _, w := range []string{central, "ap-south-1", "vpc-flow-logs:memberRegions", "eu-west-1, us-east-1"} {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("LogDestination(ap-south-1) error %v does not contain %q", err, w)
		}
	}
}

// Outputs only an architecture reads are not required without it.
func TestParseS3Only(t *testing.T) {
	out := outputs()
	out[orgref.OutArchitectures] = []any{"s3-athena"}
	delete(out, orgref.OutLogDestinationArns)
	c, err := orgref.Parse(central, getter(out))
	if err != nil {
		t.Fatal(err)
	}
	if c.CloudWatchLogs() || c.LogDestinationArns != nil {
		t.Errorf("CloudWatchLogs = %v, destinations %v", c.CloudWatchLogs(), c.LogDestinationArns)
	}
}

func TestParseRefuses(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(map[string]any)
		want   []string
	}{
		{"missing output", func(m map[string]any) { delete(m, orgref.OutAlarmEventBusArn) }, []string{central, "output orgAlarmEventBusArn is missing"}},
		{"architectures as a string", func(m map[string]any) { m[orgref.OutArchitectures] = "s3-athena" }, []string{"output orgArchitectures is the string \"s3-athena\"", "a non-empty list"}},
		{"unknown architecture", func(m map[string]any) { m[orgref.OutArchitectures] = []any{"s3-glacier"} }, []string{"orgArchitectures holds the string \"s3-glacier\""}},
		{"bad format", func(m map[string]any) { m[orgref.OutFlowLogFormat] = "${version} ${nope}" }, []string{"output orgFlowLogFormat", "nope"}},
		{"format as a list", func(m map[string]any) { m[orgref.OutFlowLogFormat] = []any{"version"} }, []string{"orgFlowLogFormat is a list of 1"}},
		{"s3 destination without bucket", func(m map[string]any) {
			m[orgref.OutS3Destination] = map[string]any{"fileFormat": "parquet", "hiveCompatiblePartitions": true, "perHourPartition": true}
		}, []string{"orgS3Destination has bucketArn null"}},
		{"s3 destination with a string flag", func(m map[string]any) {
			m[orgref.OutS3Destination].(map[string]any)["perHourPartition"] = "true"
		}, []string{"orgS3Destination has perHourPartition the string \"true\""}},
		{"s3 destination without Hive-compatible prefixes", func(m map[string]any) {
			m[orgref.OutS3Destination].(map[string]any)["hiveCompatiblePartitions"] = false
		}, []string{"orgS3Destination has hiveCompatiblePartitions the boolean false; allowed: true", "per-hour"}},
		{"s3 destination without per-hour partitions", func(m map[string]any) {
			m[orgref.OutS3Destination].(map[string]any)["perHourPartition"] = false
		}, []string{"orgS3Destination has perHourPartition the boolean false; allowed: true"}},
		{"s3 destination missing with s3-athena", func(m map[string]any) { delete(m, orgref.OutS3Destination) }, []string{"orgS3Destination is missing"}},
		{"destinations missing with a CloudWatch Logs architecture", func(m map[string]any) { delete(m, orgref.OutLogDestinationArns) }, []string{"orgLogDestinationArns is missing"}},
		{"destination of another region", func(m map[string]any) {
			m[orgref.OutLogDestinationArns] = map[string]any{"eu-west-1": "arn:aws:logs:us-east-1:210987654321:destination:x"}
		}, []string{"a destination of another region"}},
		{"destination not an ARN", func(m map[string]any) { m[orgref.OutLogDestinationArns] = map[string]any{"eu-west-1": "flows"} }, []string{"maps eu-west-1 to the string \"flows\""}},
		{"topic of another service", func(m map[string]any) { m[orgref.OutAlarmTopicArn] = "arn:aws:sqs:eu-west-1:210987654321:alarms" }, []string{"orgAlarmTopicArn is \"arn:aws:sqs", "service sns"}},
		{"bus that is a rule", func(m map[string]any) {
			m[orgref.OutAlarmEventBusArn] = "arn:aws:events:eu-west-1:210987654321:rule/alarms"
		}, []string{"an event bus ARN"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := outputs()
			tc.change(out)
			_, err := orgref.Parse(central, getter(out))
			if err == nil {
				t.Fatal("Parse accepted it")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

// The recorded central outputs that `make plan` of a member stack reads
// hold exactly the contract's outputs, valid, for the central stack the
// shipped member stack names, with a destination in its region.
func TestRecordedCentralOutputs(t *testing.T) {
	root, err := lambdabuild.FindModuleRoot("")
	if err != nil {
		t.Fatal(err)
	}
	recorded, err := mockaws.LoadStackOutputs(filepath.Join(root, "recorded", "central-outputs.json"))
	if err != nil {
		t.Fatal(err)
	}
	_, cfg, err := stackfile.LoadConfig(root, "member-eu-west-1")
	if err != nil {
		t.Fatal(err)
	}
	ref := cfg[stackconfig.Key("centralStack")]
	outs, ok := recorded[ref]
	if !ok {
		t.Fatalf("no recorded outputs for %s, the central stack of Pulumi.member-eu-west-1.yaml", ref)
	}
	if got, want := slices.Sorted(maps.Keys(outs)), slices.Sorted(slices.Values(orgref.Names)); !slices.Equal(got, want) {
		t.Errorf("recorded outputs %v, want the contract's %v", got, want)
	}
	c, err := orgref.Parse(ref, getter(outs))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.LogDestination(cfg["aws:region"]); err != nil {
		t.Error(err)
	}
	// A central stack with the default flowLogFields exports this format.
	if c.FlowLogFormat != flowlog.LogFormat(flowlog.DefaultFields()) {
		t.Errorf("orgFlowLogFormat = %q, want the default fields' %q", c.FlowLogFormat, flowlog.LogFormat(flowlog.DefaultFields()))
	}
}
