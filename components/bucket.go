package components

import (
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/s3"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// secureBucketArgs configures the private helper that every data bucket of
// this project goes through, so they all get the same defaults.
type secureBucketArgs struct {
	// KmsKeyArn selects SSE-KMS with this key; "" means SSE-S3 (AES256).
	KmsKeyArn string
	// ExpirationDays expires current objects (and noncurrent versions) after
	// this many days; 0 keeps them forever.
	ExpirationDays int
	// Retain keeps the bucket when the stack is destroyed (data buckets),
	// and with it every setting that protects it: the public access block,
	// ownership controls, default encryption, versioning, lifecycle and the
	// TLS-only policy. Without them the kept data would sit in a bucket that
	// never expires anything and allows plain-HTTP requests.
	Retain bool
	// ExtraStatements are added to the bucket policy after the TLS-only deny;
	// they receive the bucket ARN.
	ExtraStatements func(bucketArn pulumi.StringOutput) []statement
	Tags            map[string]string
}

// secureBucket is a bucket with all four public-access blocks, bucket-owner
// enforced object ownership (no ACLs), default encryption, versioning, a
// lifecycle expiry and a policy that denies any request not made over TLS.
type secureBucket struct {
	Bucket *s3.BucketV2
	Policy *s3.BucketPolicy
}

func newSecureBucket(ctx *pulumi.Context, name string, args secureBucketArgs, parent pulumi.Resource) (*secureBucket, error) {
	// A retained bucket keeps its protective settings: each is retained too,
	// so `pulumi destroy` only forgets them (docs/deploying.md, "Destroying the stack").
	opts := []pulumi.ResourceOption{pulumi.Parent(parent), pulumi.RetainOnDelete(args.Retain)}
	bucket, err := s3.NewBucketV2(ctx, name, &s3.BucketV2Args{
		ForceDestroy: pulumi.Bool(!args.Retain),
		Tags:         NameTags(args.Tags, name),
	}, opts...)
	if err != nil {
		return nil, err
	}
	child := append([]pulumi.ResourceOption{}, opts...)

	pab, err := s3.NewBucketPublicAccessBlock(ctx, name+"-public-access", &s3.BucketPublicAccessBlockArgs{
		Bucket:                bucket.ID(),
		BlockPublicAcls:       pulumi.Bool(true),
		BlockPublicPolicy:     pulumi.Bool(true),
		IgnorePublicAcls:      pulumi.Bool(true),
		RestrictPublicBuckets: pulumi.Bool(true),
	}, child...)
	if err != nil {
		return nil, err
	}
	if _, err := s3.NewBucketOwnershipControls(ctx, name+"-ownership", &s3.BucketOwnershipControlsArgs{
		Bucket: bucket.ID(),
		Rule:   &s3.BucketOwnershipControlsRuleArgs{ObjectOwnership: pulumi.String("BucketOwnerEnforced")},
	}, child...); err != nil {
		return nil, err
	}

	sse := &s3.BucketServerSideEncryptionConfigurationV2RuleApplyServerSideEncryptionByDefaultArgs{
		SseAlgorithm: pulumi.String("AES256"),
	}
	if args.KmsKeyArn != "" {
		sse = &s3.BucketServerSideEncryptionConfigurationV2RuleApplyServerSideEncryptionByDefaultArgs{
			SseAlgorithm:   pulumi.String("aws:kms"),
			KmsMasterKeyId: pulumi.String(args.KmsKeyArn),
		}
	}
	if _, err := s3.NewBucketServerSideEncryptionConfigurationV2(ctx, name+"-encryption", &s3.BucketServerSideEncryptionConfigurationV2Args{
		Bucket: bucket.ID(),
		Rules: s3.BucketServerSideEncryptionConfigurationV2RuleArray{
			&s3.BucketServerSideEncryptionConfigurationV2RuleArgs{
				ApplyServerSideEncryptionByDefault: sse,
				BucketKeyEnabled:                   pulumi.Bool(args.KmsKeyArn != ""),
			},
		},
	}, child...); err != nil {
		return nil, err
	}

	versioning, err := s3.NewBucketVersioningV2(ctx, name+"-versioning", &s3.BucketVersioningV2Args{
		Bucket:                  bucket.ID(),
		VersioningConfiguration: &s3.BucketVersioningV2VersioningConfigurationArgs{Status: pulumi.String("Enabled")},
	}, child...)
	if err != nil {
		return nil, err
	}

	rule := &s3.BucketLifecycleConfigurationV2RuleArgs{
		Id:     pulumi.String("abort-incomplete-uploads"),
		Status: pulumi.String("Enabled"),
		Filter: &s3.BucketLifecycleConfigurationV2RuleFilterArgs{Prefix: pulumi.String("")},
		AbortIncompleteMultipartUpload: &s3.BucketLifecycleConfigurationV2RuleAbortIncompleteMultipartUploadArgs{
			DaysAfterInitiation: pulumi.Int(7),
		},
	}
	rules := s3.BucketLifecycleConfigurationV2RuleArray{rule}
	if args.ExpirationDays > 0 {
		rules = append(rules, &s3.BucketLifecycleConfigurationV2RuleArgs{
			Id:         pulumi.String("expire-data"),
			Status:     pulumi.String("Enabled"),
			Filter:     &s3.BucketLifecycleConfigurationV2RuleFilterArgs{Prefix: pulumi.String("")},
			Expiration: &s3.BucketLifecycleConfigurationV2RuleExpirationArgs{Days: pulumi.Int(args.ExpirationDays)},
			NoncurrentVersionExpiration: &s3.BucketLifecycleConfigurationV2RuleNoncurrentVersionExpirationArgs{
				NoncurrentDays: pulumi.Int(args.ExpirationDays),
			},
		})
	}
	if _, err := s3.NewBucketLifecycleConfigurationV2(ctx, name+"-lifecycle", &s3.BucketLifecycleConfigurationV2Args{
		Bucket: bucket.ID(),
		Rules:  rules,
	}, append(child, pulumi.DependsOn([]pulumi.Resource{versioning}))...); err != nil {
		return nil, err
	}

	stmts := []statement{{
		"Sid":       "DenyInsecureTransport",
		"Effect":    "Deny",
		"Principal": "*",
		"Action":    "s3:*",
		"Resource":  []any{bucket.Arn, pulumi.Sprintf("%s/*", bucket.Arn)},
		"Condition": map[string]any{"Bool": map[string]any{"aws:SecureTransport": "false"}},
	}}
	if args.ExtraStatements != nil {
		stmts = append(stmts, args.ExtraStatements(bucket.Arn)...)
	}
	pol, err := s3.NewBucketPolicy(ctx, name+"-policy", &s3.BucketPolicyArgs{
		Bucket: bucket.ID(),
		Policy: policyJSON(policy(stmts...)),
	}, append(child, pulumi.DependsOn([]pulumi.Resource{pab}))...)
	if err != nil {
		return nil, err
	}
	return &secureBucket{Bucket: bucket, Policy: pol}, nil
}
