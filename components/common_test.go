package components

import (
	"fmt"
	"maps"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// TestNameTags: the configured tags plus a Name tag of the resource's name,
// unless the tags name it already or there is no name.
func TestNameTags(t *testing.T) {
	for _, tc := range []struct {
		name string
		tags map[string]string
		res  string
		want map[string]string
	}{
		{"adds Name", map[string]string{"team": "net"}, "fl-bucket", map[string]string{"team": "net", "Name": "fl-bucket"}},
		{"keeps a configured Name", map[string]string{"Name": "flows"}, "fl-bucket", map[string]string{"Name": "flows"}},
		{"no name, no Name", map[string]string{"team": "net"}, "", map[string]string{"team": "net"}},
		{"no tags", nil, "fl-bucket", map[string]string{"Name": "fl-bucket"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want := pulumi.StringMap{}
			for k, v := range tc.want {
				want[k] = pulumi.String(v)
			}
			if got := NameTags(tc.tags, tc.res); !maps.Equal(got, want) {
				t.Errorf("NameTags(%v, %q) = %v, want %v", tc.tags, tc.res, got, want)
			}
		})
	}
}

// TestCloneTags: a copy the caller may change without touching the
// original, and an empty map (not nil, so it can be written) for none.
func TestCloneTags(t *testing.T) {
	orig := map[string]string{"team": "net"}
	c := cloneTags(orig)
	if !maps.Equal(c, orig) {
		t.Fatalf("cloneTags(%v) = %v", orig, c)
	}
	c["extra"] = "x"
	if _, ok := orig["extra"]; ok {
		t.Error("the clone shares the original's map")
	}
	if n := cloneTags(nil); n == nil || len(n) != 0 {
		t.Errorf("cloneTags(nil) = %#v, want an empty map", n)
	}
}

// TestValidateArnKMSKeyOnly: a KMS ARN argument is a key ARN or refused.
// The key lands in IAM statements (the Firehose and QuickSight roles'),
// where an alias ARN, alias name or key id grants nothing
// (https://docs.aws.amazon.com/kms/latest/developerguide/cmks-in-iam-policies.html).
func TestValidateArnKMSKeyOnly(t *testing.T) {
	for _, ok := range []string{
		"",
		"arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
		"arn:aws:kms:eu-west-1:123456789012:key/mrk-1234abcd12ab34cd56ef1234567890ab",
		"arn:aws-us-gov:kms:us-gov-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
	} {
		if err := validateArn("KmsKeyArn", ok, "kms"); err != nil {
			t.Errorf("%q refused: %v", ok, err)
		}
	}
	for _, bad := range []string{
		"arn:aws:kms:us-east-1:123456789012:alias/flowlogs",
		"arn:aws:kms:us-east-1:123456789012:key/*",
		"arn:aws:kms::123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
		"arn:aws:kms:us-east-1:1:key/1234abcd-12ab-34cd-56ef-1234567890ab",
		"arn:aws:kms:us-east-1:123456789012:key/",
	} {
		err := validateArn("KmsKeyArn", bad, "kms")
		if want := fmt.Sprintf("KmsKeyArn: %q is not a KMS key ARN; allowed: arn:<partition>:kms:<region>:<account>:key/<key-id>", bad); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: error %v, want one containing %q", bad, err, want)
		}
	}
	for _, bad := range []string{"alias/flowlogs", "1234abcd-12ab-34cd-56ef-1234567890ab", "arn:aws:s3:::flow-bucket"} {
		if err := validateArn("KmsKeyArn", bad, "kms"); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
