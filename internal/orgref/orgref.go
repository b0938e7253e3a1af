// Package orgref is the contract between a central stack and its member
// stacks (docs/organization.md): the names of the central stack's outputs
// and their typed, validated form as a member reads them through a Pulumi
// stack reference. The central stack exports these names; the member parses
// them with Parse, which fails with the central stack, the output and what
// was expected when one is missing or of the wrong shape, before the member
// registers any AWS resource.
package orgref

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/awslimits"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/flowlog"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/stackconfig"
)

// The central stack's outputs a member reads (exact names).
const (
	// OutArchitectures ([]string) are the architectures the central stack enables.
	OutArchitectures = "orgArchitectures"
	// OutFlowLogFormat (string) is the ${...} log format every member flow log uses.
	OutFlowLogFormat = "orgFlowLogFormat"
	// OutS3Destination (object, with s3-athena) is {bucketArn, fileFormat,
	// hiveCompatiblePartitions, perHourPartition}; both flags must be true.
	OutS3Destination = "orgS3Destination"
	// OutLogDestinationArns (map region -> ARN, with a CloudWatch Logs
	// architecture) are the central CloudWatch Logs destinations.
	OutLogDestinationArns = "orgLogDestinationArns"
	// OutAlarmEventBusArn (string) is the central event bus members forward
	// alarm state changes to.
	OutAlarmEventBusArn = "orgAlarmEventBusArn"
	// OutAlarmTopicArn (string) is the central alarm topic (for people).
	OutAlarmTopicArn = "orgAlarmTopicArn"
)

// Names lists every output of the contract.
var Names = []string{OutArchitectures, OutFlowLogFormat, OutS3Destination, OutLogDestinationArns, OutAlarmEventBusArn, OutAlarmTopicArn}

// S3Destination is what a member's S3 flow log must use so that the central
// Glue table reads its objects.
type S3Destination struct {
	BucketArn                string
	FileFormat               string
	HiveCompatiblePartitions bool
	PerHourPartition         bool
}

// Central is the central stack as a member sees it.
type Central struct {
	// Stack is the stack reference, <organization>/<project>/<stack>.
	Stack         string
	Architectures []stackconfig.Architecture
	FlowLogFormat string
	// Fields are FlowLogFormat's fields, from the catalog.
	Fields []flowlog.Field
	// S3 is set when s3-athena is enabled.
	S3 *S3Destination
	// LogDestinationArns are the CloudWatch Logs destinations by region
	// (set when a CloudWatch Logs architecture is enabled).
	LogDestinationArns map[string]string
	AlarmEventBusArn   string
	AlarmTopicArn      string
}

// CloudWatchLogs reports whether the central stack receives logs through
// CloudWatch Logs destinations (cloudwatch-opensearch or firehose-athena).
func (c *Central) CloudWatchLogs() bool {
	return slices.Contains(c.Architectures, stackconfig.CloudWatchOpenSearch) || slices.Contains(c.Architectures, stackconfig.FirehoseAthena)
}

// Enabled reports whether the central stack enables architecture a.
func (c *Central) Enabled(a stackconfig.Architecture) bool {
	return slices.Contains(c.Architectures, a)
}

// LogDestination is the CloudWatch Logs destination of region. CloudWatch
// Logs requires a subscription filter's destination to be in the log
// group's region ("The log group and the destination must be in the same
// AWS Region", https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/CrossAccountSubscriptions.html),
// so a member in a region the central stack does not serve cannot deliver.
func (c *Central) LogDestination(region string) (string, error) {
	if arn, ok := c.LogDestinationArns[region]; ok {
		return arn, nil
	}
	have := make([]string, 0, len(c.LogDestinationArns))
	for r := range c.LogDestinationArns {
		have = append(have, r)
	}
	sort.Strings(have)
	return "", fmt.Errorf("central stack %s has no CloudWatch Logs destination in region %s (its output %s covers %s): add %s to %s of the central stack (Pulumi.<central stack>.yaml), run pulumi up there, then deploy this member",
		c.Stack, region, OutLogDestinationArns, orNone(have), region, stackconfig.Key("memberRegions"))
}

func orNone(s []string) string {
	if len(s) == 0 {
		return "no region"
	}
	return strings.Join(s, ", ")
}

var (
	arnRe = regexp.MustCompile(`^arn:aws[a-z-]*:([a-z0-9-]+):([a-z0-9-]*):([0-9]*):(.+)$`)
	// regionRe is an AWS region name such as eu-west-1.
	regionRe = regexp.MustCompile(`^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-[0-9]$`)
)

// Parse reads the contract's outputs through get (an output's plain value
// and whether the central stack has it) and validates them. Every problem
// is reported, joined, each naming the central stack and the output.
func Parse(stack string, get func(name string) (any, bool)) (*Central, error) {
	c := &Central{Stack: stack}
	var errs []error
	bad := func(name, format string, args ...any) {
		errs = append(errs, fmt.Errorf("central stack %s: output %s %s", stack, name, fmt.Sprintf(format, args...)))
	}
	required := func(name string) (any, bool) {
		v, ok := get(name)
		if !ok || v == nil {
			bad(name, "is missing; allowed: the output the central stack exports (deploy or update the central stack with this version first)")
			return nil, false
		}
		return v, true
	}
	str := func(name string, v any) (string, bool) {
		s, ok := v.(string)
		if !ok || s == "" {
			bad(name, "is %s; allowed: a non-empty string", describe(v))
			return "", false
		}
		return s, true
	}
	arn := func(name, s, service string) bool {
		m := arnRe.FindStringSubmatch(s)
		if m == nil || m[1] != service {
			bad(name, "is %q; allowed: an ARN of service %s", s, service)
			return false
		}
		return true
	}

	if v, ok := required(OutArchitectures); ok {
		list, isList := v.([]any)
		if !isList || len(list) == 0 {
			bad(OutArchitectures, "is %s; allowed: a non-empty list of %s", describe(v), archNames())
		}
		for _, e := range list {
			s, _ := e.(string)
			a := stackconfig.Architecture(s)
			if !slices.Contains(stackconfig.AllArchitectures, a) {
				bad(OutArchitectures, "holds %s; allowed: %s", describe(e), archNames())
				continue
			}
			if !slices.Contains(c.Architectures, a) {
				c.Architectures = append(c.Architectures, a)
			}
		}
	}
	if v, ok := required(OutFlowLogFormat); ok {
		if s, ok := str(OutFlowLogFormat, v); ok {
			fields, err := flowlog.ParseLogFormat(s)
			if err != nil || len(fields) == 0 {
				bad(OutFlowLogFormat, "is %q; allowed: a VPC flow log format of catalog fields such as ${version} ${account-id} ... (%v)", s, err)
			} else {
				c.FlowLogFormat, c.Fields = s, fields
			}
		}
	}
	if c.Enabled(stackconfig.S3Athena) {
		if v, ok := required(OutS3Destination); ok {
			c.S3 = parseS3(v, func(format string, args ...any) { bad(OutS3Destination, format, args...) }, arn)
		}
	}
	if c.CloudWatchLogs() {
		if v, ok := required(OutLogDestinationArns); ok {
			m, isMap := v.(map[string]any)
			if !isMap || len(m) == 0 {
				bad(OutLogDestinationArns, "is %s; allowed: a map of region to CloudWatch Logs destination ARN", describe(v))
			}
			c.LogDestinationArns = map[string]string{}
			for _, region := range sortedKeys(m) {
				s, _ := m[region].(string)
				switch {
				case !regionRe.MatchString(region):
					bad(OutLogDestinationArns, "has the key %q; allowed: region names such as eu-west-1", region)
				case !destinationArnRe.MatchString(s):
					bad(OutLogDestinationArns, "maps %s to %s; allowed: arn:<partition>:logs:%s:<account>:destination:<name>", region, describe(m[region]), region)
				case arnRe.FindStringSubmatch(s)[2] != region:
					bad(OutLogDestinationArns, "maps %s to %q, a destination of another region; allowed: a destination in %s (CloudWatch Logs subscribes a log group only to a destination of its own region)", region, s, region)
				default:
					c.LogDestinationArns[region] = s
				}
			}
		}
	}
	if v, ok := required(OutAlarmEventBusArn); ok {
		if s, ok := str(OutAlarmEventBusArn, v); ok && arn(OutAlarmEventBusArn, s, "events") {
			if !strings.HasPrefix(arnRe.FindStringSubmatch(s)[4], "event-bus/") {
				bad(OutAlarmEventBusArn, "is %q; allowed: an event bus ARN, arn:<partition>:events:<region>:<account>:event-bus/<name>", s)
			} else {
				c.AlarmEventBusArn = s
			}
		}
	}
	if v, ok := required(OutAlarmTopicArn); ok {
		if s, ok := str(OutAlarmTopicArn, v); ok && arn(OutAlarmTopicArn, s, "sns") {
			c.AlarmTopicArn = s
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return c, nil
}

var destinationArnRe = regexp.MustCompile(`^arn:aws[a-z-]*:logs:[a-z0-9-]+:[0-9]{12}:destination:[^:*]{1,512}$`)

func parseS3(v any, bad func(string, ...any), arn func(name, s, service string) bool) *S3Destination {
	m, ok := v.(map[string]any)
	if !ok {
		bad("is %s; allowed: an object {bucketArn, fileFormat, hiveCompatiblePartitions: true, perHourPartition: true}", describe(v))
		return nil
	}
	d := &S3Destination{}
	ok = true
	if s, isStr := m["bucketArn"].(string); !isStr || !arn(OutS3Destination, s, "s3") {
		if !isStr {
			bad("has bucketArn %s; allowed: the central bucket's ARN, arn:<partition>:s3:::<bucket>", describe(m["bucketArn"]))
		}
		ok = false
	} else {
		d.BucketArn = s
	}
	if s, _ := m["fileFormat"].(string); !slices.Contains(awslimits.FileFormats, s) {
		bad("has fileFormat %s; allowed: %s", describe(m["fileFormat"]), strings.Join(awslimits.FileFormats, ", "))
		ok = false
	} else {
		d.FileFormat = s
	}
	// A member's S3 flow log writes into the central bucket with these
	// options; the central bucket policy and the central table's partition
	// projection are the Hive-compatible, per-hour layout only (the paths of
	// https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-s3-path.html),
	// so anything else is refused here, before the member registers a
	// resource, as FlowLogToS3 refuses it (docs/organization.md).
	for _, k := range []string{"hiveCompatiblePartitions", "perHourPartition"} {
		b, isBool := m[k].(bool)
		if !isBool || !b {
			bad("has %s %s; allowed: true (the central table projects only Hive-compatible, per-hour prefixes, "+
				"AWSLogs/aws-account-id=<account>/aws-service=vpcflowlogs/aws-region=<region>/year=/month=/day=/hour=/, "+
				"and the central bucket policy admits delivery only under AWSLogs/aws-account-id=<account>/)", k, describe(m[k]))
			ok = false
			continue
		}
		if k == "hiveCompatiblePartitions" {
			d.HiveCompatiblePartitions = b
		} else {
			d.PerHourPartition = b
		}
	}
	if !ok {
		return nil
	}
	return d
}

// describe names a value and its type for an error message.
func describe(v any) string {
	switch t := v.(type) {
	case nil:
		return "null"
	case string:
		return fmt.Sprintf("the string %q", t)
	case []any:
		return fmt.Sprintf("a list of %d", len(t))
	case map[string]any:
		return "an object"
	case bool:
		return fmt.Sprintf("the boolean %t", t)
	case float64:
		return fmt.Sprintf("the number %v", t)
	}
	return fmt.Sprintf("a %T", v)
}

func archNames() string {
	names := make([]string, len(stackconfig.AllArchitectures))
	for i, a := range stackconfig.AllArchitectures {
		names[i] = string(a)
	}
	return strings.Join(names, ", ")
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
