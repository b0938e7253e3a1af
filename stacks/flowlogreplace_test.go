package stacks

import (
	"testing"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/awslimits"
)

// TestFlowLogsAreDeletedBeforeReplacement: a change of the field list (or
// of the aggregation interval or traffic type) replaces every flow log, and a
// VPC that already has the stack's two flow logs cannot get a third one
// first (EC2 allows awslimits.MaxFlowLogsPerResource per VPC). So every flow
// log of every feed is declared deleteBeforeReplace
// (docs/operations.md, "Changing the flow-log field list").
func TestFlowLogsAreDeletedBeforeReplacement(t *testing.T) {
	configs := map[string]map[string]string{
		"dev":             devConfig(t),
		"firehose direct": with(devConfig(t), "firehoseFeedMode", "direct", "architectures", `["firehose-athena"]`),
	}
	for name, cfg := range configs {
		t.Run(name, func(t *testing.T) {
			r, err := deploy(t, cfg)
			if err != nil {
				t.Fatal(err)
			}
			perVPC, _ := limitsOf(r)
			full := 0
			for _, n := range perVPC {
				if n == awslimits.MaxFlowLogsPerResource {
					full++
				}
			}
			if name == "dev" && full == 0 {
				t.Fatalf("no VPC has %d flow logs: the case this test guards is not exercised (%v)", awslimits.MaxFlowLogsPerResource, perVPC)
			}
			logs := r.ByType("aws:ec2/flowLog:FlowLog")
			if len(logs) == 0 {
				t.Fatal("no flow logs")
			}
			for _, fl := range logs {
				if !fl.DeleteBeforeReplace {
					t.Errorf("flow log %s is replaced create-before-delete (its VPC has %d flow logs from the stack; EC2 allows %d): a replacement next to another flow log exceeds the quota",
						fl.Name, perVPC[fl.Input("vpcId")], awslimits.MaxFlowLogsPerResource)
				}
			}
		})
	}
}
