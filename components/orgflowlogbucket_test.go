package components

import (
	"slices"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

func orgFlowLogBucketArgs(s OrgSenders) *OrgFlowLogBucketArgs {
	return &OrgFlowLogBucketArgs{
		Senders: s,
		Regions: []string{"us-east-1", "eu-west-1"},
		Tags:    map[string]string{"team": "net"},
	}
}

// TestOrgFlowLogBucket: the bucket is a retained secure bucket (its
// protections are secureBucket's, tested in bucket_test.go) whose policy
// holds, besides TLS only, the two log-delivery statements of
// https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-s3-permissions.html
// for every sender: with an organization, aws:SourceOrgID and a write to
// any account's Hive-compatible prefix; with accounts, aws:SourceAccount
// and aws:SourceArn (each account in each member region) and a write to
// each account's prefix only. The accounts are the central account (the
// caller's, 123456789012 under the mocks: its VPCs are logged by a member
// stack of that account, docs/organization.md) and the listed ones, each
// once; Accounts says which.
func TestOrgFlowLogBucket(t *testing.T) {
	// The bucket's ARN, which the mocks derive from its auto-name, stands
	// for BUCKET in the expected statements.
	const bucketArn = "BUCKET"
	const (
		listedCheck = `{"ArnLike":{"aws:SourceArn":["arn:aws:logs:us-east-1:123456789012:*","arn:aws:logs:eu-west-1:123456789012:*",` +
			`"arn:aws:logs:us-east-1:111122223333:*","arn:aws:logs:eu-west-1:111122223333:*",` +
			`"arn:aws:logs:us-east-1:444455556666:*","arn:aws:logs:eu-west-1:444455556666:*"]},` +
			`"StringEquals":{"aws:SourceAccount":["123456789012","111122223333","444455556666"]}}`
		listedWrite = `{"ArnLike":{"aws:SourceArn":["arn:aws:logs:us-east-1:123456789012:*","arn:aws:logs:eu-west-1:123456789012:*",` +
			`"arn:aws:logs:us-east-1:111122223333:*","arn:aws:logs:eu-west-1:111122223333:*",` +
			`"arn:aws:logs:us-east-1:444455556666:*","arn:aws:logs:eu-west-1:444455556666:*"]},` +
			`"StringEquals":{"aws:SourceAccount":["123456789012","111122223333","444455556666"],"s3:x-amz-acl":"bucket-owner-full-control"}}`
		listedResource = `["` + bucketArn + `/AWSLogs/aws-account-id=123456789012/*","` + bucketArn + `/AWSLogs/aws-account-id=111122223333/*","` +
			bucketArn + `/AWSLogs/aws-account-id=444455556666/*"]`
	)
	for _, tc := range []struct {
		name    string
		senders OrgSenders
		// conditions of the ACL check and of the write, and the write's resource, as JSON
		check, write, resource string
		accounts               []string // Accounts
	}{
		{
			"organization", OrgSenders{OrganizationID: "o-abcdefghij"},
			`{"StringEquals":{"aws:SourceOrgID":"o-abcdefghij"}}`,
			`{"StringEquals":{"aws:SourceOrgID":"o-abcdefghij","s3:x-amz-acl":"bucket-owner-full-control"}}`,
			`"` + bucketArn + `/AWSLogs/aws-account-id=*/*"`,
			nil,
		},
		{
			"accounts", OrgSenders{AccountIDs: []string{"111122223333", "444455556666"}},
			listedCheck, listedWrite, listedResource,
			[]string{"123456789012", "111122223333", "444455556666"},
		},
		{
			"accounts with the central one listed", OrgSenders{AccountIDs: []string{"111122223333", "123456789012", "444455556666"}},
			listedCheck, listedWrite, listedResource,
			[]string{"123456789012", "111122223333", "444455556666"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var c *OrgFlowLogBucket
			m := run(t, func(ctx *pulumi.Context) error {
				var err error
				c, err = NewOrgFlowLogBucket(ctx, "org-flow-logs", orgFlowLogBucketArgs(tc.senders))
				return err
			})
			comp, _ := ownNamedComponent(t, m, "vpcflowlogs:index:OrgFlowLogBucket", "org-flow-logs")
			bucket := onlyOf(t, m, "aws:s3/bucketV2:BucketV2")
			if bucket.Parent != comp.URN || !bucket.RetainOnDelete || bucket.Inputs["forceDestroy"] != false {
				t.Errorf("bucket: parent %s, retained %v, forceDestroy %v; want the component's, retained, not force-destroyed",
					bucket.Parent, bucket.RetainOnDelete, bucket.Inputs["forceDestroy"])
			}
			if got := mustJSON(t, bucket.Inputs["tags"]); got != `{"Name":"org-flow-logs","team":"net"}` {
				t.Errorf("bucket tags = %s", got)
			}
			arn := str(bucket.Outputs["arn"])
			if !strings.HasPrefix(arn, "arn:aws:s3:::org-flow-logs") {
				t.Fatalf("mocked bucket ARN %q", arn)
			}
			pol := mustGet(t, m, "org-flow-logs-policy")
			pol.Inputs["policy"] = strings.ReplaceAll(pol.Input("policy"), arn, bucketArn)
			doc := policyDoc(t, pol, "policy")
			var sids []string
			for _, s := range doc["Statement"].([]any) {
				sids = append(sids, str(asMap(s)["Sid"]))
			}
			slices.Sort(sids)
			if got := strings.Join(sids, " "); got != "AWSLogDeliveryAclCheck AWSLogDeliveryWrite DenyInsecureTransport" {
				t.Errorf("statements %s", got)
			}
			check := statementBySid(t, doc, "AWSLogDeliveryAclCheck")
			write := statementBySid(t, doc, "AWSLogDeliveryWrite")
			for _, st := range []map[string]any{check, write} {
				if st["Effect"] != "Allow" || mustJSON(t, st["Principal"]) != `{"Service":"delivery.logs.amazonaws.com"}` {
					t.Errorf("%s: effect %v, principal %v", st["Sid"], st["Effect"], st["Principal"])
				}
			}
			if got := mustJSON(t, check["Action"]); got != `["s3:GetBucketAcl","s3:ListBucket"]` || check["Resource"] != bucketArn {
				t.Errorf("ACL check: action %s on %v", got, check["Resource"])
			}
			if got := mustJSON(t, check["Condition"]); got != tc.check {
				t.Errorf("ACL check condition = %s, want %s", got, tc.check)
			}
			if write["Action"] != "s3:PutObject" {
				t.Errorf("write action %v", write["Action"])
			}
			if got := mustJSON(t, write["Resource"]); got != tc.resource {
				t.Errorf("write resource = %s, want %s", got, tc.resource)
			}
			if got := mustJSON(t, write["Condition"]); got != tc.write {
				t.Errorf("write condition = %s, want %s", got, tc.write)
			}

			for _, o := range []struct {
				name      string
				got, want any
			}{
				{"BucketName", await(t, c.BucketName), bucket.Outputs["bucket"]},
				{"BucketArn", await(t, c.BucketArn), arn},
				{"Location", await(t, c.Location), "s3://" + str(bucket.Outputs["bucket"]) + "/AWSLogs/"},
			} {
				if o.got != o.want || o.got == "" {
					t.Errorf("%s = %v, want %v", o.name, o.got, o.want)
				}
			}
			if !slices.Equal(c.Accounts, tc.accounts) {
				t.Errorf("Accounts = %v, want %v", c.Accounts, tc.accounts)
			}
		})
	}
}

// With a key the bucket is encrypted with it and the run warns, once, that
// the key policy (which this program does not own) must let log delivery
// use the key for every member
// (https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-s3-cmk-policy.html);
// without a key nothing is said.
func TestOrgFlowLogBucketKeyWarning(t *testing.T) {
	const key = "arn:aws:kms:us-east-1:123456789012:key/abcd"
	for _, tc := range []struct {
		name, key string
		warnings  int
	}{
		{"SSE-S3", "", 0},
		{"SSE-KMS", key, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			warnings := &warnRecorder{}
			m := run(t, func(ctx *pulumi.Context) error {
				warnings.Log = ctx.Log
				ctx.Log = warnings
				a := orgFlowLogBucketArgs(OrgSenders{OrganizationID: "o-abcdefghij"})
				a.KmsKeyArn = tc.key
				_, err := NewOrgFlowLogBucket(ctx, "org-flow-logs", a)
				return err
			})
			if len(warnings.msgs) != tc.warnings {
				t.Fatalf("warnings = %q, want %d", warnings.msgs, tc.warnings)
			}
			if tc.warnings == 1 {
				w := warnings.msgs[0]
				for _, want := range []string{key, "aws:SourceOrgID o-abcdefghij", "https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-s3-cmk-policy.html"} {
					if !strings.Contains(w, want) {
						t.Errorf("warning %q lacks %q", w, want)
					}
				}
			}
			// The run goes on past the warning: the bucket is encrypted
			// with the key, and its policy is there.
			rule := asMap(mustGet(t, m, "org-flow-logs-encryption").Inputs["rules"].([]any)[0])
			sse := asMap(rule["applyServerSideEncryptionByDefault"])
			if want := map[bool]string{true: "aws:kms", false: "AES256"}[tc.key != ""]; sse["sseAlgorithm"] != want || str(sse["kmsMasterKeyId"]) != tc.key {
				t.Errorf("encryption = %v, want %s with key %q", sse, want, tc.key)
			}
			mustGet(t, m, "org-flow-logs-policy")
		})
	}
}

// Bad arguments fail before anything is registered, naming the field; an
// expiry of 0 days (never) is the lower bound.
func TestOrgFlowLogBucketRejectsBadArgs(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(*OrgFlowLogBucketArgs)
		want string
	}{
		{"no senders", func(a *OrgFlowLogBucketArgs) { a.Senders = OrgSenders{} }, "Senders: OrganizationID or AccountIDs is required"},
		{"no regions", func(a *OrgFlowLogBucketArgs) { a.Regions = nil }, "Regions: at least one member region"},
		{"not a region", func(a *OrgFlowLogBucketArgs) { a.Regions = []string{"eu-west-1", "eu-west"} }, `Regions[1]: "eu-west" is not a region name`},
		{"key not KMS", func(a *OrgFlowLogBucketArgs) { a.KmsKeyArn = "arn:aws:s3:::bucket" }, "KmsKeyArn"},
		{"negative expiry", func(a *OrgFlowLogBucketArgs) { a.ExpirationDays = -1 }, "ExpirationDays: -1 is negative"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := orgFlowLogBucketArgs(OrgSenders{OrganizationID: "o-abcdefghij"})
			tc.edit(args)
			refused(t, func(ctx *pulumi.Context) error {
				_, err := NewOrgFlowLogBucket(ctx, "org-flow-logs", args)
				return err
			}, tc.want, `OrgFlowLogBucket "org-flow-logs"`)
		})
	}
	for _, days := range []int{0, 1} {
		args := orgFlowLogBucketArgs(OrgSenders{OrganizationID: "o-abcdefghij"})
		args.ExpirationDays = days
		run(t, func(ctx *pulumi.Context) error {
			_, err := NewOrgFlowLogBucket(ctx, "org-flow-logs", args)
			return err
		})
	}
	refused(t, func(ctx *pulumi.Context) error {
		_, err := NewOrgFlowLogBucket(ctx, "org-flow-logs", nil)
		return err
	}, "args are required")
}
