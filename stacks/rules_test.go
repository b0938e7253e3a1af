package stacks_test

import (
	"encoding/json"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/vpcflowlogs/vpc-flow-logs/components"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/filterpattern"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/flowlog"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/lambdabuild"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/stackconfig"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/stackfile"
	"github.com/vpcflowlogs/vpc-flow-logs/stacks"
)

const (
	sshRule  = "ssh-reject-from-host"
	httpRule = "http-attempts"
	// rejectsRule is the anomaly-detection rule of the dev stack: every REJECT.
	rejectsRule = "rejects-unusual"
)

// shipped is the dev stack's alarm rules as the program deploys them.
type shipped struct {
	fields   []flowlog.Field
	rules    map[string]components.AlarmRule
	patterns map[string]*filterpattern.Pattern
}

// loadShipped reads Pulumi.yaml + Pulumi.dev.yaml (with optional full-key
// overrides), validates them with stackconfig, converts the rules with
// stacks.AlarmRules and renders them with components.RenderPatterns for the
// configured fields: the exact patterns the metric filters get.
func loadShipped(t *testing.T, overrides map[string]string) shipped {
	t.Helper()
	root, err := lambdabuild.FindModuleRoot("")
	if err != nil {
		t.Fatal(err)
	}
	_, values, err := stackfile.LoadConfig(root, "dev")
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range overrides {
		values[k] = v
	}
	cfg, err := stackconfig.Load(func(k string) (string, bool) { v, ok := values[k]; return v, ok })
	if err != nil {
		t.Fatalf("dev config: %v", err)
	}
	rules := stacks.AlarmRules(cfg.AlarmRules)
	rendered, err := components.RenderPatterns(cfg.Fields, rules)
	if err != nil {
		t.Fatalf("RenderPatterns: %v", err)
	}
	s := shipped{fields: cfg.Fields, rules: map[string]components.AlarmRule{}, patterns: map[string]*filterpattern.Pattern{}}
	for _, r := range rules {
		s.rules[r.Name] = r
		p, err := filterpattern.Parse(rendered[r.Name])
		if err != nil {
			t.Fatalf("rule %s renders an invalid pattern %q: %v", r.Name, rendered[r.Name], err)
		}
		s.patterns[r.Name] = p
	}
	for _, name := range []string{sshRule, httpRule} {
		if _, ok := s.rules[name]; !ok {
			t.Fatalf("Pulumi.dev.yaml no longer ships rule %s", name)
		}
	}
	return s
}

// flow is one flow log record; zero values get realistic defaults.
type flow struct {
	src, dst     string
	sport, dport int
	proto        int
	action       string
	start        int64
	status       string // "" = OK
}

const (
	tcp  = 6
	udp  = 17
	icmp = 1
	t0   = int64(1735689600) // 2025-01-01T00:00:00Z, a multiple of 300
)

// line renders the record in the order of fields, as AWS writes it.
func (f flow) line(t *testing.T, fields []flowlog.Field) string {
	t.Helper()
	status := f.status
	if status == "" {
		status = flowlog.StatusOK
	}
	start := f.start
	if start == 0 {
		start = t0
	}
	v := map[string]string{
		"version":             strconv.Itoa(flowlog.MaxVersion(fields)),
		"account-id":          "123456789010",
		"interface-id":        "eni-0a1b2c3d4e5f60718",
		"srcaddr":             f.src,
		"dstaddr":             f.dst,
		"srcport":             strconv.Itoa(f.sport),
		"dstport":             strconv.Itoa(f.dport),
		"protocol":            strconv.Itoa(f.proto),
		"packets":             "3",
		"bytes":               "180",
		"start":               strconv.FormatInt(start, 10),
		"end":                 strconv.FormatInt(start+59, 10),
		"action":              f.action,
		"log-status":          status,
		"vpc-id":              "vpc-0123456789abcdef0",
		"subnet-id":           "subnet-0123456789abcdef0",
		"instance-id":         "i-0123456789abcdef0",
		"tcp-flags":           "2",
		"type":                "IPv4",
		"pkt-srcaddr":         f.src,
		"pkt-dstaddr":         f.dst,
		"region":              "us-east-1",
		"az-id":               "use1-az1",
		"sublocation-type":    "-",
		"sublocation-id":      "-",
		"pkt-src-aws-service": "-",
		"pkt-dst-aws-service": "-",
		"flow-direction":      "ingress",
		"traffic-path":        "-",
	}
	if strings.Contains(f.src, ":") {
		v["type"] = "IPv6"
	}
	if status != flowlog.StatusOK {
		// NODATA / SKIPDATA: no traffic values, as in AWS's examples.
		for _, k := range []string{"srcaddr", "dstaddr", "srcport", "dstport", "protocol", "packets", "bytes", "action",
			"tcp-flags", "type", "pkt-srcaddr", "pkt-dstaddr", "flow-direction"} {
			v[k] = flowlog.Missing
		}
	}
	out := make([]string, len(fields))
	for i, fl := range fields {
		val, ok := v[fl.Name]
		if !ok {
			t.Fatalf("no test value for field %s", fl.Name)
		}
		out[i] = val
	}
	s := strings.Join(out, " ")
	// Guard the generator: the line must be a valid record of this format.
	if _, err := flowlog.NewParser(fields).Parse(s); err != nil {
		t.Fatalf("generated line %q: %v", s, err)
	}
	return s
}

// ruleCases lists records and which shipped rules must match each; a rule
// not listed must not match.
var ruleCases = []struct {
	name  string
	flow  flow
	match []string
}{
	{"SSH rejected from the host", flow{src: "10.0.0.155", dst: "10.0.1.20", sport: 50022, dport: 22, proto: tcp, action: "REJECT"}, []string{sshRule, rejectsRule}},
	{"SSH rejected from the host to another target", flow{src: "10.0.0.155", dst: "172.31.16.21", sport: 40000, dport: 22, proto: tcp, action: "REJECT"}, []string{sshRule, rejectsRule}},
	{"SSH accepted from the host", flow{src: "10.0.0.155", dst: "10.0.1.20", sport: 50022, dport: 22, proto: tcp, action: "ACCEPT"}, nil},
	{"SSH rejected from another host", flow{src: "10.0.0.156", dst: "10.0.1.20", sport: 50022, dport: 22, proto: tcp, action: "REJECT"}, []string{rejectsRule}},
	{"SSH rejected from a host whose address is a prefix", flow{src: "10.0.0.15", dst: "10.0.1.20", sport: 50022, dport: 22, proto: tcp, action: "REJECT"}, []string{rejectsRule}},
	{"SSH rejected from a host whose address contains it", flow{src: "110.0.0.155", dst: "10.0.1.20", sport: 50022, dport: 22, proto: tcp, action: "REJECT"}, []string{rejectsRule}},
	{"host rejected to the SSH port with UDP", flow{src: "10.0.0.155", dst: "10.0.1.20", sport: 50022, dport: 22, proto: udp, action: "REJECT"}, []string{rejectsRule}},
	{"host rejected to port 2222", flow{src: "10.0.0.155", dst: "10.0.1.20", sport: 50022, dport: 2222, proto: tcp, action: "REJECT"}, []string{rejectsRule}},
	{"host rejected to port 23", flow{src: "10.0.0.155", dst: "10.0.1.20", sport: 50022, dport: 23, proto: tcp, action: "REJECT"}, []string{rejectsRule}},
	{"host's SSH reply rejected (source port 22)", flow{src: "10.0.0.155", dst: "10.0.1.20", sport: 22, dport: 50022, proto: tcp, action: "REJECT"}, []string{rejectsRule}},
	{"SSH rejected to the host", flow{src: "10.0.1.20", dst: "10.0.0.155", sport: 50022, dport: 22, proto: tcp, action: "REJECT"}, []string{rejectsRule}},
	{"HTTP accepted", flow{src: "10.0.0.155", dst: "10.0.1.20", sport: 50080, dport: 80, proto: tcp, action: "ACCEPT"}, []string{httpRule}},
	{"HTTP rejected", flow{src: "203.0.113.7", dst: "10.0.1.20", sport: 50080, dport: 80, proto: tcp, action: "REJECT"}, []string{httpRule, rejectsRule}},
	{"HTTP over IPv6", flow{src: "2001:db8:1234:a100:8d6e:3477:df66:f105", dst: "2001:db8:1234:a102:3304:8879:34cf:4071", sport: 34892, dport: 80, proto: tcp, action: "ACCEPT"}, []string{httpRule}},
	{"port 8080", flow{src: "10.0.0.155", dst: "10.0.1.20", sport: 50080, dport: 8080, proto: tcp, action: "ACCEPT"}, nil},
	{"port 800", flow{src: "10.0.0.155", dst: "10.0.1.20", sport: 50080, dport: 800, proto: tcp, action: "ACCEPT"}, nil},
	{"UDP to port 80", flow{src: "10.0.0.155", dst: "10.0.1.20", sport: 50080, dport: 80, proto: udp, action: "ACCEPT"}, nil},
	{"HTTP response (source port 80)", flow{src: "10.0.1.20", dst: "10.0.0.155", sport: 80, dport: 50080, proto: tcp, action: "ACCEPT"}, nil},
	{"HTTPS", flow{src: "10.0.0.155", dst: "10.0.1.20", sport: 50443, dport: 443, proto: tcp, action: "ACCEPT"}, nil},
	{"ICMP", flow{src: "10.0.0.155", dst: "10.0.1.20", proto: icmp, action: "REJECT"}, []string{rejectsRule}},
	{"NODATA", flow{status: flowlog.StatusNoData}, nil},
	{"SKIPDATA", flow{status: flowlog.StatusSkipData}, nil},
}

func fieldNames(fields []flowlog.Field) []string {
	out := make([]string, len(fields))
	for i, f := range fields {
		out[i] = f.Name
	}
	return out
}

func jsonList(t *testing.T, names []string) string {
	t.Helper()
	b, err := json.Marshal(names)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// formats are the record layouts the rules are checked under.
func formats(t *testing.T) []struct {
	name      string
	overrides map[string]string
	fields    []flowlog.Field
} {
	reordered := []string{"log-status", "action", "protocol", "dstport", "srcport", "dstaddr", "srcaddr", "start", "version"}
	fs, err := flowlog.FieldsByName(reordered)
	if err != nil {
		t.Fatal(err)
	}
	return []struct {
		name      string
		overrides map[string]string
		fields    []flowlog.Field
	}{
		{"dev stack (default v2-5 fields)", nil, flowlog.DefaultFields()},
		{"v2 fields only", map[string]string{"vpc-flow-logs:flowLogFields": jsonList(t, fieldNames(flowlog.V2Fields()))}, flowlog.V2Fields()},
		{"reordered custom fields", map[string]string{"vpc-flow-logs:flowLogFields": jsonList(t, reordered)}, fs},
	}
}

func TestShippedRulesMatchExactlyTheirRecords(t *testing.T) {
	for _, format := range formats(t) {
		t.Run(format.name, func(t *testing.T) {
			s := loadShipped(t, format.overrides)
			if got, want := strings.Join(fieldNames(s.fields), " "), strings.Join(fieldNames(format.fields), " "); got != want {
				t.Fatalf("config fields = %s, want %s", got, want)
			}
			for _, tc := range ruleCases {
				line := tc.flow.line(t, s.fields)
				var got []string
				for name, p := range s.patterns {
					if p.Match(line) {
						got = append(got, name)
					}
				}
				sort.Strings(got)
				want := append([]string(nil), tc.match...)
				sort.Strings(want)
				if strings.Join(got, ",") != strings.Join(want, ",") {
					t.Errorf("%s: matching rules = %v, want %v\nline: %s", tc.name, got, want, line)
				}
			}
		})
	}
}

// A pattern rendered for one format must not be reused for another: the
// default-format pattern needs 29 fields, and a reordered format moves them.
func TestPatternsFollowTheFormat(t *testing.T) {
	fs := formats(t)
	reject := flow{src: "10.0.0.155", dst: "10.0.1.20", sport: 50022, dport: 22, proto: tcp, action: "REJECT"}
	loaded := make([]shipped, len(fs))
	for i, f := range fs {
		loaded[i] = loadShipped(t, f.overrides)
	}
	for i, a := range loaded {
		for j, b := range loaded {
			line := reject.line(t, b.fields)
			got := a.patterns[sshRule].Match(line)
			// The v2 fields are the first 14 of the default fields, and a
			// space-delimited pattern's last field takes any extra fields,
			// so the v2 pattern also matches a default-format record.
			want := i == j || fs[i].name == "v2 fields only" && fs[j].name == "dev stack (default v2-5 fields)"
			if got != want {
				t.Errorf("%s pattern on a %s record: match = %v, want %v", fs[i].name, fs[j].name, got, want)
			}
		}
	}
}

// event is a record delivered to the log group at time t.
type event struct {
	t    int64
	line string
}

// alarmFires simulates the metric filter (1 per matching event, 0 otherwise)
// and the alarm: the Sum of each period, aligned to the period, compared
// with the threshold; the alarm fires when EvaluationPeriods consecutive
// periods breach.
func alarmFires(t *testing.T, r components.AlarmRule, p *filterpattern.Pattern, events []event) bool {
	t.Helper()
	if len(events) == 0 {
		return false
	}
	period := int64(r.Period)
	first, last := events[0].t/period, events[0].t/period
	sums := map[int64]int{}
	for _, e := range events {
		k := e.t / period
		first, last = min(first, k), max(last, k)
		if p.Match(e.line) {
			sums[k]++
		}
	}
	run := 0
	for k := first; k <= last; k++ {
		sum, th := sums[k], r.Threshold
		var breach bool
		switch r.Comparison {
		case "GreaterThanOrEqualToThreshold", "":
			breach = sum >= th
		case "GreaterThanThreshold":
			breach = sum > th
		case "LessThanThreshold":
			breach = sum < th
		case "LessThanOrEqualToThreshold":
			breach = sum <= th
		default:
			t.Fatalf("comparison %q", r.Comparison)
		}
		if breach {
			run++
			if run >= r.EvaluationPeriods {
				return true
			}
		} else {
			run = 0
		}
	}
	return false
}

func TestShippedRulesAlarmThresholds(t *testing.T) {
	http := func(off int64, action string) flow {
		return flow{src: "198.51.100.9", dst: "10.0.1.20", sport: 40000 + int(off), dport: 80, proto: tcp, action: action, start: t0 + off}
	}
	ssh := func(off int64, action string) flow {
		return flow{src: "10.0.0.155", dst: "10.0.1.20", sport: 50000 + int(off), dport: 22, proto: tcp, action: action, start: t0 + off}
	}
	// Traffic that matches neither rule, spread over the window.
	noise := []flow{
		{src: "10.0.0.155", dst: "10.0.1.20", sport: 50443, dport: 443, proto: tcp, action: "ACCEPT", start: t0 + 5},
		{src: "10.0.0.155", dst: "10.0.1.20", sport: 50080, dport: 8080, proto: tcp, action: "REJECT", start: t0 + 50},
		{src: "10.0.0.155", dst: "10.0.1.20", sport: 50080, dport: 80, proto: udp, action: "ACCEPT", start: t0 + 100},
		{src: "10.0.1.20", dst: "10.0.0.155", sport: 80, dport: 50080, proto: tcp, action: "ACCEPT", start: t0 + 150},
		{status: flowlog.StatusNoData, start: t0 + 200},
		{src: "10.0.0.156", dst: "10.0.1.20", sport: 50022, dport: 22, proto: tcp, action: "REJECT", start: t0 + 250},
		{src: "10.0.0.155", dst: "10.0.1.20", sport: 50022, dport: 22, proto: tcp, action: "ACCEPT", start: t0 + 290},
	}
	tests := []struct {
		name  string
		rule  string
		flows []flow
		fires bool
	}{
		{"3 HTTP attempts within 300 s", httpRule, []flow{http(10, "ACCEPT"), http(120, "REJECT"), http(299, "ACCEPT")}, true},
		{"3 HTTP attempts in one second", httpRule, []flow{http(60, "REJECT"), http(60, "REJECT"), http(60, "REJECT")}, true},
		{"4 HTTP attempts within 300 s", httpRule, []flow{http(0, "ACCEPT"), http(1, "ACCEPT"), http(2, "ACCEPT"), http(3, "ACCEPT")}, true},
		{"2 HTTP attempts within 300 s", httpRule, []flow{http(10, "ACCEPT"), http(299, "REJECT")}, false},
		{"no HTTP attempts", httpRule, nil, false},
		// Periods are aligned: 3 attempts 100 s apart but across a period
		// boundary count 2 + 1.
		{"3 HTTP attempts straddling a period boundary", httpRule, []flow{http(250, "ACCEPT"), http(290, "ACCEPT"), http(350, "ACCEPT")}, false},
		{"3 HTTP attempts over two periods", httpRule, []flow{http(0, "ACCEPT"), http(200, "ACCEPT"), http(400, "ACCEPT")}, false},
		{"1 SSH reject from the host", sshRule, []flow{ssh(30, "REJECT")}, true},
		{"SSH accepted from the host only", sshRule, []flow{ssh(30, "ACCEPT"), ssh(90, "ACCEPT")}, false},
	}
	for _, format := range formats(t) {
		s := loadShipped(t, format.overrides)
		if r := s.rules[httpRule]; r.Threshold != 3 || r.Period != 300 || r.EvaluationPeriods != 1 || r.Comparison != "GreaterThanOrEqualToThreshold" {
			t.Fatalf("%s is no longer 3 attempts within 300 s: %+v", httpRule, r)
		}
		if r := s.rules[sshRule]; r.Threshold != 1 {
			t.Fatalf("%s no longer alarms on the first reject: %+v", sshRule, r)
		}
		for _, tt := range tests {
			t.Run(format.name+"/"+tt.name, func(t *testing.T) {
				var events []event
				for _, f := range append(append([]flow(nil), noise...), tt.flows...) {
					events = append(events, event{t: f.start, line: f.line(t, s.fields)})
				}
				sort.SliceStable(events, func(i, j int) bool { return events[i].t < events[j].t })
				if got := alarmFires(t, s.rules[tt.rule], s.patterns[tt.rule], events); got != tt.fires {
					t.Errorf("alarm %s fires = %v, want %v", tt.rule, got, tt.fires)
				}
			})
		}
	}
}
