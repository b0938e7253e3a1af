package policy

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/mockaws"
)

// DocKind says what a policy document governs, which decides the rules that apply.
type DocKind string

// Policy document kinds.
const (
	// Identity policies are attached to a role, user or group.
	Identity DocKind = "identity"
	// Trust policies say who may assume a role.
	Trust DocKind = "trust"
	// ResourceBased policies are attached to a bucket, topic, queue or log destination.
	ResourceBased DocKind = "resource"
	// KeyPolicy is a KMS key policy (its Resource is always "*": this key).
	KeyPolicy DocKind = "key"
	// DomainAccess is an OpenSearch domain access policy.
	DomainAccess DocKind = "opensearch"
)

// policySources are the inputs that hold policy documents.
var policySources = []struct {
	Type, Field string
	Kind        DocKind
}{
	{tRole, "assumeRolePolicy", Trust},
	{"aws:iam/rolePolicy:RolePolicy", "policy", Identity},
	{"aws:iam/policy:Policy", "policy", Identity},
	{"aws:iam/userPolicy:UserPolicy", "policy", Identity},
	{"aws:iam/groupPolicy:GroupPolicy", "policy", Identity},
	{tBucketPolicy, "policy", ResourceBased},
	{tBucketV2, "policy", ResourceBased},
	{tBucket, "policy", ResourceBased},
	{"aws:sns/topicPolicy:TopicPolicy", "policy", ResourceBased},
	{tTopic, "policy", ResourceBased},
	{"aws:sqs/queuePolicy:QueuePolicy", "policy", ResourceBased},
	{tQueue, "policy", ResourceBased},
	{"aws:cloudwatch/logResourcePolicy:LogResourcePolicy", "policyDocument", ResourceBased},
	{"aws:cloudwatch/logDestinationPolicy:LogDestinationPolicy", "accessPolicy", ResourceBased},
	{"aws:ec2/vpcEndpoint:VpcEndpoint", "policy", ResourceBased},
	{tKey, "policy", KeyPolicy},
	{"aws:kms/keyPolicy:KeyPolicy", "policy", KeyPolicy},
	{tDomain, "accessPolicies", DomainAccess},
	{tDomainPolicy, "accessPolicies", DomainAccess},
}

// Document is one policy document found in the inputs.
type Document struct {
	Resource   *mockaws.Resource
	Field      string // the input that holds it, e.g. "policy" or "inlinePolicies.0.policy"
	Kind       DocKind
	Statements []Statement
	// Err is set when the document is not a policy the rules can read.
	Err error
}

// Statement is one normalised policy statement.
type Statement struct {
	Sid       string
	Effect    string // Allow or Deny
	Principal Principal
	// NotPrincipal, NotAction, NotResource: the statement names what it does NOT apply to.
	NotPrincipal, NotAction, NotResource bool
	Actions                              []string
	Resources                            []string
	// Condition is operator -> key -> value(s).
	Condition map[string]any
}

// Principal is a statement's principal.
type Principal struct {
	// Any is "*" or {"AWS": "*"}: everyone, in any account.
	Any                     bool
	AWS, Service, Federated []string
	CanonicalUser           []string
	present                 bool
}

// Allow reports whether the statement allows.
func (s Statement) Allow() bool { return strings.EqualFold(s.Effect, "Allow") }

// ConditionKeys returns the condition keys the statement tests, lowercased.
func (s Statement) ConditionKeys() []string {
	var out []string
	for _, kv := range s.Condition {
		m, _ := kv.(map[string]any)
		for k := range m {
			out = append(out, strings.ToLower(k))
		}
	}
	return out
}

// HasConditionKey reports whether the statement tests any of keys (case-insensitive).
func (s Statement) HasConditionKey(keys ...string) bool {
	for _, k := range s.ConditionKeys() {
		for _, want := range keys {
			if k == strings.ToLower(want) {
				return true
			}
		}
	}
	return false
}

// Label names the statement in a message.
func (s Statement) Label(i int) string {
	if s.Sid != "" {
		return fmt.Sprintf("statement %q", s.Sid)
	}
	return fmt.Sprintf("statement %d", i)
}

// Documents returns every policy document in the graph, in registration
// order (parsed once per graph).
func (g *Graph) Documents() []Document {
	if !g.docsRead {
		g.docs, g.docsRead = g.readDocuments(), true
	}
	return g.docs
}

func (g *Graph) readDocuments() []Document {
	var out []Document
	for _, r := range g.resources {
		for _, src := range policySources {
			if r.Type != src.Type {
				continue
			}
			if v, ok := r.Inputs[src.Field]; ok && v != nil && v != "" {
				out = append(out, parseDocument(r, src.Field, src.Kind, v))
			}
		}
		if r.Type == tRole {
			for i, ip := range List(r.Inputs["inlinePolicies"]) {
				if v := Get(ip, "policy"); v != nil && v != "" {
					out = append(out, parseDocument(r, fmt.Sprintf("inlinePolicies.%d.policy", i), Identity, v))
				}
			}
		}
	}
	return out
}

func parseDocument(r *mockaws.Resource, field string, kind DocKind, v any) Document {
	d := Document{Resource: r, Field: field, Kind: kind}
	var raw map[string]any
	switch t := v.(type) {
	case string:
		if err := json.Unmarshal([]byte(t), &raw); err != nil {
			d.Err = fmt.Errorf("not JSON: %v", err)
			return d
		}
	case map[string]any:
		raw = t
	default:
		d.Err = fmt.Errorf("a %T, not a JSON document", v)
		return d
	}
	var stmts []any
	switch s := raw["Statement"].(type) {
	case []any:
		stmts = s
	case map[string]any:
		stmts = []any{s}
	default:
		d.Err = fmt.Errorf("no Statement list")
		return d
	}
	for i, s := range stmts {
		m, ok := s.(map[string]any)
		if !ok {
			d.Err = fmt.Errorf("statement %d is a %T, not an object", i, s)
			return d
		}
		st := Statement{Sid: Str(m["Sid"]), Effect: Str(m["Effect"])}
		st.Principal, st.NotPrincipal = parsePrincipal(m["Principal"]), m["NotPrincipal"] != nil
		if st.NotPrincipal {
			st.Principal = parsePrincipal(m["NotPrincipal"])
		}
		st.Actions, st.NotAction = pick(m, "Action", "NotAction")
		st.Resources, st.NotResource = pick(m, "Resource", "NotResource")
		st.Condition, _ = m["Condition"].(map[string]any)
		d.Statements = append(d.Statements, st)
	}
	return d
}

// pick returns the strings of key, or of notKey (and true) when that is set instead.
func pick(m map[string]any, key, notKey string) ([]string, bool) {
	if v, ok := m[notKey]; ok {
		return strings1(v), true
	}
	return strings1(m[key]), false
}

// strings1 reads a string or a list of strings.
func strings1(v any) []string {
	switch t := v.(type) {
	case string:
		return []string{t}
	case []any:
		var out []string
		for _, e := range t {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

func parsePrincipal(v any) Principal {
	switch t := v.(type) {
	case nil:
		return Principal{}
	case string:
		return Principal{Any: t == "*", present: true}
	case map[string]any:
		p := Principal{present: true}
		p.AWS = strings1(t["AWS"])
		p.Service = strings1(t["Service"])
		p.Federated = strings1(t["Federated"])
		p.CanonicalUser = strings1(t["CanonicalUser"])
		for _, a := range p.AWS {
			p.Any = p.Any || a == "*"
		}
		return p
	}
	return Principal{present: true}
}
