// Command configdoc regenerates the configuration reference table in
// docs/configuration.md from Pulumi.yaml (run by `make docs`). A test fails when the
// committed table differs from what this would write.
package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/stackfile"
)

func main() {
	dir := "."
	if len(os.Args) > 1 {
		dir = os.Args[1]
	}
	if err := run(dir); err != nil {
		fmt.Fprintln(os.Stderr, "configdoc:", err)
		os.Exit(1)
	}
}

func run(dir string) error {
	p, err := stackfile.LoadProject(dir)
	if err != nil {
		return err
	}
	path := filepath.Join(dir, stackfile.ConfigDoc)
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	out, err := stackfile.ReplaceTable(string(b), stackfile.ConfigTable(p, p.Order))
	if err != nil {
		return err
	}
	return os.WriteFile(path, []byte(out), 0o644)
}
