package stacks

import (
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/mockaws"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/replay"
)

// cmd/replay finds each dead-letter queue and its target by stack output
// name: with every architecture, the forwarder feed and the Slack webhook
// deployed, each name in replay.Queues is an output.
func TestReplayQueuesAreStackOutputs(t *testing.T) {
	keys := map[string]bool{}
	_, err := mockaws.Run(func(ctx *pulumi.Context) error {
		outs, err := Deploy(ctx)
		for k := range outs {
			keys[k] = true
		}
		return err
	}, project, "dev", with(devConfig(t), "slackMode", "webhook", "slackWebhookUrl", testSlackWebhook))
	if err != nil {
		t.Fatal(err)
	}
	for q, target := range replay.Queues {
		for _, name := range []string{q, target.Stream, target.Function} {
			if name != "" && !keys[name] {
				t.Errorf("replay.Queues names %q, which is not a stack output", name)
			}
		}
	}
}
