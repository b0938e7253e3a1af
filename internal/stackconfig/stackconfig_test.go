package stackconfig_test

import (
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/flowlog"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/insights"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/policy/ids"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/stackconfig"
)

// getter serves short-named values the way the Pulumi engine hands them to a
// program: under the full key, strings as they are, structures as JSON.
func getter(values map[string]string) stackconfig.Getter {
	return func(key string) (string, bool) {
		short, ok := strings.CutPrefix(key, stackconfig.Namespace+":")
		if !ok {
			return "", false
		}
		v, ok := values[short]
		return v, ok
	}
}

// with returns base with the overrides applied; an empty override deletes the key.
func with(base, overrides map[string]string) map[string]string {
	out := make(map[string]string, len(base)+len(overrides))
	for k, v := range base {
		out[k] = v
	}
	for k, v := range overrides {
		if v == "" {
			delete(out, k)
		} else {
			out[k] = v
		}
	}
	return out
}

func intp(n int) *int { return &n }

const (
	sshRule  = `{"name":"ssh-reject-from-host","description":"SSH (22/TCP) REJECTed from 10.0.0.155","match":{"srcAddr":"10.0.0.155","dstPort":22,"protocol":6,"action":"REJECT"},"threshold":1,"period":60,"evaluationPeriods":1}`
	httpRule = `{"name":"http-attempts","description":"3 or more HTTP (80/TCP) attempts within 300 seconds","match":{"dstPort":80,"protocol":6},"threshold":3,"period":300,"evaluationPeriods":1}`
	kmsArn   = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
)

// full is a valid configuration that sets every key, like Pulumi.dev.yaml.
var full = map[string]string{
	"architectures":           `["s3-athena","cloudwatch-opensearch"]`,
	"vpcIds":                  `["vpc-0123abcd","vpc-0123456789abcdef0"]`,
	"opensearchSubnetIds":     `["subnet-0123abcd","subnet-0123456789abcdef0"]`,
	"opensearchAccessHost":    "true",
	"opensearchZoneAwareness": "true",
	"opensearchInstanceCount": "2",
	"trafficType":             "REJECT",
	"aggregationInterval":     "60",
	"flowLogFields":           `["version","srcaddr","dstaddr","srcport","dstport","protocol","action","log-status"]`,
	"s3FileFormat":            "plain-text",
	"logRetentionDays":        "14",
	"dataRetentionDays":       "90",
	"alarmEmails":             `["secops@example.com","oncall+vpc@sub.example.org"]`,
	"alarmRules": `[` + sshRule + `,` + httpRule + `,` +
		`{"name":"net-scan","match":{"srcAddr":"192.168.7.9/16","dstAddr":"2001:db8::1"}},` +
		`{"name":"raw-pattern","pattern":"[version, srcaddr, ...]","threshold":5,"period":600,"evaluationPeriods":3,"comparison":"GreaterThanThreshold"}]`,
	"athenaScanLimitMb": "10",
	"tags":              `{"environment":"dev","owner":"secops","cost center":"1234"}`,
	"dashboard":         "false",
	"bucketKmsKeyArn":   kmsArn,
	"logKmsKeyArn":      kmsArn,
}

const qsUser = "arn:aws:quicksight:us-east-1:123456789012:user/default/secops-analyst"

// quicksightPrincipalArn takes QuickSight users and groups, including
// IAM-federated users, whose names hold a slash; unset means no QuickSight.
func TestLoadQuickSightPrincipal(t *testing.T) {
	for _, arn := range []string{
		qsUser,
		"arn:aws:quicksight:eu-west-1:123456789012:group/default/flowlog-analysts",
		"arn:aws:quicksight:us-east-1:123456789012:user/default/SecOpsRole/alice@example.com",
		"arn:aws-us-gov:quicksight:us-gov-west-1:123456789012:user/analytics/bob",
	} {
		got, err := stackconfig.Load(getter(with(full, map[string]string{"quicksightPrincipalArn": arn})))
		if err != nil {
			t.Fatalf("Load(%s): %v", arn, err)
		}
		if got.QuickSightPrincipalArn != arn {
			t.Errorf("QuickSightPrincipalArn = %q, want %q", got.QuickSightPrincipalArn, arn)
		}
	}
	got, err := stackconfig.Load(getter(full))
	if err != nil {
		t.Fatal(err)
	}
	if got.QuickSightPrincipalArn != "" {
		t.Errorf("QuickSightPrincipalArn = %q without the key", got.QuickSightPrincipalArn)
	}
}

func TestLoadFullConfig(t *testing.T) {
	got, err := stackconfig.Load(getter(full))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	fields, err := flowlog.FieldsByName([]string{"version", "srcaddr", "dstaddr", "srcport", "dstport", "protocol", "action", "log-status"})
	if err != nil {
		t.Fatal(err)
	}
	want := &stackconfig.Config{
		Org:                 stackconfig.Org{Role: stackconfig.Standalone},
		Architectures:       []stackconfig.Architecture{stackconfig.S3Athena, stackconfig.CloudWatchOpenSearch},
		VpcIDs:              []string{"vpc-0123abcd", "vpc-0123456789abcdef0"},
		TrafficType:         "REJECT",
		AggregationInterval: 60,
		Fields:              fields,
		S3FileFormat:        "plain-text",
		LogRetentionDays:    14,
		DataRetentionDays:   90,
		AlarmEmails:         []string{"secops@example.com", "oncall+vpc@sub.example.org"},
		AlarmRules: []stackconfig.AlarmRule{
			{
				Name: "ssh-reject-from-host", Description: "SSH (22/TCP) REJECTed from 10.0.0.155",
				Match:     &stackconfig.Match{SrcAddr: "10.0.0.155", DstPort: intp(22), Protocol: intp(6), Action: "REJECT"},
				Threshold: 1, Period: 60, EvaluationPeriods: 1, Comparison: "GreaterThanOrEqualToThreshold",
			},
			{
				Name: "http-attempts", Description: "3 or more HTTP (80/TCP) attempts within 300 seconds",
				Match:     &stackconfig.Match{DstPort: intp(80), Protocol: intp(6)},
				Threshold: 3, Period: 300, EvaluationPeriods: 1, Comparison: "GreaterThanOrEqualToThreshold",
			},
			{
				// CIDRs are stored masked; omitted numbers take the rule defaults.
				Name:      "net-scan",
				Match:     &stackconfig.Match{SrcAddr: "192.168.0.0/16", DstAddr: "2001:db8::1"},
				Threshold: 1, Period: 300, EvaluationPeriods: 1, Comparison: "GreaterThanOrEqualToThreshold",
			},
			{
				Name: "raw-pattern", Pattern: "[version, srcaddr, ...]",
				Threshold: 5, Period: 600, EvaluationPeriods: 3, Comparison: "GreaterThanThreshold",
			},
		},
		// The default rules that read bytes or interface-id are skipped:
		// this format does not record them.
		ContributorInsights: []string{"top-rejected-sources", "top-destination-ports"},
		Warnings: []string{
			`config vpc-flow-logs:contributorInsights: the Contributor Insights rule top-talkers-source is skipped: it reads bytes, which vpc-flow-logs:flowLogFields does not record`,
			`config vpc-flow-logs:contributorInsights: the Contributor Insights rule top-talkers-destination is skipped: it reads bytes, which vpc-flow-logs:flowLogFields does not record`,
			`config vpc-flow-logs:contributorInsights: the Contributor Insights rule top-interfaces is skipped: it reads interface-id, bytes, which vpc-flow-logs:flowLogFields does not record`,
		},
		AthenaScanLimitMB: 10,
		Tags:              map[string]string{"environment": "dev", "owner": "secops", "cost center": "1234"},
		BucketKmsKeyArn:   kmsArn,
		LogKmsKeyArn:      kmsArn,
		Firehose:          defaultFirehose(),
		OpenSearch: func() stackconfig.OpenSearch {
			o := defaultOpenSearch()
			o.SubnetIDs = []string{"subnet-0123abcd", "subnet-0123456789abcdef0"}
			o.AccessHost, o.ZoneAwareness, o.InstanceCount = true, true, 2
			return o
		}(),
		Slack: defaultSlack(),
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Load(full) =\n%+v\nwant\n%+v", got, want)
	}
	if !got.Enabled(stackconfig.S3Athena) || !got.Enabled(stackconfig.CloudWatchOpenSearch) || got.Enabled(stackconfig.FirehoseAthena) {
		t.Errorf("Enabled() disagrees with Architectures %v", got.Architectures)
	}
}

// defaultOpenSearch is the OpenSearch part of a config that sets no opensearch key.
func defaultOpenSearch() stackconfig.OpenSearch {
	return stackconfig.OpenSearch{
		EngineVersion: "OpenSearch_2.17", InstanceType: "t3.small.search", InstanceCount: 1,
		VolumeSizeGB: 10, IndexPrefix: "cwl", IndexRetentionDays: 14,
		ServiceLinkedRole: "create", VpcEndpoints: "auto",
	}
}

// defaultFirehose is the Firehose part of a config that sets no firehose key.
func defaultFirehose() stackconfig.Firehose {
	return stackconfig.Firehose{
		FeedMode:              stackconfig.DefaultFirehoseFeedMode,
		BufferSizeMB:          stackconfig.DefaultFirehoseBufferMB,
		BufferIntervalSeconds: stackconfig.DefaultFirehoseBufferSecs,
	}
}

// defaultSlack is the Slack part of a config that sets no slack key.
func defaultSlack() stackconfig.Slack { return stackconfig.Slack{Mode: stackconfig.SlackNone} }

// The defaults documented in Pulumi.yaml and docs/configuration.md, spelled out.
func TestLoadDefaults(t *testing.T) {
	want := &stackconfig.Config{
		Org:                 stackconfig.Org{Role: stackconfig.Standalone},
		Architectures:       []stackconfig.Architecture{"s3-athena"},
		TrafficType:         "ALL",
		AggregationInterval: 600,
		Fields:              flowlog.DefaultFields(),
		S3FileFormat:        "parquet",
		LogRetentionDays:    30,
		DataRetentionDays:   365,
		AthenaScanLimitMB:   1024,
		ContributorInsights: insights.IDs(),
		Tags:                map[string]string{},
		Dashboard:           true,
		Firehose:            defaultFirehose(),
		OpenSearch:          defaultOpenSearch(),
		Slack:               defaultSlack(),
	}
	for name, values := range map[string]map[string]string{
		"no keys":      {},
		"blank values": {"architectures": " ", "trafficType": "", "aggregationInterval": "  ", "flowLogFields": "", "tags": " "},
		"empty lists":  {"vpcIds": "[]", "flowLogFields": "[]", "alarmEmails": "[]", "alarmRules": "[]", "tags": "{}"},
	} {
		t.Run(name, func(t *testing.T) {
			got, err := stackconfig.Load(getter(values))
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("Load =\n%+v\nwant\n%+v", got, want)
			}
		})
	}
}

func TestLoadNormalizes(t *testing.T) {
	got, err := stackconfig.Load(getter(map[string]string{
		"architectures":       `["s3-athena","s3-athena","firehose-athena"]`,
		"aggregationInterval": " 60 ",
		"alarmRules":          `[{"name":"r","match":{"srcAddr":"10.1.2.3/24","dstAddr":"10.9.9.9/32"}}]`,
	}))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if want := []stackconfig.Architecture{stackconfig.S3Athena, stackconfig.FirehoseAthena}; !reflect.DeepEqual(got.Architectures, want) {
		t.Errorf("Architectures = %v, want %v (each once, in order)", got.Architectures, want)
	}
	if got.AggregationInterval != 60 {
		t.Errorf("AggregationInterval = %d", got.AggregationInterval)
	}
	if m := got.AlarmRules[0].Match; m.SrcAddr != "10.1.2.0/24" || m.DstAddr != "10.9.9.9/32" {
		t.Errorf("CIDRs not masked: %+v", m)
	}
}

// allErrors flattens the joined error Load returns.
func allErrors(err error) []*stackconfig.Error {
	var out []*stackconfig.Error
	var walk func(error)
	walk = func(err error) {
		if j, ok := err.(interface{ Unwrap() []error }); ok {
			for _, e := range j.Unwrap() {
				walk(e)
			}
			return
		}
		var ce *stackconfig.Error
		if errors.As(err, &ce) {
			out = append(out, ce)
		}
	}
	walk(err)
	return out
}

func TestLoadRejectsInvalidValues(t *testing.T) {
	oneRule := func(rule string) map[string]string { return map[string]string{"alarmRules": "[" + rule + "]"} }
	matchRule := func(match string) map[string]string {
		return oneRule(`{"name":"r","match":` + match + `}`)
	}
	tests := []struct {
		name    string
		set     map[string]string // overrides of full
		key     string            // short key the error must name
		value   string            // the bad value, as the error shows it
		allowed []string          // what the error must say is allowed
	}{
		{"unknown architecture", map[string]string{"architectures": `["s3-athena","cloudwatch"]`}, "architectures", `"cloudwatch"`, []string{"cloudwatch-opensearch", "s3-athena", "firehose-athena"}},
		{"empty architectures", map[string]string{"architectures": `[]`}, "architectures", "[]", []string{"at least one of", "s3-athena"}},
		{"architectures not a list", map[string]string{"architectures": `s3-athena`}, "architectures", `"s3-athena"`, []string{"a list of strings"}},
		{"short VPC id", map[string]string{"vpcIds": `["vpc-123"]`}, "vpcIds", `"vpc-123"`, []string{"vpc-", "8 or 17 lowercase hex"}},
		{"upper-case VPC id", map[string]string{"vpcIds": `["VPC-0123abcd"]`}, "vpcIds", `"VPC-0123abcd"`, []string{"8 or 17 lowercase hex"}},
		{"subnet id for a VPC id", map[string]string{"vpcIds": `["subnet-0123abcd"]`}, "vpcIds", `"subnet-0123abcd"`, []string{"vpc-"}},
		{"duplicate VPC id", map[string]string{"vpcIds": `["vpc-0123abcd","vpc-0123abcd"]`}, "vpcIds", `"vpc-0123abcd"`, []string{"each VPC id once"}},
		// full has zone awareness, count 2 and two subnets; the same subnet
		// twice passed as two and the domain was given one AZ twice.
		{"duplicate subnet id", map[string]string{"opensearchSubnetIds": `["subnet-0123abcd","subnet-0123abcd"]`, "opensearchZoneAwareness": "false"}, "opensearchSubnetIds", `"subnet-0123abcd"`, []string{"each subnet id once"}},
		{"firehose buffer interval 0", map[string]string{"architectures": `["firehose-athena"]`, "firehoseBufferIntervalSeconds": "0"}, "firehoseBufferIntervalSeconds", "0", []string{"1-900", "300"}},
		{"interval 300", map[string]string{"aggregationInterval": "300"}, "aggregationInterval", "300", []string{"60 or 600"}},
		{"interval not an integer", map[string]string{"aggregationInterval": "sixty"}, "aggregationInterval", `"sixty"`, []string{"60 or 600"}},
		{"traffic type DENY", map[string]string{"trafficType": "DENY"}, "trafficType", `"DENY"`, []string{"ACCEPT, REJECT, ALL"}},
		{"traffic type lower case", map[string]string{"trafficType": "all"}, "trafficType", `"all"`, []string{"ACCEPT, REJECT, ALL"}},
		{"unknown field name", map[string]string{"flowLogFields": `["srcaddr","source-port"]`}, "flowLogFields", `"source-port"`, []string{"srcaddr", "pkt-srcaddr", "traffic-path"}},
		{"duplicate field", map[string]string{"flowLogFields": `["srcaddr","dstport","dstport"]`}, "flowLogFields", "dstport", []string{"each field once"}},
		{"file format", map[string]string{"s3FileFormat": "csv"}, "s3FileFormat", `"csv"`, []string{"parquet", "plain-text"}},
		{"opensearch engine", map[string]string{"opensearchEngineVersion": "2.17"}, "opensearchEngineVersion", `"2.17"`, []string{"OpenSearch_2.17"}},
		{"opensearch instance type", map[string]string{"opensearchInstanceType": "t3.small"}, "opensearchInstanceType", `"t3.small"`, []string{"t3.small.search"}},
		// Two dots and the suffix were all that was checked.
		{"instance type of dots", map[string]string{"opensearchInstanceType": "..search"}, "opensearchInstanceType", `"..search"`, []string{"<family>.<size>.search"}},
		{"instance type without a family", map[string]string{"opensearchInstanceType": "a..search"}, "opensearchInstanceType", `"a..search"`, []string{"<family>.<size>.search"}},
		{"instance type in upper case", map[string]string{"opensearchInstanceType": "t3.SMALL.search"}, "opensearchInstanceType", `"t3.SMALL.search"`, []string{"lowercase letters and digits"}},
		{"instance type with a dash", map[string]string{"opensearchInstanceType": "t3.small-1.search"}, "opensearchInstanceType", `"t3.small-1.search"`, []string{"lowercase letters and digits"}},
		{"Elasticsearch-era instance type", map[string]string{"opensearchInstanceType": "t3.small.elasticsearch"}, "opensearchInstanceType", `"t3.small.elasticsearch"`, []string{".search"}},
		{"opensearch instance count", map[string]string{"opensearchInstanceCount": "0"}, "opensearchInstanceCount", "0", []string{"from 1"}},
		{"opensearch volume", map[string]string{"opensearchVolumeSizeGb": "5"}, "opensearchVolumeSizeGb", "5", []string{"from 10"}},
		{"opensearch index prefix", map[string]string{"opensearchIndexPrefix": "CWL"}, "opensearchIndexPrefix", `"CWL"`, []string{"lowercase"}},
		{"opensearch index retention", map[string]string{"opensearchIndexRetentionDays": "0"}, "opensearchIndexRetentionDays", "0", []string{"1-3650"}},
		{"opensearch subnet id", map[string]string{"opensearchSubnetIds": `["vpc-0123abcd","subnet-0123abcd"]`, "opensearchZoneAwareness": "false"}, "opensearchSubnetIds", `"vpc-0123abcd"`, []string{"subnet-"}},
		{"opensearch no subnets with vpcIds", map[string]string{"opensearchSubnetIds": `[]`, "opensearchZoneAwareness": "false"}, "opensearchSubnetIds", "[]", []string{"private subnet"}},
		{"opensearch zone awareness odd count", map[string]string{"opensearchInstanceCount": "3"}, "opensearchZoneAwareness", "true", []string{"even opensearchInstanceCount"}},
		{"opensearch service-linked role mode", map[string]string{"opensearchServiceLinkedRole": "maybe"}, "opensearchServiceLinkedRole", `"maybe"`, []string{"create", "existing"}},
		{"opensearch vpc endpoints mode", map[string]string{"opensearchVpcEndpoints": "all"}, "opensearchVpcEndpoints", `"all"`, []string{"auto", "create", "none"}},
		{"opensearch access host not a bool", map[string]string{"opensearchAccessHost": "yes"}, "opensearchAccessHost", `"yes"`, []string{"true or false"}},
		{"opensearch endpoint with scheme", map[string]string{"opensearchExistingEndpoint": "https://x.es.amazonaws.com", "opensearchExistingArn": "arn:aws:es:us-east-1:123456789012:domain/x", "opensearchAccessHost": "false"}, "opensearchExistingEndpoint", `"https://x.es.amazonaws.com"`, []string{"without scheme"}},
		{"security analytics on an engine without the vpcflow log type", map[string]string{"opensearchSecurityAnalytics": "true", "opensearchEngineVersion": "OpenSearch_2.7"}, "opensearchEngineVersion", `"OpenSearch_2.7"`, []string{"OpenSearch_2.9 or later", "opensearchSecurityAnalytics"}},
		{"security analytics on Elasticsearch", map[string]string{"opensearchSecurityAnalytics": "true", "opensearchEngineVersion": "Elasticsearch_7.10"}, "opensearchEngineVersion", `"Elasticsearch_7.10"`, []string{"OpenSearch_X.Y; not Elasticsearch"}},
		// The bootstrap speaks OpenSearch's /_plugins and Dashboards APIs;
		// an Elasticsearch 7.10 domain serves /_opendistro and Kibana.
		{"Elasticsearch engine", map[string]string{"opensearchEngineVersion": "Elasticsearch_7.10"}, "opensearchEngineVersion", `"Elasticsearch_7.10"`, []string{"OpenSearch_X.Y; not Elasticsearch"}},
		{"security analytics not a bool", map[string]string{"opensearchSecurityAnalytics": "on"}, "opensearchSecurityAnalytics", `"on"`, []string{"true or false"}},
		{"opensearch endpoint without arn", map[string]string{"opensearchExistingEndpoint": "x.es.amazonaws.com"}, "opensearchExistingEndpoint", `"x.es.amazonaws.com"`, []string{"opensearchExistingArn"}},
		{"retention 31", map[string]string{"logRetentionDays": "31"}, "logRetentionDays", "31", []string{"30, 60", "3653"}},
		{"retention not an integer", map[string]string{"logRetentionDays": "1 month"}, "logRetentionDays", `"1 month"`, []string{"30, 60"}},
		{"data retention 0", map[string]string{"dataRetentionDays": "0"}, "dataRetentionDays", "0", []string{"from 1"}},
		{"firehose buffer size not an integer", map[string]string{"firehoseBufferSizeMb": "big"}, "firehoseBufferSizeMb", `"big"`, []string{"an integer"}},
		{"firehose buffer size 129", map[string]string{"firehoseBufferSizeMb": "129"}, "firehoseBufferSizeMb", "129", []string{"1-128"}},
		{"firehose buffer interval 901", map[string]string{"firehoseBufferIntervalSeconds": "901"}, "firehoseBufferIntervalSeconds", "901", []string{"1-900"}},
		{"firehose buffer interval not an integer", map[string]string{"firehoseBufferIntervalSeconds": "5m"}, "firehoseBufferIntervalSeconds", `"5m"`, []string{"an integer"}},
		{"chatbot region without the Chatbot API", map[string]string{"slackChatbotRegion": "eu-central-1"}, "slackChatbotRegion", `"eu-central-1"`, []string{"else us-west-2", "us-west-2, us-east-2, eu-west-1, ap-southeast-1"}},
		{"waiver of an unknown rule", map[string]string{"policyWaivers": `{"s3-everything-ok":"because"}`}, "policyWaivers", `"s3-everything-ok"`, []string{"rule ids of the security rules", ids.S3TLSOnly}},
		{"waiver without a reason", map[string]string{"policyWaivers": `{"` + ids.S3TLSOnly + `":"  "}`}, "policyWaivers." + ids.S3TLSOnly, `"  "`, []string{"a written reason"}},
		{"waivers not an object", map[string]string{"policyWaivers": `["` + ids.S3TLSOnly + `"]`}, "policyWaivers", ids.S3TLSOnly, []string{"an object of rule id to written reason"}},
		{"e-mail without @", map[string]string{"alarmEmails": `["not-an-email"]`}, "alarmEmails", `"not-an-email"`, []string{"secops@example.com"}},
		{"e-mail without a dot in the domain", map[string]string{"alarmEmails": `["a@b"]`}, "alarmEmails", `"a@b"`, []string{"e-mail addresses"}},
		{"e-mail with a display name", map[string]string{"alarmEmails": `["Name <a@b.com>"]`}, "alarmEmails", `"Name <a@b.com>"`, []string{"e-mail addresses"}},
		{"bad IP in a rule", matchRule(`{"srcAddr":"10.0.0.256"}`), "alarmRules[0].match.srcAddr", `"10.0.0.256"`, []string{"IP address", "CIDR"}},
		{"prefix longer than 32", matchRule(`{"dstAddr":"10.0.0.0/33"}`), "alarmRules[0].match.dstAddr", `"10.0.0.0/33"`, []string{"IP address", "CIDR"}},
		{"CIDR a pattern cannot express", matchRule(`{"srcAddr":"10.0.0.0/20"}`), "alarmRules[0].match.srcAddr", `"10.0.0.0/20"`, []string{"/8, /16, /24 or /32"}},
		{"IPv6 CIDR", matchRule(`{"srcAddr":"2001:db8::/32"}`), "alarmRules[0].match.srcAddr", `"2001:db8::/32"`, []string{"single IPv6 address"}},
		{"match-anything CIDR", matchRule(`{"srcAddr":"0.0.0.0/0"}`), "alarmRules[0].match.srcAddr", `"0.0.0.0/0"`, []string{"longer than /0"}},
		{"address not a string", matchRule(`{"srcAddr":10}`), "alarmRules[0].match.srcAddr", "10", []string{"as a string"}},
		{"port -1", matchRule(`{"dstPort":-1}`), "alarmRules[0].match.dstPort", "-1", []string{"0-65535"}},
		{"port 65536", matchRule(`{"srcPort":65536}`), "alarmRules[0].match.srcPort", "65536", []string{"0-65535"}},
		{"port not whole", matchRule(`{"dstPort":22.5}`), "alarmRules[0].match.dstPort", "22.5", []string{"0-65535"}},
		{"protocol by name", matchRule(`{"protocol":"tcp"}`), "alarmRules[0].match.protocol", "tcp", []string{"0-255", "6 = TCP"}},
		{"protocol 256", matchRule(`{"protocol":256}`), "alarmRules[0].match.protocol", "256", []string{"0-255"}},
		{"action DENY", matchRule(`{"action":"DENY"}`), "alarmRules[0].match.action", "DENY", []string{"ACCEPT, REJECT"}},
		{"empty match", matchRule(`{}`), "alarmRules[0].match.", "{}", []string{"at least one of", "srcAddr"}},
		{"unknown match key", matchRule(`{"dstport":22}`), "alarmRules[0].match.dstport", "22", []string{"srcAddr, dstAddr, srcPort, dstPort, protocol, action"}},
		{"threshold 0", oneRule(`{"name":"r","match":{"dstPort":22},"threshold":0}`), "alarmRules[0].threshold", "0", []string{">= 1"}},
		{"threshold a string", oneRule(`{"name":"r","match":{"dstPort":22},"threshold":"3"}`), "alarmRules[0].threshold", `"3"`, []string{">= 1"}},
		{"period 90", oneRule(`{"name":"r","match":{"dstPort":22},"period":90}`), "alarmRules[0].period", "90", []string{"multiple of 60", "86400"}},
		{"period 0", oneRule(`{"name":"r","match":{"dstPort":22},"period":0}`), "alarmRules[0].period", "0", []string{"multiple of 60"}},
		{"period over a day", oneRule(`{"name":"r","match":{"dstPort":22},"period":86460}`), "alarmRules[0].period", "86460", []string{"86400"}},
		{"window over a day with a short period", oneRule(`{"name":"r","match":{"dstPort":22},"period":300,"evaluationPeriods":289}`), "alarmRules[0].evaluationPeriods", "289", []string{"at most 86400 s with a period of 300 s"}},
		{"window over a week with an hourly period", oneRule(`{"name":"r","match":{"dstPort":22},"period":3600,"evaluationPeriods":169}`), "alarmRules[0].evaluationPeriods", "169", []string{"at most 604800 s with a period of 3600 s"}},
		{"evaluationPeriods 0", oneRule(`{"name":"r","match":{"dstPort":22},"evaluationPeriods":0}`), "alarmRules[0].evaluationPeriods", "0", []string{">= 1"}},
		{"evaluation longer than a day", oneRule(`{"name":"r","match":{"dstPort":22},"period":1800,"evaluationPeriods":49}`), "alarmRules[0].evaluationPeriods", "49", []string{"one day for periods under an hour"}},
		{"unknown comparison", oneRule(`{"name":"r","match":{"dstPort":22},"comparison":"GreaterThan"}`), "alarmRules[0].comparison", `"GreaterThan"`, []string{"GreaterThanOrEqualToThreshold", "LessThanThreshold"}},
		{"both match and pattern", oneRule(`{"name":"r","match":{"dstPort":22},"pattern":"[a, b]"}`), "alarmRules[0]", `"pattern":"[a, b]"`, []string{"exactly one of match", "pattern"}},
		{"neither match nor pattern", oneRule(`{"name":"r","threshold":2}`), "alarmRules[0]", `"name":"r"`, []string{"exactly one of match", "pattern"}},
		{"malformed pattern", oneRule(`{"name":"r","pattern":"version, srcaddr]"}`), "alarmRules[0].pattern", `"version, srcaddr]"`, []string{"filter pattern"}},
		{"pattern too long", oneRule(`{"name":"r","pattern":"[` + strings.Repeat("a", 1030) + `]"}`), "alarmRules[0].pattern", "[aaaa", []string{"at most 1024"}},
		{"duplicate rule names", map[string]string{"alarmRules": "[" + sshRule + "," + sshRule + "]"}, "alarmRules[1].name", `"ssh-reject-from-host"`, []string{"a name no other rule uses"}},
		{"upper-case rule name", oneRule(`{"name":"SSH","match":{"dstPort":22}}`), "alarmRules[0].name", `"SSH"`, []string{"lowercase letters, digits and dashes"}},
		{"underscore in rule name", oneRule(`{"name":"ssh_reject","match":{"dstPort":22}}`), "alarmRules[0].name", `"ssh_reject"`, []string{"lowercase letters"}},
		{"missing rule name", oneRule(`{"match":{"dstPort":22}}`), "alarmRules[0].name", `""`, []string{"1-63"}},
		{"rule name too long", oneRule(`{"name":"` + strings.Repeat("a", 64) + `","match":{"dstPort":22}}`), "alarmRules[0].name", strings.Repeat("a", 64), []string{"1-63"}},
		{"unknown rule key", oneRule(`{"name":"r","match":{"dstPort":22},"treshold":3}`), "alarmRules[0]", `"treshold":3`, []string{"threshold", `unknown field "treshold"`}},
		{"rules not a list", map[string]string{"alarmRules": `{"name":"r"}`}, "alarmRules", `{\"name\":\"r\"}`, []string{"a list of rule objects"}},
		{"rule on a field not recorded", map[string]string{"flowLogFields": `["version","srcaddr","dstaddr","action","log-status"]`, "alarmRules": `[{"name":"r","match":{"srcAddr":"10.0.0.1","dstPort":22}}]`}, "alarmRules[0].match", "dstport", []string{"flowLogFields"}},
		{"scan limit 5", map[string]string{"athenaScanLimitMb": "5"}, "athenaScanLimitMb", "5", []string{"from 10"}},
		// The API fields are Integer (int32): larger values passed the config.
		{"data retention past int32", map[string]string{"dataRetentionDays": "2147483648"}, "dataRetentionDays", "2147483648", []string{"from 1 to 2147483647", "32-bit"}},
		{"instance count past int32", map[string]string{"opensearchInstanceCount": "2147483648"}, "opensearchInstanceCount", "2147483648", []string{"from 1 to 2147483647", "32-bit"}},
		{"volume size past int32", map[string]string{"opensearchVolumeSizeGb": "2147483648"}, "opensearchVolumeSizeGb", "2147483648", []string{"from 10 to 2147483647", "32-bit"}},
		// 10^13 MB is 10^19 bytes, past int64: it passed, and the workgroup's
		// cutoff overflowed after 87 resources.
		{"scan limit past int64 bytes", map[string]string{"athenaScanLimitMb": "10000000000000"}, "athenaScanLimitMb", "10000000000000", []string{"from 10", "to 9223372036854", "64-bit"}},
		{"scan limit one past the maximum", map[string]string{"athenaScanLimitMb": "9223372036855"}, "athenaScanLimitMb", "9223372036855", []string{"to 9223372036854"}},
		{"tags not JSON", map[string]string{"tags": `environment=dev`}, "tags", `"environment=dev"`, []string{"an object of string keys"}},
		{"tag value not a string", map[string]string{"tags": `{"count":3}`}, "tags", `{\"count\":3}`, []string{"string values"}},
		{"aws: tag key", map[string]string{"tags": `{"aws:createdBy":"me"}`}, "tags", `"aws:createdBy"`, []string{"not starting with aws:"}},
		{"AWS: tag key", map[string]string{"tags": `{"AWS:x":"me"}`}, "tags", `"AWS:x"`, []string{"not starting with aws:"}},
		{"tag value too long", map[string]string{"tags": `{"k":"` + strings.Repeat("v", 257) + `"}`}, "tags.k", strings.Repeat("v", 257), []string{"at most 256", "has 257"}},
		{"tag value of 257 characters in 514 bytes", map[string]string{"tags": `{"k":"` + strings.Repeat("ä", 257) + `"}`}, "tags.k", strings.Repeat("ä", 257), []string{"at most 256", "has 257"}},
		// IAM's tag value pattern, [\p{L}\p{Z}\p{N}_.:/=+\-@]*, refuses these.
		{"# in a tag value", map[string]string{"tags": `{"team":"sec#ops"}`}, "tags.team", `"sec#ops"`, []string{"_ . : / = + - @", "no #"}},
		{"comma in a tag value", map[string]string{"tags": `{"team":"a,b"}`}, "tags.team", `"a,b"`, []string{"no #, comma"}},
		{"emoji in a tag value", map[string]string{"tags": `{"team":"ops 🚀"}`}, "tags.team", `"ops 🚀"`, []string{"emoji"}},
		{"newline in a tag value", map[string]string{"tags": `{"team":"a\nb"}`}, "tags.team", `"a\nb"`, []string{"control character"}},
		{"# in a tag key", map[string]string{"tags": `{"sec#ops":"x"}`}, "tags", `"sec#ops"`, []string{"tag keys of 1-128 characters"}},
		{"tag key of 129 characters", map[string]string{"tags": `{"` + strings.Repeat("k", 129) + `":"x"}`}, "tags", strings.Repeat("k", 129), []string{"1-128"}},
		// full enables cloudwatch-opensearch with a created domain: 10 tags
		// at most, 3 of them the program's.
		{"8 tags with an OpenSearch domain", map[string]string{"tags": tagsJSON(8)}, "tags", "8 tags", []string{"at most 7 tags besides project, stack, Name", "OpenSearch domain", "at most 10", "come to 11"}},
		// A member stack recognises its own flow logs by project and stack.
		{"project tag", map[string]string{"tags": `{"project":"p"}`}, "tags", `"project"`, []string{"a key other than project and stack"}},
		{"stack tag", map[string]string{"tags": `{"stack":"s"}`}, "tags", `"stack"`, []string{"a key other than project and stack"}},
		{"48 tags", map[string]string{"architectures": `["s3-athena"]`, "tags": tagsJSON(48)}, "tags", "48 tags", []string{"at most 47 tags besides project, stack, Name", "a resource takes at most 50", "come to 51"}},
		{"47 tags with a direct Firehose feed", map[string]string{"architectures": `["firehose-athena"]`, "firehoseFeedMode": "direct", "tags": tagsJSON(47)}, "tags", "47 tags", []string{"at most 46 tags besides project, stack, Name, LogDeliveryEnabled", "come to 51"}},
		{"60 tags", map[string]string{"architectures": `["s3-athena"]`, "tags": tagsJSON(60)}, "tags", "60 tags", []string{"at most 47", "come to 63"}},
		{"KMS alias for a key ARN", map[string]string{"bucketKmsKeyArn": "alias/flowlogs"}, "bucketKmsKeyArn", `"alias/flowlogs"`, []string{"arn:aws:kms:<region>:<account>:key/<id>"}},
		{"S3 ARN for a KMS key", map[string]string{"logKmsKeyArn": "arn:aws:s3:::bucket"}, "logKmsKeyArn", `"arn:aws:s3:::bucket"`, []string{"arn:aws:kms:"}},
		{"KMS alias ARN for a bucket key ARN", map[string]string{"bucketKmsKeyArn": "arn:aws:kms:us-east-1:123456789012:alias/flowlogs"}, "bucketKmsKeyArn", `"arn:aws:kms:us-east-1:123456789012:alias/flowlogs"`, []string{"a KMS key ARN, arn:aws:kms:<region>:<account>:key/<id>", "not a key id, an alias name or an alias ARN"}},
		{"KMS alias ARN for a log key ARN", map[string]string{"logKmsKeyArn": "arn:aws:kms:us-east-1:123456789012:alias/logs"}, "logKmsKeyArn", `"arn:aws:kms:us-east-1:123456789012:alias/logs"`, []string{"a KMS key ARN", "alias ARN"}},
		{"KMS key ARN without a region", map[string]string{"bucketKmsKeyArn": "arn:aws:kms::123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"}, "bucketKmsKeyArn", `"arn:aws:kms::123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"`, []string{"arn:aws:kms:<region>:<account>:key/<id>"}},
		{"bucket name for a bucket ARN", map[string]string{"existingBucketArn": "my-flow-log-bucket"}, "existingBucketArn", `"my-flow-log-bucket"`, []string{"arn:aws:s3:::<bucket-name>"}},
		{"bucket ARN without a name", map[string]string{"existingBucketArn": "arn:aws:s3:::"}, "existingBucketArn", `"arn:aws:s3:::"`, []string{"arn:aws:s3:::<bucket-name>"}},
		// The service alone was checked: a wildcard, a space, a region and
		// account, or a key prefix passed and became the bucket name of the
		// table's location and of the s3AthenaBucket output.
		{"bucket ARN with a wildcard", map[string]string{"existingBucketArn": "arn:aws:s3:::b*"}, "existingBucketArn", `"arn:aws:s3:::b*"`, []string{"arn:aws:s3:::<bucket-name>", "3-63 lowercase letters", "the name has 2 characters"}},
		{"bucket ARN with a space", map[string]string{"existingBucketArn": "arn:aws:s3:::bucket with space"}, "existingBucketArn", `"arn:aws:s3:::bucket with space"`, []string{"lowercase letters, digits, . and -", "the name has other characters"}},
		{"bucket ARN with region and account", map[string]string{"existingBucketArn": "arn:aws:s3:us-east-1:123456789012:bucket"}, "existingBucketArn", `"arn:aws:s3:us-east-1:123456789012:bucket"`, []string{"no region, account or key prefix"}},
		{"bucket ARN with a key prefix", map[string]string{"existingBucketArn": "arn:aws:s3:::flow-logs/vpc"}, "existingBucketArn", `"arn:aws:s3:::flow-logs/vpc"`, []string{"no region, account or key prefix"}},
		{"bucket ARN with an upper-case name", map[string]string{"existingBucketArn": "arn:aws:s3:::Flow-Logs"}, "existingBucketArn", `"arn:aws:s3:::Flow-Logs"`, []string{"lowercase letters"}},
		{"bucket ARN with two adjacent periods", map[string]string{"existingBucketArn": "arn:aws:s3:::flow..logs"}, "existingBucketArn", `"arn:aws:s3:::flow..logs"`, []string{"two adjacent periods"}},
		{"bucket ARN of an IP address", map[string]string{"existingBucketArn": "arn:aws:s3:::192.168.5.4"}, "existingBucketArn", `"arn:aws:s3:::192.168.5.4"`, []string{"IP address"}},
		{"bucket ARN of 64 characters", map[string]string{"existingBucketArn": "arn:aws:s3:::" + strings.Repeat("b", 64)}, "existingBucketArn", strings.Repeat("b", 64), []string{"3-63", "has 64 characters"}},
		{"IAM role for a QuickSight principal", map[string]string{"quicksightPrincipalArn": "arn:aws:iam::123456789012:role/analyst"}, "quicksightPrincipalArn", `"arn:aws:iam::123456789012:role/analyst"`, []string{"user/<namespace>/<name>", "group/<namespace>/<name>"}},
		{"QuickSight user without a namespace", map[string]string{"quicksightPrincipalArn": "arn:aws:quicksight:us-east-1:123456789012:user/alice"}, "quicksightPrincipalArn", `"arn:aws:quicksight:us-east-1:123456789012:user/alice"`, []string{"user/<namespace>/<name>"}},
		{"QuickSight dashboard for a principal", map[string]string{"quicksightPrincipalArn": "arn:aws:quicksight:us-east-1:123456789012:dashboard/default/x"}, "quicksightPrincipalArn", `"arn:aws:quicksight:us-east-1:123456789012:dashboard/default/x"`, []string{"QuickSight user or group"}},
		{"QuickSight principal without a region", map[string]string{"quicksightPrincipalArn": "arn:aws:quicksight::123456789012:user/default/alice"}, "quicksightPrincipalArn", `"arn:aws:quicksight::123456789012:user/default/alice"`, []string{"<region>:<account>"}},
		{"QuickSight without s3-athena", map[string]string{"architectures": `["cloudwatch-opensearch"]`, "quicksightPrincipalArn": qsUser}, "quicksightPrincipalArn", `"` + qsUser + `"`, []string{"only with the s3-athena architecture"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := stackconfig.Load(getter(with(full, tt.set)))
			if err == nil {
				t.Fatalf("Load succeeded: %+v", cfg)
			}
			if cfg != nil {
				t.Errorf("Load returned a config with an error")
			}
			errs := allErrors(err)
			if len(errs) != 1 {
				t.Fatalf("want exactly one error, got %d: %v", len(errs), err)
			}
			e := errs[0]
			fullKey := "vpc-flow-logs:" + tt.key
			if e.Key != fullKey {
				t.Errorf("Key = %q, want %q", e.Key, fullKey)
			}
			msg := err.Error()
			for _, want := range append([]string{fullKey, tt.value}, tt.allowed...) {
				if !strings.Contains(msg, want) {
					t.Errorf("error %q does not contain %q", msg, want)
				}
			}
			if !strings.Contains(e.Value, tt.value) {
				t.Errorf("Value = %q, want it to show %q", e.Value, tt.value)
			}
			for _, a := range tt.allowed {
				if !strings.Contains(e.Allowed, a) {
					t.Errorf("Allowed = %q, want it to mention %q", e.Allowed, a)
				}
			}
		})
	}
}

func TestLoadReportsEveryError(t *testing.T) {
	_, err := stackconfig.Load(getter(with(full, map[string]string{
		"architectures":       `["nope"]`,
		"trafficType":         "DENY",
		"aggregationInterval": "300",
		"alarmEmails":         `["not-an-email","ok@example.com","a@b"]`,
		"alarmRules":          `[{"name":"BAD","match":{"dstPort":-1},"period":90}]`,
		"existingBucketArn":   "bucket",
	})))
	if err == nil {
		t.Fatal("Load succeeded")
	}
	var got []string
	for _, e := range allErrors(err) {
		got = append(got, e.Key+" "+e.Value)
	}
	want := []string{
		`vpc-flow-logs:architectures "nope"`,
		`vpc-flow-logs:trafficType "DENY"`,
		`vpc-flow-logs:aggregationInterval 300`,
		`vpc-flow-logs:alarmEmails "not-an-email"`,
		`vpc-flow-logs:alarmEmails "a@b"`,
		`vpc-flow-logs:alarmRules[0].name "BAD"`,
		`vpc-flow-logs:alarmRules[0].match.dstPort -1`,
		`vpc-flow-logs:alarmRules[0].period 90`,
		`vpc-flow-logs:existingBucketArn "bucket"`,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("errors =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// One line per problem, so the user sees them all at once.
	if n := strings.Count(err.Error(), "\n") + 1; n != len(want) {
		t.Errorf("error has %d lines, want %d:\n%v", n, len(want), err)
	}
}

func TestMatchConditions(t *testing.T) {
	eq := func(field, v string) flowlog.Condition {
		return flowlog.Condition{Field: field, Op: flowlog.OpEq, Value: v}
	}
	tests := []struct {
		name  string
		match stackconfig.Match
		want  []flowlog.Condition
	}{
		{"/8 is a one-octet prefix", stackconfig.Match{SrcAddr: "10.0.0.0/8"}, []flowlog.Condition{eq("srcaddr", "10.*")}},
		{"/16 is a two-octet prefix", stackconfig.Match{SrcAddr: "10.1.0.0/16"}, []flowlog.Condition{eq("srcaddr", "10.1.*")}},
		{"/24 is a three-octet prefix", stackconfig.Match{DstAddr: "192.168.7.0/24"}, []flowlog.Condition{eq("dstaddr", "192.168.7.*")}},
		{"unmasked /24 uses the network", stackconfig.Match{DstAddr: "192.168.7.99/24"}, []flowlog.Condition{eq("dstaddr", "192.168.7.*")}},
		{"/32 is the address", stackconfig.Match{SrcAddr: "10.0.0.155/32"}, []flowlog.Condition{eq("srcaddr", "10.0.0.155")}},
		{"plain address", stackconfig.Match{SrcAddr: "10.0.0.155"}, []flowlog.Condition{eq("srcaddr", "10.0.0.155")}},
		{"IPv6 /128 is the address", stackconfig.Match{SrcAddr: "2001:db8::1/128"}, []flowlog.Condition{eq("srcaddr", "2001:db8::1")}},
		{
			"every key, in format order",
			stackconfig.Match{Action: "REJECT", Protocol: intp(6), DstPort: intp(22), SrcPort: intp(0), DstAddr: "10.0.1.0/24", SrcAddr: "10.0.0.155"},
			[]flowlog.Condition{eq("srcaddr", "10.0.0.155"), eq("dstaddr", "10.0.1.*"), eq("srcport", "0"), eq("dstport", "22"), eq("protocol", "6"), eq("action", "REJECT")},
		},
		{"empty match", stackconfig.Match{}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.match.Conditions()
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Conditions() = %+v, want %+v", got, tt.want)
			}
			// The conditions must render for the default format.
			if len(got) > 0 {
				if _, err := flowlog.FilterPattern(flowlog.DefaultFields(), got); err != nil {
					t.Errorf("FilterPattern: %v", err)
				}
			}
		})
	}
}

// opensearchVpcEndpoints: auto creates endpoints only in the demo VPC.
func TestCreatesOpenSearchEndpoints(t *testing.T) {
	for _, tc := range []struct {
		mode string
		vpcs []string
		want bool
	}{
		{"auto", nil, true},
		{"auto", []string{"vpc-0123456789abcdef0"}, false},
		{"create", []string{"vpc-0123456789abcdef0"}, true},
		{"create", nil, true},
		{"none", nil, false},
		{"none", []string{"vpc-0123456789abcdef0"}, false},
	} {
		c := &stackconfig.Config{VpcIDs: tc.vpcs, OpenSearch: stackconfig.OpenSearch{VpcEndpoints: tc.mode}}
		if got := c.CreatesOpenSearchEndpoints(); got != tc.want {
			t.Errorf("mode %s, vpcIds %v: CreatesOpenSearchEndpoints = %v, want %v", tc.mode, tc.vpcs, got, tc.want)
		}
	}
}

// TestSecurityAnalyticsEngines: the option is accepted from OpenSearch 2.9
// on (2.10 is after 2.9, not before), and with an existing domain, whose
// engine the stack does not set.
func TestSecurityAnalyticsEngines(t *testing.T) {
	for _, v := range []string{"OpenSearch_2.9", "OpenSearch_2.10", "OpenSearch_2.17", "OpenSearch_3.1"} {
		c, err := stackconfig.Load(getter(with(full, map[string]string{"opensearchSecurityAnalytics": "true", "opensearchEngineVersion": v})))
		if err != nil || !c.OpenSearch.SecurityAnalytics {
			t.Errorf("%s: %v", v, err)
		}
	}
	c, err := stackconfig.Load(getter(with(full, map[string]string{"opensearchSecurityAnalytics": "true", "opensearchEngineVersion": "OpenSearch_2.5",
		"opensearchExistingEndpoint": "vpc-flowlogs-abc123.us-east-1.es.amazonaws.com", "opensearchExistingArn": "arn:aws:es:us-east-1:123456789012:domain/flowlogs",
		"opensearchAccessHost": "false"})))
	if err != nil || !c.OpenSearch.SecurityAnalytics {
		t.Errorf("existing domain: %v", err)
	}
	if c, err := stackconfig.Load(getter(full)); err != nil || c.OpenSearch.SecurityAnalytics {
		t.Errorf("off by default: %v", err)
	}
}

// The edges of each range are accepted, with the value as written: a
// boundary moved by one would refuse a value the error message allows.
func TestLoadAcceptsRangeEdges(t *testing.T) {
	for _, tc := range []struct {
		key, value string
		got        func(*stackconfig.Config) int
	}{
		{"dataRetentionDays", "1", func(c *stackconfig.Config) int { return c.DataRetentionDays }},
		{"athenaScanLimitMb", "10", func(c *stackconfig.Config) int { return c.AthenaScanLimitMB }},
		{"athenaScanLimitMb", "9223372036854", func(c *stackconfig.Config) int { return c.AthenaScanLimitMB }},
		{"firehoseBufferSizeMb", "1", func(c *stackconfig.Config) int { return c.Firehose.BufferSizeMB }},
		{"firehoseBufferSizeMb", "128", func(c *stackconfig.Config) int { return c.Firehose.BufferSizeMB }},
		{"firehoseBufferIntervalSeconds", "1", func(c *stackconfig.Config) int { return c.Firehose.BufferIntervalSeconds }},
		{"firehoseBufferIntervalSeconds", "900", func(c *stackconfig.Config) int { return c.Firehose.BufferIntervalSeconds }},
		{"dataRetentionDays", "2147483647", func(c *stackconfig.Config) int { return c.DataRetentionDays }},
		{"opensearchInstanceCount", "1", func(c *stackconfig.Config) int { return c.OpenSearch.InstanceCount }},
		{"opensearchInstanceCount", "2147483647", func(c *stackconfig.Config) int { return c.OpenSearch.InstanceCount }},
		{"opensearchVolumeSizeGb", "10", func(c *stackconfig.Config) int { return c.OpenSearch.VolumeSizeGB }},
		{"opensearchVolumeSizeGb", "2147483647", func(c *stackconfig.Config) int { return c.OpenSearch.VolumeSizeGB }},
		{"opensearchIndexRetentionDays", "1", func(c *stackconfig.Config) int { return c.OpenSearch.IndexRetentionDays }},
		{"opensearchIndexRetentionDays", "3650", func(c *stackconfig.Config) int { return c.OpenSearch.IndexRetentionDays }},
	} {
		values := map[string]string{"architectures": `["s3-athena","firehose-athena","cloudwatch-opensearch"]`, tc.key: tc.value}
		c, err := stackconfig.Load(getter(values))
		if err != nil {
			t.Errorf("%s: %s: %v", tc.key, tc.value, err)
			continue
		}
		if got := strconv.Itoa(tc.got(c)); got != tc.value {
			t.Errorf("%s: %s loads as %s", tc.key, tc.value, got)
		}
	}
}

// A waiver's reason is kept trimmed, under the rule id; no waiver key, no map.
func TestLoadPolicyWaivers(t *testing.T) {
	c, err := stackconfig.Load(getter(map[string]string{"policyWaivers": `{"` + ids.S3TLSOnly + `":" reviewed with secops "}`}))
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]string{ids.S3TLSOnly: "reviewed with secops"}; !reflect.DeepEqual(c.PolicyWaivers, want) {
		t.Errorf("PolicyWaivers = %q, want %q", c.PolicyWaivers, want)
	}
	if c, err := stackconfig.Load(getter(map[string]string{"policyWaivers": "{}"})); err != nil || c.PolicyWaivers != nil {
		t.Errorf("{}: PolicyWaivers = %#v, err %v; want nil", c.PolicyWaivers, err)
	}
}

// tagsJSON is a tags object of n tags t00: v, t01: v, ...
func tagsJSON(n int) string {
	kv := make([]string, n)
	for i := range kv {
		kv[i] = fmt.Sprintf(`"t%02d":"v"`, i)
	}
	return "{" + strings.Join(kv, ",") + "}"
}

// TestLoadAcceptsInstanceTypes: the shapes of the API's instance types,
// including the families with more than one letter before the generation.
func TestLoadAcceptsInstanceTypes(t *testing.T) {
	for _, it := range []string{"t3.small.search", "r7g.large.search", "r7gd.16xlarge.search", "or1.medium.search", "im4gn.2xlarge.search", "ultrawarm1.medium.search", "c6g.12xlarge.search"} {
		c, err := stackconfig.Load(getter(map[string]string{"architectures": `["cloudwatch-opensearch"]`, "opensearchInstanceType": it}))
		if err != nil {
			t.Errorf("%s: %v", it, err)
			continue
		}
		if c.OpenSearch.InstanceType != it {
			t.Errorf("%s loads as %q", it, c.OpenSearch.InstanceType)
		}
	}
}

// TestLoadAcceptsBucketArns: bucket names at S3's length limits, with
// periods, and other partitions' ARNs.
func TestLoadAcceptsBucketArns(t *testing.T) {
	for _, arn := range []string{
		"arn:aws:s3:::abc",
		"arn:aws:s3:::" + strings.Repeat("b", 63),
		"arn:aws:s3:::flow.logs-1",
		"arn:aws-cn:s3:::flow-logs",
		"arn:aws-us-gov:s3:::flow-logs",
	} {
		c, err := stackconfig.Load(getter(map[string]string{"existingBucketArn": arn}))
		if err != nil {
			t.Errorf("%s: %v", arn, err)
			continue
		}
		if c.ExistingBucketArn != arn {
			t.Errorf("%s loads as %q", arn, c.ExistingBucketArn)
		}
	}
}

// TestLoadAcceptsTagLimits: AWS's limits are in characters and in tags per
// resource with the program's own: 256 characters of two bytes each, every
// character class IAM's pattern allows, 47 tags besides project, stack and
// Name (50 per resource), 7 with an OpenSearch domain the stack creates (10
// per domain), and a tag that replaces the program's Name does not count
// twice.
func TestLoadAcceptsTagLimits(t *testing.T) {
	for name, values := range map[string]map[string]string{
		"256 x ä":                  {"tags": `{"k":"` + strings.Repeat("ä", 256) + `"}`},
		"every allowed character":  {"tags": `{"Kostenstelle ä_.:/=+-@1":"Équipe sécurité 9 _.:/=+-@ 東京"}`},
		"empty value":              {"tags": `{"k":""}`},
		"47 tags":                  {"architectures": `["s3-athena"]`, "tags": tagsJSON(47)},
		"46 tags, direct Firehose": {"architectures": `["firehose-athena"]`, "firehoseFeedMode": "direct", "tags": tagsJSON(46)},
		"47 tags, existing domain": {"architectures": `["cloudwatch-opensearch"]`, "opensearchExistingArn": "arn:aws:es:us-east-1:123456789012:domain/flows", "opensearchExistingEndpoint": "vpc-flows-abc.us-east-1.es.amazonaws.com", "tags": tagsJSON(47)},
		"7 tags, created domain":   {"architectures": `["cloudwatch-opensearch"]`, "tags": tagsJSON(7)},
		"7 + Name, domain":         {"architectures": `["cloudwatch-opensearch"]`, "tags": strings.TrimSuffix(tagsJSON(7), "}") + `,"Name":"n"}`},
	} {
		if _, err := stackconfig.Load(getter(values)); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// A tag value of 256 characters and a raw pattern of 1024 are the longest
// allowed, and are accepted as written.
func TestLoadAcceptsLengthLimits(t *testing.T) {
	value := strings.Repeat("v", 256)
	pattern := strings.Repeat("a", 1024)
	c, err := stackconfig.Load(getter(map[string]string{
		"tags":       `{"k":"` + value + `"}`,
		"alarmRules": `[{"name":"r","pattern":"` + pattern + `"}]`,
	}))
	if err != nil {
		t.Fatal(err)
	}
	if c.Tags["k"] != value || c.AlarmRules[0].Pattern != pattern {
		t.Errorf("tag value of %d, pattern of %d characters", len(c.Tags["k"]), len(c.AlarmRules[0].Pattern))
	}
}

// Ports 0 and 65535 and protocol 255 are the edges of what a match allows.
func TestMatchAcceptsNumberEdges(t *testing.T) {
	for _, match := range []string{`{"srcPort":0,"dstPort":65535,"protocol":0}`, `{"srcPort":65535,"dstPort":0,"protocol":255}`} {
		c, err := stackconfig.Load(getter(map[string]string{"alarmRules": `[{"name":"r","match":` + match + `}]`}))
		if err != nil {
			t.Errorf("%s: %v", match, err)
			continue
		}
		m := c.AlarmRules[0].Match
		if got := fmt.Sprintf(`{"srcPort":%d,"dstPort":%d,"protocol":%d}`, *m.SrcPort, *m.DstPort, *m.Protocol); got != match {
			t.Errorf("%s loads as %s", match, got)
		}
	}
}

// A multi-Region key's key ARN (key/mrk-...) is a key ARN too.
func TestKmsKeyArnMultiRegion(t *testing.T) {
	const mrk = "arn:aws:kms:eu-west-1:123456789012:key/mrk-1234abcd12ab34cd56ef1234567890ab"
	cfg, err := stackconfig.Load(getter(with(full, map[string]string{"bucketKmsKeyArn": mrk, "logKmsKeyArn": mrk})))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.BucketKmsKeyArn != mrk || cfg.LogKmsKeyArn != mrk {
		t.Errorf("bucketKmsKeyArn %q, logKmsKeyArn %q, want %q", cfg.BucketKmsKeyArn, cfg.LogKmsKeyArn, mrk)
	}
}
