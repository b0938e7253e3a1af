package stacks

import (
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/flowlog"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/mockaws"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/orgref"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/policy"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/stackconfig"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/stackfile"
)

const (
	memberStack  = "member-eu-west-1"
	centralStack = "acme/vpc-flow-logs/central"
	// The fixture VPCs (mockaws.DefaultVpcs).
	vpcProdApp  = "vpc-0a1b2c3d4e5f60718" // one flow log of stack member-eu-west-1
	vpcProdData = "vpc-0b2c3d4e5f6071829"
	vpcEgress   = "vpc-0c3d4e5f607182930" // 2 flow logs of another owner
	vpcLegacy   = "vpc-0d4e5f60718293a41" // 1 flow log of another owner
	vpcSandbox  = "vpc-0e5f60718293a4b52" // tagged flow-logs=off
)

const (
	tFlowLog      = "aws:ec2/flowLog:FlowLog"
	tSubscription = "aws:cloudwatch/logSubscriptionFilter:LogSubscriptionFilter"
	tEventRule    = "aws:cloudwatch/eventRule:EventRule"
	tEventTarget  = "aws:cloudwatch/eventTarget:EventTarget"
)

// memberConfig is the shipped member stack's config.
func memberStackConfig(t testing.TB) map[string]string {
	t.Helper()
	_, cfg, err := stackfile.LoadConfig(moduleRoot(t), memberStack)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// recordedCentral is the recorded central outputs (recorded/central-outputs.json).
func recordedCentral(t testing.TB) map[string]any {
	t.Helper()
	outs, err := mockaws.LoadStackOutputs(filepath.Join(moduleRoot(t), "recorded", "central-outputs.json"))
	if err != nil {
		t.Fatal(err)
	}
	// A copy, so a test may change it.
	b, _ := json.Marshal(outs[centralStack])
	var c map[string]any
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	return c
}

// deployMember runs Deploy for the member stack under mocks answering the
// central outputs and the region, and resolves its outputs.
func deployMember(t testing.TB, cfg map[string]string, central map[string]any, region string) (*result, error) {
	t.Helper()
	return deployStack(t, memberStack, cfg, true,
		mockaws.WithStackOutputs(map[string]map[string]any{centralStack: central}), mockaws.WithRegion(region))
}

// awsResources are the recorded AWS resources (not components, not the stack reference).
func awsResources(r *result) []*mockaws.Resource {
	var out []*mockaws.Resource
	for _, res := range r.Resources {
		if res.Custom && strings.HasPrefix(res.Type, "aws:") {
			out = append(out, res)
		}
	}
	return out
}

func strs(v any) []string {
	var out []string
	for _, x := range mockaws.List(v) {
		out = append(out, mockaws.Str(x))
	}
	return out
}

func TestMemberStackFile(t *testing.T) {
	central := recordedCentral(t)
	r, err := deployMember(t, memberStackConfig(t), central, "eu-west-1")
	if err != nil {
		t.Fatal(err)
	}
	if n := len(r.ByType("aws:ec2/vpc:Vpc")); n != 0 {
		t.Errorf("a member stack created %d VPCs; it has no demo network", n)
	}
	// The VPC selection and why VPCs were skipped.
	v := r.outputs["memberVpcs"]
	if got := strs(mockaws.Get(v, "found")); !slices.Equal(got, []string{vpcProdApp, vpcProdData, vpcEgress, vpcLegacy, vpcSandbox}) {
		t.Errorf("found = %v", got)
	}
	if got := strs(mockaws.Get(v, "monitored")); !slices.Equal(got, []string{vpcProdApp, vpcProdData}) {
		t.Errorf("monitored = %v, want prod-app (whose flow log is this stack's own) and prod-data", got)
	}
	reasons := map[string]string{}
	for _, s := range mockaws.List(mockaws.Get(v, "skipped")) {
		reasons[mockaws.Str(mockaws.Get(s, "id"))] = mockaws.Str(mockaws.Get(s, "reason"))
	}
	for id, want := range map[string]string{
		vpcEgress:  "already has 2 flow log(s) of another owner (fl-0c3d4e5f607180001, fl-0c3d4e5f607180002)",
		vpcLegacy:  "already has 1 flow log(s) of another owner (fl-0d4e5f60718290001); this stack adds 2",
		vpcSandbox: "excluded by tag flow-logs=off",
	} {
		if !strings.Contains(reasons[id], want) {
			t.Errorf("skipped %s: reason %q, want %q", id, reasons[id], want)
		}
	}
	if len(reasons) != 3 {
		t.Errorf("skipped = %v, want 3", reasons)
	}

	// Every flow log: the central format; the S3 ones into the central bucket
	// with its options.
	s3 := central[orgref.OutS3Destination].(map[string]any)
	var cw, toS3 []string
	for _, fl := range r.ByType(tFlowLog) {
		if fl.Input("logFormat") != central[orgref.OutFlowLogFormat] {
			t.Errorf("%s logFormat = %q, want the central stack's", fl.Name, fl.Input("logFormat"))
		}
		switch fl.Input("logDestinationType") {
		case "s3":
			toS3 = append(toS3, fl.Input("vpcId"))
			if fl.Input("logDestination") != s3["bucketArn"] {
				t.Errorf("%s delivers to %q, want the central bucket %q", fl.Name, fl.Input("logDestination"), s3["bucketArn"])
			}
			opts := fl.Inputs["destinationOptions"]
			if mockaws.Str(mockaws.Get(opts, "fileFormat")) != s3["fileFormat"] || mockaws.Get(opts, "hiveCompatiblePartitions") != s3["hiveCompatiblePartitions"] ||
				mockaws.Get(opts, "perHourPartition") != s3["perHourPartition"] {
				t.Errorf("%s destinationOptions = %v, want the central stack's %v", fl.Name, opts, s3)
			}
		case "cloud-watch-logs":
			cw = append(cw, fl.Input("vpcId"))
		}
	}
	slices.Sort(cw)
	slices.Sort(toS3)
	if !slices.Equal(cw, []string{vpcProdApp, vpcProdData}) || !slices.Equal(toS3, []string{vpcProdApp, vpcProdData}) {
		t.Errorf("CloudWatch Logs flow logs for %v, S3 flow logs for %v; want both for the monitored VPCs", cw, toS3)
	}
	// One subscription filter, to the destination of the member's region.
	subs := r.ByType(tSubscription)
	if len(subs) != 1 {
		t.Fatalf("%d subscription filters, want 1", len(subs))
	}
	want := central[orgref.OutLogDestinationArns].(map[string]any)["eu-west-1"]
	if subs[0].Input("destinationArn") != want {
		t.Errorf("subscription to %q, want %q", subs[0].Input("destinationArn"), want)
	}
	if subs[0].Input("roleArn") == "" {
		t.Error("the subscription names no role (an organization's destination needs one)")
	}
	// The alarm relay: the rule matches this stack's alarm state changes and
	// targets the central bus with a role that may put events there.
	rules, targets := r.ByType(tEventRule), r.ByType(tEventTarget)
	if len(rules) != 1 || len(targets) != 1 {
		t.Fatalf("%d event rules and %d targets, want 1 and 1", len(rules), len(targets))
	}
	var pattern map[string]any
	if err := json.Unmarshal([]byte(rules[0].Input("eventPattern")), &pattern); err != nil {
		t.Fatal(err)
	}
	alarms := r.ByType("aws:cloudwatch/metricAlarm:MetricAlarm")
	var alarmArns []string
	for _, a := range alarms {
		alarmArns = append(alarmArns, mockaws.Str(a.Outputs["arn"]))
	}
	slices.Sort(alarmArns)
	resources := strs(pattern["resources"])
	slices.Sort(resources)
	if !slices.Equal(strs(pattern["source"]), []string{"aws.cloudwatch"}) || !slices.Equal(strs(pattern["detail-type"]), []string{"CloudWatch Alarm State Change"}) ||
		!slices.Equal(resources, alarmArns) || len(alarmArns) == 0 {
		t.Errorf("event pattern = %v, want the state changes of the alarms %v", pattern, alarmArns)
	}
	bus := central[orgref.OutAlarmEventBusArn].(string)
	if targets[0].Input("arn") != bus || targets[0].Input("roleArn") == "" {
		t.Errorf("target = %v, want %s with a role", targets[0].Inputs, bus)
	}
	putEvents := false
	for _, rp := range r.ByType("aws:iam/rolePolicy:RolePolicy") {
		if strings.Contains(rp.Input("policy"), `"events:PutEvents"`) && strings.Contains(rp.Input("policy"), bus) {
			putEvents = true
		}
	}
	if !putEvents {
		t.Error("no role policy allows events:PutEvents on the central bus")
	}
	// The member declares nothing of the receiving side.
	for _, typ := range []string{"aws:s3/bucketV2:BucketV2", "aws:lambda/function:Function", "aws:opensearch/domain:Domain",
		"aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream", "aws:glue/catalogTable:CatalogTable", "aws:athena/workGroup:Workgroup"} {
		if n := len(r.ByType(typ)); n != 0 {
			t.Errorf("a member stack declares %d %s", n, typ)
		}
	}
	// The rules hold: 0 security and 0 deployability violations.
	c, err := stackconfig.Load(func(k string) (string, bool) { v, ok := memberStackConfig(t)[k]; return v, ok })
	if err != nil {
		t.Fatal(err)
	}
	if rep := policy.EvaluateStack(r.Mocks, c); rep.Failed() {
		t.Errorf("security rules: %v", rep.Violations)
	}
	if dep := policy.EvaluateDeployabilityStack(r.Mocks, c); dep.Failed() {
		t.Errorf("deployability rules: %v", dep.Violations)
	}
	for _, k := range []string{"centralStack", "memberVpcs", "flowLogGroupName", "alarmTopicArn", "centralLogDestinationArn", "alarmRelayRuleArn", "s3FlowLogIds"} {
		if _, ok := r.outputs[k]; !ok {
			t.Errorf("missing stack output %s", k)
		}
	}
}

// What a member declares follows the central stack's architectures, for
// every combination.
func TestMemberArchitectureCombinations(t *testing.T) {
	all := []stackconfig.Architecture{stackconfig.CloudWatchOpenSearch, stackconfig.S3Athena, stackconfig.FirehoseAthena}
	for mask := 1; mask < 1<<len(all); mask++ {
		var archs []any
		var names []string
		for i, a := range all {
			if mask&(1<<i) != 0 {
				archs = append(archs, string(a))
				names = append(names, string(a))
			}
		}
		t.Run(strings.Join(names, "+"), func(t *testing.T) {
			central := recordedCentral(t)
			central[orgref.OutArchitectures] = archs
			s3 := slices.Contains(names, string(stackconfig.S3Athena))
			cwl := slices.Contains(names, string(stackconfig.CloudWatchOpenSearch)) || slices.Contains(names, string(stackconfig.FirehoseAthena))
			if !s3 {
				delete(central, orgref.OutS3Destination)
			}
			if !cwl {
				delete(central, orgref.OutLogDestinationArns)
			}
			r, err := deployMember(t, memberStackConfig(t), central, "eu-west-1")
			if err != nil {
				t.Fatal(err)
			}
			perVpc := 1
			if s3 {
				perVpc = 2
			}
			monitored := strs(mockaws.Get(r.outputs["memberVpcs"], "monitored"))
			if perVpc == 1 && !slices.Contains(monitored, vpcLegacy) {
				t.Errorf("monitored = %v: with one flow log per VPC, legacy (1 flow log of another owner) has room", monitored)
			}
			counts := map[string]int{}
			for _, fl := range r.ByType(tFlowLog) {
				counts[fl.Input("vpcId")]++
			}
			for _, id := range monitored {
				if counts[id] != perVpc {
					t.Errorf("%s has %d flow logs, want %d", id, counts[id], perVpc)
				}
			}
			if n := len(r.ByType(tSubscription)); (n == 1) != cwl || n > 1 {
				t.Errorf("%d subscription filters with CloudWatch Logs architectures %v", n, cwl)
			}
			if n := len(r.ByType(tEventRule)); n != 1 {
				t.Errorf("%d alarm relay rules, want 1", n)
			}
			c, _ := stackconfig.Load(func(k string) (string, bool) { v, ok := memberStackConfig(t)[k]; return v, ok })
			if dep := policy.EvaluateDeployabilityStack(r.Mocks, c); dep.Failed() {
				t.Errorf("deployability rules: %v", dep.Violations)
			}
			if rep := policy.EvaluateStack(r.Mocks, c); rep.Failed() {
				t.Errorf("security rules: %v", rep.Violations)
			}
		})
	}
}

// The subscription targets the destination of the member's own region.
func TestMemberSubscribesInItsRegion(t *testing.T) {
	central := recordedCentral(t)
	r, err := deployMember(t, memberStackConfig(t), central, "us-east-1")
	if err != nil {
		t.Fatal(err)
	}
	want := central[orgref.OutLogDestinationArns].(map[string]any)["us-east-1"]
	if subs := r.ByType(tSubscription); len(subs) != 1 || subs[0].Input("destinationArn") != want {
		t.Errorf("subscriptions %v, want one to %s", subs, want)
	}
}

// A member whose region has no central destination, or whose central stack
// lacks an output, fails before it registers any AWS resource, naming the
// central stack and what to fix.
func TestMemberFailsEarly(t *testing.T) {
	for _, tc := range []struct {
		name   string
		region string
		change func(map[string]any)
		want   []string
	}{
		{"region without destination", "ap-south-1", func(map[string]any) {}, []string{centralStack, "no CloudWatch Logs destination in region ap-south-1", "vpc-flow-logs:memberRegions"}},
		{"missing output", "eu-west-1", func(c map[string]any) { delete(c, orgref.OutAlarmEventBusArn) }, []string{centralStack, "output orgAlarmEventBusArn is missing"}},
		{"mistyped output", "eu-west-1", func(c map[string]any) { c[orgref.OutArchitectures] = "s3-athena" }, []string{centralStack, "output orgArchitectures is the string"}},
		{"a rule on a field the central format lacks", "eu-west-1", func(c map[string]any) {
			c[orgref.OutFlowLogFormat] = "${version} ${account-id} ${interface-id} ${srcaddr} ${dstaddr} ${packets} ${bytes} ${start} ${end} ${action} ${log-status}"
		}, []string{"vpc-flow-logs:alarmRules", "orgFlowLogFormat", centralStack}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			central := recordedCentral(t)
			tc.change(central)
			r, err := deployMember(t, memberStackConfig(t), central, tc.region)
			if err == nil {
				t.Fatal("the member deployed")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			if res := awsResources(r); len(res) != 0 {
				t.Errorf("%d AWS resources registered before the error, e.g. %s", len(res), res[0].Name)
			}
		})
	}
}

// The member's flow logs, filters and rules use the central stack's format.
func TestMemberUsesTheCentralFormat(t *testing.T) {
	central := recordedCentral(t)
	format := "${version} ${account-id} ${interface-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${packets} ${bytes} ${start} ${end} ${action} ${log-status}"
	central[orgref.OutFlowLogFormat] = format
	r, err := deployMember(t, memberStackConfig(t), central, "eu-west-1")
	if err != nil {
		t.Fatal(err)
	}
	fields, _ := flowlog.ParseLogFormat(format)
	want, err := flowlog.FilterPattern(fields, []flowlog.Condition{{Field: "dstport", Op: flowlog.OpEq, Value: "22"}, {Field: "protocol", Op: flowlog.OpEq, Value: "6"}, {Field: "action", Op: flowlog.OpEq, Value: "REJECT"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, fl := range r.ByType(tFlowLog) {
		if fl.Input("logFormat") != format {
			t.Errorf("%s logFormat = %q", fl.Name, fl.Input("logFormat"))
		}
	}
	if mf := r.ByName("alarms-ssh-rejects"); mf == nil || mf.Input("pattern") != want {
		t.Errorf("metric filter pattern = %v, want %q", mf, want)
	}
}

// Selection by tags and ids, and a selection that matches nothing.
func TestMemberVpcSelection(t *testing.T) {
	central := recordedCentral(t)
	cfg := memberStackConfig(t)
	cfg[stackconfig.Key("vpcSelector")] = `{"includeTags": {"env": "prod"}, "excludeIds": ["` + vpcProdData + `"]}`
	r, err := deployMember(t, cfg, central, "eu-west-1")
	if err != nil {
		t.Fatal(err)
	}
	v := r.outputs["memberVpcs"]
	if got := strs(mockaws.Get(v, "found")); !slices.Equal(got, []string{vpcProdApp, vpcProdData, vpcLegacy}) {
		t.Errorf("found = %v, want the env=prod VPCs", got)
	}
	if got := strs(mockaws.Get(v, "monitored")); !slices.Equal(got, []string{vpcProdApp}) {
		t.Errorf("monitored = %v", got)
	}
	if s := mockaws.Get(v, "skipped.0.reason"); !strings.Contains(mockaws.Str(s), "excluded by id") {
		t.Errorf("skipped = %v", mockaws.Get(v, "skipped"))
	}

	cfg[stackconfig.Key("vpcSelector")] = `{"includeTags": {"env": "staging"}}`
	r, err = deployMember(t, cfg, central, "eu-west-1")
	if err != nil {
		t.Fatal(err)
	}
	if res := awsResources(r); len(res) != 0 {
		t.Errorf("a member with no VPC to monitor declares %d AWS resources", len(res))
	}
	if _, ok := r.outputs["memberVpcs"]; !ok {
		t.Error("no memberVpcs output")
	}
}

// A member with vpcIds monitors exactly those, without discovery.
func TestMemberWithVpcIds(t *testing.T) {
	cfg := memberStackConfig(t)
	cfg[stackconfig.Key("vpcSelector")] = "{}"
	cfg[stackconfig.Key("vpcIds")] = `["vpc-0123456789abcdef0"]`
	r, err := deployMember(t, cfg, recordedCentral(t), "eu-west-1")
	if err != nil {
		t.Fatal(err)
	}
	for _, fl := range r.ByType(tFlowLog) {
		if fl.Input("vpcId") != "vpc-0123456789abcdef0" {
			t.Errorf("%s logs %s", fl.Name, fl.Input("vpcId"))
		}
	}
	for _, c := range r.Calls {
		if c == "aws:ec2/getVpcs:getVpcs" || c == mockaws.FlowLogsToken {
			t.Errorf("vpcIds given, yet the stack invoked %s", c)
		}
	}
}

// Every output a member stack exports is in the stack outputs table.
func TestMemberOutputsAreDocumented(t *testing.T) {
	file, documented := outputsTable(t)
	r, err := deployMember(t, memberStackConfig(t), recordedCentral(t), "eu-west-1")
	if err != nil {
		t.Fatal(err)
	}
	for k := range r.outputs {
		if !slices.Contains(documented, k) {
			t.Errorf("member stack output %s is not in the stack outputs table of %s", k, file)
		}
	}
}

// The central stack's outputs, as its mocked run exports them, are what a
// member reads: the names agree and they parse (orgref), and a member
// deploys against them.
func TestCentralOutputsSatisfyTheMember(t *testing.T) {
	for central, member := range map[string]string{
		OutOrgArchitectures: orgref.OutArchitectures, OutOrgFlowLogFormat: orgref.OutFlowLogFormat,
		OutOrgS3Destination: orgref.OutS3Destination, OutOrgLogDestinationArns: orgref.OutLogDestinationArns,
		OutOrgAlarmEventBusArn: orgref.OutAlarmEventBusArn, OutOrgAlarmTopicArn: orgref.OutAlarmTopicArn,
	} {
		if central != member {
			t.Errorf("the central stack exports %s, the member reads %s", central, member)
		}
	}
	r := deployCentral(t, centralConfig(t))
	b, err := json.Marshal(r.outputs)
	if err != nil {
		t.Fatal(err)
	}
	var outs map[string]any
	if err := json.Unmarshal(b, &outs); err != nil {
		t.Fatal(err)
	}
	c, err := orgref.Parse(centralStack, func(name string) (any, bool) { v, ok := outs[name]; return v, ok })
	if err != nil {
		t.Fatalf("the central stack's outputs do not satisfy the member: %v", err)
	}
	for _, region := range []string{"eu-west-1", "us-east-1"} {
		if _, err := c.LogDestination(region); err != nil {
			t.Error(err)
		}
	}
	m, err := deployMember(t, memberStackConfig(t), outs, "eu-west-1")
	if err != nil {
		t.Fatalf("a member against the central stack's outputs: %v", err)
	}
	if subs := m.ByType(tSubscription); len(subs) != 1 || subs[0].Input("destinationArn") != c.LogDestinationArns["eu-west-1"] {
		t.Errorf("subscriptions %v, want one to %s", subs, c.LogDestinationArns["eu-west-1"])
	}
}

// TestRecordedCentralNamesWhatCentralDeclares: the recorded central outputs
// that member plans read name the destinations and the alarm bus as the
// central stack (Pulumi.central.yaml) names them, in the member regions it
// serves; a recording that drifted from the code would plan members against
// a central stack that does not exist.
func TestRecordedCentralNamesWhatCentralDeclares(t *testing.T) {
	c := recordedCentral(t)
	_, stack, _ := strings.Cut(strings.TrimPrefix(centralStack, "acme/"), "/")
	dests, _ := c[OutOrgLogDestinationArns].(map[string]any)
	cfg := centralConfig(t)
	var regions []string
	if err := json.Unmarshal([]byte(cfg[stackconfig.Key("memberRegions")]), &regions); err != nil {
		t.Fatal(err)
	}
	if len(dests) != len(regions) {
		t.Errorf("recorded destinations %v, central serves %v", dests, regions)
	}
	for _, region := range regions {
		arn, _ := dests[region].(string)
		if want := ":destination:" + DestinationName(stack); !strings.HasPrefix(arn, "arn:aws:logs:"+region+":") || !strings.HasSuffix(arn, want) {
			t.Errorf("recorded destination of %s = %q, want a destination in %s ending %q", region, arn, region, want)
		}
	}
	if bus, _ := c[OutOrgAlarmEventBusArn].(string); !strings.HasSuffix(bus, ":event-bus/"+AlarmBusName(stack)) {
		t.Errorf("recorded alarm bus %q, want the bus %s", bus, AlarmBusName(stack))
	}
}
