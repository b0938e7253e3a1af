package stackconfig_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/stackconfig"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/stackfile"
)

// testWebhook looks like a real incoming-webhook URL; its last path segment
// is the token that must never be shown.
const (
	testWebhook      = "https://hooks.slack.com/services/T0TESTTEAM/B0TESTHOOK/s3cr3tT0kenValue0123456789"
	testWebhookToken = "s3cr3tT0kenValue0123456789"
)

func TestLoadSlackModes(t *testing.T) {
	for _, tc := range []struct {
		name   string
		values map[string]string
		want   stackconfig.Slack
	}{
		{"default", map[string]string{}, stackconfig.Slack{Mode: "none"}},
		{"chatbot", map[string]string{"slackMode": "chatbot", "slackWorkspaceId": "T07EA123LEP", "slackChannelId": "C07EZ1ABC23"},
			stackconfig.Slack{Mode: "chatbot", WorkspaceID: "T07EA123LEP", ChannelID: "C07EZ1ABC23"}},
		{"webhook", map[string]string{"slackMode": "webhook", "slackWebhookUrl": " " + testWebhook + " "},
			stackconfig.Slack{Mode: "webhook", WebhookURL: testWebhook}},
		{"ids kept while mode is none", map[string]string{"slackWorkspaceId": "T07EA123LEP", "slackChannelId": "C07EZ1ABC23"},
			stackconfig.Slack{Mode: "none", WorkspaceID: "T07EA123LEP", ChannelID: "C07EZ1ABC23"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := stackconfig.Load(getter(tc.values))
			if err != nil {
				t.Fatal(err)
			}
			if c.Slack != tc.want {
				t.Errorf("Slack = %+v, want %+v", c.Slack, tc.want)
			}
		})
	}
}

func TestLoadSlackRejects(t *testing.T) {
	for _, tc := range []struct {
		name    string
		values  map[string]string
		key     string
		allowed string
	}{
		{"unknown mode", map[string]string{"slackMode": "teams"}, "slackMode", "none, chatbot, webhook"},
		{"chatbot without workspace", map[string]string{"slackMode": "chatbot", "slackChannelId": "C07EZ1ABC23"}, "slackWorkspaceId", "required with slackMode chatbot"},
		{"chatbot without channel", map[string]string{"slackMode": "chatbot", "slackWorkspaceId": "T07EA123LEP"}, "slackChannelId", "required with slackMode chatbot"},
		{"channel name for an id", map[string]string{"slackChannelId": "#secops"}, "slackChannelId", "not its #name"},
		{"lower-case workspace id", map[string]string{"slackWorkspaceId": "t07ea123lep"}, "slackWorkspaceId", "upper-case letters and digits"},
		{"webhook without URL", map[string]string{"slackMode": "webhook"}, "slackWebhookUrl", "pulumi config set --secret vpc-flow-logs:slackWebhookUrl"},
		{"plain http", map[string]string{"slackMode": "webhook", "slackWebhookUrl": strings.Replace(testWebhook, "https", "http", 1)}, "slackWebhookUrl", "must start with https://"},
		{"no path", map[string]string{"slackWebhookUrl": "https://hooks.slack.com/"}, "slackWebhookUrl", "no path"},
		{"user info", map[string]string{"slackWebhookUrl": "https://u:" + testWebhookToken + "@hooks.slack.com/services/x"}, "slackWebhookUrl", "user name or password"},
		{"not a URL", map[string]string{"slackWebhookUrl": "%zz" + testWebhookToken}, "slackWebhookUrl", "not a URL"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := stackconfig.Load(getter(tc.values))
			errs := allErrors(err)
			if len(errs) != 1 {
				t.Fatalf("want one error, got %v", err)
			}
			if errs[0].Key != stackconfig.Key(tc.key) || !strings.Contains(errs[0].Allowed, tc.allowed) {
				t.Errorf("error = %v; want key %s allowing %q", err, tc.key, tc.allowed)
			}
			// The URL, or any part of its token, never appears in an error.
			if v := tc.values["slackWebhookUrl"]; v != "" && strings.Contains(err.Error(), testWebhookToken) {
				t.Errorf("error shows the secret: %v", err)
			}
		})
	}
}

func TestSecretNeverPrints(t *testing.T) {
	c, err := stackconfig.Load(getter(map[string]string{"slackMode": "webhook", "slackWebhookUrl": testWebhook}))
	if err != nil {
		t.Fatal(err)
	}
	if c.Slack.WebhookURL.Reveal() != testWebhook {
		t.Fatalf("Reveal = %q", c.Slack.WebhookURL.Reveal())
	}
	js, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{
		fmt.Sprint(c), fmt.Sprintf("%v", *c), fmt.Sprintf("%+v", *c), fmt.Sprintf("%#v", *c), fmt.Sprintf("%s", c.Slack.WebhookURL),
		fmt.Sprintf("%q", c.Slack.WebhookURL), string(js),
	} {
		if strings.Contains(s, testWebhookToken) || strings.Contains(s, "hooks.slack.com") {
			t.Errorf("the webhook URL is printed: %s", s)
		}
		if !strings.Contains(s, "[secret]") {
			t.Errorf("the secret is not shown as [secret]: %s", s)
		}
	}
	if got := fmt.Sprint(stackconfig.Secret("")); got != "" {
		t.Errorf("an unset secret prints %q", got)
	}
}

// The offline plan's stand-in for an encrypted webhook URL validates, so
// `make plan` works for a stack that set the URL with --secret.
func TestOfflinePlanSecretStandInValidates(t *testing.T) {
	c, err := stackconfig.Load(getter(map[string]string{"slackMode": "webhook", "slackWebhookUrl": stackfile.OfflineSecretPlaceholder}))
	if err != nil || c.Slack.WebhookURL.Reveal() != stackfile.OfflineSecretPlaceholder {
		t.Errorf("Load: %v", err)
	}
}
