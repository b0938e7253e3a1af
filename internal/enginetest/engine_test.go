//go:build enginetest

package enginetest

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optdestroy"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optpreview"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optup"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"gopkg.in/yaml.v3"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/enginetest/awsstub"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/mockaws"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/stackfile"
	"github.com/vpcflowlogs/vpc-flow-logs/stacks"
)

const (
	devStack = "dev"
	// passphrase of the local backend's secrets provider; the temporary
	// backend is deleted after the test.
	passphrase = "enginetest-not-a-secret"
	// childEnv carries the harness to the second process (JSON of harness).
	childEnv = "VPCFL_ENGINETEST_CHILD"
	// opTimeout bounds the whole engine test.
	opTimeout = 15 * time.Minute
)

// harness is one project under test: a work directory holding verbatim
// copies of Pulumi.yaml and Pulumi.dev.yaml, a local file backend and a
// PULUMI_HOME, all in a temporary directory, and the pinned CLI.
type harness struct {
	Root    string // module root: the real Pulumi.yaml and Pulumi.<stack>.yaml
	Project string
	Work    string
	Backend string
	Home    string
	CLIRoot string // <CLIRoot>/bin/pulumi is the CLI
	// Result is where the child process writes its childResult.
	Result string

	cmd auto.PulumiCommand // the CLI at CLIRoot, once its version was read
}

// childResult is what the second process reports.
type childResult struct {
	Preview map[apitype.OpType]int
	Up      map[string]int
	Ops     []awsstub.Op
	Output  string
}

// pinnedVersion reads the Pulumi version tools/pulumicli pins.
func pinnedVersion(t *testing.T, root string) string {
	t.Helper()
	f, err := os.Open(filepath.Join(root, "tools", "pulumicli", "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) >= 2 && fields[0] == "github.com/pulumi/pulumi/pkg/v3" {
			return fields[1]
		}
	}
	t.Fatal("tools/pulumicli/go.mod does not require github.com/pulumi/pulumi/pkg/v3")
	return ""
}

// cliPath is $PULUMI_CLI (set by `make test-engine`), else what
// scripts/pulumi-cli.sh finds or builds.
func cliPath(t *testing.T, root string) string {
	t.Helper()
	if p := os.Getenv("PULUMI_CLI"); p != "" {
		return p
	}
	t.Log("PULUMI_CLI is not set: running scripts/pulumi-cli.sh (builds the CLI on first use)")
	cmd := exec.Command("bash", filepath.Join(root, "scripts", "pulumi-cli.sh"))
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("scripts/pulumi-cli.sh: %v", err)
	}
	return strings.TrimSpace(string(out))
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// newHarness prepares the temporary directories and the CLI.
func newHarness(t *testing.T) *harness {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	proj, err := stackfile.LoadProject(root)
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	h := &harness{
		Root:    root,
		Project: proj.Name,
		Work:    filepath.Join(tmp, "work"),
		Backend: filepath.Join(tmp, "backend"),
		Home:    filepath.Join(tmp, "home"),
		CLIRoot: filepath.Join(tmp, "cli"),
		Result:  filepath.Join(tmp, "child.json"),
	}
	for _, d := range []string{h.Work, h.Backend, h.Home, filepath.Join(h.CLIRoot, "bin")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	cli, err := filepath.Abs(cliPath(t, root))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(cli, filepath.Join(h.CLIRoot, "bin", "pulumi")); err != nil {
		t.Fatal(err)
	}
	copyFile(t, filepath.Join(root, "Pulumi.yaml"), filepath.Join(h.Work, "Pulumi.yaml"))
	copyFile(t, filepath.Join(root, "Pulumi.dev.yaml"), filepath.Join(h.Work, "Pulumi.dev.yaml"))

	pinned := pinnedVersion(t, root)
	if got := "v" + h.command(t).Version().String(); got != pinned {
		t.Fatalf("%s reports version %s, tools/pulumicli pins %s", cli, got, pinned)
	}
	t.Logf("Pulumi CLI %s: %s", pinned, cli)
	return h
}

// command returns the CLI; the first call runs `pulumi version`.
func (h *harness) command(t *testing.T) auto.PulumiCommand {
	t.Helper()
	if h.cmd == nil {
		cmd, err := auto.NewPulumiCommand(&auto.PulumiCommandOptions{Root: h.CLIRoot})
		if err != nil {
			t.Fatal(err)
		}
		h.cmd = cmd
	}
	return h.cmd
}

// stack creates or selects a stack of the work directory's project whose
// program is program and whose aws provider is the stand-in on port.
func (h *harness) stack(ctx context.Context, t *testing.T, name string, program pulumi.RunFunc, port int) auto.Stack {
	t.Helper()
	s, err := auto.UpsertStackInlineSource(ctx, name, h.Project, program,
		auto.WorkDir(h.Work),
		auto.PulumiHome(h.Home),
		auto.Pulumi(h.command(t)),
		auto.EnvVars(map[string]string{
			"PULUMI_BACKEND_URL":       "file://" + filepath.ToSlash(h.Backend),
			"PULUMI_CONFIG_PASSPHRASE": passphrase,
			"PULUMI_SKIP_UPDATE_CHECK": "true",
			// Offline: never download a plugin; the aws provider is the
			// stand-in listening on port.
			"PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
			"PULUMI_DEBUG_PROVIDERS":                      fmt.Sprintf("aws:%d", port),
		}))
	if err != nil {
		t.Fatalf("stack %s: %v", name, err)
	}
	return s
}

// serve starts a stand-in aws provider for the rest of the test.
func serve(t *testing.T) (*awsstub.Provider, int) {
	t.Helper()
	p := awsstub.New()
	port, stop, err := awsstub.Serve(p)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = stop() })
	return p, port
}

// offlinePlan runs the program for the dev stack under mockaws, as `make
// plan` does, and returns the record and the stack output names.
func offlinePlan(t *testing.T, h *harness) (*mockaws.Mocks, []string) {
	t.Helper()
	proj, cfg, err := stackfile.LoadConfig(h.Root, devStack)
	if err != nil {
		t.Fatal(err)
	}
	var outputs []string
	m, err := mockaws.Run(func(ctx *pulumi.Context) error {
		out, err := stacks.Deploy(ctx)
		for k := range out {
			outputs = append(outputs, k)
		}
		return err
	}, proj.Name, devStack, cfg)
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(outputs)
	return m, outputs
}

// writeArtifact saves text under <root>/.build/enginetest (git-ignored) so a
// run's real engine output can be read and quoted (docs/reviewing.md, "Preview in pull
// requests").
func writeArtifact(t *testing.T, h *harness, name, text string) {
	t.Helper()
	dir := filepath.Join(h.Root, ".build", "enginetest")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("engine output saved to %s", filepath.Join(dir, name))
}

// nonEmpty reports whether a stack output value carries something.
func nonEmpty(v any) bool {
	switch x := v.(type) {
	case nil:
		return false
	case string:
		return strings.TrimSpace(x) != ""
	case []any:
		return len(x) > 0
	case map[string]any:
		return len(x) > 0
	default:
		return true
	}
}

// TestEngine drives the dev stack through the engine: preview, up, a second
// preview and up in a fresh process, destroy; and rejects config of the wrong
// type. The steps share one stack, so a failed step stops the rest.
func TestEngine(t *testing.T) {
	if os.Getenv(childEnv) != "" {
		t.Skip("running as the child of TestEngine")
	}
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()

	h := newHarness(t)
	plan, wantOutputs := offlinePlan(t, h)
	custom := 0
	for _, r := range plan.Resources {
		if r.Custom {
			custom++
		}
	}

	provider, port := serve(t)
	var runs atomic.Int64
	program := func(ctx *pulumi.Context) error {
		runs.Add(1)
		return stacks.Program(ctx)
	}
	dev := h.stack(ctx, t, devStack, program, port)

	step := func(name string, f func(t *testing.T)) {
		start := time.Now()
		ok := t.Run(name, f)
		t.Logf("%s: %s", name, time.Since(start).Round(100*time.Millisecond))
		if !ok {
			t.FailNow()
		}
	}

	step("preview", func(t *testing.T) {
		res, err := dev.Preview(ctx, optpreview.Color("never"), optpreview.SuppressProgress())
		if err != nil {
			t.Fatalf("preview: %v", err)
		}
		writeArtifact(t, h, "preview-dev.txt", res.StdOut)
		// Every resource the offline plan registers, plus the stack itself.
		want := map[apitype.OpType]int{apitype.OpCreate: len(plan.Resources) + 1}
		if !reflect.DeepEqual(res.ChangeSummary, want) {
			t.Errorf("preview change summary = %v, want %v (the offline plan registers %d resources)\n%s",
				res.ChangeSummary, want, len(plan.Resources), res.StdOut)
		}
		if errorLine.MatchString(res.StdOut + res.StdErr) {
			t.Errorf("preview reported errors:\n%s\n%s", res.StdOut, res.StdErr)
		}
		if ops := provider.Ops(); len(ops) != 0 {
			t.Errorf("preview changed the fake cloud: %v", ops)
		}
	})

	step("up", func(t *testing.T) {
		res, err := dev.Up(ctx, optup.Color("never"), optup.SuppressProgress())
		if err != nil {
			t.Fatalf("up: %v", err)
		}
		writeArtifact(t, h, "up-dev.txt", res.StdOut)
		if res.Summary.Result != "succeeded" {
			t.Errorf("up result %q", res.Summary.Result)
		}
		if rc := res.Summary.ResourceChanges; rc == nil || (*rc)["create"] != len(plan.Resources)+1 {
			t.Errorf("up resource changes = %v, want %d creates", rc, len(plan.Resources)+1)
		}
		if got := len(provider.Live()); got != custom {
			t.Errorf("the stand-in holds %d resources after up, want the %d cloud resources of the offline plan", got, custom)
		}
		var got []string
		for k, v := range res.Outputs {
			got = append(got, k)
			if !nonEmpty(v.Value) {
				t.Errorf("stack output %s did not resolve to a value: %#v", k, v.Value)
			}
		}
		sort.Strings(got)
		if !reflect.DeepEqual(got, wantOutputs) {
			t.Errorf("stack outputs = %v, want %v", got, wantOutputs)
		}
		if len(got) == 0 {
			t.Error("the stack has no outputs")
		}
	})

	step("second preview and up in a fresh process: no changes", func(t *testing.T) {
		spec, err := json.Marshal(h)
		if err != nil {
			t.Fatal(err)
		}
		cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestEngineChild$", "-test.count=1", "-test.v")
		cmd.Env = append(os.Environ(), childEnv+"="+string(spec))
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("child process: %v\n%s", err, out)
		}
		b, err := os.ReadFile(h.Result)
		if err != nil {
			t.Fatalf("child result: %v\n%s", err, out)
		}
		var res childResult
		if err := json.Unmarshal(b, &res); err != nil {
			t.Fatal(err)
		}
		writeArtifact(t, h, "preview-dev-second.txt", res.Output)
		same := len(plan.Resources) + 1
		if want := (map[apitype.OpType]int{apitype.OpSame: same}); !reflect.DeepEqual(res.Preview, want) {
			t.Errorf("second preview change summary = %v, want %v (only unchanged resources)\n%s", res.Preview, want, res.Output)
		}
		if want := (map[string]int{"same": same}); !reflect.DeepEqual(res.Up, want) {
			t.Errorf("second up resource changes = %v, want %v", res.Up, want)
		}
		if len(res.Ops) != 0 {
			t.Errorf("second up called the provider to change resources: %v", res.Ops)
		}
	})

	step("destroy keeps the data buckets and their protection", func(t *testing.T) {
		before := provider.Live()
		// Athena query-result buckets are the buckets a workgroup writes
		// results to; every other bucket holds flow-log data.
		results := map[string]bool{}
		for _, r := range before {
			if r.Type != "aws:athena/workgroup:Workgroup" {
				continue
			}
			cfg, _ := r.Inputs.Mappable()["configuration"].(map[string]any)
			rc, _ := cfg["resultConfiguration"].(map[string]any)
			loc, _ := rc["outputLocation"].(string)
			if !strings.HasPrefix(loc, "s3://") {
				t.Fatalf("workgroup %s has no s3:// result location: %v", r.URN, cfg)
			}
			results[strings.SplitN(strings.TrimPrefix(loc, "s3://"), "/", 2)[0]] = true
		}
		data := map[string]string{} // bucket name -> URN
		var resultBuckets, serviceLinked []string
		for _, r := range before {
			// The OpenSearch service-linked role is one per account and may
			// serve other domains: it is retained too.
			if r.Type == "aws:iam/serviceLinkedRole:ServiceLinkedRole" {
				serviceLinked = append(serviceLinked, r.URN)
			}
			if r.Type == "aws:s3/bucketV2:BucketV2" {
				if results[r.ID] {
					resultBuckets = append(resultBuckets, r.URN)
				} else {
					data[r.ID] = r.URN
				}
			}
		}
		if len(data) == 0 || len(resultBuckets) == 0 || len(serviceLinked) != 1 {
			t.Fatalf("the dev stack should have data and query-result buckets and the OpenSearch service-linked role; data %v, results %v, service-linked roles %v",
				data, resultBuckets, serviceLinked)
		}
		// A retained data bucket keeps every setting that protects it (docs/deploying.md,
		// "Destroying the stack"): each is a resource whose bucket input is the
		// bucket's name.
		kept := append([]string{}, serviceLinked...)
		protection := map[string]map[string]string{} // bucket -> type -> URN
		for _, r := range before {
			if !slices.Contains(protectiveTypes, r.Type) {
				continue
			}
			b, _ := r.Inputs.Mappable()["bucket"].(string)
			if _, ok := data[b]; !ok {
				continue
			}
			if protection[b] == nil {
				protection[b] = map[string]string{}
			}
			protection[b][r.Type] = r.URN
			kept = append(kept, r.URN)
		}
		for b, urn := range data {
			kept = append(kept, urn)
			for _, typ := range protectiveTypes {
				if protection[b][typ] == "" {
					t.Errorf("data bucket %s has no %s before destroy", urn, typ)
				}
			}
		}

		res, err := dev.Destroy(ctx, optdestroy.Color("never"), optdestroy.SuppressProgress())
		if err != nil {
			t.Fatalf("destroy: %v", err)
		}
		writeArtifact(t, h, "destroy-dev.txt", res.StdOut)
		var live []string
		for _, r := range provider.Live() {
			live = append(live, r.URN)
		}
		sort.Strings(live)
		sort.Strings(kept)
		if !reflect.DeepEqual(live, kept) {
			t.Errorf("after destroy the fake cloud holds %v, want exactly the data buckets, their protective settings and the service-linked role %v", live, kept)
		}
		deleted := map[string]bool{}
		for _, op := range provider.Ops() {
			if op.Kind == "delete" {
				deleted[op.URN] = true
			}
		}
		for _, u := range kept {
			if deleted[u] {
				t.Errorf("destroy deleted %s, which is retained (a data bucket, one of its protective settings or the service-linked role)", u)
			}
		}
		for _, u := range resultBuckets {
			if !deleted[u] {
				t.Errorf("destroy kept query-result bucket %s (results are a cache; only data buckets are retained)", u)
			}
		}
		if len(deleted) != custom-len(kept) {
			t.Errorf("destroy deleted %d resources, want %d (all but the %d retained resources)", len(deleted), custom-len(kept), len(kept))
		}
	})

	// Pulumi.yaml declares a type for every key; the engine checks the stack
	// config against it before the program runs.
	for _, tc := range []struct {
		key, value, wantType string
	}{
		{"aggregationInterval", "sixty", "integer"},
		{"architectures", "s3-athena", "array<string>"},
	} {
		step("config of the wrong type: "+tc.key, func(t *testing.T) {
			name := "wrong-" + strings.ToLower(tc.key)
			writeStackWith(t, h, name, h.Project+":"+tc.key, tc.value)
			before := runs.Load()
			s := h.stack(ctx, t, name, program, port)
			res, err := s.Preview(ctx, optpreview.Color("never"))
			if err == nil {
				t.Fatalf("preview with %s: %s succeeded:\n%s", tc.key, tc.value, res.StdOut)
			}
			want := fmt.Sprintf("Stack '%s' with configuration key '%s' must be of type '%s'", name, tc.key, tc.wantType)
			if !strings.Contains(err.Error(), want) {
				t.Errorf("preview error does not name the key and type, want %q in:\n%v", want, err)
			}
			if n := runs.Load() - before; n != 0 {
				t.Errorf("the program ran %d times; the engine should reject the config first", n)
			}
			t.Logf("engine: %s", firstLine(err.Error(), want))
			if err := s.Workspace().RemoveStack(ctx, name); err != nil {
				t.Errorf("remove stack: %v", err)
			}
		})
	}
}

// writeStackWith writes Pulumi.<name>.yaml: the dev stack's file with key
// set to the string value.
func writeStackWith(t *testing.T, h *harness, name, key, value string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(h.Root, "Pulumi.dev.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	cfg := mapValue(doc.Content[0], "config")
	if cfg == nil {
		t.Fatal("Pulumi.dev.yaml has no config block")
	}
	scalar := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: value}
	if v := mapValue(cfg, key); v != nil {
		*v = *scalar
	} else {
		cfg.Content = append(cfg.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: key}, scalar)
	}
	out, err := yaml.Marshal(&doc)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(h.Work, "Pulumi."+name+".yaml"), out, 0o644); err != nil {
		t.Fatal(err)
	}
}

func mapValue(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

// protectiveTypes are the settings that keep a bucket private, encrypted,
// TLS-only, versioned and expiring; a retained bucket keeps each of them.
var protectiveTypes = []string{
	"aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
	"aws:s3/bucketOwnershipControls:BucketOwnershipControls",
	"aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
	"aws:s3/bucketVersioningV2:BucketVersioningV2",
	"aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2",
	"aws:s3/bucketPolicy:BucketPolicy",
}

var (
	spaces = regexp.MustCompile(`\s+`)
	// errorLine matches an error diagnostic of the engine's output.
	errorLine = regexp.MustCompile(`(?m)^\s*error:`)
)

// firstLine returns the line of s containing sub, or sub.
func firstLine(s, sub string) string {
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			return spaces.ReplaceAllString(strings.TrimSpace(l), " ")
		}
	}
	return sub
}

// TestEngineChild is the second process of TestEngine: a fresh process, so
// the Lambda packages are built again and the program's inputs are computed
// anew. It previews and updates the deployed dev stack and reports the
// change summaries and the provider's changes.
func TestEngineChild(t *testing.T) {
	spec := os.Getenv(childEnv)
	if spec == "" {
		t.Skip("run by TestEngine in a second process")
	}
	var h harness
	if err := json.Unmarshal([]byte(spec), &h); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	provider, port := serve(t)
	s := h.stack(ctx, t, devStack, stacks.Program, port)
	var res childResult
	pre, err := s.Preview(ctx, optpreview.Color("never"), optpreview.SuppressProgress(), optpreview.Diff())
	if err != nil {
		t.Fatalf("second preview: %v", err)
	}
	res.Preview, res.Output = pre.ChangeSummary, pre.StdOut
	up, err := s.Up(ctx, optup.Color("never"), optup.SuppressProgress())
	if err != nil {
		t.Fatalf("second up: %v", err)
	}
	if up.Summary.ResourceChanges != nil {
		res.Up = *up.Summary.ResourceChanges
	}
	res.Ops = provider.Ops()
	b, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(h.Result, b, 0o644); err != nil {
		t.Fatal(err)
	}
}
