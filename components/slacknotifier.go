package components

import (
	"errors"
	"fmt"
	"regexp"
	"slices"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/chatbot"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/lambda"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/secretsmanager"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/sns"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/sqs"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/awslimits"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/flowlog"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/runbook"
)

// How SlackNotifier delivers the alarm topic's notifications to Slack.
const (
	// SlackChatbot: AWS Chatbot subscribes to the topic and posts to a
	// channel of a workspace it is authorized for. No code of ours runs.
	SlackChatbot = "chatbot"
	// SlackWebhook: a Go Lambda subscribed to the topic formats each alarm
	// as a readable message and posts it to an incoming webhook whose URL
	// it reads from Secrets Manager.
	SlackWebhook = "webhook"
)

// SlackModes lists the modes of SlackNotifier.
var SlackModes = []string{SlackChatbot, SlackWebhook}

// Environment of the webhook function (lambda/slacknotify reads the same names).
const (
	envWebhookSecretArn = "WEBHOOK_SECRET_ARN"
	envLogGroupName     = "LOG_GROUP_NAME"
	envFlowLogFormat    = "FLOW_LOG_FORMAT"
)

// slackNotifyTimeout is the webhook function's timeout in seconds: room for
// a few posts with backoff and one Slack Retry-After of up to ~30 s.
const slackNotifyTimeout = 60

// SlackNotifierArgs configures SlackNotifier.
type SlackNotifierArgs struct {
	// Mode is SlackChatbot or SlackWebhook.
	Mode string
	// TopicArn is the alarm topic (MetricAlarmSNS.TopicArn). Its
	// notifications go to Slack; the notifier's own alarms go back to it, so
	// a webhook that keeps failing is reported by e-mail.
	TopicArn pulumi.StringInput

	// WorkspaceID and ChannelID are the Slack workspace (team) and channel
	// ids (chatbot mode).
	WorkspaceID string
	ChannelID   string
	// AlarmRegion is the Region of the alarms that publish to TopicArn
	// (chatbot mode): the Chatbot role may read the alarms there. Empty:
	// the Region of the component's provider. Set it when that provider is
	// one for the Chatbot API's Region rather than the alarms'.
	AlarmRegion string

	// WebhookURL is the incoming-webhook URL (webhook mode). It is stored
	// only as a Pulumi secret in a Secrets Manager secret version; the
	// function gets the secret's ARN, never the URL.
	WebhookURL pulumi.StringInput
	// Code is the built lambda/slacknotify package (webhook mode).
	Code LambdaCode
	// LogGroupName and Fields are the flow-log log group and its format: the
	// message links to a CloudWatch Logs Insights query over the group for
	// the alarm's window. Nil: no link (no CloudWatch Logs flow log).
	LogGroupName pulumi.StringInput
	Fields       []flowlog.Field
	// RetentionDays of the function's log group (webhook mode).
	RetentionDays int

	Tags map[string]string
}

// SlackNotifier sends the alarm topic's notifications to Slack, through AWS
// Chatbot or through a webhook Lambda with retries, an on-failure queue and
// alarms of its own.
type SlackNotifier struct {
	pulumi.ResourceState

	// ChannelConfigurationArn is the Chatbot configuration (chatbot mode).
	ChannelConfigurationArn pulumi.StringPtrOutput `pulumi:"channelConfigurationArn"`
	// FunctionName, DeadLetterQueueURL and WebhookSecretArn are set in
	// webhook mode.
	FunctionName       pulumi.StringPtrOutput `pulumi:"functionName"`
	DeadLetterQueueURL pulumi.StringPtrOutput `pulumi:"deadLetterQueueUrl"`
	WebhookSecretArn   pulumi.StringPtrOutput `pulumi:"webhookSecretArn"`
	// Monitored is what the dashboard shows of this component (not an output).
	Monitored Monitored
}

// Slack ids as AWS Chatbot's API accepts them.
var (
	slackTeamIDRe    = regexp.MustCompile(`^[0-9A-Z]{1,255}$`)
	slackChannelIDRe = regexp.MustCompile(`^[A-Za-z0-9]{1,255}$`)
)

func (a *SlackNotifierArgs) validate() error {
	var errs []error
	errs = appendErr(errs, oneOf("Mode", a.Mode, SlackModes))
	if a.TopicArn == nil {
		errs = append(errs, errors.New("TopicArn: the alarm topic is required"))
	}
	switch a.Mode {
	case SlackChatbot:
		if !slackTeamIDRe.MatchString(a.WorkspaceID) {
			errs = append(errs, fmt.Errorf("WorkspaceID: %q is not a Slack workspace id (upper-case letters and digits, e.g. T07EA123LEP)", a.WorkspaceID))
		}
		if !slackChannelIDRe.MatchString(a.ChannelID) {
			errs = append(errs, fmt.Errorf("ChannelID: %q is not a Slack channel id (letters and digits, e.g. C07EZ1ABC23)", a.ChannelID))
		}
	case SlackWebhook:
		if a.WebhookURL == nil {
			errs = append(errs, errors.New("WebhookURL: required in webhook mode"))
		}
		errs = appendErr(errs, a.Code.validate("Code"))
		if !slices.Contains(awslimits.RetentionDays, a.RetentionDays) {
			errs = append(errs, fmt.Errorf("RetentionDays: %d is not a retention CloudWatch Logs accepts", a.RetentionDays))
		}
		if a.LogGroupName != nil && len(a.Fields) == 0 {
			errs = append(errs, errors.New("Fields: the flow log format is required with LogGroupName"))
		}
	}
	return errors.Join(errs...)
}

// NewSlackNotifier subscribes Slack to the alarm topic in the chosen mode.
func NewSlackNotifier(ctx *pulumi.Context, name string, args *SlackNotifierArgs, opts ...pulumi.ResourceOption) (*SlackNotifier, error) {
	if args == nil {
		return nil, errors.New("SlackNotifier: args are required")
	}
	a := *args
	if err := a.validate(); err != nil {
		return nil, fmt.Errorf("SlackNotifier %q: %w", name, err)
	}
	a.Tags = cloneTags(a.Tags)

	c := &SlackNotifier{}
	if err := ctx.RegisterComponentResource(typeToken("SlackNotifier"), name, c, opts...); err != nil {
		return nil, err
	}
	env, err := lookupEnv(ctx, c)
	if err != nil {
		return nil, err
	}
	none := pulumi.ToOutput(pulumi.StringPtr("")).(pulumi.StringPtrOutput)
	c.ChannelConfigurationArn, c.FunctionName, c.DeadLetterQueueURL, c.WebhookSecretArn = none, none, none, none

	switch a.Mode {
	case SlackChatbot:
		cfg, err := newChatbotChannel(ctx, name, env, a, c)
		if err != nil {
			return nil, err
		}
		c.ChannelConfigurationArn = cfg.ChatConfigurationArn.ToStringPtrOutput()
	case SlackWebhook:
		w, err := newWebhookNotifier(ctx, name, env, a, c)
		if err != nil {
			return nil, err
		}
		c.FunctionName = w.sub.Function.Name.ToStringPtrOutput()
		c.DeadLetterQueueURL = w.sub.DLQ.Url.ToStringPtrOutput()
		c.WebhookSecretArn = w.secret.Arn.ToStringPtrOutput()
	}
	return c, ctx.RegisterResourceOutputs(c, pulumi.Map{
		"channelConfigurationArn": c.ChannelConfigurationArn,
		"functionName":            c.FunctionName,
		"deadLetterQueueUrl":      c.DeadLetterQueueURL,
		"webhookSecretArn":        c.WebhookSecretArn,
	})
}

// ChatbotMetricReadActions are the CloudWatch reads Chatbot needs to draw an
// alarm's metric graph. AWS defines no resource type for them, so a policy
// can grant them only on Resource "*" (see internal/policy's allow-list).
var ChatbotMetricReadActions = []string{
	"cloudwatch:GetMetricData", "cloudwatch:GetMetricStatistics",
	"cloudwatch:GetMetricWidgetImage", "cloudwatch:ListMetrics",
}

// chatbotNameRe is what a Chatbot configuration name may hold.
var chatbotNameRe = regexp.MustCompile(`[^A-Za-z0-9_-]+`)

// newChatbotChannel maps the Slack channel to the alarm topic through AWS
// Chatbot. Its role and the channel guardrail allow CloudWatch reads only:
// enough to show an alarm and its graph, nothing a channel member could use
// to change the account.
func newChatbotChannel(ctx *pulumi.Context, name string, env awsEnv, a SlackNotifierArgs, c *SlackNotifier) (*chatbot.SlackChannelConfiguration, error) {
	parent := pulumi.Parent(c)
	alarmRegion := a.AlarmRegion
	if alarmRegion == "" {
		alarmRegion = env.Region
	}
	role, err := iam.NewRole(ctx, name+"-chatbot-role", &iam.RoleArgs{
		Description: pulumi.String("Role AWS Chatbot assumes for the Slack channel of " + name + ": CloudWatch reads only"),
		// AWS Chatbot documents no trust condition for a channel role
		// (https://docs.aws.amazon.com/chatbot/latest/adminguide/getting-started.html#AWS::Chatbot::Role).
		AssumeRolePolicy: policyJSON(serviceTrust(env, "chatbot", nil)),
		Tags:             NameTags(a.Tags, name+"-chatbot-role"),
	}, parent)
	if err != nil {
		return nil, err
	}
	rp, err := iam.NewRolePolicy(ctx, name+"-chatbot-role-policy", &iam.RolePolicyArgs{
		Role: role.ID(),
		Policy: policyJSON(policy(
			statement{
				"Sid":      "ReadAlarms",
				"Effect":   "Allow",
				"Action":   []any{"cloudwatch:DescribeAlarms", "cloudwatch:DescribeAlarmHistory", "cloudwatch:DescribeAlarmsForMetric"},
				"Resource": env.arn("cloudwatch", alarmRegion, env.AccountID, "alarm:*"),
			},
			statement{
				"Sid":      "ReadMetricsForGraphs",
				"Effect":   "Allow",
				"Action":   anyStrings(ChatbotMetricReadActions),
				"Resource": "*",
			},
		)),
	}, parent)
	if err != nil {
		return nil, err
	}
	cfgName := chatbotNameRe.ReplaceAllString(fmt.Sprintf("%s-%s-%s", ctx.Project(), ctx.Stack(), name), "-")
	if len(cfgName) > 128 {
		cfgName = cfgName[:128]
	}
	return chatbot.NewSlackChannelConfiguration(ctx, name+"-channel", &chatbot.SlackChannelConfigurationArgs{
		ConfigurationName: pulumi.String(cfgName),
		IamRoleArn:        role.Arn,
		SlackTeamId:       pulumi.String(a.WorkspaceID),
		SlackChannelId:    pulumi.String(a.ChannelID),
		SnsTopicArns:      pulumi.StringArray{a.TopicArn},
		// Without guardrails Chatbot applies AdministratorAccess to what
		// channel members may run; cap it at CloudWatch reads.
		GuardrailPolicyArns: pulumi.StringArray{pulumi.String(env.arn("iam", "", "aws", "policy/CloudWatchReadOnlyAccess"))},
		LoggingLevel:        pulumi.String("ERROR"),
		Tags:                NameTags(a.Tags, name+"-channel"),
	}, parent, pulumi.DependsOn([]pulumi.Resource{rp}))
}

func anyStrings(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

type webhookNotifier struct {
	sub    *subscriber
	secret *secretsmanager.Secret
}

// newWebhookNotifier deploys lambda/slacknotify subscribed to the alarm
// topic. The URL lives only in a Secrets Manager secret version, as a Pulumi
// secret (encrypted in the state); the function reads it at cold start.
// SNS invokes Lambda asynchronously, so Lambda's retries and the on-failure
// queue of newSubscriber keep what cannot be posted; SNS itself dead-letters
// to the same queue when it cannot invoke the function at all.
func newWebhookNotifier(ctx *pulumi.Context, name string, env awsEnv, a SlackNotifierArgs, c *SlackNotifier) (*webhookNotifier, error) {
	parent := pulumi.Parent(c)
	secret, err := secretsmanager.NewSecret(ctx, name+"-webhook", &secretsmanager.SecretArgs{
		Description:          pulumi.String("Slack incoming-webhook URL the " + name + " function posts alarms to"),
		RecoveryWindowInDays: pulumi.Int(7),
		Tags:                 NameTags(a.Tags, name+"-webhook"),
	}, parent)
	if err != nil {
		return nil, err
	}
	version, err := secretsmanager.NewSecretVersion(ctx, name+"-webhook-value", &secretsmanager.SecretVersionArgs{
		SecretId:     secret.ID(),
		SecretString: pulumi.ToSecret(a.WebhookURL).(pulumi.StringOutput),
	}, parent)
	if err != nil {
		return nil, err
	}

	envVars := map[string]pulumi.StringInput{envWebhookSecretArn: secret.Arn}
	if a.LogGroupName != nil {
		envVars[envLogGroupName] = a.LogGroupName
		envVars[envFlowLogFormat] = pulumi.String(flowlog.LogFormat(a.Fields))
	}
	fnName := name + "-notify"
	sub, err := newSubscriber(ctx, fnName, env, subscriberArgs{
		Code:          a.Code,
		Description:   "Posts the flow-log alarm topic's notifications to Slack as readable messages",
		Environment:   envVars,
		Timeout:       slackNotifyTimeout,
		MemoryMB:      128,
		RetentionDays: a.RetentionDays,
		AlarmTopicArn: a.TopicArn,
		// The notifier's own alarms go to the topic it reads, so a webhook
		// that keeps failing is still reported by e-mail.
		ErrorsRunbook:    runbook.SlackNotifierErrors,
		OnFailureRunbook: runbook.SlackNotifierOnFailure,
		Tags:             a.Tags,
		Monitor:          &c.Monitored,
		Statements: []statement{{
			"Sid":      "ReadWebhookURL",
			"Effect":   "Allow",
			"Action":   "secretsmanager:GetSecretValue",
			"Resource": secret.Arn,
		}},
	}, c)
	if err != nil {
		return nil, err
	}

	perm, err := lambda.NewPermission(ctx, fnName+"-invoke", &lambda.PermissionArgs{
		Action:    pulumi.String("lambda:InvokeFunction"),
		Function:  sub.Function.Name,
		Principal: pulumi.String(env.servicePrincipal("sns")),
		SourceArn: a.TopicArn,
	}, parent)
	if err != nil {
		return nil, err
	}
	qp, err := sqs.NewQueuePolicy(ctx, fnName+"-dlq-policy", &sqs.QueuePolicyArgs{
		QueueUrl: sub.DLQ.Url,
		Policy: policyJSON(policy(statement{
			"Sid":       "AlarmTopicDeadLetters",
			"Effect":    "Allow",
			"Principal": map[string]any{"Service": env.servicePrincipal("sns")},
			"Action":    "sqs:SendMessage",
			"Resource":  sub.DLQ.Arn,
			"Condition": map[string]any{"ArnEquals": map[string]any{"aws:SourceArn": a.TopicArn}},
		})),
	}, parent)
	if err != nil {
		return nil, err
	}
	if _, err := sns.NewTopicSubscription(ctx, fnName+"-subscription", &sns.TopicSubscriptionArgs{
		Topic:         a.TopicArn,
		Protocol:      pulumi.String("lambda"),
		Endpoint:      sub.Function.Arn,
		RedrivePolicy: policyJSON(map[string]any{"deadLetterTargetArn": sub.DLQ.Arn}),
	}, parent, pulumi.DependsOn([]pulumi.Resource{perm, qp, version})); err != nil {
		return nil, err
	}
	return &webhookNotifier{sub: sub, secret: secret}, nil
}
