package components

import (
	"fmt"
	"maps"
	"slices"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/lambda"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/sqs"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/runbook"
)

// LambdaCode is a built deployment package (see internal/lambdabuild): a zip
// whose single entry is the "bootstrap" binary for provided.al2023 on arm64.
type LambdaCode struct {
	ZipPath string
	// SHA256 is the base64 SHA-256 of the zip; the same source gives the same
	// value, so an unchanged function never shows a diff.
	SHA256 string
}

func (c LambdaCode) validate(field string) error {
	if c.ZipPath == "" || c.SHA256 == "" {
		return fmt.Errorf("%s: a built package (ZipPath and SHA256) is required", field)
	}
	return nil
}

// subscriberArgs configures the private helper that deploys a Go Lambda
// subscribed to the flow-log log group, with everything a data path needs
// around it: its own log group, a least-privilege role, bounded async
// retries with an encrypted SQS on-failure destination, an invoke permission
// restricted to the log group, the subscription filter and alarms.
type subscriberArgs struct {
	Code          LambdaCode
	Description   string
	Environment   map[string]pulumi.StringInput
	Statements    []statement // extra role permissions (beyond its own logs and DLQ)
	Timeout       int         // seconds
	MemoryMB      int
	RetentionDays int
	// LogGroupName/LogGroupArn is the flow-log log group to subscribe to; a
	// nil name deploys the function without a subscription.
	LogGroupName pulumi.StringInput
	LogGroupArn  pulumi.StringInput
	// KinesisStreamArn feeds the function from a Kinesis data stream (the
	// central stack's, which its members' CloudWatch Logs destinations fill)
	// through an event source mapping; KinesisKeyArn is the stream's KMS
	// key. newSubscriber grants the reads; the caller declares the mapping
	// with kinesisMapping once what the records need exists.
	KinesisStreamArn pulumi.StringInput
	KinesisKeyArn    pulumi.StringInput
	// SubnetIDs and SecurityGroupIDs place the function in a VPC.
	SubnetIDs        []pulumi.StringInput
	SecurityGroupIDs []pulumi.StringInput
	AlarmTopicArn    pulumi.StringInput
	// ErrorsRunbook and OnFailureRunbook are the docs/operations.md
	// sections (internal/runbook anchors) of the function's errors alarm and
	// of its on-failure queue's depth alarm.
	ErrorsRunbook    string
	OnFailureRunbook string
	Tags             map[string]string
	// Role is the execution role when it must exist before the function
	// (e.g. to be named as a domain's master user); nil creates one.
	Role *iam.Role
	// Monitor records the function, its DLQ and its alarms for the dashboard.
	Monitor *Monitored
}

type subscriber struct {
	Function   *lambda.Function
	Role       *iam.Role
	DLQ        *sqs.Queue
	Alarms     []*cloudwatch.MetricAlarm
	RolePolicy *iam.RolePolicy
}

// maxAsyncRetries bounds Lambda's own retries of a failed async invocation
// before the event goes to the on-failure destination.
const maxAsyncRetries = 2

func newSubscriber(ctx *pulumi.Context, name string, env awsEnv, a subscriberArgs, parent pulumi.Resource) (*subscriber, error) {
	opt := pulumi.Parent(parent)
	logs, err := cloudwatch.NewLogGroup(ctx, name+"-logs", &cloudwatch.LogGroupArgs{
		RetentionInDays: pulumi.Int(a.RetentionDays),
		Tags:            NameTags(a.Tags, name+"-logs"),
	}, opt)
	if err != nil {
		return nil, err
	}
	dlq, err := sqs.NewQueue(ctx, name+"-dlq", &sqs.QueueArgs{
		SqsManagedSseEnabled:    pulumi.Bool(true),
		MessageRetentionSeconds: pulumi.Int(14 * 24 * 3600),
		Tags:                    NameTags(a.Tags, name+"-dlq"),
	}, opt)
	if err != nil {
		return nil, err
	}
	role := a.Role
	if role == nil {
		if role, err = newLambdaRole(ctx, name, env, a.Tags, opt); err != nil {
			return nil, err
		}
	}
	stmts := []statement{
		{
			"Sid":      "OwnLogs",
			"Effect":   "Allow",
			"Action":   []any{"logs:CreateLogStream", "logs:PutLogEvents"},
			"Resource": pulumi.Sprintf("%s:*", logs.Arn),
		},
		{
			"Sid":      "OnFailureDestination",
			"Effect":   "Allow",
			"Action":   "sqs:SendMessage",
			"Resource": dlq.Arn,
		},
	}
	if len(a.SubnetIDs) > 0 {
		// Lambda needs these to manage its VPC network interfaces; AWS documents
		// they require Resource "*" (they act on ENIs that do not exist yet).
		stmts = append(stmts, statement{
			"Sid":    "VpcNetworkInterfaces",
			"Effect": "Allow",
			"Action": []any{
				"ec2:CreateNetworkInterface", "ec2:DescribeNetworkInterfaces", "ec2:DeleteNetworkInterface",
				"ec2:AssignPrivateIpAddresses", "ec2:UnassignPrivateIpAddresses",
			},
			"Resource": "*",
		})
	}
	if a.KinesisStreamArn != nil {
		stmts = append(stmts, kinesisReadStatements(a.KinesisStreamArn, a.KinesisKeyArn)...)
	}
	stmts = append(stmts, a.Statements...)
	rolePolicy, err := iam.NewRolePolicy(ctx, name+"-role-policy", &iam.RolePolicyArgs{
		Role:   role.ID(),
		Policy: policyJSON(policy(stmts...)),
	}, opt)
	if err != nil {
		return nil, err
	}

	envVars := pulumi.StringMap{}
	for _, k := range slices.Sorted(maps.Keys(a.Environment)) {
		envVars[k] = a.Environment[k]
	}
	fnArgs := &lambda.FunctionArgs{
		Description:    pulumi.String(a.Description),
		Runtime:        pulumi.String("provided.al2023"),
		Architectures:  pulumi.StringArray{pulumi.String("arm64")},
		Handler:        pulumi.String("bootstrap"),
		Code:           pulumi.NewFileArchive(a.Code.ZipPath),
		SourceCodeHash: pulumi.String(a.Code.SHA256),
		Role:           role.Arn,
		Timeout:        pulumi.Int(a.Timeout),
		MemorySize:     pulumi.Int(a.MemoryMB),
		Environment:    &lambda.FunctionEnvironmentArgs{Variables: envVars},
		LoggingConfig: &lambda.FunctionLoggingConfigArgs{
			LogFormat: pulumi.String("JSON"),
			LogGroup:  logs.Name,
		},
		TracingConfig: &lambda.FunctionTracingConfigArgs{Mode: pulumi.String("PassThrough")},
		Tags:          NameTags(a.Tags, name),
	}
	if len(a.SubnetIDs) > 0 {
		fnArgs.VpcConfig = &lambda.FunctionVpcConfigArgs{
			SubnetIds:        pulumi.StringArray(a.SubnetIDs),
			SecurityGroupIds: pulumi.StringArray(a.SecurityGroupIDs),
		}
	}
	fn, err := lambda.NewFunction(ctx, name, fnArgs, opt, pulumi.DependsOn([]pulumi.Resource{rolePolicy}))
	if err != nil {
		return nil, err
	}
	if _, err := lambda.NewFunctionEventInvokeConfig(ctx, name+"-async", &lambda.FunctionEventInvokeConfigArgs{
		FunctionName:             fn.Name,
		MaximumRetryAttempts:     pulumi.Int(maxAsyncRetries),
		MaximumEventAgeInSeconds: pulumi.Int(6 * 3600),
		DestinationConfig: &lambda.FunctionEventInvokeConfigDestinationConfigArgs{
			OnFailure: &lambda.FunctionEventInvokeConfigDestinationConfigOnFailureArgs{Destination: dlq.Arn},
		},
	}, opt); err != nil {
		return nil, err
	}

	if a.LogGroupName != nil {
		if err := subscribe(ctx, name, env, fn, a.LogGroupName, a.LogGroupArn, nil, opt); err != nil {
			return nil, err
		}
	}

	s := &subscriber{Function: fn, Role: role, DLQ: dlq, RolePolicy: rolePolicy}
	a.Monitor.addFunction(fn.Name)
	a.Monitor.addQueue(dlq.Name)
	errorsAlarm, err := opsAlarm(ctx, name+"-errors", opsAlarmArgs{
		Description: "Invocations of " + name + " failed (a function error, timeout or out of memory); Lambda retries an asynchronous event twice, then keeps it in " + name + "-dlq",
		Namespace:   "AWS/Lambda", Metric: "Errors", Statistic: "Sum",
		Dimensions: pulumi.StringMap{"FunctionName": fn.Name},
		Comparison: "GreaterThanThreshold", Threshold: 0,
		Runbook:  a.ErrorsRunbook,
		TopicArn: a.AlarmTopicArn, Tags: a.Tags, Monitor: a.Monitor,
	}, opt)
	if err != nil {
		return nil, err
	}
	dlqAlarm, err := queueDepthAlarm(ctx, name+"-dlq-depth", dlq.Name, opsAlarmArgs{
		Description: "Events of " + name + " failed every retry and wait in " + name + "-dlq (kept 14 days); fix the cause, then replay them",
		Runbook:     a.OnFailureRunbook,
		TopicArn:    a.AlarmTopicArn, Tags: a.Tags, Monitor: a.Monitor,
	}, opt)
	if err != nil {
		return nil, err
	}
	s.Alarms = []*cloudwatch.MetricAlarm{errorsAlarm, dlqAlarm}
	return s, nil
}

// newLambdaRole is the execution role of one function. Its trust policy has
// no condition: Lambda's documentation shows none for execution roles, and a
// condition Lambda does not satisfy when it assumes the role fails every
// invocation at run time
// (https://docs.aws.amazon.com/lambda/latest/dg/lambda-intro-execution-role.html).
// Who may give the role to a function is decided by iam:PassRole.
func newLambdaRole(ctx *pulumi.Context, name string, env awsEnv, tags map[string]string, opt pulumi.ResourceOption) (*iam.Role, error) {
	return iam.NewRole(ctx, name+"-role", &iam.RoleArgs{
		Description:      pulumi.String("Execution role of " + name),
		AssumeRolePolicy: policyJSON(serviceTrust(env, "lambda", nil)),
		Tags:             NameTags(tags, name+"-role"),
	}, opt)
}

// subscribe lets the flow-log log group invoke fn (only that log group of
// this account) and adds the subscription filter. deps are resources that
// must exist before records start to flow.
func subscribe(ctx *pulumi.Context, name string, env awsEnv, fn *lambda.Function, logGroupName, logGroupArn pulumi.StringInput, deps []pulumi.Resource, opt pulumi.ResourceOption) error {
	perm, err := lambda.NewPermission(ctx, name+"-invoke", &lambda.PermissionArgs{
		Action:        pulumi.String("lambda:InvokeFunction"),
		Function:      fn.Name,
		Principal:     pulumi.String(env.servicePrincipal("logs")),
		SourceArn:     pulumi.Sprintf("%s:*", logGroupArn),
		SourceAccount: pulumi.String(env.AccountID),
	}, opt)
	if err != nil {
		return err
	}
	_, err = cloudwatch.NewLogSubscriptionFilter(ctx, name+"-subscription", &cloudwatch.LogSubscriptionFilterArgs{
		LogGroup:       logGroupName,
		FilterPattern:  pulumi.String(""),
		DestinationArn: fn.Arn,
		// No distribution: it applies only to Kinesis data stream destinations
		// (https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutSubscriptionFilter.html).
	}, opt, pulumi.DependsOn(append([]pulumi.Resource{perm}, deps...)))
	return err
}

// Settings of every Kinesis event source mapping
// (https://docs.aws.amazon.com/lambda/latest/dg/with-kinesis.html and
// https://docs.aws.amazon.com/lambda/latest/dg/services-kinesis-errors.html):
// a failing batch is split in two until the bad record is alone, retried at
// most KinesisMaxRetries times and dropped to the on-failure destination
// once it is older than KinesisMaxRecordAgeSeconds, so one bad record never
// blocks its shard for the stream's whole retention.
const (
	KinesisBatchSize           = 100
	KinesisMaxRetries          = 3
	KinesisMaxRecordAgeSeconds = 6 * 3600
)

// kinesisReadStatements are what an event source mapping needs of the
// function's role to read a KMS-encrypted stream: the stream reads
// (https://docs.aws.amazon.com/lambda/latest/dg/with-kinesis.html#events-kinesis-permissions)
// and kms:Decrypt on the stream's customer managed key
// (https://docs.aws.amazon.com/streams/latest/dev/permissions-user-key-KMS.html).
func kinesisReadStatements(streamArn, keyArn pulumi.StringInput) []statement {
	out := []statement{{
		"Sid":    "ReadStream",
		"Effect": "Allow",
		"Action": []any{
			"kinesis:DescribeStream", "kinesis:DescribeStreamSummary", "kinesis:GetRecords",
			"kinesis:GetShardIterator", "kinesis:ListShards", "kinesis:ListStreams",
		},
		"Resource": streamArn,
	}}
	if keyArn != nil {
		out = append(out, statement{
			"Sid":      "DecryptStream",
			"Effect":   "Allow",
			"Action":   "kms:Decrypt",
			"Resource": keyArn,
		})
	}
	return out
}

// kinesisMapping feeds fn from the stream: batches from the oldest record
// kept (TRIM_HORIZON, so a new mapping also reads what waited in the
// stream), partial batch responses (the handler returns the sequence numbers
// it could neither deliver nor dead-letter), bisection, bounded retries and
// the function's on-failure queue for what still fails
// (https://docs.aws.amazon.com/lambda/latest/dg/kinesis-on-failure-destination.html).
func kinesisMapping(ctx *pulumi.Context, name string, fn *lambda.Function, streamArn pulumi.StringInput, dlq *sqs.Queue, deps []pulumi.Resource, opt pulumi.ResourceOption) (*lambda.EventSourceMapping, error) {
	return lambda.NewEventSourceMapping(ctx, name+"-kinesis", &lambda.EventSourceMappingArgs{
		EventSourceArn:             streamArn,
		FunctionName:               fn.Arn,
		StartingPosition:           pulumi.String("TRIM_HORIZON"),
		BatchSize:                  pulumi.Int(KinesisBatchSize),
		FunctionResponseTypes:      pulumi.StringArray{pulumi.String("ReportBatchItemFailures")},
		BisectBatchOnFunctionError: pulumi.Bool(true),
		MaximumRetryAttempts:       pulumi.Int(KinesisMaxRetries),
		MaximumRecordAgeInSeconds:  pulumi.Int(KinesisMaxRecordAgeSeconds),
		DestinationConfig: &lambda.EventSourceMappingDestinationConfigArgs{
			OnFailure: &lambda.EventSourceMappingDestinationConfigOnFailureArgs{DestinationArn: dlq.Arn},
		},
	}, opt, pulumi.DependsOn(deps))
}

// opsAlarmArgs is an operational alarm on an AWS metric.
// queueDepthAlarm alarms as soon as a message waits in the queue (a dead
// letter, an event that failed every retry, a rejected document): the
// operations alarm every dead-letter queue of the stack has. a carries the
// description, runbook, topic, tags and monitor; the metric is set here.
func queueDepthAlarm(ctx *pulumi.Context, name string, queueName pulumi.StringInput, a opsAlarmArgs, opts ...pulumi.ResourceOption) (*cloudwatch.MetricAlarm, error) {
	a.Namespace, a.Metric, a.Statistic = "AWS/SQS", "ApproximateNumberOfMessagesVisible", "Maximum"
	a.Dimensions = pulumi.StringMap{"QueueName": queueName}
	a.Comparison, a.Threshold = "GreaterThanThreshold", 0
	return opsAlarm(ctx, name, a, opts...)
}

type opsAlarmArgs struct {
	// Description says what the alarm means; the link to Runbook is
	// appended to it.
	Description string
	// Runbook is the anchor of the alarm's section of docs/operations.md
	// (internal/runbook); required.
	Runbook    string
	Namespace  string
	Metric     string
	Statistic  string
	Dimensions pulumi.StringMap
	Comparison string
	Threshold  float64
	Period     int // default 300
	TopicArn   pulumi.StringInput
	Tags       map[string]string
	// Monitor records the alarm for the dashboard (nil: not recorded).
	Monitor *Monitored
}

func opsAlarm(ctx *pulumi.Context, name string, a opsAlarmArgs, opts ...pulumi.ResourceOption) (*cloudwatch.MetricAlarm, error) {
	if a.Runbook == "" {
		return nil, fmt.Errorf("alarm %s: no runbook section (internal/runbook) for its description to link to", name)
	}
	if a.Period == 0 {
		a.Period = 300
	}
	args := &cloudwatch.MetricAlarmArgs{
		AlarmDescription:   pulumi.String(runbook.Description(a.Description, a.Runbook)),
		Namespace:          pulumi.String(a.Namespace),
		MetricName:         pulumi.String(a.Metric),
		Statistic:          pulumi.String(a.Statistic),
		Dimensions:         a.Dimensions,
		Period:             pulumi.Int(a.Period),
		EvaluationPeriods:  pulumi.Int(1),
		Threshold:          pulumi.Float64(a.Threshold),
		ComparisonOperator: pulumi.String(a.Comparison),
		TreatMissingData:   pulumi.String("notBreaching"),
		Tags:               NameTags(a.Tags, name),
	}
	if a.TopicArn != nil {
		args.AlarmActions = pulumi.Array{a.TopicArn}
		args.OkActions = pulumi.Array{a.TopicArn}
	}
	alarm, err := cloudwatch.NewMetricAlarm(ctx, name, args, opts...)
	if err != nil {
		return nil, err
	}
	a.Monitor.addAlarm(alarm, MonitoredAlarm{
		Namespace: a.Namespace, Metric: a.Metric, Statistic: a.Statistic, Dimensions: a.Dimensions,
		Threshold: a.Threshold, Period: a.Period, Comparison: a.Comparison,
	})
	return alarm, nil
}
