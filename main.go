// Command vpc-flow-logs is the Pulumi program that deploys VPC Flow Log
// monitoring: see README.md. All logic lives in package stacks.
package main

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/vpcflowlogs/vpc-flow-logs/stacks"
)

func main() {
	pulumi.Run(stacks.Program)
}
