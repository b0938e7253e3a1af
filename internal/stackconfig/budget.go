package stackconfig

import (
	"fmt"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/awslimits"
)

// Budget is how many flow logs each monitored VPC gets and how many
// subscription filters the shared flow-log log group gets, for a config.
// AWS allows 2 flow logs per VPC (not adjustable) and 2 subscription filters
// per log group; the architectures share one CloudWatch Logs flow log per VPC.
type Budget struct {
	FlowLogsPerVPC       int
	FlowLogDestinations  []string // "cloud-watch-logs", "s3", …
	SubscriptionFilters  int
	SubscriptionConsumer []string
}

// PlanBudget computes the budget of a config without registering anything.
func PlanBudget(c *Config) Budget {
	var b Budget
	if c.NeedsCloudWatchFlowLog() {
		b.FlowLogDestinations = append(b.FlowLogDestinations, "cloud-watch-logs")
	}
	if c.Enabled(S3Athena) {
		b.FlowLogDestinations = append(b.FlowLogDestinations, "s3")
	}
	if c.Enabled(FirehoseAthena) && c.Firehose.FeedMode == FeedDirect {
		b.FlowLogDestinations = append(b.FlowLogDestinations, "kinesis-data-firehose")
	}
	if c.Enabled(CloudWatchOpenSearch) {
		b.SubscriptionConsumer = append(b.SubscriptionConsumer, "opensearch-indexer")
	}
	if c.Enabled(FirehoseAthena) {
		switch c.Firehose.FeedMode {
		case FeedLambda:
			b.SubscriptionConsumer = append(b.SubscriptionConsumer, "firehose-forwarder")
		case FeedSubscription:
			b.SubscriptionConsumer = append(b.SubscriptionConsumer, "firehose-stream")
		}
	}
	b.FlowLogsPerVPC = len(b.FlowLogDestinations)
	b.SubscriptionFilters = len(b.SubscriptionConsumer)
	return b
}

// Check returns an error when the budget exceeds an AWS limit.
func (b Budget) Check() error {
	if b.FlowLogsPerVPC > awslimits.MaxFlowLogsPerResource {
		return fmt.Errorf("config %s and %s: this combination needs %d flow logs per VPC (%v); AWS allows %d per VPC; allowed: firehoseFeedMode lambda or subscription (sharing the CloudWatch Logs flow log), or fewer architectures",
			Key("architectures"), Key("firehoseFeedMode"),
			b.FlowLogsPerVPC, b.FlowLogDestinations, awslimits.MaxFlowLogsPerResource)
	}
	if b.SubscriptionFilters > awslimits.MaxSubscriptionFiltersPerLogGroup {
		return fmt.Errorf("config %s and %s: this combination needs %d subscription filters on the flow-log log group (%v); CloudWatch Logs allows %d per log group; allowed: fewer architectures that read the log group, or firehoseFeedMode direct",
			Key("architectures"), Key("firehoseFeedMode"),
			b.SubscriptionFilters, b.SubscriptionConsumer, awslimits.MaxSubscriptionFiltersPerLogGroup)
	}
	return nil
}
