package fleet

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
)

// fakeRunner records every run; fail names the stacks that fail, panic the
// ones whose runner panics; gate, when set, is received from before a run
// returns (per stack).
type fakeRunner struct {
	mu       sync.Mutex
	fail     map[string]bool
	panics   map[string]bool
	gate     map[string]chan struct{}
	log      []string // "start X", "end X" in order
	inFlight int
	maxIn    int
}

func (r *fakeRunner) Run(ctx context.Context, op Op, s *Stack, progress func(Progress)) Outcome {
	r.mu.Lock()
	r.log = append(r.log, "start "+s.Name)
	r.inFlight++
	r.maxIn = max(r.maxIn, r.inFlight)
	g := r.gate[s.Name]
	r.mu.Unlock()
	if g != nil {
		<-g
	}
	progress(Progress{Resources: 1, Current: "thing"})
	r.mu.Lock()
	r.inFlight--
	r.log = append(r.log, "end "+s.Name)
	r.mu.Unlock()
	if r.panics[s.Name] {
		panic("runner bug")
	}
	if r.fail[s.Name] {
		return Outcome{Err: fmt.Errorf("error: %s: boom", s.Name)}
	}
	return Outcome{Changes: map[string]int{"create": 2}}
}

func (r *fakeRunner) index(entry string) int { return slices.Index(r.log, entry) }

// recorder is an Observer that keeps what it saw.
type recorder struct {
	mu       sync.Mutex
	events   []string
	progress int
}

func (o *recorder) Started(s *Stack) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.events = append(o.events, "started "+s.Name)
}
func (o *recorder) Progress(*Stack, Progress) { o.mu.Lock(); o.progress++; o.mu.Unlock() }
func (o *recorder) Finished(r Result) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.events = append(o.events, fmt.Sprintf("finished %s %s", r.Stack.Name, r.State))
}

// orgFleet is a central stack, members in two accounts, one standalone stack.
func orgFleet() *File {
	return &File{ProjectName: "vpc-flow-logs", Stacks: []*Stack{
		{Name: "m1", Role: Member, Region: "eu-west-1", Account: "111111111111"},
		{Name: "solo", Region: "us-east-1"},
		{Name: "central", Role: Central, Region: "eu-west-1", Account: "999999999999"},
		{Name: "m2", Role: Member, Region: "us-east-1", Account: "111111111111"},
		{Name: "m3", Role: Member, Region: "eu-west-1", Account: "222222222222"},
	}}
}

func states(results []Result) map[string]State {
	out := map[string]State{}
	for _, r := range results {
		out[r.Stack.Name] = r.State
	}
	return out
}

func TestExecuteRunsCentralBeforeMembers(t *testing.T) {
	for _, op := range []Op{Preview, Up, Refresh} {
		f := orgFleet()
		r := &fakeRunner{}
		res := Execute(context.Background(), f, op, f.Stacks, r, Options{Parallel: 8})
		for _, m := range []string{"m1", "m2", "m3"} {
			if r.index("start "+m) < r.index("end central") {
				t.Errorf("%s: member %s started before the central stack finished: %v", op, m, r.log)
			}
		}
		for name, st := range states(res) {
			if st != Succeeded {
				t.Errorf("%s: %s %s", op, name, st)
			}
		}
		// Results keep the fleet file's order.
		var names []string
		for _, x := range res {
			names = append(names, x.Stack.Name)
		}
		if want := []string{"m1", "solo", "central", "m2", "m3"}; !slices.Equal(names, want) {
			t.Errorf("%s: results in order %v, want %v", op, names, want)
		}
	}
}

func TestExecuteStandaloneDoesNotWaitForCentral(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := orgFleet()
		r := &fakeRunner{gate: map[string]chan struct{}{"central": make(chan struct{})}}
		done := make(chan []Result)
		go func() { done <- Execute(context.Background(), f, Up, f.Stacks, r, Options{Parallel: 8}) }()
		synctest.Wait() // central is blocked in its run; everything else waits or is done
		r.mu.Lock()
		log := slices.Clone(r.log)
		r.mu.Unlock()
		// solo and central run concurrently, so their entries may
		// interleave in any order that keeps solo's start before its end.
		sorted := slices.Sorted(slices.Values(log))
		if !slices.Equal(sorted, []string{"end solo", "start central", "start solo"}) || slices.Index(log, "start solo") > slices.Index(log, "end solo") {
			t.Errorf("while the central stack runs, only the standalone stack may run besides it: %v", log)
		}
		close(r.gate["central"])
		<-done
	})
}

func TestExecuteDestroysMembersBeforeCentral(t *testing.T) {
	f := orgFleet()
	r := &fakeRunner{}
	Execute(context.Background(), f, Destroy, f.Stacks, r, Options{Parallel: 8})
	for _, m := range []string{"m1", "m2", "m3"} {
		if r.index("start central") < r.index("end "+m) {
			t.Errorf("central destroyed before member %s was: %v", m, r.log)
		}
	}
}

func TestExecuteDestroyKeepsCentralWhileAMemberRemains(t *testing.T) {
	f := orgFleet()
	r := &fakeRunner{fail: map[string]bool{"m2": true}}
	res := Execute(context.Background(), f, Destroy, f.Stacks, r, Options{Parallel: 2})
	want := map[string]State{"m1": Succeeded, "solo": Succeeded, "central": Skipped, "m2": Failed, "m3": Succeeded}
	if got := states(res); !mapsEqual(got, want) {
		t.Errorf("states %v, want %v", got, want)
	}
	if r.index("start central") >= 0 {
		t.Errorf("central was destroyed although member m2 still delivers to it: %v", r.log)
	}
}

func TestExecuteFailingMemberDoesNotStopTheOthers(t *testing.T) {
	f := orgFleet()
	r := &fakeRunner{fail: map[string]bool{"m1": true}, panics: map[string]bool{"m3": true}}
	obs := &recorder{}
	res := Execute(context.Background(), f, Up, f.Stacks, r, Options{Parallel: 1, Observer: obs})
	want := map[string]State{"m1": Failed, "solo": Succeeded, "central": Succeeded, "m2": Succeeded, "m3": Failed}
	if got := states(res); !mapsEqual(got, want) {
		t.Errorf("states %v, want %v", got, want)
	}
	for _, x := range res {
		if x.Stack.Name == "m3" && (x.Err == nil || !strings.Contains(x.Err.Error(), "panic: runner bug")) {
			t.Errorf("a panicking runner should fail its stack only, got %v", x.Err)
		}
	}
	if len(obs.events) != 10 {
		t.Errorf("observer saw %d events, want a start and a finish per stack: %v", len(obs.events), obs.events)
	}
	if obs.progress != 5 {
		t.Errorf("observer saw %d progress reports, want 5", obs.progress)
	}
	err := Summary(Up, res)
	if err == nil || err.Error() != "fleet up: 2 of 5 stacks did not succeed (2 failed: m1, m3)" {
		t.Errorf("summary = %v", err)
	}
	if got := Failures(res); !slices.Equal(got, []string{"m1", "m3"}) {
		t.Errorf("failures %v", got)
	}
}

func TestExecuteSkipsMembersOfAFailedCentral(t *testing.T) {
	f := orgFleet()
	r := &fakeRunner{fail: map[string]bool{"central": true}}
	res := Execute(context.Background(), f, Up, f.Stacks, r, Options{Parallel: 3})
	want := map[string]State{"m1": Skipped, "solo": Succeeded, "central": Failed, "m2": Skipped, "m3": Skipped}
	if got := states(res); !mapsEqual(got, want) {
		t.Errorf("states %v, want %v", got, want)
	}
	for _, x := range res {
		if x.State == Skipped && (x.Err == nil || x.Err.Error() != "not run: central failed") {
			t.Errorf("%s skipped with %v, want the reason naming the central stack", x.Stack.Name, x.Err)
		}
	}
	if slices.ContainsFunc(r.log, func(e string) bool { return strings.HasPrefix(e, "start m") }) {
		t.Errorf("members ran although the central stack failed: %v", r.log)
	}
	err := Summary(Up, res)
	if err == nil || err.Error() != "fleet up: 4 of 5 stacks did not succeed (1 failed: central; 3 skipped: m1, m2, m3)" {
		t.Errorf("summary = %v", err)
	}
	if Summary(Up, res[1:2]) != nil {
		t.Error("a run where every stack succeeded has no summary error")
	}
}

func TestExecuteMemberWithoutItsCentralInTheSelection(t *testing.T) {
	// `--stacks m1`: the central stack is not run, and not waited for.
	f := orgFleet()
	r := &fakeRunner{}
	res := Execute(context.Background(), f, Up, []*Stack{f.Stack("m1")}, r, Options{})
	if len(res) != 1 || res[0].State != Succeeded {
		t.Errorf("results %v", res)
	}
}

func TestExecuteBoundsParallelism(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &File{ProjectName: "p"}
		r := &fakeRunner{gate: map[string]chan struct{}{}}
		for i := range 6 {
			name := fmt.Sprintf("s%d", i)
			f.Stacks = append(f.Stacks, &Stack{Name: name, Region: "eu-west-1"})
			r.gate[name] = make(chan struct{})
		}
		done := make(chan []Result)
		go func() { done <- Execute(context.Background(), f, Up, f.Stacks, r, Options{Parallel: 2}) }()
		started := func() []string {
			r.mu.Lock()
			defer r.mu.Unlock()
			var out []string
			for _, e := range r.log {
				if s, ok := strings.CutPrefix(e, "start "); ok {
					out = append(out, s)
				}
			}
			return out
		}
		for i := range 6 {
			// Every goroutine is blocked: the scheduler waits for a slot.
			synctest.Wait()
			want := min(i+2, 6)
			if got := started(); len(got) != want {
				t.Fatalf("after %d finished runs, %d runs started (%v), want %d", i, len(got), got, want)
			}
			close(r.gate[fmt.Sprintf("s%d", i)])
		}
		res := <-done
		if r.maxIn != 2 {
			t.Errorf("at most %d runs at once, want 2", r.maxIn)
		}
		for _, x := range res {
			if x.State != Succeeded {
				t.Errorf("%s %s", x.Stack.Name, x.State)
			}
		}
	})
}

func TestExecuteCancelledSkipsWhatDidNotStart(t *testing.T) {
	f := orgFleet()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r := &fakeRunner{}
	res := Execute(ctx, f, Up, f.Stacks, r, Options{Parallel: 1})
	for _, x := range res {
		if x.State != Skipped {
			t.Errorf("%s: %s %v", x.Stack.Name, x.State, x.Err)
		}
		if x.Stack.Name == "central" && x.Err.Error() != "not run: the run was cancelled (context canceled)" {
			t.Errorf("central skipped with %v", x.Err)
		}
	}
	if len(r.log) != 0 {
		t.Errorf("ran %v after cancellation", r.log)
	}
}

func TestDependencies(t *testing.T) {
	f := orgFleet()
	up := Dependencies(f, Up, f.Stacks)
	if len(up) != 3 || up[f.Stack("m1")][0] != f.Stack("central") || up[f.Stack("solo")] != nil {
		t.Errorf("up dependencies %v", up)
	}
	down := Dependencies(f, Destroy, f.Stacks)
	if len(down) != 1 || len(down[f.Stack("central")]) != 3 {
		t.Errorf("destroy dependencies %v", down)
	}
}

func TestSelect(t *testing.T) {
	f := orgFleet()
	got, err := Select(f, []string{"m2", "central"})
	if err != nil || len(got) != 2 || got[0].Name != "central" || got[1].Name != "m2" {
		t.Errorf("Select = %v, %v; want central, m2 in file order", got, err)
	}
	if _, err := Select(f, []string{"nope"}); err == nil || !strings.Contains(err.Error(), "nope not in the fleet; allowed: m1, solo, central, m2, m3") {
		t.Errorf("Select of an unknown stack: %v", err)
	}
	if all, _ := Select(f, nil); len(all) != 5 {
		t.Errorf("Select(nil) = %d stacks", len(all))
	}
}

func mapsEqual[K comparable, V comparable](a, b map[K]V) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}
