// Package components holds the project's reusable Pulumi
// ComponentResources. Each one validates its own args, parents every child,
// names children from its own name and registers its outputs. None reads stack
// configuration or creates an AWS provider: pass providers with
// pulumi.Provider / pulumi.Providers resource options, and children inherit them.
package components

import (
	"fmt"
	"maps"
	"regexp"
	"slices"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/awslimits"
)

// Package is the first segment of every component type token.
const Package = "vpcflowlogs"

func typeToken(noun string) string { return Package + ":index:" + noun }

// flowLogReplacement is the option of every flow log. A flow log cannot
// change its format, traffic type, destination or aggregation interval: a
// change replaces it
// (https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-limitations.html).
// Pulumi's default replacement creates the new one before it deletes the old
// one, which needs a third flow log on a VPC that the stack already gives
// two, and EC2 allows two per VPC, not adjustable
// (https://docs.aws.amazon.com/vpc/latest/userguide/amazon-vpc-limits.html#vpc-limits-flow-logs).
// Deleting first keeps within the quota; the cost is a capture gap while
// the new flow log is created (docs/operations.md, "Changing the flow-log
// field list").
var flowLogReplacement = pulumi.DeleteBeforeReplace(true)

// awsEnv is the account, region and partition a component deploys into, read
// through the component's provider.
type awsEnv struct {
	AccountID string
	Region    string
	Partition string
	DNSSuffix string
}

func lookupEnv(ctx *pulumi.Context, parent pulumi.Resource) (awsEnv, error) {
	id, err := aws.GetCallerIdentity(ctx, &aws.GetCallerIdentityArgs{}, pulumi.Parent(parent))
	if err != nil {
		return awsEnv{}, fmt.Errorf("looking up the AWS account: %w", err)
	}
	reg, err := aws.GetRegion(ctx, &aws.GetRegionArgs{}, pulumi.Parent(parent))
	if err != nil {
		return awsEnv{}, fmt.Errorf("looking up the AWS region: %w", err)
	}
	part, err := aws.GetPartition(ctx, &aws.GetPartitionArgs{}, pulumi.Parent(parent))
	if err != nil {
		return awsEnv{}, fmt.Errorf("looking up the AWS partition: %w", err)
	}
	return awsEnv{AccountID: id.AccountId, Region: reg.Name, Partition: part.Partition, DNSSuffix: part.DnsSuffix}, nil
}

// arn builds an ARN in the env's partition.
func (e awsEnv) arn(service, region, account, resource string) string {
	return fmt.Sprintf("arn:%s:%s:%s:%s:%s", e.Partition, service, region, account, resource)
}

// servicePrincipal is the partition-correct principal of an AWS service.
func (e awsEnv) servicePrincipal(service string) string { return service + "." + e.DNSSuffix }

// NameTags returns tags plus a Name tag (unless tags already has one), as
// resource tags.
func NameTags(tags map[string]string, name string) pulumi.StringMap {
	m := pulumi.StringMap{}
	for k, v := range tags {
		m[k] = pulumi.String(v)
	}
	if _, ok := tags["Name"]; !ok && name != "" {
		m["Name"] = pulumi.String(name)
	}
	return m
}

func cloneTags(tags map[string]string) map[string]string {
	if tags == nil {
		return map[string]string{}
	}
	return maps.Clone(tags)
}

// policyJSON renders an IAM/S3/KMS policy document that may contain Outputs
// (ARNs of resources created in the same run) as a JSON string output.
func policyJSON(doc map[string]any) pulumi.StringOutput {
	return pulumi.JSONMarshal(pulumi.ToOutput(doc))
}

// statement is a shorthand for one policy statement.
type statement = map[string]any

func policy(stmts ...statement) map[string]any {
	list := make([]any, len(stmts))
	for i, s := range stmts {
		list[i] = s
	}
	return map[string]any{"Version": "2012-10-17", "Statement": list}
}

// serviceTrust is a trust policy that lets one AWS service assume a role,
// with exactly the condition that service's own documentation shows in the
// trust policy for this use (nil when it shows none). A condition key the
// service does not send when it assumes the role makes every assumption fail
// at run time, not at deploy time, so no key is added on principle; the rule
// iam-trust-source-condition (internal/policy.TrustForms) holds each service
// to its documented form and cites the page.
func serviceTrust(env awsEnv, service string, condition map[string]any) map[string]any {
	st := statement{
		"Effect":    "Allow",
		"Principal": map[string]any{"Service": env.servicePrincipal(service)},
		"Action":    "sts:AssumeRole",
	}
	if condition != nil {
		st["Condition"] = condition
	}
	return policy(st)
}

// oneOf reports a field whose value is not among the allowed ones.
func oneOf[T comparable](field string, v T, allowed []T) error {
	if slices.Contains(allowed, v) {
		return nil
	}
	return fmt.Errorf("%s: %v is not one of %v", field, v, allowed)
}

// appendErr appends err when it is not nil.
func appendErr(errs []error, err error) []error {
	if err != nil {
		return append(errs, err)
	}
	return errs
}

var arnRe = regexp.MustCompile(`^arn:aws[a-z-]*:([a-z0-9-]+):[a-z0-9-]*:[0-9]*:.+$`)

// validateArn checks an optional ARN of the given service. Every KMS ARN
// the components take names a key that also goes into an IAM policy
// statement or a service's key parameter, so for "kms" only a key ARN
// passes: "To specify a KMS key in an IAM policy statement, you must use
// its key ARN. You cannot use a key id, alias name, or alias ARN"
// (https://docs.aws.amazon.com/kms/latest/developerguide/cmks-in-iam-policies.html);
// a statement naming an alias ARN grants nothing on the key.
func validateArn(field, value, service string) error {
	if value == "" {
		return nil
	}
	m := arnRe.FindStringSubmatch(value)
	if m == nil || m[1] != service {
		return fmt.Errorf("%s: %q is not an ARN of service %s", field, value, service)
	}
	if service == "kms" && !awslimits.KMSKeyArn.MatchString(value) {
		return fmt.Errorf("%s: %q is not a KMS key ARN; allowed: arn:<partition>:kms:<region>:<account>:key/<key-id> "+
			"(a multi-Region key's id starts with mrk-), not an alias ARN: IAM policies name a key only by its key ARN", field, value)
	}
	return nil
}
