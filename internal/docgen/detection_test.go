package docgen

import (
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// TestReadmeDetectionExamplePlans: the README's detection example (the
// stack-file lines after "<!-- checked: readme-detection -->"), added to the
// quick start's stack, loads, plans with 0 rule violations and declares
// what the example promises: the anomaly-detection alarm, the two
// Contributor Insights rules and the alarm on one, the raw pattern's metric
// filter as written, the dashboard, and the Security Analytics
// notification role.
func TestReadmeDetectionExamplePlans(t *testing.T) {
	readme := read(t, "README.md")
	const marker = "<!-- checked: readme-detection -->"
	i := strings.Index(readme, marker)
	if i < 0 {
		t.Fatalf("README.md has no %q", marker)
	}
	rest := readme[i+len(marker):]
	a := strings.Index(rest, "```yaml\n")
	b := strings.Index(rest, "\n```\n")
	if a < 0 || b < a {
		t.Fatalf("no yaml block after %q", marker)
	}
	var example map[string]any
	if err := yaml.Unmarshal([]byte(rest[a+len("```yaml\n"):b]), &example); err != nil {
		t.Fatalf("the example is not YAML: %v", err)
	}
	s, _ := quickStart(t, readme)
	for k, v := range example {
		if !strings.HasPrefix(k, s.Project+":") {
			t.Errorf("key %q is not a key of the %s project", k, s.Project)
		}
		s.Config[k] = v
	}
	cfg, err := s.WriteAndLoad(root, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	p, err := Plan(s.Project, s.Stack, cfg)
	if err != nil {
		t.Fatalf("the README's detection example does not plan: %v", err)
	}
	if err := p.Clean(); err != nil {
		t.Error(err)
	}
	count := func(typ, nameHas string) int {
		n := 0
		for _, r := range p.Mocks.Resources {
			if r.Type == typ && strings.Contains(r.Name, nameHas) {
				n++
			}
		}
		return n
	}
	for _, c := range []struct {
		what, typ, name string
		want            int
	}{
		{"Contributor Insights rules", "aws:cloudwatch/contributorInsightRule:ContributorInsightRule", "", 2},
		{"anomaly-detection alarm", "aws:cloudwatch/metricAlarm:MetricAlarm", "rejects-unusual-alarm", 1},
		{"Contributor Insights alarm", "aws:cloudwatch/metricAlarm:MetricAlarm", "one-source-many-rejects-alarm", 1},
		{"dashboard", "aws:cloudwatch/dashboard:Dashboard", "", 1},
		{"Security Analytics notification role", "aws:iam/role:Role", "-notifications-role", 1},
	} {
		if got := count(c.typ, c.name); got != c.want {
			t.Errorf("%s: %d %s named *%s*, want %d", c.what, got, c.typ, c.name, c.want)
		}
	}
	var raw string
	for _, r := range p.Mocks.Resources {
		if r.Type == "aws:cloudwatch/logMetricFilter:LogMetricFilter" && strings.Contains(r.Name, "rejects-outside-172-31") {
			raw, _ = r.Inputs["pattern"].(string)
		}
	}
	if raw != `REJECT -"172.31."` {
		t.Errorf("the raw rule's metric filter pattern is %q", raw)
	}
}

// quickStart replays the quick start of readme (see QuickStart) and returns
// its stack config and the commands seen.
func quickStart(t *testing.T, readme string) (*StackConfig, []string) {
	t.Helper()
	cmds, err := QuickStartCommands(readme)
	if err != nil {
		t.Fatal(err)
	}
	s, seen, err := QuickStart(root, cmds)
	if err != nil {
		t.Fatal(err)
	}
	return s, seen
}
