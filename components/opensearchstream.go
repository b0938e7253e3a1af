package components

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/lambda"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/opensearch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/secretsmanager"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/sqs"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/awslimits"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/flowlog"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/runbook"
	"github.com/vpcflowlogs/vpc-flow-logs/lambda/bootstrap/objects"
	"github.com/vpcflowlogs/vpc-flow-logs/lambda/indexer/document"
)

// OpenSearchTLSPolicy is the domain endpoint's minimum TLS policy (TLS 1.2+).
const OpenSearchTLSPolicy = "Policy-Min-TLS-1-2-2019-07"

// OpenSearchStreamArgs configures OpenSearchStream.
type OpenSearchStreamArgs struct {
	// VpcID and SubnetIDs place the domain, the Lambdas and the access host
	// in private subnets. The domain uses one subnet per node AZ (the first
	// one, or the first two with ZoneAwareness).
	VpcID     pulumi.StringInput
	SubnetIDs []pulumi.StringInput
	// ExistingDomainEndpoint and ExistingDomainArn use a domain you run
	// instead of creating one; its access policy and security plugin must
	// let IndexerRoleArn (an output) write.
	ExistingDomainEndpoint string
	ExistingDomainArn      string
	// EngineVersion, InstanceType, InstanceCount, VolumeSizeGB and
	// ZoneAwareness size the domain.
	EngineVersion string
	InstanceType  string
	InstanceCount int
	VolumeSizeGB  int
	ZoneAwareness bool
	// IndexPrefix names the daily indices <prefix>-YYYY.MM.DD; IndexRetentionDays
	// is when the ISM policy deletes them.
	IndexPrefix        string
	IndexRetentionDays int
	// Fields is the flow-log format: the index mapping and the parser follow it.
	Fields []flowlog.Field
	// LogGroupName and LogGroupArn: the shared flow-log log group.
	LogGroupName pulumi.StringInput
	LogGroupArn  pulumi.StringInput
	// KinesisStreamArn, instead of LogGroupName, feeds the indexer from a
	// Kinesis data stream (a central stack's, which its members' CloudWatch
	// Logs destinations fill) through an event source mapping;
	// KinesisKeyArn is the stream's KMS key (docs/organization.md).
	KinesisStreamArn pulumi.StringInput
	KinesisKeyArn    pulumi.StringInput
	// Indexer and Bootstrap are the built Lambda packages.
	Indexer   LambdaCode
	Bootstrap LambdaCode
	// AccessHost adds an instance with no inbound ports and no key pair,
	// reached with SSM Session Manager port forwarding, and makes the
	// domain one a person can log in to from a browser: the internal user
	// database is on, the master user is the internal user
	// objects.MasterUser (password generated into Secrets Manager), the
	// "dashboards" user logs in with a password, and the domain access
	// policy does not require signed requests; the domain's security group
	// (HTTPS from the clients' group only) and fine-grained access control
	// decide who gets in. Without it the master is the bootstrap's IAM
	// role and the access policy names the functions' roles.
	AccessHost bool
	// VpcEndpoints creates interface VPC endpoints with private DNS for
	// what the clients call inside AWS: SQS (the indexer's rejects queue)
	// and, with AccessHost, Secrets Manager (the bootstrap) and SSM, SSM
	// messages and EC2 messages (the access host). Private DNS takes those
	// service names over for every workload of the VPC, so create them only
	// in a VPC the stack owns; without them the clients may send HTTPS
	// anywhere, to reach the services through a NAT gateway or the VPC's
	// own endpoints.
	VpcEndpoints bool
	// ServiceLinkedRole creates the account's
	// AWSServiceRoleForAmazonOpenSearchService, which a VPC domain needs;
	// it is one per account, so leave it off where it exists. It is kept
	// when the stack is destroyed (other domains may use it). Only with a
	// domain this component creates.
	ServiceLinkedRole bool
	// RetentionDays is the retention of the component's log groups.
	RetentionDays int
	AlarmTopicArn pulumi.StringInput
	// SecurityAnalytics makes the bootstrap apply the Security Analytics
	// detector of the vpcflow log type, whose trigger notifies
	// AlarmTopicArn through a Notifications SNS channel; the component
	// creates the role OpenSearch Service assumes to publish (see
	// docs/security-analytics.md). AlarmKeyArn is the KMS key the topic is
	// encrypted with (nil: not encrypted with a customer managed key).
	SecurityAnalytics bool
	AlarmKeyArn       pulumi.StringInput
	Tags              map[string]string
}

// OpenSearchStream indexes flow-log records from CloudWatch Logs into an
// OpenSearch domain inside the VPC, applies the index template, ISM policy and
// Dashboards objects from inside the VPC on deploy, and optionally provides a
// private access path to Dashboards.
type OpenSearchStream struct {
	pulumi.ResourceState

	DomainEndpoint pulumi.StringOutput `pulumi:"domainEndpoint"`
	DomainArn      pulumi.StringOutput `pulumi:"domainArn"`
	IndexerName    pulumi.StringOutput `pulumi:"indexerName"`
	IndexerRoleArn pulumi.StringOutput `pulumi:"indexerRoleArn"`
	// RejectsQueueURL holds documents OpenSearch refused (mapping errors), with the reason.
	RejectsQueueURL pulumi.StringOutput `pulumi:"rejectsQueueUrl"`
	// BootstrapResult is the bootstrap function's summary of what it applied.
	BootstrapResult pulumi.StringOutput `pulumi:"bootstrapResult"`
	// IndexerDeadLetterQueueURL and BootstrapDeadLetterQueueURL are the
	// on-failure destinations of the two functions' asynchronous
	// invocations (cmd/replay feeds them back); BootstrapName names the
	// bootstrap function.
	IndexerDeadLetterQueueURL   pulumi.StringOutput `pulumi:"indexerDeadLetterQueueUrl"`
	BootstrapName               pulumi.StringOutput `pulumi:"bootstrapName"`
	BootstrapDeadLetterQueueURL pulumi.StringOutput `pulumi:"bootstrapDeadLetterQueueUrl"`
	// AccessCommand and DashboardsURL: how to open Dashboards through the access host.
	AccessCommand pulumi.StringPtrOutput `pulumi:"accessCommand"`
	DashboardsURL pulumi.StringPtrOutput `pulumi:"dashboardsUrl"`
	// DashboardsPasswordCommand prints the password of the "dashboards" login.
	DashboardsPasswordCommand pulumi.StringPtrOutput `pulumi:"dashboardsPasswordCommand"`
	// Monitored is what the dashboard shows of this component (not an output).
	Monitored Monitored
}

// AccessLocalPort is the local port of the Session Manager port forward.
const AccessLocalPort = 8443

func (a *OpenSearchStreamArgs) validate() error {
	var errs []error
	existing := a.ExistingDomainEndpoint != "" || a.ExistingDomainArn != ""
	if a.VpcID == nil || len(a.SubnetIDs) == 0 {
		errs = append(errs, errors.New("VpcID and SubnetIDs: required (the Lambdas and the domain run in the VPC)"))
	}
	if existing {
		if a.ExistingDomainEndpoint == "" || a.ExistingDomainArn == "" {
			errs = append(errs, errors.New("ExistingDomainEndpoint and ExistingDomainArn: set both or neither"))
		}
		if strings.Contains(a.ExistingDomainEndpoint, "://") {
			errs = append(errs, fmt.Errorf("ExistingDomainEndpoint: %q must be a host name without scheme", a.ExistingDomainEndpoint))
		}
		errs = appendErr(errs, validateArn("ExistingDomainArn", a.ExistingDomainArn, "es"))
		if a.AccessHost {
			errs = append(errs, errors.New("AccessHost: only with a domain this component creates"))
		}
		if a.ServiceLinkedRole {
			errs = append(errs, errors.New("ServiceLinkedRole: only with a domain this component creates"))
		}
	} else {
		if !awslimits.OpenSearchEngineVersion.MatchString(a.EngineVersion) {
			errs = append(errs, fmt.Errorf("EngineVersion: %q is not like OpenSearch_2.17", a.EngineVersion))
		}
		if !strings.HasSuffix(a.InstanceType, ".search") {
			errs = append(errs, fmt.Errorf("InstanceType: %q is not an OpenSearch instance type (*.search)", a.InstanceType))
		}
		if a.InstanceCount < 1 {
			errs = append(errs, fmt.Errorf("InstanceCount: %d must be >= 1", a.InstanceCount))
		}
		if a.ZoneAwareness && (a.InstanceCount%2 != 0 || len(a.SubnetIDs) < 2) {
			errs = append(errs, fmt.Errorf("ZoneAwareness: needs an even InstanceCount (have %d) and two subnets (have %d)", a.InstanceCount, len(a.SubnetIDs)))
		}
		if a.VolumeSizeGB < 10 {
			errs = append(errs, fmt.Errorf("VolumeSizeGB: %d must be >= 10", a.VolumeSizeGB))
		}
	}
	if err := document.ValidateIndexPrefix(a.IndexPrefix); err != nil {
		errs = append(errs, fmt.Errorf("IndexPrefix: %w", err))
	}
	if a.IndexRetentionDays < 1 || a.IndexRetentionDays > 3650 {
		errs = append(errs, fmt.Errorf("IndexRetentionDays: %d is not between 1 and 3650", a.IndexRetentionDays))
	}
	if len(a.Fields) == 0 {
		errs = append(errs, errors.New("Fields: at least one flow log field is required"))
	}
	switch {
	case a.KinesisStreamArn != nil && (a.LogGroupName != nil || a.LogGroupArn != nil):
		errs = append(errs, errors.New("KinesisStreamArn and LogGroupName/LogGroupArn: set one (the indexer's feed: a stream or a log group), not both"))
	case a.KinesisStreamArn == nil && (a.LogGroupName == nil || a.LogGroupArn == nil):
		errs = append(errs, errors.New("LogGroupName and LogGroupArn: required (or KinesisStreamArn)"))
	}
	errs = appendErr(errs, a.Indexer.validate("Indexer"))
	errs = appendErr(errs, a.Bootstrap.validate("Bootstrap"))
	errs = appendErr(errs, oneOf("RetentionDays", a.RetentionDays, awslimits.RetentionDays))
	if a.SecurityAnalytics && a.AlarmTopicArn == nil {
		errs = append(errs, errors.New("SecurityAnalytics: needs AlarmTopicArn, the topic its findings notify"))
	}
	return errors.Join(errs...)
}

// NewOpenSearchStream creates the domain (unless one is given), the indexer,
// the bootstrap invocation, the alarms and the optional access host.
func NewOpenSearchStream(ctx *pulumi.Context, name string, args *OpenSearchStreamArgs, opts ...pulumi.ResourceOption) (*OpenSearchStream, error) {
	if args == nil {
		return nil, errors.New("OpenSearchStream: args are required")
	}
	a := *args
	if err := a.validate(); err != nil {
		return nil, fmt.Errorf("OpenSearchStream %q: %w", name, err)
	}
	replicas := 0
	if a.InstanceCount > 1 {
		replicas = 1
	}
	bootInput, err := objects.NewInput(a.IndexPrefix, a.IndexRetentionDays, a.Fields, replicas)
	if err != nil {
		return nil, fmt.Errorf("OpenSearchStream %q: %w", name, err)
	}
	bootJSON, err := bootInput.JSON()
	if err != nil {
		return nil, err
	}
	c := &OpenSearchStream{}
	if err := ctx.RegisterComponentResource(typeToken("OpenSearchStream"), name, c, opts...); err != nil {
		return nil, err
	}
	env, err := lookupEnv(ctx, c)
	if err != nil {
		return nil, err
	}
	parent := pulumi.Parent(c)
	existing := a.ExistingDomainArn != ""

	// Clients (indexer, bootstrap, access host) share one security group; the
	// domain and the VPC endpoints accept HTTPS from it and nothing else.
	clients, err := ec2.NewSecurityGroup(ctx, name+"-clients", &ec2.SecurityGroupArgs{
		VpcId:       a.VpcID,
		Description: pulumi.String("Clients of the flow-log OpenSearch domain (" + name + ")"),
		Tags:        NameTags(a.Tags, name+"-clients"),
	}, parent)
	if err != nil {
		return nil, err
	}
	// netDeps is the network path the clients use (security-group rules,
	// endpoints): the bootstrap invocation waits for it, or its first call
	// could time out against a rule or endpoint that does not exist yet.
	var netDeps []pulumi.Resource
	httpsFrom := func(rname string, sg, from *ec2.SecurityGroup) error {
		r, err := ec2.NewSecurityGroupRule(ctx, rname, &ec2.SecurityGroupRuleArgs{
			Type: pulumi.String("ingress"), Protocol: pulumi.String("tcp"),
			FromPort: pulumi.Int(443), ToPort: pulumi.Int(443),
			SecurityGroupId: sg.ID(), SourceSecurityGroupId: from.ID(),
			Description: pulumi.String("HTTPS from the domain clients"),
		}, parent)
		netDeps = append(netDeps, r)
		return err
	}
	httpsTo := func(rname string, to pulumi.StringInput, desc string) error {
		r, err := ec2.NewSecurityGroupRule(ctx, rname, &ec2.SecurityGroupRuleArgs{
			Type: pulumi.String("egress"), Protocol: pulumi.String("tcp"),
			FromPort: pulumi.Int(443), ToPort: pulumi.Int(443),
			SecurityGroupId: clients.ID(), SourceSecurityGroupId: to,
			Description: pulumi.String(desc),
		}, parent)
		netDeps = append(netDeps, r)
		return err
	}
	if a.VpcEndpoints {
		eps, err := newClientEndpoints(ctx, name, env, a, clients, httpsFrom, httpsTo, parent)
		if err != nil {
			return nil, err
		}
		netDeps = append(netDeps, eps...)
	}

	var domainSG *ec2.SecurityGroup
	domainArn := pulumi.String(a.ExistingDomainArn).ToStringOutput()
	endpoint := pulumi.String(a.ExistingDomainEndpoint).ToStringOutput()
	if !existing {
		domainSG, err = ec2.NewSecurityGroup(ctx, name+"-domain-sg", &ec2.SecurityGroupArgs{
			VpcId:       a.VpcID,
			Description: pulumi.String("Flow-log OpenSearch domain: HTTPS from its clients only"),
			Tags:        NameTags(a.Tags, name+"-domain"),
		}, parent)
		if err != nil {
			return nil, err
		}
		if err := httpsFrom(name+"-domain-https", domainSG, clients); err != nil {
			return nil, err
		}
		if err := httpsTo(name+"-clients-to-domain", domainSG.ID(), "HTTPS to the OpenSearch domain"); err != nil {
			return nil, err
		}
	}
	// Without endpoints of their own the clients reach SQS, Secrets Manager
	// and Session Manager through the VPC's NAT gateway or its own
	// endpoints, whose addresses the stack does not know; an existing
	// domain's address it does not know either. One rule serves both (a
	// second, identical rule would be refused as a duplicate).
	if existing || !a.VpcEndpoints {
		desc, rname := "HTTPS to AWS service endpoints (NAT gateway or endpoints of the VPC)", name+"-clients-to-aws"
		if existing {
			desc, rname = "HTTPS to the existing OpenSearch domain and AWS service endpoints", name+"-clients-to-vpc"
		}
		r, err := ec2.NewSecurityGroupRule(ctx, rname, &ec2.SecurityGroupRuleArgs{
			Type: pulumi.String("egress"), Protocol: pulumi.String("tcp"),
			FromPort: pulumi.Int(443), ToPort: pulumi.Int(443),
			SecurityGroupId: clients.ID(), CidrBlocks: pulumi.StringArray{pulumi.String("0.0.0.0/0")},
			Description: pulumi.String(desc),
		}, parent)
		if err != nil {
			return nil, err
		}
		// The bootstrap's only path to an existing domain, or to Secrets
		// Manager without endpoints: its invocation waits for it too.
		netDeps = append(netDeps, r)
	}

	// Dead letters with their reason: documents OpenSearch refused.
	rejects, err := sqs.NewQueue(ctx, name+"-rejects", &sqs.QueueArgs{
		SqsManagedSseEnabled:    pulumi.Bool(true),
		MessageRetentionSeconds: pulumi.Int(14 * 24 * 3600),
		Tags:                    NameTags(a.Tags, name+"-rejects"),
	}, parent)
	if err != nil {
		return nil, err
	}
	c.Monitored.addQueue(rejects.Name)
	// Nothing the indexer dead-letters is dropped silently: a message in the
	// queue alarms like the forwarder's dead letters do.
	if _, err := queueDepthAlarm(ctx, name+"-rejects-depth", rejects.Name, opsAlarmArgs{
		Description: "The indexer of " + name + " dead-lettered flow-log records OpenSearch refused or that are not in the format; inspect and replay " +
			name + "-rejects",
		Runbook:  runbook.IndexerRejects,
		TopicArn: a.AlarmTopicArn, Tags: a.Tags, Monitor: &c.Monitored,
	}, parent); err != nil {
		return nil, err
	}

	// The bootstrap role exists first: it is the domain's IAM master user
	// (without the access host) or is mapped to all_access by the bootstrap.
	bootRole, err := newLambdaRole(ctx, name+"-bootstrap", env, a.Tags, parent)
	if err != nil {
		return nil, err
	}
	subnets := a.SubnetIDs
	var accessRole *iam.Role
	var host *ec2.Instance
	var dashSecret, masterSecret *secretsmanager.Secret
	var masterPassword pulumi.StringOutput
	if a.AccessHost {
		accessRole, host, err = newAccessHost(ctx, name+"-access", env, a, subnets[0], clients, c)
		if err != nil {
			return nil, err
		}
		if dashSecret, _, err = newPasswordSecret(ctx, name+"-dashboards-user", `Password of the OpenSearch Dashboards login "`+objects.DashboardsUser+`"`, a.Tags, c); err != nil {
			return nil, err
		}
		if masterSecret, masterPassword, err = newPasswordSecret(ctx, name+"-master-user", `Password of the OpenSearch master user "`+objects.MasterUser+`" (the bootstrap function applies the security configuration with it)`, a.Tags, c); err != nil {
			return nil, err
		}
	}

	var domainDeps []pulumi.Resource
	var domainResource *opensearch.Domain
	if !existing {
		// A VPC domain needs the service-linked role; the domain waits for it.
		// https://docs.aws.amazon.com/opensearch-service/latest/developerguide/slr-aos.html
		domainOpts := []pulumi.ResourceOption{parent}
		if a.ServiceLinkedRole {
			// IAM tags service-linked roles too:
			// https://docs.aws.amazon.com/IAM/latest/APIReference/API_TagRole.html
			slr, err := iam.NewServiceLinkedRole(ctx, name+"-service-linked-role", &iam.ServiceLinkedRoleArgs{
				AwsServiceName: pulumi.String(OpenSearchServicePrincipal),
				Tags:           NameTags(a.Tags, name+"-service-linked-role"),
			}, parent, pulumi.RetainOnDelete(true))
			if err != nil {
				return nil, err
			}
			domainOpts = append(domainOpts, pulumi.DependsOn([]pulumi.Resource{slr}))
		}
		security, securityOpts := domainSecurity(a, bootRole, masterPassword)
		domainOpts = append(domainOpts, securityOpts...)
		domainSubnets := pulumi.StringArray{subnets[0]}
		if a.ZoneAwareness {
			domainSubnets = pulumi.StringArray{subnets[0], subnets[1]}
		}
		cluster := &opensearch.DomainClusterConfigArgs{
			InstanceType:         pulumi.String(a.InstanceType),
			InstanceCount:        pulumi.Int(a.InstanceCount),
			ZoneAwarenessEnabled: pulumi.Bool(a.ZoneAwareness),
		}
		if a.ZoneAwareness {
			cluster.ZoneAwarenessConfig = &opensearch.DomainClusterConfigZoneAwarenessConfigArgs{AvailabilityZoneCount: pulumi.Int(2)}
		}
		domain, err := opensearch.NewDomain(ctx, name+"-domain", &opensearch.DomainArgs{
			EngineVersion: pulumi.String(a.EngineVersion),
			ClusterConfig: cluster,
			EbsOptions: &opensearch.DomainEbsOptionsArgs{
				EbsEnabled: pulumi.Bool(true), VolumeSize: pulumi.Int(a.VolumeSizeGB), VolumeType: pulumi.String("gp3"),
			},
			VpcOptions: &opensearch.DomainVpcOptionsArgs{
				SubnetIds:        domainSubnets,
				SecurityGroupIds: pulumi.StringArray{domainSG.ID()},
			},
			EncryptAtRest:        &opensearch.DomainEncryptAtRestArgs{Enabled: pulumi.Bool(true)},
			NodeToNodeEncryption: &opensearch.DomainNodeToNodeEncryptionArgs{Enabled: pulumi.Bool(true)},
			DomainEndpointOptions: &opensearch.DomainDomainEndpointOptionsArgs{
				EnforceHttps:      pulumi.Bool(true),
				TlsSecurityPolicy: pulumi.String(OpenSearchTLSPolicy),
			},
			AdvancedSecurityOptions: security,
			Tags:                    NameTags(a.Tags, name+"-domain"),
		}, domainOpts...)
		if err != nil {
			return nil, err
		}
		domainDeps = []pulumi.Resource{domain}
		domainArn = domain.Arn
		endpoint = domain.Endpoint
		c.Monitored.Domains = append(c.Monitored.Domains, domain.DomainName)
		if err := domainAlarms(ctx, name, env, domain, a, &c.Monitored, parent); err != nil {
			return nil, err
		}
		domainResource = domain
	}

	grant := []any{domainArn, pulumi.Sprintf("%s/*", domainArn)}
	clientSGs := []pulumi.StringInput{clients.ID()}
	indexer, err := newSubscriber(ctx, name+"-indexer", env, subscriberArgs{
		Code:        a.Indexer,
		Description: "Indexes flow-log records into OpenSearch (" + name + ")",
		Environment: map[string]pulumi.StringInput{
			"OPENSEARCH_ENDPOINT":   pulumi.Sprintf("https://%s", endpoint),
			"INDEX_PREFIX":          pulumi.String(a.IndexPrefix),
			"FLOW_LOG_FORMAT":       pulumi.String(flowlog.LogFormat(a.Fields)),
			"DEAD_LETTER_QUEUE_URL": rejects.Url,
		},
		Statements: []statement{
			{
				"Sid": "WriteDocuments", "Effect": "Allow",
				// GET: the client checks cluster health after a timeout.
				"Action":   []any{"es:ESHttpGet", "es:ESHttpPost", "es:ESHttpPut"},
				"Resource": grant,
			},
			{
				"Sid": "DeadLetterRejects", "Effect": "Allow",
				"Action": "sqs:SendMessage", "Resource": rejects.Arn,
			},
		},
		// Subscribed below, once the bootstrap has applied the template.
		KinesisStreamArn: a.KinesisStreamArn, KinesisKeyArn: a.KinesisKeyArn,
		Timeout: 120, MemoryMB: 768, RetentionDays: a.RetentionDays,
		SubnetIDs: subnets, SecurityGroupIDs: clientSGs,
		AlarmTopicArn: a.AlarmTopicArn, Tags: a.Tags, Monitor: &c.Monitored,
		ErrorsRunbook: runbook.IndexerErrors, OnFailureRunbook: runbook.IndexerOnFailure,
	}, c)
	if err != nil {
		return nil, err
	}
	bootStatements := []statement{{
		"Sid": "AdministerDomain", "Effect": "Allow",
		"Action":   []any{"es:ESHttpGet", "es:ESHttpHead", "es:ESHttpPost", "es:ESHttpPut", "es:ESHttpDelete"},
		"Resource": grant,
	}}
	var notifyRole *iam.Role
	if a.SecurityAnalytics {
		if notifyRole, err = newNotificationsRole(ctx, name, env, a, parent); err != nil {
			return nil, err
		}
		// The bootstrap names the role in the SNS channel; OpenSearch
		// Service takes it on the caller's behalf.
		bootStatements = append(bootStatements, statement{
			"Sid": "PassNotificationsRole", "Effect": "Allow",
			"Action":    "iam:PassRole",
			"Resource":  notifyRole.Arn,
			"Condition": map[string]any{"StringEquals": map[string]any{"iam:PassedToService": env.servicePrincipal("es")}},
		})
	}
	if dashSecret != nil {
		bootStatements = append(bootStatements, statement{
			"Sid": "ReadPasswords", "Effect": "Allow",
			"Action":   "secretsmanager:GetSecretValue",
			"Resource": []any{dashSecret.Arn, masterSecret.Arn},
		})
	}
	boot, err := newSubscriber(ctx, name+"-bootstrap", env, subscriberArgs{
		Code:        a.Bootstrap,
		Description: "Applies the index template, ISM policy and Dashboards objects (" + name + ")",
		Environment: map[string]pulumi.StringInput{
			"OPENSEARCH_ENDPOINT": pulumi.Sprintf("https://%s", endpoint),
		},
		Statements: bootStatements,
		Timeout:    300, MemoryMB: 256, RetentionDays: a.RetentionDays,
		SubnetIDs: subnets, SecurityGroupIDs: clientSGs, Role: bootRole,
		AlarmTopicArn: a.AlarmTopicArn, Tags: a.Tags, Monitor: &c.Monitored,
		ErrorsRunbook: runbook.BootstrapErrors, OnFailureRunbook: runbook.BootstrapOnFailure,
	}, c)
	if err != nil {
		return nil, err
	}

	if domainResource != nil {
		domain := domainResource
		// IAM-only: the access policy names the roles, so every request must
		// be signed. With the browser login the policy must not require
		// signing, or the browser's basic-auth requests are refused before
		// fine-grained access control sees them: AWS recommends such a policy
		// with fine-grained access control; the security group admits only
		// the clients' group, and fine-grained access control authenticates
		// every request (signed ones by IAM role, the others by password).
		// https://docs.aws.amazon.com/opensearch-service/latest/developerguide/fgac.html#fgac-access-policies
		st := statement{
			"Sid":       "IndexerAndBootstrap",
			"Effect":    "Allow",
			"Principal": map[string]any{"AWS": pulumi.Array{indexer.Role.Arn, bootRole.Arn}},
			"Action":    "es:ESHttp*",
			"Resource":  pulumi.Sprintf("%s/*", domain.Arn),
		}
		if a.AccessHost {
			st["Sid"], st["Principal"] = "FineGrainedAccessControlDecides", map[string]any{"AWS": "*"}
		}
		dp, err := opensearch.NewDomainPolicy(ctx, name+"-domain-policy", &opensearch.DomainPolicyArgs{
			DomainName:     domain.DomainName,
			AccessPolicies: policyJSON(policy(st)),
		}, parent)
		if err != nil {
			return nil, err
		}
		domainDeps = append(domainDeps, dp)
	}

	// Apply the OpenSearch objects from inside the VPC. The input carries the
	// objects' content hash: a change re-applies, an unchanged deploy does nothing.
	// On a domain it creates, the bootstrap (the IAM master, or acting as the
	// internal master with its password) also maps the indexer's role to a
	// writer role and the access path to a reader role.
	payload := pulumi.String(bootJSON).ToStringOutput()
	hash := pulumi.String(bootInput.Hash).ToStringOutput()
	if !existing {
		readers := pulumi.StringArray{}
		secretArn := pulumi.String("").ToStringOutput()
		masterArn := pulumi.String("").ToStringOutput()
		if accessRole != nil {
			readers = append(readers, accessRole.Arn)
		}
		if dashSecret != nil {
			secretArn, masterArn = dashSecret.Arn, masterSecret.Arn
		}
		both := pulumi.All(indexer.Role.Arn, readers, secretArn, masterArn, bootRole.Arn).ApplyT(func(v []any) ([]string, error) {
			var rs []string
			for _, r := range v[1].([]string) {
				rs = append(rs, r)
			}
			in, err := bootInput.WithAccess([]string{v[0].(string)}, rs, v[2].(string))
			if err != nil {
				return nil, err
			}
			if master := v[3].(string); master != "" {
				// An internal master: the bootstrap maps its own role with the
				// master's password before it signs anything else.
				if in, err = in.WithMaster(master, []string{v[4].(string)}); err != nil {
					return nil, err
				}
			}
			js, err := in.JSON()
			return []string{js, in.Hash}, err
		}).(pulumi.StringArrayOutput)
		payload, hash = both.Index(pulumi.Int(0)), both.Index(pulumi.Int(1))
	}
	if notifyRole != nil {
		both := pulumi.All(payload, a.AlarmTopicArn, notifyRole.Arn).ApplyT(func(v []any) ([]string, error) {
			var in objects.Input
			if err := json.Unmarshal([]byte(v[0].(string)), &in); err != nil {
				return nil, err
			}
			in, err := in.WithSecurityAnalytics(v[1].(string), v[2].(string))
			if err != nil {
				return nil, err
			}
			js, err := in.JSON()
			return []string{js, in.Hash}, err
		}).(pulumi.StringArrayOutput)
		payload, hash = both.Index(pulumi.Int(0)), both.Index(pulumi.Int(1))
	}
	inv, err := lambda.NewInvocation(ctx, name+"-bootstrap-apply", &lambda.InvocationArgs{
		FunctionName: boot.Function.Name,
		Input:        payload,
		// The domain's identity is a trigger too: a replaced domain (a new ARN
		// and endpoint) starts empty and needs every object applied again.
		Triggers: pulumi.StringMap{"hash": hash, "domainArn": domainArn, "endpoint": endpoint},
	}, parent, pulumi.DependsOn(append(domainDeps, netDeps...)))
	if err != nil {
		return nil, err
	}

	if a.KinesisStreamArn != nil {
		if _, err := kinesisMapping(ctx, name+"-indexer", indexer.Function, a.KinesisStreamArn, indexer.DLQ,
			[]pulumi.Resource{inv, indexer.RolePolicy}, parent); err != nil {
			return nil, err
		}
	} else if err := subscribe(ctx, name+"-indexer", env, indexer.Function, a.LogGroupName, a.LogGroupArn,
		[]pulumi.Resource{inv}, parent); err != nil {
		return nil, err
	}

	c.DomainEndpoint = endpoint
	c.DomainArn = domainArn
	c.IndexerName = indexer.Function.Name
	c.IndexerRoleArn = indexer.Role.Arn
	c.RejectsQueueURL = rejects.Url
	c.BootstrapResult = inv.Result
	c.IndexerDeadLetterQueueURL = indexer.DLQ.Url
	c.BootstrapName = boot.Function.Name
	c.BootstrapDeadLetterQueueURL = boot.DLQ.Url
	var none *string
	c.AccessCommand = pulumi.ToOutput(none).(pulumi.StringPtrOutput)
	c.DashboardsURL = c.AccessCommand
	c.DashboardsPasswordCommand = c.AccessCommand
	if host != nil {
		c.AccessCommand = pulumi.Sprintf(
			`aws ssm start-session --region %s --target %s --document-name AWS-StartPortForwardingSessionToRemoteHost --parameters '{"host":["%s"],"portNumber":["443"],"localPortNumber":["%d"]}'`,
			env.Region, host.ID(), endpoint, AccessLocalPort).ToStringPtrOutput()
		c.DashboardsURL = pulumi.Sprintf("https://localhost:%d/_dashboards/", AccessLocalPort).ToStringPtrOutput()
		c.DashboardsPasswordCommand = pulumi.Sprintf(
			"aws secretsmanager get-secret-value --region %s --secret-id %s --query SecretString --output text",
			env.Region, dashSecret.Arn).ToStringPtrOutput()
	}
	return c, ctx.RegisterResourceOutputs(c, pulumi.Map{
		"domainEndpoint":              c.DomainEndpoint,
		"domainArn":                   c.DomainArn,
		"indexerName":                 c.IndexerName,
		"indexerRoleArn":              c.IndexerRoleArn,
		"rejectsQueueUrl":             c.RejectsQueueURL,
		"bootstrapResult":             c.BootstrapResult,
		"indexerDeadLetterQueueUrl":   c.IndexerDeadLetterQueueURL,
		"bootstrapName":               c.BootstrapName,
		"bootstrapDeadLetterQueueUrl": c.BootstrapDeadLetterQueueURL,
		"accessCommand":               c.AccessCommand,
		"dashboardsUrl":               c.DashboardsURL,
		"dashboardsPasswordCommand":   c.DashboardsPasswordCommand,
	})
}

// newNotificationsRole is the role OpenSearch Service assumes to publish
// the Security Analytics findings to the alarm topic: trusted by
// es.amazonaws.com as AWS documents it for SNS notifications, allowed
// sns:Publish on that topic only and, when the topic is encrypted with a
// customer managed key, the key use a publisher needs. The key policy lets
// the account's IAM policies grant its use (its AccountAdministers
// statement), so this role policy is enough.
// https://docs.aws.amazon.com/opensearch-service/latest/developerguide/alerting.html#alerting-diff-sns
// https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html (a publisher to an encrypted topic needs kms:GenerateDataKey* and kms:Decrypt on its key)
func newNotificationsRole(ctx *pulumi.Context, name string, env awsEnv, a OpenSearchStreamArgs, parent pulumi.ResourceOption) (*iam.Role, error) {
	role, err := iam.NewRole(ctx, name+"-notifications-role", &iam.RoleArgs{
		Description:      pulumi.String("OpenSearch Service publishes Security Analytics findings to the alarm topic (" + name + ")"),
		AssumeRolePolicy: policyJSON(serviceTrust(env, "es", nil)),
		Tags:             NameTags(a.Tags, name+"-notifications-role"),
	}, parent)
	if err != nil {
		return nil, err
	}
	statements := []statement{{
		"Sid": "PublishToTheAlarmTopic", "Effect": "Allow",
		"Action": "sns:Publish", "Resource": a.AlarmTopicArn,
	}}
	if a.AlarmKeyArn != nil {
		statements = append(statements, statement{
			"Sid": "UseTheTopicKey", "Effect": "Allow",
			"Action": []any{"kms:GenerateDataKey*", "kms:Decrypt"}, "Resource": a.AlarmKeyArn,
		})
	}
	if _, err := iam.NewRolePolicy(ctx, name+"-notifications-policy", &iam.RolePolicyArgs{
		Role:   role.ID(),
		Policy: policyJSON(policy(statements...)),
	}, parent); err != nil {
		return nil, err
	}
	return role, nil
}

// OpenSearchServicePrincipal is the service of the OpenSearch
// service-linked role AWSServiceRoleForAmazonOpenSearchService.
// https://docs.aws.amazon.com/opensearch-service/latest/developerguide/slr-aos.html
const OpenSearchServicePrincipal = "opensearchservice.amazonaws.com"

// MasterPasswordInput is the domain input that holds the internal master
// user's password. It is the secret version's stored value (which ignores
// later changes), not the password a deploy draws: a later deploy draws a
// new one, and the domain would show a diff and change the master's
// password behind the secret's back. The domain itself ignores no change:
// with ignoreChanges on this input, Pulumi keeps the old state's value, so
// a stack that turns the access host on (no password before) would send
// the internal master without a password, and one that turns it off would
// send the old password with masterUserArn; OpenSearch refuses both
// (API_MasterUserOptions).
const MasterPasswordInput = "advancedSecurityOptions.masterUserOptions.masterUserPassword"

// domainSecurity is the domain's fine-grained access control. The
// OpenSearch API takes a MasterUserARN only with the internal user
// database off, and a MasterUserName and MasterUserPassword only with it
// on (https://docs.aws.amazon.com/opensearch-service/latest/APIReference/API_MasterUserOptions.html).
// With the access host the internal database is on (people log in with a
// password) and the master is the internal objects.MasterUser; otherwise
// the master is the bootstrap function's IAM role.
func domainSecurity(a OpenSearchStreamArgs, bootRole *iam.Role, masterPassword pulumi.StringOutput) (*opensearch.DomainAdvancedSecurityOptionsArgs, []pulumi.ResourceOption) {
	s := &opensearch.DomainAdvancedSecurityOptionsArgs{
		Enabled:                     pulumi.Bool(true),
		AnonymousAuthEnabled:        pulumi.Bool(false),
		InternalUserDatabaseEnabled: pulumi.Bool(a.AccessHost),
	}
	if !a.AccessHost {
		s.MasterUserOptions = &opensearch.DomainAdvancedSecurityOptionsMasterUserOptionsArgs{MasterUserArn: bootRole.Arn}
		return s, nil
	}
	s.MasterUserOptions = &opensearch.DomainAdvancedSecurityOptionsMasterUserOptionsArgs{
		MasterUserName:     pulumi.String(objects.MasterUser),
		MasterUserPassword: pulumi.ToSecret(masterPassword).(pulumi.StringOutput),
	}
	return s, nil
}

// newClientEndpoints creates the interface endpoints (private DNS) the
// clients need in a VPC without a NAT gateway, behind a security group
// that admits HTTPS from the clients only.
func newClientEndpoints(ctx *pulumi.Context, name string, env awsEnv, a OpenSearchStreamArgs, clients *ec2.SecurityGroup,
	httpsFrom func(string, *ec2.SecurityGroup, *ec2.SecurityGroup) error, httpsTo func(string, pulumi.StringInput, string) error, parent pulumi.ResourceOption) ([]pulumi.Resource, error) {
	endpointsSG, err := ec2.NewSecurityGroup(ctx, name+"-endpoints", &ec2.SecurityGroupArgs{
		VpcId:       a.VpcID,
		Description: pulumi.String("Interface endpoints used by " + name),
		Tags:        NameTags(a.Tags, name+"-endpoints"),
	}, parent)
	if err != nil {
		return nil, err
	}
	if err := httpsFrom(name+"-endpoints-https", endpointsSG, clients); err != nil {
		return nil, err
	}
	if err := httpsTo(name+"-clients-to-endpoints", endpointsSG.ID(), "HTTPS to the VPC endpoints"); err != nil {
		return nil, err
	}
	var eps []pulumi.Resource
	for _, svc := range EndpointServices(a.AccessHost) {
		ep, err := ec2.NewVpcEndpoint(ctx, name+"-"+svc, &ec2.VpcEndpointArgs{
			VpcId:             a.VpcID,
			ServiceName:       pulumi.String("com.amazonaws." + env.Region + "." + svc),
			VpcEndpointType:   pulumi.String("Interface"),
			SubnetIds:         pulumi.StringArray(a.SubnetIDs),
			SecurityGroupIds:  pulumi.StringArray{endpointsSG.ID()},
			PrivateDnsEnabled: pulumi.Bool(true),
			Tags:              NameTags(a.Tags, name+"-"+svc),
		}, parent)
		if err != nil {
			return nil, err
		}
		eps = append(eps, ep)
	}
	return eps, nil
}

// EndpointServices are the services the clients call inside AWS: SQS (the
// indexer's rejects queue) and, with the access host, Session Manager
// (ssm, ssmmessages, ec2messages) and Secrets Manager (the bootstrap reads
// the passwords).
func EndpointServices(accessHost bool) []string {
	services := []string{"sqs"}
	if accessHost {
		services = append(services, "ssm", "ssmmessages", "ec2messages", "secretsmanager")
	}
	return services
}

// newPasswordSecret holds a generated password: of the internal
// "dashboards" user the bootstrap creates, or of the internal master user.
// Secrets Manager generates it once; later deploys keep it (rotate the
// Dashboards password in Secrets Manager and redeploy to apply). It returns
// the secret and the password drawn in this run (used only by resources
// that ignore later changes to it).
func newPasswordSecret(ctx *pulumi.Context, name, description string, tags map[string]string, c pulumi.Resource) (*secretsmanager.Secret, pulumi.StringOutput, error) {
	parent := pulumi.Parent(c)
	var none pulumi.StringOutput
	secret, err := secretsmanager.NewSecret(ctx, name, &secretsmanager.SecretArgs{
		Description:          pulumi.String(description),
		RecoveryWindowInDays: pulumi.Int(7),
		Tags:                 NameTags(tags, name),
	}, parent)
	if err != nil {
		return nil, none, err
	}
	pw, err := secretsmanager.GetRandomPassword(ctx, &secretsmanager.GetRandomPasswordArgs{
		PasswordLength:          pulumi.IntRef(32),
		ExcludeCharacters:       pulumi.StringRef(`"'\\/@`),
		RequireEachIncludedType: pulumi.BoolRef(true),
	}, parent)
	if err != nil {
		return nil, none, fmt.Errorf("generating the password of %s: %w", name, err)
	}
	value := pulumi.ToSecret(pulumi.String(pw.RandomPassword)).(pulumi.StringOutput)
	version, err := secretsmanager.NewSecretVersion(ctx, name+"-value", &secretsmanager.SecretVersionArgs{
		SecretId:     secret.ID(),
		SecretString: value,
	}, parent, pulumi.IgnoreChanges([]string{"secretString"}))
	if err != nil {
		return nil, none, err
	}
	// The stored value, which the ignored change leaves as it was first
	// written: the same password at every deploy (see MasterPasswordInput).
	return secret, pulumi.ToSecret(version.SecretString.Elem()).(pulumi.StringOutput), nil
}

// domainAlarms are the domain health alarms AWS recommends, to the alarm topic.
func domainAlarms(ctx *pulumi.Context, name string, env awsEnv, d *opensearch.Domain, a OpenSearchStreamArgs, mon *Monitored, parent pulumi.ResourceOption) error {
	dims := pulumi.StringMap{"DomainName": d.DomainName, "ClientId": pulumi.String(env.AccountID)}
	// FreeStorageSpace's Minimum is the fullest node's free space, so the
	// threshold is 25% of one node's volume, as AWS recommends
	// (https://docs.aws.amazon.com/opensearch-service/latest/developerguide/cloudwatch-alarms.html).
	freeMB := float64(a.VolumeSizeGB) * 1024 * 0.25
	for _, al := range []opsAlarmArgs{
		{Description: "OpenSearch cluster status is red: a primary shard is unassigned", Metric: "ClusterStatus.red", Statistic: "Maximum", Comparison: "GreaterThanOrEqualToThreshold", Threshold: 1, Period: 60, Runbook: runbook.OpenSearchRed},
		{Description: "OpenSearch cluster status is yellow: a replica shard is unassigned", Metric: "ClusterStatus.yellow", Statistic: "Maximum", Comparison: "GreaterThanOrEqualToThreshold", Threshold: 1, Period: 60, Runbook: runbook.OpenSearchYellow},
		{Description: "OpenSearch free storage below 25%", Metric: "FreeStorageSpace", Statistic: "Minimum", Comparison: "LessThanOrEqualToThreshold", Threshold: freeMB, Period: 60, Runbook: runbook.OpenSearchFreeStorage},
		{Description: "OpenSearch blocks writes (index writes blocked)", Metric: "ClusterIndexWritesBlocked", Statistic: "Maximum", Comparison: "GreaterThanOrEqualToThreshold", Threshold: 1, Period: 300, Runbook: runbook.OpenSearchWritesBlocked},
		{Description: "OpenSearch JVM memory pressure above 80%", Metric: "JVMMemoryPressure", Statistic: "Maximum", Comparison: "GreaterThanOrEqualToThreshold", Threshold: 80, Period: 300, Runbook: runbook.OpenSearchJVMPressure},
	} {
		al.Namespace, al.Dimensions, al.TopicArn, al.Tags, al.Monitor = "AWS/ES", dims, a.AlarmTopicArn, a.Tags, mon
		alarmName := name + "-" + strings.ToLower(strings.ReplaceAll(al.Metric, ".", "-"))
		if _, err := opsAlarm(ctx, alarmName, al, parent); err != nil {
			return err
		}
	}
	return nil
}

// newAccessHost is a small instance with no inbound rule and no key pair; an
// operator reaches Dashboards through SSM Session Manager port forwarding.
func newAccessHost(ctx *pulumi.Context, name string, env awsEnv, a OpenSearchStreamArgs, subnet pulumi.StringInput, clients *ec2.SecurityGroup, c pulumi.Resource) (*iam.Role, *ec2.Instance, error) {
	parent := pulumi.Parent(c)
	role, err := iam.NewRole(ctx, name+"-role", &iam.RoleArgs{
		Description: pulumi.String("Session Manager access host for the flow-log Dashboards"),
		// No source condition: EC2 does not send aws:SourceAccount when an
		// instance profile assumes the role, so the condition would lock it out.
		AssumeRolePolicy: policyJSON(policy(statement{
			"Effect":    "Allow",
			"Principal": map[string]any{"Service": env.servicePrincipal("ec2")},
			"Action":    "sts:AssumeRole",
		})),
		Tags: NameTags(a.Tags, name+"-role"),
	}, parent)
	if err != nil {
		return nil, nil, err
	}
	if _, err := iam.NewRolePolicyAttachment(ctx, name+"-ssm", &iam.RolePolicyAttachmentArgs{
		Role:      role.Name,
		PolicyArn: pulumi.String(env.arn("iam", "", "aws", "policy/AmazonSSMManagedInstanceCore")),
	}, parent); err != nil {
		return nil, nil, err
	}
	profile, err := iam.NewInstanceProfile(ctx, name+"-profile", &iam.InstanceProfileArgs{
		Role: role.Name, Tags: NameTags(a.Tags, name+"-profile"),
	}, parent)
	if err != nil {
		return nil, nil, err
	}
	ami, err := ec2.LookupAmi(ctx, &ec2.LookupAmiArgs{
		MostRecent: pulumi.BoolRef(true),
		Owners:     []string{"amazon"},
		Filters: []ec2.GetAmiFilter{
			{Name: "name", Values: []string{"al2023-ami-2023.*-arm64"}},
			{Name: "architecture", Values: []string{"arm64"}},
		},
	}, parent)
	if err != nil {
		return nil, nil, fmt.Errorf("looking up the Amazon Linux 2023 arm64 AMI: %w", err)
	}
	host, err := ec2.NewInstance(ctx, name+"-host", &ec2.InstanceArgs{
		Ami:                 pulumi.String(ami.Id),
		InstanceType:        pulumi.String("t4g.nano"),
		SubnetId:            subnet,
		VpcSecurityGroupIds: pulumi.StringArray{clients.ID()},
		IamInstanceProfile:  profile.Name,
		MetadataOptions: &ec2.InstanceMetadataOptionsArgs{
			HttpTokens: pulumi.String("required"), HttpEndpoint: pulumi.String("enabled"),
		},
		RootBlockDevice: &ec2.InstanceRootBlockDeviceArgs{Encrypted: pulumi.Bool(true), VolumeType: pulumi.String("gp3")},
		Tags:            NameTags(a.Tags, name+"-host"),
		// The AMI is read only at launch: without ignoring it, every new
		// Amazon Linux release the most-recent lookup finds would replace the host.
	}, parent, pulumi.IgnoreChanges([]string{"ami"}))
	if err != nil {
		return nil, nil, err
	}
	return role, host, nil
}
