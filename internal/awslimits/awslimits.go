// Package awslimits holds the AWS facts that both the config validation and
// the components check against, so the two can never disagree.
package awslimits

import (
	"math"
	"regexp"
	"unicode"
)

// RetentionDays are the retention periods CloudWatch Logs accepts for a log group.
var RetentionDays = []int{1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653}

// TrafficTypes are the traffic types a flow log can capture.
var TrafficTypes = []string{"ACCEPT", "REJECT", "ALL"}

// AggregationIntervals are the maximum aggregation intervals (seconds) a flow log accepts.
var AggregationIntervals = []int{60, 600}

// S3 flow-log file formats.
const (
	FileFormatParquet   = "parquet"
	FileFormatPlainText = "plain-text"
)

// FileFormats are the S3 flow-log file formats.
var FileFormats = []string{FileFormatParquet, FileFormatPlainText}

// MaxFlowLogsPerResource is the VPC quota of flow logs per network interface,
// subnet or VPC in a Region. Not adjustable.
const MaxFlowLogsPerResource = 2

// MaxSubscriptionFiltersPerLogGroup is CloudWatch Logs' limit of subscription
// filters per log group.
const MaxSubscriptionFiltersPerLogGroup = 2

// MaxFilterPatternLength is the longest metric-filter pattern CloudWatch Logs accepts.
const MaxFilterPatternLength = 1024

// AlarmComparisons are the CloudWatch alarm comparison operators a metric-filter rule may use.
var AlarmComparisons = []string{
	"GreaterThanOrEqualToThreshold", "GreaterThanThreshold", "LessThanThreshold", "LessThanOrEqualToThreshold",
}

// AnomalyComparisons are the comparison operators "used only for alarms based
// on anomaly detection models", which compare the metric with the band of
// the alarm's ThresholdMetricId:
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html
var AnomalyComparisons = []string{
	"GreaterThanUpperThreshold", "LessThanLowerThreshold", "LessThanLowerOrGreaterThanUpperThreshold",
}

// MinAthenaScanLimitBytes is Athena's smallest per-query bytes-scanned cutoff (10 MB).
const MinAthenaScanLimitBytes = 10_000_000

// MaxAthenaScanLimitMB is the largest per-query cutoff the program takes,
// in MB: the workgroup's BytesScannedCutoffPerQuery is a Long in bytes with
// a minimum of 10 MB and no documented maximum
// (https://docs.aws.amazon.com/athena/latest/APIReference/API_WorkGroupConfiguration.html),
// so the MB x 1,000,000 the program sends must fit an int64.
const MaxAthenaScanLimitMB = math.MaxInt64 / 1_000_000

// KMSKeyArn matches a KMS key ARN, arn:<partition>:kms:<region>:<account>:key/<key-id>;
// a multi-Region key's id is mrk-<hex>
// (https://docs.aws.amazon.com/kms/latest/developerguide/concepts.html#key-id-key-ARN).
// Not an alias ARN: "To specify a KMS key in an IAM policy statement, you
// must use its key ARN" (https://docs.aws.amazon.com/kms/latest/developerguide/cmks-in-iam-policies.html).
var KMSKeyArn = regexp.MustCompile(`^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[A-Za-z0-9-]+$`)

// OpenSearchEngineVersion matches the engine versions the program deploys:
// OpenSearch_X.Y. OpenSearch Service also runs Elasticsearch_7.10, but the
// bootstrap function speaks OpenSearch's APIs (/_plugins/_security,
// /_plugins/_ism, Dashboards' /_dashboards/api/saved_objects/_import), which
// an Elasticsearch domain serves as /_opendistro and Kibana's /_plugin/kibana:
// its first invocation would fail after the domain's creation.
var OpenSearchEngineVersion = regexp.MustCompile(`^OpenSearch_[0-9]+\.[0-9]+$`)

// QuickSightPrincipalArn matches the ARN of a QuickSight user or group, the
// principals QuickSight permissions accept:
// arn:aws:quicksight:<region>:<account>:(user|group)/<namespace>/<name>. The
// region is the account's QuickSight identity region; the name of an
// IAM-federated user holds a slash (<role>/<session>).
var QuickSightPrincipalArn = regexp.MustCompile(`^arn:aws[a-z-]*:quicksight:[a-z]{2}(-[a-z]+)+-[0-9]:[0-9]{12}:(user|group)/[A-Za-z0-9._-]+/[^\s/][^\s]*$`)

// QuickSightServiceRole is the IAM role QuickSight assumes to reach Athena,
// Glue and S3 for every Athena data source of the account; QuickSight
// creates it when the account subscribes.
const QuickSightServiceRole = "aws-quicksight-service-role-v0"

// Resource-policy size limits, the largest document each service accepts
// (internal/policy, rule deploy-resource-policy-size, quotes each page).
const (
	// MaxS3BucketPolicyBytes: "Bucket policies are limited to 20 KB in size."
	// https://docs.aws.amazon.com/AmazonS3/latest/userguide/using-iam-policies.html
	MaxS3BucketPolicyBytes = 20 * 1024
	// MaxSNSTopicPolicyBytes: SNS policy quotas, "Bytes: 30 kb".
	// https://docs.aws.amazon.com/sns/latest/dg/sns-access-policy-language-api-permissions-reference.html
	MaxSNSTopicPolicyBytes = 30 * 1024
	// MaxSQSQueuePolicyBytes: SQS policy quotas, "Bytes: 8,192".
	// https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/quotas-policies.html
	MaxSQSQueuePolicyBytes = 8192
	// MaxKMSKeyPolicyBytes: a key policy document is at most 32 kilobytes (32,768 bytes).
	// https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-overview.html
	MaxKMSKeyPolicyBytes = 32768
	// MaxLogDestinationPolicyBytes: PutDestinationPolicy's accessPolicy "can be up to 5120 bytes".
	// https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutDestinationPolicy.html
	MaxLogDestinationPolicyBytes = 5120
	// MaxEventBusPolicyChars: EventBridge quota "Event bus policy size: 10,240",
	// "Maximum policy size, in characters" (adjustable; this is the default).
	// https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-quota.html
	MaxEventBusPolicyChars = 10240
	// MaxIAMRoleTrustPolicyChars: IAM quota "Role trust policy length",
	// 2,048 characters by default (adjustable through Service Quotas); IAM
	// does not count white space when it measures a policy against its
	// quotas. A trust policy that names accounts (aws:SourceArn per account
	// and Region) grows with each one.
	// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html
	MaxIAMRoleTrustPolicyChars = 2048
)

// IAMPolicyLength is the length of a policy document as IAM measures it
// against its quotas (MaxIAMRoleTrustPolicyChars): characters, white space
// not counted.
func IAMPolicyLength(doc string) int {
	n := 0
	for _, r := range doc {
		if !unicode.IsSpace(r) {
			n++
		}
	}
	return n
}

// MaxFirehoseStreamsPerRegion is the default number of Firehose streams an
// account may have per Region ("By default, you can create up to 50 delivery
// streams per AWS Region"; adjustable through Service Quotas):
// https://docs.aws.amazon.com/firehose/latest/APIReference/API_CreateDeliveryStream.html
const MaxFirehoseStreamsPerRegion = 50

// MaxSharedThroughputReadersPerStream is how many consumers may poll one
// Kinesis data stream with shared throughput (GetRecords, as a Lambda event
// source mapping with a standard iterator or a Firehose stream with a Kinesis
// source does) when each polls every shard once a second: "polling each shard
// one time per second per application ... enables you to have multiple
// consumer applications processing a stream concurrently without hitting
// Amazon Kinesis Data Streams limits of 5 GetRecords calls per second".
// https://docs.aws.amazon.com/streams/latest/dev/kinesis-low-latency.html
const MaxSharedThroughputReadersPerStream = 5

// MaxEnhancedFanOutConsumersPerStream: "you can register up to 20 consumers
// per stream to use enhanced fan-out" (On-demand Standard and Provisioned
// streams; On-demand Advantage allows 50).
// https://docs.aws.amazon.com/streams/latest/dev/enhanced-consumers.html
const MaxEnhancedFanOutConsumersPerStream = 20

// MaxTargetsPerRule: "Each rule can have up to five (5) targets associated
// with it at one time."
// https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutTargets.html
const MaxTargetsPerRule = 5

// MaxEventPatternChars: "Event pattern size ... 2,048 ... Maximum size of
// an event pattern, in characters" (adjustable; the default applies until
// the account asks for more). A member's alarm relay lists every alarm's
// ARN in its pattern, so the pattern grows with the alarms.
// https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-quota.html
const MaxEventPatternChars = 2048

// The element quotas of an SNS topic policy ("Statements: 100"; "Principals:
// 1 to 200", a quota the page gives for a policy statement):
// https://docs.aws.amazon.com/sns/latest/dg/sns-access-policy-language-api-permissions-reference.html
const (
	MaxSNSPolicyStatements       = 100
	MaxSNSPrincipalsPerStatement = 200
)

// The element quotas of an SQS queue policy ("Principals: 50", "Statements:
// 20", "Actions per statement: 7"):
// https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/quotas-policies.html
const (
	MaxSQSPolicyStatements    = 20
	MaxSQSPrincipals          = 50
	MaxSQSActionsPerStatement = 7
)
