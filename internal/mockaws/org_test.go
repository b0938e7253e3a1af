package mockaws_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/sns"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/mockaws"
)

// getVpcs answers from the fixture as DescribeVpcs filters: tags all match,
// a filter matches any of its values.
func TestGetVpcs(t *testing.T) {
	for _, tc := range []struct {
		name string
		args ec2.GetVpcsArgs
		want []string
	}{
		{"all", ec2.GetVpcsArgs{}, []string{"vpc-0a1b2c3d4e5f60718", "vpc-0b2c3d4e5f6071829", "vpc-0c3d4e5f607182930", "vpc-0d4e5f60718293a41", "vpc-0e5f60718293a4b52"}},
		{"tags", ec2.GetVpcsArgs{Tags: map[string]string{"env": "prod", "Name": "legacy"}}, []string{"vpc-0d4e5f60718293a41"}},
		{"tag filter", ec2.GetVpcsArgs{Filters: []ec2.GetVpcsFilter{{Name: "tag:env", Values: []string{"shared", "nope"}}}}, []string{"vpc-0c3d4e5f607182930"}},
		{"none", ec2.GetVpcsArgs{Tags: map[string]string{"env": "staging"}}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			_, err := mockaws.Run(func(ctx *pulumi.Context) error {
				r, err := ec2.GetVpcs(ctx, &tc.args)
				if err == nil {
					got = r.Ids
				}
				return err
			}, "p", "s", nil)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("ids = %v, want %v", got, tc.want)
			}
		})
	}
}

// A stack reference reads the recorded outputs; an unrecorded stack fails
// naming it.
func TestStackReference(t *testing.T) {
	outs := map[string]map[string]any{"acme/p/central": {"x": "y"}}
	var got any
	m, err := mockaws.Run(func(ctx *pulumi.Context) error {
		ref, err := pulumi.NewStackReference(ctx, "acme/p/central", nil)
		if err != nil {
			return err
		}
		d, err := ref.GetOutputDetails("x")
		if err == nil {
			got = d.Value
		}
		return err
	}, "p", "s", nil, mockaws.WithStackOutputs(outs))
	if err != nil {
		t.Fatal(err)
	}
	if got != "y" {
		t.Errorf("output x = %v, want y", got)
	}
	if refs := m.ByType("pulumi:pulumi:StackReference"); len(refs) != 1 || !refs[0].Custom || len(m.Components()) != 0 {
		t.Errorf("recorded %v; want one custom StackReference and no component", refs)
	}
	_, err = mockaws.Run(func(ctx *pulumi.Context) error {
		_, err := pulumi.NewStackReference(ctx, "acme/p/other", nil)
		return err
	}, "p", "s", nil, mockaws.WithStackOutputs(outs))
	if err == nil || !strings.Contains(err.Error(), `no recorded outputs for stack "acme/p/other"`) {
		t.Errorf("unrecorded stack: %v", err)
	}
}

// WithAccount and WithRegion: the caller identity and invented ARNs are
// those of the stack's own account and region; without them, the defaults.
func TestAccountAndRegion(t *testing.T) {
	for _, tc := range []struct {
		opts            []mockaws.Option
		account, region string
	}{
		{nil, mockaws.Account, mockaws.Region},
		{[]mockaws.Option{mockaws.WithAccount("210987654321"), mockaws.WithRegion("eu-west-1")}, "210987654321", "eu-west-1"},
	} {
		var account string
		m, err := mockaws.Run(func(ctx *pulumi.Context) error {
			id, err := aws.GetCallerIdentity(ctx, nil)
			if err != nil {
				return err
			}
			account = id.AccountId
			_, err = sns.NewTopic(ctx, "alarms", nil)
			return err
		}, "p", "s", nil, tc.opts...)
		if err != nil {
			t.Fatal(err)
		}
		if account != tc.account {
			t.Errorf("account = %s, want %s", account, tc.account)
		}
		topicArn := mockaws.Str(m.ByName("alarms").Outputs["arn"])
		if want := "arn:aws:sns:" + tc.region + ":" + tc.account + ":"; !strings.HasPrefix(topicArn, want) {
			t.Errorf("topic ARN %q, want prefix %q", topicArn, want)
		}
	}
}
