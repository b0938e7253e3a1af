// Package stackfile reads Pulumi.yaml and Pulumi.<stack>.yaml the way the
// Pulumi engine hands them to a program: project defaults first, stack values
// over them, every key namespaced, structured values as JSON. The offline plan
// and the tests use it so they see exactly the config a `pulumi up` would.
package stackfile

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// Project is the part of Pulumi.yaml this package reads.
type Project struct {
	Name        string               `yaml:"name"`
	Runtime     any                  `yaml:"runtime"`
	Description string               `yaml:"description"`
	Config      map[string]ConfigKey `yaml:"config"`
	// Order is the config keys in declaration order.
	Order []string `yaml:"-"`
}

// configOrder returns the keys of the config block in file order.
func configOrder(path string) ([]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return nil, err
	}
	if len(doc.Content) == 0 {
		return nil, nil
	}
	root := doc.Content[0]
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value == "config" {
			var keys []string
			m := root.Content[i+1]
			for j := 0; j+1 < len(m.Content); j += 2 {
				keys = append(keys, m.Content[j].Value)
			}
			return keys, nil
		}
	}
	return nil, nil
}

// ConfigKey is one declared config key.
type ConfigKey struct {
	Type        string `yaml:"type"`
	Items       *Items `yaml:"items"`
	Description string `yaml:"description"`
	Default     any    `yaml:"default"`
	Secret      bool   `yaml:"secret"`
}

// Items is the element type of an array key.
type Items struct {
	Type string `yaml:"type"`
}

// Stack is Pulumi.<stack>.yaml.
type Stack struct {
	Config map[string]any `yaml:"config"`
}

// LoadProject reads Pulumi.yaml from dir.
func LoadProject(dir string) (*Project, error) {
	var p Project
	path := filepath.Join(dir, "Pulumi.yaml")
	if err := readYAML(path, &p); err != nil {
		return nil, err
	}
	order, err := configOrder(path)
	if err != nil {
		return nil, err
	}
	p.Order = order
	if p.Name == "" {
		return nil, fmt.Errorf("%s: project has no name", filepath.Join(dir, "Pulumi.yaml"))
	}
	return &p, nil
}

// LoadStack reads Pulumi.<stack>.yaml from dir.
func LoadStack(dir, stack string) (*Stack, error) {
	var s Stack
	if err := readYAML(filepath.Join(dir, "Pulumi."+stack+".yaml"), &s); err != nil {
		return nil, err
	}
	return &s, nil
}

func readYAML(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := yaml.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// Keys returns the project's declared keys, namespaced and sorted.
func (p *Project) Keys() []string {
	out := make([]string, 0, len(p.Config))
	for k := range p.Config {
		out = append(out, p.namespaced(k))
	}
	sort.Strings(out)
	return out
}

func (p *Project) namespaced(k string) string {
	if strings.Contains(k, ":") {
		return k
	}
	return p.Name + ":" + k
}

// Config merges project defaults and stack values into the map a Pulumi
// program receives: full keys, strings as they are, everything else as JSON.
func Config(p *Project, s *Stack) (map[string]string, error) {
	out := map[string]string{}
	for k, ck := range p.Config {
		if ck.Default == nil {
			continue
		}
		v, err := encode(ck.Default)
		if err != nil {
			return nil, fmt.Errorf("Pulumi.yaml default of %s: %w", k, err)
		}
		out[p.namespaced(k)] = v
	}
	if s != nil {
		for k, raw := range s.Config {
			if sec, ok := raw.(map[string]any); ok && len(sec) == 1 && sec["secure"] != nil {
				if slices.Contains(SecretKeys, strings.TrimPrefix(k, p.Name+":")) {
					// The offline plan cannot decrypt; a key declared secret
					// is planned with a stand-in (never the real value).
					out[k] = OfflineSecretPlaceholder
					continue
				}
			}
			v, err := encode(raw)
			if err != nil {
				return nil, fmt.Errorf("stack config %s: %w", k, err)
			}
			out[k] = v
		}
	}
	return out, nil
}

// SecretKeys are the keys whose value must be a Pulumi secret. Pulumi.yaml
// cannot declare them `secret: true`: the engine then requires every stack to
// set them, even stacks that do not use them; the program checks instead
// that the engine passed them as secrets.
var SecretKeys = []string{"slackWebhookUrl"}

// OfflineSecretPlaceholder is what the offline plan passes for a SecretKeys
// key that the stack sets encrypted (secure:),
// since it cannot decrypt. It is a valid https URL, so a webhook-URL key
// validates; the plan never sees the real value.
const OfflineSecretPlaceholder = "https://offline-plan.invalid/services/secret-not-decrypted"

// LoadConfig is LoadProject + LoadStack + Config.
func LoadConfig(dir, stack string) (*Project, map[string]string, error) {
	p, err := LoadProject(dir)
	if err != nil {
		return nil, nil, err
	}
	s, err := LoadStack(dir, stack)
	if err != nil {
		return nil, nil, err
	}
	cfg, err := Config(p, s)
	return p, cfg, err
}

func encode(v any) (string, error) {
	switch t := v.(type) {
	case string:
		return t, nil
	case map[string]any:
		if sec, ok := t["secure"]; ok && len(t) == 1 {
			return "", fmt.Errorf("holds an encrypted secret (%v); the offline plan cannot decrypt it", sec)
		}
	}
	b, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	return string(b), nil
}
