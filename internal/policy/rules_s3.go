package policy

import (
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
		Check: func(g *Graph) []Violation {
			var out []Violation
			for _, b := range g.Buckets() {
				pabs := g.BucketParts(b, tPublicAccess)
				if len(pabs) == 0 {
					out = append(out, violation(b, "no BucketPublicAccessBlock"))
					continue
				}
				for _, p := range pabs {
					var off []string
					for _, k := range []string{"blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"} {
						if !IsTrue(p.Inputs[k]) {
							off = append(off, k)
						}
					}
					if len(off) > 0 {
						out = append(out, violation(b, "public access block %s does not set %s", p.Name, strings.Join(off, ", ")))
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
					out = append(out, violation(b, "no server-side encryption configuration with a default algorithm"))
				}
			}
			return out
		},
	},
	{
		ID:          ids.S3TLSOnly,
		Severity:    High,
		Description: `Every bucket's policy denies every principal any s3 action on the bucket and its objects when aws:SecureTransport is false (FSBP S3.5).`,
		Check: func(g *Graph) []Violation {
			var out []Violation
			for _, b := range g.Buckets() {
				if !g.bucketDeniesInsecureTransport(b) {
					out = append(out, violation(b, `no bucket policy statement denies "*" s3:* on the bucket and its objects when aws:SecureTransport is false`))
				}
			}
			return out
		},
	},
	{
		ID:          ids.S3NoACLs,
		Severity:    Medium,
		Description: "Access to every bucket is decided by policy alone: object ownership is BucketOwnerEnforced (ACLs disabled) and no ACL or grant is declared (FSBP S3.12).",
		Check: func(g *Graph) []Violation {
			var out []Violation
			for _, b := range g.Buckets() {
				enforced := false
				for _, oc := range g.BucketParts(b, tOwnership) {
					enforced = enforced || Str(Get(oc.Inputs, "rule.objectOwnership")) == "BucketOwnerEnforced"
				}
				if !enforced {
					out = append(out, violation(b, "object ownership is not BucketOwnerEnforced, so ACLs still apply"))
				}
				for _, acl := range g.BucketParts(b, tBucketACLV2, tBucketACL) {
					out = append(out, violation(b, "ACL resource %s grants access outside the bucket policy", acl.Name))
				}
				if b.Inputs["acl"] != nil || len(List(b.Inputs["grants"])) > 0 {
					out = append(out, violation(b, "the bucket declares an acl or grants"))
				}
			}
			return out
		},
	},
	{
		ID:          ids.S3DataBucketVersioning,
		Severity:    Medium,
		Description: "Every data bucket (every bucket but an Athena query-result bucket) has versioning Enabled, so an overwrite or delete can be undone (FSBP S3.14).",
		Check: func(g *Graph) []Violation {
			var out []Violation
			for _, b := range g.DataBuckets() {
				on := false
				for _, v := range g.BucketParts(b, tVersioningV2, tVersioning) {
					on = on || Str(Get(v.Inputs, "versioningConfiguration.status")) == "Enabled"
				}
				if !on {
					out = append(out, violation(b, "versioning is not Enabled"))
				}
			}
			return out
		},
	},
	{
		ID:          ids.S3DataBucketExpiry,
		Severity:    Medium,
		Description: "Every data bucket has an enabled lifecycle rule that expires current objects and one that expires noncurrent versions, so data is kept for the configured retention and no longer (FSBP S3.13).",
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
					out = append(out, violation(b, "no enabled lifecycle rule expires objects (expiration.days)"))
				}
				if !noncurrent {
					out = append(out, violation(b, "no enabled lifecycle rule expires noncurrent versions (noncurrentVersionExpiration.noncurrentDays)"))
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
		Check: func(g *Graph) []Violation {
			var out []Violation
			for _, b := range g.DataBuckets() {
				if !b.RetainOnDelete {
					out = append(out, violation(b, "data bucket is not RetainOnDelete: destroying the stack deletes it"))
				}
				if IsTrue(b.Inputs["forceDestroy"]) {
					out = append(out, violation(b, "data bucket has forceDestroy: its objects are deleted with it"))
				}
			}
			return out
		},
	},
}

// bucketDeniesInsecureTransport reports whether a policy of bucket b denies
// any principal every S3 action on the bucket and its objects without TLS.
func (g *Graph) bucketDeniesInsecureTransport(b *mockaws.Resource) bool {
	arn := Str(b.Outputs["arn"])
	var docs []Document
	for _, d := range g.Documents() {
		if d.Kind != ResourceBased || d.Err != nil {
			continue
		}
		if d.Resource == b || (d.Resource.Type == tBucketPolicy && Refers(d.Resource.Inputs["bucket"], b)) {
			docs = append(docs, d)
		}
	}
	for _, d := range docs {
		for _, s := range d.Statements {
			if s.Allow() || s.NotAction || s.NotResource || s.NotPrincipal || !s.Principal.Any {
				continue
			}
			if !slices.Contains(s.Actions, "s3:*") && !slices.Contains(s.Actions, "*") {
				continue
			}
			if !covers(s.Resources, arn) || !covers(s.Resources, arn+"/*") {
				continue
			}
			cond, _ := Get(s.Condition, "Bool").(map[string]any)
			for k, v := range cond {
				if strings.EqualFold(k, "aws:SecureTransport") && (v == false || Str(v) == "false") {
					return true
				}
			}
		}
	}
	return false
}

// covers reports whether one of the resource patterns is want or "*".
func covers(resources []string, want string) bool {
	return slices.Contains(resources, want) || slices.Contains(resources, "*")
}
