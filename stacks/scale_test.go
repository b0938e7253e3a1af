package stacks

import (
	"fmt"
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

// standaloneScale stands in for the organization until the central and
// member roles deploy: the central stack is the dev stack with every
// architecture (the receiving side), a member a standalone stack shaped like
// one (one VPC of its own, s3-athena and a CloudWatch Logs architecture).
var standaloneScale = scaleSetup{
	central: scaleStack{file: "dev", kv: []string{"architectures", `["cloudwatch-opensearch","s3-athena","firehose-athena"]`}},
	member:  scaleStack{file: "dev", kv: []string{"architectures", `["s3-athena","firehose-athena"]`, "firehoseFeedMode", "lambda"}, perMember: memberVPC},
}

// scale is the organization the benchmark and the tests plan. With the
// central and member roles deployable, the switch is this one line:
//
//	var scale = scaleSetup{central: scaleStack{file: "central"}, member: scaleStack{file: "member-eu-west-1"}}
var scale = standaloneScale

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
