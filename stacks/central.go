package stacks

import (
	"fmt"
	"slices"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/vpcflowlogs/vpc-flow-logs/components"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/flowlog"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/stackconfig"
)

// The central stack's outputs that member stacks read through a stack
// reference (docs/organization.md, "Central stack outputs").
const (
	OutOrgArchitectures        = "orgArchitectures"
	OutOrgFlowLogFormat        = "orgFlowLogFormat"
	OutOrgS3Destination        = "orgS3Destination"
	OutOrgLogDestinationArns   = "orgLogDestinationArns"
	OutOrgAlarmEventBusArn     = "orgAlarmEventBusArn"
	OutOrgAlarmTopicArn        = "orgAlarmTopicArn"
	OutOrgStreamName           = "orgStreamName"
	OutOrgStreamRetentionHours = "orgStreamRetentionHours"
)

// Central is what a central stack adds to Shared: the receiving side of the
// organization that the architectures read from.
type Central struct {
	// Senders are the organization or the member accounts.
	Senders components.OrgSenders
	// Region is the central stack's region; Regions are the member regions
	// (memberRegions, or Region alone).
	Region  string
	Regions []string
	// Stream is the organization stream the OpenSearch indexer and the
	// Firehose forwarder read (nil when no CloudWatch Logs architecture is
	// enabled).
	Stream *components.OrgLogStream
	// OpenSearchVpcID is the VPC of opensearchSubnetIds (nil when the demo
	// network holds OpenSearch).
	OpenSearchVpcID pulumi.StringInput
}

// DestinationName is the name of the central stack's CloudWatch Logs
// destination in every member region (unique per account and region).
func DestinationName(stack string) string { return stackconfig.Namespace + "-" + stack }

// AlarmBusName is the name of the central stack's alarm event bus.
func AlarmBusName(stack string) string { return stackconfig.Namespace + "-" + stack + "-alarms" }

// usesStream reports whether an enabled architecture reads the members'
// CloudWatch Logs log groups (through the destinations and the stream).
func usesStream(cfg *stackconfig.Config) bool {
	return cfg.Enabled(stackconfig.CloudWatchOpenSearch) || cfg.Enabled(stackconfig.FirehoseAthena)
}

// DeployCentral registers the central (log-archive) stack of an
// organization: the receiving side of every enabled architecture, fed by
// the member stacks (docs/organization.md). It declares no flow log: the
// central account's own VPCs are a member stack of that account.
//
//   - s3-athena: the organization bucket every member's S3 flow log
//     delivers into, and the table over all of them (account and region
//     partitions);
//   - cloudwatch-opensearch and firehose-athena: the organization stream,
//     a CloudWatch Logs destination in each member region, and the indexer
//     and forwarder reading the stream;
//   - alarms: the alarm topic and the event bus the members forward their
//     alarms' state changes to.
func DeployCentral(ctx *pulumi.Context, cfg *stackconfig.Config) (map[string]pulumi.Input, error) {
	sh := newShared(ctx, cfg)
	reg, err := aws.GetRegion(ctx, &aws.GetRegionArgs{})
	if err != nil {
		return nil, fmt.Errorf("looking up the central stack's region: %w", err)
	}
	c := &Central{
		Senders: components.OrgSenders{OrganizationID: cfg.Org.OrganizationID, AccountIDs: cfg.Org.MemberAccountIDs},
		Region:  reg.Name,
		Regions: cfg.Org.MemberRegions,
	}
	if len(c.Regions) == 0 {
		c.Regions = []string{reg.Name}
	}
	sh.Central = c

	// OpenSearch runs in a VPC: the demo network unless opensearchSubnetIds
	// names private subnets of an existing VPC, whose id the subnet tells.
	if cfg.Enabled(stackconfig.CloudWatchOpenSearch) {
		if len(cfg.OpenSearch.SubnetIDs) == 0 {
			n, err := NewDemoNetwork(ctx, "demo", sh.Tags)
			if err != nil {
				return nil, err
			}
			sh.Network = n
			sh.export("demoVpcId", n.VpcID)
		} else {
			sn, err := ec2.LookupSubnet(ctx, &ec2.LookupSubnetArgs{Id: pulumi.StringRef(cfg.OpenSearch.SubnetIDs[0])})
			if err != nil {
				return nil, fmt.Errorf("config %s: looking up subnet %s: %w", stackconfig.Key("opensearchSubnetIds"), cfg.OpenSearch.SubnetIDs[0], err)
			}
			c.OpenSearchVpcID = pulumi.String(sn.VpcId)
		}
	}

	busName := AlarmBusName(ctx.Stack())
	if err := deployAlarms(ctx, sh, &components.MetricAlarmSNSArgs{
		Fields:     cfg.Fields,
		Emails:     cfg.AlarmEmails,
		Namespace:  "VPCFlowLogs/" + ctx.Stack(),
		EventRules: []components.EventRuleName{{Bus: busName, Rule: components.AlarmBusRule}},
		Tags:       sh.Tags,
	}); err != nil {
		return nil, err
	}
	bus, err := components.NewOrgAlarmBus(ctx, "org-alarms", &components.OrgAlarmBusArgs{
		BusName:  busName,
		Senders:  c.Senders,
		TopicArn: sh.Alarms.TopicArn,
		Tags:     sh.Tags,
	})
	if err != nil {
		return nil, err
	}

	if usesStream(cfg) {
		if err := orgStream(ctx, sh); err != nil {
			return nil, err
		}
	}

	var archs pulumi.StringArray
	for _, a := range cfg.Architectures {
		archs = append(archs, pulumi.String(string(a)))
	}
	sh.export(OutOrgArchitectures, archs)
	sh.export(OutOrgFlowLogFormat, pulumi.String(flowlog.LogFormat(cfg.Fields)))
	sh.export(OutOrgAlarmEventBusArn, bus.BusArn)
	sh.export(OutOrgAlarmTopicArn, sh.Alarms.TopicArn)
	return deployArchitectures(ctx, sh)
}

// orgStream declares the organization stream and a CloudWatch Logs
// destination targeting it in every member region, each through that
// region's provider (a subscription filter's destination must be in the
// log group's region; the destination's target may be elsewhere:
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/CrossAccountSubscriptions-Kinesis.html).
func orgStream(ctx *pulumi.Context, sh *Shared) error {
	c := sh.Central
	stream, err := components.NewOrgLogStream(ctx, "org-stream", &components.OrgLogStreamArgs{
		Senders:       c.Senders,
		Regions:       c.Regions,
		AlarmTopicArn: sh.Alarms.TopicArn,
		Tags:          sh.Tags,
	})
	if err != nil {
		return err
	}
	c.Stream = stream
	sh.monitor(&stream.Monitored)
	arns := pulumi.StringMap{}
	for _, region := range c.Regions {
		var opts []pulumi.ResourceOption
		if region != c.Region {
			// The same principal as the default provider, in another region.
			p, err := regionProvider(ctx, "aws-"+region, region)
			if err != nil {
				return err
			}
			opts = append(opts, pulumi.Provider(p))
		}
		d, err := components.NewLogDestination(ctx, "org-destination-"+region, &components.LogDestinationArgs{
			DestinationName: DestinationName(ctx.Stack()),
			StreamArn:       stream.StreamArn,
			RoleArn:         stream.RoleArn,
			Senders:         c.Senders,
			Tags:            sh.Tags,
		}, opts...)
		if err != nil {
			return err
		}
		arns[region] = d.Arn
	}
	sh.export(OutOrgLogDestinationArns, arns)
	sh.export(OutOrgStreamName, stream.StreamName)
	sh.export(OutOrgStreamRetentionHours, pulumi.Int(components.DefaultOrgStreamRetentionHours))
	return nil
}

// centralS3Athena is s3-athena on a central stack: the organization bucket
// (no flow log of its own) and the table over every member's objects,
// partitioned by account (enumerated with memberAccountIds: the central
// account and the listed ones, as the bucket admits them; injected for an
// organization) and region (memberRegions).
func centralS3Athena(ctx *pulumi.Context, sh *Shared) error {
	cfg, c := sh.Config, sh.Central
	bucket, err := components.NewOrgFlowLogBucket(ctx, "org-flowlogs", &components.OrgFlowLogBucketArgs{
		Senders:        c.Senders,
		Regions:        c.Regions,
		KmsKeyArn:      cfg.BucketKmsKeyArn,
		ExpirationDays: cfg.DataRetentionDays,
		Tags:           sh.Tags,
	})
	if err != nil {
		return err
	}
	if _, err := s3AthenaTable(ctx, sh, bucket.Location, bucket.BucketName, &components.SourcePartitions{
		Accounts: slices.Clone(bucket.Accounts),
		Regions:  slices.Clone(c.Regions),
	}); err != nil {
		return err
	}
	// What a member's S3 flow log must use for the table to read it: the
	// Hive-compatible, hourly prefixes the table's location template
	// projects, and the table's file format.
	sh.export(OutOrgS3Destination, pulumi.Map{
		"bucketArn":                bucket.BucketArn,
		"fileFormat":               pulumi.String(cfg.S3FileFormat),
		"hiveCompatiblePartitions": pulumi.Bool(true),
		"perHourPartition":         pulumi.Bool(true),
	})
	return nil
}
