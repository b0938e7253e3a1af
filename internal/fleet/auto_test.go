package fleet

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/auto/events"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
)

// TestAutoRunnerPreparesOneWorkDirPerStack: each stack gets its own work
// directory with the project file and its composed stack file, and the
// CLI's environment names the fleet's backend over PULUMI_BACKEND_URL.
func TestAutoRunnerPreparesOneWorkDirPerStack(t *testing.T) {
	dir := project(t, map[string]string{})
	f, err := load(t, dir, validFleet)
	if err != nil {
		t.Fatal(err)
	}
	a := &AutoRunner{File: f, Env: map[string]string{"PULUMI_CONFIG_PASSPHRASE": "x", "PULUMI_BACKEND_URL": "file:///ignored"},
		EnvFor: func(s *Stack) map[string]string { return map[string]string{"STACK": s.Name} },
		Getenv: func(string) string { return "file:///elsewhere" }}
	seen := map[string]bool{}
	for _, s := range f.Stacks {
		wd, err := a.prepare(s)
		if err != nil {
			t.Fatal(err)
		}
		if seen[wd] {
			t.Errorf("two stacks share the work directory %s", wd)
		}
		seen[wd] = true
		if proj, err := os.ReadFile(filepath.Join(wd, "Pulumi.yaml")); err != nil || !strings.Contains(string(proj), "name: vpc-flow-logs") {
			t.Errorf("%s: Pulumi.yaml %q %v", s.Name, proj, err)
		}
		st, err := readSettings(filepath.Join(wd, "Pulumi."+s.Name+".yaml"))
		if err != nil || st.Config["aws:region"] != s.Region {
			t.Errorf("%s: stack file %+v %v", s.Name, st, err)
		}
		env := a.env(s)
		if env["PULUMI_BACKEND_URL"] != "file://"+filepath.ToSlash(filepath.Join(dir, "state")) || env["STACK"] != s.Name || env["PULUMI_CONFIG_PASSPHRASE"] != "x" {
			t.Errorf("%s: env %v", s.Name, env)
		}
	}
	if filepath.Dir(a.WorkDir(f.Stacks[0])) != filepath.Join(dir, ".build", "fleet") {
		t.Errorf("work dir %s", a.WorkDir(f.Stacks[0]))
	}
}

func TestAutoRunnerReportsAFailedPreparation(t *testing.T) {
	dir := project(t, map[string]string{"Pulumi.central.yaml": "config:\n  aws:region: us-west-2\n"})
	f, err := load(t, dir, validFleet)
	if err != nil {
		t.Fatal(err)
	}
	out := (&AutoRunner{File: f}).Run(context.Background(), Up, f.Stack("central"), nil)
	if out.Err == nil || !strings.Contains(out.Err.Error(), "sets aws:region to us-west-2") {
		t.Errorf("Run = %+v", out)
	}
}

func TestCountEvents(t *testing.T) {
	evs := make(chan events.EngineEvent)
	stop := make(chan struct{})
	var got []Progress
	done := make(chan struct{})
	go func() { countEvents(evs, stop, func(p Progress) { got = append(got, p) }); close(done) }()
	urn := "urn:pulumi:s::vpc-flow-logs::aws:s3/bucketV2:BucketV2::flowlogs"
	evs <- events.EngineEvent{EngineEvent: apitype.EngineEvent{ResourcePreEvent: &apitype.ResourcePreEvent{Metadata: apitype.StepEventMetadata{URN: urn}}}}
	evs <- events.EngineEvent{EngineEvent: apitype.EngineEvent{DiagnosticEvent: &apitype.DiagnosticEvent{Message: "x"}}}
	evs <- events.EngineEvent{EngineEvent: apitype.EngineEvent{ResOutputsEvent: &apitype.ResOutputsEvent{Metadata: apitype.StepEventMetadata{URN: urn}}}}
	close(evs)
	<-done
	want := []Progress{{Current: "flowlogs"}, {Resources: 1, Current: "flowlogs"}}
	if len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("progress %v, want %v", got, want)
	}
}
