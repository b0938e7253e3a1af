package components

import (
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/mockaws"
)

// bucketProtection are the settings newSecureBucket gives every bucket, by
// the suffix of their logical name and their type.
var bucketProtection = map[string]string{
	"":               "aws:s3/bucketV2:BucketV2",
	"-public-access": "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
	"-ownership":     "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
	"-encryption":    "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
	"-versioning":    "aws:s3/bucketVersioningV2:BucketVersioningV2",
	"-lifecycle":     "aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2",
	"-policy":        "aws:s3/bucketPolicy:BucketPolicy",
}

// assertBucketRetention checks that the bucket named bucket and each of its
// protective settings is (or is not) retained on destroy.
func assertBucketRetention(t *testing.T, m *mockaws.Mocks, bucket string, retained bool) {
	t.Helper()
	for suffix, typ := range bucketProtection {
		r := m.ByName(bucket + suffix)
		if r == nil || r.Type != typ {
			t.Errorf("no %s named %s%s", typ, bucket, suffix)
			continue
		}
		if r.RetainOnDelete != retained {
			t.Errorf("%s (%s): RetainOnDelete = %v, want %v", r.Name, typ, r.RetainOnDelete, retained)
		}
	}
	n := 0
	for _, r := range m.Resources {
		if r.Name == bucket || strings.HasPrefix(r.Name, bucket+"-") {
			n++
		}
	}
	if n != len(bucketProtection) {
		t.Errorf("%s has %d resources, the test knows %d: a new setting must be checked here too", bucket, n, len(bucketProtection))
	}
}

// TestRetainedBucketKeepsItsProtection: `pulumi destroy` keeps a data bucket
// and every setting that protects it, so the kept data stays private,
// encrypted, TLS-only, versioned and expiring; a query-result bucket (a
// cache) and its settings are deleted.
func TestRetainedBucketKeepsItsProtection(t *testing.T) {
	m := run(t, func(ctx *pulumi.Context) error {
		if _, err := NewFlowLogToS3(ctx, "fl", s3Args()); err != nil {
			return err
		}
		fh := firehoseArgs(FeedSubscription)
		if _, err := NewFirehosePipeline(ctx, "fh", fh); err != nil {
			return err
		}
		_, err := NewAthenaTable(ctx, "tbl", tableArgs("parquet"))
		return err
	})
	assertBucketRetention(t, m, "fl-bucket", true)
	assertBucketRetention(t, m, "fh-bucket", true)
	assertBucketRetention(t, m, "tbl-results", false)
	if b := m.ByName("tbl-results"); b == nil || b.Inputs["forceDestroy"] != true {
		t.Error("the query-result bucket is a cache: destroy empties and deletes it")
	}
	if b := m.ByName("fl-bucket"); b == nil || b.Inputs["forceDestroy"] != false {
		t.Error("a data bucket is never force-destroyed")
	}
}

// testParent is a bare component to parent the helpers' resources in tests.
type testParent struct{ pulumi.ResourceState }

// TestSecureBucketEncryptionAndExpiry: without a key a bucket is SSE-S3
// (AES256) and has no S3 Bucket Key (which applies to SSE-KMS only); with a
// key it is SSE-KMS with that key and a Bucket Key, which cuts the KMS
// requests S3 makes
// (https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucket-key.html).
// ExpirationDays 0 keeps objects (only the multipart clean-up rule); 1 or
// more adds the expiry of current and noncurrent versions after that many
// days.
func TestSecureBucketEncryptionAndExpiry(t *testing.T) {
	const key = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	for _, tc := range []struct {
		name      string
		args      secureBucketArgs
		algorithm string
		expire    float64 // 0: no expiry rule
	}{
		{"SSE-S3, kept forever", secureBucketArgs{}, "AES256", 0},
		{"SSE-KMS, one day", secureBucketArgs{KmsKeyArn: key, ExpirationDays: 1}, "aws:kms", 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := run(t, func(ctx *pulumi.Context) error {
				p := &testParent{}
				if err := ctx.RegisterComponentResource("vpcflowlogs:test:Parent", "p", p); err != nil {
					return err
				}
				_, err := newSecureBucket(ctx, "b", tc.args, p)
				return err
			})
			rule := mustGet(t, m, "b-encryption").Inputs["rules"].([]any)[0].(map[string]any)
			sse := rule["applyServerSideEncryptionByDefault"].(map[string]any)
			if sse["sseAlgorithm"] != tc.algorithm || (sse["kmsMasterKeyId"] != nil) != (tc.args.KmsKeyArn != "") {
				t.Errorf("default encryption %v, want %s with key %q", sse, tc.algorithm, tc.args.KmsKeyArn)
			}
			if got, want := rule["bucketKeyEnabled"], tc.args.KmsKeyArn != ""; got != want {
				t.Errorf("bucketKeyEnabled = %v, want %v", got, want)
			}
			rules := mustGet(t, m, "b-lifecycle").Inputs["rules"].([]any)
			var expire map[string]any
			for _, r := range rules {
				if r := r.(map[string]any); r["id"] == "expire-data" {
					expire = r
				}
			}
			switch {
			case tc.expire == 0 && (expire != nil || len(rules) != 1):
				t.Errorf("lifecycle rules %v, want only the multipart clean-up", rules)
			case tc.expire > 0 && expire == nil:
				t.Errorf("lifecycle rules %v, want an expiry after %v days", rules, tc.expire)
			case tc.expire > 0:
				if d := expire["expiration"].(map[string]any)["days"]; d != tc.expire {
					t.Errorf("expiration after %v days, want %v", d, tc.expire)
				}
				if d := expire["noncurrentVersionExpiration"].(map[string]any)["noncurrentDays"]; d != tc.expire {
					t.Errorf("noncurrent versions expire after %v days, want %v", d, tc.expire)
				}
			}
		})
	}
}
