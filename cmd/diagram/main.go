// Command diagram runs the Pulumi program for a stack offline, under the
// same mocks as `make plan`, and renders its resource graph
// (internal/diagram): Mermaid for the README and docs/architecture.mmd, and
// Graphviz dot for docs/architecture.svg. With no output flag it prints the
// Mermaid source.
//
// With -org-mermaid or -org-docs it also draws the organization picture
// (diagram.Organization): the central stack (-central) and one member stack
// (-member) planned against the central run's own outputs, into
// docs/organization.mmd and the organization block of docs/organization.md.
//
//	go run ./cmd/diagram -stack dev -mermaid docs/architecture.mmd -readme README.md -dot .build/architecture.dot
//	go run ./cmd/diagram -org-mermaid docs/organization.mmd -org-docs docs/organization.md
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/internals"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/diagram"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/mockaws"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/stackfile"
	"github.com/vpcflowlogs/vpc-flow-logs/stacks"
)

func main() {
	stack := flag.String("stack", "dev", "stack whose Pulumi.<stack>.yaml to draw")
	dir := flag.String("dir", ".", "project directory (holds Pulumi.yaml)")
	mermaid := flag.String("mermaid", "", "write the Mermaid flowchart to this file")
	dot := flag.String("dot", "", "write the Graphviz dot source to this file")
	readme := flag.String("readme", "", "replace the Mermaid block between the diagram markers of this README")
	central := flag.String("central", DefaultCentral, "organization picture: the central stack")
	member := flag.String("member", DefaultMember, "organization picture: the member stack")
	orgMermaid := flag.String("org-mermaid", "", "write the organization picture (Mermaid) to this file")
	orgDocs := flag.String("org-docs", "", "comma-separated files whose organization-diagram block to replace")
	flag.Parse()
	org := *orgMermaid != "" || *orgDocs != ""
	var err error
	if !org || *mermaid != "" || *dot != "" || *readme != "" {
		err = run(*dir, *stack, *mermaid, *dot, *readme)
	}
	if err == nil && org {
		var docs []string
		if *orgDocs != "" {
			docs = strings.Split(*orgDocs, ",")
		}
		err = runOrg(*dir, *central, *member, *orgMermaid, docs)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "diagram failed:", err)
		os.Exit(1)
	}
}

// The stacks of the organization picture: the shipped central and member stack files.
const (
	DefaultCentral = "central"
	DefaultMember  = "member-eu-west-1"
	// centralAccount is the central stack's account in the picture (the
	// recorded central outputs' account), so that it differs from the
	// member's (mockaws.Account).
	centralAccount = "210987654321"
)

// OrgPlans plans the central stack and then the member stack against the
// central run's own outputs (through its stack reference, as after the
// central stack's pulumi up), each in its own aws:region, the central
// stack in an account of its own: the ARNs the member names are the
// central resources'.
func OrgPlans(dir, central, member string) (*mockaws.Mocks, *mockaws.Mocks, error) {
	proj, ccfg, err := stackfile.LoadConfig(dir, central)
	if err != nil {
		return nil, nil, err
	}
	var outs map[string]pulumi.Output
	cm, err := mockaws.Run(func(ctx *pulumi.Context) error {
		deployed, err := stacks.Deploy(ctx)
		outs = map[string]pulumi.Output{}
		for k, v := range deployed {
			outs[k] = pulumi.ToOutput(v)
		}
		return err
	}, proj.Name, central, ccfg, mockaws.WithRegion(ccfg["aws:region"]), mockaws.WithAccount(centralAccount))
	if err != nil {
		return nil, nil, fmt.Errorf("central stack %s: %w", central, err)
	}
	// Awaited after the run through the SDK, as plain JSON values.
	values := map[string]any{}
	for k, o := range outs {
		r, err := internals.UnsafeAwaitOutput(context.Background(), o)
		if err != nil {
			return nil, nil, fmt.Errorf("central stack %s: output %s: %w", central, k, err)
		}
		b, err := json.Marshal(r.Value)
		var plain any
		if err == nil {
			err = json.Unmarshal(b, &plain)
		}
		if err != nil {
			return nil, nil, fmt.Errorf("central stack %s: output %s: %w", central, k, err)
		}
		values[k] = plain
	}
	_, mcfg, err := stackfile.LoadConfig(dir, member)
	if err != nil {
		return nil, nil, err
	}
	ref := mcfg["vpc-flow-logs:centralStack"]
	mm, err := mockaws.Run(stacks.Program, proj.Name, member, mcfg,
		mockaws.WithRegion(mcfg["aws:region"]), mockaws.WithStackOutputs(map[string]map[string]any{ref: values}))
	if err != nil {
		return nil, nil, fmt.Errorf("member stack %s against the central stack %s: %w", member, central, err)
	}
	return cm, mm, nil
}

// Org renders the organization picture of the central and member stacks.
func Org(dir, central, member string) (string, error) {
	cm, mm, err := OrgPlans(dir, central, member)
	if err != nil {
		return "", err
	}
	return diagram.Organization(cm, mm), nil
}

func runOrg(dir, central, member, mermaidPath string, docs []string) error {
	mmd, err := Org(dir, central, member)
	if err != nil {
		return err
	}
	if mermaidPath != "" {
		if err := write(mermaidPath, mmd); err != nil {
			return err
		}
	}
	for _, path := range docs {
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		out, err := diagram.ReplaceOrg(string(b), mmd)
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		if out != string(b) {
			if err := write(path, out); err != nil {
				return err
			}
		}
	}
	return nil
}

// Graph runs the stack under mocks and draws it.
func Graph(dir, stack string) (*diagram.Graph, error) {
	proj, cfg, err := stackfile.LoadConfig(dir, stack)
	if err != nil {
		return nil, err
	}
	m, err := mockaws.Run(stacks.Program, proj.Name, stack, cfg)
	if err != nil {
		return nil, err
	}
	return diagram.Build(m), nil
}

func run(dir, stack, mermaidPath, dotPath, readmePath string) error {
	g, err := Graph(dir, stack)
	if err != nil {
		return err
	}
	mmd := g.Mermaid()
	if mermaidPath == "" && dotPath == "" && readmePath == "" {
		_, err := os.Stdout.WriteString(mmd)
		return err
	}
	if mermaidPath != "" {
		if err := write(mermaidPath, mmd); err != nil {
			return err
		}
	}
	if dotPath != "" {
		if err := write(dotPath, g.Dot()); err != nil {
			return err
		}
	}
	if readmePath != "" {
		b, err := os.ReadFile(readmePath)
		if err != nil {
			return err
		}
		out, err := diagram.ReplaceReadme(string(b), mmd)
		if err != nil {
			return err
		}
		if out != string(b) {
			if err := write(readmePath, out); err != nil {
				return err
			}
		}
	}
	return nil
}

func write(path, content string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, []byte(content), 0o644)
}
