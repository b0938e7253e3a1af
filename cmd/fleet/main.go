// Command fleet runs preview, up, refresh or destroy over the stacks of a
// fleet file (docs/fleet.md) with the Pulumi Automation API: the central
// stack first, then its members, a bounded number at a time, one failing
// stack never stopping the others. It prints a progress display (a live
// table on a terminal, plain lines otherwise), then a result table per
// stack, and exits 1 naming the stacks that did not succeed.
//
//	go run ./cmd/fleet -f fleet.yaml [--parallel N] [--stacks a,b] [--remove] preview|up|refresh|destroy
//	make fleet FLEET=fleet.yaml ARGS='up --parallel 8'
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"golang.org/x/term"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/fleet"
	"github.com/vpcflowlogs/vpc-flow-logs/stacks"
)

func main() {
	// make fleet sets PULUMI_CLI to the pinned CLI (scripts/pulumi-cli.sh);
	// the Automation API runs the `pulumi` it finds on PATH.
	if cli := os.Getenv("PULUMI_CLI"); cli != "" {
		os.Setenv("PATH", filepath.Dir(cli)+string(os.PathListSeparator)+os.Getenv("PATH"))
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr, term.IsTerminal(int(os.Stdout.Fd())), autoRunner)
	stop()
	os.Exit(code)
}

// options are the command line.
type options struct {
	file     string
	op       fleet.Op
	parallel int
	stacks   []string
	remove   bool
	progress string
}

const usage = `usage: fleet [-f FLEET.yaml] [--parallel N] [--stacks a,b] [--remove] [--progress auto|live|plain] preview|up|refresh|destroy`

// parseArgs reads flags before and after the operation.
func parseArgs(args []string, stderr io.Writer) (*options, error) {
	o := &options{}
	fs := flag.NewFlagSet("fleet", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprintln(stderr, usage); fs.PrintDefaults() }
	fs.StringVar(&o.file, "f", "fleet.yaml", "the fleet file")
	fs.StringVar(&o.file, "file", "fleet.yaml", "the fleet file (same as -f)")
	fs.IntVar(&o.parallel, "parallel", 0, "stacks run at once (default: the fleet file's parallel, else 4)")
	stackList := fs.String("stacks", "", "comma-separated stack names to run (default: all)")
	fs.BoolVar(&o.remove, "remove", false, "destroy only: remove each destroyed stack from the backend (pulumi stack rm)")
	fs.StringVar(&o.progress, "progress", "auto", "auto (live table on a terminal), live or plain")
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			break
		}
		positional = append(positional, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if len(positional) != 1 {
		return nil, fmt.Errorf("want one operation, got %q\n%s", positional, usage)
	}
	o.op = fleet.Op(positional[0])
	if !slices.Contains(fleet.Ops, o.op) {
		return nil, fmt.Errorf("operation %q; allowed: preview, up, refresh, destroy\n%s", o.op, usage)
	}
	if o.remove && o.op != fleet.Destroy {
		return nil, fmt.Errorf("--remove goes with destroy only")
	}
	if o.parallel < 0 {
		return nil, fmt.Errorf("--parallel %d; allowed: a positive number", o.parallel)
	}
	switch o.progress {
	case "auto", "live", "plain":
	default:
		return nil, fmt.Errorf("--progress %q; allowed: auto, live, plain", o.progress)
	}
	for _, s := range strings.Split(*stackList, ",") {
		if s = strings.TrimSpace(s); s != "" {
			o.stacks = append(o.stacks, s)
		}
	}
	return o, nil
}

// autoRunner runs the project's program with the Automation API.
func autoRunner(f *fleet.File, o *options) fleet.Runner {
	return &fleet.AutoRunner{File: f, Program: stacks.Program, Remove: o.remove}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer, tty bool, newRunner func(*fleet.File, *options) fleet.Runner) int {
	o, err := parseArgs(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "fleet:", err)
		return 2
	}
	f, err := fleet.Load(o.file)
	if err != nil {
		fmt.Fprintln(stderr, "fleet:", err)
		return 2
	}
	selected, err := fleet.Select(f, o.stacks)
	if err != nil {
		fmt.Fprintln(stderr, "fleet:", err)
		return 2
	}
	if err := fleet.Preflight(f, f.BackendURL(os.Getenv)); err != nil {
		fmt.Fprintln(stderr, "fleet:", err)
		return 2
	}
	parallel := o.parallel
	if parallel == 0 {
		parallel = f.Parallel
	}
	results := execute(ctx, f, o, selected, newRunner(f, o), parallel, stdout, tty)
	fmt.Fprintln(stdout)
	if err := fleet.WriteTable(stdout, f, o.op, results); err != nil {
		fmt.Fprintln(stderr, "fleet:", err)
		return 2
	}
	if err := fleet.Summary(o.op, results); err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	return 0
}

// execute runs the fleet with the progress display the options and the
// terminal call for.
func execute(ctx context.Context, f *fleet.File, o *options, selected []*fleet.Stack, r fleet.Runner, parallel int, stdout io.Writer, tty bool) []fleet.Result {
	live := o.progress == "live" || (o.progress == "auto" && tty)
	if !live {
		obs := &fleet.Plain{W: stdout, Op: o.op, Total: len(selected)}
		return fleet.Execute(ctx, f, o.op, selected, r, fleet.Options{Parallel: parallel, Observer: obs})
	}
	obs := fleet.NewLive(stdout, o.op, selected, nil)
	done := make(chan struct{})
	ticked := make(chan struct{})
	go func() {
		defer close(ticked)
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				obs.Redraw()
			}
		}
	}()
	results := fleet.Execute(ctx, f, o.op, selected, r, fleet.Options{Parallel: parallel, Observer: obs})
	close(done)
	<-ticked
	obs.Redraw()
	return results
}
