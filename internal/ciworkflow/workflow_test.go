package ciworkflow

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// root is the repository root (two levels up from this package).
func root(t *testing.T) string {
	t.Helper()
	r, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

type step struct {
	ID   string            `yaml:"id"`
	Name string            `yaml:"name"`
	Uses string            `yaml:"uses"`
	Run  string            `yaml:"run"`
	With map[string]string `yaml:"with"`
	Env  map[string]string `yaml:"env"`
}

type job struct {
	Needs    []string `yaml:"needs"`
	Outputs  map[string]string
	Strategy struct {
		Matrix map[string]any `yaml:"matrix"`
	} `yaml:"strategy"`
	Steps []step `yaml:"steps"`
}

type workflow struct {
	Jobs map[string]job `yaml:"jobs"`
}

func pullRequestWorkflow(t *testing.T) workflow {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root(t), ".github", "workflows", "pull-request.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var w workflow
	if err := yaml.Unmarshal(b, &w); err != nil {
		t.Fatalf("pull-request.yml: %v", err)
	}
	return w
}

// listStep is the step whose output is the preview matrix.
func listStep(t *testing.T, w workflow) step {
	t.Helper()
	for _, s := range w.Jobs["stacks"].Steps {
		if s.ID == "list" {
			return s
		}
	}
	t.Fatal("pull-request.yml: job stacks has no step with id list")
	return step{}
}

// runList runs the list step's script in dir as GitHub Actions would
// (bash -e, $GITHUB_OUTPUT a file) and returns the stacks it outputs.
func runList(t *testing.T, script, dir string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "github_output")
	cmd := exec.Command("bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GITHUB_OUTPUT="+out)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("the list step fails in %s: %v\n%s", dir, err, b)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "stacks="); ok {
			return v
		}
	}
	t.Fatalf("the list step writes no stacks= line: %q", b)
	return ""
}

// stackFiles is the JSON list the matrix must be: every Pulumi.<stack>.yaml of dir.
func stackFiles(t *testing.T, dir string) string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "Pulumi.*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var quoted []string
	for _, f := range files {
		quoted = append(quoted, `"`+strings.TrimSuffix(strings.TrimPrefix(filepath.Base(f), "Pulumi."), ".yaml")+`"`)
	}
	slices.Sort(quoted)
	return "[" + strings.Join(quoted, ",") + "]"
}

// TestPreviewMatrixIsEveryStackFile: the matrix of the preview job is the
// output of the list step, and that step lists exactly the stack files, in
// the repository and in a directory with other files (a new member stack
// joins the matrix without an edit to the workflow; Pulumi.yaml does not).
func TestPreviewMatrixIsEveryStackFile(t *testing.T) {
	w := pullRequestWorkflow(t)
	script := listStep(t, w).Run
	if got, want := runList(t, script, root(t)), stackFiles(t, root(t)); got != want {
		t.Errorf("the list step outputs %s; the repository's stack files are %s", got, want)
	}

	dir := t.TempDir()
	for _, f := range []string{"Pulumi.yaml", "Pulumi.central.yaml", "Pulumi.member-eu-west-1.yaml", "Pulumi.member-us-east-1.yaml", "Pulumi.prod.yaml", "README.md"} {
		if err := os.WriteFile(filepath.Join(dir, f), []byte("config: {}\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want := `["central","member-eu-west-1","member-us-east-1","prod"]`
	if got := runList(t, script, dir); got != want {
		t.Errorf("in a directory with %s: the list step outputs %s, want %s", want, got, want)
	}
	if got := runList(t, script, t.TempDir()); got != "[]" {
		t.Errorf("without stack files the list step outputs %s, want []", got)
	}

	if got := w.Jobs["stacks"].Outputs["stacks"]; got != "${{ steps.list.outputs.stacks }}" {
		t.Errorf("job stacks outputs stacks = %q, not the list step's output", got)
	}
	preview := w.Jobs["preview"]
	if !slices.Contains(preview.Needs, "stacks") {
		t.Errorf("job preview needs %v, not stacks", preview.Needs)
	}
	if got := preview.Strategy.Matrix["stack"]; got != "${{ fromJSON(needs.stacks.outputs.stacks) }}" {
		t.Errorf("the preview matrix is %v, not the list of stack files", got)
	}
}

// TestEveryStackIsPlannedAndPreviewed: per matrix stack, the preview job runs
// the offline plan (security and deployability rules) and pulumi preview of
// that stack.
func TestEveryStackIsPlannedAndPreviewed(t *testing.T) {
	var planned, previewed bool
	for _, s := range pullRequestWorkflow(t).Jobs["preview"].Steps {
		if strings.Contains(s.Run, `plan STACK="$STACK"`) && s.Env["STACK"] == "${{ matrix.stack }}" {
			planned = true
		}
		if strings.HasPrefix(s.Uses, "pulumi/actions@") && s.With["command"] == "preview" && s.With["stack-name"] == "${{ matrix.stack }}" {
			previewed = true
		}
	}
	if !planned {
		t.Error("no step of job preview runs `make plan STACK=\"$STACK\"` with STACK = the matrix stack")
	}
	if !previewed {
		t.Error("no step of job preview runs pulumi/actions preview of the matrix stack")
	}
}
