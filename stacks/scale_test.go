package stacks

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/mockaws"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/orgref"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/stackconfig"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/stackfile"
)

// The scale evidence of issue 16 (docs/scale.md): an organization is a
// central stack and n member stacks, each planned under mocks exactly as
// `make plan` plans one stack. BenchmarkOrgScale measures time and memory
// per member at 10, 100 and 300 members; the tests below check, without
// timing anything, that a member's plan does not depend on how many others
// there are.

// scaleSetup is the organization the scale evidence plans: the central
// stack of a stack file, and members planned from one member stack file,
// each the stack of its own account and region.
type scaleSetup struct {
	central, member string
	// centralOutputs is the recorded central outputs file the members read
	// their stack reference from, as `make plan` does.
	centralOutputs string
}

// scale is the organization the benchmark and the tests plan: the central
// stack of Pulumi.central.yaml and n copies of the shipped member stack
// Pulumi.member-eu-west-1.yaml, each in an account and region of its own.
var scale = scaleSetup{central: "central", member: memberStack, centralOutputs: mockaws.DefaultCentralOutputs}

// plan plans one stack under mocks, as `make plan` does (the mocks answer
// in the stack's aws:region).
func (s scaleSetup) plan(tb testing.TB, cfg map[string]string, name string, opts ...mockaws.Option) *mockaws.Mocks {
	tb.Helper()
	m, err := mockaws.Run(Program, project, name, cfg, append([]mockaws.Option{mockaws.WithRegion(cfg["aws:region"])}, opts...)...)
	if err != nil {
		tb.Fatalf("plan of %s: %v", name, err)
	}
	return m
}

// centralConfig is the central stack's config as its stack file sets it.
func (s scaleSetup) centralConfig(tb testing.TB) map[string]string {
	tb.Helper()
	_, cfg, err := stackfile.LoadConfig(moduleRoot(tb), s.central)
	if err != nil {
		tb.Fatal(err)
	}
	return cfg
}

// planCentral plans the central stack.
func (s scaleSetup) planCentral(tb testing.TB) *mockaws.Mocks {
	tb.Helper()
	return s.plan(tb, s.centralConfig(tb), s.central)
}

// orgMember is member i of the organization: its stack, account and region.
type orgMember struct{ stack, account, region string }

// memberAt is member i: the account 100000000000 + 7919 i (as accountsJSON
// names them), the member regions of the recorded central outputs in turn,
// and a stack named after both.
func (s scaleSetup) memberAt(tb testing.TB, i int) orgMember {
	tb.Helper()
	regions := s.memberRegions(tb)
	m := orgMember{account: fmt.Sprintf("%012d", 100000000000+i*7919), region: regions[i%len(regions)]}
	m.stack = fmt.Sprintf("member-%s-%s", m.account, m.region)
	return m
}

// memberRegions are the regions the recorded central stack has a
// CloudWatch Logs destination in.
func (s scaleSetup) memberRegions(tb testing.TB) []string {
	tb.Helper()
	outs, err := mockaws.LoadStackOutputs(filepath.Join(moduleRoot(tb), s.centralOutputs))
	if err != nil {
		tb.Fatal(err)
	}
	var regions []string
	for _, c := range outs {
		for r := range c[orgref.OutLogDestinationArns].(map[string]any) {
			regions = append(regions, r)
		}
	}
	slices.Sort(regions)
	if len(regions) == 0 {
		tb.Fatalf("%s: no member regions", s.centralOutputs)
	}
	return regions
}

// memberVpcs is the mocked account's VPCs (mockaws.DefaultVpcs) as member
// mb's own: VPC and flow-log ids of its own, and the flow log that the
// fixture's member stack already owns tagged with mb's stack.
func memberVpcs(i int, mb orgMember) []mockaws.Vpc {
	own := func(id string) string { // vpc-<17 hex>, fl-<17 hex>
		p := strings.Index(id, "-") + 1
		return id[:p] + fmt.Sprintf("%06x", i) + id[p+6:]
	}
	vpcs := mockaws.DefaultVpcs()
	for v := range vpcs {
		vpcs[v].ID = own(vpcs[v].ID)
		for f := range vpcs[v].FlowLogs {
			fl := &vpcs[v].FlowLogs[f]
			fl.ID = own(fl.ID)
			if fl.Tags["stack"] != "" {
				fl.Tags = maps.Clone(fl.Tags)
				fl.Tags["stack"] = mb.stack
			}
		}
	}
	return vpcs
}

// planMember plans member i from the member stack file, in its account and
// region, against the recorded central outputs (mockaws.MemberOptions, as
// `make plan` does).
func (s scaleSetup) planMember(tb testing.TB, i int) (orgMember, *mockaws.Mocks) {
	tb.Helper()
	mb := s.memberAt(tb, i)
	root := moduleRoot(tb)
	_, cfg, err := stackfile.LoadConfig(root, s.member)
	if err != nil {
		tb.Fatal(err)
	}
	cfg["aws:region"] = mb.region
	opts, err := mockaws.MemberOptions(root, cfg, s.centralOutputs)
	if err != nil {
		tb.Fatal(err)
	}
	return mb, s.plan(tb, cfg, mb.stack, append(opts, mockaws.WithAccount(mb.account), mockaws.WithVpcs(memberVpcs(i, mb)))...)
}

// planOrg plans the central stack and members 0..n-1 and returns the
// number of resources each registers (central first).
func planOrg(tb testing.TB, s scaleSetup, n int) []int {
	tb.Helper()
	counts := []int{len(s.planCentral(tb).Resources)}
	for i := 0; i < n; i++ {
		_, m := s.planMember(tb, i)
		counts = append(counts, len(m.Resources))
	}
	return counts
}

// TestOrgPlanGrowsByOneMemberAtATime: every member registers the same number
// of resources whatever its index and however many members the
// organization has, and the central stack the same number at every size,
// so the organization's plan is central + n x member: linear in n.
func TestOrgPlanGrowsByOneMemberAtATime(t *testing.T) {
	small, large := planOrg(t, scale, 2), planOrg(t, scale, 5)
	if small[0] != large[0] {
		t.Errorf("the central stack registers %d resources with 2 members and %d with 5", small[0], large[0])
	}
	member := small[1]
	for i, c := range large[1:] {
		if c != member {
			t.Errorf("member %d registers %d resources, member 0 %d", i, c, member)
		}
	}
	if member == 0 || large[0] == 0 {
		t.Fatalf("nothing planned: %v", large)
	}
	// docs/scale.md quotes both counts.
	doc, err := os.ReadFile(filepath.Join(moduleRoot(t), "docs", "scale.md"))
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("`Pulumi.central.yaml` (%d resources) and real member stacks (%d resources each)", large[0], member)
	if !strings.Contains(strings.Join(strings.Fields(string(doc)), " "), want) {
		t.Errorf("docs/scale.md does not say %q", want)
	}
}

// TestScaleMembersAreDistinctStacks: the members the scale evidence plans
// are the shipped member stack, each in its own account and region: its
// flow logs, alarms and subscription are those of the real member stack
// (not a standalone stand-in), its invented ARNs hold its own account and
// region, it subscribes to the central destination of its region, and it
// monitors VPCs of its own.
func TestScaleMembersAreDistinctStacks(t *testing.T) {
	seen := map[string]bool{}
	regions := map[string]bool{}
	for i := 0; i < 4; i++ {
		mb, m := scale.planMember(t, i)
		key := mb.account + "/" + mb.region
		if seen[key] || seen[mb.stack] {
			t.Errorf("member %d (%s, %s) repeats another member", i, mb.stack, key)
		}
		seen[key], seen[mb.stack], regions[mb.region] = true, true, true
		if n := len(m.ByType("pulumi:pulumi:StackReference")); n != 1 {
			t.Errorf("member %d reads %d stack references; a member stack reads the central one", i, n)
		}
		if n := len(m.ByType("aws:ec2/vpc:Vpc")) + len(m.ByType("aws:s3/bucketV2:BucketV2")) + len(m.ByType("aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream")); n != 0 {
			t.Errorf("member %d declares %d VPCs, buckets or streams: a standalone stack, not a member", i, n)
		}
		subs := m.ByType(tSubscription)
		if len(subs) != 1 || !strings.Contains(mockaws.Str(subs[0].Inputs["destinationArn"]), ":logs:"+mb.region+":") {
			t.Errorf("member %d in %s: want one subscription to the central destination of %s, got %d", i, mb.region, mb.region, len(subs))
		}
		flowLogs := m.ByType(tFlowLog)
		if len(flowLogs) == 0 {
			t.Fatalf("member %d declares no flow log", i)
		}
		for _, fl := range flowLogs {
			if vpc := mockaws.Str(fl.Inputs["vpcId"]); !strings.HasPrefix(vpc, fmt.Sprintf("vpc-%06x", i)) {
				t.Errorf("member %d logs VPC %s, not one of its own", i, vpc)
			}
		}
		for _, a := range m.ByType("aws:cloudwatch/metricAlarm:MetricAlarm") {
			if arn, want := mockaws.Str(a.Outputs["arn"]), ":"+mb.region+":"+mb.account+":"; !strings.Contains(arn, want) {
				t.Errorf("member %d: alarm ARN %s lacks %s", i, arn, want)
			}
		}
	}
	if len(regions) < 2 {
		t.Errorf("the members cover %d region(s); the central stack has destinations in %v", len(regions), scale.memberRegions(t))
	}
}

// accountsJSON is a memberAccountIds value naming n accounts.
func accountsJSON(n int) string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf(`"%012d"`, 100000000000+i*7919)
	}
	return "[" + strings.Join(ids, ",") + "]"
}

// TestCentralResourceCountIgnoresMembers: the central stack of
// Pulumi.central.yaml (organizationId) registers the same resources as the
// same stack with an explicit memberAccountIds list of 1, 10, 100 or 300
// accounts: members add policy statements (deploy-resource-policy-size
// measures them), never resources, so the central stack does not grow with
// the organization.
func TestCentralResourceCountIgnoresMembers(t *testing.T) {
	base := scale.centralConfig(t)
	if base[stackconfig.Key("organizationId")] == "" {
		t.Fatalf("the central stack file %s sets no organizationId", scale.central)
	}
	org := len(scale.plan(t, base, "central").Resources)
	for _, n := range []int{1, 10, 100, 300} {
		cfg := maps.Clone(base)
		delete(cfg, stackconfig.Key("organizationId"))
		cfg[stackconfig.Key("memberAccountIds")] = accountsJSON(n)
		if got := len(scale.plan(t, cfg, "central").Resources); got != org {
			t.Errorf("with %d member accounts listed the central stack registers %d resources; with organizationId %d", n, got, org)
		}
	}
	t.Logf("the central stack registers %d resources at any number of members", org)
}
