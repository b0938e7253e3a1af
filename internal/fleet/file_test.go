package fleet

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// project writes a Pulumi.yaml (and stack files) into a temporary directory
// and returns it.
func project(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	files["Pulumi.yaml"] = "name: vpc-flow-logs\nruntime: go\n"
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func load(t *testing.T, dir, body string) (*File, error) {
	t.Helper()
	p := filepath.Join(dir, "fleet.yaml")
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return Load(p)
}

const validFleet = `
backend: file://state
stacks:
  - name: central
    role: central
    region: eu-west-1
    assumeRole: arn:aws:iam::999999999999:role/flowlogs-deployer
    config:
      organizationId: o-abcdefghij
  - name: member-a-eu
    role: member
    region: eu-west-1
    assumeRole:
      roleArn: arn:aws:iam::111111111111:role/flowlogs-deployer
      sessionName: fleet
    config:
      vpc-flow-logs:vpcIds: [vpc-0123456789abcdef0]
`

func TestLoadValidFleet(t *testing.T) {
	dir := project(t, map[string]string{})
	f, err := load(t, dir, validFleet)
	if err != nil {
		t.Fatal(err)
	}
	if f.ProjectName != "vpc-flow-logs" || len(f.Stacks) != 2 {
		t.Fatalf("loaded %+v", f)
	}
	m := f.Stack("member-a-eu")
	if m.AccountID() != "111111111111" || m.AssumeRole.SessionName != "fleet" || f.CentralOf(m) != f.Stack("central") {
		t.Errorf("member %+v", m)
	}
	if got, want := f.BackendURL(func(string) string { return "file:///elsewhere" }), "file://"+filepath.ToSlash(filepath.Join(dir, "state")); got != want {
		t.Errorf("backend %q, want %q (relative to the fleet file, over PULUMI_BACKEND_URL)", got, want)
	}
	f.Backend = ""
	if got := f.BackendURL(func(string) string { return "file:///elsewhere" }); got != "file:///elsewhere" {
		t.Errorf("backend without a fleet backend = %q, want PULUMI_BACKEND_URL", got)
	}
	if f.WorkRoot() != filepath.Join(dir, ".build", "fleet") {
		t.Errorf("work root %s", f.WorkRoot())
	}
}

func TestValidateNamesEveryProblem(t *testing.T) {
	dir := project(t, map[string]string{})
	_, err := load(t, dir, `
parallel: -1
config:
  aws:region: us-east-1
stacks:
  - name: c1
    role: central
    region: eu-west-1
  - name: c2
    role: central
    region: eu-west-1
  - name: c1
    role: leader
    region: Europe
    account: "12345"
  - name: m
    role: member
    region: us-east-1
    account: "111111111111"
    assumeRole: arn:aws:iam::222222222222:role/x
    config:
      stackRole: central
  - name: s
    region: us-east-1
    central: c1
  - name: ..
    region: eu-west-1
  - name: bad/name
    role: member
    region: us-east-1
    central: s
    assumeRole: {roleArn: "not-an-arn"}
`)
	if err == nil {
		t.Fatal("invalid fleet file accepted")
	}
	for _, want := range []string{
		"parallel: -1; allowed: a positive number",
		`stacks[2] (c1).name: "c1" appears twice`,
		`stacks[2] (c1).role: "leader"; allowed: standalone, central, member`,
		`stacks[2] (c1).region: "Europe"; allowed: an AWS region`,
		`stacks[2] (c1).account: "12345"; allowed: a 12-digit AWS account id`,
		`stacks[3] (m).assumeRole.roleArn: "arn:aws:iam::222222222222:role/x" is a role of account 222222222222, but account is 111111111111`,
		`stacks[3] (m).central: unset with 2 central stacks in the fleet; allowed: one of c1, c2`,
		`stacks[3] (m).config: sets vpc-flow-logs:stackRole; allowed: set it with the stack's role field`,
		`stacks[4] (s).central: "c1" on a standalone stack; allowed: only on a member stack`,
		`stacks[5] (..).name: ".."; allowed: letters, digits, _ . - (not first: .)`,
		`stacks[6] (bad/name).name: "bad/name"; allowed: letters, digits, _ . -`,
		`stacks[6] (bad/name).assumeRole.roleArn: "not-an-arn"; allowed: an IAM role ARN`,
		`stacks[6] (bad/name).central: "s" is a standalone stack; allowed: a central stack (c1, c2)`,
		`config: sets aws:region for every stack; allowed: set it with each stack's region field`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
}

func TestParseRefusesUnknownFields(t *testing.T) {
	for _, body := range []string{
		"stacks: [{name: a, region: eu-west-1, regoin: x}]",
		"stack: []",
		"stacks: [{name: a, region: eu-west-1, assumeRole: {roleArn: x, rolearn: y}}]",
	} {
		if _, err := Parse([]byte(body)); err == nil || !strings.Contains(err.Error(), "not found in type") {
			t.Errorf("Parse(%q) = %v, want an unknown-field error", body, err)
		}
	}
}

func TestSettingsComposesConfig(t *testing.T) {
	dir := project(t, map[string]string{
		"Pulumi.central.yaml": "encryptionsalt: v1:abc\nconfig:\n  vpc-flow-logs:architectures: [s3-athena]\n  vpc-flow-logs:trafficType: REJECT\n  vpc-flow-logs:slackWebhookUrl:\n    secure: AAAB\n",
	})
	f, err := load(t, dir, validFleet+`
config:
  trafficType: ALL
  vpc-flow-logs:tags: {owner: secops}
`)
	if err != nil {
		t.Fatal(err)
	}
	backend := f.BackendURL(os.Getenv)
	st, err := f.Settings(f.Stack("central"), backend)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"aws:region":                    "eu-west-1",
		"aws:assumeRole":                map[string]any{"roleArn": "arn:aws:iam::999999999999:role/flowlogs-deployer"},
		"aws:allowedAccountIds":         []any{"999999999999"},
		"vpc-flow-logs:stackRole":       "central",
		"vpc-flow-logs:architectures":   []any{"s3-athena"},
		"vpc-flow-logs:trafficType":     "ALL", // the fleet's config over the stack file
		"vpc-flow-logs:slackWebhookUrl": map[string]any{"secure": "AAAB"},
		"vpc-flow-logs:tags":            map[string]any{"owner": "secops"},
		"vpc-flow-logs:organizationId":  "o-abcdefghij",
	}
	if !reflect.DeepEqual(st.Config, want) {
		t.Errorf("central config\n got %#v\nwant %#v", st.Config, want)
	}
	if st.EncryptionSalt != "v1:abc" {
		t.Errorf("the stack file's encryption salt was not kept: %+v", st)
	}

	m, err := f.Settings(f.Stack("member-a-eu"), backend)
	if err != nil {
		t.Fatal(err)
	}
	if got := m.Config["vpc-flow-logs:centralStack"]; got != "organization/vpc-flow-logs/central" {
		t.Errorf("member centralStack on a file backend = %v", got)
	}
	if got := m.Config["aws:assumeRole"]; !reflect.DeepEqual(got, map[string]any{"roleArn": "arn:aws:iam::111111111111:role/flowlogs-deployer", "sessionName": "fleet"}) {
		t.Errorf("member assumeRole = %v", got)
	}

	f.Organization = "acme"
	if got := f.QualifiedName(f.Stack("central")); got != "acme/vpc-flow-logs/central" {
		t.Errorf("qualified name %s", got)
	}
	m, _ = f.Settings(f.Stack("member-a-eu"), "https://api.pulumi.com")
	if got := m.Config["vpc-flow-logs:centralStack"]; got != "acme/vpc-flow-logs/central" {
		t.Errorf("member centralStack on Pulumi Cloud = %v", got)
	}
	f.Organization = ""
	if _, err := f.Settings(f.Stack("member-a-eu"), "https://api.pulumi.com"); err == nil || !strings.Contains(err.Error(), "needs the Pulumi Cloud organization") {
		t.Errorf("member on Pulumi Cloud without an organization: %v", err)
	}
	f.Stack("member-a-eu").Config["centralStack"] = "acme/vpc-flow-logs/central"
	m, err = f.Settings(f.Stack("member-a-eu"), "https://api.pulumi.com")
	if err != nil || m.Config["vpc-flow-logs:centralStack"] != "acme/vpc-flow-logs/central" {
		t.Errorf("a member's own centralStack wins: %v %v", m, err)
	}
}

func TestSettingsRefusesAStackFileThatDisagrees(t *testing.T) {
	dir := project(t, map[string]string{"Pulumi.central.yaml": "config:\n  aws:region: us-east-1\n"})
	f, err := load(t, dir, validFleet)
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.Settings(f.Stack("central"), "")
	if err == nil || !strings.Contains(err.Error(), "Pulumi.central.yaml sets aws:region to us-east-1, the fleet file to eu-west-1") {
		t.Errorf("err = %v", err)
	}
}

func TestWriteSettingsKeepsTheSaltOfAnEarlierRun(t *testing.T) {
	dir := t.TempDir()
	s := &Stack{Name: "x"}
	path := filepath.Join(dir, "Pulumi.x.yaml")
	// `pulumi stack init` wrote the salt on the first run.
	if err := os.WriteFile(path, []byte("encryptionsalt: v1:salt\nconfig: {}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := WriteSettings(dir, s, &Settings{Config: map[string]any{"aws:region": "eu-west-1"}}); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	var got Settings
	if err := yaml.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	if got.EncryptionSalt != "v1:salt" || got.Config["aws:region"] != "eu-west-1" {
		t.Errorf("written %s", b)
	}
}

// TestReferenceCoversEveryField: docs/fleet.md's table (Reference) names
// every field of the fleet file and nothing else.
func TestReferenceCoversEveryField(t *testing.T) {
	var fields []string
	var walk func(prefix string, typ reflect.Type)
	walk = func(prefix string, typ reflect.Type) {
		for i := range typ.NumField() {
			tag := strings.Split(typ.Field(i).Tag.Get("yaml"), ",")[0]
			if tag == "" || tag == "-" {
				continue
			}
			fields = append(fields, prefix+tag)
			if tag == "stacks" {
				walk(prefix+"stacks[].", reflect.TypeFor[Stack]())
			}
		}
	}
	walk("", reflect.TypeFor[File]())
	var documented []string
	for _, d := range Reference {
		documented = append(documented, d.Path)
	}
	if !reflect.DeepEqual(fields, documented) {
		t.Errorf("Reference documents %v,\nthe fleet file has %v", documented, fields)
	}
}

// TestExampleFleet: examples/fleet.example.yaml loads, validates, and every
// stack's config composes with the project's stack files.
func TestExampleFleet(t *testing.T) {
	f, err := Load(filepath.Join("..", "..", "examples", "fleet.example.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if f.ProjectName != "vpc-flow-logs" {
		t.Errorf("project %q", f.ProjectName)
	}
	roles := map[Role]int{}
	for _, s := range f.Stacks {
		roles[s.RoleOf()]++
		if s.AccountID() == "" {
			t.Errorf("%s has no account", s.Name)
		}
		st, err := f.Settings(s, "https://api.pulumi.com")
		if err != nil {
			t.Errorf("%s: %v", s.Name, err)
			continue
		}
		if s.RoleOf() == Member && st.Config["vpc-flow-logs:centralStack"] != "acme/vpc-flow-logs/central" {
			t.Errorf("%s: centralStack %v", s.Name, st.Config["vpc-flow-logs:centralStack"])
		}
	}
	if roles[Central] != 1 || roles[Member] != 6 {
		t.Errorf("the example has %v stacks by role, want a central stack and 3 accounts x 2 regions of members", roles)
	}
}

func TestPreflight(t *testing.T) {
	dir := project(t, map[string]string{})
	f, err := load(t, dir, `
backend: file://state
stacks:
  - {name: central, role: central, region: eu-west-1, account: "999999999999", config: {memberRegions: [eu-west-1, us-east-1], memberAccountIds: ["111111111111"]}}
  - {name: ok, role: member, region: us-east-1, account: "111111111111"}
  - {name: far, role: member, region: ap-south-1, account: "111111111111"}
  - {name: stranger, role: member, region: eu-west-1, account: "222222222222"}
  - {name: home, role: member, region: eu-west-1, account: "999999999999"}
`)
	if err != nil {
		t.Fatal(err)
	}
	err = Preflight(f, f.BackendURL(os.Getenv))
	if err == nil {
		t.Fatal("preflight accepted members outside the central stack's regions and accounts")
	}
	for _, want := range []string{
		"stack far (region ap-south-1) delivers to central stack central, which serves eu-west-1, us-east-1; allowed: a region of central's vpc-flow-logs:memberRegions (add ap-south-1 to it)",
		"stack stranger (account 222222222222) delivers to central stack central, whose vpc-flow-logs:memberAccountIds lists 111111111111; allowed: an account of that list (add 222222222222 to it)",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("preflight error lacks %q:\n%v", want, err)
		}
	}
	// The central account's own member needs no entry: the central
	// stack admits its own account.
	if strings.Contains(err.Error(), "stack ok ") || strings.Contains(err.Error(), "stack home ") {
		t.Errorf("preflight refused a member the central stack serves:\n%v", err)
	}
	// Without memberRegions, the central stack serves its own region.
	delete(f.Stack("central").Config, "memberRegions")
	f.Stacks = f.Stacks[:2]
	if err := Preflight(f, f.BackendURL(os.Getenv)); err == nil || !strings.Contains(err.Error(), "which serves eu-west-1;") {
		t.Errorf("preflight without memberRegions: %v", err)
	}
	f.Stack("ok").Region = "eu-west-1"
	if err := Preflight(f, f.BackendURL(os.Getenv)); err != nil {
		t.Errorf("preflight of a consistent fleet: %v", err)
	}
}

// TestPreflightRefusesTwoChatbotStacksOnOneChannel: AWS Chatbot refuses a
// second configuration of one Slack channel in one account, so two stacks
// of one account in chatbot mode need two channels; stacks of two
// accounts, or one in webhook mode, may share it.
func TestPreflightRefusesTwoChatbotStacksOnOneChannel(t *testing.T) {
	dir := project(t, map[string]string{})
	f, err := load(t, dir, `
backend: file://state
config: {slackMode: chatbot, slackWorkspaceId: T07EA123LEP, slackChannelId: C07EZ1ABC23}
stacks:
  - {name: dev, region: eu-west-1, account: "111111111111"}
  - {name: prod, region: us-east-1, account: "111111111111"}
  - {name: other, region: eu-west-1, account: "222222222222"}
`)
	if err != nil {
		t.Fatal(err)
	}
	err = Preflight(f, f.BackendURL(os.Getenv))
	want := "stacks dev, prod (account 111111111111) all set vpc-flow-logs:slackMode chatbot for Slack channel C07EZ1ABC23 of workspace T07EA123LEP"
	if err == nil || !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "222222222222") {
		t.Fatalf("preflight: %v\nwant only %q", err, want)
	}
	for name, mutate := range map[string]func(){
		"another channel": func() { f.Stack("prod").Config = map[string]any{"slackChannelId": "C07EZ1ABC24"} },
		"webhook mode":    func() { f.Stack("prod").Config = map[string]any{"slackMode": "webhook"} },
		"another account": func() { f.Stack("prod").Account = "333333333333" },
	} {
		prod := *f.Stack("prod")
		mutate()
		if err := Preflight(f, f.BackendURL(os.Getenv)); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		*f.Stack("prod") = prod
	}
}
