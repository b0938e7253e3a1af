package stackconfig

import (
	"regexp"
	"slices"
	"strings"
)

// Role is what a stack is in an organization (docs/organization.md).
type Role string

// The stack roles.
const (
	// Standalone monitors VPCs of its own account and region and receives
	// their logs itself: what every stack did before roles existed.
	Standalone Role = "standalone"
	// Central is the log-archive stack: the receiving side of every enabled
	// architecture (bucket, Glue/Athena, Firehose, OpenSearch, alarm topic)
	// for the members of an organization.
	Central Role = "central"
	// Member is one per account and region: the flow logs of its VPCs and
	// what must live next to them; it finds its central stack through a
	// Pulumi stack reference.
	Member Role = "member"
)

// Roles lists the roles, the default first.
var Roles = []Role{Standalone, Central, Member}

// DefaultRole is the role of a stack that does not set stackRole.
const DefaultRole = Standalone

// Org is where a stack stands in an organization.
type Org struct {
	Role Role
	// CentralStack is the member's central stack, <organization>/<project>/<stack>
	// (the form a Pulumi stack reference takes); "" unless Role is Member.
	CentralStack string
	// OrganizationID (o-...) admits the accounts of an AWS Organization to
	// the central stack's receiving side (aws:SourceOrgID / aws:PrincipalOrgID
	// conditions). Central only; exactly one of it and MemberAccountIDs.
	OrganizationID string
	// MemberAccountIDs admit an explicit list of accounts where no
	// organization exists. Central only.
	MemberAccountIDs []string
	// MemberRegions are the regions members run in (the central stack
	// creates what must exist per region, such as CloudWatch Logs
	// destinations, in each). Central only; empty = the central stack's own
	// region.
	MemberRegions []string
}

// IsCentral, IsMember and IsStandalone name the roles in conditions.
func (o Org) IsCentral() bool    { return o.Role == Central }
func (o Org) IsMember() bool     { return o.Role == Member }
func (o Org) IsStandalone() bool { return o.Role == Standalone || o.Role == "" }

var (
	// A Pulumi stack reference: <organization>/<project>/<stack>
	// (https://www.pulumi.com/docs/iac/concepts/stacks/#stackreferences).
	stackRefRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]*/[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$`)
	// An AWS Organizations id: "o-" then 10 to 32 lowercase letters or
	// digits (https://docs.aws.amazon.com/organizations/latest/APIReference/API_Organization.html).
	orgIDRe = regexp.MustCompile(`^o-[a-z0-9]{10,32}$`)
	// A 12-digit AWS account id.
	accountIDRe = regexp.MustCompile(`^[0-9]{12}$`)
	// An AWS region name such as eu-west-1 or us-gov-west-1.
	regionRe = regexp.MustCompile(`^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-[0-9]$`)
)

// roleKeys are the keys that only one role reads; setting one on a stack of
// another role is an error (it would silently do nothing).
var roleKeys = map[string]Role{
	"centralStack":     Member,
	"organizationId":   Central,
	"memberAccountIds": Central,
	"memberRegions":    Central,
}

func (l *loader) org() Org {
	var o Org
	role := l.str("stackRole", string(DefaultRole))
	o.Role = Role(role)
	if !slices.Contains(Roles, o.Role) {
		l.fail("stackRole", quote(role), rolesList())
		return Org{Role: DefaultRole}
	}
	for _, key := range sortedKeys(roleKeys) {
		if want := roleKeys[key]; want != o.Role {
			if v, ok := l.setValue(key); ok {
				l.fail(key, quote(v), "unset on a "+string(o.Role)+" stack (only a "+string(want)+" stack reads "+key+")")
			}
		}
	}
	switch o.Role {
	case Member:
		ref, ok := l.raw("centralStack")
		if !ok {
			l.fail("centralStack", `""`, "the central stack as <organization>/<project>/<stack>, required on a member stack")
		} else if !stackRefRe.MatchString(ref) {
			l.fail("centralStack", quote(ref), "a stack reference <organization>/<project>/<stack>, e.g. acme/vpc-flow-logs/central (organization is \"organization\" on a self-managed backend)")
		} else {
			o.CentralStack = ref
		}
	case Central:
		if id, ok := l.raw("organizationId"); ok {
			if !orgIDRe.MatchString(id) {
				l.fail("organizationId", quote(id), "an AWS Organizations id: o- followed by 10 to 32 lowercase letters or digits")
			} else {
				o.OrganizationID = id
			}
		}
		if ids, ok := l.stringList("memberAccountIds"); ok {
			seen := map[string]bool{}
			for _, id := range ids {
				switch {
				case !accountIDRe.MatchString(id):
					l.fail("memberAccountIds", quote(id), "12-digit AWS account ids")
				case seen[id]:
					l.fail("memberAccountIds", quote(id), "each account id once")
				default:
					seen[id] = true
					o.MemberAccountIDs = append(o.MemberAccountIDs, id)
				}
			}
		}
		_, hasOrg := l.setValue("organizationId")
		_, hasAccounts := l.setValue("memberAccountIds")
		switch {
		case hasOrg && hasAccounts:
			l.fail("memberAccountIds", "set together with "+Key("organizationId"), "one of organizationId (an AWS Organization) and memberAccountIds (an explicit list where no organization exists)")
		case !hasOrg && !hasAccounts:
			l.fail("organizationId", `""`, "on a central stack, organizationId (o-...) or memberAccountIds (a list of 12-digit account ids): who may deliver to it")
		}
		if rs, ok := l.stringList("memberRegions"); ok {
			seen := map[string]bool{}
			for _, r := range rs {
				switch {
				case !regionRe.MatchString(r):
					l.fail("memberRegions", quote(r), "AWS region names such as eu-west-1")
				case seen[r]:
					l.fail("memberRegions", quote(r), "each region once")
				default:
					seen[r] = true
					o.MemberRegions = append(o.MemberRegions, r)
				}
			}
		}
	}
	return o
}

// setValue is the key's raw value when it is set to something other than
// nothing: Pulumi passes the project's defaults ("" and []) as values, and
// those do not count as setting a key.
func (l *loader) setValue(key string) (string, bool) {
	v, ok := l.raw(key)
	if !ok || strings.TrimSpace(v) == "[]" {
		return "", false
	}
	return v, true
}

func rolesList() string {
	var names []string
	for _, r := range Roles {
		names = append(names, string(r))
	}
	return strings.Join(names, ", ")
}

// central refuses what a central stack cannot do: it creates no flow logs
// (its own account's VPCs are a member stack of that account), so nothing
// that reads a flow log of its own applies, and its Firehose forwarder reads
// the organization stream, which only the lambda feed mode can.
func (l *loader) central(c *Config) {
	const noFlowLogs = "unset on a central stack: it creates no flow logs of its own (the central account's VPCs are a member stack of that account, docs/organization.md)"
	if len(c.VpcIDs) > 0 {
		l.fail("vpcIds", quote(strings.Join(c.VpcIDs, ",")), noFlowLogs)
	}
	if len(c.AlarmRules) > 0 {
		l.fail("alarmRules", quote(c.AlarmRules[0].Name), "unset on a central stack: metric-filter alarms run in the member stacks, next to their flow-log log groups; their state changes reach the central alarm topic")
	}
	if len(c.InsightAlarms) > 0 {
		l.fail("contributorInsightAlarms", quote(c.InsightAlarms[0].Name), "unset on a central stack: Contributor Insights rules and their alarms run in the member stacks, over their flow-log log groups")
	}
	if c.ExistingBucketArn != "" {
		l.fail("existingBucketArn", quote(c.ExistingBucketArn), "unset on a central stack: it creates the organization bucket, whose policy admits the members' log delivery")
	}
	if c.QuickSightPrincipalArn != "" {
		l.fail("quicksightPrincipalArn", quote(c.QuickSightPrincipalArn), "unset on a central stack (QuickSight over the organization table is not supported in this version)")
	}
	if c.Enabled(FirehoseAthena) && c.Firehose.FeedMode != FeedLambda {
		l.fail("firehoseFeedMode", quote(c.Firehose.FeedMode), FeedLambda+" on a central stack: its forwarder reads the organization's Kinesis stream (subscription and direct read a flow log of the stack's own account, which a central stack does not have)")
	}
}
