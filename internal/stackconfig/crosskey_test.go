package stackconfig_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/stackconfig"
)

func load(t *testing.T, kv map[string]string) (*stackconfig.Config, error) {
	t.Helper()
	return stackconfig.Load(func(k string) (string, bool) {
		v, ok := kv[strings.TrimPrefix(k, stackconfig.Namespace+":")]
		return v, ok
	})
}

// Every rule that combines keys fails in config validation, before any
// resource is registered, naming the keys, the value and what is allowed.
func TestCrossKeyRules(t *testing.T) {
	const bucket = "arn:aws:s3:::my-flow-log-bucket"
	for _, tc := range []struct {
		name string
		kv   map[string]string
		want []string // substrings of the error; nil = valid
	}{
		{"existing bucket alone", map[string]string{"existingBucketArn": bucket}, nil},
		{"kms key alone", map[string]string{"bucketKmsKeyArn": kmsArn}, nil},
		{"existing bucket with kms key", map[string]string{"existingBucketArn": bucket, "bucketKmsKeyArn": kmsArn},
			[]string{"vpc-flow-logs:bucketKmsKeyArn", "vpc-flow-logs:existingBucketArn", bucket, kmsArn, "allowed: one of them"}},
		{"existing bucket with kms key, firehose only (existingBucketArn unused)",
			map[string]string{"architectures": `["firehose-athena"]`, "existingBucketArn": bucket, "bucketKmsKeyArn": kmsArn}, nil},
		{"quicksight with a visual field", map[string]string{"quicksightPrincipalArn": qsUser, "flowLogFields": `["version","bytes"]`}, nil},
		{"quicksight with no visual field", map[string]string{"quicksightPrincipalArn": qsUser, "flowLogFields": `["version","srcaddr","dstaddr"]`},
			[]string{"vpc-flow-logs:flowLogFields", "vpc-flow-logs:quicksightPrincipalArn", "[version, srcaddr, dstaddr]", "bytes, packets, action, interface-id"}},
		{"firehose with the query's fields", map[string]string{"architectures": `["firehose-athena"]`, "flowLogFields": `["srcaddr","srcport"]`}, nil},
		{"firehose without srcport", map[string]string{"architectures": `["firehose-athena"]`, "flowLogFields": `["srcaddr","dstport"]`},
			[]string{"vpc-flow-logs:flowLogFields", "vpc-flow-logs:architectures", "[srcaddr, dstport]", "missing: srcport", stackconfig.FirehoseQuery}},
		{"three flow logs per VPC", map[string]string{"architectures": `["s3-athena","firehose-athena"]`, "firehoseFeedMode": "direct"},
			[]string{"vpc-flow-logs:architectures", "vpc-flow-logs:firehoseFeedMode", "3 flow logs per VPC", "AWS allows 2"}},
		{"two flow logs per VPC", map[string]string{"architectures": `["cloudwatch-opensearch","firehose-athena"]`, "firehoseFeedMode": "direct"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := load(t, tc.kv)
			if tc.want == nil {
				if err != nil {
					t.Fatalf("Load: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("Load accepted the combination")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

// Keys of an architecture the stack does not enable are not silently ignored.
func TestUnusedKeysWarn(t *testing.T) {
	for _, tc := range []struct {
		name string
		kv   map[string]string
		want []string // keys warned about, in ScopedKeys order
	}{
		{"nothing set", map[string]string{}, nil},
		{"opensearch key without cloudwatch-opensearch", map[string]string{"opensearchInstanceType": "r7g.large.search"}, []string{"opensearchInstanceType"}},
		{"opensearch key at its default (the engine passes defaults)", map[string]string{"opensearchInstanceType": "t3.small.search", "opensearchVpcEndpoints": "auto"}, nil},
		{"opensearch key with cloudwatch-opensearch", map[string]string{"architectures": `["cloudwatch-opensearch"]`, "opensearchInstanceType": "r7g.large.search"}, nil},
		{"firehose keys without firehose-athena", map[string]string{"firehoseFeedMode": "subscription", "firehoseBufferSizeMb": "5"}, []string{"firehoseFeedMode", "firehoseBufferSizeMb"}},
		{"alarm rules without s3-athena", map[string]string{"architectures": `["firehose-athena"]`, "alarmRules": `[` + sshRule + `]`}, []string{"alarmRules"}},
		{"empty alarm rules without s3-athena", map[string]string{"architectures": `["firehose-athena"]`, "alarmRules": `[]`}, nil},
		{"bucket keys with opensearch only", map[string]string{"architectures": `["cloudwatch-opensearch"]`, "bucketKmsKeyArn": kmsArn, "athenaScanLimitMb": "50", "dataRetentionDays": "30"},
			[]string{"dataRetentionDays", "athenaScanLimitMb", "bucketKmsKeyArn"}},
		{"log key with direct firehose only", map[string]string{"architectures": `["firehose-athena"]`, "firehoseFeedMode": "direct", "logKmsKeyArn": kmsArn}, []string{"logKmsKeyArn"}},
		{"log key with s3-athena", map[string]string{"logKmsKeyArn": kmsArn}, nil},
		{"chatbot keys without slackMode chatbot", map[string]string{"slackWorkspaceId": "T07EA123LEP", "slackChannelId": "C07EZ1ABC23", "slackChatbotRegion": "us-west-2"},
			[]string{"slackWorkspaceId", "slackChannelId", "slackChatbotRegion"}},
		{"chatbot keys with slackMode chatbot", map[string]string{"slackMode": "chatbot", "slackWorkspaceId": "T07EA123LEP", "slackChannelId": "C07EZ1ABC23", "slackChatbotRegion": "us-west-2"}, nil},
		{"webhook URL without slackMode webhook", map[string]string{"slackWebhookUrl": testWebhook}, []string{"slackWebhookUrl"}},
		{"webhook URL with slackMode webhook", map[string]string{"slackMode": "webhook", "slackWebhookUrl": testWebhook}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := load(t, tc.kv)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, w := range c.Warnings {
				for _, k := range stackconfig.ScopedKeys {
					if strings.HasPrefix(w, "config "+stackconfig.Key(k.Name)+" ") {
						got = append(got, k.Name)
						if !strings.Contains(w, "only "+k.Readers+" reads it") {
							t.Errorf("warning %q does not say what reads the key", w)
						}
					}
				}
			}
			if len(got) != len(c.Warnings) || !slices.Equal(got, tc.want) {
				t.Errorf("warnings %q, want one for each of %v", c.Warnings, tc.want)
			}
		})
	}
}

// CloudWatch accepts a window of up to seven days when the period is an hour
// or more, and up to one day below that.
func TestAlarmWindowLimits(t *testing.T) {
	for _, tc := range []struct {
		period, evals int
		ok            bool
	}{
		{300, 288, true}, {300, 289, false}, {3540, 24, true}, {3540, 25, false},
		{3600, 25, true}, {3600, 168, true}, {3600, 169, false}, {86400, 7, true}, {86400, 8, false},
	} {
		rule := fmt.Sprintf(`[{"name":"r","match":{"dstPort":22},"period":%d,"evaluationPeriods":%d}]`, tc.period, tc.evals)
		_, err := load(t, map[string]string{"alarmRules": rule})
		if (err == nil) != tc.ok {
			t.Errorf("period %d x %d: err = %v, want ok=%v", tc.period, tc.evals, err, tc.ok)
		}
	}
}
