package policy

import (
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/awslimits"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/mockaws"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/policy/ids"
)

// The organization limits (issue 16): what a central stack and its member
// stacks run into as the organization grows, checked over the same graph as
// the other deployability rules. The rules read the provider's input names
// of pulumi-aws v6 (sdk/v6/go/aws/cloudwatch/logDestination.go,
// logDestinationPolicy.go, eventBusPolicy.go, kinesis/stream.go,
// streamConsumer.go, lambda/eventSourceMapping.go, iam/role.go), so they
// hold for the resources the central and member stacks declare, whoever
// declares them.
//
// A policy that names members (an explicit account list instead of an
// organization condition) grows with every member: the size rule measures
// the document the stack renders, so a list that outgrows its service's
// limit fails the plan, not the deployment of the 301st account.

// Type tokens of the organization resources.
const (
	tLogDestination       = "aws:cloudwatch/logDestination:LogDestination"
	tLogDestinationPolicy = "aws:cloudwatch/logDestinationPolicy:LogDestinationPolicy"
	tEventBusPolicy       = "aws:cloudwatch/eventBusPolicy:EventBusPolicy"
	tTopicPolicy          = "aws:sns/topicPolicy:TopicPolicy"
	tQueuePolicy          = "aws:sqs/queuePolicy:QueuePolicy"
	tStreamConsumer       = "aws:kinesis/streamConsumer:StreamConsumer"
	tEventSourceMapping   = "aws:lambda/eventSourceMapping:EventSourceMapping"
	tEventTarget          = "aws:cloudwatch/eventTarget:EventTarget"
	tEventRule            = "aws:cloudwatch/eventRule:EventRule"
	tAWSProvider          = "pulumi:providers:aws"
)

// AWS pages behind the organization rules.
const (
	docS3PolicySize       = "https://docs.aws.amazon.com/AmazonS3/latest/userguide/using-iam-policies.html"
	docSNSPolicySize      = "https://docs.aws.amazon.com/sns/latest/dg/sns-access-policy-language-api-permissions-reference.html"
	docSQSPolicySize      = "https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/quotas-policies.html"
	docKMSPolicySize      = "https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-overview.html"
	docDestinationPolicy  = "https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutDestinationPolicy.html"
	docEventBusPolicySize = "https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-quota.html"
	docPutDestination     = "https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutDestination.html"
	docDestinationRegion  = "https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/CreateSubscriptionFilterFirehose-Account.html"
	docFirehoseStreams    = "https://docs.aws.amazon.com/firehose/latest/APIReference/API_CreateDeliveryStream.html"
	docKinesisPolling     = "https://docs.aws.amazon.com/streams/latest/dev/kinesis-low-latency.html"
	docKinesisFanOut      = "https://docs.aws.amazon.com/streams/latest/dev/enhanced-consumers.html"
	docPutTargets         = "https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutTargets.html"
	docCrossAccountEvents = "https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-cross-account.html"
	docEventPatternSize   = "https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-quota.html"
	docIAMQuotas          = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html"
)

// StackRegion is the region the stack's default aws provider deploys to
// (config aws:region). Resources with an explicit provider take that
// provider's region. Without it the region of such resources is unknown,
// and the region clauses skip them rather than guess.
func StackRegion(region string) Option { return func(g *Graph) { g.stackRegion = region } }

// regionOf is the region r is created in: the region input of its explicit
// aws provider, else the stack's region ("" when unknown).
func (g *Graph) regionOf(r *mockaws.Resource) string {
	if r.Provider != "" {
		urn := r.Provider
		if i := strings.LastIndex(urn, "::"); i > 0 {
			urn = urn[:i] // a provider reference is <urn>::<id>
		}
		for _, p := range g.Mocks.Resources {
			if p.Type == tAWSProvider && p.URN == urn {
				if reg := Str(p.Inputs["region"]); reg != "" {
					return reg
				}
			}
		}
	}
	return g.stackRegion
}

// policySize is one resource-policy input and the largest document its
// service accepts.
type policySize struct {
	types  []string
	field  string
	clause string
	limit  int
	chars  bool // the limit counts characters, not bytes
	// noSpace: white space is not counted (IAM's quotas).
	noSpace bool
	what    string
	doc     string
	remedy  string // what keeps the document from growing with the members
}

// The remedies the size violations name.
const (
	remedyOrgCondition = "A policy that lists member accounts grows with each one: use an organization condition (aws:SourceOrgID, aws:PrincipalOrgID) instead of the list"
	remedyTrustPattern = "A trust policy that names member accounts (an aws:SourceArn per account and Region) grows with each one: match any account with an ARN pattern (arn:<partition>:logs:<region>:*:* for CloudWatch Logs) and leave who may send to the resource policies that admit the members"
)

var policySizes = []policySize{
	{[]string{tBucketPolicy, tBucketV2, tBucket}, "policy", "s3-bucket-policy", awslimits.MaxS3BucketPolicyBytes, false, false, "S3 bucket policy", docS3PolicySize, remedyOrgCondition},
	{[]string{tTopicPolicy, tTopic}, "policy", "sns-topic-policy", awslimits.MaxSNSTopicPolicyBytes, false, false, "SNS topic policy", docSNSPolicySize, remedyOrgCondition},
	{[]string{tQueuePolicy, tQueue}, "policy", "sqs-queue-policy", awslimits.MaxSQSQueuePolicyBytes, false, false, "SQS queue policy", docSQSPolicySize, remedyOrgCondition},
	{[]string{tKey, tKeyPolicy}, "policy", "kms-key-policy", awslimits.MaxKMSKeyPolicyBytes, false, false, "KMS key policy", docKMSPolicySize, remedyOrgCondition},
	{[]string{tLogDestinationPolicy}, "accessPolicy", "logs-destination-policy", awslimits.MaxLogDestinationPolicyBytes, false, false, "CloudWatch Logs destination access policy", docDestinationPolicy, remedyOrgCondition},
	{[]string{tEventBusPolicy}, "policy", "event-bus-policy", awslimits.MaxEventBusPolicyChars, true, false, "EventBridge event bus policy", docEventBusPolicySize, remedyOrgCondition},
	{[]string{tRole}, "assumeRolePolicy", "iam-role-trust-policy", awslimits.MaxIAMRoleTrustPolicyChars, true, true, "IAM role trust policy", docIAMQuotas, remedyTrustPattern},
}

// renderedPolicy is the document as the stack sends it: a string input as
// is, a structured one as compact JSON.
func renderedPolicy(v any) (string, bool) {
	switch t := v.(type) {
	case nil:
		return "", false
	case string:
		return t, t != ""
	default:
		b, err := json.Marshal(t)
		return string(b), err == nil
	}
}

func checkResourcePolicySize(g *Graph) []Violation {
	var out []Violation
	for _, ps := range policySizes {
		for _, r := range g.ByType(ps.types...) {
			doc, ok := renderedPolicy(r.Inputs[ps.field])
			if !ok {
				continue
			}
			n, unit := len(doc), "bytes"
			switch {
			case ps.noSpace:
				n, unit = awslimits.IAMPolicyLength(doc), "characters (white space not counted)"
			case ps.chars:
				n, unit = utf8.RuneCountInString(doc), "characters"
			}
			if n > ps.limit {
				out = append(out, violation(r, ps.clause, "the %s (%s) is %d %s; the service accepts at most %d (%s). %s",
					ps.what, ps.field, n, unit, ps.limit, ps.doc, ps.remedy))
			}
		}
	}
	return out
}

// destinationARN splits a CloudWatch Logs destination ARN
// (arn:<partition>:logs:<region>:<account>:destination:<name>).
func destinationARN(s string) (region, name string, ok bool) {
	parts := strings.SplitN(s, ":", 7)
	if len(parts) != 7 || parts[0] != "arn" || parts[2] != "logs" || parts[5] != "destination" {
		return "", "", false
	}
	return parts[3], parts[6], true
}

// destinationName is the name of a CloudWatch Logs destination the stack declares.
func destinationName(d *mockaws.Resource) string {
	if n := Str(d.Inputs["name"]); n != "" {
		return n
	}
	return Str(d.Outputs["name"])
}

func checkLogDestinations(g *Graph) []Violation {
	var out []Violation
	for _, f := range g.ByType(tSubscription) {
		destRegion, name, ok := destinationARN(Str(f.Inputs["destinationArn"]))
		if !ok {
			continue
		}
		if region := g.regionOf(f); region != "" && destRegion != region {
			out = append(out, violation(f, "same-region", "log group %s is in %s but its subscription filter names destination %s in %s; a CloudWatch Logs destination must be in the log group's region (its target may be elsewhere): subscribe to the central stack's destination for %s",
				g.logGroupLabel(filterLogGroup(f)), region, name, destRegion, region))
		}
	}
	type regionName struct{ region, name string }
	out = append(out, overLimit(g.ByType(tLogDestination),
		func(d *mockaws.Resource) []regionName { return []regionName{{g.regionOf(d), destinationName(d)}} },
		1, "unique-name-per-region",
		func(k regionName, n int, names string) string {
			return fmt.Sprintf("%d destinations (%s) are named %q in %s; PutDestination creates or updates, so each overwrites the other",
				n, names, k.name, regionOrStack(k.region))
		})...)
	dests := g.ByType(tLogDestination)
	policies := g.ByType(tLogDestinationPolicy)
	for _, d := range dests {
		// A policy names its destination by name, which is unique only
		// within a region: a central stack has one destination of the same
		// name in every member region.
		var mine []*mockaws.Resource
		for _, p := range policies {
			named := Refers(p.Inputs["destinationName"], d) || (Str(p.Inputs["destinationName"]) != "" && Str(p.Inputs["destinationName"]) == destinationName(d))
			if named && g.regionOf(p) == g.regionOf(d) {
				mine = append(mine, p)
			}
		}
		switch {
		case len(mine) == 0:
			out = append(out, violation(d, "access-policy", "destination %s has no access policy (aws:cloudwatch/logDestinationPolicy): PutDestination sets none, and without one no other account can subscribe to it", quoteOrUnset(destinationName(d))))
		case len(mine) > 1:
			for _, p := range mine[1:] {
				out = append(out, violation(p, "one-access-policy", "destination %s gets %d access policies; PutDestinationPolicy replaces the policy, so each overwrites the other", quoteOrUnset(destinationName(d)), len(mine)))
			}
		}
	}
	return out
}

// regionOrStack names a region in a message.
func regionOrStack(region string) string {
	if region == "" {
		return "the stack's region"
	}
	return region
}

func checkFirehoseStreams(g *Graph) []Violation {
	return overLimit(g.ByType(tFirehose),
		func(f *mockaws.Resource) []string { return []string{g.regionOf(f)} },
		awslimits.MaxFirehoseStreamsPerRegion, "streams-per-region",
		func(region string, n int, _ string) string {
			return fmt.Sprintf("the stack declares %d Firehose streams in %s; an account has %d per Region by default (a central stack needs one per architecture, not one per member)",
				n, regionOrStack(region), awslimits.MaxFirehoseStreamsPerRegion)
		})
}

// kinesisStreamARN reports whether s is the ARN of a Kinesis data stream
// itself (arn:<partition>:kinesis:<region>:<account>:stream/<name>), not of
// one of its enhanced fan-out consumers (.../consumer/<name>:<time>).
func kinesisStreamARN(s string) bool {
	parts := strings.SplitN(s, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "kinesis" {
		return false
	}
	name, ok := strings.CutPrefix(parts[5], "stream/")
	return ok && name != "" && !strings.Contains(name, "/")
}

func checkKinesisStreamReaders(g *Graph) []Violation {
	// Shared-throughput readers poll with GetRecords: event source mappings
	// on the stream itself and Firehose streams with the stream as source.
	var readers []*mockaws.Resource
	source := map[*mockaws.Resource]string{}
	for _, m := range g.ByType(tEventSourceMapping) {
		if arn := Str(m.Inputs["eventSourceArn"]); kinesisStreamARN(arn) {
			readers, source[m] = append(readers, m), arn
		}
	}
	for _, f := range g.ByType(tFirehose) {
		if arn := Str(Get(f.Inputs, "kinesisSourceConfiguration.kinesisStreamArn")); kinesisStreamARN(arn) {
			readers, source[f] = append(readers, f), arn
		}
	}
	out := overLimit(readers,
		func(r *mockaws.Resource) []string { return []string{source[r]} },
		awslimits.MaxSharedThroughputReadersPerStream, "shared-throughput-readers",
		func(arn string, n int, names string) string {
			return fmt.Sprintf("stream %s has %d shared-throughput readers (%s); each polls every shard once a second and a shard serves %d GetRecords calls a second, so the rest are throttled: register enhanced fan-out consumers instead",
				arn, n, names, awslimits.MaxSharedThroughputReadersPerStream)
		})
	return append(out, overLimit(g.ByType(tStreamConsumer),
		func(c *mockaws.Resource) []string { return []string{Str(c.Inputs["streamArn"])} },
		awslimits.MaxEnhancedFanOutConsumersPerStream, "enhanced-fan-out-consumers",
		func(arn string, n int, names string) string {
			return fmt.Sprintf("stream %s gets %d enhanced fan-out consumers (%s); Kinesis registers at most %d per stream",
				arn, n, names, awslimits.MaxEnhancedFanOutConsumersPerStream)
		})...)
}

// eventBusARN reports whether s is the ARN of an EventBridge event bus
// (arn:<partition>:events:<region>:<account>:event-bus/<name>).
func eventBusARN(s string) bool {
	parts := strings.SplitN(s, ":", 6)
	return len(parts) == 6 && parts[0] == "arn" && parts[2] == "events" && strings.HasPrefix(parts[5], "event-bus/")
}

func checkEventRuleTargets(g *Graph) []Violation {
	type busRule struct{ region, bus, rule string }
	out := overLimit(g.ByType(tEventTarget),
		func(t *mockaws.Resource) []busRule {
			bus := Str(t.Inputs["eventBusName"])
			if bus == "" {
				bus = "default"
			}
			return []busRule{{g.regionOf(t), bus, Str(t.Inputs["rule"])}}
		},
		awslimits.MaxTargetsPerRule, "targets-per-rule",
		func(k busRule, n int, names string) string {
			return fmt.Sprintf("rule %s of event bus %s in %s gets %d targets (%s); EventBridge allows %d per rule",
				quoteOrUnset(k.rule), k.bus, regionOrStack(k.region), n, names, awslimits.MaxTargetsPerRule)
		})
	for _, t := range g.ByType(tEventTarget) {
		if arn := Str(t.Inputs["arn"]); eventBusARN(arn) && Str(t.Inputs["roleArn"]) == "" {
			out = append(out, violation(t, "event-bus-target-role", "the target is event bus %s but names no roleArn: an event bus sending to another account's bus needs an IAM role to do so", arn))
		}
	}
	for _, r := range g.ByType(tEventRule) {
		if n := utf8.RuneCountInString(Str(r.Inputs["eventPattern"])); n > awslimits.MaxEventPatternChars {
			out = append(out, violation(r, "event-pattern-size", "the rule's event pattern is %d characters; EventBridge allows %d by default (%s): a member's alarm relay lists every alarm it forwards, so forward fewer alarms or have the quota raised first",
				n, awslimits.MaxEventPatternChars, docEventPatternSize))
		}
	}
	return out
}

// principalCount is how many principals a statement names ("*" is one).
func principalCount(st Statement) int {
	n := len(st.Principal.AWS) + len(st.Principal.Service) + len(st.Principal.Federated) + len(st.Principal.CanonicalUser)
	if n == 0 && st.Principal.Any {
		n = 1
	}
	return n
}

func checkPolicyElements(g *Graph) []Violation {
	var out []Violation
	for _, d := range g.Documents() {
		if d.Err != nil || d.Kind != ResourceBased {
			continue
		}
		switch d.Resource.Type {
		case tTopicPolicy, tTopic:
			if n := len(d.Statements); n > awslimits.MaxSNSPolicyStatements {
				out = append(out, violation(d.Resource, "sns-statements", "the topic policy has %d statements; SNS allows %d (%s)", n, awslimits.MaxSNSPolicyStatements, docSNSPolicySize))
			}
			for i, st := range d.Statements {
				if n := principalCount(st); n > awslimits.MaxSNSPrincipalsPerStatement {
					out = append(out, violation(d.Resource, "sns-principals", "%s of the topic policy names %d principals; SNS allows %d per statement (%s): name the organization (aws:PrincipalOrgID) instead of its accounts",
						st.Label(i), n, awslimits.MaxSNSPrincipalsPerStatement, docSNSPolicySize))
				}
			}
		case tQueuePolicy, tQueue:
			if n := len(d.Statements); n > awslimits.MaxSQSPolicyStatements {
				out = append(out, violation(d.Resource, "sqs-statements", "the queue policy has %d statements; SQS allows %d (%s)", n, awslimits.MaxSQSPolicyStatements, docSQSPolicySize))
			}
			principals := 0
			for i, st := range d.Statements {
				principals += principalCount(st)
				if n := len(st.Actions); n > awslimits.MaxSQSActionsPerStatement {
					out = append(out, violation(d.Resource, "sqs-actions", "%s of the queue policy names %d actions; SQS allows %d per statement (%s)", st.Label(i), n, awslimits.MaxSQSActionsPerStatement, docSQSPolicySize))
				}
			}
			if principals > awslimits.MaxSQSPrincipals {
				out = append(out, violation(d.Resource, "sqs-principals", "the queue policy names %d principals; SQS allows %d (%s): name the organization (aws:PrincipalOrgID) instead of its accounts",
					principals, awslimits.MaxSQSPrincipals, docSQSPolicySize))
			}
		}
	}
	return out
}

// orgRules are the organization limits, appended to deployRules.
var orgRules = []Rule{
	{
		ID: ids.DeployResourcePolicySize, Severity: Critical,
		Description: fmt.Sprintf("Every resource policy the stack renders fits its service's size limit: S3 bucket policies %d bytes (\"Bucket policies are limited to 20 KB in size\", %s), SNS topic policies %d bytes (30 KB, %s), SQS queue policies %d bytes (%s), KMS key policies %d bytes (%s), CloudWatch Logs destination access policies %d bytes (%s), EventBridge event bus policies %d characters (the default quota, %s), and every IAM role's trust policy %d characters, white space not counted (the default \"Role trust policy length\" quota, %s). A policy that lists member accounts grows with every member and fails here once it outgrows the limit; an organization condition (or, in a trust policy, an ARN pattern without the account) keeps it the same size at any number of members.",
			awslimits.MaxS3BucketPolicyBytes, docS3PolicySize, awslimits.MaxSNSTopicPolicyBytes, docSNSPolicySize, awslimits.MaxSQSQueuePolicyBytes, docSQSPolicySize,
			awslimits.MaxKMSKeyPolicyBytes, docKMSPolicySize, awslimits.MaxLogDestinationPolicyBytes, docDestinationPolicy, awslimits.MaxEventBusPolicyChars, docEventBusPolicySize,
			awslimits.MaxIAMRoleTrustPolicyChars, docIAMQuotas),
		Clauses: []Clause{
			{ID: "s3-bucket-policy", Text: "an S3 bucket policy is at most 20 KB"},
			{ID: "sns-topic-policy", Text: "an SNS topic policy is at most 30 KB"},
			{ID: "sqs-queue-policy", Text: "an SQS queue policy is at most 8,192 bytes"},
			{ID: "kms-key-policy", Text: "a KMS key policy is at most 32,768 bytes"},
			{ID: "logs-destination-policy", Text: "a CloudWatch Logs destination access policy is at most 5,120 bytes"},
			{ID: "event-bus-policy", Text: "an EventBridge event bus policy is at most 10,240 characters"},
			{ID: "iam-role-trust-policy", Text: "an IAM role trust policy is at most 2,048 characters, white space not counted"},
		},
		Check: checkResourcePolicySize,
	},
	{
		ID: ids.DeployLogDestinations, Severity: Critical,
		Description: "Every cross-account subscription reaches a CloudWatch Logs destination that can take it: a subscription filter names a destination in its log group's region (\"The sending account's log groups and the destination must be in the same AWS Region. However, the destination can point to an AWS resource ... that is located in a different Region\", " + docDestinationRegion + "; checked where the region is known: an explicit provider's region or the stack's aws:region); no two destinations of one region share a name, and each destination has exactly one access policy (PutDestination creates or updates and sets no access policy, so \"a cross-account user cannot call PutSubscriptionFilter against this destination\" until PutDestinationPolicy gives it one, which replaces any other: " + docPutDestination + "). The stored AWS pages state no quota of destinations per account and Region; the organization design declares one per member region and stream, never one per member.",
		Clauses: []Clause{
			{ID: "same-region", Text: "a subscription filter names a destination in its log group's region"},
			{ID: "unique-name-per-region", Text: "no two destinations of one region share a name"},
			{ID: "access-policy", Text: "every destination has an access policy"},
			{ID: "one-access-policy", Text: "no destination has more than one access policy"},
		},
		Check: checkLogDestinations,
	},
	{
		ID: ids.DeployFirehoseStreams, Severity: Critical,
		Description: fmt.Sprintf("The stack declares at most %d Firehose streams in one Region (\"By default, you can create up to 50 delivery streams per AWS Region\"; the quota is adjustable, and streams the account already has count too; %s): a central stack declares one stream per architecture, never one per member.", awslimits.MaxFirehoseStreamsPerRegion, docFirehoseStreams),
		Clauses:     one("streams-per-region", "at most 50 Firehose streams per Region"),
		Check:       checkFirehoseStreams,
	},
	{
		ID: ids.DeployKinesisStreamReaders, Severity: High,
		Description: fmt.Sprintf("No Kinesis data stream has more than %d shared-throughput readers (Lambda event source mappings on the stream and Firehose streams with it as source; each polls every shard once a second, and a shard serves 5 GetRecords calls a second: %s) or more than %d enhanced fan-out consumers (%s). Readers beyond those are throttled (the 21st consumer is refused): the stream's iterator age grows until records expire.", awslimits.MaxSharedThroughputReadersPerStream, docKinesisPolling, awslimits.MaxEnhancedFanOutConsumersPerStream, docKinesisFanOut),
		Clauses: []Clause{
			{ID: "shared-throughput-readers", Text: "at most 5 shared-throughput readers per stream"},
			{ID: "enhanced-fan-out-consumers", Text: "at most 20 enhanced fan-out consumers per stream"},
		},
		Check: checkKinesisStreamReaders,
	},
	{
		ID: ids.DeployEventRuleTargets, Severity: Critical,
		Description: fmt.Sprintf("Every EventBridge rule has at most %d targets (\"Each rule can have up to five (5) targets associated with it at one time\", %s), and every target that is an event bus (a member's alarm forwarding to the central bus) names the IAM role EventBridge sends with (\"the sending event bus must have IAM roles attached to them when sending events to another account\", %s), and every rule's event pattern is at most %d characters (the default \"Event pattern size\" quota, %s; a member's alarm relay names each alarm's ARN).", awslimits.MaxTargetsPerRule, docPutTargets, docCrossAccountEvents, awslimits.MaxEventPatternChars, docEventPatternSize),
		Clauses: []Clause{
			{ID: "targets-per-rule", Text: "at most 5 targets per rule"},
			{ID: "event-bus-target-role", Text: "an event-bus target names a roleArn"},
			{ID: "event-pattern-size", Text: "an event pattern is at most 2,048 characters"},
		},
		Check: checkEventRuleTargets,
	},
	{
		ID: ids.DeployPolicyElements, Severity: Critical,
		Description: fmt.Sprintf("Every SNS topic policy has at most %d statements and at most %d principals in a statement (%s), and every SQS queue policy at most %d statements, %d principals and %d actions in a statement (%s): a policy that names member accounts one by one reaches the principal quotas long before its size limit.",
			awslimits.MaxSNSPolicyStatements, awslimits.MaxSNSPrincipalsPerStatement, docSNSPolicySize, awslimits.MaxSQSPolicyStatements, awslimits.MaxSQSPrincipals, awslimits.MaxSQSActionsPerStatement, docSQSPolicySize),
		Clauses: []Clause{
			{ID: "sns-statements", Text: "an SNS topic policy has at most 100 statements"},
			{ID: "sns-principals", Text: "a statement of an SNS topic policy names at most 200 principals"},
			{ID: "sqs-statements", Text: "an SQS queue policy has at most 20 statements"},
			{ID: "sqs-principals", Text: "an SQS queue policy names at most 50 principals"},
			{ID: "sqs-actions", Text: "a statement of an SQS queue policy names at most 7 actions"},
		},
		Check: checkPolicyElements,
	},
}
