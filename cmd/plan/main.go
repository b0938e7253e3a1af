// Command plan runs the Pulumi program for a stack offline, under Pulumi's
// mocks, and prints what it would register: one line per resource (type
// token, name, parent) and a count per type, then the results of the
// security rules (internal/policy): the summary, every violation and every
// waiver with its reason, and any config warnings (keys set that nothing the
// stack deploys reads); then the deployability rules (what AWS would
// refuse): their summary and every violation. Then a short summary per
// architecture (what data
// goes where, retention, alarm e-mails, saved queries, dashboards; from the
// graph internal/diagram draws) and a monthly cost range at -gb-per-day GB
// of flow logs per day (internal/costs, prices in internal/costs/prices.json).
// It needs no cloud account and no Pulumi CLI. Invalid config prints the
// validation error and exits 1; a rule violation (security or
// deployability) prints the plan and exits 1.
//
//	go run ./cmd/plan -stack dev -gb-per-day 5
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/internals"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/costs"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/diagram"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/mockaws"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/policy"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/stackconfig"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/stackfile"
	"github.com/vpcflowlogs/vpc-flow-logs/stacks"
)

func main() {
	stack := flag.String("stack", "dev", "stack whose Pulumi.<stack>.yaml to plan")
	dir := flag.String("dir", ".", "project directory (holds Pulumi.yaml)")
	gbPerDay := flag.Float64("gb-per-day", DefaultGBPerDay, "GB of flow-log records per day, all VPCs together, for the cost estimate")
	central := flag.String("central-outputs", DefaultCentralOutputs, "member stacks: the recorded outputs of the central stacks a stack reference names (relative to -dir)")
	flag.Parse()
	if err := runOpts(os.Stdout, *dir, *stack, *gbPerDay, *central); err != nil {
		fmt.Fprintln(os.Stderr, "plan failed:", err)
		os.Exit(1)
	}
}

// DefaultGBPerDay is the flow-log volume the cost estimate assumes without -gb-per-day.
const DefaultGBPerDay = 1.0

func run(w io.Writer, dir, stack string) error { return runWith(w, dir, stack, DefaultGBPerDay) }

// DefaultCentralOutputs is the recorded central-stack outputs file a member
// stack's plan reads its stack reference from.
const DefaultCentralOutputs = mockaws.DefaultCentralOutputs

func runWith(w io.Writer, dir, stack string, gbPerDay float64) error {
	return runOpts(w, dir, stack, gbPerDay, DefaultCentralOutputs)
}

func runOpts(w io.Writer, dir, stack string, gbPerDay float64, centralOutputs string) error {
	prices, err := costs.LoadPrices()
	if err != nil {
		return err
	}
	if !(gbPerDay >= 0) {
		return fmt.Errorf("-gb-per-day must be >= 0, got %v", gbPerDay)
	}
	proj, cfg, err := stackfile.LoadConfig(dir, stack)
	if err != nil {
		return err
	}
	opts, err := mockOptions(dir, cfg, centralOutputs)
	if err != nil {
		return err
	}
	// The program, keeping the memberVpcs output to print (stacks.Program
	// exports the same outputs).
	var memberVpcs pulumi.Output
	program := func(ctx *pulumi.Context) error {
		outs, err := stacks.Deploy(ctx)
		if err != nil {
			return err
		}
		for k, v := range outs {
			ctx.Export(k, v)
		}
		if v, ok := outs["memberVpcs"]; ok {
			memberVpcs = pulumi.ToOutput(v)
		}
		return nil
	}
	m, err := mockaws.Run(program, proj.Name, stack, cfg, opts...)
	if err != nil {
		return err
	}
	// The program validated the same config; load it again for the waivers
	// and what the rules expect (monitored VPCs, the log-group key).
	c, err := stackconfig.Load(func(k string) (string, bool) { v, ok := cfg[k]; return v, ok })
	if err != nil {
		return err
	}
	Print(w, m, proj.Name, stack)
	PrintWarnings(w, c.Warnings)
	if memberVpcs != nil {
		// Awaited after the run through the SDK, as the tests do: the run
		// does not wait for callbacks on outputs that depend on no resource.
		r, err := internals.UnsafeAwaitOutput(context.Background(), memberVpcs)
		if err != nil {
			return err
		}
		// As plain JSON values (the output holds typed Go slices and maps).
		var plain any
		b, err := json.Marshal(r.Value)
		if err == nil {
			err = json.Unmarshal(b, &plain)
		}
		if err != nil {
			return fmt.Errorf("memberVpcs: %w", err)
		}
		PrintVpcSelection(w, plain)
	}
	rep := policy.EvaluateStack(m, c)
	PrintRules(w, rep)
	dep := policy.EvaluateDeployabilityStack(m, c, deployOptions(cfg)...)
	PrintDeployability(w, dep)
	g := diagram.Build(m)
	PrintSummary(w, g, c)
	est, err := costs.New(g, prices, gbPerDay)
	if err != nil {
		return err
	}
	fmt.Fprintln(w)
	est.Write(w)
	var errs []error
	if rep.Failed() {
		errs = append(errs, fmt.Errorf("%d security rule violations and %d invalid waivers (listed above): fix them, or waive a rule in %s with a written reason",
			len(rep.Violations), len(rep.InvalidWaivers), stackconfig.Key("policyWaivers")))
	}
	if dep.Failed() {
		errs = append(errs, fmt.Errorf("%d deployability rule violations (listed above): AWS would refuse them during pulumi up, so they cannot be waived",
			len(dep.Violations)))
	}
	return errors.Join(errs...)
}

// mockOptions are the mocks of a stack's plan: the mocked AWS answers in
// the stack's own region (aws:region: getRegion, invented ARNs), as the
// stack's default provider would, and a member stack reads the central
// stack's recorded outputs (mockaws.MemberOptions). A stack file without
// aws:region plans in the mocks' default region.
func mockOptions(dir string, cfg map[string]string, centralOutputs string) ([]mockaws.Option, error) {
	opts, err := mockaws.MemberOptions(dir, cfg, centralOutputs)
	if err != nil {
		return nil, err
	}
	return append([]mockaws.Option{mockaws.WithRegion(cfg["aws:region"])}, opts...), nil
}

// deployOptions are what the deployability rules need beyond the graph and
// the config: the region the stack's default provider deploys to (its
// aws:region; policy.StackRegion), which the region clauses compare with
// the region of an ARN (a subscription filter's destination must be in the
// log group's region). The mocks answer the plan in that same region
// (mockOptions), so it agrees with every region the program looked up, for
// every role; without aws:region the region is unknown and those clauses
// skip the stack's default-provider resources.
func deployOptions(cfg map[string]string) []policy.Option {
	return []policy.Option{policy.StackRegion(cfg["aws:region"])}
}

// PrintWarnings writes the config warnings (keys set that nothing the stack
// deploys reads), as `pulumi preview` shows them.
func PrintWarnings(w io.Writer, warnings []string) {
	if len(warnings) == 0 {
		return
	}
	fmt.Fprintf(w, "\nConfig warnings:\n")
	for _, s := range warnings {
		fmt.Fprintf(w, "  WARNING %s\n", s)
	}
}

// PrintVpcSelection writes a member stack's VPC selection (its memberVpcs
// output): the VPCs found, those monitored, and each skipped one with why.
func PrintVpcSelection(w io.Writer, v any) {
	fmt.Fprintf(w, "\nVPC selection (stack output memberVpcs):\n")
	list := func(key string) []string {
		var out []string
		for _, x := range mockaws.List(mockaws.Get(v, key)) {
			out = append(out, mockaws.Str(x))
		}
		return out
	}
	fmt.Fprintf(w, "  found:     %s\n", orNone(list("found")))
	fmt.Fprintf(w, "  monitored: %s\n", orNone(list("monitored")))
	for _, s := range mockaws.List(mockaws.Get(v, "skipped")) {
		fmt.Fprintf(w, "  skipped:   %s: %s\n", mockaws.Str(mockaws.Get(s, "id")), mockaws.Str(mockaws.Get(s, "reason")))
	}
}

func orNone(s []string) string {
	if len(s) == 0 {
		return "(none)"
	}
	return strings.Join(s, ", ")
}

// PrintRules writes the security rule results: the summary line, each
// violation, and each waiver with its reason and what it suppresses.
func PrintRules(w io.Writer, rep policy.Report) {
	fmt.Fprintf(w, "\nSecurity rules (docs/security-rules.md):\n")
	rep.Write(w)
}

// PrintDeployability writes the deployability rule results: the summary
// line and each violation (these rules cannot be waived).
func PrintDeployability(w io.Writer, rep policy.DeployReport) {
	fmt.Fprintf(w, "\nDeployability rules (docs/deployability-rules.md):\n")
	rep.Write(w)
}

// Print writes the resource list and the summary.
func Print(w io.Writer, m *mockaws.Mocks, project, stack string) {
	fmt.Fprintf(w, "Plan of stack %q (project %s), offline under mocks: account %s, region %s\n\n", stack, project, mockaws.Account, m.Region)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tTYPE\tPARENT")
	var walk func(parent string, depth int)
	walk = func(parent string, depth int) {
		for _, r := range m.ChildrenOf(parent) {
			pname := "(stack)"
			if p := m.ByURN(r.Parent); p != nil {
				pname = p.Name
			}
			name := strings.Repeat("  ", depth) + r.Name
			if r.RetainOnDelete {
				name += " [retain]"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\n", name, r.Type, pname)
			walk(r.URN, depth+1)
		}
	}
	walk(m.StackURN(), 0)
	tw.Flush()

	fmt.Fprintf(w, "\nResources by type:\n")
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	counts := m.CountByType()
	for _, t := range m.SortedTypes() {
		fmt.Fprintf(tw, "%d\t  %s\n", counts[t], t)
	}
	tw.Flush()
	fmt.Fprintf(w, "\n%d resources (%d components, %d cloud resources)\n",
		len(m.Resources), len(m.Components()), len(m.Resources)-len(m.Components()))
}
