package fleet

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/events"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optdestroy"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optpreview"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optrefresh"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optup"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// AutoRunner runs a stack's operation with the Automation API and the
// project's program as an inline program (in this process: no
// pulumi-language-go is needed).
//
// Each stack gets its own LocalWorkspace in its own work directory
// (<workRoot>/<stack>: a copy of Pulumi.yaml and the composed
// Pulumi.<stack>.yaml). Concurrent stacks must not share one: `pulumi stack
// select`, which the Automation API runs to create or select a stack
// (LocalWorkspace.SelectStack), records the current stack in
// $PULUMI_HOME/workspaces/<project>-<sha1 of the Pulumi.yaml path>-workspace.json
// (pkg/workspace, settingsPath), so workspaces of one directory would race
// on that file (https://github.com/pulumi/pulumi/issues/8186). The inline
// program itself is safe to run concurrently: every run gets its own
// language host server and pulumi.Context (auto: languageRuntimeServer.Run),
// and the project's program keeps no state between runs other than the
// memoised, mutex-guarded Lambda builds (internal/lambdabuild).
type AutoRunner struct {
	File *File
	// Program is the Pulumi program (stacks.Program).
	Program pulumi.RunFunc
	// Command is the Pulumi CLI (nil: `pulumi` as the Automation API finds it).
	Command auto.PulumiCommand
	// PulumiHome is PULUMI_HOME ("" for the default).
	PulumiHome string
	// Env is added to every Pulumi CLI run (PULUMI_BACKEND_URL is set from
	// the fleet file when it names a backend).
	Env map[string]string
	// EnvFor adds variables for one stack (nil for none).
	EnvFor func(*Stack) map[string]string
	// Remove removes a destroyed stack from the backend (`pulumi stack rm`).
	Remove bool
	// Getenv reads the environment (nil is os.Getenv).
	Getenv func(string) string
}

func (a *AutoRunner) getenv(k string) string {
	if a.Getenv != nil {
		return a.Getenv(k)
	}
	return os.Getenv(k)
}

// Backend is the backend URL the runner uses.
func (a *AutoRunner) Backend() string { return a.File.BackendURL(a.getenv) }

// WorkDir is the stack's work directory.
func (a *AutoRunner) WorkDir(s *Stack) string { return filepath.Join(a.File.WorkRoot(), s.Name) }

// prepare writes the stack's work directory.
func (a *AutoRunner) prepare(s *Stack) (string, error) {
	dir := a.WorkDir(s)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	proj, err := os.ReadFile(filepath.Join(a.File.ProjectDir(), "Pulumi.yaml"))
	if err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(dir, "Pulumi.yaml"), proj, 0o644); err != nil {
		return "", err
	}
	st, err := a.File.Settings(s, a.Backend())
	if err != nil {
		return "", err
	}
	return dir, WriteSettings(dir, s, st)
}

func (a *AutoRunner) env(s *Stack) map[string]string {
	env := map[string]string{"PULUMI_SKIP_UPDATE_CHECK": "true"}
	for k, v := range a.Env {
		env[k] = v
	}
	if b := a.Backend(); b != "" {
		env["PULUMI_BACKEND_URL"] = b
	}
	if a.EnvFor != nil {
		for k, v := range a.EnvFor(s) {
			env[k] = v
		}
	}
	return env
}

// Run runs op on s. The engine's whole output is saved to
// <workdir>/<op>.log.
func (a *AutoRunner) Run(ctx context.Context, op Op, s *Stack, progress func(Progress)) (out Outcome) {
	dir, err := a.prepare(s)
	if err != nil {
		return Outcome{Err: err}
	}
	logPath := filepath.Join(dir, string(op)+".log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return Outcome{Err: err}
	}
	defer logFile.Close()
	out.Log = logPath

	opts := []auto.LocalWorkspaceOption{auto.WorkDir(dir), auto.EnvVars(a.env(s))}
	if a.PulumiHome != "" {
		opts = append(opts, auto.PulumiHome(a.PulumiHome))
	}
	if a.Command != nil {
		opts = append(opts, auto.Pulumi(a.Command))
	}
	if a.File.SecretsProvider != "" {
		opts = append(opts, auto.SecretsProvider(a.File.SecretsProvider))
	}
	name := a.File.QualifiedName(s)
	var stack auto.Stack
	if op == Destroy {
		stack, err = auto.SelectStackInlineSource(ctx, name, a.File.ProjectName, a.Program, opts...)
		if auto.IsSelectStack404Error(err) {
			// Nothing to destroy: the stack does not exist (or is gone).
			fmt.Fprintf(logFile, "stack %s does not exist; nothing to destroy\n", name)
			return Outcome{Log: logPath, Changes: map[string]int{}}
		}
	} else {
		stack, err = auto.UpsertStackInlineSource(ctx, name, a.File.ProjectName, a.Program, opts...)
	}
	if err != nil {
		fmt.Fprintln(logFile, err)
		return Outcome{Log: logPath, Err: fmt.Errorf("stack %s: %w", name, err)}
	}

	evs := make(chan events.EngineEvent)
	stop := make(chan struct{})
	defer close(stop)
	go countEvents(evs, stop, progress)

	switch op {
	case Preview:
		var res auto.PreviewResult
		res, err = stack.Preview(ctx, optpreview.Color("never"), optpreview.ProgressStreams(logFile), optpreview.ErrorProgressStreams(logFile), optpreview.EventStreams(evs))
		if err == nil {
			out.Changes = map[string]int{}
			for k, v := range res.ChangeSummary {
				out.Changes[string(k)] = v
			}
		}
	case Up:
		var res auto.UpResult
		res, err = stack.Up(ctx, optup.Color("never"), optup.ProgressStreams(logFile), optup.ErrorProgressStreams(logFile), optup.EventStreams(evs))
		if err == nil && res.Summary.ResourceChanges != nil {
			out.Changes = *res.Summary.ResourceChanges
		}
	case Refresh:
		var res auto.RefreshResult
		res, err = stack.Refresh(ctx, optrefresh.Color("never"), optrefresh.ProgressStreams(logFile), optrefresh.ErrorProgressStreams(logFile), optrefresh.EventStreams(evs))
		if err == nil && res.Summary.ResourceChanges != nil {
			out.Changes = *res.Summary.ResourceChanges
		}
	case Destroy:
		var res auto.DestroyResult
		res, err = stack.Destroy(ctx, optdestroy.Color("never"), optdestroy.ProgressStreams(logFile), optdestroy.ErrorProgressStreams(logFile), optdestroy.EventStreams(evs))
		if err == nil && res.Summary.ResourceChanges != nil {
			out.Changes = *res.Summary.ResourceChanges
		}
		if err == nil && a.Remove {
			if rmErr := stack.Workspace().RemoveStack(ctx, name); rmErr != nil {
				err = fmt.Errorf("destroyed, but removing the stack failed: %w", rmErr)
			} else {
				fmt.Fprintf(logFile, "stack %s removed\n", name)
			}
		}
	default:
		err = fmt.Errorf("unknown operation %q", op)
	}
	if err != nil {
		out.Err = err
		fmt.Fprintf(logFile, "\n%s %s failed: %v\n", op, name, err)
	}
	return out
}

// countEvents reports how many resource steps finished (resource outputs
// events) and which resource the engine last started.
func countEvents(evs <-chan events.EngineEvent, stop <-chan struct{}, progress func(Progress)) {
	var p Progress
	for {
		select {
		case <-stop:
			return
		case e, ok := <-evs:
			if !ok {
				return
			}
			switch {
			case e.ResourcePreEvent != nil:
				p.Current = urnName(e.ResourcePreEvent.Metadata.URN)
			case e.ResOutputsEvent != nil:
				p.Resources++
			default:
				continue
			}
			if progress != nil {
				progress(p)
			}
		}
	}
}

// urnName is the logical name at the end of a URN.
func urnName(urn string) string {
	if i := strings.LastIndex(urn, "::"); i >= 0 {
		return urn[i+2:]
	}
	return urn
}
