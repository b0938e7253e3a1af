package stacks

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/vpcflowlogs/vpc-flow-logs/components"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/athenaqueries"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/flowlog"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/mockaws"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/policy"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/stackconfig"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/stackfile"
)

const testOrgID = "o-a1b2c3d4e5"

// centralConfig is the shipped central stack (organization id, two member
// regions, every architecture).
func centralConfig(t testing.TB) map[string]string {
	t.Helper()
	_, cfg, err := stackfile.LoadConfig(moduleRoot(t), "central")
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// withAccounts is the central stack with an account list in place of the
// organization.
func withAccounts(t testing.TB, ids ...string) map[string]string {
	t.Helper()
	cfg := centralConfig(t)
	delete(cfg, stackconfig.Key("organizationId"))
	b, _ := json.Marshal(ids)
	cfg[stackconfig.Key("memberAccountIds")] = string(b)
	return cfg
}

// cloud is the cloud resource (not the component) of this name.
func cloud(t *testing.T, r *result, name string) *mockaws.Resource {
	t.Helper()
	for _, res := range r.Resources {
		if res.Name == name && res.Custom {
			return res
		}
	}
	t.Fatalf("no cloud resource %s", name)
	return nil
}

func deployCentral(t *testing.T, cfg map[string]string) *result {
	t.Helper()
	r, err := deploy(t, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// statements decodes a policy input of a resource.
func statements(t *testing.T, r *mockaws.Resource, key string) []map[string]any {
	t.Helper()
	raw := r.Input(key)
	if raw == "" {
		t.Fatalf("%s has no %s", r.Name, key)
	}
	var doc struct {
		Statement []map[string]any
	}
	if err := json.Unmarshal([]byte(raw), &doc); err != nil {
		t.Fatalf("%s %s: %v", r.Name, key, err)
	}
	return doc.Statement
}

// conditionValue is the value a statement's condition tests key with
// (under any operator), or nil.
func conditionValue(st map[string]any, key string) any {
	cond, _ := st["Condition"].(map[string]any)
	for _, kv := range cond {
		if m, ok := kv.(map[string]any); ok {
			if v, ok := m[key]; ok {
				return v
			}
		}
	}
	return nil
}

// allowsAnyone reports an Allow statement whose principal is everyone
// ("*" or {"AWS": "*"}) and that has no condition.
func allowsAnyone(st map[string]any) bool {
	if st["Effect"] != "Allow" {
		return false
	}
	p := st["Principal"]
	if m, ok := p.(map[string]any); ok {
		p = m["AWS"]
	}
	return p == "*" && st["Condition"] == nil
}

// The organization's receiving policies: the bucket's log-delivery
// statements (aws:SourceOrgID), the destinations' and the bus's
// (aws:PrincipalOrgID).
type orgPolicies struct {
	bucket       []map[string]any // delivery.logs statements
	destinations [][]map[string]any
	bus          []map[string]any
}

func policiesOf(t *testing.T, r *result) orgPolicies {
	t.Helper()
	var p orgPolicies
	for _, st := range statements(t, byName(t, r.Mocks, "org-flowlogs-policy"), "policy") {
		if fmt.Sprint(st["Principal"]) == "map[Service:delivery.logs.amazonaws.com]" {
			p.bucket = append(p.bucket, st)
		}
	}
	for _, d := range r.ByType("aws:cloudwatch/logDestinationPolicy:LogDestinationPolicy") {
		p.destinations = append(p.destinations, statements(t, d, "accessPolicy"))
	}
	p.bus = statements(t, byName(t, r.Mocks, "org-alarms-policy"), "policy")
	return p
}

// TestCentralOutputsContract: the central stack exports every output the
// member stacks read (org-design contract), with its type.
func TestCentralOutputsContract(t *testing.T) {
	r := deployCentral(t, centralConfig(t))
	archs, ok := r.outputs[OutOrgArchitectures].([]string)
	if !ok || !reflect.DeepEqual(archs, []string{"cloudwatch-opensearch", "s3-athena", "firehose-athena"}) {
		t.Errorf("%s = %#v, want the three architectures as strings", OutOrgArchitectures, r.outputs[OutOrgArchitectures])
	}
	if got := r.outputs[OutOrgFlowLogFormat]; got != flowlog.LogFormat(flowlog.DefaultFields()) {
		t.Errorf("%s = %#v, want the ${...} format of the default fields", OutOrgFlowLogFormat, got)
	}
	dest, ok := r.outputs[OutOrgS3Destination].(map[string]any)
	if !ok {
		t.Fatalf("%s = %#v, want an object", OutOrgS3Destination, r.outputs[OutOrgS3Destination])
	}
	bucketArn := cloud(t, r, "org-flowlogs").Outputs["arn"]
	want := map[string]any{"bucketArn": bucketArn, "fileFormat": "parquet", "hiveCompatiblePartitions": true, "perHourPartition": true}
	if !reflect.DeepEqual(dest, want) {
		t.Errorf("%s = %#v, want %#v", OutOrgS3Destination, dest, want)
	}
	arns, ok := r.outputs[OutOrgLogDestinationArns].(map[string]string)
	if !ok || len(arns) != 2 {
		t.Fatalf("%s = %#v, want one destination ARN per member region", OutOrgLogDestinationArns, r.outputs[OutOrgLogDestinationArns])
	}
	for _, region := range []string{"eu-west-1", "us-east-1"} {
		d := cloud(t, r, "org-destination-"+region)
		if s := arns[region]; s == "" || s != d.Outputs["arn"] {
			t.Errorf("%s[%s] = %#v, want the ARN of that region's destination %v", OutOrgLogDestinationArns, region, arns[region], d.Outputs["arn"])
		}
	}
	if got, want := r.outputs[OutOrgAlarmEventBusArn], cloud(t, r, "org-alarms").Outputs["arn"]; got == nil || got != want {
		t.Errorf("%s = %#v, want the bus ARN %v", OutOrgAlarmEventBusArn, got, want)
	}
	if got, want := r.outputs[OutOrgAlarmTopicArn], byName(t, r.Mocks, "alarms-topic").Outputs["arn"]; got == nil || got != want {
		t.Errorf("%s = %#v, want the topic ARN %v", OutOrgAlarmTopicArn, got, want)
	}
}

// TestCentralS3DestinationOnlyWithS3Athena: orgS3Destination exists only
// when s3-athena is enabled, orgLogDestinationArns only with a CloudWatch
// Logs architecture.
func TestCentralS3DestinationOnlyWithS3Athena(t *testing.T) {
	cfg := centralConfig(t)
	cfg[stackconfig.Key("architectures")] = `["firehose-athena"]`
	r := deployCentral(t, cfg)
	if _, ok := r.outputs[OutOrgS3Destination]; ok {
		t.Errorf("%s without s3-athena", OutOrgS3Destination)
	}
	if _, ok := r.outputs[OutOrgLogDestinationArns]; !ok {
		t.Errorf("no %s with firehose-athena", OutOrgLogDestinationArns)
	}
	cfg[stackconfig.Key("architectures")] = `["s3-athena"]`
	r = deployCentral(t, cfg)
	if _, ok := r.outputs[OutOrgLogDestinationArns]; ok {
		t.Errorf("%s without a CloudWatch Logs architecture", OutOrgLogDestinationArns)
	}
	if n := len(r.ByType("aws:kinesis/stream:Stream")); n != 0 {
		t.Errorf("%d Kinesis streams without a CloudWatch Logs architecture", n)
	}
}

// TestCentralPoliciesAdmitTheOrganization: with an organization id, the
// bucket's log-delivery statements test aws:SourceOrgID, the destinations'
// and the bus's policies aws:PrincipalOrgID, and no statement of them lets
// anyone in without a condition.
func TestCentralPoliciesAdmitTheOrganization(t *testing.T) {
	p := policiesOf(t, deployCentral(t, centralConfig(t)))
	if len(p.bucket) != 2 {
		t.Fatalf("bucket policy has %d log-delivery statements, want 2 (ACL check, write)", len(p.bucket))
	}
	for _, st := range p.bucket {
		if conditionValue(st, "aws:SourceOrgID") != testOrgID {
			t.Errorf("bucket statement %v does not test aws:SourceOrgID = %s", st["Sid"], testOrgID)
		}
	}
	if len(p.destinations) != 2 {
		t.Fatalf("%d destination policies, want one per member region", len(p.destinations))
	}
	for _, doc := range append(p.destinations, p.bus) {
		for _, st := range doc {
			if conditionValue(st, "aws:PrincipalOrgID") != testOrgID {
				t.Errorf("statement %v does not test aws:PrincipalOrgID = %s", st["Sid"], testOrgID)
			}
			if allowsAnyone(st) {
				t.Errorf("statement %v allows anyone without a condition", st["Sid"])
			}
		}
	}
}

// TestCentralPoliciesListTheAccounts: with memberAccountIds, the same
// policies name exactly those accounts; the bucket's log delivery admits
// the central account too (the caller's, mockaws.Account), whose own VPCs
// a member stack of that account logs into the bucket.
func TestCentralPoliciesListTheAccounts(t *testing.T) {
	ids := []string{"111111111111", "222222222222"}
	p := policiesOf(t, deployCentral(t, withAccounts(t, ids...)))
	want := []any{ids[0], ids[1]}
	wantBucket := []any{mockaws.Account, ids[0], ids[1]}
	for _, st := range p.bucket {
		if got := conditionValue(st, "aws:SourceAccount"); !reflect.DeepEqual(got, wantBucket) {
			t.Errorf("bucket statement %v: aws:SourceAccount = %v, want %v", st["Sid"], got, wantBucket)
		}
		if conditionValue(st, "aws:SourceOrgID") != nil {
			t.Errorf("bucket statement %v tests an organization", st["Sid"])
		}
		arns := fmt.Sprint(conditionValue(st, "aws:SourceArn"))
		for _, id := range append([]string{mockaws.Account}, ids...) {
			for _, region := range []string{"eu-west-1", "us-east-1"} {
				if !strings.Contains(arns, "arn:aws:logs:"+region+":"+id+":*") {
					t.Errorf("bucket statement %v: aws:SourceArn %s lacks %s in %s", st["Sid"], arns, id, region)
				}
			}
		}
	}
	for _, doc := range append(p.destinations, p.bus) {
		for _, st := range doc {
			if got := st["Principal"]; !reflect.DeepEqual(got, map[string]any{"AWS": want}) {
				t.Errorf("statement %v: Principal = %v, want the accounts %v", st["Sid"], got, want)
			}
			if allowsAnyone(st) {
				t.Errorf("statement %v allows anyone without a condition", st["Sid"])
			}
		}
	}
}

// TestCentralSizeDoesNotGrowWithMembers: the number of resources is the
// same with an organization and with 1 or 40 listed accounts, and with an
// organization no policy names a member account.
func TestCentralSizeDoesNotGrowWithMembers(t *testing.T) {
	org := deployCentral(t, centralConfig(t))
	var forty []string
	for i := range 40 {
		forty = append(forty, fmt.Sprintf("%012d", 100000000000+i))
	}
	for _, ids := range [][]string{{"111111111111"}, forty} {
		r := deployCentral(t, withAccounts(t, ids...))
		if len(r.Resources) != len(org.Resources) {
			t.Errorf("%d accounts: %d resources, the organization %d", len(ids), len(r.Resources), len(org.Resources))
		}
	}
	for _, res := range org.Resources {
		for _, key := range []string{"policy", "accessPolicy", "assumeRolePolicy"} {
			doc := res.Input(key)
			for _, id := range forty {
				if strings.Contains(doc, id) {
					t.Errorf("%s %s names account %s", res.Name, key, id)
				}
			}
		}
	}
}

// TestCentralCreatesNoFlowLogs: a central stack logs no VPC of its own and
// subscribes to no log group: its data comes from the members.
func TestCentralCreatesNoFlowLogs(t *testing.T) {
	r := deployCentral(t, centralConfig(t))
	for _, typ := range []string{"aws:ec2/flowLog:FlowLog", "aws:cloudwatch/logSubscriptionFilter:LogSubscriptionFilter", "aws:cloudwatch/logMetricFilter:LogMetricFilter"} {
		if n := len(r.ByType(typ)); n != 0 {
			t.Errorf("%d %s on a central stack", n, typ)
		}
	}
}

// TestCentralConsumersReadTheStream: the indexer and the forwarder are fed
// by event source mappings on the organization stream with the contract's
// settings, and their roles may read the stream and decrypt with its key.
func TestCentralConsumersReadTheStream(t *testing.T) {
	r := deployCentral(t, centralConfig(t))
	stream := cloud(t, r, "org-stream")
	key := byName(t, r.Mocks, "org-stream-key")
	if stream.Input("encryptionType") != "KMS" || stream.Inputs["kmsKeyId"] != key.Outputs["arn"] {
		t.Errorf("stream encryption %q with %v, want KMS with the stream's key", stream.Input("encryptionType"), stream.Inputs["kmsKeyId"])
	}
	if mode := fmt.Sprint(stream.Inputs["streamModeDetails"]); mode != "map[streamMode:ON_DEMAND]" {
		t.Errorf("stream mode %s, want ON_DEMAND", mode)
	}
	for _, fn := range []string{"opensearch-indexer", "firehose-forwarder"} {
		m := byName(t, r.Mocks, fn+"-kinesis")
		dlq := byName(t, r.Mocks, fn+"-dlq")
		checks := map[string]any{
			"eventSourceArn":             stream.Outputs["arn"],
			"startingPosition":           "TRIM_HORIZON",
			"functionResponseTypes":      []any{"ReportBatchItemFailures"},
			"bisectBatchOnFunctionError": true,
			"maximumRetryAttempts":       float64(components.KinesisMaxRetries),
			"maximumRecordAgeInSeconds":  float64(components.KinesisMaxRecordAgeSeconds),
			"destinationConfig":          map[string]any{"onFailure": map[string]any{"destinationArn": dlq.Outputs["arn"]}},
		}
		for k, want := range checks {
			if got := m.Inputs[k]; !reflect.DeepEqual(got, want) {
				t.Errorf("%s %s = %#v, want %#v", m.Name, k, got, want)
			}
		}
		var reads, decrypt bool
		for _, st := range statements(t, byName(t, r.Mocks, fn+"-role-policy"), "policy") {
			acts := fmt.Sprint(st["Action"])
			if st["Resource"] == stream.Outputs["arn"] && strings.Contains(acts, "kinesis:GetRecords") && strings.Contains(acts, "kinesis:GetShardIterator") {
				reads = true
			}
			if st["Resource"] == key.Outputs["arn"] && acts == "kms:Decrypt" {
				decrypt = true
			}
		}
		if !reads || !decrypt {
			t.Errorf("%s role: stream reads %v, key decrypt %v; want both", fn, reads, decrypt)
		}
	}
}

// TestCentralDestinationsPerRegion: one destination per member region,
// each through that region's provider (the central region's default one
// for its own), all targeting the one stream with the one role.
func TestCentralDestinationsPerRegion(t *testing.T) {
	r := deployCentral(t, centralConfig(t))
	stream := cloud(t, r, "org-stream")
	dests := r.ByType("aws:cloudwatch/logDestination:LogDestination")
	if len(dests) != 2 {
		t.Fatalf("%d destinations, want 2", len(dests))
	}
	providers := map[string]bool{}
	for _, d := range dests {
		if d.Inputs["targetArn"] != stream.Outputs["arn"] || d.Input("name") != DestinationName("dev") {
			t.Errorf("%s targets %v named %q", d.Name, d.Inputs["targetArn"], d.Input("name"))
		}
		providers[d.Provider] = true
	}
	if len(providers) != 2 {
		t.Errorf("destinations use providers %v, want one per region", providers)
	}
	ps := r.ByType("pulumi:providers:aws")
	// The mocked central region is us-east-1: eu-west-1 needs its own provider.
	if len(ps) != 1 || ps[0].Input("region") != "eu-west-1" {
		t.Errorf("explicit providers %v, want one for eu-west-1", ps)
	}
	role := byName(t, r.Mocks, "org-stream-logs-role")
	trust := fmt.Sprint(statements(t, role, "assumeRolePolicy"))
	for _, region := range []string{"eu-west-1", "us-east-1"} {
		if !strings.Contains(trust, "arn:aws:logs:"+region+":*:*") {
			t.Errorf("the destination role's trust %s does not admit CloudWatch Logs of %s", trust, region)
		}
	}
}

// TestCentralTableCoversEveryMember: the s3-athena table reads from
// AWSLogs/ with account and region partitions: injected accounts with an
// organization (and every saved query names the account), enumerated with
// an account list: the central account (mockaws.Account, whose member
// stack delivers into the bucket too) and the listed ones, each once.
func TestCentralTableCoversEveryMember(t *testing.T) {
	for name, tc := range map[string]struct {
		cfg        map[string]string
		acctType   string
		acctValues string
		scoped     bool
	}{
		"organization": {centralConfig(t), "injected", "", true},
		"accounts":     {withAccounts(t, "111111111111", "222222222222"), "enum", mockaws.Account + ",111111111111,222222222222", false},
		"accounts with the central one listed": {withAccounts(t, "111111111111", mockaws.Account, "222222222222"), "enum",
			mockaws.Account + ",111111111111,222222222222", false},
	} {
		t.Run(name, func(t *testing.T) {
			r := deployCentral(t, tc.cfg)
			table := byName(t, r.Mocks, "s3-athena-table")
			params, _ := table.Inputs["parameters"].(map[string]any)
			want := map[string]any{
				"projection.source_account.type":  tc.acctType,
				"projection.source_region.type":   "enum",
				"projection.source_region.values": "eu-west-1,us-east-1",
			}
			if tc.acctValues != "" {
				want["projection.source_account.values"] = tc.acctValues
			}
			for k, v := range want {
				if params[k] != v {
					t.Errorf("%s = %v, want %v", k, params[k], v)
				}
			}
			if _, ok := params["projection.source_account.values"]; tc.acctValues == "" && ok {
				t.Error("an injected account partition lists values")
			}
			bucket := cloud(t, r, "org-flowlogs").Outputs["bucket"]
			tmpl := fmt.Sprintf("s3://%s/AWSLogs/aws-account-id=${source_account}/aws-service=vpcflowlogs/aws-region=${source_region}/${datehour}/", bucket)
			if params["storage.location.template"] != tmpl {
				t.Errorf("storage.location.template = %v, want %s", params["storage.location.template"], tmpl)
			}
			var keys []string
			for _, k := range table.Inputs["partitionKeys"].([]any) {
				keys = append(keys, k.(map[string]any)["name"].(string))
			}
			if !slices.Equal(keys, []string{"source_account", "source_region", "datehour"}) {
				t.Errorf("partition keys %v", keys)
			}
			queries := r.ByType("aws:athena/namedQuery:NamedQuery")
			for _, q := range queries {
				if !strings.Contains(q.Input("workgroup"), "s3-athena") && !strings.Contains(q.Name, "s3-athena") {
					continue
				}
				if got := strings.Contains(q.Input("query"), athenaqueries.SourceAccountParameter); got != tc.scoped {
					t.Errorf("%s names the account parameter: %v, want %v", q.Name, got, tc.scoped)
				}
			}
		})
	}
}

// TestCentralTopicAdmitsTheBusRule: the alarm bus's rule sends to the
// alarm topic, whose policy admits events.amazonaws.com for that rule only
// (its ARN: the rule is named), and whose key lets EventBridge encrypt.
func TestCentralTopicAdmitsTheBusRule(t *testing.T) {
	r := deployCentral(t, centralConfig(t))
	topic := byName(t, r.Mocks, "alarms-topic")
	target := byName(t, r.Mocks, "org-alarms-topic")
	if target.Inputs["arn"] != topic.Outputs["arn"] {
		t.Errorf("the bus rule's target is %v, want the alarm topic", target.Inputs["arn"])
	}
	rule := byName(t, r.Mocks, "org-alarms-to-topic")
	var pattern map[string]any
	if err := json.Unmarshal([]byte(rule.Input("eventPattern")), &pattern); err != nil || !reflect.DeepEqual(pattern, components.AlarmStateChangePattern) {
		t.Errorf("rule pattern %s, want the alarm state changes", rule.Input("eventPattern"))
	}
	found := false
	for _, st := range statements(t, byName(t, r.Mocks, "alarms-topic-policy"), "policy") {
		if fmt.Sprint(st["Principal"]) == "map[Service:events.amazonaws.com]" {
			found = true
			arn := fmt.Sprint(conditionValue(st, "aws:SourceArn"))
			if want := "[arn:aws:events:us-east-1:" + mockaws.Account + ":rule/" + AlarmBusName("dev") + "/" + components.AlarmBusRule + "]"; arn != want {
				t.Errorf("topic policy admits EventBridge for %s, want %s", arn, want)
			}
		}
	}
	if !found {
		t.Error("the topic policy does not admit EventBridge")
	}
	keyGrants := false
	for _, st := range statements(t, byName(t, r.Mocks, "alarms-key"), "policy") {
		if fmt.Sprint(st["Principal"]) == "map[Service:events.amazonaws.com]" && strings.Contains(fmt.Sprint(st["Action"]), "kms:GenerateDataKey") {
			keyGrants = true
		}
	}
	if !keyGrants {
		t.Error("the topic's key does not let EventBridge encrypt")
	}
}

// TestStandaloneTopicAdmitsNoEventBridge: the standalone alarm topic keeps
// its policy: no EventBridge statement.
func TestStandaloneTopicAdmitsNoEventBridge(t *testing.T) {
	r, err := deploy(t, devConfig(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"alarms-topic-policy", "alarms-key"} {
		if strings.Contains(byName(t, r.Mocks, n).Input("policy"), "events.amazonaws.com") {
			t.Errorf("%s admits EventBridge on a standalone stack", n)
		}
	}
}

// TestCentralOpenSearchInExistingSubnets: with opensearchSubnetIds the
// central stack creates no demo network and places OpenSearch in the
// subnets' VPC, which it looks up, with no interface endpoints of its own
// (auto).
func TestCentralOpenSearchInExistingSubnets(t *testing.T) {
	r := deployCentral(t, with(centralConfig(t), "opensearchSubnetIds", testSubnets))
	if n := len(r.ByType("aws:ec2/vpc:Vpc")); n != 0 {
		t.Errorf("%d VPCs created, want none", n)
	}
	if n := len(r.ByType("aws:ec2/vpcEndpoint:VpcEndpoint")); n != 0 {
		t.Errorf("%d interface endpoints in an existing VPC with opensearchVpcEndpoints auto", n)
	}
	sg := byName(t, r.Mocks, "opensearch-domain-sg")
	if sg.Input("vpcId") != mockaws.SubnetVpcID {
		t.Errorf("OpenSearch's security group is in %q, want the subnets' VPC %s", sg.Input("vpcId"), mockaws.SubnetVpcID)
	}
}

// TestCentralOutputsAreDocumented: every output of the central stack is in
// the stack outputs table or in the "Central stack outputs" table of
// docs/organization.md, which names only outputs the central stack exports.
func TestCentralOutputsAreDocumented(t *testing.T) {
	_, general := outputsTable(t)
	b, err := os.ReadFile(filepath.Join(moduleRoot(t), "docs", "organization.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(b), "\n## Central stack outputs\n")
	if !ok {
		t.Fatal(`docs/organization.md has no "## Central stack outputs" section`)
	}
	if i := strings.Index(section, "\n## "); i >= 0 {
		section = section[:i]
	}
	var central []string
	cell := regexp.MustCompile("`([A-Za-z0-9]+)`")
	for _, line := range strings.Split(section, "\n") {
		if cols := strings.Split(line, "|"); len(cols) >= 3 {
			for _, m := range cell.FindAllStringSubmatch(cols[1], -1) {
				central = append(central, m[1])
			}
		}
	}
	r := deployCentral(t, centralConfig(t))
	for k := range r.outputs {
		if !slices.Contains(general, k) && !slices.Contains(central, k) {
			t.Errorf("central stack output %s is documented in neither table", k)
		}
	}
	for _, k := range central {
		if _, ok := r.outputs[k]; !ok {
			t.Errorf("docs/organization.md documents %s, which the central stack does not export", k)
		}
	}
}

// TestCentralTopicPublishers: on a central stack, what names the alarm
// topic is a CloudWatch alarm, the topic's policy, a subscriber or the alarm
// bus's rule target, and the key grants both publishing services
// (CloudWatch here, EventBridge in TestCentralTopicAdmitsTheBusRule).
func TestCentralTopicPublishers(t *testing.T) {
	r := deployCentral(t, centralConfig(t))
	topic := cloud(t, r, "alarms-topic")
	arn, _ := topic.Outputs["arn"].(string)
	targets := 0
	for _, res := range r.Resources {
		if res == topic || !mentions(map[string]any(res.Inputs), arn) {
			continue
		}
		switch res.Type {
		case "aws:cloudwatch/metricAlarm:MetricAlarm", "aws:sns/topicPolicy:TopicPolicy", "aws:sns/topicSubscription:TopicSubscription":
		case "aws:cloudwatch/eventTarget:EventTarget":
			targets++
		default:
			t.Errorf("%s (%s) names the alarm topic but is neither an alarm, a subscriber nor the bus rule's target", res.Name, res.Type)
		}
	}
	if targets != 1 {
		t.Errorf("%d EventBridge targets publish to the topic, want the alarm bus rule's", targets)
	}
	assertKeyGrantsCloudWatch(t, r.Mocks, topic)
}

// TestCentralPassesTheRules: the shipped central stack, its account-list
// form and its existing-subnets form pass every security rule (the demo
// VPC's flow-log waiver aside, which the stack file carries) and every
// deployability rule.
func TestCentralPassesTheRules(t *testing.T) {
	for name, cfg := range map[string]map[string]string{
		"organization":     centralConfig(t),
		"accounts":         withAccounts(t, "111111111111", "222222222222"),
		"existing subnets": with(centralConfig(t), "opensearchSubnetIds", testSubnets),
	} {
		t.Run(name, func(t *testing.T) {
			r := deployCentral(t, cfg)
			c, err := stackconfig.Load(func(k string) (string, bool) { v, ok := cfg[k]; return v, ok })
			if err != nil {
				t.Fatal(err)
			}
			if rep := policy.EvaluateStack(r.Mocks, c); rep.Failed() {
				var b strings.Builder
				rep.Write(&b)
				t.Errorf("security rules:\n%s", b.String())
			}
			if rep := policy.EvaluateDeployabilityStack(r.Mocks, c); rep.Failed() {
				var b strings.Builder
				rep.Write(&b)
				t.Errorf("deployability rules:\n%s", b.String())
			}
		})
	}
}
