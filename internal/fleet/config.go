package fleet

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// Settings is the Pulumi.<stack>.yaml the fleet writes into a stack's work
// directory: the secrets settings (kept from the stack file, else from the
// previous run, so secrets stay decryptable) and the composed config.
type Settings struct {
	SecretsProvider string         `yaml:"secretsprovider,omitempty"`
	EncryptedKey    string         `yaml:"encryptedkey,omitempty"`
	EncryptionSalt  string         `yaml:"encryptionsalt,omitempty"`
	Config          map[string]any `yaml:"config"`
}

func (st *Settings) hasSecrets() bool {
	return st.SecretsProvider != "" || st.EncryptedKey != "" || st.EncryptionSalt != ""
}

func readSettings(path string) (*Settings, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var st Settings
	if err := yaml.Unmarshal(b, &st); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &st, nil
}

// StackFilePath is the project stack file the stack's config starts from, or
// "" when there is none.
func (f *File) StackFilePath(s *Stack) (string, error) {
	if s.StackFile != "" {
		p := filepath.Join(f.ProjectDir(), s.StackFile)
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("stack %s: stackFile: %w", s.Name, err)
		}
		return p, nil
	}
	p := filepath.Join(f.ProjectDir(), "Pulumi."+s.Name+".yaml")
	if _, err := os.Stat(p); err == nil {
		return p, nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return "", err
	}
	return "", nil
}

// Settings composes the stack's Pulumi.<stack>.yaml: the stack file's
// config, the fleet's config, the stack's config, then the keys the fleet
// sets from the stack's fields (region, role, assumed role, account, and a
// member's centralStack). backend is the backend URL (BackendURL).
func (f *File) Settings(s *Stack, backend string) (*Settings, error) {
	out := &Settings{Config: map[string]any{}}
	base, err := f.StackFilePath(s)
	if err != nil {
		return nil, err
	}
	var baseCfg map[string]any
	if base != "" {
		st, err := readSettings(base)
		if err != nil {
			return nil, err
		}
		out.SecretsProvider, out.EncryptedKey, out.EncryptionSalt = st.SecretsProvider, st.EncryptedKey, st.EncryptionSalt
		baseCfg = st.Config
	}
	for _, m := range []map[string]any{baseCfg, f.Config, s.Config} {
		for k, v := range m {
			out.Config[fullKey(f.ProjectName, k)] = v
		}
	}

	managed := map[string]any{
		"aws:region":                        s.Region,
		fullKey(f.ProjectName, "stackRole"): string(s.RoleOf()),
	}
	if s.AssumeRole != nil {
		ar := map[string]any{"roleArn": s.AssumeRole.RoleArn}
		for k, v := range map[string]string{"sessionName": s.AssumeRole.SessionName, "externalId": s.AssumeRole.ExternalID, "duration": s.AssumeRole.Duration} {
			if v != "" {
				ar[k] = v
			}
		}
		managed["aws:assumeRole"] = ar
	}
	if a := s.AccountID(); a != "" {
		managed["aws:allowedAccountIds"] = []any{a}
	}
	for k, v := range managed {
		if old, ok := lookup(baseCfg, f.ProjectName, k); ok && !sameValue(old, v) {
			return nil, fmt.Errorf("stack %s: %s sets %s to %v, the fleet file to %v; allowed: the same value or none in the stack file",
				s.Name, filepath.Base(base), k, old, v)
		}
		out.Config[k] = v
	}

	if s.RoleOf() == Member {
		key := fullKey(f.ProjectName, "centralStack")
		if _, ok := out.Config[key]; !ok {
			c := f.CentralOf(s)
			if c == nil {
				return nil, fmt.Errorf("stack %s: a member needs a central stack; allowed: a central stack in the fleet, or %s in the member's config", s.Name, key)
			}
			ref := f.ReferenceName(c, backend)
			if ref == "" {
				return nil, fmt.Errorf("stack %s: the stack reference of central stack %s needs the Pulumi Cloud organization; allowed: organization in the fleet file, or %s in the member's config", s.Name, c.Name, key)
			}
			out.Config[key] = ref
		}
	}
	return out, nil
}

// sameValue compares config values the way YAML reads them.
func sameValue(a, b any) bool {
	ab, err1 := yaml.Marshal(a)
	bb, err2 := yaml.Marshal(b)
	if err1 != nil || err2 != nil {
		return reflect.DeepEqual(a, b)
	}
	return string(ab) == string(bb)
}

// WriteSettings writes the stack's Pulumi.<name>.yaml into dir. Secrets
// settings the stack file does not carry are kept from the file already in
// dir (written by `pulumi stack init` on an earlier run).
func WriteSettings(dir string, s *Stack, st *Settings) error {
	path := filepath.Join(dir, "Pulumi."+s.Name+".yaml")
	if !st.hasSecrets() {
		if old, err := readSettings(path); err == nil {
			st.SecretsProvider, st.EncryptedKey, st.EncryptionSalt = old.SecretsProvider, old.EncryptedKey, old.EncryptionSalt
		} else if !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	b, err := yaml.Marshal(st)
	if err != nil {
		return err
	}
	header := "# Written by cmd/fleet from the fleet file on every run; edit the fleet file, not this.\n"
	return os.WriteFile(path, append([]byte(header), b...), 0o644)
}

// Preflight composes every stack's config (Settings) and checks what only
// the whole fleet can tell, before any stack runs: each member's region is
// one its central stack serves (memberRegions; empty means the central
// stack's own region) and, where the central stack lists its members'
// accounts (memberAccountIds), the member's account is listed or is the
// central stack's own. A member
// outside them would fail at deploy time or, worse, deliver nowhere.
func Preflight(f *File, backend string) error {
	var errs []string
	settings := map[*Stack]*Settings{}
	for _, s := range f.Stacks {
		st, err := f.Settings(s, backend)
		if err != nil {
			errs = append(errs, err.Error())
			continue
		}
		settings[s] = st
	}
	for _, m := range f.Stacks {
		c := f.CentralOf(m)
		if c == nil || settings[c] == nil {
			continue
		}
		cfg := settings[c].Config
		regionsKey, accountsKey := fullKey(f.ProjectName, "memberRegions"), fullKey(f.ProjectName, "memberAccountIds")
		regions := stringList(cfg[regionsKey])
		if len(regions) == 0 {
			regions = []string{c.Region}
		}
		if !slices.Contains(regions, m.Region) {
			errs = append(errs, fmt.Sprintf("stack %s (region %s) delivers to central stack %s, which serves %s; allowed: a region of %s's %s (add %s to it)",
				m.Name, m.Region, c.Name, strings.Join(regions, ", "), c.Name, regionsKey, m.Region))
		}
		// The central stack admits its own account whether or not the list
		// names it (its bucket and destinations add it), so a member of the
		// central account needs no entry.
		if accounts := stringList(cfg[accountsKey]); len(accounts) > 0 && m.AccountID() != "" && m.AccountID() != c.AccountID() && !slices.Contains(accounts, m.AccountID()) {
			errs = append(errs, fmt.Sprintf("stack %s (account %s) delivers to central stack %s, whose %s lists %s; allowed: an account of that list (add %s to it)",
				m.Name, m.AccountID(), c.Name, accountsKey, strings.Join(accounts, ", "), m.AccountID()))
		}
	}
	errs = append(errs, chatbotChannelClashes(f, settings)...)
	if len(errs) > 0 {
		return fmt.Errorf("fleet preflight:\n  %s", strings.Join(errs, "\n  "))
	}
	return nil
}

// chatbotChannelClashes reports Slack channels that two or more stacks of
// one account configure in chatbot mode: AWS Chatbot takes one channel
// configuration per Slack channel and account, and refuses the second
// ("Slack channel with ID ... has already been configured for AWS
// account", InvalidRequestException). Stacks whose account the fleet file
// does not name are not compared.
func chatbotChannelClashes(f *File, settings map[*Stack]*Settings) []string {
	type channel struct{ account, workspace, channel string }
	byChannel := map[channel][]string{}
	var order []channel
	for _, s := range f.Stacks {
		st := settings[s]
		if st == nil || s.AccountID() == "" {
			continue
		}
		get := func(key string) string { v, _ := st.Config[fullKey(f.ProjectName, key)].(string); return v }
		if get("slackMode") != "chatbot" || get("slackChannelId") == "" {
			continue
		}
		k := channel{s.AccountID(), get("slackWorkspaceId"), get("slackChannelId")}
		if byChannel[k] == nil {
			order = append(order, k)
		}
		byChannel[k] = append(byChannel[k], s.Name)
	}
	var errs []string
	for _, k := range order {
		if names := byChannel[k]; len(names) > 1 {
			errs = append(errs, fmt.Sprintf("stacks %s (account %s) all set %s chatbot for Slack channel %s of workspace %s; AWS Chatbot takes one configuration per channel and account and refuses the others; allowed: one chatbot stack per channel and account (give the others another %s, or %s webhook)",
				strings.Join(names, ", "), k.account, fullKey(f.ProjectName, "slackMode"), k.channel, k.workspace, fullKey(f.ProjectName, "slackChannelId"), fullKey(f.ProjectName, "slackMode")))
		}
	}
	return errs
}

// stringList reads a config list of strings.
func stringList(v any) []string {
	l, _ := v.([]any)
	var out []string
	for _, e := range l {
		if s, ok := e.(string); ok {
			out = append(out, s)
		}
	}
	return out
}
