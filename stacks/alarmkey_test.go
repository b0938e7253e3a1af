package stacks

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/mockaws"
)

// mentions reports whether v (decoded inputs) holds s anywhere.
func mentions(v any, s string) bool {
	switch x := v.(type) {
	case string:
		return x == s
	case []any:
		return slices.ContainsFunc(x, func(e any) bool { return mentions(e, s) })
	case map[string]any:
		for _, e := range x {
			if mentions(e, s) {
				return true
			}
		}
	}
	return false
}

// TestAlarmTopicKeyGrantsEveryPublisher: the alarm topic is encrypted with a
// key the program creates, and a service can publish to an encrypted topic
// only when the key policy lets it use the key
// (https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services).
// Across the dev stack (every architecture) and both Slack modes, everything
// that names the topic is a CloudWatch alarm (a publisher), the topic's own
// policy, or a subscriber; and the key grants CloudWatch alarms
// kms:GenerateDataKey* and kms:Decrypt.
func TestAlarmTopicKeyGrantsEveryPublisher(t *testing.T) {
	subscribers := []string{
		"aws:sns/topicSubscription:TopicSubscription",
		"aws:chatbot/slackChannelConfiguration:SlackChannelConfiguration",
		"aws:lambda/permission:Permission", // lets SNS invoke the webhook function
	}
	for _, mode := range []string{"none", "chatbot", "webhook"} {
		t.Run(mode, func(t *testing.T) {
			cfg := with(devConfig(t), "slackMode", mode)
			switch mode {
			case "chatbot":
				cfg = with(cfg, "slackWorkspaceId", "T07EA123LEP", "slackChannelId", "C07EZ1ABC23")
			case "webhook":
				cfg = with(cfg, "slackWebhookUrl", "https://hooks.slack.com/services/T000/B000/XXXX")
			}
			r, err := deploy(t, cfg)
			if err != nil {
				t.Fatal(err)
			}
			topics := r.ByType("aws:sns/topic:Topic")
			if len(topics) != 1 {
				t.Fatalf("%d SNS topics", len(topics))
			}
			topicArn, _ := topics[0].Outputs["arn"].(string)
			publishers := 0
			for _, res := range r.Resources {
				if res == topics[0] || !mentions(map[string]any(res.Inputs), topicArn) {
					continue
				}
				switch {
				case res.Type == "aws:cloudwatch/metricAlarm:MetricAlarm":
					publishers++
				case res.Type == "aws:sns/topicPolicy:TopicPolicy", slices.Contains(subscribers, res.Type):
				default:
					t.Errorf("%s (%s) names the alarm topic but is neither a CloudWatch alarm nor a subscriber: "+
						"if it publishes, the topic key must grant its service", res.Name, res.Type)
				}
			}
			if publishers == 0 {
				t.Fatal("no alarm publishes to the topic")
			}
			assertKeyGrantsCloudWatch(t, r.Mocks, topics[0])
		})
	}
}

func assertKeyGrantsCloudWatch(t *testing.T, m *mockaws.Mocks, topic *mockaws.Resource) {
	t.Helper()
	var key *mockaws.Resource
	for _, k := range m.ByType("aws:kms/key:Key") {
		if k.Outputs["arn"] == topic.Inputs["kmsMasterKeyId"] {
			key = k
		}
	}
	if key == nil {
		t.Fatalf("the topic's key %v is not a key of the stack", topic.Inputs["kmsMasterKeyId"])
	}
	var doc struct {
		Statement []struct {
			Effect    string
			Principal map[string]any
			Action    any
		}
	}
	if err := json.Unmarshal([]byte(key.Input("policy")), &doc); err != nil {
		t.Fatal(err)
	}
	for _, st := range doc.Statement {
		if st.Effect != "Allow" || st.Principal["Service"] != "cloudwatch.amazonaws.com" {
			continue
		}
		actions, _ := st.Action.([]any)
		if slices.Contains(actions, any("kms:GenerateDataKey*")) && slices.Contains(actions, any("kms:Decrypt")) {
			return
		}
	}
	t.Errorf("the topic key's policy does not let CloudWatch alarms use it: %s", key.Input("policy"))
}

// TestSecurityAnalyticsPublisherMayUseTheTopicKey: with Security Analytics
// on, OpenSearch Service publishes to the alarm topic with the
// notifications role, so that role may publish to that topic and use the
// topic's key (kms:GenerateDataKey* and kms:Decrypt), which the key's policy
// lets the account's IAM policies grant.
func TestSecurityAnalyticsPublisherMayUseTheTopicKey(t *testing.T) {
	r, err := deploy(t, with(devConfig(t), "opensearchSecurityAnalytics", "true"))
	if err != nil {
		t.Fatal(err)
	}
	topics := r.ByType("aws:sns/topic:Topic")
	if len(topics) != 1 {
		t.Fatalf("%d SNS topics", len(topics))
	}
	topicArn, keyArn := topics[0].Outputs["arn"], topics[0].Inputs["kmsMasterKeyId"]
	pol := r.ByName("opensearch-notifications-policy")
	if pol == nil {
		t.Fatal("no notifications role policy")
	}
	var doc struct {
		Statement []struct {
			Action   any
			Resource any
		}
	}
	if err := json.Unmarshal([]byte(pol.Input("policy")), &doc); err != nil {
		t.Fatal(err)
	}
	var publish, useKey bool
	for _, st := range doc.Statement {
		actions, _ := st.Action.([]any)
		switch {
		case st.Action == "sns:Publish" && st.Resource == topicArn:
			publish = true
		case slices.Contains(actions, any("kms:GenerateDataKey*")) && slices.Contains(actions, any("kms:Decrypt")) && st.Resource == keyArn:
			useKey = true
		}
	}
	if !publish || !useKey {
		t.Errorf("notifications policy (publish %v, key %v): %s", publish, useKey, pol.Input("policy"))
	}
	var key *mockaws.Resource
	for _, k := range r.ByType("aws:kms/key:Key") {
		if k.Outputs["arn"] == keyArn {
			key = k
		}
	}
	if key == nil || !strings.Contains(key.Input("policy"), `"kms:*"`) || !strings.Contains(key.Input("policy"), ":root") {
		t.Errorf("the topic key's policy does not delegate to the account's IAM policies: %v", key)
	}
}
