package components

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/mockaws"
)

func orgAlarmBusArgs(s OrgSenders) *OrgAlarmBusArgs {
	return &OrgAlarmBusArgs{
		BusName:  "org-alarms",
		Senders:  s,
		TopicArn: pulumi.String(testTopic),
		Tags:     map[string]string{"team": "net"},
	}
}

// TestOrgAlarmBus: the custom bus, its policy letting exactly the senders
// put events on it (an organization by aws:PrincipalOrgID with any
// principal, the listed accounts by name:
// https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-bus-perms.html),
// the rule named AlarmBusRule on that bus matching the alarm state changes,
// and its target, the central topic.
func TestOrgAlarmBus(t *testing.T) {
	for _, tc := range senderPrincipals {
		t.Run(tc.name, func(t *testing.T) {
			var c *OrgAlarmBus
			m := run(t, func(ctx *pulumi.Context) error {
				var err error
				c, err = NewOrgAlarmBus(ctx, "alarm-bus", orgAlarmBusArgs(tc.senders))
				return err
			})
			// The bus takes the component's own name, as LogDestination's
			// destination does.
			_, kids := ownNamedComponent(t, m, "vpcflowlogs:index:OrgAlarmBus", "alarm-bus")
			if got := kids; got != "aws:cloudwatch/eventBus:EventBus alarm-bus, "+
				"aws:cloudwatch/eventBusPolicy:EventBusPolicy alarm-bus-policy, "+
				"aws:cloudwatch/eventRule:EventRule alarm-bus-to-topic, "+
				"aws:cloudwatch/eventTarget:EventTarget alarm-bus-topic" {
				t.Errorf("children: %s", got)
			}

			bus := onlyOf(t, m, "aws:cloudwatch/eventBus:EventBus")
			if bus.Input("name") != "org-alarms" {
				t.Errorf("bus = %v", bus.Inputs)
			}
			if got := mustJSON(t, bus.Inputs["tags"]); got != `{"Name":"alarm-bus","team":"net"}` {
				t.Errorf("bus tags = %s", got)
			}

			pol := mustGet(t, m, "alarm-bus-policy")
			if pol.Input("eventBusName") != "org-alarms" {
				t.Errorf("policy is on bus %q", pol.Input("eventBusName"))
			}
			doc := policyDoc(t, pol, "policy")
			if n := len(doc["Statement"].([]any)); n != 1 {
				t.Errorf("%d statements, want 1", n)
			}
			st := statementBySid(t, doc, "MembersPutAlarmEvents")
			if st["Effect"] != "Allow" || st["Action"] != "events:PutEvents" || st["Resource"] != bus.Outputs["arn"] {
				t.Errorf("statement = %v", st)
			}
			admitsSenders(t, st, tc.principal, tc.condition)

			rule := mustGet(t, m, "alarm-bus-to-topic")
			if rule.Input("name") != AlarmBusRule || rule.Input("eventBusName") != "org-alarms" {
				t.Errorf("rule = %v", rule.Inputs)
			}
			var pattern map[string]any
			if err := json.Unmarshal([]byte(rule.Input("eventPattern")), &pattern); err != nil {
				t.Fatalf("event pattern: %v", err)
			}
			if got, want := mustJSON(t, pattern), mustJSON(t, AlarmStateChangePattern); got != want {
				t.Errorf("event pattern = %s, want %s", got, want)
			}
			if got := mustJSON(t, rule.Inputs["tags"]); got != `{"Name":"alarm-bus-to-topic","team":"net"}` {
				t.Errorf("rule tags = %s", got)
			}

			target := mustGet(t, m, "alarm-bus-topic")
			if target.Input("eventBusName") != "org-alarms" || target.Input("rule") != AlarmBusRule || target.Input("arn") != testTopic {
				t.Errorf("target = %v", target.Inputs)
			}

			for _, o := range []struct {
				name      string
				got, want any
			}{
				{"BusArn", await(t, c.BusArn), bus.Outputs["arn"]},
				{"BusName", await(t, c.BusName), "org-alarms"},
				{"RuleArn", await(t, c.RuleArn), rule.Outputs["arn"]},
			} {
				if o.got != o.want || o.got == "" {
					t.Errorf("%s = %v, want %v", o.name, o.got, o.want)
				}
			}
		})
	}
}

// Bad arguments fail before anything is registered, naming the field.
func TestOrgAlarmBusRejectsBadArgs(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(*OrgAlarmBusArgs)
		want string
	}{
		{"empty name", func(a *OrgAlarmBusArgs) { a.BusName = "" }, `BusName: "" is not a custom event bus name`},
		{"the default bus", func(a *OrgAlarmBusArgs) { a.BusName = "default" }, `BusName: "default" is not a custom event bus name`},
		{"too long", func(a *OrgAlarmBusArgs) { a.BusName = strings.Repeat("b", 257) }, "is not a custom event bus name"},
		{"bad character", func(a *OrgAlarmBusArgs) { a.BusName = "org alarms" }, `BusName: "org alarms"`},
		{"no senders", func(a *OrgAlarmBusArgs) { a.Senders = OrgSenders{} }, "Senders: OrganizationID or AccountIDs is required"},
		{"no topic", func(a *OrgAlarmBusArgs) { a.TopicArn = nil }, "TopicArn: required"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := orgAlarmBusArgs(OrgSenders{OrganizationID: "o-abcdefghij"})
			tc.edit(args)
			refused(t, func(ctx *pulumi.Context) error {
				_, err := NewOrgAlarmBus(ctx, "alarm-bus", args)
				return err
			}, tc.want, `OrgAlarmBus "alarm-bus"`)
		})
	}
	refused(t, func(ctx *pulumi.Context) error {
		_, err := NewOrgAlarmBus(ctx, "alarm-bus", nil)
		return err
	}, "args are required")
}

// The longest event bus name (256 characters of the allowed set) is accepted.
func TestOrgAlarmBusLongestName(t *testing.T) {
	args := orgAlarmBusArgs(OrgSenders{OrganizationID: "o-abcdefghij"})
	args.BusName = "a/b.c-d_" + strings.Repeat("E", 248)
	m := run(t, func(ctx *pulumi.Context) error {
		_, err := NewOrgAlarmBus(ctx, "alarm-bus", args)
		return err
	})
	if got := onlyOf(t, m, "aws:cloudwatch/eventBus:EventBus").Input("name"); got != args.BusName {
		t.Errorf("bus name = %q", got)
	}
}

// onlyOf returns the one resource of that type or fails.
func onlyOf(t *testing.T, m *mockaws.Mocks, token string) *mockaws.Resource {
	t.Helper()
	rs := m.ByType(token)
	if len(rs) != 1 {
		t.Fatalf("%d resources of type %s, want 1", len(rs), token)
	}
	return rs[0]
}
