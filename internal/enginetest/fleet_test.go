//go:build enginetest

package enginetest

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"gopkg.in/yaml.v3"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/enginetest/awsstub"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/fleet"
	"github.com/vpcflowlogs/vpc-flow-logs/stacks"
)

// orgRoles switches TestFleetEngine from standalone stacks in every account
// and region (what main can deploy today) to the organization: a central
// stack and member stacks (orgTable, testdata/fleet-org.yaml). Flip it once
// stacks.DeployCentral and stacks.DeployMember are merged.
const orgRoles = false

// fleetRow is one stack of the engine test's fleet.
type fleetRow struct {
	name, account, region string
	role                  fleet.Role
	config                map[string]any
}

// The accounts and regions of the test: a log-archive account and three
// member accounts in two regions each.
var (
	archiveAccount = "999999999999"
	memberAccounts = []string{"111111111111", "222222222222", "333333333333"}
	memberRegions  = []string{"eu-west-1", "us-east-1"}
)

// vpcID is the test VPC n of an account and region: vpc- and 17 hex
// digits (account, region index, n).
func vpcID(account, region string, n int) string {
	return fmt.Sprintf("vpc-%s%d%04d", account, slices.Index(memberRegions, region)+1, n)
}

// standaloneTable: the central position and every member position are
// standalone stacks: the s3-athena architecture over one existing VPC, without
// dashboard and Contributor Insights, so the test stays small.
func standaloneTable() []fleetRow {
	small := func(account, region string) map[string]any {
		return map[string]any{
			"architectures":       []any{"s3-athena"},
			"vpcIds":              []any{vpcID(account, region, 1)},
			"dashboard":           false,
			"contributorInsights": []any{},
		}
	}
	rows := []fleetRow{{name: "archive", account: archiveAccount, region: "eu-west-1", role: fleet.Standalone, config: small(archiveAccount, "eu-west-1")}}
	for _, a := range memberAccounts {
		for _, r := range memberRegions {
			rows = append(rows, fleetRow{name: "m-" + a + "-" + r, account: a, region: r, role: fleet.Standalone, config: small(a, r)})
		}
	}
	return rows
}

// orgTable: the central stack of docs/organization.md (an AWS Organization,
// both member regions, all three architectures) and a member per account and
// region monitoring every VPC it finds (vpcSelector, internal/stackconfig).
func orgTable() []fleetRow {
	rows := []fleetRow{{name: "central", account: archiveAccount, region: "eu-west-1", role: fleet.Central, config: map[string]any{
		"organizationId": "o-exampleorg1",
		"memberRegions":  []any{"eu-west-1", "us-east-1"},
		"architectures":  []any{"s3-athena", "cloudwatch-opensearch", "firehose-athena"},
	}}}
	for _, a := range memberAccounts {
		for _, r := range memberRegions {
			rows = append(rows, fleetRow{name: "m-" + a + "-" + r, account: a, region: r, role: fleet.Member, config: map[string]any{
				"vpcSelector": map[string]any{"all": true},
			}})
		}
	}
	return rows
}

// brokenRow is a member whose config the program refuses (a malformed VPC
// id): its run fails, the others must not notice.
func brokenRow() fleetRow {
	if orgRoles {
		return fleetRow{name: "m-broken", account: memberAccounts[2], region: "eu-west-1", role: fleet.Member,
			config: map[string]any{"vpcIds": []any{"vpc-not-a-vpc"}}}
	}
	return fleetRow{name: "m-broken", account: memberAccounts[2], region: "eu-west-1", role: fleet.Standalone, config: map[string]any{
		"architectures": []any{"s3-athena"}, "vpcIds": []any{"vpc-not-a-vpc"}, "dashboard": false, "contributorInsights": []any{},
	}}
}

// fleetFile renders rows as a fleet file (the project is the module root);
// every stack assumes flowlogs-deployer in its account.
func fleetFile(rows []fleetRow) *fleet.File {
	f := &fleet.File{Project: "../../..", Parallel: 4}
	for _, r := range rows {
		f.Stacks = append(f.Stacks, &fleet.Stack{
			Name: r.name, Role: r.role, Region: r.region, Config: r.config,
			AssumeRole: &fleet.AssumeRole{RoleArn: "arn:aws:iam::" + r.account + ":role/flowlogs-deployer"},
		})
	}
	return f
}

var updateFleetTestdata = flag.Bool("update-fleet", false, "rewrite testdata/fleet-*.yaml from the tables")

// TestFleetTestdata: testdata/fleet-standalone.yaml and
// testdata/fleet-org.yaml are the tables, so the fleet files a reader sees
// are what the engine test runs.
func TestFleetTestdata(t *testing.T) {
	for name, rows := range map[string][]fleetRow{"fleet-standalone.yaml": standaloneTable(), "fleet-org.yaml": orgTable()} {
		b, err := yaml.Marshal(fleetFile(rows))
		if err != nil {
			t.Fatal(err)
		}
		want := "# Generated from the tables of fleet_test.go (go test -tags enginetest -run TestFleetTestdata ./internal/enginetest -args -update-fleet).\n" + string(b)
		path := filepath.Join("testdata", name)
		if *updateFleetTestdata {
			if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(path)
		if err != nil || string(got) != want {
			t.Errorf("%s is not the table (run go test -tags enginetest -run TestFleetTestdata ./internal/enginetest -args -update-fleet): %v", path, err)
		}
		if _, err := fleet.Load(path); err != nil {
			t.Errorf("%s: %v", path, err)
		}
	}
}

// fleetHarness runs fleet operations against one stand-in and one local
// backend.
type fleetHarness struct {
	t        *testing.T
	h        *harness
	file     *fleet.File
	provider *awsstub.Provider
	port     int
	out      bytes.Buffer // plain progress and result tables of every run
}

// run executes op on the named stacks (all when none) and returns the
// results by stack name.
func (fh *fleetHarness) run(ctx context.Context, op fleet.Op, remove bool, names ...string) map[string]fleet.Result {
	fh.t.Helper()
	out := map[string]fleet.Result{}
	for _, r := range fh.runList(ctx, op, remove, names...) {
		out[r.Stack.Name] = r
	}
	return out
}

// runList executes op on the named stacks (all when none).
func (fh *fleetHarness) runList(ctx context.Context, op fleet.Op, remove bool, names ...string) []fleet.Result {
	fh.t.Helper()
	selected, err := fleet.Select(fh.file, names)
	if err != nil {
		fh.t.Fatal(err)
	}
	runner := &fleet.AutoRunner{
		File:       fh.file,
		Program:    stacks.Program,
		Command:    fh.h.command(fh.t),
		PulumiHome: fh.h.Home,
		Remove:     remove,
		Env: map[string]string{
			"PULUMI_CONFIG_PASSPHRASE":                    passphrase,
			"PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
			"PULUMI_DEBUG_PROVIDERS":                      fmt.Sprintf("aws:%d", fh.port),
		},
	}
	start := time.Now()
	fmt.Fprintf(&fh.out, "$ fleet %s\n", op)
	results := fleet.Execute(ctx, fh.file, op, selected, runner, fleet.Options{
		Parallel: fh.file.Parallel,
		Observer: &fleet.Plain{W: &fh.out, Op: op, Total: len(selected)},
	})
	if err := fleet.WriteTable(&fh.out, fh.file, op, results); err != nil {
		fh.t.Fatal(err)
	}
	fh.t.Logf("fleet %s of %d stacks: %s", op, len(selected), time.Since(start).Round(100*time.Millisecond))
	return results
}

// stackOf is the stack name of a URN (urn:pulumi:<stack>::...).
func stackOf(urn string) string {
	s := strings.TrimPrefix(urn, "urn:pulumi:")
	name, _, _ := strings.Cut(s, "::")
	return name
}

// TestFleetEngine drives a fleet of stacks in four accounts and two regions
// through the real engine with the fleet's Automation API runner: preview,
// up, a second preview with no changes anywhere, a refresh with no changes,
// a member with broken config failing alone, and a member destroyed and
// removed from the backend.
func TestFleetEngine(t *testing.T) {
	if os.Getenv(childEnv) != "" {
		t.Skip("running as the child of TestEngine")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*opTimeout)
	defer cancel()
	h := newHarness(t)
	provider, port := serve(t)

	rows := standaloneTable()
	testdata := "fleet-standalone.yaml"
	if orgRoles {
		rows, testdata = orgTable(), "fleet-org.yaml"
	}
	f, err := fleet.Load(filepath.Join("testdata", testdata))
	if err != nil {
		t.Fatal(err)
	}
	f.Backend = "file://" + filepath.ToSlash(h.Backend)
	f.WorkDir = filepath.Join(t.TempDir(), "fleet")
	account := map[string]string{}
	region := map[string]string{}
	for _, r := range rows {
		account[r.name], region[r.name] = r.account, r.region
		// Each account and region has two VPCs: the member's and another.
		provider.SetVPCs(r.account, r.region, []awsstub.VPC{
			{ID: vpcID(r.account, r.region, 1), CidrBlock: "10.1.0.0/16", Tags: map[string]string{"Name": "workloads"}},
			{ID: vpcID(r.account, r.region, 2), CidrBlock: "10.2.0.0/16", Tags: map[string]string{"Name": "sandbox"}},
		})
	}
	fh := &fleetHarness{t: t, h: h, file: f, provider: provider, port: port}
	t.Cleanup(func() { writeArtifact(t, h, "fleet.txt", fh.out.String()) })

	central := rows[0].name
	var members []string
	for _, r := range rows[1:] {
		members = append(members, r.name)
	}
	step := func(name string, fn func(t *testing.T)) {
		start := time.Now()
		ok := t.Run(name, fn)
		t.Logf("%s: %s", name, time.Since(start).Round(100*time.Millisecond))
		if !ok {
			t.FailNow()
		}
	}
	all := func(t *testing.T, res map[string]fleet.Result, names []string, check func(t *testing.T, r fleet.Result)) {
		t.Helper()
		for _, n := range names {
			r, ok := res[n]
			switch {
			case !ok:
				t.Errorf("%s did not run", n)
			case r.State != fleet.Succeeded:
				log, _ := os.ReadFile(r.Log)
				t.Errorf("%s %s: %v\nengine output:\n%s", n, r.State, r.Err, log)
			case check != nil:
				check(t, r)
			}
		}
	}

	step("preview", func(t *testing.T) {
		// A member's first preview needs the central stack's outputs, which
		// exist after the central stack's first up: an organization previews
		// the central stack alone before its first up.
		names := append([]string{central}, members...)
		if orgRoles {
			names = []string{central}
		}
		res := fh.run(ctx, fleet.Preview, false, names...)
		all(t, res, names, func(t *testing.T, r fleet.Result) {
			if r.Changes["create"] == 0 || fleet.FormatChanges(r.Changes) != fmt.Sprintf("+%d", r.Changes["create"]) {
				t.Errorf("%s: preview of a new stack = %s, want only creates", r.Stack.Name, fleet.FormatChanges(r.Changes))
			}
		})
		if ops := provider.Ops(); len(ops) != 0 {
			t.Errorf("preview changed the fake cloud: %d operations", len(ops))
		}
	})

	created := map[string]int{}
	step("up", func(t *testing.T) {
		res := fh.run(ctx, fleet.Up, false)
		all(t, res, append([]string{central}, members...), func(t *testing.T, r fleet.Result) {
			created[r.Stack.Name] = r.Changes["create"]
			if r.Changes["create"] == 0 || fleet.Changed(map[string]int{"update": r.Changes["update"], "delete": r.Changes["delete"]}) {
				t.Errorf("%s: up of a new stack = %s", r.Stack.Name, fleet.FormatChanges(r.Changes))
			}
		})
		// Every stack's resources were created by a provider configured for
		// its account (the assumed role's) and, but for central resources
		// that live in member regions, its region.
		accounts := map[string]map[string]bool{}
		regions := map[string]map[string]bool{}
		for _, r := range provider.Live() {
			s := stackOf(r.URN)
			if accounts[s] == nil {
				accounts[s], regions[s] = map[string]bool{}, map[string]bool{}
			}
			accounts[s][r.Account] = true
			regions[s][r.Region] = true
		}
		for name := range account {
			if name == "m-broken" {
				continue
			}
			if len(accounts[name]) != 1 || !accounts[name][account[name]] {
				t.Errorf("%s: resources in accounts %v, want only %s", name, accounts[name], account[name])
			}
			if !regions[name][region[name]] || (name != central && len(regions[name]) != 1) {
				t.Errorf("%s: resources in regions %v, want %s", name, regions[name], region[name])
			}
		}
		// The stack outputs name the stack's own account: read back from the
		// backend the way `pulumi stack output` does.
		for _, name := range append([]string{central}, members...) {
			if orgRoles && name != central {
				continue // members also export the central stack's ARNs
			}
			s, err := auto.SelectStackInlineSource(ctx, f.QualifiedName(f.Stack(name)), f.ProjectName, stacks.Program,
				auto.WorkDir(filepath.Join(f.WorkRoot(), name)), auto.PulumiHome(h.Home), auto.Pulumi(h.command(t)),
				auto.EnvVars(map[string]string{"PULUMI_BACKEND_URL": f.Backend, "PULUMI_CONFIG_PASSPHRASE": passphrase}))
			if err != nil {
				t.Fatal(err)
			}
			outs, err := s.Outputs(ctx)
			if err != nil {
				t.Fatal(err)
			}
			arns := 0
			for k, v := range outs {
				str, _ := v.Value.(string)
				if !strings.HasPrefix(str, "arn:aws:") || strings.HasPrefix(str, "arn:aws:s3:::") {
					continue
				}
				arns++
				if !strings.Contains(str, ":"+account[name]+":") {
					t.Errorf("%s: output %s = %s, not in account %s", name, k, str, account[name])
				}
			}
			if arns == 0 {
				t.Errorf("%s: no ARN among the outputs %v", name, outs)
			}
		}
	})

	step("second preview: no changes anywhere", func(t *testing.T) {
		before := len(provider.Ops())
		res := fh.run(ctx, fleet.Preview, false)
		all(t, res, append([]string{central}, members...), func(t *testing.T, r fleet.Result) {
			if fleet.Changed(r.Changes) || r.Changes["same"] != created[r.Stack.Name] {
				t.Errorf("%s: second preview = %s, want no changes (%d same)", r.Stack.Name, fleet.FormatChanges(r.Changes), created[r.Stack.Name])
			}
		})
		if n := len(provider.Ops()) - before; n != 0 {
			t.Errorf("the preview changed the fake cloud: %d operations", n)
		}
	})

	step("refresh: the fake cloud matches the state", func(t *testing.T) {
		before := len(provider.Ops())
		res := fh.run(ctx, fleet.Refresh, false)
		all(t, res, append([]string{central}, members...), func(t *testing.T, r fleet.Result) {
			if fleet.Changed(r.Changes) {
				t.Errorf("%s: refresh = %s, want no changes", r.Stack.Name, fleet.FormatChanges(r.Changes))
			}
		})
		if n := len(provider.Ops()) - before; n != 0 {
			t.Errorf("refresh changed the fake cloud: %d operations", n)
		}
	})

	step("a failing member does not stop the others", func(t *testing.T) {
		b := brokenRow()
		account[b.name], region[b.name] = b.account, b.region
		f.Stacks = append(f.Stacks, fleetFile([]fleetRow{b}).Stacks[0])
		before := len(provider.Ops())
		list := fh.runList(ctx, fleet.Up, false)
		res := map[string]fleet.Result{}
		for _, r := range list {
			res[r.Stack.Name] = r
		}
		if r := res[b.name]; r.State != fleet.Failed || !strings.Contains(fleet.Brief(r.Err), `"vpc-not-a-vpc"`) {
			log, _ := os.ReadFile(r.Log)
			t.Errorf("%s: %s, %q; want a failure naming the bad VPC id\nengine output:\n%s", b.name, r.State, fleet.Brief(r.Err), log)
		}
		all(t, res, append([]string{central}, members...), func(t *testing.T, r fleet.Result) {
			if fleet.Changed(r.Changes) {
				t.Errorf("%s: %s, want no changes", r.Stack.Name, fleet.FormatChanges(r.Changes))
			}
		})
		if err := fleet.Summary(fleet.Up, list); err == nil || !strings.Contains(err.Error(), "(1 failed: m-broken)") {
			t.Errorf("summary %v, want only m-broken named", err)
		}
		if ops := provider.Ops()[before:]; len(ops) != 0 {
			t.Errorf("the failed run changed the fake cloud: %v", ops)
		}
		// The broken stack goes again: destroy (nothing) and remove.
		if r := fh.run(ctx, fleet.Destroy, true, b.name)[b.name]; r.State != fleet.Succeeded {
			t.Fatalf("removing %s: %v", b.name, r.Err)
		}
		f.Stacks = f.Stacks[:len(f.Stacks)-1]
	})

	step("a member removed cleanly", func(t *testing.T) {
		gone := members[len(members)-1]
		before := len(provider.Ops())
		res := fh.run(ctx, fleet.Destroy, true, gone)
		if r := res[gone]; r.State != fleet.Succeeded || r.Changes["delete"] == 0 {
			t.Fatalf("destroy %s: %s %v %v", gone, r.State, r.Changes, r.Err)
		}
		for _, op := range provider.Ops()[before:] {
			if stackOf(op.URN) != gone || op.Kind != "delete" {
				t.Errorf("destroying %s touched %s (%s)", gone, op.URN, op.Kind)
			}
		}
		// What stays is what the stack retains on purpose: its flow-log
		// data buckets and their protective settings (docs/deploying.md).
		for _, r := range provider.Live() {
			if stackOf(r.URN) == gone && r.Type != "aws:s3/bucketV2:BucketV2" && !slices.Contains(protectiveTypes, r.Type) {
				t.Errorf("%s is still in the fake cloud after %s was destroyed", r.URN, gone)
			}
		}
		ws, err := auto.NewLocalWorkspace(ctx, auto.WorkDir(filepath.Join(f.WorkRoot(), central)), auto.PulumiHome(h.Home), auto.Pulumi(h.command(t)),
			auto.EnvVars(map[string]string{"PULUMI_BACKEND_URL": f.Backend, "PULUMI_CONFIG_PASSPHRASE": passphrase}))
		if err != nil {
			t.Fatal(err)
		}
		list, err := ws.ListStacks(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, s := range list {
			names = append(names, s.Name)
		}
		slices.Sort(names)
		want := append([]string{central}, members[:len(members)-1]...)
		slices.Sort(want)
		if !slices.Equal(names, want) {
			t.Errorf("the backend holds stacks %v, want %v (%s removed)", names, want, gone)
		}
		// The others still preview with no changes.
		res = fh.run(ctx, fleet.Preview, false, want...)
		all(t, res, want, func(t *testing.T, r fleet.Result) {
			if fleet.Changed(r.Changes) {
				t.Errorf("%s: %s after another member was removed", r.Stack.Name, fleet.FormatChanges(r.Changes))
			}
		})
	})
}
