// Package fleet drives many stacks of the project from one fleet file: which
// stacks exist (name, role, AWS account and region, the role the aws provider
// assumes there) and their config. It runs preview, up, refresh and destroy
// over them with the Pulumi Automation API, a bounded number at a time, the
// central stack before its members (members before the central stack on
// destroy), one failing stack never stopping the others (docs/fleet.md).
//
// The file format is in this file, the order and bound in schedule.go, the
// Automation API runner in auto.go and the progress display and result table
// in display.go; cmd/fleet is the command.
package fleet

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// Role is what a stack is in the organization; the values of the project's
// stackRole config key (internal/stackconfig).
type Role string

// The stack roles.
const (
	Standalone Role = "standalone"
	Central    Role = "central"
	Member     Role = "member"
)

// Roles lists the roles a fleet file may name.
var Roles = []Role{Standalone, Central, Member}

// File is a fleet file.
type File struct {
	// Project is the directory holding Pulumi.yaml, relative to the fleet
	// file; "" is the fleet file's directory.
	Project string `yaml:"project,omitempty"`
	// Backend is the state backend URL (file://..., https://api.pulumi.com);
	// "" uses PULUMI_BACKEND_URL, else the backend `pulumi login` chose.
	Backend string `yaml:"backend,omitempty"`
	// Organization is the Pulumi Cloud organization the stacks live in: stack
	// names become <organization>/<project>/<name>.
	Organization string `yaml:"organization,omitempty"`
	// SecretsProvider is passed to `pulumi stack init` (passphrase,
	// awskms://..., ...); "" is the backend's default.
	SecretsProvider string `yaml:"secretsProvider,omitempty"`
	// WorkDir is where the per-stack work directories live, relative to the
	// project directory; "" is .build/fleet.
	WorkDir string `yaml:"workDir,omitempty"`
	// Parallel is how many stacks run at once unless --parallel says otherwise.
	Parallel int `yaml:"parallel,omitempty"`
	// Config is set on every stack (a stack's own config wins).
	Config map[string]any `yaml:"config,omitempty"`
	// Stacks are the stacks of the fleet.
	Stacks []*Stack `yaml:"stacks,omitempty"`

	// Path is the fleet file the File was read from ("" if built in code).
	Path string `yaml:"-"`
	// ProjectName is the name in Pulumi.yaml (set by Load, or by the caller).
	ProjectName string `yaml:"-"`
}

// Stack is one stack of the fleet.
type Stack struct {
	// Name is the stack name (without organization and project).
	Name string `yaml:"name,omitempty"`
	// Role is standalone (default), central or member.
	Role Role `yaml:"role,omitempty"`
	// Account is the 12-digit AWS account id the stack deploys into; "" takes
	// it from AssumeRole's role ARN. When known, the aws provider refuses
	// credentials of any other account (aws:allowedAccountIds).
	Account string `yaml:"account,omitempty"`
	// Region is the AWS region (aws:region).
	Region string `yaml:"region,omitempty"`
	// AssumeRole is the role the aws provider assumes (aws:assumeRole).
	AssumeRole *AssumeRole `yaml:"assumeRole,omitempty"`
	// StackFile is a Pulumi.<stack>.yaml of the project directory whose
	// config (and secrets settings) the stack starts from; "" uses
	// Pulumi.<name>.yaml when it exists.
	StackFile string `yaml:"stackFile,omitempty"`
	// Central is the fleet stack a member delivers to; "" is the fleet's only
	// central stack. The member's centralStack config is set from it unless
	// the member's config sets centralStack itself.
	Central string `yaml:"central,omitempty"`
	// Config overrides the fleet's and the stack file's config.
	Config map[string]any `yaml:"config,omitempty"`
}

// AssumeRole is the aws provider's assumeRole configuration (pulumi-aws v6:
// the aws:assumeRole config object, sdk/go/aws/config AssumeRole;
// https://www.pulumi.com/registry/packages/aws/how-to-guides/aws-go-assume-role/).
type AssumeRole struct {
	RoleArn     string `yaml:"roleArn"`
	SessionName string `yaml:"sessionName,omitempty"`
	ExternalID  string `yaml:"externalId,omitempty"`
	Duration    string `yaml:"duration,omitempty"`
}

// UnmarshalYAML accepts a role ARN string as shorthand for {roleArn: ...}.
func (a *AssumeRole) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		a.RoleArn = n.Value
		return nil
	}
	type plain AssumeRole
	var p plain
	if err := decodeStrict(n, &p); err != nil {
		return err
	}
	*a = AssumeRole(p)
	return nil
}

func decodeStrict(n *yaml.Node, v any) error {
	b, err := yaml.Marshal(n)
	if err != nil {
		return err
	}
	d := yaml.NewDecoder(bytes.NewReader(b))
	d.KnownFields(true)
	return d.Decode(v)
}

// FieldDoc documents one field of the fleet file (docs/fleet.md shows the
// table; a test keeps it in step with the yaml tags of File and Stack).
type FieldDoc struct {
	Path, Type, Default, Description string
}

// Reference is the fleet file reference.
var Reference = []FieldDoc{
	{"project", "string", "the fleet file's directory", "Directory holding Pulumi.yaml, relative to the fleet file."},
	{"backend", "string", "`PULUMI_BACKEND_URL`, else the backend of `pulumi login`", "State backend URL: `file://<dir>` (relative to the fleet file), `s3://...`, `https://api.pulumi.com`."},
	{"organization", "string", "none", "Pulumi Cloud organization: stack names become `<organization>/<project>/<name>`. On a self-managed backend leave it out (or `organization`)."},
	{"secretsProvider", "string", "the backend's default", "Secrets provider of new stacks (`passphrase`, `awskms://...`); a passphrase comes from `PULUMI_CONFIG_PASSPHRASE`."},
	{"workDir", "string", "`.build/fleet`", "Per-stack work directories (a copy of Pulumi.yaml and the generated Pulumi.<stack>.yaml, the log of each run), relative to the project."},
	{"parallel", "integer", "4", "How many stacks run at once (`--parallel` overrides)."},
	{"config", "map", "none", "Config set on every stack; keys without a namespace get the project's (`architectures` is `vpc-flow-logs:architectures`)."},
	{"stacks", "list", "required", "The stacks."},
	{"stacks[].name", "string", "required", "Stack name, unique in the fleet."},
	{"stacks[].role", "string", "`standalone`", "`standalone`, `central` or `member`; sets `vpc-flow-logs:stackRole`."},
	{"stacks[].account", "string", "the account of `assumeRole.roleArn`", "12-digit AWS account id; sets `aws:allowedAccountIds`, so the provider refuses credentials of another account."},
	{"stacks[].region", "string", "required", "AWS region; sets `aws:region`."},
	{"stacks[].assumeRole", "string or map", "none (the caller's credentials)", "Role the aws provider assumes: a role ARN, or `{roleArn, sessionName, externalId, duration}`; sets `aws:assumeRole`."},
	{"stacks[].stackFile", "string", "`Pulumi.<name>.yaml` if it exists", "Stack file of the project directory the stack's config starts from (its secrets settings too)."},
	{"stacks[].central", "string", "the fleet's only central stack", "Member only: the central stack of the fleet it delivers to; sets `vpc-flow-logs:centralStack` unless the member's config does."},
	{"stacks[].config", "map", "none", "Config of this stack, over the fleet's `config` and the stack file."},
}

var (
	nameRe    = regexp.MustCompile(`^[A-Za-z0-9_.-]+$`)
	accountRe = regexp.MustCompile(`^[0-9]{12}$`)
	regionRe  = regexp.MustCompile(`^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-[0-9]$`)
	// An IAM role ARN: arn:<partition>:iam::<account>:role/<path/name>
	// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html).
	roleArnRe = regexp.MustCompile(`^arn:aws[a-z-]*:iam::([0-9]{12}):role/[\w+=,.@/-]+$`)
)

// Load reads and validates a fleet file and the Pulumi.yaml it names.
func Load(path string) (*File, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	f, err := Parse(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	f.Path = path
	proj, err := readProjectName(f.ProjectDir())
	if err != nil {
		return nil, fmt.Errorf("%s: project %s: %w", path, f.ProjectDir(), err)
	}
	f.ProjectName = proj
	if err := f.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return f, nil
}

// Parse decodes a fleet file, refusing unknown fields.
func Parse(b []byte) (*File, error) {
	var f File
	d := yaml.NewDecoder(bytes.NewReader(b))
	d.KnownFields(true)
	if err := d.Decode(&f); err != nil {
		return nil, err
	}
	return &f, nil
}

func readProjectName(dir string) (string, error) {
	b, err := os.ReadFile(filepath.Join(dir, "Pulumi.yaml"))
	if err != nil {
		return "", err
	}
	var p struct {
		Name string `yaml:"name"`
	}
	if err := yaml.Unmarshal(b, &p); err != nil {
		return "", err
	}
	if p.Name == "" {
		return "", fmt.Errorf("Pulumi.yaml has no name")
	}
	return p.Name, nil
}

// ProjectDir is the directory holding Pulumi.yaml.
func (f *File) ProjectDir() string {
	base := "."
	if f.Path != "" {
		base = filepath.Dir(f.Path)
	}
	if f.Project == "" {
		return base
	}
	if filepath.IsAbs(f.Project) {
		return f.Project
	}
	return filepath.Join(base, f.Project)
}

// WorkRoot is the directory of the per-stack work directories.
func (f *File) WorkRoot() string {
	w := f.WorkDir
	if w == "" {
		w = filepath.Join(".build", "fleet")
	}
	if filepath.IsAbs(w) {
		return w
	}
	return filepath.Join(f.ProjectDir(), w)
}

// BackendURL is the backend the stacks live in: the fleet file's, else
// PULUMI_BACKEND_URL (getenv), else "" (the CLI's logged-in backend). A
// relative file:// path is relative to the fleet file.
func (f *File) BackendURL(getenv func(string) string) string {
	u := f.Backend
	if u == "" {
		return getenv("PULUMI_BACKEND_URL")
	}
	if rest, ok := strings.CutPrefix(u, "file://"); ok && rest != "" && !filepath.IsAbs(rest) && !strings.HasPrefix(rest, "~") {
		base := "."
		if f.Path != "" {
			base = filepath.Dir(f.Path)
		}
		if abs, err := filepath.Abs(filepath.Join(base, rest)); err == nil {
			return "file://" + filepath.ToSlash(abs)
		}
	}
	return u
}

// selfManaged reports whether a backend URL is a self-managed (DIY) backend,
// where the organization of every stack is "organization"
// (https://www.pulumi.com/docs/iac/concepts/state-and-backends/).
func selfManaged(url string) bool {
	for _, p := range []string{"file://", "s3://", "azblob://", "gs://", "postgres://"} {
		if strings.HasPrefix(url, p) {
			return true
		}
	}
	return false
}

// QualifiedName is the name the backend knows the stack by: with an
// organization, <organization>/<project>/<name>.
func (f *File) QualifiedName(s *Stack) string {
	if f.Organization == "" {
		return s.Name
	}
	return f.Organization + "/" + f.ProjectName + "/" + s.Name
}

// ReferenceName is the stack reference other stacks use for s
// (<organization>/<project>/<name>; organization is "organization" on a
// self-managed backend).
func (f *File) ReferenceName(s *Stack, backend string) string {
	org := f.Organization
	if org == "" && selfManaged(backend) {
		org = "organization"
	}
	if org == "" {
		return ""
	}
	return org + "/" + f.ProjectName + "/" + s.Name
}

// Stack returns the stack named name, or nil.
func (f *File) Stack(name string) *Stack {
	for _, s := range f.Stacks {
		if s.Name == name {
			return s
		}
	}
	return nil
}

// RoleOf is the stack's role (standalone when unset).
func (s *Stack) RoleOf() Role {
	if s.Role == "" {
		return Standalone
	}
	return s.Role
}

// AccountID is the stack's account: Account, else the account of the
// assumed role's ARN, else "".
func (s *Stack) AccountID() string {
	if s.Account != "" {
		return s.Account
	}
	if s.AssumeRole != nil {
		if m := roleArnRe.FindStringSubmatch(s.AssumeRole.RoleArn); m != nil {
			return m[1]
		}
	}
	return ""
}

// CentralOf is the fleet's central stack a member delivers to, or nil.
func (f *File) CentralOf(s *Stack) *Stack {
	if s.RoleOf() != Member {
		return nil
	}
	if s.Central != "" {
		return f.Stack(s.Central)
	}
	var central *Stack
	for _, c := range f.Stacks {
		if c.RoleOf() == Central {
			if central != nil {
				return nil // ambiguous; Validate refuses it
			}
			central = c
		}
	}
	return central
}

// Validate checks the fleet file; the error names every problem with the
// stack, the field, the value and what is allowed.
func (f *File) Validate() error {
	var errs []string
	fail := func(where, format string, args ...any) {
		errs = append(errs, where+": "+fmt.Sprintf(format, args...))
	}
	if f.Parallel < 0 {
		fail("parallel", "%d; allowed: a positive number (0 or unset is 4)", f.Parallel)
	}
	if len(f.Stacks) == 0 {
		fail("stacks", "empty; allowed: a list of at least one stack")
	}
	var centrals []string
	for _, s := range f.Stacks {
		if s.RoleOf() == Central {
			centrals = append(centrals, s.Name)
		}
	}
	seen := map[string]bool{}
	for i, s := range f.Stacks {
		where := fmt.Sprintf("stacks[%d]", i)
		if s == nil {
			fail(where, "empty entry")
			continue
		}
		if s.Name != "" {
			where = fmt.Sprintf("stacks[%d] (%s)", i, s.Name)
		}
		switch {
		case s.Name == "":
			fail(where+".name", "missing; allowed: letters, digits, _ . - (not first: .)")
		case !nameRe.MatchString(s.Name) || strings.HasPrefix(s.Name, "."):
			fail(where+".name", "%q; allowed: letters, digits, _ . - (not first: .)", s.Name)
		case seen[s.Name]:
			fail(where+".name", "%q appears twice; allowed: each name once", s.Name)
		}
		seen[s.Name] = true
		if !slices.Contains(Roles, s.RoleOf()) {
			fail(where+".role", "%q; allowed: standalone, central, member", s.Role)
		}
		if !regionRe.MatchString(s.Region) {
			fail(where+".region", "%q; allowed: an AWS region such as eu-west-1", s.Region)
		}
		if s.Account != "" && !accountRe.MatchString(s.Account) {
			fail(where+".account", "%q; allowed: a 12-digit AWS account id", s.Account)
		}
		if s.AssumeRole != nil {
			m := roleArnRe.FindStringSubmatch(s.AssumeRole.RoleArn)
			switch {
			case m == nil:
				fail(where+".assumeRole.roleArn", "%q; allowed: an IAM role ARN arn:aws:iam::<account>:role/<name>", s.AssumeRole.RoleArn)
			case s.Account != "" && m[1] != s.Account:
				fail(where+".assumeRole.roleArn", "%q is a role of account %s, but account is %s; allowed: a role of the stack's account", s.AssumeRole.RoleArn, m[1], s.Account)
			}
		}
		if s.Central != "" {
			c := f.Stack(s.Central)
			switch {
			case s.RoleOf() != Member:
				fail(where+".central", "%q on a %s stack; allowed: only on a member stack", s.Central, s.RoleOf())
			case c == nil:
				fail(where+".central", "%q is not a stack of the fleet; allowed: one of %s", s.Central, listOrNone(centrals))
			case c.RoleOf() != Central:
				fail(where+".central", "%q is a %s stack; allowed: a central stack (%s)", s.Central, c.RoleOf(), listOrNone(centrals))
			}
		} else if s.RoleOf() == Member && len(centrals) > 1 {
			fail(where+".central", "unset with %d central stacks in the fleet; allowed: one of %s", len(centrals), strings.Join(centrals, ", "))
		}
		for _, k := range managedKeys {
			if _, ok := lookup(s.Config, f.ProjectName, k.key); ok {
				fail(where+".config", "sets %s; allowed: set it with the stack's %s field", fullKey(f.ProjectName, k.key), k.field)
			}
		}
	}
	for _, k := range managedKeys {
		if _, ok := lookup(f.Config, f.ProjectName, k.key); ok {
			fail("config", "sets %s for every stack; allowed: set it with each stack's %s field", fullKey(f.ProjectName, k.key), k.field)
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("invalid fleet file:\n  %s", strings.Join(errs, "\n  "))
	}
	return nil
}

func listOrNone(names []string) string {
	if len(names) == 0 {
		return "(the fleet has no central stack)"
	}
	return strings.Join(names, ", ")
}

// managedKeys are the config keys the fleet sets from a stack's fields; a
// config block may not set them too.
var managedKeys = []struct{ key, field string }{
	{"aws:region", "region"},
	{"aws:assumeRole", "assumeRole"},
	{"aws:allowedAccountIds", "account"},
	{"stackRole", "role"},
}

// fullKey namespaces a key without one with the project name.
func fullKey(project, k string) string {
	if strings.Contains(k, ":") {
		return k
	}
	return project + ":" + k
}

// lookup finds key (namespaced or not) in a config map.
func lookup(m map[string]any, project, key string) (any, bool) {
	want := fullKey(project, key)
	for k, v := range m {
		if fullKey(project, k) == want {
			return v, true
		}
	}
	return nil, false
}

// ReferenceTable renders Reference as the Markdown table of docs/fleet.md.
func ReferenceTable() string {
	var b strings.Builder
	b.WriteString("| Field | Type | Default | Meaning |\n|---|---|---|---|\n")
	for _, d := range Reference {
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", d.Path, d.Type, d.Default, d.Description)
	}
	return b.String()
}
