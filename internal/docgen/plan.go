package docgen

import (
	"fmt"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/costs"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/diagram"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/mockaws"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/policy"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/stackconfig"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/stackfile"
	"github.com/vpcflowlogs/vpc-flow-logs/stacks"
)

// GBPerDay is the flow-log volume every generated cost figure assumes (the
// default of `make plan`).
const GBPerDay = 1.0

// Planned is one stack planned offline under the mocks, as `make plan`
// plans it: the registered resources, the validated config, both rule
// reports and the cost estimate at GBPerDay.
type Planned struct {
	Mocks    *mockaws.Mocks
	Config   *stackconfig.Config
	Security policy.Report
	Deploy   policy.DeployReport
	Cost     *costs.Estimate
}

// Resources is the number of resources the program registers (components
// included, the stack itself not).
func (p *Planned) Resources() int { return len(p.Mocks.Resources) }

// Clean reports whether the plan has no rule violation, no invalid waiver and
// no config warning; it returns what is wrong otherwise.
func (p *Planned) Clean() error {
	if p.Security.Failed() || p.Deploy.Failed() || len(p.Config.Warnings) > 0 {
		return fmt.Errorf("%s; %s; %d violations of security rules %v, %d of deployability rules %v, invalid waivers %v, config warnings %v",
			p.Security.Summary(), p.Deploy.Summary(), len(p.Security.Violations), p.Security.Violations,
			len(p.Deploy.Violations), p.Deploy.Violations, p.Security.InvalidWaivers, p.Config.Warnings)
	}
	return nil
}

// Plan runs the program for stack with cfg (full keys, as
// stackfile.Config returns them) under the mocks.
func Plan(project, stack string, cfg map[string]string, opts ...mockaws.Option) (*Planned, error) {
	prices, err := costs.LoadPrices()
	if err != nil {
		return nil, err
	}
	m, err := mockaws.Run(stacks.Program, project, stack, cfg, opts...)
	if err != nil {
		return nil, fmt.Errorf("stack %s: %w", stack, err)
	}
	c, err := stackconfig.Load(func(k string) (string, bool) { v, ok := cfg[k]; return v, ok })
	if err != nil {
		return nil, fmt.Errorf("stack %s: %w", stack, err)
	}
	est, err := costs.New(diagram.Build(m), prices, GBPerDay)
	if err != nil {
		return nil, err
	}
	return &Planned{Mocks: m, Config: c, Security: policy.EvaluateStack(m, c),
		Deploy: policy.EvaluateDeployabilityStack(m, c), Cost: est}, nil
}

// PlanStackFile plans Pulumi.<stack>.yaml of the project in root.
func PlanStackFile(root, stack string) (*Planned, error) {
	p, cfg, err := stackfile.LoadConfig(root, stack)
	if err != nil {
		return nil, err
	}
	// A member stack reads the central stack's recorded outputs.
	opts, err := mockaws.MemberOptions(root, cfg, mockaws.DefaultCentralOutputs)
	if err != nil {
		return nil, err
	}
	return Plan(p.Name, stack, cfg, opts...)
}

// PlanDefaults plans a stack that has no stack file: Pulumi.yaml's defaults
// with overrides (short keys, values as the program receives them).
func PlanDefaults(root, stack string, overrides map[string]string) (*Planned, error) {
	p, err := stackfile.LoadProject(root)
	if err != nil {
		return nil, err
	}
	cfg, err := stackfile.Config(p, nil)
	if err != nil {
		return nil, err
	}
	for k, v := range overrides {
		cfg[p.Name+":"+k] = v
	}
	return Plan(p.Name, stack, cfg)
}
