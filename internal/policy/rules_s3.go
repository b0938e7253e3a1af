package policy

import (
	"fmt"
	"slices"
	"strings"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/mockaws"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/policy/ids"
)

var s3Rules = []Rule{
	{
		ID:          ids.S3PublicAccessBlock,
		Severity:    High,
		Description: "Every bucket has a public access block with all four settings on: blockPublicAcls, blockPublicPolicy, ignorePublicAcls, restrictPublicBuckets (FSBP S3.8).",
		Clauses:     append([]Clause{{ID: "block-present", Text: "the bucket has a BucketPublicAccessBlock"}}, publicAccessClauses()...),
		Check: func(g *Graph) []Violation {
			var out []Violation
			for _, b := range g.Buckets() {
				pabs := g.BucketParts(b, tPublicAccess)
				if len(pabs) == 0 {
					out = append(out, violation(b, "block-present", "no BucketPublicAccessBlock"))
					continue
				}
				for _, p := range pabs {
					for _, k := range publicAccessSettings {
						if !IsTrue(p.Inputs[k]) {
							out = append(out, violation(b, clauseID(k), "public access block %s does not set %s", p.Name, k))
						}
					}
				}
			}
			return out
		},
	},
	{
		ID:          ids.S3DefaultEncryption,
		Severity:    High,
		Description: "Every bucket has default server-side encryption (AES256, aws:kms or aws:kms:dsse) declared as a resource of the stack.",
		Clauses:     one("default-algorithm", "a server-side encryption configuration of the bucket sets AES256, aws:kms or aws:kms:dsse by default"),
		Check: func(g *Graph) []Violation {
			var out []Violation
			for _, b := range g.Buckets() {
				ok := false
				for _, e := range g.BucketParts(b, tEncryptionV2, tEncryption) {
					for _, rule := range List(e.Inputs["rules"]) {
						alg := Str(Get(rule, "applyServerSideEncryptionByDefault.sseAlgorithm"))
						ok = ok || slices.Contains([]string{"AES256", "aws:kms", "aws:kms:dsse"}, alg)
					}
				}
				if !ok {
					out = append(out, violation(b, "default-algorithm", "no server-side encryption configuration with a default algorithm"))
				}
			}
			return out
		},
	},
	{
		ID:          ids.S3TLSOnly,
		Severity:    High,
		Description: `Every bucket's policy denies every principal any s3 action on the bucket and its objects when aws:SecureTransport is false (FSBP S3.5).`,
		Clauses: []Clause{
			{ID: tlsDeny, Text: "a bucket policy statement denies requests when aws:SecureTransport is false"},
			{ID: tlsEveryPrincipal, Text: `the TLS deny applies to every principal ("*", no NotPrincipal)`},
			{ID: tlsEveryAction, Text: "the TLS deny applies to every s3 action (s3:* or *, no NotAction)"},
			{ID: tlsBucket, Text: "a TLS deny covers the bucket ARN itself"},
			{ID: tlsObjects, Text: "a TLS deny covers the bucket's objects (<bucket ARN>/*)"},
		},
		Check: func(g *Graph) []Violation {
			var out []Violation
			for _, b := range g.Buckets() {
				for _, p := range g.insecureTransportProblems(b) {
					out = append(out, violation(b, p.clause, "%s", p.msg))
				}
			}
			return out
		},
	},
	{
		ID:          ids.S3NoACLs,
		Severity:    Medium,
		Description: "Access to every bucket is decided by policy alone: object ownership is BucketOwnerEnforced (ACLs disabled) and no ACL or grant is declared (FSBP S3.12).",
		Clauses: []Clause{
			{ID: "owner-enforced", Text: "object ownership is BucketOwnerEnforced"},
			{ID: "no-acl-resource", Text: "no BucketAcl resource configures the bucket"},
			{ID: "no-inline-acl", Text: "the bucket declares no acl or grants"},
		},
		Check: func(g *Graph) []Violation {
			var out []Violation
			for _, b := range g.Buckets() {
				enforced := false
				for _, oc := range g.BucketParts(b, tOwnership) {
					enforced = enforced || Str(Get(oc.Inputs, "rule.objectOwnership")) == "BucketOwnerEnforced"
				}
				if !enforced {
					out = append(out, violation(b, "owner-enforced", "object ownership is not BucketOwnerEnforced, so ACLs still apply"))
				}
				for _, acl := range g.BucketParts(b, tBucketACLV2, tBucketACL) {
					out = append(out, violation(b, "no-acl-resource", "ACL resource %s grants access outside the bucket policy", acl.Name))
				}
				if b.Inputs["acl"] != nil || len(List(b.Inputs["grants"])) > 0 {
					out = append(out, violation(b, "no-inline-acl", "the bucket declares an acl or grants"))
				}
			}
			return out
		},
	},
	{
		ID:          ids.S3DataBucketVersioning,
		Severity:    Medium,
		Description: "Every data bucket (every bucket but an Athena query-result bucket) has versioning Enabled, so an overwrite or delete can be undone (FSBP S3.14).",
		Clauses:     one("versioning-enabled", "a versioning configuration of the data bucket has status Enabled"),
		Check: func(g *Graph) []Violation {
			var out []Violation
			for _, b := range g.DataBuckets() {
				on := false
				for _, v := range g.BucketParts(b, tVersioningV2, tVersioning) {
					on = on || Str(Get(v.Inputs, "versioningConfiguration.status")) == "Enabled"
				}
				if !on {
					out = append(out, violation(b, "versioning-enabled", "versioning is not Enabled"))
				}
			}
			return out
		},
	},
	{
		ID:          ids.S3DataBucketExpiry,
		Severity:    Medium,
		Description: "Every data bucket has an enabled lifecycle rule that expires current objects and one that expires noncurrent versions, so data is kept for the configured retention and no longer (FSBP S3.13).",
		Clauses: []Clause{
			{ID: "current-expiry", Text: "an enabled lifecycle rule expires current objects (expiration.days >= 1)"},
			{ID: "noncurrent-expiry", Text: "an enabled lifecycle rule expires noncurrent versions (noncurrentVersionExpiration.noncurrentDays >= 1)"},
		},
		Check: func(g *Graph) []Violation {
			var out []Violation
			for _, b := range g.DataBuckets() {
				current, noncurrent := false, false
				for _, lc := range g.BucketParts(b, tLifecycleV2, tLifecycle) {
					for _, rule := range List(lc.Inputs["rules"]) {
						if Str(Get(rule, "status")) != "Enabled" {
							continue
						}
						if d, ok := Num(Get(rule, "expiration.days")); ok && d >= 1 {
							current = true
						}
						if d, ok := Num(Get(rule, "noncurrentVersionExpiration.noncurrentDays")); ok && d >= 1 {
							noncurrent = true
						}
					}
				}
				if !current {
					out = append(out, violation(b, "current-expiry", "no enabled lifecycle rule expires objects (expiration.days)"))
				}
				if !noncurrent {
					out = append(out, violation(b, "noncurrent-expiry", "no enabled lifecycle rule expires noncurrent versions (noncurrentVersionExpiration.noncurrentDays)"))
				}
			}
			return out
		},
	},
	{
		ID:       ids.S3DataBucketRetained,
		Severity: High,
		Description: "Every data bucket is retained when the stack is destroyed (RetainOnDelete) and not force-destroyed, so `pulumi destroy` never deletes flow-log data. " +
			"Athena query-result buckets are deliberately exempt: query results are a cache that expires and can be re-created by running the query again. " +
			"Log groups and OpenSearch indices are time-bounded working copies with their own retention and are not in scope.",
		Clauses: []Clause{
			{ID: "retain-on-delete", Text: "the data bucket is RetainOnDelete"},
			{ID: "no-force-destroy", Text: "the data bucket does not set forceDestroy"},
		},
		Check: func(g *Graph) []Violation {
			var out []Violation
			for _, b := range g.DataBuckets() {
				if !b.RetainOnDelete {
					out = append(out, violation(b, "retain-on-delete", "data bucket is not RetainOnDelete: destroying the stack deletes it"))
				}
				if IsTrue(b.Inputs["forceDestroy"]) {
					out = append(out, violation(b, "no-force-destroy", "data bucket has forceDestroy: its objects are deleted with it"))
				}
			}
			return out
		},
	},
}

// publicAccessSettings are the four settings of a public access block.
var publicAccessSettings = []string{"blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"}

// clauseID turns a setting name into a clause id ("ignorePublicAcls" -> "ignore-public-acls").
func clauseID(setting string) string {
	var b strings.Builder
	for _, c := range setting {
		if c >= 'A' && c <= 'Z' {
			b.WriteByte('-')
			c += 'a' - 'A'
		}
		b.WriteRune(c)
	}
	return b.String()
}

func publicAccessClauses() []Clause {
	var out []Clause
	for _, k := range publicAccessSettings {
		out = append(out, Clause{ID: clauseID(k), Text: "the public access block sets " + k})
	}
	return out
}

// Clauses of s3-tls-only.
const (
	tlsDeny           = "tls-deny"
	tlsEveryPrincipal = "every-principal"
	tlsEveryAction    = "every-action"
	tlsBucket         = "bucket-resource"
	tlsObjects        = "object-resource"
)

type problem struct{ clause, msg string }

// insecureTransportProblems returns what keeps the policies of bucket b
// from denying every principal every S3 action on the bucket and on its
// objects without TLS, one problem per clause. The bucket and its objects
// may be denied by one statement or two; for each that no complete deny
// covers, a TLS deny that names it is blamed for its principal or action,
// and when none names it, the resource clause is.
func (g *Graph) insecureTransportProblems(b *mockaws.Resource) []problem {
	arn := Str(b.Outputs["arn"])
	var denies []Statement // Deny statements conditioned on aws:SecureTransport false
	for _, d := range g.Documents() {
		if d.Kind != ResourceBased || d.Err != nil {
			continue
		}
		if d.Resource != b && (d.Resource.Type != tBucketPolicy || !Refers(d.Resource.Inputs["bucket"], b)) {
			continue
		}
		for _, s := range d.Statements {
			if !s.Allow() && insecureTransportCondition(s) {
				denies = append(denies, s)
			}
		}
	}
	if len(denies) == 0 {
		return []problem{{tlsDeny, "no bucket policy statement denies requests when aws:SecureTransport is false"}}
	}
	everyPrincipal := func(s Statement) bool { return s.Principal.Any && !s.NotPrincipal }
	everyAction := func(s Statement) bool {
		return !s.NotAction && (slices.Contains(s.Actions, "s3:*") || slices.Contains(s.Actions, "*"))
	}
	names := func(s Statement, want string) bool { return !s.NotResource && covers(s.Resources, want) }
	var out []problem
	seen := map[string]bool{}
	blame := func(clause, msg string) {
		if !seen[clause] {
			seen[clause] = true
			out = append(out, problem{clause, msg})
		}
	}
	for _, target := range []struct{ resource, clause, what string }{
		{arn, tlsBucket, "the bucket"}, {arn + "/*", tlsObjects, "its objects"},
	} {
		var partial []Statement // TLS denies that name the target but miss a principal or action
		complete := false
		for _, s := range denies {
			switch {
			case !names(s, target.resource):
			case everyPrincipal(s) && everyAction(s):
				complete = true
			default:
				partial = append(partial, s)
			}
		}
		if complete {
			continue
		}
		if len(partial) == 0 {
			blame(target.clause, fmt.Sprintf("no aws:SecureTransport deny covers %s (%s)", target.what, target.resource))
		}
		for _, s := range partial {
			if !everyPrincipal(s) {
				blame(tlsEveryPrincipal, fmt.Sprintf(`the aws:SecureTransport deny of %s does not apply to every principal ("*")`, target.what))
			}
			if !everyAction(s) {
				blame(tlsEveryAction, fmt.Sprintf("the aws:SecureTransport deny of %s covers %v, not every s3 action (s3:*)", target.what, s.Actions))
			}
		}
	}
	return out
}

// insecureTransportCondition reports whether s applies when
// aws:SecureTransport is false (Bool condition).
func insecureTransportCondition(s Statement) bool {
	cond, _ := Get(s.Condition, "Bool").(map[string]any)
	for k, v := range cond {
		if strings.EqualFold(k, "aws:SecureTransport") && (v == false || Str(v) == "false") {
			return true
		}
	}
	return false
}

// covers reports whether one of the resource patterns is want or "*".
func covers(resources []string, want string) bool {
	return slices.Contains(resources, want) || slices.Contains(resources, "*")
}
