package fleet

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
)

// Op is what the fleet does to each stack.
type Op string

// The operations.
const (
	Preview Op = "preview"
	Up      Op = "up"
	Refresh Op = "refresh"
	Destroy Op = "destroy"
)

// Ops lists the operations.
var Ops = []Op{Preview, Up, Refresh, Destroy}

// DefaultParallel is how many stacks run at once when neither the fleet file
// nor --parallel says.
const DefaultParallel = 4

// State is how a stack's run ended.
type State string

// The states of a result.
const (
	Succeeded State = "succeeded"
	Failed    State = "failed"
	// Skipped: the run did not start because a stack it depends on (a
	// member's central stack; on destroy, a central stack's members) did not
	// succeed.
	Skipped State = "skipped"
)

// Outcome is what a Runner reports for one stack.
type Outcome struct {
	// Changes counts resources by operation (create, update, delete,
	// replace, same, ...), as the engine's change summary does.
	Changes map[string]int
	// Log is where the run's full engine output was saved ("" for none).
	Log string
	Err error
}

// Progress is a runner's report while a stack runs.
type Progress struct {
	// Resources is how many resource steps the engine finished so far.
	Resources int
	// Current is the last resource the engine worked on.
	Current string
}

// Runner runs one operation on one stack.
type Runner interface {
	Run(ctx context.Context, op Op, s *Stack, progress func(Progress)) Outcome
}

// Result is one stack's line of the result table.
type Result struct {
	Stack    *Stack
	State    State
	Changes  map[string]int
	Duration time.Duration
	Err      error  // Failed: the runner's error; Skipped: why
	Log      string // the runner's log
}

// Observer sees a fleet run: the progress display.
type Observer interface {
	Started(s *Stack)
	Progress(s *Stack, p Progress)
	Finished(r Result)
}

// Options are the knobs of Execute.
type Options struct {
	// Parallel bounds how many stacks run at once (< 1 means DefaultParallel).
	Parallel int
	// Observer is told about every start, progress report and result (nil for none).
	Observer Observer
	// Now is the clock durations are measured with (nil is time.Now).
	Now func() time.Time
}

// Dependencies returns, for each selected stack, the selected stacks it
// waits for: for preview, up and refresh a member waits for its central
// stack (the central stack's outputs are what the member reads); for
// destroy a central stack waits for its members (they deliver to it until
// they are gone). Stacks outside the selection are not waited for.
func Dependencies(f *File, op Op, selected []*Stack) map[*Stack][]*Stack {
	in := map[*Stack]bool{}
	for _, s := range selected {
		in[s] = true
	}
	deps := map[*Stack][]*Stack{}
	for _, s := range selected {
		c := f.CentralOf(s)
		if c == nil || !in[c] {
			continue
		}
		if op == Destroy {
			deps[c] = append(deps[c], s)
		} else {
			deps[s] = append(deps[s], c)
		}
	}
	return deps
}

// Execute runs op on the selected stacks with r, at most Parallel at a time,
// each stack after the stacks it depends on (Dependencies) succeeded; a
// stack whose dependency failed or was skipped is skipped. A failing stack
// does not stop the others. Results are in the order of selected.
func Execute(ctx context.Context, f *File, op Op, selected []*Stack, r Runner, o Options) []Result {
	parallel := o.Parallel
	if parallel < 1 {
		parallel = DefaultParallel
	}
	now := o.Now
	if now == nil {
		now = time.Now
	}
	deps := Dependencies(f, op, selected)
	results := make(map[*Stack]*Result, len(selected))
	done := make(chan Result)
	var obsMu sync.Mutex // observers are called from one goroutine at a time
	observe := func(fn func(Observer)) {
		if o.Observer != nil {
			obsMu.Lock()
			fn(o.Observer)
			obsMu.Unlock()
		}
	}

	pending := slices.Clone(selected)
	running := 0
	for len(pending) > 0 || running > 0 {
		// Settle what can be settled: skip stacks with a dependency that
		// did not succeed, start stacks whose dependencies all succeeded,
		// up to the bound, in file order.
		for progressed := true; progressed; {
			progressed = false
			for i := 0; i < len(pending); i++ {
				s := pending[i]
				ready, blocked := true, ""
				for _, d := range deps[s] {
					res, finished := results[d]
					switch {
					case !finished:
						ready = false
					case res.State != Succeeded:
						blocked = fmt.Sprintf("%s %s", d.Name, res.State)
						if res.State == Skipped {
							blocked = fmt.Sprintf("%s was skipped", d.Name)
						}
					}
				}
				if blocked == "" && ctx.Err() != nil {
					blocked = "the run was cancelled (" + ctx.Err().Error() + ")"
				}
				if blocked != "" {
					res := Result{Stack: s, State: Skipped, Err: fmt.Errorf("not run: %s", blocked)}
					results[s] = &res
					observe(func(ob Observer) { ob.Finished(res) })
					pending = slices.Delete(pending, i, i+1)
					i--
					progressed = true
					continue
				}
				if !ready || running >= parallel {
					continue
				}
				pending = slices.Delete(pending, i, i+1)
				i--
				running++
				progressed = true
				observe(func(ob Observer) { ob.Started(s) })
				go func(s *Stack) {
					start := now()
					out := runSafely(ctx, r, op, s, func(p Progress) { observe(func(ob Observer) { ob.Progress(s, p) }) })
					res := Result{Stack: s, State: Succeeded, Changes: out.Changes, Duration: now().Sub(start), Err: out.Err, Log: out.Log}
					if out.Err != nil {
						res.State = Failed
					}
					done <- res
				}(s)
			}
		}
		if running == 0 {
			break // everything left is settled
		}
		res := <-done
		running--
		results[res.Stack] = &res
		observe(func(ob Observer) { ob.Finished(res) })
	}

	out := make([]Result, 0, len(selected))
	for _, s := range selected {
		out = append(out, *results[s])
	}
	return out
}

// runSafely turns a runner's panic into that stack's failure, so one stack
// cannot take the others down.
func runSafely(ctx context.Context, r Runner, op Op, s *Stack, progress func(Progress)) (out Outcome) {
	defer func() {
		if p := recover(); p != nil {
			out = Outcome{Err: fmt.Errorf("panic: %v", p)}
		}
	}()
	return r.Run(ctx, op, s, progress)
}

// Select returns the fleet's stacks named in names (all when names is
// empty), in fleet file order.
func Select(f *File, names []string) ([]*Stack, error) {
	if len(names) == 0 {
		return slices.Clone(f.Stacks), nil
	}
	var unknown []string
	want := map[string]bool{}
	for _, n := range names {
		if f.Stack(n) == nil {
			unknown = append(unknown, n)
		}
		want[n] = true
	}
	if len(unknown) > 0 {
		var all []string
		for _, s := range f.Stacks {
			all = append(all, s.Name)
		}
		return nil, fmt.Errorf("--stacks: %s not in the fleet; allowed: %s", strings.Join(unknown, ", "), strings.Join(all, ", "))
	}
	var out []*Stack
	for _, s := range f.Stacks {
		if want[s.Name] {
			out = append(out, s)
		}
	}
	return out, nil
}

// Failures returns the names of the stacks that failed or were skipped.
func Failures(results []Result) []string {
	var out []string
	for _, r := range results {
		if r.State != Succeeded {
			out = append(out, r.Stack.Name)
		}
	}
	return out
}

// Summary is the error a fleet run ends with when a stack did not succeed
// (nil when all succeeded): it names those stacks.
func Summary(op Op, results []Result) error {
	var failed, skipped []string
	for _, r := range results {
		switch r.State {
		case Failed:
			failed = append(failed, r.Stack.Name)
		case Skipped:
			skipped = append(skipped, r.Stack.Name)
		}
	}
	if len(failed)+len(skipped) == 0 {
		return nil
	}
	var parts []string
	if len(failed) > 0 {
		parts = append(parts, fmt.Sprintf("%d failed: %s", len(failed), strings.Join(failed, ", ")))
	}
	if len(skipped) > 0 {
		parts = append(parts, fmt.Sprintf("%d skipped: %s", len(skipped), strings.Join(skipped, ", ")))
	}
	return fmt.Errorf("fleet %s: %d of %d stacks did not succeed (%s)", op, len(failed)+len(skipped), len(results), strings.Join(parts, "; "))
}
