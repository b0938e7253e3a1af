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
