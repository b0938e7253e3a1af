package components

import (
	"errors"
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// OrgFlowLogBucketArgs configures OrgFlowLogBucket.
type OrgFlowLogBucketArgs struct {
	// Senders are the accounts whose flow logs may deliver into the bucket
	// (with AccountIDs, the central account's too: Accounts).
	Senders OrgSenders
	// Regions are the member regions (used with an account list, whose
	// aws:SourceArn values name account and region).
	Regions []string
	// KmsKeyArn encrypts the bucket with SSE-KMS ("" = SSE-S3); its key
	// policy must let log delivery use it for every member.
	KmsKeyArn string
	// ExpirationDays expires flow-log objects after this many days (0: never).
	ExpirationDays int
	Tags           map[string]string
}

// OrgFlowLogBucket is the central stack's flow-log bucket: the bucket every
// member's S3 flow log delivers into (a flow log in one account may name a
// bucket in another), with the log-delivery statements for the senders and
// the same protections as every data bucket of the project.
type OrgFlowLogBucket struct {
	pulumi.ResourceState

	BucketName pulumi.StringOutput `pulumi:"bucketName"`
	BucketArn  pulumi.StringOutput `pulumi:"bucketArn"`
	// Location is s3://<bucket>/AWSLogs/: the members' Hive-compatible
	// prefixes aws-account-id=<account>/aws-service=vpcflowlogs/aws-region=<region>/
	// start below it (AthenaTableArgs.Sources).
	Location pulumi.StringOutput `pulumi:"location"`
	// Accounts are the accounts the bucket policy admits with an account
	// list: the central account (this stack's) first, then the listed
	// ones, each once; nil with an organization. The table's account
	// partitions are these (not an output).
	Accounts []string
}

// withCentralAccount is accounts with the central account first, each
// account once. The central account's own VPCs are logged by a member
// stack of that account (docs/organization.md, "The central account's own
// VPCs"), whose flow logs deliver into the bucket like any member's.
func withCentralAccount(central string, accounts []string) []string {
	out := []string{central}
	for _, a := range accounts {
		if a != central {
			out = append(out, a)
		}
	}
	return out
}

// NewOrgFlowLogBucket creates the bucket and its policy.
func NewOrgFlowLogBucket(ctx *pulumi.Context, name string, args *OrgFlowLogBucketArgs, opts ...pulumi.ResourceOption) (*OrgFlowLogBucket, error) {
	if args == nil {
		return nil, errors.New("OrgFlowLogBucket: args are required")
	}
	a := *args
	var errs []error
	errs = appendErr(errs, a.Senders.validate("Senders"))
	errs = validateRegions(errs, a.Regions)
	errs = appendErr(errs, validateArn("KmsKeyArn", a.KmsKeyArn, "kms"))
	if a.ExpirationDays < 0 {
		errs = append(errs, fmt.Errorf("ExpirationDays: %d is negative", a.ExpirationDays))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("OrgFlowLogBucket %q: %w", name, err)
	}
	c := &OrgFlowLogBucket{}
	if err := ctx.RegisterComponentResource(typeToken("OrgFlowLogBucket"), name, c, opts...); err != nil {
		return nil, err
	}
	env, err := lookupEnv(ctx, c)
	if err != nil {
		return nil, err
	}
	// With an account list the central account is admitted too: without
	// a statement for it, its member stack's flow logs fail at creation, or
	// log delivery rewrites the policy of a bucket the account owns
	// (https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-s3-permissions.html).
	senders := a.Senders
	if len(senders.AccountIDs) > 0 {
		senders.AccountIDs = withCentralAccount(env.AccountID, senders.AccountIDs)
		c.Accounts = senders.AccountIDs
	}
	if a.KmsKeyArn != "" {
		if err := ctx.Log.Warn(fmt.Sprintf("bucketKmsKeyArn %s encrypts the organization flow-log bucket. This program does not own the key: "+
			"its key policy must let log delivery use it for every member (the statement of "+
			"https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-s3-cmk-policy.html with the central and the members' accounts, or aws:SourceOrgID %s, "+
			"in place of the one account), or no member's flow log reaches S3", a.KmsKeyArn, a.Senders.OrganizationID),
			&pulumi.LogArgs{Resource: c}); err != nil {
			return nil, err
		}
	}
	b, err := newSecureBucket(ctx, name, secureBucketArgs{
		KmsKeyArn:      a.KmsKeyArn,
		ExpirationDays: a.ExpirationDays,
		Retain:         true,
		Tags:           a.Tags,
		ExtraStatements: func(arn pulumi.StringOutput) []statement {
			return orgLogDeliveryStatements(env, senders, a.Regions, arn)
		},
	}, c)
	if err != nil {
		return nil, err
	}
	c.BucketName = b.Bucket.Bucket
	c.BucketArn = b.Bucket.Arn
	c.Location = pulumi.Sprintf("s3://%s/AWSLogs/", b.Bucket.Bucket)
	return c, ctx.RegisterResourceOutputs(c, pulumi.Map{
		"bucketName": c.BucketName,
		"bucketArn":  c.BucketArn,
		"location":   c.Location,
	})
}

// orgLogDeliveryStatements are the two log-delivery statements of "Amazon
// S3 bucket permissions for flow logs"
// (https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-s3-permissions.html)
// for many senders.
//
// With an organization they test aws:SourceOrgID, the organization of the
// account whose resource (the flow log) makes log delivery call S3: the
// global key is present whenever a service principal calls on behalf of a
// resource of an account in an organization, as aws:SourceAccount is
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-sourceorgid),
// so the statements name the organization once and do not grow with the
// members. The write statement covers the Hive-compatible prefix of every
// account (AWSLogs/aws-account-id=*/), since the organization's accounts
// are not listed; a member can still only write its own prefix, because
// log delivery writes under the flow log owner's account id.
//
// With an account list (the central account included, by the caller)
// they test aws:SourceAccount and aws:SourceArn
// (arn:<partition>:logs:<region>:<account>:* per member region and account)
// and allow writes under each account's prefix only.
func orgLogDeliveryStatements(env awsEnv, s OrgSenders, regions []string, bucketArn pulumi.StringOutput) []statement {
	principal := map[string]any{"Service": env.servicePrincipal("delivery.logs")}
	var check, write map[string]any
	var writeResource any
	if s.OrganizationID != "" {
		check = map[string]any{"StringEquals": map[string]any{"aws:SourceOrgID": s.OrganizationID}}
		write = map[string]any{"StringEquals": map[string]any{
			"aws:SourceOrgID": s.OrganizationID,
			"s3:x-amz-acl":    "bucket-owner-full-control",
		}}
		writeResource = pulumi.Sprintf("%s/AWSLogs/aws-account-id=*/*", bucketArn)
	} else {
		var sources []any
		var prefixes []any
		for _, acct := range s.AccountIDs {
			for _, r := range regions {
				sources = append(sources, env.arn("logs", r, acct, "*"))
			}
			prefixes = append(prefixes, pulumi.Sprintf("%s/AWSLogs/aws-account-id=%s/*", bucketArn, acct))
		}
		check = map[string]any{
			"StringEquals": map[string]any{"aws:SourceAccount": s.accountList()},
			"ArnLike":      map[string]any{"aws:SourceArn": sources},
		}
		write = map[string]any{
			"StringEquals": map[string]any{"aws:SourceAccount": s.accountList(), "s3:x-amz-acl": "bucket-owner-full-control"},
			"ArnLike":      map[string]any{"aws:SourceArn": sources},
		}
		writeResource = prefixes
	}
	return []statement{
		{
			"Sid":       "AWSLogDeliveryAclCheck",
			"Effect":    "Allow",
			"Principal": principal,
			"Action":    []any{"s3:GetBucketAcl", "s3:ListBucket"},
			"Resource":  bucketArn,
			"Condition": check,
		},
		{
			"Sid":       "AWSLogDeliveryWrite",
			"Effect":    "Allow",
			"Principal": principal,
			"Action":    "s3:PutObject",
			"Resource":  writeResource,
			"Condition": write,
		},
	}
}
