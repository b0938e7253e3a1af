package components

import (
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/mockaws"
	"github.com/vpcflowlogs/vpc-flow-logs/lambda/bootstrap/objects"
)

// IndexRetentionDays takes what the bootstrap's ISM policy takes, 1 to
// objects.MaxRetentionDays days, both ends included, and passes it on.
func TestOpenSearchStreamIndexRetentionBounds(t *testing.T) {
	for _, days := range []int{1, objects.MaxRetentionDays} {
		m := runOS(t, func(a *OpenSearchStreamArgs) { a.IndexRetentionDays = days })
		if got := bootstrapInput(t, m).RetentionDays; got != days {
			t.Errorf("IndexRetentionDays %d: the bootstrap applies %d", days, got)
		}
	}
	for _, days := range []int{0, objects.MaxRetentionDays + 1} {
		a := osArgs()
		a.IndexRetentionDays = days
		m, err := mockaws.Run(func(ctx *pulumi.Context) error {
			_, err := NewOpenSearchStream(ctx, "bad", a)
			return err
		}, "p", "s", nil)
		if err == nil || len(m.Resources) != 0 {
			t.Errorf("IndexRetentionDays %d: err = %v, %d resources registered", days, err, len(m.Resources))
		}
	}
}

// A single-node domain gets indices without replicas (a replica is never
// put on its primary's node, so it would stay unassigned and the cluster
// yellow: docs/operations.md, "OpenSearch cluster status yellow"); a domain
// of two nodes or more gets one replica.
func TestOpenSearchStreamReplicasFollowTheNodeCount(t *testing.T) {
	for nodes, want := range map[int]int{1: 0, 2: 1, 3: 1} {
		m := runOS(t, func(a *OpenSearchStreamArgs) { a.InstanceCount = nodes })
		if got := bootstrapInput(t, m).Replicas; got == nil || *got != want {
			t.Errorf("%d nodes: replicas %v, want %d", nodes, got, want)
		}
	}
}

// The queue of documents OpenSearch refused keeps them as long as SQS
// allows, 14 days (MessageRetentionPeriod is 60 to 1,209,600 seconds,
// https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SetQueueAttributes.html).
func TestOpenSearchStreamRejectsKeptFourteenDays(t *testing.T) {
	m := runOS(t, func(*OpenSearchStreamArgs) {})
	if got := mustGet(t, m, "os-rejects").Inputs["messageRetentionSeconds"]; got != float64(1209600) {
		t.Errorf("rejects queue keeps messages %v s, want 1209600 (14 days)", got)
	}
}

// With KinesisStreamArn the indexer is fed by an event source mapping on
// the stream, after the bootstrap applied the index template, and no
// subscription filter; the component completes (its outputs registered).
func TestOpenSearchStreamFromKinesis(t *testing.T) {
	var c *OpenSearchStream
	m := run(t, func(ctx *pulumi.Context) error {
		a := osArgs()
		a.LogGroupName, a.LogGroupArn = nil, nil
		a.KinesisStreamArn, a.KinesisKeyArn = pulumi.String(testStreamArn), pulumi.String(testKeyArn)
		var err error
		c, err = NewOpenSearchStream(ctx, "os", a)
		return err
	})
	if c == nil {
		t.Fatal("NewOpenSearchStream returned neither a component nor an error")
	}
	assertComponentTree(t, m, "vpcflowlogs:index:OpenSearchStream", "os")
	esm := mustGet(t, m, "os-indexer-kinesis")
	if esm.Input("eventSourceArn") != testStreamArn || esm.Input("functionName") != mustGet(t, m, "os-indexer").Outputs["arn"] {
		t.Errorf("mapping %v", esm.Inputs)
	}
	inv := mustGet(t, m, "os-bootstrap-apply")
	found := false
	for _, d := range esm.Dependencies {
		found = found || d == inv.URN
	}
	if !found {
		t.Error("the mapping does not wait for the bootstrap invocation")
	}
	if n := len(m.ByType("aws:cloudwatch/logSubscriptionFilter:LogSubscriptionFilter")); n != 0 {
		t.Errorf("%d subscription filters with a Kinesis feed", n)
	}
}
