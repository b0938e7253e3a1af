package stacks

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/vpcflowlogs/vpc-flow-logs/components"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/stackconfig"
)

// SlackNotifyPackage is the Go main package of the Slack webhook Lambda.
const SlackNotifyPackage = "./lambda/slacknotify"

// SlackAlarms sends the alarm topic's notifications to Slack when
// slackMode is chatbot or webhook (README, "Alarms in Slack"). The webhook
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
	n, err := components.NewSlackNotifier(ctx, "slack", args)
	if err != nil {
		return err
	}
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
