// Command diagram runs the Pulumi program for a stack offline, under the
// same mocks as `make plan`, and renders its resource graph
// (internal/diagram): Mermaid for the README and docs/architecture.mmd, and
// Graphviz dot for docs/architecture.svg. With no output flag it prints the
// Mermaid source.
//
//	go run ./cmd/diagram -stack dev -mermaid docs/architecture.mmd -readme README.md -dot .build/architecture.dot
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

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
	flag.Parse()
	if err := run(*dir, *stack, *mermaid, *dot, *readme); err != nil {
		fmt.Fprintln(os.Stderr, "diagram failed:", err)
		os.Exit(1)
	}
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
