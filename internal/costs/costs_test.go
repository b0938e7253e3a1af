package costs

import (
	"bytes"
	"math"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/diagram"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/graphdump"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/mockaws"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/stackfile"
)

// The mocked runs of stacks.Program are recorded by cmd/graphdump
// (internal/graphdump), so this test binary does not link the program and
// pulumi-aws: every run below is recorded at the first one, with the same
// config as when the tests ran it in process.
var recorder = sync.OnceValues(func() (*graphdump.Recorder, error) {
	root := filepath.Join("..", "..")
	var runs []graphdump.Run
	for _, cfg := range []func() (string, map[string]string, error){devConfig, dashboardOffConfig} {
		proj, c, err := cfg()
		if err != nil {
			return nil, err
		}
		runs = append(runs, programRun(proj, "dev", c))
	}
	runs = append(runs, programRun("vpc-flow-logs", "test", existingResourcesConfig))
	for _, tc := range modeCases() {
		proj, cfg, err := modeConfig(tc.kv)
		if err != nil {
			return nil, err
		}
		runs = append(runs, programRun(proj, "dev", cfg))
	}
	r := graphdump.NewRecorder(root)
	return r, r.Record(runs...)
})

// programRun is stacks.Program under mocks.
func programRun(project, stack string, cfg map[string]string) graphdump.Run {
	return graphdump.Run{Program: graphdump.Program, Project: project, Stack: stack, Config: cfg}
}

// runProgram is mockaws.Run(stacks.Program, project, stack, cfg), as recorded.
func runProgram(project, stack string, cfg map[string]string) (*mockaws.Mocks, error) {
	r, err := recorder()
	if err != nil {
		return nil, err
	}
	return r.Get(programRun(project, stack, cfg))
}

func devConfig() (string, map[string]string, error) {
	proj, cfg, err := stackfile.LoadConfig(filepath.Join("..", ".."), "dev")
	if err != nil {
		return "", nil, err
	}
	return proj.Name, cfg, nil
}

var devGraph = sync.OnceValues(func() (*diagram.Graph, error) {
	project, cfg, err := devConfig()
	if err != nil {
		return nil, err
	}
	m, err := runProgram(project, "dev", cfg)
	if err != nil {
		return nil, err
	}
	return diagram.Build(m), nil
})

func estimate(t *testing.T, gbPerDay float64) *Estimate {
	t.Helper()
	g, err := devGraph()
	if err != nil {
		t.Fatal(err)
	}
	p, err := LoadPrices()
	if err != nil {
		t.Fatal(err)
	}
	e, err := New(g, p, gbPerDay)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func near(a, b float64) bool {
	return math.Abs(a-b) <= 1e-9*math.Max(1, math.Max(math.Abs(a), math.Abs(b)))
}

func TestPriceTable(t *testing.T) {
	p, err := LoadPrices()
	if err != nil {
		t.Fatal(err)
	}
	if p.Date != "2026-11-23" || p.Region != "us-east-1" || p.Currency != "USD" {
		t.Errorf("price table of %s %s %s", p.Date, p.Region, p.Currency)
	}
	for id, want := range map[string]float64{
		"logs-vended-ingestion": 0.50, "logs-storage": 0.03, "vended-delivery-s3": 0.25,
		"vended-parquet-conversion": 0.035, "s3-standard-storage": 0.023, "athena-scan": 5,
		"firehose-ingestion": 0.029, "lambda-arm64-duration": 0.0000133334, "lambda-requests": 0.20,
		"opensearch-gp3-storage": 0.122, "kms-key": 1, "vpc-endpoint-interface": 0.01, "cloudwatch-dashboard": 3,
	} {
		if got := p.Rate(id); got != want {
			t.Errorf("%s: %v, want %v", id, got, want)
		}
	}
	if r, _ := p.TypeRate("opensearch-instance", "t3.small.search"); r != 0.036 {
		t.Errorf("t3.small.search: %v", r)
	}
	if r, _ := p.TypeRate("ec2-instance", "t4g.nano"); r != 0.0042 {
		t.Errorf("t4g.nano: %v", r)
	}
}

func TestParsePricesRejects(t *testing.T) {
	for name, doc := range map[string]string{
		"no date":       `{"region":"us-east-1","currency":"USD","daysPerMonth":30,"hoursPerMonth":730}`,
		"unknown field": `{"date":"2026-11-23","colour":"red"}`,
		"missing price": `{"date":"2026-11-23","region":"us-east-1","currency":"USD","daysPerMonth":30,"hoursPerMonth":730,"prices":{}}`,
	} {
		if _, err := ParsePrices([]byte(doc)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestTiers(t *testing.T) {
	p, err := LoadPrices()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ gb, want float64 }{
		{0, 0},
		{100, 50},
		{10240, 5120},
		{20000, 5120 + (20000-10240)*0.25},
		{60000, 5120 + 20480*0.25 + 20480*0.10 + (60000-51200)*0.05},
	} {
		if got := p.Cost("logs-vended-ingestion", c.gb); !near(got, c.want) {
			t.Errorf("CloudWatch Logs vended ingestion of %v GB: %v, want %v", c.gb, got, c.want)
		}
	}
	if got := p.Cost("s3-standard-storage", 100); !near(got, 2.3) {
		t.Errorf("flat price: %v", got)
	}
}

// TestEstimateGrowsLinearly: below the first tier (10 TB a month) every
// volume-priced line is proportional to GB/day, so each extra GB/day adds
// the same amount, and the fixed part is what 0 GB/day costs.
func TestEstimateGrowsLinearly(t *testing.T) {
	e0, e1, e2, e4 := estimate(t, 0), estimate(t, 1), estimate(t, 2), estimate(t, 4)
	for _, arch := range append([]string{""}, e1.Archs()...) {
		t0, t1, t2, t4 := e0.Total(arch), e1.Total(arch), e2.Total(arch), e4.Total(arch)
		for _, end := range []struct {
			name           string
			v0, v1, v2, v4 float64
		}{{"low", t0.Low, t1.Low, t2.Low, t4.Low}, {"high", t0.High, t1.High, t2.High, t4.High}} {
			step := end.v2 - end.v1
			if !near(end.v4-end.v2, 2*step) {
				t.Errorf("%q %s: 1, 2, 4 GB/day cost %v, %v, %v: not linear", arch, end.name, end.v1, end.v2, end.v4)
			}
			if arch == "" && (step <= 0 || end.v1 <= end.v0) {
				t.Errorf("%s: the estimate does not grow with the volume: %v, %v, %v", end.name, end.v0, end.v1, end.v2)
			}
		}
		if t1.Low > t1.High {
			t.Errorf("%q: low %v above high %v", arch, t1.Low, t1.High)
		}
	}
	// The fixed part: the OpenSearch domain, access host and endpoints.
	fixed := e0.Total("cloudwatch-opensearch")
	if fixed.Low < 26.28+3.066+73 || !near(fixed.Low, fixed.High) {
		t.Errorf("fixed cloudwatch-opensearch cost %v", fixed)
	}
}

func TestEstimateTiersBendAtVolume(t *testing.T) {
	// 1,000 GB/day is 30 TB a month: CloudWatch Logs ingestion is past its first tier.
	e := estimate(t, 1000)
	var ingest Line
	for _, l := range e.Lines {
		if strings.HasPrefix(l.What, "CloudWatch Logs ingestion") {
			ingest = l
		}
	}
	if want := 10240*0.5 + (30000-10240)*0.25; !near(ingest.Cost.Low, want) {
		t.Errorf("CloudWatch Logs ingestion of 30,000 GB: %v, want %v", ingest.Cost.Low, want)
	}
}

func TestEstimateLines(t *testing.T) {
	e := estimate(t, 5)
	want := map[string]Range{
		"CloudWatch Logs ingestion into flowlogs-cw-logs":   {75, 75},
		"flow-log delivery to S3 s3-athena-flowlogs-bucket": {37.5, 37.5},
		"Parquet conversion":                                {5.25, 5.25},
		"OpenSearch opensearch-domain instances":            {26.28, 26.28},
		"OpenSearch opensearch-domain storage":              {1.22, 1.22},
		"EC2 opensearch-access-host":                        {3.066, 3.066},
		"interface VPC endpoints":                           {73, 73},
		// 150 GB in invocations of 2 MB / 0.25 MB, packed into records of
		// up to 1,000 KiB, each rounded up to 5 KB (5,120 bytes):
		// 2 MB = 2,097,152 B = 2 full records of 1,024,000 B + 49,152 B
		// billed as 51,200 B; 0.25 MB = 262,144 B billed as 266,240 B.
		"Firehose ingestion into firehose-stream": {
			150 * (2*1024000.0 + 51200) / 2097152 * 0.029,
			150 * 266240.0 / 262144 * 0.029,
		},
		// $0.50 per rule plus $0.02 per million matched events: 150 GB of
		// 400 / 120-byte records, all of them for an unfiltered rule,
		// 2% / 50% for the REJECT-filtered one.
		"Contributor Insights rule vpc-flow-logs-dev-top-talkers-source": {
			0.5 + 150*(1<<30)/400.0/1e6*0.02,
			0.5 + 150*(1<<30)/120.0/1e6*0.02,
		},
		"Contributor Insights rule vpc-flow-logs-dev-top-rejected-sources": {
			0.5 + 150*(1<<30)/400.0*0.02/1e6*0.02,
			0.5 + 150*(1<<30)/120.0*0.5/1e6*0.02,
		},
		// The dev stack's one anomaly-detection alarm: 3 alarm metrics.
		"anomaly-detection alarms": {0.3, 0.3},
	}
	got := map[string]Line{}
	for _, l := range e.Lines {
		got[l.What] = l
	}
	for what, r := range want {
		l, ok := got[what]
		if !ok {
			t.Errorf("no line %q", what)
			continue
		}
		if !near(l.Cost.Low, r.Low) || !near(l.Cost.High, r.High) {
			t.Errorf("%s: %v, want %v", what, l.Cost, r)
		}
	}
	if a := got["CloudWatch Logs ingestion into flowlogs-cw-logs"].Arch; a != diagram.Shared {
		t.Errorf("the shared flow log is priced under %q", a)
	}
	if a := got["Firehose ingestion into firehose-stream"].Arch; a != "firehose-athena" {
		t.Errorf("Firehose is priced under %q", a)
	}
	if a := got["anomaly-detection alarms"].Arch; a != "s3-athena" {
		t.Errorf("the anomaly alarm of an s3-athena rule is priced under %q", a)
	}
	if archs := e.Archs(); strings.Join(archs, " ") != "shared cloudwatch-opensearch s3-athena firehose-athena" {
		t.Errorf("architectures %v", archs)
	}
}

func TestWrite(t *testing.T) {
	var b bytes.Buffer
	estimate(t, 5).Write(&b)
	s := b.String()
	for _, want := range []string{
		"Estimated monthly cost at 5 GB/day of flow logs (150 GB/month), us-east-1 list prices of 2026-11-23 (internal/costs/prices.json)",
		"\n  shared ", "\n  s3-athena ", "\n  firehose-athena ", "\n  cloudwatch-opensearch ", "\n  total ",
		"150 GB x $0.50/GB (vended logs, tiered)",
		"Assumptions (low / high estimate; internal/costs/prices.json):",
		"Not priced: ",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("output lacks %q:\n%s", want, s)
		}
	}
}

// TestWriteGroupsLinesByArchitecture: each line is printed once, under
// the heading of its own architecture.
func TestWriteGroupsLinesByArchitecture(t *testing.T) {
	e := estimate(t, 5)
	var b bytes.Buffer
	e.Write(&b)
	var got []string
	arch := ""
	for _, line := range strings.Split(b.String(), "\n") {
		switch {
		case strings.HasPrefix(line, "    "):
			what, _, _ := strings.Cut(strings.TrimSpace(line), "  ")
			got = append(got, arch+": "+what)
		case strings.HasPrefix(line, "  ") && !strings.HasPrefix(line, "  - "):
			arch, _, _ = strings.Cut(strings.TrimSpace(line), " ")
		}
	}
	var want []string
	for _, a := range e.Archs() {
		for _, l := range e.Lines {
			if l.Arch == a {
				want = append(want, a+": "+l.What)
			}
		}
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("printed lines by heading:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestNegativeVolume(t *testing.T) {
	g, err := devGraph()
	if err != nil {
		t.Fatal(err)
	}
	p, _ := LoadPrices()
	if _, err := New(g, p, -1); err == nil {
		t.Error("a negative volume was accepted")
	}
}

var existingResourcesConfig = map[string]string{
	"vpc-flow-logs:architectures":              `["cloudwatch-opensearch","s3-athena"]`,
	"vpc-flow-logs:vpcIds":                     `["vpc-0123456789abcdef0"]`,
	"vpc-flow-logs:existingBucketArn":          "arn:aws:s3:::my-flow-log-bucket",
	"vpc-flow-logs:opensearchSubnetIds":        `["subnet-0123456789abcdef0","subnet-0fedcba9876543210"]`,
	"vpc-flow-logs:opensearchExistingEndpoint": "vpc-flowlogs-abc123.us-east-1.es.amazonaws.com",
	"vpc-flow-logs:opensearchExistingArn":      "arn:aws:es:us-east-1:123456789012:domain/flowlogs",
}

// TestExistingResourcesAreNotPriced: a bucket or domain the stack does not
// create is named as not priced; the delivery into it still is.
func TestExistingResourcesAreNotPriced(t *testing.T) {
	m, err := runProgram("vpc-flow-logs", "test", existingResourcesConfig)
	if err != nil {
		t.Fatal(err)
	}
	p, _ := LoadPrices()
	e, err := New(diagram.Build(m), p, 1)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	e.Write(&b)
	s := b.String()
	for _, want := range []string{
		"flow-log delivery to S3 my-flow-log-bucket",
		"Not priced: existing S3 bucket my-flow-log-bucket (not created by this stack); existing OpenSearch domain vpc-flowlogs-abc123.us-east-1.es.amazonaws.com (not created by this stack); ",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("estimate lacks %q:\n%s", want, s)
		}
	}
	if strings.Contains(s, "OpenSearch opensearch-domain") {
		t.Error("an existing domain is priced")
	}
}

// dashboardOffConfig is the dev stack with dashboard: false.
func dashboardOffConfig() (string, map[string]string, error) {
	project, cfg, err := devConfig()
	if err == nil {
		cfg[project+":dashboard"] = "false"
	}
	return project, cfg, err
}

// TestDashboardIsPriced: the stack's one dashboard is a shared line at the
// dashboard-month price, and with dashboard: false there is none.
func TestDashboardIsPriced(t *testing.T) {
	e := estimate(t, 1)
	var lines []Line
	for _, l := range e.Lines {
		if l.What == "CloudWatch dashboard" {
			lines = append(lines, l)
		}
	}
	if len(lines) != 1 || lines[0].Arch != diagram.Shared || !near(lines[0].Cost.Low, 3) || !near(lines[0].Cost.High, 3) ||
		lines[0].Basis != "1 x $3.00/month" {
		t.Errorf("dashboard lines %+v, want one shared line of $3.00", lines)
	}
	project, cfg, err := dashboardOffConfig()
	if err != nil {
		t.Fatal(err)
	}
	m, err := runProgram(project, "dev", cfg)
	if err != nil {
		t.Fatal(err)
	}
	p, _ := LoadPrices()
	off, err := New(diagram.Build(m), p, 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range off.Lines {
		if l.What == "CloudWatch dashboard" {
			t.Errorf("dashboard: false still prices %+v", l)
		}
	}
}
