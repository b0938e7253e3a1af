package stackconfig_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fieldDefaults reads the "| field | required | allowed | default |" rows of
// docs/<page>: the default of each field.
func fieldDefaults(t *testing.T, page string) map[string]string {
	t.Helper()
	md, err := os.ReadFile(filepath.Join("..", "..", "docs", page))
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
	return documented
}

// TestInsightAlarmTableDefaults holds docs/detection.md's table of
// contributorInsightAlarms fields to what Load fills in.
func TestInsightAlarmTableDefaults(t *testing.T) {
	documented := fieldDefaults(t, "detection.md")
	c, err := load(t, map[string]string{
		"contributorInsightAlarms": `[{"name":"a","rule":"top-rejected-sources","threshold":100}]`,
	})
	if err != nil {
		t.Fatal(err)
	}
	a := c.InsightAlarms[0]
	for field, got := range map[string]string{
		"metric":            a.Metric,
		"period":            fmt.Sprint(a.Period),
		"evaluationPeriods": fmt.Sprint(a.EvaluationPeriods),
		"comparison":        a.Comparison,
	} {
		if want, ok := documented[field]; !ok || got != want {
			t.Errorf("%s: docs/detection.md gives the default %q (row found: %v), Load fills in %q", field, want, ok, got)
		}
	}
}

// TestAlarmRuleTableDefaults holds the defaults docs/alarms.md's rule-field
// table gives to what Load fills in for a rule that leaves them out.
func TestAlarmRuleTableDefaults(t *testing.T) {
	documented := fieldDefaults(t, "alarms.md")
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
