package policy

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/awslimits"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/mockaws"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/policy/ids"
)

// QuickSight types the rules read. A QuickSight object is declared natively
// (pulumi-aws quicksight.*) or as its CloudFormation type through Cloud
// Control (the dashboard, whose definition pulumi-aws v6 leaves out).
const (
	tQSDataSource         = "aws:quicksight/dataSource:DataSource"
	tQSDataSet            = "aws:quicksight/dataSet:DataSet"
	tQSAnalysis           = "aws:quicksight/analysis:Analysis"
	tQSDashboard          = "aws:quicksight/dashboard:Dashboard"
	tQSTemplate           = "aws:quicksight/template:Template"
	tCloudControl         = "aws:cloudcontrol/resource:Resource"
	tIAMPolicy            = "aws:iam/policy:Policy"
	tRolePolicy           = "aws:iam/rolePolicy:RolePolicy"
	tRolePolicyAttachment = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
)

// quickSightObject is a QuickSight data source, data set, analysis, template
// or dashboard of the stack, however it is declared.
type quickSightObject struct {
	Resource    *mockaws.Resource
	Kind        string // DataSource, DataSet, Analysis, Template, Dashboard
	Account     string // the owner account ("" when unknown)
	Permissions []quickSightPermission
	SSLDisabled bool
	// Err is set when a Cloud Control desired state cannot be read.
	Err error
}

type quickSightPermission struct {
	Principal string
	Actions   []string
}

// arnAccount returns the account field of an ARN ("" when it has none).
func arnAccount(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 || parts[0] != "arn" {
		return ""
	}
	return parts[4]
}

// quickSightObjects returns the stack's QuickSight objects.
func (g *Graph) quickSightObjects() []quickSightObject {
	var out []quickSightObject
	for _, r := range g.ByType(tQSDataSource, tQSDataSet, tQSAnalysis, tQSDashboard, tQSTemplate) {
		o := quickSightObject{Resource: r, Kind: r.Type[strings.LastIndex(r.Type, ":")+1:]}
		if o.Account = Str(r.Inputs["awsAccountId"]); o.Account == "" {
			o.Account = arnAccount(Str(r.Outputs["arn"]))
		}
		for _, p := range List(r.Inputs["permissions"]) {
			o.Permissions = append(o.Permissions, quickSightPermission{Principal: Str(Get(p, "principal")), Actions: strings1(Get(p, "actions"))})
		}
		o.SSLDisabled = IsTrue(Get(r.Inputs, "sslProperties.disableSsl"))
		out = append(out, o)
	}
	for _, r := range g.ByType(tCloudControl) {
		kind, ok := strings.CutPrefix(Str(r.Inputs["typeName"]), "AWS::QuickSight::")
		if !ok {
			continue
		}
		o := quickSightObject{Resource: r, Kind: kind}
		var st map[string]any
		if err := json.Unmarshal([]byte(Str(r.Inputs["desiredState"])), &st); err != nil {
			o.Err = fmt.Errorf("desiredState is not JSON: %v", err)
			out = append(out, o)
			continue
		}
		o.Account = Str(st["AwsAccountId"])
		for _, p := range List(st["Permissions"]) {
			o.Permissions = append(o.Permissions, quickSightPermission{Principal: Str(Get(p, "Principal")), Actions: strings1(Get(p, "Actions"))})
		}
		o.SSLDisabled = IsTrue(Get(st, "SslProperties.DisableSsl"))
		out = append(out, o)
	}
	return out
}

// isQuickSightServiceRole reports whether a role name is one of the service
// roles QuickSight creates for an account (aws-quicksight-service-role-v0,
// aws-quicksight-s3-consumers-role-v0, ...).
func isQuickSightServiceRole(name string) bool {
	return name == awslimits.QuickSightServiceRole || strings.HasPrefix(name, "aws-quicksight-")
}

// exactResource reports whether a policy resource names one thing: no
// wildcard, except the trailing "/*" (every object) of a named S3 bucket.
func exactResource(r string) bool {
	if strings.HasPrefix(r, "arn:") && strings.SplitN(r, ":", 4)[2] == "s3" {
		r = strings.TrimSuffix(r, "/*")
	}
	return !strings.ContainsAny(r, "*?")
}

var quickSightRules = []Rule{
	{
		ID:       ids.QuickSightPermissionsScoped,
		Severity: High,
		Description: `Every QuickSight data source, data set, analysis, template and dashboard (declared natively or through Cloud Control) grants permissions only to named QuickSight users or groups (arn:aws:quicksight:<region>:<account>:user/... or group/...) of the account that owns it: never "*", a whole namespace or another account, and never a wildcard action such as quicksight:*. ` +
			"Data-set permissions decide who can query every flow-log record through the service role.",
		Clauses: []Clause{
			{ID: "readable", Text: "a Cloud Control QuickSight object's desiredState is readable JSON"},
			{ID: "user-or-group", Text: "every permission's principal is a QuickSight user or group ARN"},
			{ID: "owner-account", Text: "every permission's principal is of the owner account"},
			{ID: "no-wildcard-action", Text: "no permission grants a wildcard action"},
		},
		Check: func(g *Graph) []Violation {
			var out []Violation
			for _, o := range g.quickSightObjects() {
				if o.Err != nil {
					out = append(out, violation(o.Resource, "readable", "QuickSight %s: %v, so its permissions cannot be checked", o.Kind, o.Err))
					continue
				}
				for _, p := range o.Permissions {
					switch {
					case !awslimits.QuickSightPrincipalArn.MatchString(p.Principal):
						out = append(out, violation(o.Resource, "user-or-group", "QuickSight %s grants %v to %q, not a QuickSight user or group", o.Kind, p.Actions, p.Principal))
					case o.Account != "" && arnAccount(p.Principal) != o.Account:
						out = append(out, violation(o.Resource, "owner-account", "QuickSight %s grants %v to %s of account %s, not the owner account %s", o.Kind, p.Actions, p.Principal, arnAccount(p.Principal), o.Account))
					}
					for _, a := range p.Actions {
						if strings.Contains(a, "*") {
							out = append(out, violation(o.Resource, "no-wildcard-action", "QuickSight %s grants the wildcard action %q to %s", o.Kind, a, p.Principal))
						}
					}
				}
			}
			return out
		},
	},
	{
		ID:          ids.QuickSightDataSourceSSL,
		Severity:    Medium,
		Description: "Every QuickSight data source connects over SSL (sslProperties.disableSsl is not true), so query results travel encrypted.",
		Clauses:     one("ssl-on", "sslProperties.disableSsl is not true"),
		Check: func(g *Graph) []Violation {
			var out []Violation
			for _, o := range g.quickSightObjects() {
				if o.Kind == "DataSource" && o.SSLDisabled {
					out = append(out, violation(o.Resource, "ssl-on", "the data source disables SSL"))
				}
			}
			return out
		},
	},
	{
		ID:       ids.QuickSightServiceRoleScoped,
		Severity: High,
		Description: "Every policy the stack gives a QuickSight service role (aws-quicksight-service-role-v0 and the other aws-quicksight-* roles), attached or inline, is a policy the stack declares and names its resources exactly: " +
			`no wildcard in a Resource except the trailing "/*" of a named bucket, no NotResource or NotAction, no wildcard action (s3:*, athena:*, s3:Get*). ` +
			"The service role serves every Athena data source of every QuickSight user of the account, so whatever it may read, any of them can query; AWS managed policies (AWSQuicksightAthenaAccess allows every bucket named aws-athena-query-results-*) are refused for the same reason.",
		Clauses: []Clause{
			{ID: "declared-policy", Text: "every policy attached to a QuickSight service role is declared by the stack"},
			{ID: "no-not-elements", Text: "no Allow statement uses NotResource or NotAction"},
			{ID: "exact-resource", Text: `every Resource is exact (no wildcard but a named bucket's trailing "/*")`},
			{ID: "no-wildcard-action", Text: "no Allow statement has a wildcard action"},
		},
		Check: func(g *Graph) []Violation {
			var out []Violation
			check := func(owner *mockaws.Resource, role string, docOf *mockaws.Resource) {
				for _, d := range g.Documents() {
					if d.Resource != docOf || d.Err != nil {
						continue
					}
					for i, s := range d.Statements {
						if !s.Allow() {
							continue
						}
						if s.NotResource || s.NotAction {
							out = append(out, violation(owner, "no-not-elements", "policy for %s: %s uses NotResource or NotAction", role, s.Label(i)))
						}
						for _, r := range s.Resources {
							if !exactResource(r) {
								out = append(out, violation(owner, "exact-resource", "policy for %s: %s allows %v on %q, a wildcard resource", role, s.Label(i), s.Actions, r))
							}
						}
						for _, a := range s.Actions {
							if strings.Contains(a, "*") {
								out = append(out, violation(owner, "no-wildcard-action", "policy for %s: %s allows the wildcard action %q", role, s.Label(i), a))
							}
						}
					}
				}
			}
			for _, att := range g.ByType(tRolePolicyAttachment) {
				role := Str(att.Inputs["role"])
				if !isQuickSightServiceRole(role) {
					continue
				}
				arn := Str(att.Inputs["policyArn"])
				var declared *mockaws.Resource
				for _, p := range g.ByType(tIAMPolicy) {
					if Str(p.Outputs["arn"]) == arn {
						declared = p
					}
				}
				if declared == nil {
					out = append(out, violation(att, "declared-policy", "attaches %s to %s, a policy the stack does not declare, so its scope cannot be checked", arn, role))
					continue
				}
				check(declared, role, declared)
			}
			for _, rp := range g.ByType(tRolePolicy) {
				if role := Str(rp.Inputs["role"]); isQuickSightServiceRole(role) {
					check(rp, role, rp)
				}
			}
			return out
		},
	},
}
