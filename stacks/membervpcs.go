package stacks

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	ec2sdk "github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/config"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/awslimits"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/mockaws"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/stackconfig"
)

// MaxFlowLogsPerVPC is EC2's limit of flow logs per VPC, not adjustable
// (https://docs.aws.amazon.com/vpc/latest/userguide/amazon-vpc-limits.html#vpc-limits-flow-logs).
const MaxFlowLogsPerVPC = awslimits.MaxFlowLogsPerResource

// MemberVpcs is what a member stack's VPC selection found (stack output
// memberVpcs): every VPC the selection matched, the ones the stack
// monitors, and the skipped ones with the reason.
type MemberVpcs struct {
	Found     []string     `json:"found"`
	Monitored []string     `json:"monitored"`
	Skipped   []SkippedVpc `json:"skipped"`
}

// SkippedVpc is a VPC the selection matched but the stack does not monitor.
type SkippedVpc struct {
	ID     string `json:"id"`
	Reason string `json:"reason"`
}

// Output is the memberVpcs stack output.
func (v MemberVpcs) Output() pulumi.Map {
	skipped := pulumi.Array{}
	for _, s := range v.Skipped {
		skipped = append(skipped, pulumi.StringMap{"id": pulumi.String(s.ID), "reason": pulumi.String(s.Reason)})
	}
	return pulumi.Map{
		"found":     pulumi.ToStringArray(nonNil(v.Found)),
		"monitored": pulumi.ToStringArray(nonNil(v.Monitored)),
		"skipped":   skipped,
	}
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// existingFlowLog is a flow log a VPC already has.
type existingFlowLog struct {
	ID    string
	VpcID string
	Tags  map[string]string
}

// selectVpcs resolves a member's VPC selection in its account and region,
// on every preview and update: ec2.getVpcs lists the VPCs (all, or those
// with includeTags), excludeTags and excludeIds drop some, and a VPC whose
// flow logs of other owners leave fewer free places than the stack needs
// (perVpc flow logs each) is skipped, not failed: EC2 allows
// MaxFlowLogsPerVPC per VPC. The stack's own flow logs (tags project and
// stack) do not count: they are the ones it keeps.
func selectVpcs(ctx *pulumi.Context, sel *stackconfig.VpcSelector, perVpc int, find func([]string) ([]existingFlowLog, error)) (MemberVpcs, error) {
	var out MemberVpcs
	args := &ec2.GetVpcsArgs{}
	if !sel.All {
		args.Tags = sel.IncludeTags
	}
	found, err := ec2.GetVpcs(ctx, args)
	if err != nil {
		return out, fmt.Errorf("listing the VPCs (%s): %w", stackconfig.Key("vpcSelector"), err)
	}
	ids := slices.Clone(found.Ids)
	sort.Strings(ids)
	out.Found = ids
	skipped := map[string]string{}
	for _, id := range sel.ExcludeIDs {
		if slices.Contains(ids, id) {
			skipped[id] = "excluded by id (vpcSelector.excludeIds)"
		}
	}
	for _, k := range sortedTagKeys(sel.ExcludeTags) {
		v := sel.ExcludeTags[k]
		tagged, err := ec2.GetVpcs(ctx, &ec2.GetVpcsArgs{Filters: []ec2.GetVpcsFilter{{Name: "tag:" + k, Values: []string{v}}}})
		if err != nil {
			return out, fmt.Errorf("listing the VPCs tagged %s=%s (vpcSelector.excludeTags): %w", k, v, err)
		}
		for _, id := range tagged.Ids {
			if _, done := skipped[id]; !done && slices.Contains(ids, id) {
				skipped[id] = fmt.Sprintf("excluded by tag %s=%s (vpcSelector.excludeTags)", k, v)
			}
		}
	}
	var candidates []string
	for _, id := range ids {
		if _, ok := skipped[id]; !ok {
			candidates = append(candidates, id)
		}
	}
	if len(candidates) > 0 {
		logs, err := find(candidates)
		if err != nil {
			return out, fmt.Errorf("listing the flow logs of the selected VPCs: %w", err)
		}
		others := map[string][]string{}
		for _, fl := range logs {
			if ownFlowLog(ctx, fl.Tags) {
				continue
			}
			others[fl.VpcID] = append(others[fl.VpcID], fl.ID)
		}
		for _, id := range candidates {
			if n := len(others[id]); n+perVpc > MaxFlowLogsPerVPC {
				sort.Strings(others[id])
				skipped[id] = fmt.Sprintf("already has %d flow log(s) of another owner (%s); this stack adds %d and EC2 allows %d per VPC",
					n, strings.Join(others[id], ", "), perVpc, MaxFlowLogsPerVPC)
				continue
			}
			out.Monitored = append(out.Monitored, id)
		}
	}
	for _, id := range ids {
		if r, ok := skipped[id]; ok {
			out.Skipped = append(out.Skipped, SkippedVpc{ID: id, Reason: r})
		}
	}
	return out, nil
}

// ownFlowLog reports whether a flow log carries this stack's tags (every
// flow log the program declares is tagged project and stack).
func ownFlowLog(ctx *pulumi.Context, tags map[string]string) bool {
	return tags["project"] == stackconfig.Namespace && tags["stack"] == ctx.Stack()
}

func sortedTagKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// flowLogFinder returns how the stack lists the flow logs of VPCs. The aws
// provider (pulumi-aws v6.83.4) has no data source for flow logs, so a real
// run asks EC2 DescribeFlowLogs itself, with the aws provider's region and
// credentials (describeFlowLogs); under Pulumi's mocks, which have no AWS
// to ask, the mocks answer an invoke (mockaws.FlowLogsToken).
func flowLogFinder(ctx *pulumi.Context, region, account string) func([]string) ([]existingFlowLog, error) {
	if ctx.RunningWithMocks() {
		return func(ids []string) ([]existingFlowLog, error) { return mockFlowLogs(ctx, ids) }
	}
	return func(ids []string) ([]existingFlowLog, error) { return describeFlowLogs(ctx, region, account, ids) }
}

func mockFlowLogs(ctx *pulumi.Context, ids []string) ([]existingFlowLog, error) {
	var res struct {
		FlowLogs []struct {
			ID    string            `pulumi:"id"`
			VpcID string            `pulumi:"vpcId"`
			Tags  map[string]string `pulumi:"tags"`
		} `pulumi:"flowLogs"`
	}
	if err := ctx.Invoke(mockaws.FlowLogsToken, map[string]any{"vpcIds": ids}, &res); err != nil {
		return nil, err
	}
	var out []existingFlowLog
	for _, fl := range res.FlowLogs {
		out = append(out, existingFlowLog{ID: fl.ID, VpcID: fl.VpcID, Tags: fl.Tags})
	}
	return out, nil
}

// describeFlowLogsBatch bounds the VPC ids of one DescribeFlowLogs filter.
const describeFlowLogsBatch = 100

// describeFlowLogs lists the flow logs of the VPCs with EC2 DescribeFlowLogs
// (filter resource-id,
// https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeFlowLogs.html).
// Credentials come from the aws provider's config of the stack (aws:profile,
// aws:accessKey/aws:secretKey/aws:token, aws:assumeRole) or the default
// chain, and the endpoints from aws:endpoints (ec2, sts), as the provider's; a credential of another account than the
// provider's is refused, since DescribeFlowLogs of VPCs one cannot see
// answers "none" rather than an error.
func describeFlowLogs(ctx *pulumi.Context, region, account string, ids []string) ([]existingFlowLog, error) {
	c := ctx.Context()
	opts := []func(*awsconfig.LoadOptions) error{awsconfig.WithRegion(region)}
	aws := config.New(ctx, "aws")
	if p := aws.Get("profile"); p != "" {
		opts = append(opts, awsconfig.WithSharedConfigProfile(p))
	}
	if k, s := aws.Get("accessKey"), aws.Get("secretKey"); k != "" && s != "" {
		opts = append(opts, awsconfig.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(k, s, aws.Get("token"))))
	}
	cfg, err := awsconfig.LoadDefaultConfig(c, opts...)
	if err != nil {
		return nil, fmt.Errorf("loading AWS credentials: %w", err)
	}
	// The provider's custom endpoints (aws:endpoints, a list of objects of
	// service name to URL) apply to these calls too.
	endpoints := map[string]string{}
	if raw := aws.Get("endpoints"); raw != "" {
		var list []map[string]string
		if err := json.Unmarshal([]byte(raw), &list); err != nil {
			return nil, fmt.Errorf("aws:endpoints %s: not a list of objects of service name to URL", raw)
		}
		for _, m := range list {
			for k, v := range m {
				endpoints[k] = v
			}
		}
	}
	stsOpts := func(o *sts.Options) {
		if u := endpoints["sts"]; u != "" {
			o.BaseEndpoint = awssdk.String(u)
		}
	}
	if raw := aws.Get("assumeRole"); raw != "" {
		var ar struct {
			RoleArn     string `json:"roleArn"`
			SessionName string `json:"sessionName"`
			ExternalID  string `json:"externalId"`
		}
		if err := json.Unmarshal([]byte(raw), &ar); err != nil || ar.RoleArn == "" {
			return nil, fmt.Errorf("aws:assumeRole %s: not an object with roleArn", raw)
		}
		cfg.Credentials = awssdk.NewCredentialsCache(stscreds.NewAssumeRoleProvider(sts.NewFromConfig(cfg, stsOpts), ar.RoleArn, func(o *stscreds.AssumeRoleOptions) {
			if ar.SessionName != "" {
				o.RoleSessionName = ar.SessionName
			}
			if ar.ExternalID != "" {
				o.ExternalID = awssdk.String(ar.ExternalID)
			}
		}))
	}
	who, err := sts.NewFromConfig(cfg, stsOpts).GetCallerIdentity(c, &sts.GetCallerIdentityInput{})
	if err != nil {
		return nil, fmt.Errorf("checking the AWS account of the credentials: %w", err)
	}
	if got := awssdk.ToString(who.Account); got != account {
		return nil, fmt.Errorf("the credentials the program finds are of account %s, the aws provider's of account %s: set aws:profile or aws:assumeRole so that both are the member account's", got, account)
	}
	client := ec2sdk.NewFromConfig(cfg, func(o *ec2sdk.Options) {
		if u := endpoints["ec2"]; u != "" {
			o.BaseEndpoint = awssdk.String(u)
		}
	})
	var out []existingFlowLog
	for start := 0; start < len(ids); start += describeFlowLogsBatch {
		batch := ids[start:min(start+describeFlowLogsBatch, len(ids))]
		p := ec2sdk.NewDescribeFlowLogsPaginator(client, &ec2sdk.DescribeFlowLogsInput{
			Filter: []ec2types.Filter{{Name: awssdk.String("resource-id"), Values: batch}},
		})
		for p.HasMorePages() {
			page, err := p.NextPage(c)
			if err != nil {
				return nil, fmt.Errorf("DescribeFlowLogs: %w", err)
			}
			for _, fl := range page.FlowLogs {
				tags := map[string]string{}
				for _, t := range fl.Tags {
					tags[awssdk.ToString(t.Key)] = awssdk.ToString(t.Value)
				}
				out = append(out, existingFlowLog{ID: awssdk.ToString(fl.FlowLogId), VpcID: awssdk.ToString(fl.ResourceId), Tags: tags})
			}
		}
	}
	return out, nil
}

// flowLogsPerVpc is how many flow logs a member stack gives each VPC: the
// CloudWatch Logs one (alarms, Contributor Insights and the subscription to
// the central destination) and, with s3-athena, the S3 one into the central
// bucket.
func flowLogsPerVpc(archs []stackconfig.Architecture) int {
	if slices.Contains(archs, stackconfig.S3Athena) {
		return 2
	}
	return 1
}
