package stacks

import (
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/stackconfig"
)

// DeployCentral registers the central (log-archive) stack of an organization.
func DeployCentral(ctx *pulumi.Context, cfg *stackconfig.Config) (map[string]pulumi.Input, error) {
	return nil, fmt.Errorf("config %s: central stacks are not deployable in this version", stackconfig.Key("stackRole"))
}
