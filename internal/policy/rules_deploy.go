package policy

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/awsconstraints"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/awslimits"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/mockaws"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/policy/ids"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/stackconfig"
)

// The deployability rules are the second family beside the security rules:
// what AWS (or the aws provider) refuses, checked over the same mocked
// graph, so `go test` and `make plan` fail where `pulumi up` would. A
// violation is an outage, not a risk: these rules cannot be waived
// (policyWaivers accepts only the security rule ids of ids.All).
//
// The per-resource constraints (names, the OpenSearch master user, filter
// patterns, the Athena cutoff, Glue projection) live in the table of
// internal/awsconstraints, which the stand-in aws provider of the engine
// tests checks too; the rules here that need more than one resource (per
// log group, per VPC, role and key relations) read the graph.

// Type tokens the deployability rules read.
const (
	tServiceLinkedRole = "aws:iam/serviceLinkedRole:ServiceLinkedRole"
	tVpcEndpoint       = "aws:ec2/vpcEndpoint:VpcEndpoint"
	tMetricFilter      = "aws:cloudwatch/logMetricFilter:LogMetricFilter"
	tSubscription      = "aws:cloudwatch/logSubscriptionFilter:LogSubscriptionFilter"
	tMetricAlarm       = "aws:cloudwatch/metricAlarm:MetricAlarm"
	tKeyPolicy         = "aws:kms/keyPolicy:KeyPolicy"
)

// OpenSearchServiceLinkedRoleExists says the account already has the
// OpenSearch service-linked role (config opensearchServiceLinkedRole:
// existing): a VPC domain needs none in the graph, and one in the graph
// would fail (the role exists).
func OpenSearchServiceLinkedRoleExists(exists bool) Option {
	return func(g *Graph) { g.slrExists = exists }
}

// EndpointsInForeignVPCs is the explicit opt-in (config
// opensearchVpcEndpoints: create) to interface endpoints with private DNS
// in VPCs the stack does not create.
func EndpointsInForeignVPCs(allowed bool) Option {
	return func(g *Graph) { g.foreignEndpointsOK = allowed }
}

// forDeployConfig sets what the deployability rules read from the config.
func forDeployConfig(c *stackconfig.Config) Option {
	return func(g *Graph) {
		g.slrExists = c.OpenSearch.ServiceLinkedRole == stackconfig.ServiceLinkedRoleExisting
		g.foreignEndpointsOK = c.OpenSearch.VpcEndpoints == stackconfig.VpcEndpointsCreate
	}
}

// DeployRules returns the deployability rules, in report order (ids.Deploy).
func DeployRules() []Rule { return deployRules }

// DeployRuleByID returns the deployability rule with that id.
func DeployRuleByID(id string) (Rule, bool) {
	for _, r := range deployRules {
		if r.ID == id {
			return r, true
		}
	}
	return Rule{}, false
}

// EvaluateDeployability runs the deployability rules over the recorded run.
func EvaluateDeployability(m *mockaws.Mocks, opts ...Option) DeployReport {
	g := NewGraph(m, opts...)
	rep := DeployReport{Rules: len(deployRules), Resources: len(g.Resources())}
	for _, rule := range deployRules {
		vs := rule.Check(g)
		for i := range vs {
			vs[i].Rule, vs[i].Severity = rule.ID, rule.Severity
		}
		sort.SliceStable(vs, func(i, j int) bool { return vs[i].Name < vs[j].Name })
		rep.Results = append(rep.Results, RuleResult{Rule: rule, Violations: vs})
		rep.Violations = append(rep.Violations, vs...)
	}
	return rep
}

// EvaluateDeployabilityStack runs the deployability rules with what a
// validated stack configuration implies, and opts (StackRegion: the stack
// file's aws:region, which the validated config does not hold).
func EvaluateDeployabilityStack(m *mockaws.Mocks, c *stackconfig.Config, opts ...Option) DeployReport {
	return EvaluateDeployability(m, append([]Option{ForConfig(c), forDeployConfig(c)}, opts...)...)
}

// DeployReport is the outcome of the deployability rules over one run.
type DeployReport struct {
	Rules      int
	Resources  int
	Results    []RuleResult
	Violations []Violation
}

// Failed reports whether AWS would refuse something.
func (r DeployReport) Failed() bool { return len(r.Violations) > 0 }

// Summary is the one-line result, e.g.
// "deployability: 12 rules, 130 resources checked, 0 violations".
func (r DeployReport) Summary() string {
	return fmt.Sprintf("deployability: %d rules, %d resources checked, %d violations", r.Rules, r.Resources, len(r.Violations))
}

// Write prints the summary and each violation.
func (r DeployReport) Write(w io.Writer) {
	fmt.Fprintln(w, r.Summary())
	for _, v := range r.Violations {
		fmt.Fprintf(w, "  VIOLATION %s\n", v)
	}
}

// constraintRule is a rule over the per-resource constraint table: every
// violation of constraint by any resource of the graph.
func constraintRule(id string, sev Severity, desc string) Rule {
	return Rule{ID: id, Severity: sev, Description: desc, Clauses: awsconstraints.Clauses[id], Check: func(g *Graph) []Violation {
		var out []Violation
		for _, r := range g.Resources() {
			for _, v := range awsconstraints.CheckResource(r.Type, r.Name, r.Inputs) {
				if v.Constraint == id {
					out = append(out, violation(r, v.Clause, "%s: %s (%s)", v.Property, v.Message, v.Doc))
				}
			}
		}
		return out
	}}
}

// deployRules are the rules of this file, then the organization limits (rules_org.go).
var deployRules = append([]Rule{
	constraintRule(ids.DeployNameLimits, Critical,
		"Every physical name the stack chooses or Pulumi invents (<logical name>-<7 random characters>, lowercased for S3 buckets; name prefixes plus the 26 characters the provider appends) fits its service: IAM roles 64 and policies 128 characters of letters, digits and _+=,.@-; Lambda functions 64 (letters, digits, - and _); log groups 512; S3 buckets 3-63 lowercase; OpenSearch domains 3-28 lowercase starting with a letter; Firehose streams 64; SQS queues 80; SNS topics 256; Glue databases and tables 255 lowercase; Athena workgroups and saved queries 128; metric and subscription filters 512. A long stack, component or logical name is caught here: the provider refuses an auto-name over its own cap in Check (\"name '...' plus 7 random chars is longer than maximum length 64\"), the service refuses the rest. https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateRole.html, https://docs.aws.amazon.com/lambda/latest/api/API_CreateFunction.html, https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html, https://docs.aws.amazon.com/opensearch-service/latest/APIReference/API_CreateDomain.html, https://docs.aws.amazon.com/firehose/latest/APIReference/API_CreateDeliveryStream.html (internal/awsconstraints lists one page per type)"),
	constraintRule(ids.DeployOpenSearchMasterUser, Critical,
		"Every OpenSearch domain with fine-grained access control names its master user the way the internal user database allows: masterUserArn only with internalUserDatabaseEnabled false, masterUserName and masterUserPassword only (and together) with it true. "+awsconstraints.DocMasterUserOptions),
	constraintRule(ids.DeployOpenSearchFGAC, Critical,
		"Every OpenSearch domain with fine-grained access control also has encryption at rest, node-to-node encryption and enforceHttps on; OpenSearch Service refuses fine-grained access control without them. "+awsconstraints.DocFGAC),
	{
		ID: ids.DeployOpenSearchSLR, Severity: Critical,
		Description: "A VPC OpenSearch domain needs the account's service-linked role AWSServiceRoleForAmazonOpenSearchService before it is created: the stack declares it (aws:iam/serviceLinkedRole for opensearchservice.amazonaws.com) unless opensearchServiceLinkedRole is existing, and then it must not declare it (creating a role the account has fails). https://docs.aws.amazon.com/opensearch-service/latest/developerguide/slr.html",
		Clauses: []Clause{
			{ID: "role-for-vpc-domain", Text: "a VPC domain has the service-linked role declared, unless the account has it"},
			{ID: "not-declared-when-existing", Text: "the role is not declared when opensearchServiceLinkedRole is existing"},
		},
		Check: checkServiceLinkedRole,
	},
	{
		ID: ids.DeployEndpointPrivateDNS, Severity: High,
		Description: "Every interface VPC endpoint with private DNS is in a VPC the stack creates with enableDnsSupport and enableDnsHostnames on, or in a VPC of vpcIds only with the explicit opt-in opensearchVpcEndpoints: create: private DNS takes over the service's public name for every workload of the VPC, fails where another endpoint or private hosted zone already serves that name, and needs both DNS attributes, none of which the stack can see in a VPC it does not own. https://docs.aws.amazon.com/vpc/latest/privatelink/privatelink-access-aws-services.html",
		Clauses: []Clause{
			{ID: "owned-vpc", Text: "private DNS only in a VPC the stack creates, or with opensearchVpcEndpoints: create"},
			{ID: "dns-support", Text: "the VPC does not turn enableDnsSupport off"},
			{ID: "dns-hostnames", Text: "the VPC turns enableDnsHostnames on"},
		},
		Check: checkEndpointPrivateDNS,
	},
	{
		ID: ids.DeployKMSGrants, Severity: Critical,
		Description: "Every KMS key the stack creates lets each service that writes with it use it, in the key policy: logs.<region>.amazonaws.com for a log group it encrypts (kms:Encrypt, kms:Decrypt, kms:GenerateDataKey), cloudwatch.amazonaws.com for a topic it encrypts that alarms publish to (kms:Decrypt, kms:GenerateDataKey), delivery.logs.amazonaws.com for a bucket it encrypts that flow logs deliver to (kms:GenerateDataKey); otherwise the write fails. Keys configured by ARN are not in the graph and not checked. https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html, https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html, https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-s3-permissions.html",
		Clauses: []Clause{
			{ID: "log-group-key", Text: "a key that encrypts a log group lets logs.<region>.amazonaws.com use it"},
			{ID: "alarm-topic-key", Text: "a key that encrypts a topic alarms publish to lets cloudwatch.amazonaws.com use it"},
			{ID: "flow-log-bucket-key", Text: "a key that encrypts a bucket flow logs deliver to lets delivery.logs.amazonaws.com use it"},
		},
		Check: checkKMSGrants,
	},
	constraintRule(ids.DeployMetricFilterPattern, Critical,
		fmt.Sprintf("Every metric and subscription filter pattern is at most %d characters with at most %d regular expressions. %s", awslimits.MaxFilterPatternLength, awsconstraints.MaxRegexPerPattern, awsconstraints.DocPutMetricFilter)),
	{
		ID: ids.DeploySubscriptionFilters, Severity: Critical,
		Description: fmt.Sprintf("No log group has more than %d subscription filters (CloudWatch Logs' limit per log group; existing filters of a log group the stack does not create are not visible and count too). https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutSubscriptionFilter.html", awslimits.MaxSubscriptionFiltersPerLogGroup),
		Clauses:     one("filters-per-log-group", "at most 2 subscription filters per log group"),
		Check:       checkSubscriptionFilters,
	},
	{
		ID: ids.DeployRegexPatternsPerLogGroup, Severity: Critical,
		Description: fmt.Sprintf("At most %d of the metric and subscription filter patterns of one log group contain a regular expression (CloudWatch Logs' quota per log group). https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntax.html", awsconstraints.MaxRegexPatternsPerLogGroup),
		Clauses:     one("regex-per-log-group", "at most 5 filter patterns with a regular expression per log group"),
		Check:       checkRegexPerLogGroup,
	},
	{
		ID: ids.DeployFlowLogsPerVPC, Severity: Critical,
		Description: fmt.Sprintf("No VPC, subnet or network interface gets more than %d flow logs from the stack (EC2's quota per resource, not adjustable; flow logs the account already has count too). https://docs.aws.amazon.com/vpc/latest/userguide/amazon-vpc-limits.html#vpc-limits-flow-logs", awslimits.MaxFlowLogsPerResource),
		Clauses:     one("flow-logs-per-resource", "at most 2 flow logs per VPC, subnet or network interface"),
		Check:       checkFlowLogsPerResource,
	},
	constraintRule(ids.DeployAthenaScanCutoff, Critical,
		fmt.Sprintf("Every Athena workgroup's bytesScannedCutoffPerQuery, when set, is at least %d bytes (Athena's minimum). %s", awslimits.MinAthenaScanLimitBytes, awsconstraints.DocWorkGroupConfig)),
	constraintRule(ids.DeployGlueProjection, High,
		"Every Glue table with partition projection gives each partition key a projection type, each integer range as min,max with min <= max, positive digits, and a storage.location.template that names every key; Athena fails every query of the table otherwise. "+awsconstraints.DocProjectionTypes),
	constraintRule(ids.DeployAlarmThreshold, Critical,
		"Every metric alarm compares with a threshold or with an anomaly-detection band, in the form PutMetricAlarm takes: a threshold operator with threshold set and no thresholdMetricId; a band operator (GreaterThanUpperThreshold, LessThanLowerThreshold, LessThanLowerOrGreaterThanUpperThreshold) with no threshold and a thresholdMetricId that names the alarm's ANOMALY_DETECTION_BAND query. "+awsconstraints.DocPutMetricAlarm),
	{
		ID: ids.DeployNoOpUpdateReplaces, Severity: High,
		Description: "Every resource whose provider update never calls AWS is replaced, the old one deleted first, when an input that update would drop changes: aws:cloudwatch/contributorInsightRule (ruleDefinition, ruleName, ruleState) has an update that only rewrites the Pulumi state (the provider's resource embeds WithNoOpUpdate and marks none of them RequiresReplace), so a changed field list or log group would leave the old rule reading the wrong columns while `pulumi up` reports success; the old rule is deleted first because PutInsightRule writes a rule of the same name in place, and a create-first replacement's delete would remove the new one. https://github.com/hashicorp/terraform-provider-aws/blob/main/internal/service/cloudwatch/contributor_insight_rule.go, https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutInsightRule.html",
		Clauses: []Clause{
			{ID: "replace-on-changes", Text: "replaceOnChanges names every input the provider's update would drop"},
			{ID: "delete-before-replace", Text: "the replacement deletes the old resource first"},
		},
		Check: checkNoOpUpdates,
	},
	constraintRule(ids.DeployEC2Description, Critical,
		"Every security group's and security group rule's description (the group's own, its inline rules', a rule resource's) is at most 255 characters of a-z, A-Z, 0-9, spaces and ._-:/()#,@[]+=&;{}!$*: the provider refuses any other character in Check and EC2 in the call (an apostrophe is enough). "+awsconstraints.DocEC2Description),
}, orgRules...)

// noOpUpdates are the resource types whose provider update only rewrites
// the state, with the inputs it drops (none of them forces a replacement
// in the provider's schema).
var noOpUpdates = map[string][]string{
	"aws:cloudwatch/contributorInsightRule:ContributorInsightRule": {"ruleDefinition", "ruleName", "ruleState"},
}

func checkNoOpUpdates(g *Graph) []Violation {
	var out []Violation
	for _, typ := range slices.Sorted(maps.Keys(noOpUpdates)) {
		for _, r := range g.ByType(typ) {
			var missing []string
			for _, in := range noOpUpdates[typ] {
				if !slices.Contains(r.ReplaceOnChanges, in) && !slices.Contains(r.ReplaceOnChanges, "*") {
					missing = append(missing, in)
				}
			}
			if len(missing) > 0 {
				out = append(out, violation(r, "replace-on-changes", "replaceOnChanges does not name %s: the provider's update of %s does not call AWS, so a change of it would never reach the service", strings.Join(missing, ", "), typ))
			}
			if !r.DeleteBeforeReplace {
				out = append(out, violation(r, "delete-before-replace", "not deleteBeforeReplace: the replacement writes the same name first, and the old resource's delete then removes it"))
			}
		}
	}
	return out
}

// slrServices are the service names of the OpenSearch service-linked role.
var slrServices = []string{"opensearchservice.amazonaws.com", "es.amazonaws.com"}

func checkServiceLinkedRole(g *Graph) []Violation {
	var roles []*mockaws.Resource
	for _, r := range g.ByType(tServiceLinkedRole) {
		for _, s := range slrServices {
			if Str(r.Inputs["awsServiceName"]) == s {
				roles = append(roles, r)
			}
		}
	}
	var out []Violation
	if g.slrExists {
		for _, r := range roles {
			out = append(out, violation(r, "not-declared-when-existing", "opensearchServiceLinkedRole is existing: the account has AWSServiceRoleForAmazonOpenSearchService, and creating it again fails"))
		}
		return out
	}
	if len(roles) > 0 {
		return nil
	}
	for _, d := range g.ByType(tDomain) {
		if len(List(Get(d.Inputs, "vpcOptions.subnetIds"))) > 0 {
			out = append(out, violation(d, "role-for-vpc-domain", "a VPC domain needs the service-linked role AWSServiceRoleForAmazonOpenSearchService: declare aws:iam/serviceLinkedRole for opensearchservice.amazonaws.com, or set opensearchServiceLinkedRole: existing when the account has it"))
		}
	}
	return out
}

func checkEndpointPrivateDNS(g *Graph) []Violation {
	var out []Violation
	for _, ep := range g.ByType(tVpcEndpoint) {
		if !strings.EqualFold(Str(ep.Inputs["vpcEndpointType"]), "Interface") || !IsTrue(ep.Inputs["privateDnsEnabled"]) {
			continue
		}
		var vpc *mockaws.Resource
		for _, v := range g.ByType(tVpc) {
			if Refers(ep.Inputs["vpcId"], v) {
				vpc = v
			}
		}
		if vpc == nil {
			if !g.foreignEndpointsOK {
				out = append(out, violation(ep, "owned-vpc", "private DNS for %s in VPC %s, which the stack does not create: it takes over the service's name for every workload there and fails if that VPC already has such an endpoint; opt in with opensearchVpcEndpoints: create",
					Str(ep.Inputs["serviceName"]), quoteOrUnset(Str(ep.Inputs["vpcId"]))))
			}
			continue
		}
		// AWS creates a VPC with DNS support on and DNS hostnames off.
		if sup, ok := vpc.Inputs["enableDnsSupport"].(bool); ok && !sup {
			out = append(out, violation(ep, "dns-support", "private DNS needs enableDnsSupport on VPC %s", vpc.Name))
		}
		if !IsTrue(vpc.Inputs["enableDnsHostnames"]) {
			out = append(out, violation(ep, "dns-hostnames", "private DNS needs enableDnsHostnames on VPC %s (off by default)", vpc.Name))
		}
	}
	return out
}

// keyUse is one service that must be allowed to use a key, and why.
type keyUse struct {
	clause    string
	principal string // service principal; "logs." matches logs.<region>.amazonaws.com
	actions   []string
	why       string
}

func checkKMSGrants(g *Graph) []Violation {
	var out []Violation
	for _, key := range g.ByType(tKey) {
		var uses []keyUse
		for _, lg := range g.ByType(tLogGroup) {
			if Refers(lg.Inputs["kmsKeyId"], key) {
				uses = append(uses, keyUse{"log-group-key", "logs.", []string{"kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey"}, "it encrypts log group " + lg.Name})
			}
		}
		for _, t := range g.ByType(tTopic) {
			if !Refers(t.Inputs["kmsMasterKeyId"], key) {
				continue
			}
			for _, a := range g.ByType(tMetricAlarm) {
				if alarmPublishesTo(a, t) {
					uses = append(uses, keyUse{"alarm-topic-key", "cloudwatch.amazonaws.com", []string{"kms:Decrypt", "kms:GenerateDataKey"}, "it encrypts topic " + t.Name + ", which alarm " + a.Name + " publishes to"})
					break
				}
			}
		}
		dests := g.FlowLogDestinations()
		for _, enc := range g.ByType(tEncryptionV2, tEncryption) {
			for _, rule := range List(enc.Inputs["rules"]) {
				if !Refers(Get(rule, "applyServerSideEncryptionByDefault.kmsMasterKeyId"), key) {
					continue
				}
				for fl, d := range dests {
					if Refers(enc.Inputs["bucket"], d) {
						uses = append(uses, keyUse{"flow-log-bucket-key", "delivery.logs.amazonaws.com", []string{"kms:GenerateDataKey"}, "it encrypts bucket " + d.Name + ", which flow log " + fl.Name + " delivers to"})
						break
					}
				}
			}
		}
		if len(uses) == 0 {
			continue
		}
		stmts := keyStatements(g, key)
		for _, u := range uses {
			for _, act := range u.actions {
				if !keyAllows(stmts, u.principal, act) {
					who := u.principal
					if who == "logs." {
						who = "logs.<region>.amazonaws.com"
					}
					out = append(out, violation(key, u.clause, "the key policy does not allow %s %s, and %s", who, act, u.why))
				}
			}
		}
	}
	return out
}

func alarmPublishesTo(alarm, topic *mockaws.Resource) bool {
	for _, k := range []string{"alarmActions", "okActions", "insufficientDataActions"} {
		for _, a := range List(alarm.Inputs[k]) {
			if Refers(a, topic) {
				return true
			}
		}
	}
	return false
}

// keyStatements are the statements of key's policy: its policy input and
// any aws:kms/keyPolicy resource for it.
func keyStatements(g *Graph, key *mockaws.Resource) []Statement {
	var out []Statement
	for _, d := range g.Documents() {
		if d.Kind != KeyPolicy || d.Err != nil {
			continue
		}
		if d.Resource == key || (d.Resource.Type == tKeyPolicy && (Refers(d.Resource.Inputs["keyId"], key) || Str(d.Resource.Inputs["keyId"]) == Str(key.Outputs["keyId"]))) {
			out = append(out, d.Statements...)
		}
	}
	return out
}

// keyAllows reports whether an Allow statement names the service principal
// and an action that covers act.
func keyAllows(stmts []Statement, principal, act string) bool {
	for _, s := range stmts {
		if !s.Allow() || s.NotAction {
			continue
		}
		named := false
		for _, p := range s.Principal.Service {
			if p == principal || (strings.HasSuffix(principal, ".") && strings.HasPrefix(p, principal) && strings.HasSuffix(p, ".amazonaws.com")) {
				named = true
			}
		}
		if !named {
			continue
		}
		for _, a := range s.Actions {
			if actionCovers(a, act) {
				return true
			}
		}
	}
	return false
}

// actionCovers reports whether the action pattern (with * wildcards)
// matches act, case-insensitively.
func actionCovers(pattern, act string) bool {
	p, a := strings.ToLower(pattern), strings.ToLower(act)
	if p == "*" {
		return true
	}
	if i := strings.Index(p, "*"); i >= 0 {
		return strings.HasPrefix(a, p[:i]) && strings.HasSuffix(a, p[i+1:]) && len(a) >= len(p)-1
	}
	return p == a
}

// logGroupKey is what a filter names its log group by.
func filterLogGroup(r *mockaws.Resource) string {
	if r.Type == tSubscription {
		return Str(r.Inputs["logGroup"])
	}
	return Str(r.Inputs["logGroupName"])
}

// logGroupLabel names a log group in a message: the stack's log group, or the name.
func (g *Graph) logGroupLabel(name string) string {
	if lg := g.LogGroupNamed(name); lg != nil {
		return lg.Name
	}
	return quoteOrUnset(name)
}

func checkSubscriptionFilters(g *Graph) []Violation {
	return overLimit(g.ByType(tSubscription),
		func(f *mockaws.Resource) []string { return []string{filterLogGroup(f)} },
		awslimits.MaxSubscriptionFiltersPerLogGroup, "filters-per-log-group",
		func(lg string, n int, names string) string {
			return fmt.Sprintf("log group %s gets %d subscription filters (%s); CloudWatch Logs allows %d",
				g.logGroupLabel(lg), n, names, awslimits.MaxSubscriptionFiltersPerLogGroup)
		})
}

// overLimit groups rs by the keys each one yields, in first-seen order, and
// returns a violation for every member of a group beyond limit; msg says
// what the group is, given its key, size and members' names.
func overLimit[K comparable](rs []*mockaws.Resource, keys func(*mockaws.Resource) []K, limit int, clause string, msg func(k K, n int, names string) string) []Violation {
	groups := map[K][]*mockaws.Resource{}
	var order []K
	for _, r := range rs {
		for _, k := range keys(r) {
			if _, ok := groups[k]; !ok {
				order = append(order, k)
			}
			groups[k] = append(groups[k], r)
		}
	}
	var out []Violation
	for _, k := range order {
		members := groups[k]
		if len(members) <= limit {
			continue
		}
		names := make([]string, len(members))
		for i, r := range members {
			names[i] = r.Name
		}
		text := msg(k, len(members), strings.Join(names, ", "))
		for _, r := range members[limit:] {
			out = append(out, violation(r, clause, "%s", text))
		}
	}
	return out
}

func checkRegexPerLogGroup(g *Graph) []Violation {
	count := map[string]int{}
	last := map[string]*mockaws.Resource{}
	var order []string
	for _, f := range g.ByType(tMetricFilter, tSubscription) {
		if awsconstraints.RegexCount(Str(f.Inputs[awsconstraints.FilterPatternInput(f.Type)])) == 0 {
			continue
		}
		lg := filterLogGroup(f)
		if _, ok := count[lg]; !ok {
			order = append(order, lg)
		}
		count[lg]++
		last[lg] = f
	}
	var out []Violation
	for _, lg := range order {
		if count[lg] > awsconstraints.MaxRegexPatternsPerLogGroup {
			out = append(out, violation(last[lg], "regex-per-log-group", "%d filter patterns of log group %s contain a regular expression; CloudWatch Logs allows %d per log group",
				count[lg], g.logGroupLabel(lg), awsconstraints.MaxRegexPatternsPerLogGroup))
		}
	}
	return out
}

func checkFlowLogsPerResource(g *Graph) []Violation {
	type target struct{ kind, id string }
	return overLimit(g.ByType(tFlowLog),
		func(fl *mockaws.Resource) []target {
			var ts []target
			for _, k := range []string{"vpcId", "subnetId", "eniId", "transitGatewayId", "transitGatewayAttachmentId"} {
				if id := Str(fl.Inputs[k]); id != "" {
					ts = append(ts, target{k, id})
				}
			}
			return ts
		},
		awslimits.MaxFlowLogsPerResource, "flow-logs-per-resource",
		func(t target, n int, names string) string {
			return fmt.Sprintf("%s %s gets %d flow logs (%s); EC2 allows %d per resource",
				t.kind, t.id, n, names, awslimits.MaxFlowLogsPerResource)
		})
}
