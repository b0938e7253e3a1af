package stacks

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/vpcflowlogs/vpc-flow-logs/components"
)

// DemoNetwork is the small VPC the program creates when the stack names no
// VPCs, so a fresh account can deploy: two private subnets in two
// Availability Zones, no internet or NAT gateway, and a default security group
// with no rules.
type DemoNetwork struct {
	pulumi.ResourceState

	VpcID     pulumi.StringOutput      `pulumi:"vpcId"`
	SubnetIDs pulumi.StringArrayOutput `pulumi:"subnetIds"`
	// Subnets are the subnet ids one by one, for components that need a count.
	Subnets []pulumi.StringOutput
	CIDR    string
}

// DemoCIDR is the demo VPC's address range; the mission's example host 10.0.0.155 lives in it.
const DemoCIDR = "10.0.0.0/16"

var demoSubnets = []string{"10.0.0.0/24", "10.0.1.0/24"}

// NewDemoNetwork creates the demo VPC.
func NewDemoNetwork(ctx *pulumi.Context, name string, tags map[string]string, opts ...pulumi.ResourceOption) (*DemoNetwork, error) {
	c := &DemoNetwork{CIDR: DemoCIDR}
	if err := ctx.RegisterComponentResource("vpcflowlogs:index:DemoNetwork", name, c, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(c)
	azs, err := aws.GetAvailabilityZones(ctx, &aws.GetAvailabilityZonesArgs{State: pulumi.StringRef("available")}, parent)
	if err != nil {
		return nil, fmt.Errorf("listing availability zones: %w", err)
	}
	if len(azs.Names) < len(demoSubnets) {
		return nil, fmt.Errorf("the demo VPC needs %d availability zones; the region has %d", len(demoSubnets), len(azs.Names))
	}
	vpc, err := ec2.NewVpc(ctx, name+"-vpc", &ec2.VpcArgs{
		CidrBlock:          pulumi.String(DemoCIDR),
		EnableDnsHostnames: pulumi.Bool(true),
		EnableDnsSupport:   pulumi.Bool(true),
		Tags:               components.NameTags(tags, name+"-vpc"),
	}, parent)
	if err != nil {
		return nil, err
	}
	// Lock the default security group down: no ingress, no egress.
	if _, err := ec2.NewDefaultSecurityGroup(ctx, name+"-default-sg", &ec2.DefaultSecurityGroupArgs{
		VpcId: vpc.ID(),
		Tags:  components.NameTags(tags, name+"-default-sg"),
	}, parent); err != nil {
		return nil, err
	}
	for i, cidr := range demoSubnets {
		sn, err := ec2.NewSubnet(ctx, fmt.Sprintf("%s-private%d", name, i), &ec2.SubnetArgs{
			VpcId:            vpc.ID(),
			CidrBlock:        pulumi.String(cidr),
			AvailabilityZone: pulumi.String(azs.Names[i]),
			Tags:             components.NameTags(tags, fmt.Sprintf("%s-private%d", name, i)),
		}, parent)
		if err != nil {
			return nil, err
		}
		c.Subnets = append(c.Subnets, sn.ID().ToStringOutput())
	}
	c.VpcID = vpc.ID().ToStringOutput()
	c.SubnetIDs = pulumi.ToStringArrayOutput(c.Subnets)
	return c, ctx.RegisterResourceOutputs(c, pulumi.Map{"vpcId": c.VpcID, "subnetIds": c.SubnetIDs})
}
