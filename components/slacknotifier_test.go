package components

import (
	"fmt"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/flowlog"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/mockaws"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/runbook"
)

const (
	testTopic = "arn:aws:sns:us-east-1:123456789012:alarms"
	// testWebhook looks like a real incoming webhook; its token must never
	// appear in clear text in any input.
	testWebhook      = "https://hooks.slack.com/services/T0TESTTEAM/B0TESTHOOK/s3cr3tT0kenValue0123456789"
	testWebhookToken = "s3cr3tT0kenValue0123456789"
)

func chatbotArgs() *SlackNotifierArgs {
	return &SlackNotifierArgs{
		Mode: SlackChatbot, TopicArn: pulumi.String(testTopic),
		WorkspaceID: "T07EA123LEP", ChannelID: "C07EZ1ABC23",
		Tags: map[string]string{"team": "secops"},
	}
}

func webhookArgs() *SlackNotifierArgs {
	return &SlackNotifierArgs{
		Mode: SlackWebhook, TopicArn: pulumi.String(testTopic),
		WebhookURL:    pulumi.String(testWebhook), // plain on purpose: the component must make it secret
		Code:          LambdaCode{ZipPath: "/nonexistent/slacknotify.zip", SHA256: "c2FtZQ=="},
		LogGroupName:  pulumi.String("/flow/logs"),
		Fields:        flowlog.V2Fields(),
		RetentionDays: 14,
		Tags:          map[string]string{"team": "secops"},
	}
}

// clearStrings calls fn for every string in v that is not inside a Pulumi
// secret, with its dotted path.
func clearStrings(v any, path string, fn func(path, s string)) {
	switch t := v.(type) {
	case string:
		fn(path, t)
	case map[string]any:
		for k, e := range t {
			clearStrings(e, path+"."+k, fn)
		}
	case []any:
		for i, e := range t {
			clearStrings(e, fmt.Sprintf("%s.%d", path, i), fn)
		}
	case *resource.Secret:
		// encrypted in the state; not clear text
	}
}

// assertNoClearSecret fails when the webhook URL, or its token, is in any
// registered input in clear text.
func assertNoClearSecret(t *testing.T, m *mockaws.Mocks) {
	t.Helper()
	for _, r := range m.Resources {
		clearStrings(r.Inputs, r.Name, func(path, s string) {
			if strings.Contains(s, testWebhookToken) || strings.Contains(s, "hooks.slack.com") {
				t.Errorf("%s (%s) holds the webhook URL in clear text", path, r.Type)
			}
		})
	}
}

// TestSlackNotifierChatbotReadsAlarmsInTheirRegion: under a provider for
// the Chatbot API's Region, the role reads the alarms in AlarmRegion, where
// they are; without AlarmRegion, in the provider's Region.
func TestSlackNotifierChatbotReadsAlarmsInTheirRegion(t *testing.T) {
	for _, tc := range []struct{ alarmRegion, want string }{{"us-east-1", "us-east-1"}, {"", "us-west-2"}} {
		m := run(t, func(ctx *pulumi.Context) error {
			p, err := aws.NewProvider(ctx, "chatbot-region", &aws.ProviderArgs{Region: pulumi.String("us-west-2")})
			if err != nil {
				return err
			}
			a := chatbotArgs()
			a.AlarmRegion = tc.alarmRegion
			_, err = NewSlackNotifier(ctx, "slack", a, pulumi.Providers(p))
			return err
		})
		pol := policyDoc(t, mustGet(t, m, "slack-chatbot-role-policy"), "policy")
		if got, want := statementBySid(t, pol, "ReadAlarms")["Resource"], "arn:aws:cloudwatch:"+tc.want+":123456789012:alarm:*"; got != want {
			t.Errorf("AlarmRegion %q: alarm reads on %v, want %s", tc.alarmRegion, got, want)
		}
	}
}

func TestSlackNotifierChatbot(t *testing.T) {
	m := run(t, func(ctx *pulumi.Context) error {
		_, err := NewSlackNotifier(ctx, "slack", chatbotArgs())
		return err
	})
	assertComponentTree(t, m, "vpcflowlogs:index:SlackNotifier", "slack")

	cfg := mustGet(t, m, "slack-channel")
	role := mustGet(t, m, "slack-chatbot-role")
	if cfg.Type != "aws:chatbot/slackChannelConfiguration:SlackChannelConfiguration" {
		t.Fatalf("slack-channel is a %s", cfg.Type)
	}
	want := map[string]string{
		"slackTeamId": "T07EA123LEP", "slackChannelId": "C07EZ1ABC23", "loggingLevel": "ERROR",
		"configurationName": "vpc-flow-logs-test-slack", "iamRoleArn": str(role.Outputs["arn"]),
	}
	for k, v := range want {
		if cfg.Input(k) != v {
			t.Errorf("channel %s = %q, want %q", k, cfg.Input(k), v)
		}
	}
	if topics := cfg.Inputs["snsTopicArns"].([]any); len(topics) != 1 || topics[0] != testTopic {
		t.Errorf("channel topics = %v, want only the alarm topic", topics)
	}
	if g := cfg.Inputs["guardrailPolicyArns"].([]any); len(g) != 1 || g[0] != "arn:aws:iam::aws:policy/CloudWatchReadOnlyAccess" {
		t.Errorf("guardrails = %v: without one Chatbot lets channel members act with AdministratorAccess", g)
	}

	trust := asMap(policyDoc(t, role, "assumeRolePolicy")["Statement"].([]any)[0])
	// AWS Chatbot documents no trust condition; one it does not satisfy silences the channel.
	if asMap(trust["Principal"])["Service"] != "chatbot.amazonaws.com" || trust["Condition"] != nil {
		t.Errorf("chatbot trust = %v, want chatbot.amazonaws.com and no condition", trust)
	}
	pol := policyDoc(t, mustGet(t, m, "slack-chatbot-role-policy"), "policy")
	if n := len(pol["Statement"].([]any)); n != 2 {
		t.Errorf("chatbot role has %d statements, want 2", n)
	}
	alarms := statementBySid(t, pol, "ReadAlarms")
	if alarms["Resource"] != "arn:aws:cloudwatch:us-east-1:123456789012:alarm:*" {
		t.Errorf("alarm reads on %v", alarms["Resource"])
	}
	metrics := statementBySid(t, pol, "ReadMetricsForGraphs")
	for _, a := range metrics["Action"].([]any) {
		if !slices.Contains(ChatbotMetricReadActions, str(a)) {
			t.Errorf("chatbot role may %v on *", a)
		}
	}
	for _, s := range pol["Statement"].([]any) {
		for _, a := range asMap(s)["Action"].([]any) {
			if act := str(a); !strings.HasPrefix(act, "cloudwatch:Describe") && !strings.HasPrefix(act, "cloudwatch:Get") && !strings.HasPrefix(act, "cloudwatch:List") {
				t.Errorf("chatbot role grants %s, not a CloudWatch read", act)
			}
		}
	}
	for _, typ := range []string{"aws:lambda/function:Function", "aws:secretsmanager/secret:Secret", "aws:sns/topicSubscription:TopicSubscription"} {
		if n := len(m.ByType(typ)); n != 0 {
			t.Errorf("chatbot mode registers %d %s", n, typ)
		}
	}
}

func TestSlackNotifierWebhook(t *testing.T) {
	m := run(t, func(ctx *pulumi.Context) error {
		_, err := NewSlackNotifier(ctx, "slack", webhookArgs())
		return err
	})
	assertComponentTree(t, m, "vpcflowlogs:index:SlackNotifier", "slack")
	assertNoClearSecret(t, m)

	secret := mustGet(t, m, "slack-webhook")
	version := mustGet(t, m, "slack-webhook-value")
	sv, ok := version.Inputs["secretString"].(*resource.Secret)
	if !ok {
		t.Fatalf("secretString is %T, not a Pulumi secret: the state would hold the URL in plain text", version.Inputs["secretString"])
	}
	if sv.Element.StringValue() != testWebhook {
		t.Errorf("the secret version holds %q", sv.Element.StringValue())
	}
	if version.Input("secretId") != secret.Outputs["id"] {
		t.Errorf("version of %q, want the webhook secret", version.Input("secretId"))
	}

	fn := mustGet(t, m, "slack-notify")
	if fn.Input("runtime") != "provided.al2023" || fn.Inputs["architectures"].([]any)[0] != "arm64" || fn.Input("handler") != "bootstrap" {
		t.Errorf("function runtime %v", fn.Inputs)
	}
	vars := asMap(asMap(fn.Inputs["environment"])["variables"])
	wantVars := map[string]any{
		envWebhookSecretArn: secret.Outputs["arn"],
		envLogGroupName:     "/flow/logs",
		envFlowLogFormat:    flowlog.LogFormat(flowlog.V2Fields()),
	}
	if len(vars) != len(wantVars) {
		t.Errorf("environment = %v, want exactly %v", vars, wantVars)
	}
	for k, v := range wantVars {
		if vars[k] != v {
			t.Errorf("environment %s = %v, want %v", k, vars[k], v)
		}
	}

	pol := policyDoc(t, mustGet(t, m, "slack-notify-role-policy"), "policy")
	if read := statementBySid(t, pol, "ReadWebhookURL"); read["Action"] != "secretsmanager:GetSecretValue" || read["Resource"] != secret.Outputs["arn"] {
		t.Errorf("secret read = %v", read)
	}

	perm := mustGet(t, m, "slack-notify-invoke")
	if perm.Input("principal") != "sns.amazonaws.com" || perm.Input("sourceArn") != testTopic || perm.Input("function") != fn.Outputs["name"] {
		t.Errorf("invoke permission = %v", perm.Inputs)
	}
	dlq := mustGet(t, m, "slack-notify-dlq")
	sub := mustGet(t, m, "slack-notify-subscription")
	if sub.Input("protocol") != "lambda" || sub.Input("topic") != testTopic || sub.Input("endpoint") != fn.Outputs["arn"] {
		t.Errorf("subscription = %v", sub.Inputs)
	}
	if sub.Input("redrivePolicy") != `{"deadLetterTargetArn":"`+str(dlq.Outputs["arn"])+`"}` {
		t.Errorf("subscription redrive = %s", sub.Input("redrivePolicy"))
	}
	qp := statementBySid(t, policyDoc(t, mustGet(t, m, "slack-notify-dlq-policy"), "policy"), "AlarmTopicDeadLetters")
	if asMap(asMap(qp["Condition"])["ArnEquals"])["aws:SourceArn"] != testTopic || asMap(qp["Principal"])["Service"] != "sns.amazonaws.com" {
		t.Errorf("dead-letter queue policy = %v", qp)
	}
	async := mustGet(t, m, "slack-notify-async")
	if onFailure := asMap(asMap(async.Inputs["destinationConfig"])["onFailure"]); onFailure["destination"] != dlq.Outputs["arn"] || async.Inputs["maximumRetryAttempts"] != float64(2) {
		t.Errorf("async config = %v", async.Inputs)
	}
	// A webhook that keeps failing raises alarms on the alarm topic (e-mail).
	for _, name := range []string{"slack-notify-errors", "slack-notify-dlq-depth"} {
		a := mustGet(t, m, name)
		if acts := a.Inputs["alarmActions"].([]any); len(acts) != 1 || acts[0] != testTopic {
			t.Errorf("%s notifies %v", name, acts)
		}
	}
	if n := len(m.ByType("aws:chatbot/slackChannelConfiguration:SlackChannelConfiguration")); n != 0 {
		t.Errorf("webhook mode registers %d Chatbot configurations", n)
	}
}

func TestSlackNotifierWebhookWithoutLogGroup(t *testing.T) {
	m := run(t, func(ctx *pulumi.Context) error {
		a := webhookArgs()
		a.LogGroupName, a.Fields = nil, nil
		a.WebhookURL = pulumi.ToSecret(pulumi.String(testWebhook)).(pulumi.StringOutput) // already secret: still fine
		_, err := NewSlackNotifier(ctx, "slack", a)
		return err
	})
	assertNoClearSecret(t, m)
	vars := asMap(asMap(mustGet(t, m, "slack-notify").Inputs["environment"])["variables"])
	if _, ok := vars[envLogGroupName]; ok || len(vars) != 1 {
		t.Errorf("environment without a flow-log group = %v", vars)
	}
}

func TestSlackNotifierRejectsBadArgs(t *testing.T) {
	cases := map[string]func(a *SlackNotifierArgs){
		"unknown mode": func(a *SlackNotifierArgs) { a.Mode = "teams" },
		"no topic":     func(a *SlackNotifierArgs) { a.TopicArn = nil },
		"channel name": func(a *SlackNotifierArgs) {
			a.Mode, a.WorkspaceID, a.ChannelID = SlackChatbot, "T07EA123LEP", "#secops"
		},
		"no workspace":         func(a *SlackNotifierArgs) { a.Mode, a.WorkspaceID, a.ChannelID = SlackChatbot, "", "C07EZ1ABC23" },
		"webhook without URL":  func(a *SlackNotifierArgs) { a.WebhookURL = nil },
		"webhook without code": func(a *SlackNotifierArgs) { a.Code = LambdaCode{} },
		"bad retention":        func(a *SlackNotifierArgs) { a.RetentionDays = 31 },
		"log group, no format": func(a *SlackNotifierArgs) { a.Fields = nil },
	}
	for name, mutate := range cases {
		t.Run(name, func(t *testing.T) {
			a := webhookArgs()
			mutate(a)
			m, err := mockaws.Run(func(ctx *pulumi.Context) error {
				_, err := NewSlackNotifier(ctx, "bad", a)
				return err
			}, "p", "s", nil)
			if err == nil || len(m.Resources) != 0 {
				t.Fatalf("err = %v, %d resources registered", err, len(m.Resources))
			}
			if strings.Contains(err.Error(), testWebhookToken) {
				t.Errorf("error shows the webhook URL: %v", err)
			}
		})
	}
}

// lambda/slacknotify reads the rule's name, description and pattern out of
// the alarm description, before the runbook link (its ParseRule uses the
// same expression after runbook.Split); this pins the format it reads.
func TestAlarmDescriptionCarriesRuleAndPattern(t *testing.T) {
	re := regexp.MustCompile(`(?s)^(.*?)\s*\(rule ([a-z0-9][a-z0-9-]{0,62}): [^;]*; pattern (.*)\)$`)
	r := alarmArgs().Rules[0]
	r.Description = "SSH REJECTed"
	const pattern = `[version, srcaddr="10.0.0.155", dstport=22]`
	d := alarmDescription(r, pattern)
	text, link := runbook.Split(d)
	if link != runbook.Link(runbook.RuleAlarm) {
		t.Errorf("alarm description %q does not end with the rule alarms' runbook link", d)
	}
	m := re.FindStringSubmatch(text)
	if m == nil || m[1] != r.Description || m[2] != r.Name || m[3] != pattern {
		t.Errorf("alarm description %q is not in the form slacknotify parses: %q", d, m)
	}
}

// A pattern too long for CloudWatch's 1024-character description cuts the
// text, never the runbook link.
func TestLongRuleAlarmDescriptionKeepsTheRunbookLink(t *testing.T) {
	r := alarmArgs().Rules[0]
	r.Description = strings.Repeat("é", 100) // two bytes each: the cut must not split one
	pattern := "[" + strings.Repeat("f, ", 400) + "g]"
	d := alarmDescription(r, pattern)
	if len(d) > 1024 {
		t.Errorf("description is %d bytes; CloudWatch accepts 1024", len(d))
	}
	if !utf8.ValidString(d) {
		t.Error("the cut split a character")
	}
	text, link := runbook.Split(d)
	if link != runbook.Link(runbook.RuleAlarm) {
		t.Errorf("the cut lost the runbook link: %q", d)
	}
	if !strings.HasSuffix(text, "...") || !strings.Contains(text, "(rule "+r.Name+": ") {
		t.Errorf("the cut text is not marked or lost the rule: %q", text)
	}
}
