package stacks

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/internals"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/awslimits"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/mockaws"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/stackconfig"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/stackfile"
)

const project = "vpc-flow-logs"

// moduleRoot is where Pulumi.yaml lives.
func moduleRoot(t testing.TB) string {
	t.Helper()
	dir, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "Pulumi.yaml")); err != nil {
		t.Fatalf("Pulumi.yaml not found above the stacks package: %v", err)
	}
	return dir
}

// devConfig is the config the engine would give the dev stack.
func devConfig(t testing.TB) map[string]string {
	t.Helper()
	_, cfg, err := stackfile.LoadConfig(moduleRoot(t), "dev")
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// result is a mocked run plus its resolved stack outputs.
type result struct {
	*mockaws.Mocks
	outputs map[string]any
}

// deploy runs Deploy under mocks and resolves every output it returns. The
// outputs are awaited after the run through the SDK (internals.UnsafeAwaitOutput),
// not read from variables ApplyT callbacks set: the run does not wait for a
// callback on an output that depends on no resource, so such a read races.
func deploy(t testing.TB, cfg map[string]string) (*result, error) {
	t.Helper()
	return deployStack(t, "dev", cfg, false)
}

// deployStack is deploy for any stack name and mock options; plain turns
// each output into its JSON form (maps, slices, strings, float64, bool), as
// a stack reference would read it.
func deployStack(t testing.TB, stack string, cfg map[string]string, plain bool, opts ...mockaws.Option) (*result, error) {
	t.Helper()
	res := &result{outputs: map[string]any{}}
	var outs map[string]pulumi.Output
	m, err := mockaws.Run(func(ctx *pulumi.Context) error {
		deployed, err := Deploy(ctx)
		if err != nil {
			return err
		}
		outs = map[string]pulumi.Output{}
		for k, v := range deployed {
			outs[k] = pulumi.ToOutput(v)
		}
		return nil
	}, project, stack, cfg, opts...)
	res.Mocks = m
	for k, o := range outs {
		r, awaitErr := internals.UnsafeAwaitOutput(context.Background(), o)
		if awaitErr != nil {
			t.Fatalf("output %s: %v", k, awaitErr)
		}
		if !r.Known { // an unknown output is left out, as an ApplyT callback would never see it
			continue
		}
		v := r.Value
		if plain {
			b, _ := json.Marshal(v)
			v = nil
			_ = json.Unmarshal(b, &v)
		}
		res.outputs[k] = v
	}
	return res, err
}

// testSubnets are the private subnets the OpenSearch architecture needs when
// the stack monitors existing VPCs.
const testSubnets = `["subnet-0123456789abcdef0","subnet-0fedcba9876543210"]`

func with(cfg map[string]string, kv ...string) map[string]string {
	out := map[string]string{}
	for k, v := range cfg {
		out[k] = v
	}
	for i := 0; i < len(kv); i += 2 {
		out[stackconfig.Key(kv[i])] = kv[i+1]
		if kv[i] == "vpcIds" {
			out[stackconfig.Key("opensearchSubnetIds")] = testSubnets
		}
	}
	return out
}

func TestDevStack(t *testing.T) {
	r, err := deploy(t, devConfig(t))
	if err != nil {
		t.Fatal(err)
	}
	// Every output resolves to a non-empty value.
	for k, v := range r.outputs {
		if s := fmt.Sprint(v); s == "" || s == "map[]" || s == "[]" {
			t.Errorf("output %s is empty", k)
		}
	}
	want := []string{"alarmTopicArn", "flowLogGroupName", "demoVpcId", "s3AthenaBucket", "s3AthenaWorkgroup",
		"s3AthenaDatabase", "s3AthenaTable", "s3AthenaNamedQueryIds", "alarmPatterns",
		"firehoseBucket", "firehoseStreamName", "firehoseWorkgroup", "firehoseDatabase", "firehoseTable",
		"firehoseNamedQueryIds", "firehoseForwarderName", "firehoseDeadLetterQueueUrl", "firehoseForwarderDeadLettersUrl"}
	for _, k := range want {
		if _, ok := r.outputs[k]; !ok {
			t.Errorf("missing stack output %s", k)
		}
	}
	// The demo VPC exists because the dev stack lists no VPCs.
	if len(r.ByType("aws:ec2/vpc:Vpc")) != 1 || len(r.ByType("aws:ec2/subnet:Subnet")) != 2 {
		t.Error("dev stack should create the demo VPC with two subnets")
	}
	if len(r.ByType("aws:ec2/natGateway:NatGateway"))+len(r.ByType("aws:ec2/internetGateway:InternetGateway")) != 0 {
		t.Error("the demo VPC has no NAT or internet gateway")
	}
	subnets := r.ByType("aws:ec2/subnet:Subnet")
	if subnets[0].Input("availabilityZone") == subnets[1].Input("availabilityZone") {
		t.Error("demo subnets must be in two AZs")
	}
	// Every taggable resource carries the configured tags.
	assertTagged(t, r, "")
}

// flowLogsPerVPC counts flow logs by the VPC they log, and subscription
// filters by log group, over a recorded run.
func limitsOf(r *result) (perVPC map[string]int, perGroup map[string]int) {
	perVPC, perGroup = map[string]int{}, map[string]int{}
	for _, fl := range r.ByType("aws:ec2/flowLog:FlowLog") {
		perVPC[fl.Input("vpcId")]++
	}
	for _, sf := range r.ByType("aws:cloudwatch/logSubscriptionFilter:LogSubscriptionFilter") {
		perGroup[sf.Input("logGroup")]++
	}
	return perVPC, perGroup
}

func TestFlowLogLimitsWithEveryArchitecture(t *testing.T) {
	cfg := with(devConfig(t), "architectures", `["cloudwatch-opensearch","s3-athena","firehose-athena"]`,
		"vpcIds", `["vpc-0123456789abcdef0","vpc-11111111"]`)
	c, err := stackconfig.Load(func(k string) (string, bool) { v, ok := cfg[k]; return v, ok })
	if err != nil {
		t.Fatal(err)
	}
	b := stackconfig.PlanBudget(c)
	if err := b.Check(); err != nil {
		t.Fatal(err)
	}
	if b.FlowLogsPerVPC != 2 || b.SubscriptionFilters != 2 {
		t.Errorf("budget = %+v", b)
	}
	r, err := deploy(t, cfg)
	if err != nil {
		t.Fatal(err)
	}
	perVPC, perGroup := limitsOf(r)
	if len(perVPC) != 2 {
		t.Fatalf("flow logs cover %d VPCs, want 2: %v", len(perVPC), perVPC)
	}
	for vpc, n := range perVPC {
		if n > awslimits.MaxFlowLogsPerResource {
			t.Errorf("VPC %s gets %d flow logs; AWS allows %d", vpc, n, awslimits.MaxFlowLogsPerResource)
		}
	}
	for g, n := range perGroup {
		if n > awslimits.MaxSubscriptionFiltersPerLogGroup {
			t.Errorf("log group %s gets %d subscription filters; AWS allows %d", g, n, awslimits.MaxSubscriptionFiltersPerLogGroup)
		}
	}
}

func TestExistingVPCsOneFlowLogPerDestination(t *testing.T) {
	cfg := with(devConfig(t), "vpcIds", `["vpc-0123456789abcdef0","vpc-11111111","vpc-22222222"]`)
	r, err := deploy(t, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(r.ByType("aws:ec2/vpc:Vpc")); n != 0 {
		t.Errorf("existing VPCs given, yet %d VPCs created", n)
	}
	perVPC, _ := limitsOf(r)
	for _, id := range []string{"vpc-0123456789abcdef0", "vpc-11111111", "vpc-22222222"} {
		if perVPC[id] != 2 { // one to CloudWatch Logs (shared), one to S3
			t.Errorf("%s has %d flow logs, want 2", id, perVPC[id])
		}
	}
}

func TestInvalidConfigRegistersNothing(t *testing.T) {
	cases := map[string][]string{
		"architecture": {"architectures", `["s3-athena","kinesis"]`},
		"vpc id":       {"vpcIds", `["vpc-xyz"]`},
		"interval":     {"aggregationInterval", "120"},
		"rule port":    {"alarmRules", `[{"name":"x","match":{"dstPort":70000},"threshold":1}]`},
	}
	for name, kv := range cases {
		t.Run(name, func(t *testing.T) {
			r, err := deploy(t, with(devConfig(t), kv...))
			if err == nil {
				t.Fatal("want a validation error")
			}
			if !strings.Contains(err.Error(), stackconfig.Key(strings.Split(kv[0], "[")[0])) {
				t.Errorf("error does not name the key: %v", err)
			}
			if len(r.Resources) != 0 {
				t.Errorf("%d resources registered before validation failed", len(r.Resources))
			}
		})
	}
}

func TestComponentsTakeProvidersFromOptions(t *testing.T) {
	// No component creates its own AWS provider: the only providers are the
	// default one (none registered explicitly here).
	r, err := deploy(t, devConfig(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, res := range r.Resources {
		if strings.HasPrefix(res.Type, "pulumi:providers:") {
			t.Errorf("%s registers a provider (%s); components must take providers from options", res.Name, res.Type)
		}
	}
}

func TestPlanIsDeterministic(t *testing.T) {
	a, err := deploy(t, devConfig(t))
	if err != nil {
		t.Fatal(err)
	}
	b, err := deploy(t, devConfig(t))
	if err != nil {
		t.Fatal(err)
	}
	snapshot := func(r *result) string {
		var lines []string
		for _, res := range r.Resources {
			in, _ := json.Marshal(res.Inputs)
			lines = append(lines, res.Type+" "+res.Name+" "+string(in))
		}
		sort.Strings(lines)
		return strings.Join(lines, "\n")
	}
	if snapshot(a) != snapshot(b) {
		t.Error("two runs of the same config register different inputs; a second `pulumi up` would show a diff")
	}
}

// BenchmarkDevStackVPCs runs the dev stack with 1, 10 and 100 monitored VPCs.
// Resources (and so time and allocations) grow linearly with the VPC count:
// one flow log per VPC per destination.
func BenchmarkDevStackVPCs(b *testing.B) {
	base := devConfig(b)
	for _, n := range []int{1, 10, 100} {
		ids := make([]string, n)
		for i := range ids {
			ids[i] = fmt.Sprintf("vpc-%08x", i+1)
		}
		js, _ := json.Marshal(ids)
		cfg := with(base, "vpcIds", string(js))
		b.Run(fmt.Sprintf("vpcs=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			var resources int
			for b.Loop() {
				r, err := deploy(b, cfg)
				if err != nil {
					b.Fatal(err)
				}
				resources = len(r.Resources)
			}
			b.ReportMetric(float64(resources), "resources")
		})
	}
}

func TestResourcesGrowLinearlyWithVPCs(t *testing.T) {
	count := func(n int) int {
		ids := make([]string, n)
		for i := range ids {
			ids[i] = fmt.Sprintf("vpc-%08x", i+1)
		}
		js, _ := json.Marshal(ids)
		r, err := deploy(t, with(devConfig(t), "vpcIds", string(js)))
		if err != nil {
			t.Fatal(err)
		}
		return len(r.Resources)
	}
	c1, c2, c5 := count(1), count(2), count(5)
	perVPC := c2 - c1
	if perVPC <= 0 || c5-c1 != 4*perVPC {
		t.Errorf("resources for 1, 2, 5 VPCs = %d, %d, %d: not linear", c1, c2, c5)
	}
}

func TestFirehoseFeedModes(t *testing.T) {
	for _, tc := range []struct {
		mode                  string
		archs                 string
		functions, subs, logs int // per stack: Lambda functions, subscription filters, flow logs (1 VPC)
	}{
		{"lambda", `["s3-athena","firehose-athena"]`, 1, 1, 2},
		{"subscription", `["s3-athena","firehose-athena"]`, 0, 1, 2},
		{"direct", `["firehose-athena"]`, 0, 0, 1},
	} {
		t.Run(tc.mode, func(t *testing.T) {
			r, err := deploy(t, with(devConfig(t), "firehoseFeedMode", tc.mode, "architectures", tc.archs))
			if err != nil {
				t.Fatal(err)
			}
			if n := len(r.ByType("aws:lambda/function:Function")); n != tc.functions {
				t.Errorf("%d Lambda functions, want %d", n, tc.functions)
			}
			if n := len(r.ByType("aws:cloudwatch/logSubscriptionFilter:LogSubscriptionFilter")); n != tc.subs {
				t.Errorf("%d subscription filters, want %d", n, tc.subs)
			}
			perVPC, perGroup := limitsOf(r)
			for vpc, n := range perVPC {
				if n != tc.logs {
					t.Errorf("VPC %s has %d flow logs, want %d", vpc, n, tc.logs)
				}
			}
			for g, n := range perGroup {
				if n > awslimits.MaxSubscriptionFiltersPerLogGroup {
					t.Errorf("log group %s has %d subscription filters", g, n)
				}
			}
			if tc.mode == "direct" && len(r.ByType("aws:cloudwatch/logGroup:LogGroup")) != 1 {
				t.Error("direct feed alone needs no CloudWatch Logs flow log, only Firehose's delivery-error log group")
			}
		})
	}
}

func TestDirectFeedWithS3AthenaExceedsFlowLogLimit(t *testing.T) {
	r, err := deploy(t, with(devConfig(t), "firehoseFeedMode", "direct"))
	if err == nil {
		t.Fatal("direct feed + s3-athena + CloudWatch needs 3 flow logs per VPC; want an error")
	}
	for _, want := range []string{"vpc-flow-logs:firehoseFeedMode", "3 flow logs per VPC", "AWS allows 2"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	if len(r.Resources) != 0 {
		t.Errorf("%d resources registered", len(r.Resources))
	}
}

// Every architecture the config accepts has a composition, so Deploy needs no
// fallback for an architecture without one.
func TestEveryArchitectureHasAComposition(t *testing.T) {
	if got := Implemented(); len(got) != len(stackconfig.AllArchitectures) {
		t.Errorf("compositions for %v, config accepts %v", got, stackconfig.AllArchitectures)
	}
}
