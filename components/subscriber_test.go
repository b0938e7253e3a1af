package components

import (
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/mockaws"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/runbook"
)

// runSubscriber records one subscriber named "fn" with a, under the mocks.
func runSubscriber(t *testing.T, a subscriberArgs) *mockaws.Mocks {
	t.Helper()
	env := awsEnv{AccountID: mockaws.Account, Region: mockaws.Region, Partition: "aws", DNSSuffix: "amazonaws.com"}
	a.Code = LambdaCode{ZipPath: "/nonexistent/fn.zip", SHA256: "Zm4="}
	a.Timeout, a.MemoryMB, a.RetentionDays = 60, 128, 14
	a.ErrorsRunbook, a.OnFailureRunbook = runbook.ForwarderErrors, runbook.ForwarderOnFailure
	return run(t, func(ctx *pulumi.Context) error {
		_, err := newSubscriber(ctx, "fn", env, a, nil)
		return err
	})
}

// The on-failure queue keeps an event as long as SQS allows, 14 days
// (MessageRetentionPeriod is 60 to 1,209,600 seconds,
// https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SetQueueAttributes.html;
// docs/aws-constraints.md), the time the runbook gives for a replay.
func TestSubscriberDeadLettersKeptFourteenDays(t *testing.T) {
	m := runSubscriber(t, subscriberArgs{})
	if got := mustGet(t, m, "fn-dlq").Inputs["messageRetentionSeconds"]; got != float64(1209600) {
		t.Errorf("on-failure queue keeps messages %v s, want 1209600 (14 days)", got)
	}
}

// Lambda retries an asynchronous event for up to 6 hours, the most it
// allows (MaximumEventAgeInSeconds is 60 to 21,600,
// https://docs.aws.amazon.com/lambda/latest/api/API_PutFunctionEventInvokeConfig.html),
// before the event goes to the on-failure queue (docs/operations.md).
func TestSubscriberAsyncEventsLiveSixHours(t *testing.T) {
	m := runSubscriber(t, subscriberArgs{})
	async := mustGet(t, m, "fn-async")
	if got := async.Inputs["maximumEventAgeInSeconds"]; got != float64(21600) {
		t.Errorf("maximumEventAgeInSeconds %v, want 21600 (6 hours)", got)
	}
	if got := async.Inputs["maximumRetryAttempts"]; got != float64(maxAsyncRetries) {
		t.Errorf("maximumRetryAttempts %v, want %d", got, maxAsyncRetries)
	}
}

// A function is in a VPC exactly when it is given subnets: then it has
// the VPC configuration and the role may manage its network interfaces
// (Resource "*", as Lambda documents:
// https://docs.aws.amazon.com/lambda/latest/dg/configuration-vpc.html);
// otherwise neither.
func TestSubscriberInAVPCOnlyWithSubnets(t *testing.T) {
	cases := []struct {
		name    string
		subnets []pulumi.StringInput
	}{
		{"no subnets", nil},
		{"two subnets", []pulumi.StringInput{pulumi.String("subnet-aaaaaaaa"), pulumi.String("subnet-bbbbbbbb")}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := runSubscriber(t, subscriberArgs{
				SubnetIDs: c.subnets, SecurityGroupIDs: []pulumi.StringInput{pulumi.String("sg-11111111")},
			})
			inVPC := len(c.subnets) > 0
			vpc, hasVPC := mustGet(t, m, "fn").Inputs["vpcConfig"]
			hasVPC = hasVPC && vpc != nil
			if hasVPC != inVPC {
				t.Errorf("vpcConfig %v with %d subnets", vpc, len(c.subnets))
			}
			if inVPC {
				if got := asMap(vpc)["subnetIds"].([]any); len(got) != len(c.subnets) {
					t.Errorf("vpcConfig subnets %v", got)
				}
			}
			eni := false
			for _, s := range policyDoc(t, mustGet(t, m, "fn-role-policy"), "policy")["Statement"].([]any) {
				if st := asMap(s); st["Sid"] == "VpcNetworkInterfaces" {
					eni = true
					if st["Resource"] != "*" {
						t.Errorf("network interface statement %v", st)
					}
				}
			}
			if eni != inVPC {
				t.Errorf("role may manage network interfaces: %v, with %d subnets", eni, len(c.subnets))
			}
		})
	}
}

// A subscriber declares to its Monitored what the dashboard shows of it:
// its function, its on-failure queue and its two alarms; with no Monitored
// it declares nothing and still deploys.
func TestSubscriberDeclaresItsPartsToTheDashboard(t *testing.T) {
	mon := &Monitored{}
	m := runSubscriber(t, subscriberArgs{Monitor: mon})
	if len(mon.Functions) != 1 || len(mon.Queues) != 1 || len(mon.Alarms) != 2 {
		t.Fatalf("declared %d functions, %d queues, %d alarms; want 1, 1, 2", len(mon.Functions), len(mon.Queues), len(mon.Alarms))
	}
	if got, want := await(t, mon.Functions[0]), mustGet(t, m, "fn").Outputs["name"]; got != want {
		t.Errorf("declared function %v, want %v", got, want)
	}
	if got, want := await(t, mon.Queues[0]), mustGet(t, m, "fn-dlq").Outputs["name"]; got != want {
		t.Errorf("declared queue %v, want %v", got, want)
	}
	mustGet(t, runSubscriber(t, subscriberArgs{}), "fn")
}

// A Kinesis event source mapping gives up on a record 6 hours old
// (docs/organization.md; MaximumRecordAgeInSeconds is -1 or 60 to 604,800,
// https://docs.aws.amazon.com/lambda/latest/dg/services-kinesis-parameters.html)
// and sends it to the function's on-failure queue, so one bad record does
// not hold its shard for the stream's whole retention.
func TestKinesisMappingRecordAgeIsSixHours(t *testing.T) {
	m := run(t, func(ctx *pulumi.Context) error {
		a := firehoseArgs(FeedLambda)
		a.LogGroupName, a.LogGroupArn = nil, nil
		a.KinesisStreamArn, a.KinesisKeyArn = pulumi.String(testStreamArn), pulumi.String(testKeyArn)
		_, err := NewFirehosePipeline(ctx, "fh", a)
		return err
	})
	if got := mustGet(t, m, "fh-forwarder-kinesis").Inputs["maximumRecordAgeInSeconds"]; got != float64(21600) {
		t.Errorf("maximumRecordAgeInSeconds %v, want 21600 (6 hours)", got)
	}
}
