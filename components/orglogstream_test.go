package components

import (
	"fmt"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/awslimits"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/runbook"
)

func orgLogStreamArgs(s OrgSenders) *OrgLogStreamArgs {
	return &OrgLogStreamArgs{
		Senders:       s,
		Regions:       []string{"us-east-1", "eu-west-1"},
		AlarmTopicArn: pulumi.String(testTopic),
		Tags:          map[string]string{"team": "net"},
	}
}

// TestOrgLogStream: the on-demand stream encrypted with its own rotated
// key, which the account administers; the role CloudWatch Logs assumes,
// trusted only for logs ARNs in the member regions, of any account with an
// organization and with an account list alike (the destinations decide who
// subscribes:
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/CreateDestination.html),
// allowed to put records into this stream with this key and nothing else;
// and the outputs.
func TestOrgLogStream(t *testing.T) {
	for _, tc := range []struct {
		name    string
		senders OrgSenders
		sources []string // the trust's aws:SourceArn values
	}{
		{"organization", OrgSenders{OrganizationID: "o-abcdefghij"}, []string{
			"arn:aws:logs:us-east-1:*:*", "arn:aws:logs:eu-west-1:*:*",
		}},
		{"accounts", OrgSenders{AccountIDs: []string{"111122223333", "444455556666"}}, []string{
			"arn:aws:logs:us-east-1:*:*", "arn:aws:logs:eu-west-1:*:*",
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var c *OrgLogStream
			m := run(t, func(ctx *pulumi.Context) error {
				var err error
				c, err = NewOrgLogStream(ctx, "org-stream", orgLogStreamArgs(tc.senders))
				return err
			})
			// The stream takes the component's own name.
			_, kids := ownNamedComponent(t, m, "vpcflowlogs:index:OrgLogStream", "org-stream")
			if got := kids; got != "aws:cloudwatch/metricAlarm:MetricAlarm org-stream-iterator-age, "+
				"aws:cloudwatch/metricAlarm:MetricAlarm org-stream-write-throttles, "+
				"aws:iam/role:Role org-stream-logs-role, "+
				"aws:iam/rolePolicy:RolePolicy org-stream-logs-role-policy, "+
				"aws:kinesis/stream:Stream org-stream, "+
				"aws:kms/key:Key org-stream-key" {
				t.Errorf("children: %s", got)
			}

			key := mustGet(t, m, "org-stream-key")
			if key.Inputs["enableKeyRotation"] != true || key.Input("description") != "Encrypts the organization flow-log stream org-stream" {
				t.Errorf("key = %v", key.Inputs)
			}
			if got := mustJSON(t, key.Inputs["tags"]); got != `{"Name":"org-stream-key","team":"net"}` {
				t.Errorf("key tags = %s", got)
			}
			kp := policyDoc(t, key, "policy")
			if n := len(kp["Statement"].([]any)); n != 1 {
				t.Errorf("key policy has %d statements, want 1", n)
			}
			admin := statementBySid(t, kp, "AccountAdministers")
			if admin["Effect"] != "Allow" || mustJSON(t, admin["Principal"]) != `{"AWS":"arn:aws:iam::123456789012:root"}` ||
				admin["Action"] != "kms:*" || admin["Resource"] != "*" {
				t.Errorf("key policy statement = %v", admin)
			}

			stream := onlyOf(t, m, "aws:kinesis/stream:Stream")
			if got := mustJSON(t, stream.Inputs["streamModeDetails"]); got != `{"streamMode":"ON_DEMAND"}` {
				t.Errorf("stream mode = %s", got)
			}
			if stream.Input("encryptionType") != "KMS" || stream.Input("kmsKeyId") != key.Outputs["arn"] ||
				stream.Inputs["retentionPeriod"] != float64(DefaultOrgStreamRetentionHours) {
				t.Errorf("stream = %v", stream.Inputs)
			}
			if got := mustJSON(t, stream.Inputs["tags"]); got != `{"Name":"org-stream","team":"net"}` {
				t.Errorf("stream tags = %s", got)
			}

			role := mustGet(t, m, "org-stream-logs-role")
			if role.Input("description") != "Lets CloudWatch Logs put the members' subscription data into org-stream" {
				t.Errorf("role description %q", role.Input("description"))
			}
			if got := mustJSON(t, role.Inputs["tags"]); got != `{"Name":"org-stream-logs-role","team":"net"}` {
				t.Errorf("role tags = %s", got)
			}
			trust := policyDoc(t, role, "assumeRolePolicy")["Statement"].([]any)
			if len(trust) != 1 {
				t.Fatalf("trust has %d statements", len(trust))
			}
			st := asMap(trust[0])
			if st["Effect"] != "Allow" || st["Action"] != "sts:AssumeRole" || mustJSON(t, st["Principal"]) != `{"Service":"logs.amazonaws.com"}` {
				t.Errorf("trust = %v", st)
			}
			if got, want := mustJSON(t, st["Condition"]), mustJSON(t, map[string]any{"StringLike": map[string]any{"aws:SourceArn": tc.sources}}); got != want {
				t.Errorf("trust condition = %s, want %s", got, want)
			}

			rp := mustGet(t, m, "org-stream-logs-role-policy")
			if rp.Input("role") != role.Outputs["id"] {
				t.Errorf("role policy is on %q", rp.Input("role"))
			}
			doc := policyDoc(t, rp, "policy")
			if n := len(doc["Statement"].([]any)); n != 2 {
				t.Errorf("role policy has %d statements, want 2", n)
			}
			for _, want := range []struct{ sid, action, resource string }{
				{"PutToOneStream", "kinesis:PutRecord", str(stream.Outputs["arn"])},
				{"EncryptRecords", "kms:GenerateDataKey", str(key.Outputs["arn"])},
			} {
				st := statementBySid(t, doc, want.sid)
				if st["Effect"] != "Allow" || st["Action"] != want.action || st["Resource"] != want.resource || want.resource == "" {
					t.Errorf("%s = %v, want %s on %s", want.sid, st, want.action, want.resource)
				}
			}

			for _, o := range []struct {
				name      string
				got, want any
			}{
				{"StreamArn", await(t, c.StreamArn), stream.Outputs["arn"]},
				{"StreamName", await(t, c.StreamName), stream.Outputs["name"]},
				{"KeyArn", await(t, c.KeyArn), key.Outputs["arn"]},
				{"RoleArn", await(t, c.RoleArn), role.Outputs["arn"]},
			} {
				if o.got != o.want || o.got == "" {
					t.Errorf("%s = %v, want %v", o.name, o.got, o.want)
				}
			}
		})
	}
}

// The two alarms: a consumer more than IteratorAgeAlarmMinutes behind (60
// by default; the metric is in milliseconds), and any throttled write; both
// on the stream, notifying the alarm topic, linking their runbook section,
// and shown on the dashboard (Monitored).
func TestOrgLogStreamAlarms(t *testing.T) {
	for _, tc := range []struct {
		name                 string
		minutes, retention   int
		threshold            float64
		descMinutes, descRet string
	}{
		{"defaults", 0, 0, 3_600_000, "more than 60 minutes behind", "stream's 168-hour retention"},
		{"set", 5, 48, 300_000, "more than 5 minutes behind", "stream's 48-hour retention"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var c *OrgLogStream
			m := run(t, func(ctx *pulumi.Context) error {
				a := orgLogStreamArgs(OrgSenders{OrganizationID: "o-abcdefghij"})
				a.IteratorAgeAlarmMinutes, a.RetentionHours = tc.minutes, tc.retention
				var err error
				c, err = NewOrgLogStream(ctx, "org-stream", a)
				return err
			})
			streamName := onlyOf(t, m, "aws:kinesis/stream:Stream").Outputs["name"]
			for _, want := range []struct {
				name, metric, statistic string
				threshold               float64
				runbook                 string
				desc                    []string
			}{
				{"org-stream-iterator-age", "GetRecords.IteratorAgeMilliseconds", "Maximum", tc.threshold, runbook.OrgStreamIteratorAge,
					[]string{"org-stream", tc.descMinutes, tc.descRet}},
				{"org-stream-write-throttles", "WriteProvisionedThroughputExceeded", "Sum", 0, runbook.OrgStreamWriteThrottle,
					[]string{"The organization stream org-stream throttled writes"}},
			} {
				a := mustGet(t, m, want.name)
				if a.Input("namespace") != "AWS/Kinesis" || a.Input("metricName") != want.metric || a.Input("statistic") != want.statistic ||
					a.Input("comparisonOperator") != "GreaterThanThreshold" || a.Inputs["threshold"] != want.threshold {
					t.Errorf("%s = %v", want.name, a.Inputs)
				}
				if got := mustJSON(t, a.Inputs["dimensions"]); got != fmt.Sprintf(`{"StreamName":%q}`, streamName) {
					t.Errorf("%s dimensions = %s", want.name, got)
				}
				if got := mustJSON(t, a.Inputs["alarmActions"]); got != fmt.Sprintf("[%q]", testTopic) {
					t.Errorf("%s actions = %s", want.name, got)
				}
				d := a.Input("alarmDescription")
				for _, s := range append(want.desc, runbook.Link(want.runbook)) {
					if !strings.Contains(d, s) {
						t.Errorf("%s description %q lacks %q", want.name, d, s)
					}
				}
			}
			var metrics []string
			for _, a := range c.Monitored.Alarms {
				metrics = append(metrics, fmt.Sprintf("%s %v", a.Metric, a.Threshold))
			}
			if got, want := strings.Join(metrics, ", "), fmt.Sprintf("GetRecords.IteratorAgeMilliseconds %v, WriteProvisionedThroughputExceeded 0", tc.threshold); got != want {
				t.Errorf("Monitored alarms = %s, want %s", got, want)
			}
		})
	}
}

// TestOrgLogStreamTrustDoesNotGrowWithAccounts: the destination role's
// trust policy is the same document with 1, 23 or 300 listed accounts as
// with an organization (one aws:SourceArn pattern per member region, no
// account named), so it stays under IAM's default "Role trust policy
// length" of 2,048 characters
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html):
// one ARN per account and region made CreateRole fail from 23 accounts in
// two regions. Who may subscribe is the destinations' access policies'
// business (TestLogDestination).
func TestOrgLogStreamTrustDoesNotGrowWithAccounts(t *testing.T) {
	trust := func(s OrgSenders) string {
		m := run(t, func(ctx *pulumi.Context) error {
			_, err := NewOrgLogStream(ctx, "org-stream", orgLogStreamArgs(s))
			return err
		})
		return mustGet(t, m, "org-stream-logs-role").Input("assumeRolePolicy")
	}
	org := trust(OrgSenders{OrganizationID: "o-abcdefghij"})
	for _, n := range []int{1, 23, 300} {
		var ids []string
		for i := range n {
			ids = append(ids, fmt.Sprintf("%012d", 100000000000+i*7919))
		}
		got := trust(OrgSenders{AccountIDs: ids})
		if l := awslimits.IAMPolicyLength(got); l > awslimits.MaxIAMRoleTrustPolicyChars {
			t.Errorf("%d accounts: the trust policy is %d characters, over IAM's 2,048", n, l)
		}
		if got != org {
			t.Errorf("%d accounts: the trust policy (%d characters) differs from the organization's %s", n, len(got), org)
		}
		for _, id := range ids {
			if strings.Contains(got, id) {
				t.Errorf("%d accounts: the trust policy names account %s", n, id)
				break
			}
		}
	}
}

// Bad arguments fail before anything is registered, naming the field.
func TestOrgLogStreamRejectsBadArgs(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(*OrgLogStreamArgs)
		want string
	}{
		{"no senders", func(a *OrgLogStreamArgs) { a.Senders = OrgSenders{} }, "Senders: OrganizationID or AccountIDs is required"},
		{"no regions", func(a *OrgLogStreamArgs) { a.Regions = nil }, "Regions: at least one member region"},
		{"not a region", func(a *OrgLogStreamArgs) { a.Regions = []string{"us-east-1", "US-EAST-1"} }, `Regions[1]: "US-EAST-1" is not a region name`},
		{"retention under a day", func(a *OrgLogStreamArgs) { a.RetentionHours = 23 }, "RetentionHours: 23 is not between 24 and 8760"},
		{"retention over a year", func(a *OrgLogStreamArgs) { a.RetentionHours = 8761 }, "RetentionHours: 8761 is not between 24 and 8760"},
		{"negative alarm minutes", func(a *OrgLogStreamArgs) { a.IteratorAgeAlarmMinutes = -1 }, "IteratorAgeAlarmMinutes: -1 must be >= 1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := orgLogStreamArgs(OrgSenders{OrganizationID: "o-abcdefghij"})
			tc.edit(args)
			refused(t, func(ctx *pulumi.Context) error {
				_, err := NewOrgLogStream(ctx, "org-stream", args)
				return err
			}, tc.want, `OrgLogStream "org-stream"`)
		})
	}
	refused(t, func(ctx *pulumi.Context) error {
		_, err := NewOrgLogStream(ctx, "org-stream", nil)
		return err
	}, "args are required")
}

// The bounds are allowed: a retention of one day and of 365 days
// (https://docs.aws.amazon.com/kinesis/latest/APIReference/API_IncreaseStreamRetentionPeriod.html)
// and an alarm after one minute.
func TestOrgLogStreamArgsAtTheirBounds(t *testing.T) {
	for _, tc := range []struct {
		name             string
		retention, alarm int
	}{
		{"one day", 24, 60},
		{"365 days", 8760, 60},
		{"one minute", 168, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := run(t, func(ctx *pulumi.Context) error {
				a := orgLogStreamArgs(OrgSenders{OrganizationID: "o-abcdefghij"})
				a.RetentionHours, a.IteratorAgeAlarmMinutes = tc.retention, tc.alarm
				_, err := NewOrgLogStream(ctx, "org-stream", a)
				return err
			})
			if got := onlyOf(t, m, "aws:kinesis/stream:Stream").Inputs["retentionPeriod"]; got != float64(tc.retention) {
				t.Errorf("retention = %v, want %d", got, tc.retention)
			}
			if got := mustGet(t, m, "org-stream-iterator-age").Inputs["threshold"]; got != float64(tc.alarm*60_000) {
				t.Errorf("iterator age threshold = %v, want %d ms", got, tc.alarm*60_000)
			}
		})
	}
}
