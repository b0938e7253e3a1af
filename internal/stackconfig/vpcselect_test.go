package stackconfig_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/stackconfig"
)

// member is a member stack's config with overrides (an empty override
// deletes the key).
func member(overrides map[string]string) map[string]string {
	return with(map[string]string{"stackRole": "member", "centralStack": "acme/vpc-flow-logs/central", "vpcSelector": `{"all": true}`}, overrides)
}

func TestVpcSelector(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  map[string]string
		want *stackconfig.VpcSelector
	}{
		{"all", member(nil), &stackconfig.VpcSelector{All: true}},
		{"tags with exclusions", member(map[string]string{"vpcSelector": `{"includeTags": {"env": "prod"}, "excludeTags": {"flow-logs": "off"}, "excludeIds": ["vpc-0123456789abcdef0"]}`}),
			&stackconfig.VpcSelector{IncludeTags: map[string]string{"env": "prod"}, ExcludeTags: map[string]string{"flow-logs": "off"}, ExcludeIDs: []string{"vpc-0123456789abcdef0"}}},
		{"vpcIds instead", member(map[string]string{"vpcSelector": "{}", "vpcIds": `["vpc-0123456789abcdef0"]`}), nil},
		{"the default on a standalone stack", map[string]string{"vpcSelector": "{}"}, nil},
		{"tag values of 256 characters", member(map[string]string{"vpcSelector": `{"includeTags": {"env": "` + strings.Repeat("p", 256) + `"}, "excludeTags": {"note": "` + strings.Repeat("n", 256) + `"}}`}),
			&stackconfig.VpcSelector{IncludeTags: map[string]string{"env": strings.Repeat("p", 256)}, ExcludeTags: map[string]string{"note": strings.Repeat("n", 256)}}},
		// EC2 counts characters: 256 of two bytes each fit.
		{"tag values of 256 two-byte characters", member(map[string]string{"vpcSelector": `{"includeTags": {"env": "` + strings.Repeat("ä", 256) + `"}}`}),
			&stackconfig.VpcSelector{IncludeTags: map[string]string{"env": strings.Repeat("ä", 256)}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := stackconfig.Load(getter(tc.cfg))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(c.VpcSelector, tc.want) {
				t.Errorf("VpcSelector = %+v, want %+v", c.VpcSelector, tc.want)
			}
		})
	}
}

func TestVpcSelectorRefusals(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  map[string]string
		want []string
	}{
		{"on a standalone stack", map[string]string{"vpcSelector": `{"all": true}`}, []string{"vpc-flow-logs:vpcSelector", "unset on a standalone stack"}},
		{"a member with neither", member(map[string]string{"vpcSelector": ""}), []string{"vpc-flow-logs:vpcSelector", "or vpcIds (a member stack has no demo VPC)"}},
		{"a member with both", member(map[string]string{"vpcIds": `["vpc-0123456789abcdef0"]`}), []string{"vpc-flow-logs:vpcSelector", "one of vpcIds and vpcSelector"}},
		{"the string all", member(map[string]string{"vpcSelector": `"all"`}), []string{"vpc-flow-logs:vpcSelector", `"\"all\""`, "{all: true}"}},
		{"an unknown key", member(map[string]string{"vpcSelector": `{"all": true, "include": {"a": "b"}}`}), []string{"vpc-flow-logs:vpcSelector", "unknown field"}},
		{"all and includeTags", member(map[string]string{"vpcSelector": `{"all": true, "includeTags": {"env": "prod"}}`}), []string{"exactly one of all: true and includeTags"}},
		{"neither all nor includeTags", member(map[string]string{"vpcSelector": `{"excludeTags": {"env": "dev"}}`}), []string{"exactly one of all: true and includeTags"}},
		{"a bad excluded id", member(map[string]string{"vpcSelector": `{"all": true, "excludeIds": ["vpc-1"]}`}), []string{"vpc-flow-logs:vpcSelector.excludeIds", `"vpc-1"`}},
		{"an excluded id twice", member(map[string]string{"vpcSelector": `{"all": true, "excludeIds": ["vpc-0123456789abcdef0", "vpc-0123456789abcdef0"]}`}), []string{"each VPC id once"}},
		{"a bad tag key", member(map[string]string{"vpcSelector": `{"includeTags": {"a,b": "c"}}`}), []string{"vpc-flow-logs:vpcSelector.includeTags", `"a,b"`}},
		{"a tag value of 257 characters", member(map[string]string{"vpcSelector": `{"all": true, "excludeTags": {"note": "` + strings.Repeat("n", 257) + `"}}`}), []string{"vpc-flow-logs:vpcSelector.excludeTags", "at most 256 characters"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := stackconfig.Load(getter(tc.cfg))
			if err == nil {
				t.Fatal("Load accepted it")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

// A member refuses every key whose value the central stack decides, naming
// the key, the value and why; set to its default (Pulumi passes a
// project's defaults as values) it is accepted.
func TestMemberRefusesCentralKeys(t *testing.T) {
	values := map[string]string{
		"architectures":                 `["cloudwatch-opensearch"]`,
		"flowLogFields":                 `["version","srcaddr"]`,
		"s3FileFormat":                  "plain-text",
		"dataRetentionDays":             "30",
		"existingBucketArn":             "arn:aws:s3:::my-bucket",
		"bucketKmsKeyArn":               "arn:aws:kms:eu-west-1:123456789012:key/abc",
		"athenaScanLimitMb":             "100",
		"quicksightPrincipalArn":        "arn:aws:quicksight:eu-west-1:123456789012:user/default/me",
		"firehoseFeedMode":              "direct",
		"firehoseBufferSizeMb":          "8",
		"firehoseBufferIntervalSeconds": "60",
		"opensearchEngineVersion":       "OpenSearch_2.13",
		"opensearchInstanceType":        "r6g.large.search",
		"opensearchInstanceCount":       "2",
		"opensearchVolumeSizeGb":        "20",
		"opensearchZoneAwareness":       "true",
		"opensearchIndexPrefix":         "flows",
		"opensearchIndexRetentionDays":  "30",
		"opensearchSubnetIds":           `["subnet-0123456789abcdef0"]`,
		"opensearchExistingEndpoint":    "vpc-x.eu-west-1.es.amazonaws.com",
		"opensearchExistingArn":         "arn:aws:es:eu-west-1:123456789012:domain/x",
		"opensearchAccessHost":          "true",
		"opensearchServiceLinkedRole":   "existing",
		"opensearchVpcEndpoints":        "none",
		"opensearchSecurityAnalytics":   "true",
		"slackMode":                     "chatbot",
		"slackWorkspaceId":              "T07EA123LEP",
		"slackChannelId":                "C07EZ1ABC23",
		"slackChatbotRegion":            "us-west-2",
		"slackWebhookUrl":               "https://hooks.slack.com/services/T000/B000/XXXX",
	}
	for _, key := range stackconfig.MemberRefusedKeys() {
		t.Run(key, func(t *testing.T) {
			v, ok := values[key]
			if !ok {
				t.Fatalf("no test value for %s", key)
			}
			_, err := stackconfig.Load(getter(member(map[string]string{key: v})))
			if err == nil {
				t.Fatalf("a member stack accepted %s = %s", key, v)
			}
			shown := v
			if key == "slackWebhookUrl" {
				shown = "(secret, not shown)"
				if strings.Contains(err.Error(), "hooks.slack.com") {
					t.Errorf("the error shows the webhook URL: %v", err)
				}
			}
			for _, w := range []string{"vpc-flow-logs:" + key, shown, "unset (or its default) on a member stack"} {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
	// The project defaults, as the engine passes them, are not "set".
	defaults := member(map[string]string{"architectures": `["s3-athena"]`, "flowLogFields": "[]", "s3FileFormat": "parquet",
		"dataRetentionDays": "365", "firehoseFeedMode": "lambda", "opensearchSubnetIds": "[]", "slackMode": "none", "existingBucketArn": ""})
	if _, err := stackconfig.Load(getter(defaults)); err != nil {
		t.Errorf("a member stack refused the project defaults: %v", err)
	}
	// A standalone stack keeps reading them.
	if _, err := stackconfig.Load(getter(map[string]string{"s3FileFormat": "plain-text"})); err != nil {
		t.Errorf("a standalone stack refused s3FileFormat: %v", err)
	}
}
