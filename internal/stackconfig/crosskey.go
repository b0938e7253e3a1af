package stackconfig

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/athenaqueries"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/flowlog"
)

// FirehoseQuery is the mission's saved query over the firehose-athena table;
// the fields it reads must be recorded (flowLogFields).
const FirehoseQuery = "top-source-ports-10-0"

// QuickSightVisualFields are the fields of which the QuickSight dashboard
// needs at least one to build any visual (components.QuickSightVisuals; a
// test in package components keeps the two in step).
var QuickSightVisualFields = []string{"bytes", "packets", "action", "interface-id"}

// crossKey checks the rules that combine keys, so that no combination fails
// inside a component after other resources were registered. Each error names
// the config keys involved.
func (l *loader) crossKey(c *Config) {
	if err := PlanBudget(c).Check(); err != nil {
		l.errs = append(l.errs, err)
	}
	if c.Enabled(S3Athena) && c.ExistingBucketArn != "" && c.BucketKmsKeyArn != "" {
		l.errs = append(l.errs, fmt.Errorf("config %s and %s: invalid combination %q with %q; allowed: one of them (an existing bucket keeps its own default encryption, which this stack does not change; bucketKmsKeyArn applies only to buckets the stack creates)",
			Key("bucketKmsKeyArn"), Key("existingBucketArn"), c.BucketKmsKeyArn, c.ExistingBucketArn))
	}
	if c.QuickSightPrincipalArn != "" && !recordsAny(c.Fields, QuickSightVisualFields) {
		l.errs = append(l.errs, fmt.Errorf("config %s with %s: invalid value %s; allowed: a field list that records at least one of %s, which the QuickSight dashboard's visuals show",
			Key("flowLogFields"), Key("quicksightPrincipalArn"), fieldNames(c.Fields), strings.Join(QuickSightVisualFields, ", ")))
	}
	if c.Enabled(FirehoseAthena) {
		q, _ := athenaqueries.ByName(FirehoseQuery)
		if missing := missingFields(c.Fields, q.Needs); len(missing) > 0 {
			l.errs = append(l.errs, fmt.Errorf("config %s with firehose-athena in %s: invalid value %s; allowed: a field list that records %s, which the saved query %s reads (missing: %s)",
				Key("flowLogFields"), Key("architectures"), fieldNames(c.Fields), strings.Join(q.Needs, ", "), FirehoseQuery, strings.Join(missing, ", ")))
		}
	}
}

func recordsAny(fields []flowlog.Field, names []string) bool {
	return slices.ContainsFunc(fields, func(f flowlog.Field) bool { return slices.Contains(names, f.Name) })
}

func missingFields(fields []flowlog.Field, names []string) []string {
	var out []string
	for _, n := range names {
		if !slices.ContainsFunc(fields, func(f flowlog.Field) bool { return f.Name == n }) {
			out = append(out, n)
		}
	}
	return out
}

func fieldNames(fields []flowlog.Field) string {
	names := make([]string, len(fields))
	for i, f := range fields {
		names[i] = f.Name
	}
	return "[" + strings.Join(names, ", ") + "]"
}

// scopedKey is a key that only some architectures read.
type scopedKey struct {
	Name string
	// Used reports whether the configuration reads the key.
	Used func(c *Config) bool
	// Readers names what reads it, for the warning.
	Readers string
}

func anyOf(as ...Architecture) func(*Config) bool {
	return func(c *Config) bool { return slices.ContainsFunc(as, c.Enabled) }
}

// ScopedKeys are the keys that only some architectures read. Every other key
// of Pulumi.yaml is read by every stack (a test keeps the two lists complete).
var ScopedKeys = []scopedKey{
	{"alarmRules", anyOf(S3Athena), "the s3-athena architecture"},
	{"s3FileFormat", anyOf(S3Athena), "the s3-athena architecture"},
	{"existingBucketArn", anyOf(S3Athena), "the s3-athena architecture"},
	{"dataRetentionDays", anyOf(S3Athena, FirehoseAthena), "the s3-athena or firehose-athena architecture"},
	{"athenaScanLimitMb", anyOf(S3Athena, FirehoseAthena), "the s3-athena or firehose-athena architecture"},
	{"bucketKmsKeyArn", anyOf(S3Athena, FirehoseAthena), "the s3-athena or firehose-athena architecture"},
	{"logKmsKeyArn", (*Config).NeedsCloudWatchFlowLog, "an architecture that reads the flow log from CloudWatch Logs"},
	{"contributorInsights", (*Config).NeedsCloudWatchFlowLog, "an architecture that reads the flow log from CloudWatch Logs"},
	{"contributorInsightAlarms", (*Config).NeedsCloudWatchFlowLog, "an architecture that reads the flow log from CloudWatch Logs"},
	{"firehoseFeedMode", anyOf(FirehoseAthena), "the firehose-athena architecture"},
	{"firehoseBufferSizeMb", anyOf(FirehoseAthena), "the firehose-athena architecture"},
	{"firehoseBufferIntervalSeconds", anyOf(FirehoseAthena), "the firehose-athena architecture"},
	{"opensearchEngineVersion", anyOf(CloudWatchOpenSearch), "the cloudwatch-opensearch architecture"},
	{"opensearchInstanceType", anyOf(CloudWatchOpenSearch), "the cloudwatch-opensearch architecture"},
	{"opensearchInstanceCount", anyOf(CloudWatchOpenSearch), "the cloudwatch-opensearch architecture"},
	{"opensearchVolumeSizeGb", anyOf(CloudWatchOpenSearch), "the cloudwatch-opensearch architecture"},
	{"opensearchZoneAwareness", anyOf(CloudWatchOpenSearch), "the cloudwatch-opensearch architecture"},
	{"opensearchIndexPrefix", anyOf(CloudWatchOpenSearch), "the cloudwatch-opensearch architecture"},
	{"opensearchIndexRetentionDays", anyOf(CloudWatchOpenSearch), "the cloudwatch-opensearch architecture"},
	{"opensearchSubnetIds", anyOf(CloudWatchOpenSearch), "the cloudwatch-opensearch architecture"},
	{"opensearchExistingEndpoint", anyOf(CloudWatchOpenSearch), "the cloudwatch-opensearch architecture"},
	{"opensearchExistingArn", anyOf(CloudWatchOpenSearch), "the cloudwatch-opensearch architecture"},
	{"opensearchAccessHost", anyOf(CloudWatchOpenSearch), "the cloudwatch-opensearch architecture"},
	{"opensearchServiceLinkedRole", anyOf(CloudWatchOpenSearch), "the cloudwatch-opensearch architecture"},
	{"opensearchVpcEndpoints", anyOf(CloudWatchOpenSearch), "the cloudwatch-opensearch architecture"},
	{"opensearchSecurityAnalytics", anyOf(CloudWatchOpenSearch), "the cloudwatch-opensearch architecture"},
	{"slackWorkspaceId", func(c *Config) bool { return c.Slack.Mode == SlackChatbot }, "slackMode chatbot"},
	{"slackChannelId", func(c *Config) bool { return c.Slack.Mode == SlackChatbot }, "slackMode chatbot"},
	{"slackChatbotRegion", func(c *Config) bool { return c.Slack.Mode == SlackChatbot }, "slackMode chatbot"},
	{"slackWebhookUrl", func(c *Config) bool { return c.Slack.Mode == SlackWebhook }, "slackMode webhook"},
}

// unusedKeys warns about each scoped key that is set to something other than
// its default while nothing the stack deploys reads it. The engine passes
// Pulumi.yaml's defaults for unset keys, so a key at its default value is
// treated as unset.
func (l *loader) unusedKeys(c *Config) []string {
	defaults := defaultConfig()
	var out []string
	for _, k := range ScopedKeys {
		if k.Used(c) {
			continue
		}
		if _, set := l.setApartFromDefault(k.Name, defaults); !set {
			continue
		}
		out = append(out, fmt.Sprintf("config %s is set but not used: only %s reads it (architectures: %s); remove it or enable what reads it",
			Key(k.Name), k.Readers, archList(c.Architectures)))
	}
	return out
}

// setApartFromDefault returns the key's raw value when the stack sets it to
// something other than its default: Pulumi passes a project default as a
// value, so the key is loaded alone, and a configuration equal to that of no
// key at all means it was not really set.
func (l *loader) setApartFromDefault(name string, defaults *Config) (string, bool) {
	v, ok := l.raw(name)
	if !ok {
		return "", false
	}
	alone, err := load(func(key string) (string, bool) {
		if key == Key(name) {
			return v, true
		}
		return "", false
	}, true)
	if err == nil && reflect.DeepEqual(alone, defaults) {
		return "", false
	}
	return v, true
}

// defaultConfig is the configuration of a stack that sets no key.
func defaultConfig() *Config {
	c, err := load(func(string) (string, bool) { return "", false }, true)
	if err != nil {
		panic("stackconfig: the defaults do not validate: " + err.Error())
	}
	return c
}

func archList(as []Architecture) string {
	b, _ := json.Marshal(as)
	return string(b)
}
