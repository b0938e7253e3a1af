package stacks

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/runbook"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/stackfile"
)

// runbookConfigs are stacks that together declare every kind of alarm: the
// dev stack (every architecture, the forwarder, a new OpenSearch domain and
// its access host), the same with every optional feature on (the Slack
// webhook function, QuickSight, Security Analytics), the shipped prod stack (KMS keys, existing
// VPCs, no access host), the subscription feed and the shipped central stack
// (the organization stream). A feature that adds
// alarms belongs in "everything". The shipped member stack is planned
// separately (runbookMember), against the recorded central outputs.
func runbookConfigs(t *testing.T) map[string]map[string]string {
	t.Helper()
	_, prod, err := stackfile.LoadConfig(moduleRoot(t), "prod")
	if err != nil {
		t.Fatal(err)
	}
	return map[string]map[string]string{
		"dev": devConfig(t),
		"everything": with(devConfig(t), "slackMode", "webhook", "slackWebhookUrl", testSlackWebhook,
			"quicksightPrincipalArn", "arn:aws:quicksight:us-east-1:123456789012:user/default/secops-analyst",
			"opensearchSecurityAnalytics", "true"),
		"prod":                      prod,
		"dev+firehose subscription": with(devConfig(t), "firehoseFeedMode", "subscription"),
		"central":                   centralConfig(t),
	}
}

// TestEveryAlarmLinksToItsRunbook: every CloudWatch alarm the program
// declares ends its description with runbook.Link(anchor) for a heading of
// docs/operations.md, within CloudWatch's 1024 characters; that section
// names the alarm's metric (an AWS metric by namespace and name, a rule's
// metric by its namespace's prefix); and the alarm notifies the alarm topic
// on ALARM and on the return to OK, as the runbook says. A new kind of alarm
// without a section, or a renamed section, fails here.
func TestEveryAlarmLinksToItsRunbook(t *testing.T) {
	md, err := os.ReadFile(filepath.Join(moduleRoot(t), "docs", "operations.md"))
	if err != nil {
		t.Fatal(err)
	}
	sections := runbook.Sections(string(md))
	used := map[string]bool{}
	stacks := map[string]func(t *testing.T) (*result, error){
		"member": func(t *testing.T) (*result, error) {
			return deployMember(t, memberStackConfig(t), recordedCentral(t), "eu-west-1")
		},
	}
	for name, cfg := range runbookConfigs(t) {
		stacks[name] = func(t *testing.T) (*result, error) { return deploy(t, cfg) }
	}
	for name, plan := range stacks {
		t.Run(name, func(t *testing.T) {
			r, err := plan(t)
			if err != nil {
				t.Fatal(err)
			}
			topic := r.ByName("alarms-topic")
			if topic == nil {
				t.Fatal("no alarm topic")
			}
			alarms := r.ByType("aws:cloudwatch/metricAlarm:MetricAlarm")
			if len(alarms) == 0 {
				t.Fatal("no alarms")
			}
			for _, a := range alarms {
				d := a.Input("alarmDescription")
				if len(d) > runbook.MaxDescription {
					t.Errorf("%s: description is %d characters; CloudWatch accepts %d", a.Name, len(d), runbook.MaxDescription)
				}
				_, link := runbook.Split(d)
				anchor, ok := strings.CutPrefix(link, runbook.Base+"#")
				if !ok {
					t.Errorf("%s: description does not end with a runbook link (runbook.Link): %q", a.Name, d)
					continue
				}
				body, ok := sections[anchor]
				if !ok {
					t.Errorf("%s links to #%s, which is not a heading of docs/operations.md", a.Name, anchor)
					continue
				}
				used[anchor] = true
				if ns, metric := a.Input("namespace"), a.Input("metricName"); metric != "" {
					want := []string{ns, metric}
					if !strings.HasPrefix(ns, "AWS/") {
						want = []string{strings.Split(ns, "/")[0] + "/"}
					}
					for _, w := range want {
						if !strings.Contains(body, w) {
							t.Errorf("%s (%s %s) links to #%s, whose section does not mention %q", a.Name, ns, metric, anchor, w)
						}
					}
				}
				for _, actions := range []string{"alarmActions", "okActions"} {
					if got := fmt.Sprint(a.Inputs[actions]); got != fmt.Sprint([]any{topic.Outputs["arn"]}) {
						t.Errorf("%s: %s = %s, want the alarm topic", a.Name, actions, got)
					}
				}
			}
		})
	}
	// Every alarm section the program names is declared by one of the
	// stacks above, so the checks above cover it.
	for _, a := range runbook.All {
		if !used[a] {
			t.Errorf("no alarm of the test stacks links to #%s: add a stack that declares it", a)
		}
	}
}
