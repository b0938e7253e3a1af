package docgen

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/athenaqueries"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/costs"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/diagram"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/flowlog"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/mockaws"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/stackconfig"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/stackfile"
)

// FeedModes are the values of firehoseFeedMode, in the order the docs list them.
var FeedModes = []string{"lambda", "subscription", "direct"}

// InvalidPattern is the raw pattern whose config error docs/alarms.md shows.
const InvalidPattern = `[srcaddr = %10\.0, ...]`

// invalidPatternError is the error a stack gets for a rule with InvalidPattern.
func invalidPatternError(root string) (string, error) {
	p, err := stackfile.LoadProject(root)
	if err != nil {
		return "", err
	}
	cfg, err := stackfile.Config(p, nil)
	if err != nil {
		return "", err
	}
	rules, err := json.Marshal([]map[string]string{{"name": "r", "pattern": InvalidPattern}})
	if err != nil {
		return "", err
	}
	cfg[p.Name+":alarmRules"] = string(rules)
	_, err = stackconfig.Load(func(k string) (string, bool) { v, ok := cfg[k]; return v, ok })
	if err == nil {
		return "", fmt.Errorf("the pattern %s loads without an error", InvalidPattern)
	}
	return err.Error(), nil
}

// devAlarmRules is the alarmRules entry of Pulumi.dev.yaml, as YAML.
func devAlarmRules(root string) (string, error) {
	s, err := stackfile.LoadStack(root, "dev")
	if err != nil {
		return "", err
	}
	const key = "vpc-flow-logs:alarmRules"
	rules, ok := s.Config[key]
	if !ok {
		return "", fmt.Errorf("Pulumi.dev.yaml sets no %s", key)
	}
	var b strings.Builder
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(map[string]any{key: rules}); err != nil {
		return "", err
	}
	return b.String(), enc.Close()
}

// ShippedStacks are the stack files the repository ships, whose cost the
// docs list (a test keeps the list complete; a Pulumi.<stack>.yaml the
// quick start wrote in a clone is not one of them).
var ShippedStacks = []string{"central", "dev", "member-eu-west-1", "prod"}

// SSHRule is the dev stack's rule whose rendered pattern the alarm docs show.
const SSHRule = "ssh-reject-from-host"

func money(v float64) string { return fmt.Sprintf("$%.0f", v) }

func rangeText(r costs.Range) string {
	if money(r.Low) == money(r.High) {
		return money(r.Low)
	}
	return money(r.Low) + "-" + money(r.High)
}

// archCosts is "shared $16, cloudwatch-opensearch $105-107, ...".
func archCosts(e *costs.Estimate) string {
	var parts []string
	for _, a := range e.Archs() {
		parts = append(parts, a+" "+rangeText(e.Total(a)))
	}
	return strings.Join(parts, ", ")
}

func archList(p *Planned) string {
	var names []string
	for _, a := range p.Config.Architectures {
		names = append(names, "`"+string(a)+"`")
	}
	if p.Config.Org.IsMember() {
		// A member delivers for the central stack's architectures (the
		// orgArchitectures output its stack reference read).
		names = nil
		for _, ref := range p.Mocks.ByType("pulumi:pulumi:StackReference") {
			for _, a := range mockaws.List(mockaws.Get(ref.Outputs, "outputs.orgArchitectures")) {
				names = append(names, "`"+mockaws.Str(a)+"`")
			}
		}
		return "member of " + strings.Join(names, ", ")
	}
	return strings.Join(names, ", ")
}

// Generate plans the stacks the docs quote (dev, every Pulumi.<stack>.yaml,
// a stack with no stack file, the README's quick start, firehose-athena in
// each feed mode) and renders every generated block.
func Generate(root string) (Blocks, error) {
	dev, err := PlanStackFile(root, "dev")
	if err != nil {
		return nil, err
	}
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		return nil, err
	}
	cmds, err := QuickStartCommands(string(readme))
	if err != nil {
		return nil, err
	}
	qs, _, err := QuickStart(root, cmds)
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "docgen-quickstart")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	qcfg, err := qs.WriteAndLoad(root, dir)
	if err != nil {
		return nil, err
	}
	quick, err := Plan(qs.Project, qs.Stack, qcfg)
	if err != nil {
		return nil, err
	}
	bare, err := PlanDefaults(root, "no-stack-file", nil)
	if err != nil {
		return nil, err
	}
	p := dev.Cost.Prices
	priced := fmt.Sprintf("%s list prices of %s, `internal/costs/prices.json`", p.Region, p.Date)

	var stackRows strings.Builder
	stackRows.WriteString("| stack | architectures | resources | per architecture (shared: the flow log, topic and key they share) | total per month |\n|---|---|---|---|---|\n")
	row := func(name string, pl *Planned) {
		fmt.Fprintf(&stackRows, "| %s | %s | %d | %s | %s |\n", name, archList(pl), pl.Resources(), archCosts(pl.Cost), rangeText(pl.Cost.Total("")))
	}
	for _, stack := range ShippedStacks {
		pl := dev
		if stack != "dev" {
			if pl, err = PlanStackFile(root, stack); err != nil {
				return nil, err
			}
		}
		row("`Pulumi."+stack+".yaml`", pl)
	}
	row("the README's quick start (`"+qs.Stack+"`)", quick)
	row("a stack with no stack file (Pulumi.yaml's defaults)", bare)

	var feed strings.Builder
	feed.WriteString("| `firehoseFeedMode` | firehose-athena | shared (the CloudWatch Logs flow log, topic, key) | total per month |\n|---|---|---|---|\n")
	for _, mode := range FeedModes {
		pl, err := PlanDefaults(root, "feed-"+mode, map[string]string{
			"architectures": `["firehose-athena"]`, "firehoseFeedMode": mode,
		})
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(&feed, "| `%s` | %s | %s | %s |\n", mode, rangeText(pl.Cost.Total("firehose-athena")),
			rangeText(pl.Cost.Total(diagram.Shared)), rangeText(pl.Cost.Total("")))
	}

	var est bytes.Buffer
	dev.Cost.Write(&est)

	ssh := dev.Mocks.ByName("alarms-" + SSHRule)
	if ssh == nil {
		return nil, fmt.Errorf("the dev stack has no metric filter alarms-%s", SSHRule)
	}
	pattern := ssh.Input("pattern")

	rules, err := devAlarmRules(root)
	if err != nil {
		return nil, err
	}
	invalid, err := invalidPatternError(root)
	if err != nil {
		return nil, err
	}

	var fieldRows strings.Builder
	fieldRows.WriteString("| version | fields | recorded by default |\n|---|---|---|\n")
	byVersion := map[int][]string{}
	var versions []int
	for _, f := range flowlog.Catalog {
		if len(byVersion[f.Version]) == 0 {
			versions = append(versions, f.Version)
		}
		byVersion[f.Version] = append(byVersion[f.Version], "`"+f.Name+"`")
	}
	for _, v := range versions {
		def := "no"
		if v <= flowlog.DefaultMaxVersion {
			def = "yes"
		}
		fmt.Fprintf(&fieldRows, "| %d | %s | %s |\n", v, strings.Join(byVersion[v], " "), def)
	}

	devLine := fmt.Sprintf("%d resources (%d components, %d cloud resources) and checks them against %d security rules and %d deployability rules",
		dev.Resources(), len(dev.Mocks.Components()), dev.Resources()-len(dev.Mocks.Components()), dev.Security.Rules, dev.Deploy.Rules)

	return Blocks{
		"README.md": {
			"dev-plan": fmt.Sprintf("`make plan` of the dev stack registers %s.\n", devLine),
			"quickstart-cost": fmt.Sprintf("Cost: this stack (%s on the demo VPC) is about %s a month at %g GB/day of flow logs; "+
				"the dev stack (`Pulumi.dev.yaml`, all three architectures, with the OpenSearch domain, its access host and interface endpoints) about %s (%s; "+
				"[cost per stack](docs/cost.md)). `make plan STACK=<stack> GB_PER_DAY=<n>` prices your stack at your volume.\n",
				archList(quick), rangeText(quick.Cost.Total("")), GBPerDay, rangeText(dev.Cost.Total("")), priced),
		},
		"docs/cost.md": {
			"stack-costs":  fmt.Sprintf("At %g GB/day of flow logs (%s):\n\n%s", GBPerDay, priced, stackRows.String()),
			"dev-estimate": "```text\n" + est.String() + "```\n",
		},
		"docs/firehose-athena.md": {
			"feed-mode-costs": fmt.Sprintf("`firehose-athena` alone on the demo VPC at %g GB/day (%s):\n\n%s", GBPerDay, priced, feed.String()),
		},
		"docs/security-rules.md": {
			"security-summary": "```\n" + dev.Security.Summary() + "\n```\n",
		},
		"docs/deployability-rules.md": {
			"deploy-summary": "```\n" + dev.Deploy.Summary() + "\n```\n",
		},
		"docs/reviewing.md": {
			"preview-count": fmt.Sprintf("The dev stack's preview creates %d resources: the %d that `make plan` registers, and the stack.\n",
				dev.Resources()+1, dev.Resources()),
		},
		"docs/configuration.md": {
			"flowlog-fields": fieldRows.String(),
		},
		"docs/s3-athena.md": {
			"saved-query-window": "```sql\n" + athenaqueries.Window + "\n```\n",
		},
		"docs/alarms.md": {
			"default-pattern":       "```\n" + pattern + "\n```\n",
			"invalid-pattern-error": "```\n" + invalid + "\n```\n",
			"dev-alarm-rules":       "```yaml\n" + rules + "```\n",
		},
	}, nil
}
