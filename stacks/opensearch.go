package stacks

import (
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/vpcflowlogs/vpc-flow-logs/components"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/stackconfig"
)

// Main packages of the OpenSearch Lambdas.
const (
	IndexerPackage   = "./lambda/indexer"
	BootstrapPackage = "./lambda/bootstrap"
)

// CloudWatchOpenSearch is the first architecture: VPC Flow Logs -> CloudWatch
// Logs (the shared log group) -> indexer Lambda in the VPC -> OpenSearch
// domain in private subnets -> Dashboards, with the index template, ISM
// policy and saved objects applied from inside the VPC on deploy.
func CloudWatchOpenSearch(ctx *pulumi.Context, sh *Shared) error {
	cfg := sh.Config
	o := cfg.OpenSearch
	indexer, err := buildLambda(ctx, "indexer", IndexerPackage)
	if err != nil {
		return err
	}
	bootstrap, err := buildLambda(ctx, "bootstrap", BootstrapPackage)
	if err != nil {
		return err
	}
	var vpc pulumi.StringInput
	var subnets []pulumi.StringInput
	switch {
	case sh.Network != nil:
		vpc = sh.Network.VpcID
		for _, s := range sh.Network.Subnets {
			subnets = append(subnets, s)
		}
	case len(o.SubnetIDs) == 0:
		return fmt.Errorf("opensearchSubnetIds is required with vpcIds")
	default:
		if sh.Central != nil {
			vpc = sh.Central.OpenSearchVpcID
		} else {
			vpc = sh.VpcIDs[0]
		}
		for _, s := range o.SubnetIDs {
			subnets = append(subnets, pulumi.String(s))
		}
	}
	args := &components.OpenSearchStreamArgs{
		VpcID:                  vpc,
		SubnetIDs:              subnets,
		ExistingDomainEndpoint: o.ExistingEndpoint,
		ExistingDomainArn:      o.ExistingArn,
		EngineVersion:          o.EngineVersion,
		InstanceType:           o.InstanceType,
		InstanceCount:          o.InstanceCount,
		VolumeSizeGB:           o.VolumeSizeGB,
		ZoneAwareness:          o.ZoneAwareness,
		IndexPrefix:            o.IndexPrefix,
		IndexRetentionDays:     o.IndexRetentionDays,
		Fields:                 cfg.Fields,
		Indexer:                indexer,
		Bootstrap:              bootstrap,
		AccessHost:             o.AccessHost,
		VpcEndpoints:           cfg.CreatesOpenSearchEndpoints(),
		// One per account: "existing" declares nothing (docs/cloudwatch-opensearch.md, "Service-linked role").
		ServiceLinkedRole: o.ExistingArn == "" && o.ServiceLinkedRole == stackconfig.ServiceLinkedRoleCreate,
		RetentionDays:     cfg.LogRetentionDays,
		AlarmTopicArn:     sh.Alarms.TopicArn,
		SecurityAnalytics: o.SecurityAnalytics,
		AlarmKeyArn:       sh.Alarms.KeyArn,
		Tags:              sh.Tags,
	}
	if sh.Central != nil {
		// The members' records, from the organization stream.
		args.KinesisStreamArn = sh.Central.Stream.StreamArn
		args.KinesisKeyArn = sh.Central.Stream.KeyArn
	} else {
		args.LogGroupName = sh.CloudWatch.LogGroupName
		args.LogGroupArn = sh.CloudWatch.LogGroupArn
	}
	os, err := components.NewOpenSearchStream(ctx, "opensearch", args)
	if err != nil {
		return err
	}
	sh.monitor(&os.Monitored)
	sh.export("opensearchEndpoint", os.DomainEndpoint)
	sh.export("opensearchDomainArn", os.DomainArn)
	sh.export("opensearchIndexerName", os.IndexerName)
	sh.export("opensearchRejectsQueueUrl", os.RejectsQueueURL)
	sh.export("opensearchBootstrapResult", os.BootstrapResult)
	sh.export("opensearchIndexerDeadLetterQueueUrl", os.IndexerDeadLetterQueueURL)
	sh.export("opensearchBootstrapName", os.BootstrapName)
	sh.export("opensearchBootstrapDeadLetterQueueUrl", os.BootstrapDeadLetterQueueURL)
	if o.AccessHost {
		sh.export("dashboardsAccessCommand", os.AccessCommand)
		sh.export("dashboardsUrl", os.DashboardsURL)
		sh.export("dashboardsPasswordCommand", os.DashboardsPasswordCommand)
	}
	return nil
}
