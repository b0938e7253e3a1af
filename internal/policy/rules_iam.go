package policy

import (
	"slices"
	"strings"

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

// trustSourceKeys are the condition keys that bind a service's role
// assumption to this account or to one resource (confused-deputy protection).
var trustSourceKeys = []string{"aws:SourceAccount", "aws:SourceArn"}

// trustConditionExempt are service principals that do not pass
// aws:SourceAccount/aws:SourceArn when they assume a role, so the condition
// would deny every assumption: EC2 assumes an instance profile's role on the
// instance's behalf without these keys. Each entry names why.
var trustConditionExempt = map[string]string{
	"ec2.amazonaws.com": "EC2 instance profiles: EC2 does not send aws:SourceAccount or aws:SourceArn when it assumes the role",
}

func allExempt(services []string) bool {
	for _, s := range services {
		if _, ok := trustConditionExempt[s]; !ok {
			return false
		}
	}
	return true
}

var iamRules = []Rule{
	{
		ID:          ids.IAMNoWildcardAction,
		Severity:    Critical,
		Description: `No policy document (identity, trust, resource, key or OpenSearch access policy) has an Allow statement with Action "*" or with NotAction (which allows everything not listed); an unreadable document is a violation too, since no rule can check it.`,
		Check: func(g *Graph) []Violation {
			var out []Violation
			for _, d := range g.Documents() {
				if d.Err != nil {
					out = append(out, violation(d.Resource, "%s is not a readable policy document (%v)", d.Field, d.Err))
					continue
				}
				for i, s := range d.Statements {
					if !s.Allow() {
						continue
					}
					if s.NotAction {
						out = append(out, violation(d.Resource, "%s %s allows NotAction %v, i.e. every other action", d.Field, s.Label(i), s.Actions))
					} else if slices.ContainsFunc(s.Actions, isWildcardAction) {
						out = append(out, violation(d.Resource, `%s %s allows Action "*"`, d.Field, s.Label(i)))
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
					what := `Resource "*"`
					if s.NotResource {
						what = "NotResource (every other resource)"
					}
					out = append(out, violation(d.Resource, "%s %s allows %v on %s; only the allow-listed actions may", d.Field, s.Label(i), s.Actions, what))
				}
			}
			return out
		},
	},
	{
		ID:          ids.IAMTrustSourceCondition,
		Severity:    High,
		Description: "Every role trust policy statement that lets an AWS service assume the role tests aws:SourceAccount or aws:SourceArn, so no other account can make the service act with this role (cross-service confused deputy); services that do not send these keys (ec2.amazonaws.com for instance profiles) are exempt by name.",
		Check: func(g *Graph) []Violation {
			var out []Violation
			for _, d := range g.Documents() {
				if d.Kind != Trust || d.Err != nil {
					continue
				}
				for i, s := range d.Statements {
					if s.Allow() && len(s.Principal.Service) > 0 && !allExempt(s.Principal.Service) && !s.HasConditionKey(trustSourceKeys...) {
						out = append(out, violation(d.Resource, "%s %s lets %s assume the role without an aws:SourceAccount or aws:SourceArn condition",
							d.Field, s.Label(i), strings.Join(s.Principal.Service, ", ")))
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
		Check: func(g *Graph) []Violation {
			var out []Violation
			for _, d := range g.Documents() {
				if d.Err != nil || d.Kind == Identity || d.Kind == DomainAccess {
					continue
				}
				for i, s := range d.Statements {
					if openAllow(s) {
						out = append(out, violation(d.Resource, "%s %s allows %v to any principal with no restricting condition", d.Field, s.Label(i), s.Actions))
					}
				}
			}
			return out
		},
	},
}
