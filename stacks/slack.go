package stacks

import (
	"slices"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/vpcflowlogs/vpc-flow-logs/components"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/stackconfig"
)

// SlackNotifyPackage is the Go main package of the Slack webhook Lambda.
const SlackNotifyPackage = "./lambda/slacknotify"

// SlackAlarms sends the alarm topic's notifications to Slack when
// slackMode is chatbot or webhook (docs/alarms.md, "Alarms in Slack"). The webhook
// URL reaches the component only as a Pulumi secret.
func SlackAlarms(ctx *pulumi.Context, sh *Shared) error {
	s := sh.Config.Slack
	if s.Mode == stackconfig.SlackNone {
		return nil
	}
	args := &components.SlackNotifierArgs{
		TopicArn: sh.Alarms.TopicArn,
		Tags:     sh.Tags,
	}
	switch s.Mode {
	case stackconfig.SlackChatbot:
		args.Mode = components.SlackChatbot
		args.WorkspaceID, args.ChannelID = s.WorkspaceID, s.ChannelID
	case stackconfig.SlackWebhook:
		args.Mode = components.SlackWebhook
		args.WebhookURL = pulumi.ToSecret(pulumi.String(s.WebhookURL.Reveal())).(pulumi.StringOutput)
		args.RetentionDays = sh.Config.LogRetentionDays
		if sh.CloudWatch != nil {
			args.LogGroupName = sh.CloudWatch.LogGroupName
			args.Fields = sh.Config.Fields
		}
		code, err := buildLambda(ctx, "slacknotify", SlackNotifyPackage)
		if err != nil {
			return err
		}
		args.Code = code
	}
	var opts []pulumi.ResourceOption
	if s.Mode == stackconfig.SlackChatbot {
		p, stackRegion, err := chatbotProvider(ctx, s.ChatbotRegion)
		if err != nil {
			return err
		}
		if p != nil {
			opts = append(opts, pulumi.Providers(p))
			// The alarms stay in the stack's Region: the role reads them
			// there, not in the Chatbot Region the provider is for.
			args.AlarmRegion = stackRegion
		}
	}
	n, err := components.NewSlackNotifier(ctx, "slack", args, opts...)
	if err != nil {
		return err
	}
	sh.monitor(&n.Monitored)
	switch s.Mode {
	case stackconfig.SlackChatbot:
		sh.export("slackChannelConfigurationArn", n.ChannelConfigurationArn)
	case stackconfig.SlackWebhook:
		sh.export("slackNotifierName", n.FunctionName)
		sh.export("slackDeadLetterQueueUrl", n.DeadLetterQueueURL)
		sh.export("slackWebhookSecretArn", n.WebhookSecretArn)
	}
	return nil
}

// chatbotProvider returns an aws provider for the region the Chatbot channel
// configuration must be created in, or nil when that is the stack's own
// region, and the stack's region. The AWS Chatbot API exists only in stackconfig.ChatbotRegions
// (https://docs.aws.amazon.com/chatbot/latest/APIReference/Welcome.html); a
// channel configuration may name a topic in any region. The explicit provider
// acts as the same principal as the default provider (regionProvider).
func chatbotProvider(ctx *pulumi.Context, want string) (*aws.Provider, string, error) {
	reg, err := aws.GetRegion(ctx, &aws.GetRegionArgs{})
	if err != nil {
		return nil, "", err
	}
	want = ChatbotRegion(reg.Name, want)
	if want == reg.Name {
		return nil, reg.Name, nil
	}
	p, err := regionProvider(ctx, "slack-chatbot-"+want, want)
	return p, reg.Name, err
}

// ChatbotRegion is the region of the Chatbot channel configuration for a
// stack in stackRegion: the configured one, else the stack's region when
// Chatbot serves it, else the first of stackconfig.ChatbotRegions.
func ChatbotRegion(stackRegion, configured string) string {
	switch {
	case configured != "":
		return configured
	case slices.Contains(stackconfig.ChatbotRegions, stackRegion):
		return stackRegion
	default:
		return stackconfig.ChatbotRegions[0]
	}
}
