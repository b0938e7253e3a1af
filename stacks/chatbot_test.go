package stacks

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/mockaws"
)

func TestChatbotRegion(t *testing.T) {
	for _, tc := range []struct{ stack, configured, want string }{
		{"us-east-1", "", "us-west-2"},
		{"eu-west-1", "", "eu-west-1"},
		{"ap-southeast-1", "", "ap-southeast-1"},
		{"eu-central-1", "", "us-west-2"},
		{"us-east-1", "eu-west-1", "eu-west-1"},
		{"us-east-2", "us-west-2", "us-west-2"},
	} {
		if got := ChatbotRegion(tc.stack, tc.configured); got != tc.want {
			t.Errorf("ChatbotRegion(%s, %q) = %s, want %s", tc.stack, tc.configured, got, tc.want)
		}
	}
}

// In a region without the Chatbot API (the mocks' us-east-1) the channel
// configuration is created through an explicit provider for a region that
// has it; the alarm topic stays where it is.
func TestChatbotChannelUsesARegionWithTheAPI(t *testing.T) {
	if mockaws.Region != "us-east-1" {
		t.Fatalf("the test assumes the mocks' region us-east-1, not %s", mockaws.Region)
	}
	for _, tc := range []struct{ configured, want string }{{"", "us-west-2"}, {"eu-west-1", "eu-west-1"}} {
		cfg := with(devConfig(t), "slackMode", "chatbot", "slackWorkspaceId", "T07EA123LEP", "slackChannelId", "C07EZ1ABC23")
		if tc.configured != "" {
			cfg = with(cfg, "slackChatbotRegion", tc.configured)
		}
		r, err := deploy(t, cfg)
		if err != nil {
			t.Fatal(err)
		}
		p := r.ByName("slack-chatbot-" + tc.want)
		if p == nil || p.Type != "pulumi:providers:aws" || p.Input("region") != tc.want {
			t.Fatalf("no aws provider for %s: %+v", tc.want, p)
		}
		ch := r.ByType("aws:chatbot/slackChannelConfiguration:SlackChannelConfiguration")
		if len(ch) != 1 || !slices.ContainsFunc([]string{ch[0].Provider}, func(s string) bool { return len(s) > len(p.URN) && s[:len(p.URN)] == p.URN }) {
			t.Errorf("channel configuration provider %q, want %s::<id>", ch[0].Provider, p.URN)
		}
		if topic := r.ByName("alarms-topic"); topic.Provider != "" && topic.Provider[:len(p.URN)] == p.URN {
			t.Error("the alarm topic moved to the Chatbot region")
		}
		// The role reads the alarms where they are, in the stack's
		// region, not in the Chatbot region its provider points at.
		var pol struct {
			Statement []struct {
				Sid      string
				Resource any
			}
		}
		if err := json.Unmarshal([]byte(r.ByName("slack-chatbot-role-policy").Input("policy")), &pol); err != nil {
			t.Fatal(err)
		}
		for _, st := range pol.Statement {
			if st.Sid == "ReadAlarms" && st.Resource != "arn:aws:cloudwatch:us-east-1:"+mockaws.Account+":alarm:*" {
				t.Errorf("chatbot region %s: ReadAlarms on %v, want the alarms of the stack's region us-east-1", tc.want, st.Resource)
			}
		}
	}
}
