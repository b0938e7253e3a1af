// Command graphdump runs the program (or one of its components) under
// mockaws for each run of a request and writes the recorded graphs as JSON.
// The tests of internal/policy and internal/costs read their graphs through
// it (internal/graphdump), so their test binaries do not link the program.
//
//	go run ./cmd/graphdump -o graphs.json < request.json
//
// The request is an internal/graphdump.Request, the answer an
// internal/graphdump.Response: one result per run, in the request's order.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"sort"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/vpcflowlogs/vpc-flow-logs/components"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/flowlog"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/graphdump"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/mockaws"
	"github.com/vpcflowlogs/vpc-flow-logs/stacks"
)

func main() {
	out := flag.String("o", "", "write the answer to this file (default: standard output)")
	flag.Parse()
	if err := run(os.Stdin, *out); err != nil {
		fmt.Fprintln(os.Stderr, "graphdump:", err)
		os.Exit(1)
	}
}

func run(in io.Reader, out string) error {
	var req graphdump.Request
	if err := json.NewDecoder(in).Decode(&req); err != nil && err != io.EOF {
		return fmt.Errorf("reading the request: %w", err)
	}
	resp, err := answer(req)
	if err != nil {
		return err
	}
	b, err := json.Marshal(resp)
	if err != nil {
		return err
	}
	if out == "" {
		_, err = os.Stdout.Write(b)
		return err
	}
	return os.WriteFile(out, b, 0o644)
}

func answer(req graphdump.Request) (*graphdump.Response, error) {
	resp := &graphdump.Response{Implemented: []string{}}
	for _, a := range stacks.Implemented() {
		resp.Implemented = append(resp.Implemented, string(a))
	}
	for _, r := range req.Runs {
		res := graphdump.Result{Key: r.Key()}
		m, err := record(r)
		if err != nil {
			res.Error = err.Error()
		} else if res.Graph, err = m.MarshalJSON(); err != nil {
			return nil, fmt.Errorf("run %s: %w", res.Key, err)
		}
		resp.Results = append(resp.Results, res)
	}
	return resp, nil
}

// record runs r under mockaws.
func record(r graphdump.Run) (*mockaws.Mocks, error) {
	program, err := programOf(r)
	if err != nil {
		return nil, err
	}
	m, err := mockaws.Run(program, r.Project, r.Stack, r.Config)
	if err != nil {
		return nil, err
	}
	canonical(m)
	return m, nil
}

// canonical puts a record in one order of its own: the engine registers
// resources concurrently, so two runs record them (and the invokes) in
// different orders. The resources are put in an order a run could have
// registered them in (a resource after its parent, its provider and its
// dependencies), ties broken by URN; the invokes are sorted.
func canonical(m *mockaws.Mocks) {
	sort.Strings(m.Calls)
	byURN := map[string]bool{}
	for _, r := range m.Resources {
		byURN[r.URN] = true
	}
	placed := map[string]bool{}
	ready := func(r *mockaws.Resource) bool {
		before := append([]string{r.Parent, providerURN(r.Provider)}, r.Dependencies...)
		for _, u := range before {
			if u != "" && u != r.URN && byURN[u] && !placed[u] {
				return false
			}
		}
		return true
	}
	rest := slices.Clone(m.Resources)
	sort.SliceStable(rest, func(i, j int) bool { return rest[i].URN < rest[j].URN })
	out := make([]*mockaws.Resource, 0, len(rest))
	for len(rest) > 0 {
		i := slices.IndexFunc(rest, ready)
		if i < 0 {
			i = 0 // a cycle no run could register; keep URN order
		}
		out = append(out, rest[i])
		placed[rest[i].URN] = true
		rest = slices.Delete(rest, i, i+1)
	}
	m.Resources = out
}

// providerURN is the URN of a provider reference "<urn>::<id>".
func providerURN(ref string) string {
	if i := strings.LastIndex(ref, "::"); i > 0 {
		return ref[:i]
	}
	return ""
}

func programOf(r graphdump.Run) (pulumi.RunFunc, error) {
	switch r.Program {
	case graphdump.Deploy:
		return func(ctx *pulumi.Context) error {
			_, err := stacks.Deploy(ctx)
			return err
		}, nil
	case graphdump.Program:
		return stacks.Program, nil
	}
	c := r.Component
	if c == nil {
		return nil, fmt.Errorf("unknown program %q", r.Program)
	}
	var vpcs []pulumi.StringInput
	for _, id := range c.VpcIDs {
		vpcs = append(vpcs, pulumi.String(id))
	}
	switch r.Program {
	case graphdump.FlowLogToCloudWatch:
		return func(ctx *pulumi.Context) error {
			_, err := components.NewFlowLogToCloudWatch(ctx, c.Name, &components.FlowLogToCloudWatchArgs{
				VpcIDs: vpcs, Fields: flowlog.DefaultFields(),
				TrafficType: c.TrafficType, AggregationInterval: c.AggregationInterval, RetentionDays: c.RetentionDays,
			})
			return err
		}, nil
	case graphdump.FlowLogToS3:
		return func(ctx *pulumi.Context) error {
			_, err := components.NewFlowLogToS3(ctx, c.Name, &components.FlowLogToS3Args{
				VpcIDs: vpcs, Fields: flowlog.DefaultFields(),
				TrafficType: c.TrafficType, AggregationInterval: c.AggregationInterval, ExpirationDays: c.ExpirationDays,
			})
			return err
		}, nil
	}
	return nil, fmt.Errorf("unknown program %q", r.Program)
}
