package stackconfig_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestAlarmRuleTableDefaults holds the defaults docs/alarms.md's rule-field
// table gives to what Load fills in for a rule that leaves them out.
func TestAlarmRuleTableDefaults(t *testing.T) {
	md, err := os.ReadFile(filepath.Join("..", "..", "docs", "alarms.md"))
	if err != nil {
		t.Fatal(err)
	}
	documented := map[string]string{}
	for _, line := range strings.Split(string(md), "\n") {
		cells := strings.Split(strings.Trim(line, "|"), " | ")
		if !strings.HasPrefix(line, "| `") || len(cells) != 4 {
			continue
		}
		documented[strings.Trim(strings.TrimSpace(cells[0]), "`")] = strings.Trim(strings.TrimSpace(cells[3]), "`")
	}
	c, err := load(t, map[string]string{
		"alarmRules": `[{"name":"plain","match":{"action":"REJECT"}},{"name":"unusual","match":{"action":"REJECT"},"anomaly":{"band":2}}]`,
	})
	if err != nil {
		t.Fatal(err)
	}
	plain, unusual := c.AlarmRules[0], c.AlarmRules[1]
	for field, got := range map[string]string{
		"threshold":         fmt.Sprint(plain.Threshold),
		"period":            fmt.Sprint(plain.Period),
		"evaluationPeriods": fmt.Sprint(plain.EvaluationPeriods),
		"comparison":        plain.Comparison,
		"anomaly.direction": unusual.Anomaly.Direction,
	} {
		want, ok := documented[field]
		if !ok {
			t.Errorf("docs/alarms.md's rule table has no row for %s", field)
			continue
		}
		if got != want {
			t.Errorf("%s: docs/alarms.md gives the default %q, Load fills in %q", field, want, got)
		}
	}
}
