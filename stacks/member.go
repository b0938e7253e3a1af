package stacks

import (
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/stackconfig"
)

// DeployMember registers a member stack: the flow logs of one account and region.
func DeployMember(ctx *pulumi.Context, cfg *stackconfig.Config) (map[string]pulumi.Input, error) {
	return nil, fmt.Errorf("config %s: member stacks are not deployable in this version", stackconfig.Key("stackRole"))
}
