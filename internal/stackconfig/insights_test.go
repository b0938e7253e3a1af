package stackconfig_test

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/insights"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/stackconfig"
)

// oneError loads values and requires exactly one config error naming key,
// showing value and mentioning each of allowed.
func oneError(t *testing.T, values map[string]string, key, value string, allowed ...string) {
	t.Helper()
	cfg, err := stackconfig.Load(getter(values))
	if err == nil {
		t.Fatalf("Load succeeded: %+v", cfg)
	}
	errs := allErrors(err)
	if len(errs) != 1 {
		t.Fatalf("want one error, got %d: %v", len(errs), err)
	}
	e := errs[0]
	if e.Key != stackconfig.Key(key) {
		t.Errorf("Key = %q, want %q", e.Key, stackconfig.Key(key))
	}
	if !strings.Contains(e.Value, value) {
		t.Errorf("Value = %q, want it to show %q", e.Value, value)
	}
	for _, a := range allowed {
		if !strings.Contains(e.Allowed, a) {
			t.Errorf("Allowed = %q, want it to mention %q", e.Allowed, a)
		}
	}
}

func TestContributorInsightsSelection(t *testing.T) {
	cfg, err := stackconfig.Load(getter(map[string]string{"contributorInsights": `["top-rejected-sources","top-interfaces"]`}))
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"top-rejected-sources", "top-interfaces"}; !reflect.DeepEqual(cfg.ContributorInsights, want) {
		t.Errorf("ContributorInsights = %v, want %v", cfg.ContributorInsights, want)
	}
	cfg, err = stackconfig.Load(getter(map[string]string{"contributorInsights": `[]`}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.ContributorInsights == nil || len(cfg.ContributorInsights) != 0 {
		t.Errorf("[] gives %#v, want an empty list (no rules)", cfg.ContributorInsights)
	}
}

// A rule the stack lists itself is refused when its fields are not
// recorded; the same rule in the default list is skipped with a warning.
func TestContributorInsightsMissingFields(t *testing.T) {
	v2Fields := `["version","account-id","interface-id","srcaddr","dstaddr","srcport","dstport","protocol","packets","start","end","action","log-status"]` // no bytes
	oneError(t, map[string]string{"flowLogFields": v2Fields, "contributorInsights": `["top-talkers-source"]`},
		"contributorInsights", `"top-talkers-source"`, "bytes", "flowLogFields")

	cfg, err := stackconfig.Load(getter(map[string]string{"flowLogFields": v2Fields}))
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"top-rejected-sources", "top-destination-ports"}; !reflect.DeepEqual(cfg.ContributorInsights, want) {
		t.Errorf("ContributorInsights = %v, want %v", cfg.ContributorInsights, want)
	}
	skipped := warningsWith(cfg, "contributorInsights", "skipped")
	if len(skipped) != 3 || !strings.Contains(skipped[0], "top-talkers-source") || !strings.Contains(skipped[0], "bytes") {
		t.Errorf("warnings about skipped rules = %q", skipped)
	}
}

func TestContributorInsightsRejects(t *testing.T) {
	oneError(t, map[string]string{"contributorInsights": `["top-talkers"]`}, "contributorInsights", `"top-talkers"`, "top-talkers-source", "top-interfaces")
	oneError(t, map[string]string{"contributorInsights": `["top-interfaces","top-interfaces"]`}, "contributorInsights", `"top-interfaces"`, "each rule once")
	oneError(t, map[string]string{"contributorInsights": `top-interfaces`}, "contributorInsights", `top-interfaces`, "a list of strings")
}

const rejectAlarm = `{"name":"one-source-rejected","rule":"top-rejected-sources","threshold":100,"period":300}`

func TestInsightAlarms(t *testing.T) {
	cfg, err := stackconfig.Load(getter(map[string]string{"contributorInsightAlarms": "[" + rejectAlarm + "]"}))
	if err != nil {
		t.Fatal(err)
	}
	want := []stackconfig.InsightAlarm{{
		Name: "one-source-rejected", Rule: insights.TopRejectedSources, Metric: "MaxContributorValue",
		Threshold: 100, Period: 300, EvaluationPeriods: 1, Comparison: "GreaterThanOrEqualToThreshold",
	}}
	if !reflect.DeepEqual(cfg.InsightAlarms, want) {
		t.Errorf("InsightAlarms = %+v, want %+v", cfg.InsightAlarms, want)
	}
}

// The edges of each allowed range are accepted: threshold 0 (">= 0"),
// periods of 60 and 86400 s, and windows (period x evaluationPeriods) of
// exactly one day below an hour's period and seven days from it
// (PutMetricAlarm's limits, as for alarmRules: TestAlarmWindowLimits).
func TestInsightAlarmBoundaries(t *testing.T) {
	for _, tc := range []struct {
		threshold     string
		period, evals int
	}{
		{"0", 300, 1},
		{"0.5", 60, 1},
		{"1", 60, 1440},
		{"1", 3540, 24},
		{"1", 3600, 168},
		{"1", 86400, 7},
	} {
		alarm := fmt.Sprintf(`[{"name":"a","rule":"top-interfaces","threshold":%s,"period":%d,"evaluationPeriods":%d}]`, tc.threshold, tc.period, tc.evals)
		cfg, err := stackconfig.Load(getter(map[string]string{"contributorInsightAlarms": alarm}))
		if err != nil {
			t.Errorf("%s: %v", alarm, err)
			continue
		}
		a := cfg.InsightAlarms[0]
		if fmt.Sprint(a.Threshold) != tc.threshold || a.Period != tc.period || a.EvaluationPeriods != tc.evals {
			t.Errorf("%s: threshold %v, period %d, evaluationPeriods %d", alarm, a.Threshold, a.Period, a.EvaluationPeriods)
		}
	}
}

func TestInsightAlarmsReject(t *testing.T) {
	alarms := func(a string) map[string]string { return map[string]string{"contributorInsightAlarms": "[" + a + "]"} }
	oneError(t, alarms(`{"name":"a","rule":"top-talkers","threshold":1}`), "contributorInsightAlarms[0].rule", `"top-talkers"`, "top-rejected-sources")
	// A rule the stack does not deploy cannot alarm.
	off := alarms(`{"name":"a","rule":"top-interfaces","threshold":1}`)
	off["contributorInsights"] = `["top-rejected-sources"]`
	oneError(t, off, "contributorInsightAlarms[0].rule", `"top-interfaces"`, "top-rejected-sources")
	oneError(t, alarms(`{"name":"a","rule":"top-interfaces","metric":"Top","threshold":1}`), "contributorInsightAlarms[0].metric", `"Top"`, "MaxContributorValue", "UniqueContributors")
	oneError(t, alarms(`{"name":"a","rule":"top-interfaces"}`), "contributorInsightAlarms[0].threshold", "(missing)", ">= 0")
	oneError(t, alarms(`{"name":"a","rule":"top-interfaces","threshold":-1}`), "contributorInsightAlarms[0].threshold", "-1", ">= 0")
	oneError(t, alarms(`{"name":"a","rule":"top-interfaces","threshold":1,"period":90}`), "contributorInsightAlarms[0].period", "90", "multiple of 60")
	oneError(t, alarms(`{"name":"a","rule":"top-interfaces","threshold":1,"period":60,"evaluationPeriods":1441}`), "contributorInsightAlarms[0].evaluationPeriods", "1441", "86400")
	oneError(t, alarms(`{"name":"A","rule":"top-interfaces","threshold":1}`), "contributorInsightAlarms[0].name", `"A"`, "lowercase")
	oneError(t, alarms(`{"name":"a","rule":"top-interfaces","threshold":1,"comparison":"GreaterThanUpperThreshold"}`), "contributorInsightAlarms[0].comparison", `"GreaterThanUpperThreshold"`, "GreaterThanThreshold")
	oneError(t, alarms(`{"name":"a","rule":"top-interfaces","threshold":1,"band":2}`), "contributorInsightAlarms[0]", `"band"`, "rule, metric")
	oneError(t, map[string]string{"contributorInsightAlarms": `[` + rejectAlarm + `,` + rejectAlarm + `]`}, "contributorInsightAlarms[1].name", `"one-source-rejected"`, "no other")
}

// TestInsightAlarmWithoutDeployedRules: with no Contributor Insights rule
// deployed, an alarm's error said "allowed: a Contributor Insights rule the
// stack deploys (vpc-flow-logs:contributorInsights): " and an empty list. It
// now says none is deployed and what to add. When flowLogFields itself is
// refused, or contributorInsights refused the alarm's rule, that error is
// the only one: the rules were not really missing, the fields were unknown.
func TestInsightAlarmWithoutDeployedRules(t *testing.T) {
	alarm := `[{"name":"a","rule":"top-interfaces","threshold":1}]`
	oneError(t, map[string]string{"contributorInsights": `[]`, "contributorInsightAlarms": alarm},
		"contributorInsightAlarms[0].rule", `"top-interfaces"`,
		"it deploys none", "add the rule to vpc-flow-logs:contributorInsights (one of "+strings.Join(insights.IDs(), ", ")+")", "or remove this alarm")
	// Every default rule skipped for want of its fields: none deployed either.
	oneError(t, map[string]string{"flowLogFields": `["version","log-status"]`, "contributorInsightAlarms": alarm},
		"contributorInsightAlarms[0].rule", `"top-interfaces"`, "it deploys none", "flowLogFields")

	// flowLogFields refused: its error only, with the default rules or a list.
	oneError(t, map[string]string{"flowLogFields": `["srcaddr","source-port"]`, "contributorInsightAlarms": alarm},
		"flowLogFields", `"source-port"`, "srcaddr")
	oneError(t, map[string]string{"flowLogFields": `["srcaddr","source-port"]`, "contributorInsights": `["top-interfaces"]`, "contributorInsightAlarms": alarm},
		"flowLogFields", `"source-port"`, "srcaddr")
	// The alarm's rule refused in contributorInsights: that error only.
	oneError(t, map[string]string{"flowLogFields": `["version","log-status"]`, "contributorInsights": `["top-interfaces"]`, "contributorInsightAlarms": alarm},
		"contributorInsights", `"top-interfaces"`, "add them to flowLogFields")
	oneError(t, map[string]string{"contributorInsights": `["top-interface"]`, "contributorInsightAlarms": `[{"name":"a","rule":"top-interface","threshold":1}]`},
		"contributorInsights", `"top-interface"`, "top-interfaces")
}

const anomalyRule = `{"name":"rejects-unusual","match":{"action":"REJECT"},"anomaly":{"band":2},"period":300}`

func TestAnomalyRule(t *testing.T) {
	cfg, err := stackconfig.Load(getter(map[string]string{"alarmRules": "[" + anomalyRule + "]"}))
	if err != nil {
		t.Fatal(err)
	}
	r := cfg.AlarmRules[0]
	if r.Anomaly == nil || *r.Anomaly != (stackconfig.Anomaly{Band: 2, Direction: "upper"}) {
		t.Fatalf("Anomaly = %+v", r.Anomaly)
	}
	if r.Threshold != 0 || r.Comparison != "GreaterThanUpperThreshold" {
		t.Errorf("Threshold %d, Comparison %q; want no threshold and the band's upper operator", r.Threshold, r.Comparison)
	}
	for dir, op := range map[string]string{"lower": "LessThanLowerThreshold", "both": "LessThanLowerOrGreaterThanUpperThreshold", "upper": "GreaterThanUpperThreshold"} {
		rule := strings.Replace(anomalyRule, `{"band":2}`, `{"band":1.5,"direction":"`+dir+`"}`, 1)
		cfg, err := stackconfig.Load(getter(map[string]string{"alarmRules": "[" + rule + "]"}))
		if err != nil {
			t.Fatal(err)
		}
		if got := cfg.AlarmRules[0]; got.Comparison != op || got.Anomaly.Band != 1.5 {
			t.Errorf("direction %s: comparison %s band %g, want %s 1.5", dir, got.Comparison, got.Anomaly.Band, op)
		}
	}
}

func TestAnomalyRuleRejects(t *testing.T) {
	rule := func(anomaly, extra string) map[string]string {
		return map[string]string{"alarmRules": `[{"name":"r","match":{"action":"REJECT"},"anomaly":` + anomaly + extra + `}]`}
	}
	oneError(t, rule(`{"band":2}`, `,"threshold":5`), "alarmRules[0].threshold", "5", "no threshold with anomaly")
	oneError(t, rule(`{"band":2}`, `,"comparison":"GreaterThanThreshold"`), "alarmRules[0].comparison", `"GreaterThanThreshold"`, "anomaly.direction", "upper, lower, both")
	oneError(t, rule(`{"band":0}`, ``), "alarmRules[0].anomaly.band", "0", "> 0")
	oneError(t, rule(`{"band":-1}`, ``), "alarmRules[0].anomaly.band", "-1", "> 0")
	oneError(t, rule(`{"band":"2"}`, ``), "alarmRules[0].anomaly.band", `"2"`, "> 0")
	oneError(t, rule(`{"direction":"upper"}`, ``), "alarmRules[0].anomaly.band", "(missing)", "standard deviations")
	oneError(t, rule(`{"band":2,"direction":"above"}`, ``), "alarmRules[0].anomaly.direction", `"above"`, "upper, lower, both")
	oneError(t, rule(`{"band":2,"width":3}`, ``), "alarmRules[0].anomaly", `"width"`, "band", "direction")
}

// The keys only matter where the CloudWatch Logs flow log exists.
func TestInsightKeysScoped(t *testing.T) {
	cfg, err := stackconfig.Load(getter(map[string]string{
		"architectures":       `["firehose-athena"]`,
		"firehoseFeedMode":    "direct",
		"contributorInsights": `["top-interfaces"]`,
	}))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(cfg.Warnings, func(w string) bool {
		return strings.Contains(w, stackconfig.Key("contributorInsights")) && strings.Contains(w, "not used")
	}) {
		t.Errorf("no unused-key warning for contributorInsights: %q", cfg.Warnings)
	}
}
