package components

import (
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/vpcflowlogs/vpc-flow-logs/lambda/bootstrap/objects"
)

const testAlarmKey = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"

func TestSecurityAnalyticsIsOptIn(t *testing.T) {
	m := runOS(t, func(a *OpenSearchStreamArgs) {})
	if r := m.ByName("os-notifications-role"); r != nil {
		t.Fatal("a notifications role without SecurityAnalytics")
	}
	if in := bootstrapInput(t, m); in.SecurityAnalytics != nil {
		t.Fatalf("bootstrap input %+v", in.SecurityAnalytics)
	}
	if strings.Contains(mustGet(t, m, "os-bootstrap-role-policy").Input("policy"), "iam:PassRole") {
		t.Fatal("the bootstrap may pass a role without SecurityAnalytics")
	}
}

// TestSecurityAnalyticsRole: OpenSearch Service assumes the notifications
// role with the documented trust (es.amazonaws.com, no condition); the role
// may publish to the alarm topic and use its key, nothing else; the
// bootstrap may pass that role, to OpenSearch Service only; and the
// bootstrap input names the topic and the role, with a hash that matches.
func TestSecurityAnalyticsRole(t *testing.T) {
	for _, existing := range []bool{false, true} {
		name := map[bool]string{false: "created domain", true: "existing domain"}[existing]
		t.Run(name, func(t *testing.T) {
			m := runOS(t, func(a *OpenSearchStreamArgs) {
				a.SecurityAnalytics = true
				a.AlarmKeyArn = pulumi.String(testAlarmKey)
				if existing {
					a.AccessHost = false
					a.ExistingDomainEndpoint = "vpc-flowlogs-abc123.us-east-1.es.amazonaws.com"
					a.ExistingDomainArn = "arn:aws:es:us-east-1:123456789012:domain/flowlogs"
				}
			})
			role := mustGet(t, m, "os-notifications-role")
			trust := policyDoc(t, role, "assumeRolePolicy")["Statement"].([]any)
			st := asMap(trust[0])
			if len(trust) != 1 || asMap(st["Principal"])["Service"] != "es.amazonaws.com" || st["Condition"] != nil || st["Action"] != "sts:AssumeRole" {
				t.Errorf("trust %v", trust)
			}
			doc := policyDoc(t, mustGet(t, m, "os-notifications-policy"), "policy")
			if n := len(doc["Statement"].([]any)); n != 2 {
				t.Errorf("%d statements in the notifications policy", n)
			}
			pub := statementBySid(t, doc, "PublishToTheAlarmTopic")
			if pub["Action"] != "sns:Publish" || pub["Resource"] != "arn:aws:sns:us-east-1:123456789012:alarms" {
				t.Errorf("publish %v", pub)
			}
			key := statementBySid(t, doc, "UseTheTopicKey")
			if key["Resource"] != testAlarmKey {
				t.Errorf("key %v", key)
			}
			pass := statementBySid(t, policyDoc(t, mustGet(t, m, "os-bootstrap-role-policy"), "policy"), "PassNotificationsRole")
			cond := asMap(asMap(pass["Condition"])["StringEquals"])
			if pass["Action"] != "iam:PassRole" || pass["Resource"] != str(role.Outputs["arn"]) || cond["iam:PassedToService"] != "es.amazonaws.com" {
				t.Errorf("pass role %v", pass)
			}
			in := bootstrapInput(t, m)
			if in.SecurityAnalytics == nil || in.SecurityAnalytics.TopicArn != "arn:aws:sns:us-east-1:123456789012:alarms" || in.SecurityAnalytics.RoleArn != str(role.Outputs["arn"]) {
				t.Fatalf("bootstrap input %+v", in.SecurityAnalytics)
			}
			if h, err := objects.ComputeHash(in); err != nil || h != in.Hash {
				t.Errorf("bootstrap input hash %s, recomputed %s (%v)", in.Hash, h, err)
			}
			if trig := mustGet(t, m, "os-bootstrap-apply").Inputs["triggers"]; asMap(trig)["hash"] != in.Hash {
				t.Errorf("invocation triggers %v, input hash %s", trig, in.Hash)
			}
		})
	}
}

func TestSecurityAnalyticsNeedsTheTopic(t *testing.T) {
	a := osArgs()
	a.SecurityAnalytics, a.AlarmTopicArn = true, nil
	if err := a.validate(); err == nil || !strings.Contains(err.Error(), "SecurityAnalytics") {
		t.Fatalf("validate: %v", err)
	}
}
