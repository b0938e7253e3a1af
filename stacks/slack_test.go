package stacks

import (
	"fmt"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/flowlog"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/stackconfig"
)

const (
	testSlackWebhook = "https://hooks.slack.com/services/T0TESTTEAM/B0TESTHOOK/s3cr3tT0kenValue0123456789"
	testSlackToken   = "s3cr3tT0kenValue0123456789"
)

// clearInputs calls fn for every string input outside a Pulumi secret.
func clearInputs(v any, fn func(string)) {
	switch t := v.(type) {
	case string:
		fn(t)
	case map[string]any:
		for _, e := range t {
			clearInputs(e, fn)
		}
	case []any:
		for _, e := range t {
			clearInputs(e, fn)
		}
	case *resource.Secret:
	}
}

func TestSlackChatbotMode(t *testing.T) {
	r, err := deploy(t, with(devConfig(t), "slackMode", "chatbot", "slackWorkspaceId", "T07EA123LEP", "slackChannelId", "C07EZ1ABC23"))
	if err != nil {
		t.Fatal(err)
	}
	cfgs := r.ByType("aws:chatbot/slackChannelConfiguration:SlackChannelConfiguration")
	if len(cfgs) != 1 {
		t.Fatalf("%d Chatbot configurations", len(cfgs))
	}
	topic := r.ByName("alarms-topic").Outputs["arn"]
	if got := cfgs[0].Inputs["snsTopicArns"].([]any); len(got) != 1 || got[0] != topic {
		t.Errorf("Chatbot posts %v, want the alarm topic %v", got, topic)
	}
	if s := outputString(r.outputs["slackChannelConfigurationArn"]); !strings.HasPrefix(s, "arn:aws:chatbot::") {
		t.Errorf("slackChannelConfigurationArn = %q", s)
	}
	if r.ByName("slack-notify") != nil {
		t.Error("chatbot mode deploys the webhook function")
	}
	assertTagged(t, r, "slack")
}

func TestSlackWebhookMode(t *testing.T) {
	r, err := deploy(t, with(devConfig(t), "slackMode", "webhook", "slackWebhookUrl", testSlackWebhook))
	if err != nil {
		t.Fatal(err)
	}
	// The URL is in no input in clear text, and in no stack output.
	for _, res := range r.Resources {
		clearInputs(res.Inputs, func(s string) {
			if strings.Contains(s, testSlackToken) {
				t.Errorf("%s (%s) holds the webhook URL in clear text", res.Name, res.Type)
			}
		})
	}
	for k, v := range r.outputs {
		if strings.Contains(outputString(v), testSlackToken) {
			t.Errorf("stack output %s shows the webhook URL", k)
		}
	}
	if _, ok := r.ByName("slack-webhook-value").Inputs["secretString"].(*resource.Secret); !ok {
		t.Error("the secret version's value is not a Pulumi secret")
	}
	fn := r.ByName("slack-notify")
	if fn == nil {
		t.Fatal("no slack-notify function")
	}
	vars := fn.Inputs["environment"].(map[string]any)["variables"].(map[string]any)
	c, _ := stackconfig.Load(func(k string) (string, bool) { v, ok := devConfig(t)[k]; return v, ok })
	if vars["LOG_GROUP_NAME"] != r.ByName("flowlogs-cw-logs").Outputs["name"] || vars["FLOW_LOG_FORMAT"] != flowlog.LogFormat(c.Fields) {
		t.Errorf("function environment = %v", vars)
	}
	for _, k := range []string{"slackNotifierName", "slackDeadLetterQueueUrl", "slackWebhookSecretArn"} {
		if s := outputString(r.outputs[k]); s == "" {
			t.Errorf("output %s is empty", k)
		}
	}
	assertTagged(t, r, "slack")
}

// Without a CloudWatch Logs flow log (Firehose fed directly) the function
// still posts, without the Logs Insights link.
func TestSlackWebhookWithoutFlowLogGroup(t *testing.T) {
	r, err := deploy(t, with(devConfig(t), "architectures", `["firehose-athena"]`, "firehoseFeedMode", "direct",
		"slackMode", "webhook", "slackWebhookUrl", testSlackWebhook))
	if err != nil {
		t.Fatal(err)
	}
	vars := r.ByName("slack-notify").Inputs["environment"].(map[string]any)["variables"].(map[string]any)
	if _, ok := vars["LOG_GROUP_NAME"]; ok || vars["WEBHOOK_SECRET_ARN"] == nil {
		t.Errorf("function environment = %v", vars)
	}
}

func TestSlackWebhookNeedsTheSecret(t *testing.T) {
	r, err := deploy(t, with(devConfig(t), "slackMode", "webhook"))
	if err == nil || !strings.Contains(err.Error(), stackconfig.Key("slackWebhookUrl")) || !strings.Contains(err.Error(), "--secret") {
		t.Fatalf("err = %v", err)
	}
	if len(r.Resources) != 0 {
		t.Errorf("%d resources registered", len(r.Resources))
	}
	r, err = deploy(t, with(devConfig(t), "slackMode", "webhook", "slackWebhookUrl", strings.Replace(testSlackWebhook, "https:", "http:", 1)))
	if err == nil || strings.Contains(err.Error(), testSlackToken) {
		t.Fatalf("a plain-http URL: err = %v", err)
	}
	if len(r.Resources) != 0 {
		t.Errorf("%d resources registered", len(r.Resources))
	}
}

// outputString is a resolved output as text (a *string dereferenced).
func outputString(v any) string {
	if p, ok := v.(*string); ok {
		if p == nil {
			return ""
		}
		return *p
	}
	return fmt.Sprint(v)
}

func TestPlainTextWebhookIsRefused(t *testing.T) {
	cfg, err := stackconfig.Load(func(k string) (string, bool) {
		switch k {
		case stackconfig.Key("slackMode"):
			return "webhook", true
		case stackconfig.Key("slackWebhookUrl"):
			return testSlackWebhook, true
		}
		return "", false
	})
	if err != nil {
		t.Fatal(err)
	}
	err = CheckSecrets(cfg, func(string) bool { return false })
	if err == nil || !strings.Contains(err.Error(), "--secret") || strings.Contains(err.Error(), testSlackWebhook) {
		t.Fatalf("plain-text webhook: err = %v (must name --secret and never echo the URL)", err)
	}
	if err := CheckSecrets(cfg, func(string) bool { return true }); err != nil {
		t.Fatalf("secret webhook refused: %v", err)
	}
}
