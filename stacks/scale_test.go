package stacks

import (
	"fmt"
	"maps"
	"strings"
	"testing"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/mockaws"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/stackconfig"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/stackfile"
)

// The scale evidence of issue 16 (docs/scale.md): an organization is a
// central stack and n member stacks, each planned under mocks exactly as
// `make plan` plans one stack. BenchmarkOrgScale measures time and memory
// per member at 10, 100 and 300 members; the tests below check, without
// timing anything, that a member's plan does not depend on how many others
// there are.

// scaleStack is how one stack of the organization is configured: a stack
// file, short-key overrides, and the overrides that make member i a
// different account's stack.
type scaleStack struct {
	file      string
	kv        []string
	perMember func(i int) []string
}

// scaleSetup is the organization the scale evidence plans.
type scaleSetup struct{ central, member scaleStack }

// memberVPC gives member i a VPC of its own.
func memberVPC(i int) []string {
	return []string{"vpcIds", fmt.Sprintf(`["vpc-%017x"]`, 0xa000000+i)}
}

// memberStandIn stands in for a member until the member role deploys: a
// standalone stack shaped like one (one VPC of its own, s3-athena and a
// CloudWatch Logs architecture), which registers more than a member will
// (its own bucket, table and Firehose stream).
var memberStandIn = scaleStack{file: "dev", kv: []string{"architectures", `["s3-athena","firehose-athena"]`, "firehoseFeedMode", "lambda"}, perMember: memberVPC}

// scale is the organization the benchmark and the tests plan: the central
// stack of Pulumi.central.yaml and n members. With the member role
// deployable, the switch is the member line:
//
//	member: scaleStack{file: "member-eu-west-1"},
var scale = scaleSetup{
	central: scaleStack{file: "central"},
	member:  memberStandIn,
}

// config is the config the engine would give stack i of s (i < 0: no per-member overrides).
func (s scaleStack) config(tb testing.TB, i int) map[string]string {
	tb.Helper()
	_, cfg, err := stackfile.LoadConfig(moduleRoot(tb), s.file)
	if err != nil {
		tb.Fatal(err)
	}
	kv := s.kv
	if s.perMember != nil && i >= 0 {
		kv = append(append([]string{}, kv...), s.perMember(i)...)
	}
	for j := 0; j+1 < len(kv); j += 2 {
		cfg[stackconfig.Key(kv[j])] = kv[j+1]
	}
	return cfg
}

// plan plans one stack under mocks, as `make plan` does.
func (s scaleStack) plan(tb testing.TB, cfg map[string]string, name string) *mockaws.Mocks {
	tb.Helper()
	m, err := mockaws.Run(Program, project, name, cfg)
	if err != nil {
		tb.Fatalf("plan of %s: %v", name, err)
	}
	return m
}

// planOrg plans the central stack and members 0..n-1 and returns the
// number of resources each registers (central first).
func planOrg(tb testing.TB, s scaleSetup, n int) []int {
	tb.Helper()
	counts := []int{len(s.central.plan(tb, s.central.config(tb, -1), "central").Resources)}
	for i := 0; i < n; i++ {
		counts = append(counts, len(s.member.plan(tb, s.member.config(tb, i), fmt.Sprintf("member-%d", i)).Resources))
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
	t.Logf("central %d resources, each member %d", large[0], member)
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
	base := scale.central.config(t, -1)
	if base[stackconfig.Key("organizationId")] == "" {
		t.Fatalf("the central stack file %s sets no organizationId", scale.central.file)
	}
	org := len(scale.central.plan(t, base, "central").Resources)
	for _, n := range []int{1, 10, 100, 300} {
		cfg := maps.Clone(base)
		delete(cfg, stackconfig.Key("organizationId"))
		cfg[stackconfig.Key("memberAccountIds")] = accountsJSON(n)
		if got := len(scale.central.plan(t, cfg, "central").Resources); got != org {
			t.Errorf("with %d member accounts listed the central stack registers %d resources; with organizationId %d", n, got, org)
		}
	}
	t.Logf("the central stack registers %d resources at any number of members", org)
}
