package policy_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/awslimits"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/mockaws"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/policy"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/policy/ids"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/stackconfig"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/stackfile"
)

// Type tokens of the organization resources (pulumi-aws v6).
const (
	tLogDestination       = "aws:cloudwatch/logDestination:LogDestination"
	tLogDestinationPolicy = "aws:cloudwatch/logDestinationPolicy:LogDestinationPolicy"
	tLogSubscription      = "aws:cloudwatch/logSubscriptionFilter:LogSubscriptionFilter"
	tEventBusPolicy       = "aws:cloudwatch/eventBusPolicy:EventBusPolicy"
	tKinesisStream        = "aws:kinesis/stream:Stream"
	tStreamConsumer       = "aws:kinesis/streamConsumer:StreamConsumer"
	tEventSourceMapping   = "aws:lambda/eventSourceMapping:EventSourceMapping"
	tFirehoseStream       = "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream"
	tEventTarget          = "aws:cloudwatch/eventTarget:EventTarget"
	tEventRule            = "aws:cloudwatch/eventRule:EventRule"
	centralBus            = "arn:aws:events:us-east-1:222222222222:event-bus/flowlog-alarms"

	orgID          = "o-a1b2c3d4e5"
	centralAccount = "222222222222"
)

// memberAccounts are n distinct 12-digit account ids.
func memberAccounts(n int) []any {
	out := make([]any, n)
	for i := range out {
		out[i] = fmt.Sprintf("%012d", 100000000000+i*7919)
	}
	return out
}

func each(accounts []any, f func(string) string) []any {
	out := make([]any, len(accounts))
	for i, a := range accounts {
		out[i] = f(a.(string))
	}
	return out
}

// The policies of the organization design (docs/organization.md) in their
// two forms: n > 0 names n member accounts, n == 0 the organization.

// bucketPolicy admits flow-log delivery into the central bucket.
func bucketPolicy(n int) string {
	cond := map[string]any{"StringEquals": map[string]any{"aws:SourceOrgID": orgID}}
	if n > 0 {
		accts := memberAccounts(n)
		cond = map[string]any{
			"StringEquals": map[string]any{"aws:SourceAccount": accts},
			"ArnLike":      map[string]any{"aws:SourceArn": each(accts, func(a string) string { return "arn:aws:logs:*:" + a + ":*" })},
		}
	}
	return jsonString(map[string]any{"Version": "2012-10-17", "Statement": []any{
		map[string]any{"Sid": "AWSLogDeliveryWrite", "Effect": "Allow", "Principal": map[string]any{"Service": "delivery.logs.amazonaws.com"},
			"Action": "s3:PutObject", "Resource": "arn:aws:s3:::central-flowlogs/AWSLogs/*", "Condition": cond},
		map[string]any{"Sid": "AWSLogDeliveryAclCheck", "Effect": "Allow", "Principal": map[string]any{"Service": "delivery.logs.amazonaws.com"},
			"Action": "s3:GetBucketAcl", "Resource": "arn:aws:s3:::central-flowlogs", "Condition": cond},
	}})
}

// principalPolicy lets the members (or the organization) call action on resource.
func principalPolicy(n int, action, resource string) string {
	st := map[string]any{"Sid": "Members", "Effect": "Allow", "Action": action, "Resource": resource}
	if n > 0 {
		st["Principal"] = map[string]any{"AWS": memberAccounts(n)}
	} else {
		st["Principal"] = map[string]any{"AWS": "*"}
		st["Condition"] = map[string]any{"StringEquals": map[string]any{"aws:PrincipalOrgID": orgID}}
	}
	return jsonString(map[string]any{"Version": "2012-10-17", "Statement": []any{st}})
}

func destinationPolicy(n int) string {
	return principalPolicy(n, "logs:PutSubscriptionFilter", "arn:aws:logs:eu-west-1:"+centralAccount+":destination:flowlogs")
}

func eventBusPolicy(n int) string {
	return principalPolicy(n, "events:PutEvents", "arn:aws:events:eu-west-1:"+centralAccount+":event-bus/flowlog-alarms")
}

// orgPolicies are the policies that would name members, with their resource
// type, input, size limit and the row docs/deployability-rules.md gives them.
var orgPolicies = []struct {
	what, typ, field, clause string
	render                   func(n int) string
	limit                    int
}{
	{"S3 bucket policy (flow-log delivery)", "aws:s3/bucketPolicy:BucketPolicy", "policy", "s3-bucket-policy", bucketPolicy, awslimits.MaxS3BucketPolicyBytes},
	{"CloudWatch Logs destination access policy", tLogDestinationPolicy, "accessPolicy", "logs-destination-policy", destinationPolicy, awslimits.MaxLogDestinationPolicyBytes},
	{"EventBridge event bus policy", tEventBusPolicy, "policy", "event-bus-policy", eventBusPolicy, awslimits.MaxEventBusPolicyChars},
}

// largePolicy is a document of more than size bytes of one statement with
// one principal and one action: only its condition (a list of source ARNs,
// one per account) is long.
func largePolicy(size int, action, resource string) string {
	var arns []any
	for i := 0; ; i++ {
		arns = append(arns, fmt.Sprintf("arn:aws:cloudwatch:us-east-1:%012d:alarm:*", i))
		s := jsonString(map[string]any{"Version": "2012-10-17", "Statement": []any{map[string]any{"Sid": "Alarms", "Effect": "Allow",
			"Principal": map[string]any{"Service": "cloudwatch.amazonaws.com"}, "Action": action, "Resource": resource,
			"Condition": map[string]any{"ArnLike": map[string]any{"aws:SourceArn": arns}}}}})
		if len(s) > size {
			return s
		}
	}
}

// destinationWithPolicy adds a destination and its access policy.
func destinationWithPolicy(m *mockaws.Mocks, name, access string) {
	add(m, tLogDestination, "fixture-dest-"+name, map[string]any{"name": name, "roleArn": "arn:aws:iam::" + centralAccount + ":role/cwl", "targetArn": "arn:aws:kinesis:eu-west-1:" + centralAccount + ":stream/flowlogs"},
		map[string]any{"name": name, "arn": "arn:aws:logs:eu-west-1:" + centralAccount + ":destination:" + name})
	add(m, tLogDestinationPolicy, "fixture-dest-"+name+"-policy", map[string]any{"destinationName": name, "accessPolicy": access}, nil)
}

const (
	topicArn = "arn:aws:sns:us-east-1:123456789012:alarms"
	queueArn = "arn:aws:sqs:us-east-1:123456789012:dlq"
	queueURL = "https://sqs.us-east-1.amazonaws.com/123456789012/dlq"
)

// statements is a policy of n statements, each allowing action on resource
// to principals accounts.
func statements(n, principals int, action, resource string) string {
	var out []any
	for i := 0; i < n; i++ {
		out = append(out, map[string]any{"Sid": fmt.Sprintf("S%d", i), "Effect": "Allow",
			"Principal": map[string]any{"AWS": memberAccounts(principals)}, "Action": action, "Resource": resource})
	}
	return jsonString(map[string]any{"Version": "2012-10-17", "Statement": out})
}

// destinationTrust is a trust policy of the CloudWatch Logs destination
// role that names n accounts in two member regions (one aws:SourceArn per
// account and region), with a statement id of sid.
func destinationTrust(n int, sid string) map[string]any {
	var sources []any
	for _, region := range []string{"eu-west-1", "us-east-1"} {
		for _, a := range memberAccounts(n) {
			sources = append(sources, "arn:aws:logs:"+region+":"+a.(string)+":*")
		}
	}
	return map[string]any{"Version": "2012-10-17", "Statement": []any{map[string]any{
		"Sid": sid, "Effect": "Allow", "Principal": map[string]any{"Service": "logs.amazonaws.com"}, "Action": "sts:AssumeRole",
		"Condition": map[string]any{"StringLike": map[string]any{"aws:SourceArn": sources}},
	}}}
}

// addTrustRole adds a role with the trust policy doc.
func addTrustRole(m *mockaws.Mocks, doc string) {
	add(m, "aws:iam/role:Role", "fixture-destination-role", map[string]any{"assumeRolePolicy": doc},
		map[string]any{"arn": "arn:aws:iam::" + centralAccount + ":role/fixture-destination-role"})
}

const fixtureStreamArn = "arn:aws:kinesis:us-east-1:123456789012:stream/fixture-flowlogs"

func addStream(m *mockaws.Mocks) {
	add(m, tKinesisStream, "fixture-stream", map[string]any{"name": "fixture-flowlogs", "encryptionType": "KMS", "streamModeDetails": map[string]any{"streamMode": "ON_DEMAND"}},
		map[string]any{"name": "fixture-flowlogs", "arn": fixtureStreamArn})
}

// orgFixtures break each clause of the organization rules (rules_org.go).
func orgFixtures() []deployFixture {
	out := []deployFixture{
		{"SNS topic policy over 30 KB", ids.DeployResourcePolicySize, "sns-topic-policy", dmut(func(t *testing.T, m *mockaws.Mocks) {
			add(m, "aws:sns/topicPolicy:TopicPolicy", "fixture-topic-policy", map[string]any{"arn": "arn:aws:sns:us-east-1:123456789012:alarms",
				"policy": largePolicy(awslimits.MaxSNSTopicPolicyBytes, "sns:Publish", "arn:aws:sns:us-east-1:123456789012:alarms")}, nil)
		})},
		{"SQS queue policy over 8,192 bytes", ids.DeployResourcePolicySize, "sqs-queue-policy", dmut(func(t *testing.T, m *mockaws.Mocks) {
			add(m, "aws:sqs/queuePolicy:QueuePolicy", "fixture-queue-policy", map[string]any{"queueUrl": "https://sqs.us-east-1.amazonaws.com/123456789012/dlq",
				"policy": largePolicy(awslimits.MaxSQSQueuePolicyBytes, "sqs:SendMessage", "arn:aws:sqs:us-east-1:123456789012:dlq")}, nil)
		})},
		{"KMS key policy over 32,768 bytes", ids.DeployResourcePolicySize, "kms-key-policy", dmut(func(t *testing.T, m *mockaws.Mocks) {
			add(m, "aws:kms/keyPolicy:KeyPolicy", "fixture-key-policy", map[string]any{"keyId": "1234abcd-12ab-34cd-56ef-1234567890ab",
				"policy": largePolicy(awslimits.MaxKMSKeyPolicyBytes, "kms:Decrypt", "*")}, nil)
		})},
		{"destination role trusting 30 accounts in two regions", ids.DeployResourcePolicySize, "iam-role-trust-policy", dmut(func(t *testing.T, m *mockaws.Mocks) {
			addTrustRole(m, jsonString(destinationTrust(30, "CloudWatchLogs")))
		})},
		{"subscription filter to a destination in another region", ids.DeployLogDestinations, "same-region", func(t *testing.T, m *mockaws.Mocks) []policy.Option {
			add(m, tLogSubscription, "fixture-member-subscription", map[string]any{"logGroup": "/member/flow-logs", "filterPattern": "", "name": "central",
				"destinationArn": "arn:aws:logs:eu-west-1:" + centralAccount + ":destination:flowlogs"}, nil)
			return []policy.Option{policy.StackRegion("us-east-1")}
		}},
		{"two destinations named alike in one region", ids.DeployLogDestinations, "unique-name-per-region", dmut(func(t *testing.T, m *mockaws.Mocks) {
			destinationWithPolicy(m, "flowlogs", destinationPolicy(0))
			add(m, tLogDestination, "fixture-dest-again", map[string]any{"name": "flowlogs", "roleArn": "arn:aws:iam::" + centralAccount + ":role/cwl", "targetArn": fixtureStreamArn},
				map[string]any{"name": "flowlogs"})
		})},
		{"destination without an access policy", ids.DeployLogDestinations, "access-policy", dmut(func(t *testing.T, m *mockaws.Mocks) {
			add(m, tLogDestination, "fixture-dest-open", map[string]any{"name": "flowlogs", "roleArn": "arn:aws:iam::" + centralAccount + ":role/cwl", "targetArn": fixtureStreamArn},
				map[string]any{"name": "flowlogs"})
		})},
		{"destination with two access policies", ids.DeployLogDestinations, "one-access-policy", dmut(func(t *testing.T, m *mockaws.Mocks) {
			destinationWithPolicy(m, "flowlogs", destinationPolicy(0))
			add(m, tLogDestinationPolicy, "fixture-dest-flowlogs-policy-again", map[string]any{"destinationName": "flowlogs", "accessPolicy": destinationPolicy(3)}, nil)
		})},
		{"a Firehose stream per member", ids.DeployFirehoseStreams, "streams-per-region", dmut(func(t *testing.T, m *mockaws.Mocks) {
			for i := 0; i <= awslimits.MaxFirehoseStreamsPerRegion; i++ {
				add(m, tFirehoseStream, fmt.Sprintf("fixture-member-%d-stream", i), map[string]any{"destination": "extended_s3"}, nil)
			}
		})},
		{"six event source mappings polling one stream", ids.DeployKinesisStreamReaders, "shared-throughput-readers", dmut(func(t *testing.T, m *mockaws.Mocks) {
			addStream(m)
			for i := 0; i <= awslimits.MaxSharedThroughputReadersPerStream; i++ {
				add(m, tEventSourceMapping, fmt.Sprintf("fixture-esm-%d", i), map[string]any{"eventSourceArn": fixtureStreamArn, "functionName": fmt.Sprintf("reader-%d", i), "startingPosition": "TRIM_HORIZON"}, nil)
			}
		})},
		{"21 enhanced fan-out consumers on one stream", ids.DeployKinesisStreamReaders, "enhanced-fan-out-consumers", dmut(func(t *testing.T, m *mockaws.Mocks) {
			addStream(m)
			for i := 0; i <= awslimits.MaxEnhancedFanOutConsumersPerStream; i++ {
				add(m, tStreamConsumer, fmt.Sprintf("fixture-consumer-%d", i), map[string]any{"name": fmt.Sprintf("consumer-%d", i), "streamArn": fixtureStreamArn}, nil)
			}
		})},
		{"SNS topic policy of 101 statements", ids.DeployPolicyElements, "sns-statements", dmut(func(t *testing.T, m *mockaws.Mocks) {
			add(m, "aws:sns/topicPolicy:TopicPolicy", "fixture-topic-policy", map[string]any{"arn": topicArn, "policy": statements(awslimits.MaxSNSPolicyStatements+1, 1, "sns:Publish", topicArn)}, nil)
		})},
		{"SNS statement naming 201 accounts", ids.DeployPolicyElements, "sns-principals", dmut(func(t *testing.T, m *mockaws.Mocks) {
			add(m, "aws:sns/topicPolicy:TopicPolicy", "fixture-topic-policy", map[string]any{"arn": topicArn, "policy": statements(1, awslimits.MaxSNSPrincipalsPerStatement+1, "sns:Publish", topicArn)}, nil)
		})},
		{"SQS queue policy of 21 statements", ids.DeployPolicyElements, "sqs-statements", dmut(func(t *testing.T, m *mockaws.Mocks) {
			add(m, "aws:sqs/queuePolicy:QueuePolicy", "fixture-queue-policy", map[string]any{"queueUrl": queueURL, "policy": statements(awslimits.MaxSQSPolicyStatements+1, 1, "sqs:SendMessage", queueArn)}, nil)
		})},
		{"SQS queue policy naming 51 accounts", ids.DeployPolicyElements, "sqs-principals", dmut(func(t *testing.T, m *mockaws.Mocks) {
			add(m, "aws:sqs/queuePolicy:QueuePolicy", "fixture-queue-policy", map[string]any{"queueUrl": queueURL, "policy": statements(1, awslimits.MaxSQSPrincipals+1, "sqs:SendMessage", queueArn)}, nil)
		})},
		{"SQS statement of 8 actions", ids.DeployPolicyElements, "sqs-actions", dmut(func(t *testing.T, m *mockaws.Mocks) {
			actions := []any{"sqs:SendMessage", "sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:GetQueueUrl", "sqs:ChangeMessageVisibility", "sqs:PurgeQueue", "sqs:ListDeadLetterSourceQueues"}
			add(m, "aws:sqs/queuePolicy:QueuePolicy", "fixture-queue-policy", map[string]any{"queueUrl": queueURL, "policy": jsonString(map[string]any{"Version": "2012-10-17", "Statement": []any{
				map[string]any{"Effect": "Allow", "Principal": map[string]any{"AWS": "arn:aws:iam::123456789012:root"}, "Action": actions, "Resource": queueArn}}})}, nil)
		})},
		{"six targets on one rule", ids.DeployEventRuleTargets, "targets-per-rule", dmut(func(t *testing.T, m *mockaws.Mocks) {
			for i := 0; i <= awslimits.MaxTargetsPerRule; i++ {
				add(m, tEventTarget, fmt.Sprintf("fixture-target-%d", i), map[string]any{"rule": "fixture-alarm-state", "arn": fmt.Sprintf("arn:aws:sns:us-east-1:123456789012:topic-%d", i)}, nil)
			}
		})},
		{"alarm forwarding to the central bus without a role", ids.DeployEventRuleTargets, "event-bus-target-role", dmut(func(t *testing.T, m *mockaws.Mocks) {
			add(m, tEventTarget, "fixture-forward", map[string]any{"rule": "fixture-alarm-state", "arn": centralBus}, nil)
		})},
		{"alarm relay pattern of 2,049 characters", ids.DeployEventRuleTargets, "event-pattern-size", dmut(func(t *testing.T, m *mockaws.Mocks) {
			add(m, tEventRule, "fixture-relay", map[string]any{"eventPattern": alarmPattern(awslimits.MaxEventPatternChars + 1)}, nil)
		})},
	}
	// The policies that name members: each one's list form at 300 members.
	for _, p := range orgPolicies {
		out = append(out, deployFixture{p.what + " naming 1000 member accounts", ids.DeployResourcePolicySize, p.clause, dmut(func(t *testing.T, m *mockaws.Mocks) {
			in := map[string]any{p.field: p.render(1000)}
			if p.typ == tLogDestinationPolicy {
				destinationWithPolicy(m, "flowlogs", p.render(1000))
				return
			}
			add(m, p.typ, "fixture-member-list", in, nil)
		})})
	}
	return out
}

// TestOrgPoliciesStayUnderTheirLimits: the organization form of every
// policy that would name members passes the size rule, and its size does
// not depend on the number of members; the list form fails from the
// breakpoint docs/deployability-rules.md states, and not before.
func TestOrgPoliciesStayUnderTheirLimits(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join(root(t), "docs", "deployability-rules.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range orgPolicies {
		t.Run(p.what, func(t *testing.T) {
			org := p.render(0)
			if len(org) > p.limit/4 {
				t.Errorf("the organization form is %d of %d", len(org), p.limit)
			}
			fits := 0
			for n := 1; len(p.render(n)) <= p.limit; n++ {
				fits = n
			}
			t.Logf("%s: organization form %d bytes; an account list fits %d accounts", p.what, len(org), fits)
			row := fmt.Sprintf("| %s | %d | %d | %d |", p.what, p.limit, len(org), fits)
			if !strings.Contains(string(doc), row) {
				t.Errorf("docs/deployability-rules.md lacks the row\n%s", row)
			}
			for _, c := range []struct {
				n    int
				fail bool
			}{{0, false}, {fits, false}, {fits + 1, true}} {
				m := deployBaseline(t)
				if p.typ == tLogDestinationPolicy {
					destinationWithPolicy(m, "flowlogs", p.render(c.n))
				} else {
					add(m, p.typ, "fixture-member-list", map[string]any{p.field: p.render(c.n)}, nil)
				}
				rep := policy.EvaluateDeployability(m)
				if rep.Failed() != c.fail {
					t.Errorf("%d members: failed=%v, want %v: %v", c.n, rep.Failed(), c.fail, rep.Violations)
				}
			}
		})
	}
}

// The passing side of the region clause: a destination in the log group's
// region, or a region the graph cannot know, is not a violation; an
// explicit provider's region decides over the stack's.
func TestDestinationRegionFollowsTheProvider(t *testing.T) {
	sub := func(m *mockaws.Mocks, region, provider string) {
		r := add(m, tLogSubscription, "fixture-member-subscription", map[string]any{"logGroup": "/member/flow-logs", "filterPattern": "", "name": "central",
			"destinationArn": "arn:aws:logs:" + region + ":" + centralAccount + ":destination:flowlogs"}, nil)
		r.Provider = provider
	}
	provider := func(m *mockaws.Mocks, region string) string {
		p := add(m, "pulumi:providers:aws", "eu", map[string]any{"region": region}, nil)
		return p.URN + "::" + "provider-id"
	}
	cases := []struct {
		name  string
		build func(m *mockaws.Mocks) []policy.Option
		fail  bool
	}{
		{"same region as the stack", func(m *mockaws.Mocks) []policy.Option {
			sub(m, "us-east-1", "")
			return []policy.Option{policy.StackRegion("us-east-1")}
		}, false},
		{"stack region unknown", func(m *mockaws.Mocks) []policy.Option { sub(m, "eu-west-1", ""); return nil }, false},
		{"explicit provider in the destination's region", func(m *mockaws.Mocks) []policy.Option {
			sub(m, "eu-west-1", provider(m, "eu-west-1"))
			return []policy.Option{policy.StackRegion("us-east-1")}
		}, false},
		{"explicit provider in another region", func(m *mockaws.Mocks) []policy.Option {
			sub(m, "eu-west-1", provider(m, "ap-south-1"))
			return []policy.Option{policy.StackRegion("eu-west-1")}
		}, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := deployBaseline(t)
			rep := policy.EvaluateDeployability(m, c.build(m)...)
			if rep.Failed() != c.fail {
				t.Errorf("failed=%v, want %v: %v", rep.Failed(), c.fail, rep.Violations)
			}
		})
	}
}

// A Firehose stream with a Kinesis source reads with shared throughput
// too; a mapping on an enhanced fan-out consumer does not.
func TestKinesisReadersCountFirehoseNotFanOut(t *testing.T) {
	m := deployBaseline(t)
	addStream(m)
	for i := 0; i < awslimits.MaxSharedThroughputReadersPerStream; i++ {
		add(m, tEventSourceMapping, fmt.Sprintf("fixture-esm-%d", i), map[string]any{"eventSourceArn": fixtureStreamArn, "functionName": "reader"}, nil)
	}
	add(m, tEventSourceMapping, "fixture-esm-efo", map[string]any{"eventSourceArn": fixtureStreamArn + "/consumer/indexer:1700000000", "functionName": "reader"}, nil)
	if rep := policy.EvaluateDeployability(m); rep.Failed() {
		t.Fatalf("5 shared readers and one fan-out mapping: %v", rep.Violations)
	}
	add(m, tFirehoseStream, "fixture-from-stream", map[string]any{"destination": "extended_s3", "kinesisSourceConfiguration": map[string]any{"kinesisStreamArn": fixtureStreamArn}}, nil)
	rep := policy.EvaluateDeployability(m)
	if len(rep.Violations) != 1 || rep.Violations[0].Clause != "shared-throughput-readers" || rep.Violations[0].Name != "fixture-from-stream" {
		t.Errorf("a sixth reader (a Firehose stream with the stream as source) must be the violation: %v", rep.Violations)
	}
}

// A central stack declares a destination of the same name in every member
// region, each with its own access policy, through a provider per region:
// neither the name nor the policies collide.
func TestDestinationsPerRegionShareAName(t *testing.T) {
	m := deployBaseline(t)
	for _, region := range []string{"eu-west-1", "us-east-1"} {
		p := add(m, "pulumi:providers:aws", "aws-"+region, map[string]any{"region": region}, nil)
		ref := p.URN + "::" + region + "-id"
		d := add(m, tLogDestination, "fixture-dest-"+region, map[string]any{"name": "flowlogs", "roleArn": "arn:aws:iam::" + centralAccount + ":role/cwl", "targetArn": fixtureStreamArn},
			map[string]any{"name": "flowlogs", "arn": "arn:aws:logs:" + region + ":" + centralAccount + ":destination:flowlogs"})
		pol := add(m, tLogDestinationPolicy, "fixture-dest-"+region+"-policy", map[string]any{"destinationName": "flowlogs", "accessPolicy": destinationPolicy(0)}, nil)
		d.Provider, pol.Provider = ref, ref
	}
	if rep := policy.EvaluateDeployability(m); rep.Failed() {
		t.Errorf("one destination and one policy per region: %v", rep.Violations)
	}
}

// The passing side of the event-bus clause: with its role, a member's
// forwarding target is deployable, and five targets on a rule are allowed.
func TestEventBusTargetWithRole(t *testing.T) {
	m := deployBaseline(t)
	add(m, tEventTarget, "fixture-forward", map[string]any{"rule": "fixture-alarm-state", "arn": centralBus, "roleArn": "arn:aws:iam::123456789012:role/forward"}, nil)
	for i := 1; i < awslimits.MaxTargetsPerRule; i++ {
		add(m, tEventTarget, fmt.Sprintf("fixture-target-%d", i), map[string]any{"rule": "fixture-alarm-state", "arn": fmt.Sprintf("arn:aws:sns:us-east-1:123456789012:topic-%d", i)}, nil)
	}
	// An event pattern at the quota itself is deployable.
	add(m, tEventRule, "fixture-relay", map[string]any{"eventPattern": alarmPattern(awslimits.MaxEventPatternChars)}, nil)
	if rep := policy.EvaluateDeployability(m); rep.Failed() {
		t.Errorf("%v", rep.Violations)
	}
}

// alarmPattern is a member's alarm-relay event pattern (the alarm state
// changes of listed alarms) of exactly n characters, n >= 200.
func alarmPattern(n int) string {
	head := `{"detail-type":["CloudWatch Alarm State Change"],"source":["aws.cloudwatch"],"resources":[`
	const arn = "arn:aws:cloudwatch:eu-west-1:123456789012:alarm:alarms-ssh-rejects-alarm-1a2b3c4"
	var b strings.Builder
	b.WriteString(head)
	// Whole alarms while at least 60 characters stay for the padded last one.
	for b.Len()+len(arn)+3+60 <= n {
		if b.Len() > len(head) {
			b.WriteString(",")
		}
		b.WriteString(`"` + arn + `"`)
	}
	// Pad the last alarm name so the pattern has exactly n characters.
	pad := n - b.Len() - len(`,""]}`) - 48
	b.WriteString(`,"` + arn[:48] + strings.Repeat("x", pad) + `"]}`)
	if b.Len() != n {
		panic(fmt.Sprintf("alarmPattern(%d) has %d characters", n, b.Len()))
	}
	return b.String()
}

// The passing side of the element quotas: at the limits themselves.
func TestPolicyElementsAtTheirLimits(t *testing.T) {
	m := deployBaseline(t)
	add(m, "aws:sns/topicPolicy:TopicPolicy", "fixture-topic-policy", map[string]any{"arn": topicArn, "policy": statements(1, awslimits.MaxSNSPrincipalsPerStatement, "sns:Publish", topicArn)}, nil)
	add(m, "aws:sns/topicPolicy:TopicPolicy", "fixture-topic-policy-2", map[string]any{"arn": topicArn, "policy": statements(awslimits.MaxSNSPolicyStatements, 1, "sns:Publish", topicArn)}, nil)
	add(m, "aws:sqs/queuePolicy:QueuePolicy", "fixture-queue-policy", map[string]any{"queueUrl": queueURL, "policy": statements(awslimits.MaxSQSPolicyStatements, 1, "sqs:SendMessage", queueArn)}, nil)
	add(m, "aws:sqs/queuePolicy:QueuePolicy", "fixture-queue-policy-2", map[string]any{"queueUrl": queueURL, "policy": statements(1, awslimits.MaxSQSPrincipals, "sqs:SendMessage", queueArn)}, nil)
	if rep := policy.EvaluateDeployability(m); rep.Failed() {
		t.Errorf("%v", rep.Violations)
	}
}

// TestTrustPolicySizeCountsAsIAMDoes: IAM measures a trust policy in
// characters without white space
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html),
// so an indented document of 2,048 such characters passes although it
// holds more bytes, and one of 2,049 fails.
func TestTrustPolicySizeCountsAsIAMDoes(t *testing.T) {
	// sized is the trust policy whose compact form has exactly n
	// characters: the statement id takes up the difference.
	sized := func(n int) map[string]any {
		base := len(jsonString(destinationTrust(20, "")))
		if n < base {
			t.Fatalf("a trust policy of 20 accounts has %d characters, more than %d", base, n)
		}
		return destinationTrust(20, strings.Repeat("S", n-base))
	}
	for _, c := range []struct {
		n    int
		fail bool
	}{{awslimits.MaxIAMRoleTrustPolicyChars, false}, {awslimits.MaxIAMRoleTrustPolicyChars + 1, true}} {
		b, err := json.MarshalIndent(sized(c.n), "", "    ")
		if err != nil {
			t.Fatal(err)
		}
		doc := string(b)
		if len(strings.Join(strings.Fields(doc), "")) != c.n || len(doc) <= awslimits.MaxIAMRoleTrustPolicyChars {
			t.Fatalf("the indented document has %d characters without white space and %d with, want %d and more than %d",
				len(strings.Join(strings.Fields(doc), "")), len(doc), c.n, awslimits.MaxIAMRoleTrustPolicyChars)
		}
		m := deployBaseline(t)
		addTrustRole(m, doc)
		var broken bool
		for _, v := range policy.EvaluateDeployability(m).Violations {
			if v.Rule == ids.DeployResourcePolicySize && v.Clause == "iam-role-trust-policy" {
				broken = true
			} else {
				t.Errorf("%d characters: %s", c.n, v)
			}
		}
		if broken != c.fail {
			t.Errorf("a trust policy of %d characters without white space (%d bytes indented): breaks iam-role-trust-policy = %v, want %v", c.n, len(doc), broken, c.fail)
		}
	}
}

// centralWithAccounts plans Pulumi.central.yaml with n member accounts
// listed instead of its organization id.
func centralWithAccounts(t *testing.T, n int) *mockaws.Mocks {
	t.Helper()
	return recorded(t, deployRun("central", centralConfig(t, n)), fmt.Sprintf("central stack with %d accounts", n))
}

func centralConfig(t testing.TB, n int) map[string]string {
	t.Helper()
	_, cfg, err := stackfile.LoadConfig(root(t), "central")
	if err != nil {
		t.Fatal(err)
	}
	delete(cfg, stackconfig.Key("organizationId"))
	cfg[stackconfig.Key("memberAccountIds")] = jsonString(memberAccounts(n))
	return cfg
}

// centralAccountLists are the central stack's policies that list member
// accounts, the clause each breaks and how many accounts fit (as
// docs/deployability-rules.md states).
var centralAccountLists = []struct {
	what, clause string
	fits         int
}{
	{"S3 bucket policy of the flow-log bucket", "s3-bucket-policy", 73},
	{"CloudWatch Logs destination access policy", "logs-destination-policy", 326},
	{"EventBridge event bus policy", "event-bus-policy", 667},
}

// TestCentralTrustPoliciesNameNoAccount: the central stack's role trust
// policies (the destination role's above all) name no member account, so
// the largest account list planned above (one account more than the event
// bus policy fits) breaks no trust policy's size, as
// docs/deployability-rules.md states.
func TestCentralTrustPoliciesNameNoAccount(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join(root(t), "docs", "deployability-rules.md"))
	if err != nil {
		t.Fatal(err)
	}
	if row := "| IAM role trust policy of the destination role (and every other role) | any number: it names no account |"; !strings.Contains(string(doc), row) {
		t.Errorf("docs/deployability-rules.md lacks the row %s", row)
	}
	n := 0
	for _, c := range centralAccountLists {
		n = max(n, c.fits+1)
	}
	m := centralWithAccounts(t, n)
	accounts := memberAccounts(n)
	for _, r := range m.ByType("aws:iam/role:Role") {
		trust := policy.Str(r.Inputs["assumeRolePolicy"])
		for _, a := range accounts {
			if strings.Contains(trust, a.(string)) {
				t.Errorf("role %s trusts member account %s by name", r.Name, a)
				break
			}
		}
	}
	for _, v := range policy.EvaluateDeployability(m).Violations {
		if v.Rule == ids.DeployResourcePolicySize && v.Clause == "iam-role-trust-policy" {
			t.Errorf("%d accounts listed: %s", n, v)
		}
	}
}

// TestCentralAccountListsAsDocumented: the central stack's own policies
// with memberAccountIds fit exactly the number of accounts
// docs/deployability-rules.md states, and break their clause one account
// later.
func TestCentralAccountListsAsDocumented(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join(root(t), "docs", "deployability-rules.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range centralAccountLists {
		row := fmt.Sprintf("| %s | %d |", c.what, c.fits)
		if !strings.Contains(string(doc), row) {
			t.Errorf("docs/deployability-rules.md lacks the row %s", row)
		}
		for _, n := range []int{c.fits, c.fits + 1} {
			broken := false
			for _, v := range policy.EvaluateDeployability(centralWithAccounts(t, n)).Violations {
				if v.Rule == ids.DeployResourcePolicySize && v.Clause == c.clause {
					broken = true
				}
			}
			if broken != (n > c.fits) {
				t.Errorf("%s with %d accounts listed: breaks %s = %v, want %v", c.what, n, c.clause, broken, n > c.fits)
			}
		}
	}
}
