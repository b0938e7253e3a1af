package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/fleet"
)

func TestParseArgs(t *testing.T) {
	var stderr bytes.Buffer
	o, err := parseArgs([]string{"-f", "x.yaml", "up", "--parallel", "3", "--stacks", "a, b"}, &stderr)
	if err != nil {
		t.Fatal(err)
	}
	if o.file != "x.yaml" || o.op != fleet.Up || o.parallel != 3 || !slices.Equal(o.stacks, []string{"a", "b"}) {
		t.Errorf("parsed %+v", o)
	}
	for args, want := range map[string]string{
		"":                     "want one operation",
		"deploy":               `operation "deploy"; allowed: preview, up, refresh, destroy`,
		"up preview":           "want one operation",
		"up --remove":          "--remove goes with destroy only",
		"up --parallel -1":     "--parallel -1",
		"up --progress fancy":  `--progress "fancy"`,
		"--file f.yaml up --x": "flag provided but not defined: -x",
	} {
		if _, err := parseArgs(strings.Fields(args), &stderr); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("parseArgs(%q) = %v, want %q", args, err, want)
		}
	}
}

// failing is a runner in which the named stacks fail.
type failing map[string]bool

func (f failing) Run(_ context.Context, _ fleet.Op, s *fleet.Stack, _ func(fleet.Progress)) fleet.Outcome {
	if f[s.Name] {
		return fleet.Outcome{Err: errors.New("error: " + s.Name + " broke")}
	}
	return fleet.Outcome{Changes: map[string]int{"create": 1}}
}

func writeFleet(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range map[string]string{
		"Pulumi.yaml": "name: vpc-flow-logs\nruntime: go\n",
		"fleet.yaml": `backend: file://state
stacks:
  - {name: central, role: central, region: eu-west-1, account: "999999999999", config: {memberRegions: [eu-west-1, us-east-1]}}
  - {name: m1, role: member, region: eu-west-1, account: "111111111111"}
  - {name: m2, role: member, region: us-east-1, account: "111111111111"}
`,
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return filepath.Join(dir, "fleet.yaml")
}

func TestRunExitCodes(t *testing.T) {
	path := writeFleet(t)
	for _, tc := range []struct {
		name  string
		fail  failing
		args  []string
		code  int
		inOut []string
		inErr string
	}{
		{"all succeed", nil, []string{"-f", path, "up"}, 0, []string{"[3/3]", "m2       member   111111111111  us-east-1  succeeded  +1"}, ""},
		{"a member fails", failing{"m1": true}, []string{"-f", path, "up"}, 1,
			[]string{"m1: failed: m1 broke"}, "fleet up: 1 of 3 stacks did not succeed (1 failed: m1)"},
		{"the central stack fails", failing{"central": true}, []string{"-f", path, "--parallel", "1", "preview"}, 1,
			[]string{"m1: skipped: not run: central failed"}, "fleet preview: 3 of 3 stacks did not succeed (1 failed: central; 2 skipped: m1, m2)"},
		{"unknown stack", nil, []string{"-f", path, "--stacks", "m9", "up"}, 2, nil, "--stacks: m9 not in the fleet"},
		{"missing fleet file", nil, []string{"-f", path + ".nope", "up"}, 2, nil, "no such file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), tc.args, &stdout, &stderr, false, func(*fleet.File, *options) fleet.Runner { return tc.fail })
			if code != tc.code {
				t.Errorf("exit %d, want %d\n%s%s", code, tc.code, stdout.String(), stderr.String())
			}
			for _, want := range tc.inOut {
				if !strings.Contains(stdout.String(), want) {
					t.Errorf("stdout lacks %q:\n%s", want, stdout.String())
				}
			}
			if !strings.Contains(stderr.String(), tc.inErr) {
				t.Errorf("stderr lacks %q:\n%s", tc.inErr, stderr.String())
			}
		})
	}
}

func TestRunLiveProgress(t *testing.T) {
	path := writeFleet(t)
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"-f", path, "up"}, &stdout, &stderr, true, func(*fleet.File, *options) fleet.Runner { return failing{} })
	if code != 0 || !strings.Contains(stdout.String(), "\x1b[2K") || strings.Contains(stdout.String(), "[1/3]") {
		t.Errorf("on a terminal the progress is the live table, not plain lines (exit %d):\n%q", code, stdout.String())
	}
}

func TestRunRefusesAFleetThatFailsPreflight(t *testing.T) {
	path := writeFleet(t)
	b, _ := os.ReadFile(path)
	if err := os.WriteFile(path, []byte(strings.Replace(string(b), "memberRegions: [eu-west-1, us-east-1]", "memberRegions: [eu-west-1]", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	ran := false
	code := run(context.Background(), []string{"-f", path, "up"}, &stdout, &stderr, false, func(*fleet.File, *options) fleet.Runner {
		ran = true
		return failing{}
	})
	if code != 2 || ran || !strings.Contains(stderr.String(), "stack m2 (region us-east-1) delivers to central stack central, which serves eu-west-1") {
		t.Errorf("exit %d, ran %v, stderr:\n%s", code, ran, stderr.String())
	}
}
