//go:build enginetest

package enginetest

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"gopkg.in/yaml.v3"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/awsfake"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/enginetest/awsstub"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/fleet"
	"github.com/vpcflowlogs/vpc-flow-logs/stacks"
)

// fleetRow is one stack of the engine test's fleet.
type fleetRow struct {
	name, account, region string
	role                  fleet.Role
	config                map[string]any
}

// The accounts and regions of the test: a log-archive account, three
// member accounts in two regions each, and an account outside the
// organization.
var (
	archiveAccount = "999999999999"
	memberAccounts = []string{"111111111111", "222222222222", "333333333333"}
	memberRegions  = []string{"eu-west-1", "us-east-1"}
	soloAccount    = "444444444444"
)

// vpcID is the test VPC n of an account and region: vpc- and 17 hex
// digits (account, region index, n).
func vpcID(account, region string, n int) string {
	return fmt.Sprintf("vpc-%s%d%04d", account, slices.Index(memberRegions, region)+1, n)
}

// orgTable is the fleet of the engine test: the central stack of
// docs/organization.md (an AWS Organization, both member regions, all three
// architectures), a member per account and region monitoring every VPC it
// finds (vpcSelector, internal/stackconfig), and a standalone stack of an
// account outside the organization (the s3-athena architecture over one
// existing VPC, without dashboard and Contributor Insights), which waits
// for no other stack.
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
	return append(rows, fleetRow{name: "solo-" + soloAccount, account: soloAccount, region: "eu-west-1", role: fleet.Standalone, config: map[string]any{
		"architectures":       []any{"s3-athena"},
		"vpcIds":              []any{vpcID(soloAccount, "eu-west-1", 1)},
		"dashboard":           false,
		"contributorInsights": []any{},
	}})
}

// brokenRow is a member whose config the program refuses (a malformed VPC
// id): its run fails, the others must not notice.
func brokenRow() fleetRow {
	return fleetRow{name: "m-broken", account: memberAccounts[2], region: "eu-west-1", role: fleet.Member,
		config: map[string]any{"vpcIds": []any{"vpc-not-a-vpc"}}}
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

var updateFleetTestdata = flag.Bool("update-fleet", false, "rewrite testdata/fleet-org.yaml from the table")

// TestFleetTestdata: testdata/fleet-org.yaml is the table, so the fleet
// file a reader sees is what the engine test runs.
func TestFleetTestdata(t *testing.T) {
	for name, rows := range map[string][]fleetRow{"fleet-org.yaml": orgTable()} {
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

// offlineAWS points the AWS SDK of this process (a member's VPC discovery
// runs in the inline program, in this process) at nothing real: base
// credentials that only the fakes accept, no shared config files, no
// instance metadata, and an endpoint that refuses every call not sent to a
// fake through aws:endpoints.
func offlineAWS(t *testing.T) {
	t.Helper()
	none := filepath.Join(t.TempDir(), "none")
	for k, v := range map[string]string{
		"AWS_ACCESS_KEY_ID": "AKIDENGINETEST", "AWS_SECRET_ACCESS_KEY": "not-a-secret", "AWS_SESSION_TOKEN": "",
		"AWS_PROFILE": "", "AWS_ROLE_ARN": "", "AWS_WEB_IDENTITY_TOKEN_FILE": "",
		"AWS_CONFIG_FILE": none, "AWS_SHARED_CREDENTIALS_FILE": none, "AWS_EC2_METADATA_DISABLED": "true",
		"AWS_ENDPOINT_URL": "http://127.0.0.1:1",
	} {
		t.Setenv(k, v)
	}
}

// The flow logs of other owners the accounts start with: one on every
// sandbox VPC (n 2), so that with the member's two flow logs (CloudWatch
// Logs and S3) it would exceed EC2's two per VPC and the member skips it.
func otherFlowLogs(account, region string) []awsfake.FlowLog {
	id := vpcID(account, region, 2)
	return []awsfake.FlowLog{{ID: "fl-" + strings.TrimPrefix(id, "vpc-"), ResourceID: id, Tags: map[string]string{"owner": "network-team"}}}
}

// fakeAccounts serves the STS and EC2 query APIs of each account on its
// own local endpoint: DescribeFlowLogs answers the flow logs of other
// owners and the flow logs the stand-in holds in that account and region,
// so the fake's EC2 and the stand-in's inventory agree.
func fakeAccounts(t *testing.T, provider *awsstub.Provider, accounts []string) (map[string]*awsfake.Account, map[string]string) {
	t.Helper()
	fakes, urls := map[string]*awsfake.Account{}, map[string]string{}
	for _, a := range accounts {
		acct := &awsfake.Account{ID: a, FlowLogs: func(region string, ids []string) []awsfake.FlowLog {
			var out []awsfake.FlowLog
			for _, fl := range otherFlowLogs(a, region) {
				if slices.Contains(ids, fl.ResourceID) {
					out = append(out, fl)
				}
			}
			for _, r := range provider.Live() {
				if r.Type != "aws:ec2/flowLog:FlowLog" || r.Account != a || r.Region != region {
					continue
				}
				in := awsstub.Plain(r.Inputs)
				vpc, _ := in["vpcId"].(string)
				if !slices.Contains(ids, vpc) {
					continue
				}
				tags := map[string]string{}
				if m, ok := in["tags"].(map[string]any); ok {
					for k, v := range m {
						tags[k], _ = v.(string)
					}
				}
				out = append(out, awsfake.FlowLog{ID: r.ID, ResourceID: vpc, Tags: tags})
			}
			return out
		}}
		srv := httptest.NewServer(&awsfake.Server{Account: acct})
		t.Cleanup(srv.Close)
		fakes[a], urls[a] = acct, srv.URL
	}
	return fakes, urls
}

// wantRegion is where the stand-in must have created a resource of a
// stack: its region, but for the central stack's CloudWatch Logs
// destinations (components org-destination-<region>), which are in each
// member region through that region's provider.
func wantRegion(urn, stackRegion string) string {
	name := resource.URN(urn).Name()
	for _, r := range memberRegions {
		if name == "org-destination-"+r || strings.HasPrefix(name, "org-destination-"+r+"-") {
			return r
		}
	}
	return stackRegion
}

// TestFleetEngine drives an organization through the real engine with the
// fleet's Automation API runner: a central stack, a member stack in each of
// three accounts and two regions, and a standalone stack, all against one
// stand-in aws provider that answers each provider instance from its own
// configuration (the assumed role's account, the region). The members find
// their VPCs themselves (vpcSelector): ec2:getVpcs through the stand-in,
// STS AssumeRole/GetCallerIdentity and EC2 DescribeFlowLogs through a fake
// of each account's query APIs (aws:endpoints). Steps: a preview and up of
// the central stack, a fleet preview (members read the central stack's
// outputs), fleet up, a second preview with no changes anywhere, a refresh
// with no changes, a member with broken config failing alone, and a member
// destroyed and removed from the backend.
func TestFleetEngine(t *testing.T) {
	if os.Getenv(childEnv) != "" {
		t.Skip("running as the child of TestEngine")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*opTimeout)
	defer cancel()
	h := newHarness(t)
	provider, port := serve(t)
	offlineAWS(t)

	rows := orgTable()
	f, err := fleet.Load(filepath.Join("testdata", "fleet-org.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	f.Backend = "file://" + filepath.ToSlash(h.Backend)
	f.WorkDir = filepath.Join(t.TempDir(), "fleet")
	fakes, endpoints := fakeAccounts(t, provider, memberAccounts)
	account := map[string]string{}
	region := map[string]string{}
	var central string
	var members, all []string
	for _, r := range rows {
		account[r.name], region[r.name] = r.account, r.region
		all = append(all, r.name)
		switch r.role {
		case fleet.Central:
			central = r.name
		case fleet.Member:
			members = append(members, r.name)
			// The member's own calls of STS and EC2 go to its account's
			// fake, as the aws provider's would (aws:endpoints).
			f.Stack(r.name).Config["aws:endpoints"] = []any{map[string]any{"ec2": endpoints[r.account], "sts": endpoints[r.account]}}
		}
		// Each account and region has two VPCs: a workload VPC and a
		// sandbox VPC that already has a flow log of another owner.
		provider.SetVPCs(r.account, r.region, []awsstub.VPC{
			{ID: vpcID(r.account, r.region, 1), CidrBlock: "10.1.0.0/16", Tags: map[string]string{"Name": "workloads"}},
			{ID: vpcID(r.account, r.region, 2), CidrBlock: "10.2.0.0/16", Tags: map[string]string{"Name": "sandbox"}},
		})
	}
	others := slices.DeleteFunc(slices.Clone(all), func(n string) bool { return n == central })
	fh := &fleetHarness{t: t, h: h, file: f, provider: provider, port: port}
	t.Cleanup(func() { writeArtifact(t, h, "fleet.txt", fh.out.String()) })

	step := func(name string, fn func(t *testing.T)) {
		start := time.Now()
		ok := t.Run(name, fn)
		t.Logf("%s: %s", name, time.Since(start).Round(100*time.Millisecond))
		if !ok {
			t.FailNow()
		}
	}
	succeeded := func(t *testing.T, res map[string]fleet.Result, names []string, check func(t *testing.T, r fleet.Result)) {
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
	onlyCreates := func(t *testing.T, r fleet.Result) {
		if r.Changes["create"] == 0 || fleet.FormatChanges(r.Changes) != fmt.Sprintf("+%d", r.Changes["create"]) {
			t.Errorf("%s: preview of a new stack = %s, want only creates", r.Stack.Name, fleet.FormatChanges(r.Changes))
		}
	}
	created := map[string]int{}
	createdBy := func(t *testing.T, r fleet.Result) {
		created[r.Stack.Name] = r.Changes["create"]
		if r.Changes["create"] == 0 || fleet.Changed(map[string]int{"update": r.Changes["update"], "delete": r.Changes["delete"], "replace": r.Changes["replace"]}) {
			t.Errorf("%s: up of a new stack = %s", r.Stack.Name, fleet.FormatChanges(r.Changes))
		}
	}
	unchanged := func(t *testing.T, r fleet.Result) {
		if fleet.Changed(r.Changes) || r.Changes["same"] != created[r.Stack.Name] {
			t.Errorf("%s: %s, want no changes (%d same)", r.Stack.Name, fleet.FormatChanges(r.Changes), created[r.Stack.Name])
		}
	}

	// A member's first preview needs the central stack's outputs, which
	// exist after the central stack's first up: the first fleet preview
	// previews the central (and the standalone) stack and fails every
	// member, naming the missing output (ReadCentral, orgref.Parse). An
	// organization starts with the central stack alone (docs/fleet.md).
	step("first preview: the members need the central stack's outputs", func(t *testing.T) {
		res := fh.run(ctx, fleet.Preview, false)
		succeeded(t, res, slices.DeleteFunc(slices.Clone(all), func(n string) bool { return slices.Contains(members, n) }), onlyCreates)
		for _, m := range members {
			want := "central stack organization/vpc-flow-logs/" + central + ": output orgArchitectures is missing"
			if r := res[m]; r.State != fleet.Failed || !strings.Contains(fleet.Brief(r.Err), want) {
				log, _ := os.ReadFile(r.Log)
				t.Errorf("%s: %s, %q; want a failure naming %q\nengine output:\n%s", m, r.State, fleet.Brief(r.Err), want, log)
			}
		}
		if ops := provider.Ops(); len(ops) != 0 {
			t.Errorf("preview changed the fake cloud: %d operations", len(ops))
		}
	})
	step("up central", func(t *testing.T) {
		succeeded(t, fh.run(ctx, fleet.Up, false, central), []string{central}, createdBy)
	})
	step("preview", func(t *testing.T) {
		before := len(provider.Ops())
		res := fh.run(ctx, fleet.Preview, false)
		succeeded(t, res, []string{central}, unchanged)
		succeeded(t, res, others, onlyCreates)
		if n := len(provider.Ops()) - before; n != 0 {
			t.Errorf("preview changed the fake cloud: %d operations", n)
		}
	})

	step("up", func(t *testing.T) {
		res := fh.run(ctx, fleet.Up, false)
		succeeded(t, res, []string{central}, unchanged)
		succeeded(t, res, others, createdBy)
		// Every stack's resources were created by a provider configured for
		// its account (the assumed role's) and region, the central stack's
		// destinations by the provider of their member region.
		stacksSeen := map[string]bool{}
		for _, r := range provider.Live() {
			s := stackOf(r.URN)
			stacksSeen[s] = true
			if r.Account != account[s] || r.Region != wantRegion(r.URN, region[s]) {
				t.Errorf("%s: created in %s %s, want %s %s", r.URN, r.Account, r.Region, account[s], wantRegion(r.URN, region[s]))
			}
		}
		for _, reg := range memberRegions {
			n := 0
			for _, r := range provider.Live() {
				if stackOf(r.URN) == central && r.Region == reg {
					n++
				}
			}
			if n == 0 {
				t.Errorf("%s: nothing in %s", central, reg)
			}
		}
		for _, n := range all {
			if !stacksSeen[n] {
				t.Errorf("%s: nothing in the fake cloud", n)
			}
		}
		// Each member found both VPCs of its account and region through
		// the stand-in, asked its account's EC2 for their flow logs as the
		// assumed role, in its region, and skipped the sandbox VPC, whose
		// flow log of another owner leaves no room for two more.
		for _, m := range members {
			a, reg := account[m], region[m]
			session := "arn:aws:sts::" + a + ":assumed-role/flowlogs-deployer/"
			asked := 0
			for _, c := range fakes[a].Calls() {
				if c.Error != "" {
					t.Errorf("%s: %s %s answered %s", a, c.Service, c.Action, c.Error)
				}
				if c.Action == "DescribeFlowLogs" && c.Region == reg {
					asked++
					if !strings.HasPrefix(c.Principal, session) {
						t.Errorf("%s: DescribeFlowLogs in %s as %s, want the session of %s", m, reg, c.Principal, session)
					}
					if want := []string{vpcID(a, reg, 1), vpcID(a, reg, 2)}; !slices.Equal(c.ResourceIDs, want) {
						t.Errorf("%s: DescribeFlowLogs of %v, want %v", m, c.ResourceIDs, want)
					}
				}
			}
			if asked == 0 {
				t.Errorf("%s: never asked EC2 for flow logs in %s", m, reg)
			}
		}
		// The stack outputs name the stack's own account, but a member's
		// central* outputs, which name the central stack's (its CloudWatch
		// Logs destination in the member's region): read back from the
		// backend the way `pulumi stack output` does.
		for _, name := range all {
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
				want := account[name]
				if strings.HasPrefix(k, "central") {
					want = archiveAccount
				}
				if !strings.Contains(str, ":"+want+":") {
					t.Errorf("%s: output %s = %s, not in account %s", name, k, str, want)
				}
			}
			if arns == 0 {
				t.Errorf("%s: no ARN among the outputs %v", name, outs)
			}
			if slices.Contains(members, name) {
				a, reg := account[name], region[name]
				if d, _ := outs["centralLogDestinationArn"].Value.(string); !strings.HasPrefix(d, "arn:aws:logs:"+reg+":"+archiveAccount+":destination:") {
					t.Errorf("%s: centralLogDestinationArn = %q, want the central stack's destination in %s", name, d, reg)
				}
				vpcs, _ := outs["memberVpcs"].Value.(map[string]any)
				skipped, _ := vpcs["skipped"].([]any)
				reason := ""
				if len(skipped) == 1 {
					sk, _ := skipped[0].(map[string]any)
					if sk["id"] == vpcID(a, reg, 2) {
						reason, _ = sk["reason"].(string)
					}
				}
				if fmt.Sprint(vpcs["found"]) != fmt.Sprint([]any{vpcID(a, reg, 1), vpcID(a, reg, 2)}) ||
					fmt.Sprint(vpcs["monitored"]) != fmt.Sprint([]any{vpcID(a, reg, 1)}) ||
					!strings.Contains(reason, "already has 1 flow log(s) of another owner (fl-") {
					t.Errorf("%s: memberVpcs = %v, want both VPCs found, the workload VPC monitored and the sandbox VPC skipped for its flow log", name, vpcs)
				}
			}
		}
	})

	// The members' own flow logs are now in the fake cloud and in
	// DescribeFlowLogs's answer: they must not count against the VPC's
	// room, or the workload VPC would be dropped.
	step("second preview: no changes anywhere", func(t *testing.T) {
		before := len(provider.Ops())
		succeeded(t, fh.run(ctx, fleet.Preview, false), all, unchanged)
		if n := len(provider.Ops()) - before; n != 0 {
			t.Errorf("the preview changed the fake cloud: %d operations", n)
		}
	})

	step("refresh: the fake cloud matches the state", func(t *testing.T) {
		before := len(provider.Ops())
		succeeded(t, fh.run(ctx, fleet.Refresh, false), all, func(t *testing.T, r fleet.Result) {
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
		succeeded(t, res, all, func(t *testing.T, r fleet.Result) {
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
			if stackOf(op.URN) != gone || op.Kind != "delete" || op.Account != account[gone] || op.Region != region[gone] {
				t.Errorf("destroying %s: %s of %s in %s %s", gone, op.Kind, op.URN, op.Account, op.Region)
			}
		}
		// A member keeps nothing: its S3 flow logs deliver into the
		// central bucket, which stays.
		for _, r := range provider.Live() {
			if stackOf(r.URN) == gone {
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
		want := slices.DeleteFunc(slices.Clone(all), func(n string) bool { return n == gone })
		slices.Sort(want)
		if !slices.Equal(names, want) {
			t.Errorf("the backend holds stacks %v, want %v (%s removed)", names, want, gone)
		}
		// The others, the central stack first, still preview with no
		// changes: nothing of the central stack depended on the member.
		res = fh.run(ctx, fleet.Preview, false, want...)
		succeeded(t, res, want, func(t *testing.T, r fleet.Result) {
			if fleet.Changed(r.Changes) {
				t.Errorf("%s: %s after another member was removed", r.Stack.Name, fleet.FormatChanges(r.Changes))
			}
		})
	})
}
