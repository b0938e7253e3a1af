package policy

import (
	"strings"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/policy/ids"
)

// openSearchMinTLSPrefix is the prefix of the domain endpoint TLS policies
// that refuse anything older than TLS 1.2 (Policy-Min-TLS-1-2-2019-07,
// Policy-Min-TLS-1-2-PFS-2023-10, ...).
const openSearchMinTLSPrefix = "Policy-Min-TLS-1-2-"

// domainRule builds a rule that checks each aws:opensearch/domain:Domain:
// problems returns one problem per clause the domain's inputs break.
func domainRule(id string, sev Severity, desc string, clauses []Clause, problems func(in map[string]any) []problem) Rule {
	return Rule{ID: id, Severity: sev, Description: desc, Clauses: clauses, Check: func(g *Graph) []Violation {
		var out []Violation
		for _, d := range g.ByType(tDomain) {
			for _, p := range problems(d.Inputs) {
				out = append(out, violation(d, p.clause, "%s", p.msg))
			}
		}
		return out
	}}
}

// check is the problem of clause when bad, else none.
func check(bad bool, clause, msg string) []problem {
	if bad {
		return []problem{{clause, msg}}
	}
	return nil
}

var openSearchRules = []Rule{
	domainRule(ids.OpenSearchVPCOnly, Critical,
		"Every OpenSearch domain is reachable only inside a VPC: vpcOptions.subnetIds is not empty, so it has no public endpoint (FSBP OpenSearch.2).",
		one("vpc-subnets", "vpcOptions.subnetIds is not empty"),
		func(in map[string]any) []problem {
			return check(len(List(Get(in, "vpcOptions.subnetIds"))) == 0, "vpc-subnets", "vpcOptions.subnetIds is empty: the domain has a public endpoint")
		}),
	domainRule(ids.OpenSearchEncryptAtRest, High,
		"Every OpenSearch domain encrypts data at rest (encryptAtRest.enabled) (FSBP OpenSearch.1).",
		one("encrypt-at-rest", "encryptAtRest.enabled is true"),
		func(in map[string]any) []problem {
			return check(!IsTrue(Get(in, "encryptAtRest.enabled")), "encrypt-at-rest", "encryptAtRest.enabled is not true")
		}),
	domainRule(ids.OpenSearchNodeToNode, High,
		"Every OpenSearch domain encrypts traffic between its nodes (nodeToNodeEncryption.enabled) (FSBP OpenSearch.3).",
		one("node-to-node", "nodeToNodeEncryption.enabled is true"),
		func(in map[string]any) []problem {
			return check(!IsTrue(Get(in, "nodeToNodeEncryption.enabled")), "node-to-node", "nodeToNodeEncryption.enabled is not true")
		}),
	domainRule(ids.OpenSearchHTTPS, High,
		"Every OpenSearch domain endpoint enforces HTTPS with TLS 1.2 or later (domainEndpointOptions.enforceHttps and a "+openSearchMinTLSPrefix+"* tlsSecurityPolicy) (FSBP OpenSearch.8).",
		[]Clause{
			{ID: "enforce-https", Text: "domainEndpointOptions.enforceHttps is true"},
			{ID: "tls12-policy", Text: "domainEndpointOptions.tlsSecurityPolicy is a " + openSearchMinTLSPrefix + "* policy"},
		},
		func(in map[string]any) []problem {
			p := Str(Get(in, "domainEndpointOptions.tlsSecurityPolicy"))
			return append(check(!IsTrue(Get(in, "domainEndpointOptions.enforceHttps")), "enforce-https", "domainEndpointOptions.enforceHttps is not true"),
				check(!strings.HasPrefix(p, openSearchMinTLSPrefix), "tls12-policy", "tlsSecurityPolicy "+quoteOrUnset(p)+" allows TLS older than 1.2")...)
		}),
	domainRule(ids.OpenSearchFineGrained, High,
		"Every OpenSearch domain uses fine-grained access control (advancedSecurityOptions.enabled) with anonymous access off (FSBP OpenSearch.7).",
		[]Clause{
			{ID: "fgac-enabled", Text: "advancedSecurityOptions.enabled is true"},
			{ID: "anonymous-off", Text: "advancedSecurityOptions.anonymousAuthEnabled is not true"},
		},
		func(in map[string]any) []problem {
			if !IsTrue(Get(in, "advancedSecurityOptions.enabled")) {
				return check(true, "fgac-enabled", "advancedSecurityOptions.enabled is not true: no fine-grained access control")
			}
			return check(IsTrue(Get(in, "advancedSecurityOptions.anonymousAuthEnabled")), "anonymous-off", "advancedSecurityOptions.anonymousAuthEnabled lets anyone in")
		}),
	{
		ID:       ids.OpenSearchNoOpenAccess,
		Severity: Critical,
		Description: `No OpenSearch access policy (the domain's accessPolicies or a DomainPolicy) allows "Principal": "*" or {"AWS": "*"} without a condition that restricts the caller (source account, ARN, VPC, IP or organization), ` +
			`except the policy AWS recommends with fine-grained access control: on a domain of the stack that is in a VPC (vpcOptions.subnetIds), has fine-grained access control on and anonymous access off, ` +
			`allowing only that domain's HTTP API (es:ESHttp* actions on <domain ARN>/*); there the domain's security group and fine-grained access control decide who gets in.`,
		Clauses: []Clause{
			{ID: "readable", Text: "every OpenSearch access policy is readable JSON"},
			{ID: "no-open-principal", Text: "no Allow statement is open to any principal without a restricting condition, except the recommended fine-grained access control policy"},
		},
		Check: func(g *Graph) []Violation {
			var out []Violation
			for _, d := range g.Documents() {
				if d.Kind != DomainAccess {
					continue
				}
				if d.Err != nil {
					out = append(out, violation(d.Resource, "readable", "%s is unreadable (%v): cannot prove it is not open", d.Field, d.Err))
					continue
				}
				for i, s := range d.Statements {
					if openAllow(s) && !fineGrainedDecides(g, d, s) {
						out = append(out, violation(d.Resource, "no-open-principal", "%s %s allows any principal with no restricting condition", d.Field, s.Label(i)))
					}
				}
			}
			return out
		},
	},
}

// fineGrainedDecides reports whether an open statement s of the access
// policy d is the one AWS recommends for a domain with fine-grained access
// control: an access policy that names IAM principals makes every request
// need a SigV4 signature, which refuses the basic-auth logins of the
// internal user database before fine-grained access control sees them, so
// with fine-grained access control AWS recommends an access policy that
// does not require signed requests
// (https://docs.aws.amazon.com/opensearch-service/latest/developerguide/fgac.html#fgac-access-policies).
// That is safe only where the network and fine-grained access control
// keep everyone else out: the governed domain is one of the stack's, in a
// VPC, with fine-grained access control on and anonymous access off, and
// the statement allows only that domain's HTTP API (es:ESHttp* on its
// subresources), never its configuration API.
func fineGrainedDecides(g *Graph, d Document, s Statement) bool {
	if s.NotPrincipal || s.NotAction || s.NotResource || len(s.Actions) == 0 || len(s.Resources) == 0 {
		return false
	}
	domain := d.Resource
	if domain.Type != tDomain {
		domain = nil
		for _, dom := range g.ByType(tDomain) {
			if Refers(Get(d.Resource.Inputs, "domainName"), dom) {
				domain = dom
			}
		}
	}
	if domain == nil {
		return false // a domain the stack does not declare: nothing proves it private
	}
	in := domain.Inputs
	if len(List(Get(in, "vpcOptions.subnetIds"))) == 0 || !IsTrue(Get(in, "advancedSecurityOptions.enabled")) ||
		IsTrue(Get(in, "advancedSecurityOptions.anonymousAuthEnabled")) {
		return false
	}
	for _, a := range s.Actions {
		if !strings.HasPrefix(strings.ToLower(a), "es:eshttp") {
			return false
		}
	}
	arn := Str(domain.Outputs["arn"])
	for _, r := range s.Resources {
		if arn == "" || (r != arn && r != arn+"/*") {
			return false
		}
	}
	return true
}

// restrictingConditionKeys narrow a public principal to known callers.
var restrictingConditionKeys = []string{
	"aws:SourceAccount", "aws:SourceArn", "aws:SourceOwner", "aws:SourceOrgID", "aws:SourceOrgPaths",
	"aws:SourceVpc", "aws:SourceVpce", "aws:SourceIp",
	"aws:PrincipalAccount", "aws:PrincipalArn", "aws:PrincipalOrgID", "aws:PrincipalOrgPaths",
	"kms:CallerAccount",
}

// openAllow reports whether s allows anyone: a "*" principal (or a
// NotPrincipal) without a condition that restricts the caller.
func openAllow(s Statement) bool {
	if !s.Allow() {
		return false
	}
	if !s.Principal.Any && !s.NotPrincipal {
		return false
	}
	return !s.HasConditionKey(restrictingConditionKeys...)
}

func quoteOrUnset(s string) string {
	if s == "" {
		return "(unset)"
	}
	return `"` + s + `"`
}
