package docgen

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/google/shlex"
	"gopkg.in/yaml.v3"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/stackfile"
)

// QuickStartHeading is the README section whose shell blocks are the
// quick start.
const QuickStartHeading = "## Quick start"

// QuickStartCommands returns the commands of the shell code blocks of the
// README's quick start, each split into words as a POSIX shell would
// (quotes removed, comments dropped, backslash-newline joined).
func QuickStartCommands(readme string) ([][]string, error) {
	readme = "\n" + readme
	i := strings.Index(readme, "\n"+QuickStartHeading+"\n")
	if i < 0 {
		return nil, fmt.Errorf("README.md has no %q section", QuickStartHeading)
	}
	section := readme[i+1+len(QuickStartHeading):]
	if j := strings.Index(section, "\n## "); j >= 0 {
		section = section[:j]
	}
	var cmds [][]string
	in := false
	var pending string
	for _, line := range strings.Split(section, "\n") {
		switch {
		case !in && (line == "```sh" || line == "```bash" || line == "```shell"):
			in = true
			continue
		case in && line == "```":
			in = false
			continue
		case !in:
			continue
		}
		if strings.HasSuffix(line, `\`) {
			pending += strings.TrimSuffix(line, `\`) + " "
			continue
		}
		line, pending = pending+line, ""
		words, err := shlex.Split(line)
		if err != nil {
			return nil, fmt.Errorf("quick start line %q: %w", line, err)
		}
		if len(words) > 0 {
			cmds = append(cmds, words)
		}
	}
	if len(cmds) == 0 {
		return nil, fmt.Errorf("README.md's %q section has no ```sh block", QuickStartHeading)
	}
	return cmds, nil
}

// StackConfig is the config map of a scratch Pulumi.<stack>.yaml that
// `pulumi config set` commands fill, as the CLI would.
type StackConfig struct {
	Project string
	Stack   string
	Config  map[string]any
	project *stackfile.Project
}

// NewStackConfig starts an empty stack file of the project in root.
func NewStackConfig(root, stack string) (*StackConfig, error) {
	p, err := stackfile.LoadProject(root)
	if err != nil {
		return nil, err
	}
	return &StackConfig{Project: p.Name, Stack: stack, Config: map[string]any{}, project: p}, nil
}

// SecretStandIn is what a --secret value becomes in the scratch stack file:
// the shape `pulumi config set --secret` writes (secure: <ciphertext>).
const SecretStandIn = "v1:c2NyYXRjaC1zdGFjay1zdGFuZC1pbg=="

var pathSegment = regexp.MustCompile(`^(?:\.?([A-Za-z_][A-Za-z0-9_-]*)|\[(\d+)\]|\["([^"]+)"\])`)

// Set applies the arguments of one `pulumi config set` (after "set"):
// flags --path, --secret, --plaintext, --type T and --stack/-s S, a key
// (the project namespace is added when it has none) and a value. As the
// CLI documents (https://www.pulumi.com/docs/iac/cli/commands/pulumi_config_set/),
// with --path "true" and "false" become booleans and integers numbers, and
// top-level values are strings unless --type says otherwise.
func (s *StackConfig) Set(args []string) error {
	var path, secret bool
	typ := ""
	var pos []string
	for i := 0; i < len(args); i++ {
		switch a := args[i]; a {
		case "--path":
			path = true
		case "--secret":
			secret = true
		case "--plaintext":
		case "--type", "--stack", "-s":
			if i+1 == len(args) {
				return fmt.Errorf("%s needs a value", a)
			}
			if a == "--type" {
				typ = args[i+1]
			}
			i++
		case "--":
			pos = append(pos, args[i+1:]...)
			i = len(args)
		default:
			if strings.HasPrefix(a, "-") {
				return fmt.Errorf("unknown flag %s", a)
			}
			pos = append(pos, a)
		}
	}
	if len(pos) != 2 {
		return fmt.Errorf("want a key and a value (the quick start must not prompt), got %q", pos)
	}
	key, raw := pos[0], pos[1]
	var v any = raw
	switch typ {
	case "", "string":
		if path && typ == "" {
			if raw == "true" || raw == "false" {
				v = raw == "true"
			} else if n, err := strconv.Atoi(raw); err == nil {
				v = n
			}
		}
	case "int":
		n, err := strconv.Atoi(raw)
		if err != nil {
			return fmt.Errorf("--type int: %q is not an integer", raw)
		}
		v = n
	case "bool":
		b, err := strconv.ParseBool(raw)
		if err != nil {
			return fmt.Errorf("--type bool: %q is not a boolean", raw)
		}
		v = b
	case "float":
		f, err := strconv.ParseFloat(raw, 64)
		if err != nil {
			return fmt.Errorf("--type float: %q is not a number", raw)
		}
		v = f
	default:
		return fmt.Errorf("--type %q is not string, bool, int or float", typ)
	}
	if secret {
		v = map[string]any{"secure": SecretStandIn}
	}
	if !path {
		top := s.full(key)
		if typ == "" && !secret {
			if ck, ok := s.project.Config[strings.TrimPrefix(top, s.Project+":")]; ok && ck.Type != "" && ck.Type != "string" {
				return fmt.Errorf("%s is declared %s in Pulumi.yaml, but `pulumi config set` without --path or --type stores the string %q", top, ck.Type, raw)
			}
		}
		s.Config[top] = v
		return nil
	}
	// The first segment is the (namespaced) key up to the first '.' or '['.
	cut := strings.IndexAny(key, ".[")
	if cut < 0 {
		s.Config[s.full(key)] = v
		return nil
	}
	top, rest := s.full(key[:cut]), key[cut:]
	var segs []any
	for rest != "" {
		m := pathSegment.FindStringSubmatch(rest)
		if m == nil {
			return fmt.Errorf("key %s: cannot parse the path at %q", key, rest)
		}
		switch {
		case m[1] != "":
			segs = append(segs, m[1])
		case m[2] != "":
			n, _ := strconv.Atoi(m[2])
			segs = append(segs, n)
		default:
			segs = append(segs, m[3])
		}
		rest = rest[len(m[0]):]
	}
	nv, err := setPath(s.Config[top], segs, v)
	if err != nil {
		return fmt.Errorf("key %s: %w", key, err)
	}
	s.Config[top] = nv
	return nil
}

func (s *StackConfig) full(k string) string {
	if strings.Contains(k, ":") {
		return k
	}
	return s.Project + ":" + k
}

// setPath sets v at segs inside cur (nil, a map or a list) and returns the
// new value: an index one past the end appends, as the CLI does.
func setPath(cur any, segs []any, v any) (any, error) {
	if len(segs) == 0 {
		return v, nil
	}
	switch seg := segs[0].(type) {
	case int:
		var l []any
		switch c := cur.(type) {
		case nil:
		case []any:
			l = c
		default:
			return nil, fmt.Errorf("index [%d] into a %T", seg, cur)
		}
		if seg > len(l) {
			return nil, fmt.Errorf("index [%d] past the end of a list of %d", seg, len(l))
		}
		var old any
		if seg < len(l) {
			old = l[seg]
		}
		nv, err := setPath(old, segs[1:], v)
		if err != nil {
			return nil, err
		}
		if seg == len(l) {
			return append(l, nv), nil
		}
		l[seg] = nv
		return l, nil
	default:
		name := seg.(string)
		var m map[string]any
		switch c := cur.(type) {
		case nil:
			m = map[string]any{}
		case map[string]any:
			m = c
		default:
			return nil, fmt.Errorf("key %q into a %T", name, cur)
		}
		nv, err := setPath(m[name], segs[1:], v)
		if err != nil {
			return nil, err
		}
		m[name] = nv
		return m, nil
	}
}

// WriteAndLoad writes the scratch stack file and Pulumi.yaml into dir and
// reads them back as the offline plan does (stackfile.LoadConfig).
func (s *StackConfig) WriteAndLoad(root, dir string) (map[string]string, error) {
	proj, err := os.ReadFile(filepath.Join(root, "Pulumi.yaml"))
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, "Pulumi.yaml"), proj, 0o644); err != nil {
		return nil, err
	}
	b, err := yaml.Marshal(map[string]any{"config": s.Config})
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, "Pulumi."+s.Stack+".yaml"), b, 0o644); err != nil {
		return nil, err
	}
	_, cfg, err := stackfile.LoadConfig(dir, s.Stack)
	return cfg, err
}

// QuickStart replays the quick start's commands: `pulumi stack init NAME`
// names the scratch stack, each `pulumi config set` fills its file. It
// returns the stack config and the commands seen (their first two words,
// e.g. "pulumi up").
func QuickStart(root string, cmds [][]string) (*StackConfig, []string, error) {
	var s *StackConfig
	var seen []string
	for _, c := range cmds {
		if len(c) >= 2 {
			seen = append(seen, c[0]+" "+c[1])
		}
		if len(c) < 2 || c[0] != "pulumi" {
			continue
		}
		switch {
		case c[1] == "stack" && len(c) >= 4 && c[2] == "init":
			var err error
			if s, err = NewStackConfig(root, c[3]); err != nil {
				return nil, nil, err
			}
		case c[1] == "config" && len(c) >= 3 && c[2] == "set":
			if s == nil {
				return nil, nil, fmt.Errorf("%q comes before `pulumi stack init`", strings.Join(c, " "))
			}
			if err := s.Set(c[3:]); err != nil {
				return nil, nil, fmt.Errorf("%q: %w", strings.Join(c, " "), err)
			}
		}
	}
	if s == nil {
		return nil, nil, fmt.Errorf("the quick start has no `pulumi stack init NAME`")
	}
	return s, seen, nil
}
