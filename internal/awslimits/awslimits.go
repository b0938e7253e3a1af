// Package awslimits holds the AWS facts that both the config validation and
// the components check against, so the two can never disagree.
package awslimits

import "regexp"

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

// OpenSearchEngineVersion matches the engine versions an OpenSearch Service
// domain accepts: OpenSearch_X.Y or the last Elasticsearch, 7.10.
var OpenSearchEngineVersion = regexp.MustCompile(`^(OpenSearch_[0-9]+\.[0-9]+|Elasticsearch_7\.10)$`)

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
