package components

import (
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

const (
	testStreamArn = "arn:aws:kinesis:eu-west-1:123456789012:stream/org"
	testKeyArn    = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
)

// TestFirehoseForwarderFromKinesis: with KinesisStreamArn the forwarder is
// fed by an event source mapping on the stream (and no subscription
// filter), with partial batch responses, bisection, bounded retries and its
// on-failure queue.
func TestFirehoseForwarderFromKinesis(t *testing.T) {
	m := run(t, func(ctx *pulumi.Context) error {
		a := firehoseArgs(FeedLambda)
		a.LogGroupName, a.LogGroupArn = nil, nil
		a.KinesisStreamArn, a.KinesisKeyArn = pulumi.String(testStreamArn), pulumi.String(testKeyArn)
		fh, err := NewFirehosePipeline(ctx, "fh", a)
		if err == nil && fh == nil {
			t.Error("NewFirehosePipeline returned neither a pipeline nor an error")
		}
		return err
	})
	// The rest of the pipeline follows the mapping: the forwarder's
	// dead-letter alarm and the stream.
	mustGet(t, m, "fh-forwarder-dead-letters-depth")
	mustGet(t, m, "fh-stream")
	if n := len(m.ByType("aws:cloudwatch/logSubscriptionFilter:LogSubscriptionFilter")); n != 0 {
		t.Errorf("%d subscription filters with a Kinesis feed", n)
	}
	esm := mustGet(t, m, "fh-forwarder-kinesis")
	dlq := mustGet(t, m, "fh-forwarder-dlq")
	if esm.Input("eventSourceArn") != testStreamArn || esm.Input("startingPosition") != "TRIM_HORIZON" ||
		esm.Inputs["bisectBatchOnFunctionError"] != true || esm.Inputs["maximumRetryAttempts"] != float64(KinesisMaxRetries) {
		t.Errorf("mapping inputs %v", esm.Inputs)
	}
	if got := asMap(asMap(esm.Inputs["destinationConfig"])["onFailure"])["destinationArn"]; got != dlq.Outputs["arn"] {
		t.Errorf("on-failure destination %v, want the forwarder's dlq", got)
	}
	pol := mustGet(t, m, "fh-forwarder-role-policy").Input("policy")
	for _, want := range []string{"kinesis:GetRecords", testStreamArn, "kms:Decrypt", testKeyArn} {
		if !strings.Contains(pol, want) {
			t.Errorf("forwarder role policy lacks %s", want)
		}
	}
	// The mapping waits for the role's permissions: Lambda checks them when
	// the mapping is created.
	rp := mustGet(t, m, "fh-forwarder-role-policy")
	found := false
	for _, d := range esm.Dependencies {
		found = found || d == rp.URN
	}
	if !found {
		t.Error("the mapping does not depend on the role policy")
	}
}

// TestKinesisFeedArgsRefused: a Kinesis feed is one of the feeds, and only
// for the forwarder (lambda mode); a stream with either half of a log
// group (its name, or a stray ARN that would be ignored) is refused.
func TestKinesisFeedArgsRefused(t *testing.T) {
	for name, mod := range map[string]func(a *FirehosePipelineArgs){
		"both feeds": func(a *FirehosePipelineArgs) { a.KinesisStreamArn = pulumi.String(testStreamArn) },
		"stream and log group name": func(a *FirehosePipelineArgs) {
			a.KinesisStreamArn, a.LogGroupArn = pulumi.String(testStreamArn), nil
		},
		"stream and log group ARN": func(a *FirehosePipelineArgs) {
			a.KinesisStreamArn, a.LogGroupName = pulumi.String(testStreamArn), nil
		},
		"subscription mode": func(a *FirehosePipelineArgs) {
			a.FeedMode = FeedSubscription
			a.KinesisStreamArn = pulumi.String(testStreamArn)
		},
	} {
		t.Run(name, func(t *testing.T) {
			a := firehoseArgs(FeedLambda)
			mod(a)
			if err := a.validate(); err == nil || !strings.Contains(err.Error(), "KinesisStreamArn") {
				t.Errorf("validate = %v, want a KinesisStreamArn error", err)
			}
		})
	}
	for name, mod := range map[string]func(o *OpenSearchStreamArgs){
		"both feeds":                func(o *OpenSearchStreamArgs) {},
		"stream and log group name": func(o *OpenSearchStreamArgs) { o.LogGroupArn = nil },
		"stream and log group ARN":  func(o *OpenSearchStreamArgs) { o.LogGroupName = nil },
	} {
		o := osArgs()
		o.KinesisStreamArn = pulumi.String(testStreamArn)
		mod(o)
		if err := o.validate(); err == nil || !strings.Contains(err.Error(), "KinesisStreamArn and LogGroupName/LogGroupArn: set one") {
			t.Errorf("OpenSearchStream validate, %s: %v, want both feeds refused", name, err)
		}
	}
	o := osArgs()
	o.KinesisStreamArn = pulumi.String(testStreamArn)
	o.LogGroupName, o.LogGroupArn = nil, nil
	if err := o.validate(); err != nil {
		t.Errorf("OpenSearchStream with a Kinesis feed: %v", err)
	}
}
