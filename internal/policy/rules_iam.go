package policy

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/mockaws"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/policy/ids"
)

// WildcardResourceAllowance is one documented exception to
// iam-no-wildcard-resource: an Allow statement it matches may name Resource "*".
type WildcardResourceAllowance struct {
	Name string
	// Why AWS requires "*" here.
	Why string
	// Kind, when set, allows every statement of documents of that kind.
	Kind DocKind
	// Actions, when set, allows statements whose every action is one of these.
	Actions []string
}

// WildcardResourceAllowList is the complete list of exceptions; each entry
// says why AWS leaves no narrower choice.
var WildcardResourceAllowList = []WildcardResourceAllowance{
	{
		Name: "kms-key-policy",
		Why: `A KMS key policy is attached to exactly one key, and AWS requires its Resource to be "*", which there means "this key"; ` +
			"who may use the key is narrowed by Principal and Condition instead.",
		Kind: KeyPolicy,
	},
	{
		Name: "lambda-vpc-eni",
		Why: "A Lambda function in a VPC creates, describes and deletes its own network interfaces and their private IPs; " +
			"the interfaces do not exist when the policy is written, and AWS documents these actions with Resource \"*\" " +
			"(the managed policy AWSLambdaVPCAccessExecutionRole does the same). EC2 Describe* actions support no resource-level permissions at all.",
		Actions: []string{
			"ec2:CreateNetworkInterface", "ec2:DescribeNetworkInterfaces", "ec2:DeleteNetworkInterface",
			"ec2:AssignPrivateIpAddresses", "ec2:UnassignPrivateIpAddresses",
		},
	},
	{
		Name: "cloudwatch-metric-reads",
		Why: "AWS Chatbot draws an alarm's metric graph in the Slack message with its channel role; these CloudWatch reads " +
			"have no resource type in the Service Authorization Reference, so \"*\" is the only Resource a policy can name (read-only, no data beyond metrics).",
		Actions: []string{
			"cloudwatch:GetMetricData", "cloudwatch:GetMetricStatistics", "cloudwatch:GetMetricWidgetImage", "cloudwatch:ListMetrics",
		},
	},
}

// wildcardResourceAllowed returns the allowance that covers s in d, if any.
func wildcardResourceAllowed(d Document, s Statement) (WildcardResourceAllowance, bool) {
	for _, a := range WildcardResourceAllowList {
		if a.Kind != "" && a.Kind == d.Kind {
			return a, true
		}
		if len(a.Actions) > 0 && !s.NotAction && len(s.Actions) > 0 && allIn(s.Actions, a.Actions) {
			return a, true
		}
	}
	return WildcardResourceAllowance{}, false
}

func allIn(actions, allowed []string) bool {
	for _, act := range actions {
		if !slices.ContainsFunc(allowed, func(a string) bool { return strings.EqualFold(a, act) }) {
			return false
		}
	}
	return true
}

// isWildcardAction reports whether an action pattern matches every action of every service.
func isWildcardAction(a string) bool { return a == "*" || a == "*:*" }

// TrustForm is how one AWS service's own documentation writes the trust
// policy of a role that service assumes: the condition keys it shows, or none.
// A key the service does not send when it assumes the role denies every
// assumption, and that shows only at run time (a function that never runs, a
// channel that never posts), so the rule holds each service to exactly its
// documented form, no more and no less.
type TrustForm struct {
	// Service is the service principal without its partition's DNS suffix
	// ("vpc-flow-logs" for vpc-flow-logs.amazonaws.com).
	Service string
	// Use narrows the row to one use of the service's principal whose page
	// shows another form; AnyUse (empty) is every other role the service
	// is trusted by.
	Use TrustUse
	// Keys are the condition keys the documented trust policy tests (all of
	// them, and no other); empty when the documentation shows no condition.
	Keys []string
	// AccountKeys are those of Keys whose value must be the role's own
	// account id.
	AccountKeys []string
	// Why says what the documentation shows and why this form.
	Why string
	// Doc is the AWS page that shows the trust policy.
	Doc string
}

// TrustUse is a use of a service principal that the service documents
// with a trust policy of its own, told apart by what in the graph names the
// role.
type TrustUse string

const (
	// AnyUse is every role of the service that no narrower use matches.
	AnyUse TrustUse = ""
	// DestinationSubscriptionRole is the role a subscription filter to a
	// CloudWatch Logs destination (arn:...:logs:...:destination:...) names:
	// CloudWatch Logs assumes it in the sender account to check that the
	// sender may subscribe (a member stack's subscription to its central
	// stack's destination).
	DestinationSubscriptionRole TrustUse = "destination-subscription-role"
)

// roleUse returns the narrowest documented use of role in the graph.
func (g *Graph) roleUse(role *mockaws.Resource) TrustUse {
	for _, sub := range g.Referencing(role, "roleArn", tSubscription) {
		if strings.Contains(Str(sub.Inputs["destinationArn"]), ":destination:") {
			return DestinationSubscriptionRole
		}
	}
	return AnyUse
}

// TrustForms is the allow-list of service principals a role may trust, each
// with its documented condition form. A service missing here is a violation
// until someone looks up its documentation and adds a row.
var TrustForms = []TrustForm{
	{
		Service: "vpc-flow-logs",
		Keys:    []string{"aws:SourceAccount", "aws:SourceArn"}, AccountKeys: []string{"aws:SourceAccount"},
		Why: "VPC Flow Logs documents aws:SourceAccount (the flow log's owner) and aws:SourceArn (the flow log, " +
			"arn:<partition>:ec2:<region>:<account>:vpc-flow-log/*) in the trust policy of the role that publishes to CloudWatch Logs.",
		Doc: "https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-iam-role.html",
	},
	{
		Service: "logs", Use: DestinationSubscriptionRole,
		Why: "CloudWatch Logs documents the role of a sender account's subscription to another account's destination " +
			"(needed when the destination's access policy admits an organization) with the logs.amazonaws.com principal and no " +
			"condition; it does not say which aws:Source* keys it sends when it assumes the role to check the sender, and a key it " +
			"does not send fails the subscription. Who may name the role in a subscription filter is governed by iam:PassRole.",
		Doc: "https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/CreateSubscriptionFilter-IAMrole.html",
	},
	{
		Service: "logs",
		Keys:    []string{"aws:SourceArn"},
		Why: "CloudWatch Logs documents aws:SourceArn (StringLike arn:<partition>:logs:<region>:<account>:*) in the trust policy " +
			"of the role a subscription filter uses to put records into Firehose or Kinesis.",
		Doc: "https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/SubscriptionFilters.html#FirehoseExample",
	},
	{
		Service: "firehose",
		Keys:    []string{"sts:ExternalId"}, AccountKeys: []string{"sts:ExternalId"},
		Why: "Firehose documents sts:ExternalId equal to the account id in the trust policy of a delivery stream's role " +
			"(\"This ensures that only you can request Firehose to assume the IAM role\"); it shows no aws:Source* key there.",
		Doc: "https://docs.aws.amazon.com/firehose/latest/dev/controlling-access.html#using-iam-s3",
	},
	{
		Service: "lambda",
		Why: "Lambda documents the execution role's trust policy with the lambda.amazonaws.com principal and no condition; " +
			"a condition Lambda does not satisfy when it assumes the role fails every invocation. Who may give the role to a " +
			"function is governed by iam:PassRole instead.",
		Doc: "https://docs.aws.amazon.com/lambda/latest/dg/lambda-intro-execution-role.html",
	},
	{
		Service: "chatbot",
		Why: "AWS Chatbot documents the channel role's trust policy with the chatbot.amazonaws.com principal and no condition; " +
			"a condition it does not satisfy leaves the channel silent when an alarm fires.",
		Doc: "https://docs.aws.amazon.com/chatbot/latest/adminguide/getting-started.html#AWS::Chatbot::Role",
	},
	{
		Service: "es",
		Why: "Amazon OpenSearch Service documents the trust policy of the role it assumes to publish alerting and Notifications " +
			"messages to an SNS topic with the es.amazonaws.com principal and no condition; a condition it does not satisfy leaves " +
			"the channel silent when a Security Analytics trigger fires.",
		Doc: "https://docs.aws.amazon.com/opensearch-service/latest/developerguide/alerting.html#alerting-diff-sns",
	},
	{
		Service: "ec2",
		Why: "EC2 assumes an instance profile's role on the instance's behalf; the documented trust policy has the " +
			"ec2.amazonaws.com principal and no condition, and a condition EC2 does not satisfy leaves the instance without credentials.",
		Doc: "https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/iam-roles-for-amazon-ec2.html",
	},
	{
		Service: "events",
		Why: "EventBridge documents the execution role of a rule whose target is in another account (a member stack's alarm relay " +
			"to the central event bus) with the events.amazonaws.com principal and no condition; a condition it does not satisfy " +
			"drops every forwarded alarm state change.",
		Doc: "https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-service-cross-account.html",
	},
}

// describe is the documented condition in a message.
func (f TrustForm) describe() string {
	if len(f.Keys) == 0 {
		return "no condition"
	}
	return "the condition keys " + strings.Join(f.Keys, " and ")
}

// trustForm returns the documented form of a service principal for a use,
// if listed: the row of that use, or else the service's AnyUse row.
func trustForm(principal string, use TrustUse) (TrustForm, bool) {
	name, _, _ := strings.Cut(principal, ".")
	for _, want := range []TrustUse{use, AnyUse} {
		for _, f := range TrustForms {
			if f.Service == name && f.Use == want {
				return f, true
			}
		}
	}
	return TrustForm{}, false
}

// Clauses of iam-trust-source-condition.
const (
	trustKnownService = "documented-service"
	trustMissingKey   = "documented-keys-tested"
	trustExtraKey     = "no-undocumented-keys"
	trustAccountValue = "own-account-id"
)

// trustProblems returns what keeps statement s from being form f's documented
// trust policy, one problem per clause; account is the role's own account
// id ("" when unknown).
func trustProblems(s Statement, f TrustForm, account string) []problem {
	var missing, extra, wrong []string
	var have []string // as written, in a stable order
	for _, op := range sortedKeys(s.Condition) {
		kv, _ := s.Condition[op].(map[string]any)
		have = append(have, sortedKeys(kv)...)
	}
	for _, k := range f.Keys {
		if !slices.ContainsFunc(have, func(h string) bool { return strings.EqualFold(h, k) }) {
			missing = append(missing, "lacks "+k)
		}
	}
	for _, k := range have {
		if !slices.ContainsFunc(f.Keys, func(want string) bool { return strings.EqualFold(want, k) }) {
			extra = append(extra, "tests "+k+", which it does not document")
		}
	}
	for _, k := range f.AccountKeys {
		for _, v := range conditionValues(s, k) {
			if (account != "" && v != account) || !accountIDRe.MatchString(v) {
				wrong = append(wrong, fmt.Sprintf("tests %s = %q, not the role's account id", k, v))
			}
		}
	}
	var out []problem
	for _, p := range []struct {
		clause string
		what   []string
	}{{trustMissingKey, missing}, {trustExtraKey, extra}, {trustAccountValue, wrong}} {
		if len(p.what) > 0 {
			out = append(out, problem{p.clause, strings.Join(p.what, ", ")})
		}
	}
	return out
}

var accountIDRe = regexp.MustCompile(`^[0-9]{12}$`)

// conditionValues returns the values statement s tests key against, under any operator.
func conditionValues(s Statement, key string) []string {
	var out []string
	for _, kv := range s.Condition {
		m, _ := kv.(map[string]any)
		for k, v := range m {
			if strings.EqualFold(k, key) {
				out = append(out, strings1(v)...)
			}
		}
	}
	return out
}

var iamRules = []Rule{
	{
		ID:          ids.IAMNoWildcardAction,
		Severity:    Critical,
		Description: `No policy document (identity, trust, resource, key or OpenSearch access policy) has an Allow statement with Action "*" or with NotAction (which allows everything not listed); an unreadable document is a violation too, since no rule can check it.`,
		Clauses: []Clause{
			{ID: "readable", Text: "every policy document is readable JSON"},
			{ID: "no-action-star", Text: `no Allow statement has Action "*"`},
			{ID: "no-not-action", Text: "no Allow statement uses NotAction"},
		},
		Check: func(g *Graph) []Violation {
			var out []Violation
			for _, d := range g.Documents() {
				if d.Err != nil {
					out = append(out, violation(d.Resource, "readable", "%s is not a readable policy document (%v)", d.Field, d.Err))
					continue
				}
				for i, s := range d.Statements {
					if !s.Allow() {
						continue
					}
					if s.NotAction {
						out = append(out, violation(d.Resource, "no-not-action", "%s %s allows NotAction %v, i.e. every other action", d.Field, s.Label(i), s.Actions))
					} else if slices.ContainsFunc(s.Actions, isWildcardAction) {
						out = append(out, violation(d.Resource, "no-action-star", `%s %s allows Action "*"`, d.Field, s.Label(i)))
					}
				}
			}
			return out
		},
	},
	{
		ID:       ids.IAMNoWildcardResource,
		Severity: High,
		Description: `No identity or resource policy has an Allow statement with Resource "*" (or NotResource), except the documented allow-list: ` +
			`KMS key policies (Resource "*" means the key itself), the Lambda VPC network-interface actions ec2:CreateNetworkInterface, ec2:DescribeNetworkInterfaces, ec2:DeleteNetworkInterface, ec2:AssignPrivateIpAddresses, ec2:UnassignPrivateIpAddresses, ` +
			`and the CloudWatch metric reads cloudwatch:GetMetricData, cloudwatch:GetMetricStatistics, cloudwatch:GetMetricWidgetImage, cloudwatch:ListMetrics (AWS Chatbot's alarm graphs; they have no resource type).`,
		Clauses: []Clause{
			{ID: "no-resource-star", Text: `no Allow statement outside the allow-list has Resource "*"`},
			{ID: "no-not-resource", Text: "no Allow statement outside the allow-list uses NotResource"},
		},
		Check: func(g *Graph) []Violation {
			var out []Violation
			for _, d := range g.Documents() {
				if d.Err != nil || d.Kind == Trust {
					continue
				}
				for i, s := range d.Statements {
					if !s.Allow() || (!s.NotResource && !slices.Contains(s.Resources, "*")) {
						continue
					}
					if _, ok := wildcardResourceAllowed(d, s); ok {
						continue
					}
					what, clause := `Resource "*"`, "no-resource-star"
					if s.NotResource {
						what, clause = "NotResource (every other resource)", "no-not-resource"
					}
					out = append(out, violation(d.Resource, clause, "%s %s allows %v on %s; only the allow-listed actions may", d.Field, s.Label(i), s.Actions, what))
				}
			}
			return out
		},
	},
	{
		ID:       ids.IAMTrustSourceCondition,
		Severity: High,
		Description: "Every role trust policy statement that lets an AWS service assume the role has exactly the condition that " +
			"service's own documentation shows for its trust policy (the allow-list TrustForms, one row per service with the page): " +
			"vpc-flow-logs aws:SourceAccount and aws:SourceArn; logs aws:SourceArn (none for the sender role a subscription filter to a CloudWatch Logs destination names); " +
			"firehose sts:ExternalId = the account id; lambda, chatbot, es, ec2 and events none. A missing key lets another account's resource make the service act with the role " +
			"(confused deputy); a key the service does not send denies every assumption at run time; a service not in the list is a violation until its documented form is added.",
		Clauses: []Clause{
			{ID: trustKnownService, Text: "the trusted service has a documented trust form in policy.TrustForms"},
			{ID: trustMissingKey, Text: "the statement tests every condition key the service documents"},
			{ID: trustExtraKey, Text: "the statement tests no condition key the service does not document"},
			{ID: trustAccountValue, Text: "an account key is tested against the role's own account id"},
		},
		Check: func(g *Graph) []Violation {
			var out []Violation
			for _, d := range g.Documents() {
				if d.Kind != Trust || d.Err != nil {
					continue
				}
				account := arnAccount(Str(d.Resource.Outputs["arn"]))
				use := g.roleUse(d.Resource)
				for i, s := range d.Statements {
					if !s.Allow() {
						continue
					}
					for _, svc := range s.Principal.Service {
						f, ok := trustForm(svc, use)
						if !ok {
							out = append(out, violation(d.Resource, trustKnownService, "%s %s lets %s assume the role, a service with no documented trust form in the rule's allow-list (policy.TrustForms)",
								d.Field, s.Label(i), svc))
							continue
						}
						for _, p := range trustProblems(s, f, account) {
							out = append(out, violation(d.Resource, p.clause, "%s %s lets %s assume the role but %s; its documentation (%s) shows %s",
								d.Field, s.Label(i), svc, p.msg, f.Doc, f.describe()))
						}
					}
				}
			}
			return out
		},
	},
	{
		ID:          ids.ResourcePolicyNotPublic,
		Severity:    Critical,
		Description: `No bucket, topic, queue, key, log, VPC endpoint or role trust policy allows "Principal": "*" (or {"AWS": "*"}, or NotPrincipal) without a condition that restricts the caller (source account, ARN, VPC, IP or organization). OpenSearch access policies are checked by opensearch-no-open-access.`,
		Clauses:     one("no-open-principal", `no Allow statement names "*" (or NotPrincipal) without a condition that restricts the caller`),
		Check: func(g *Graph) []Violation {
			var out []Violation
			for _, d := range g.Documents() {
				if d.Err != nil || d.Kind == Identity || d.Kind == DomainAccess {
					continue
				}
				for i, s := range d.Statements {
					if openAllow(s) {
						out = append(out, violation(d.Resource, "no-open-principal", "%s %s allows %v to any principal with no restricting condition", d.Field, s.Label(i), s.Actions))
					}
				}
			}
			return out
		},
	},
}
