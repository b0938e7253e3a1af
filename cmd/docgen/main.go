// Command docgen rewrites the generated blocks of README.md and docs/*.md
// (internal/docgen): the dev stack's resource and rule counts, the cost of
// each stack file, of the quick start and of each Firehose feed mode, and
// the rendered example pattern, all from mocked runs of the program (run by
// `make docs`). A test fails when a committed block is stale.
//
//	go run ./cmd/docgen .
package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/docgen"
)

func main() {
	root := "."
	if len(os.Args) > 1 {
		root = os.Args[1]
	}
	if err := run(root); err != nil {
		fmt.Fprintln(os.Stderr, "docgen:", err)
		os.Exit(1)
	}
}

func run(root string) error {
	blocks, err := docgen.Generate(root)
	if err != nil {
		return err
	}
	docs, err := blocks.Apply(root)
	if err != nil {
		return err
	}
	for _, f := range blocks.Files() {
		if err := os.WriteFile(filepath.Join(root, f), []byte(docs[f]), 0o644); err != nil {
			return err
		}
	}
	return nil
}
