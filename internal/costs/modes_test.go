package costs

import (
	"slices"
	"sort"
	"testing"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/diagram"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/mockaws"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/stackconfig"
)

// A priced stack and every line of its estimate, computed by hand from the
// list prices of prices.json (2026-11-23, us-east-1) and its assumptions,
// never by calling the estimator. Every case is at 5 GB/day: 150 GB a
// month (daysPerMonth 30), below every first tier.

// want is one expected line: its cost at the low and high assumptions, and
// the price ids (prices.json) the arithmetic uses.
type want struct {
	arch, what string
	low, high  float64
	prices     []string
}

type modeCase struct {
	name string
	kv   []string // config overrides of the dev stack (short keys)
	// lines are all the lines of the estimate.
	lines []want
}

// Lines every case with the CloudWatch Logs flow log shares.
var (
	// 150 GB x $0.50/GB (first tier).
	cwIngestion = want{"shared", "CloudWatch Logs ingestion into flowlogs-cw-logs", 75, 75, []string{"logs-vended-ingestion"}}
	// 5 GB/day x 14 days kept = 70 GB raw; x 0.12 = 8.4 GB and x 0.25 =
	// 17.5 GB stored, x $0.03/GB-month.
	cwStorage = want{"shared", "CloudWatch Logs storage of flowlogs-cw-logs", 8.4 * 0.03, 17.5 * 0.03, []string{"logs-storage"}}
	// The alarm topic's key: 1 x $1.00.
	kmsKey = want{"shared", "KMS keys", 1, 1, []string{"kms-key"}}
	// The stack's dashboard: 1 x $3.00/dashboard-month.
	dashboard = want{"shared", "CloudWatch dashboard", 3, 3, []string{"cloudwatch-dashboard"}}
	// One subscription x 10 / 1,000 e-mails, the first 1,000 free: 0 and 0.
	oneEmail = want{"shared", "SNS alarm e-mails", 0, 0, []string{"sns-email"}}
	// 5 GB/day x 90 days to expiry = 450 GB raw; gzip text x 0.10 = 45 GB
	// and x 0.20 = 90 GB, x $0.023/GB-month.
	firehoseStorage = want{"firehose-athena", "S3 storage in firehose-bucket", 45 * 0.023, 90 * 0.023, []string{"s3-standard-storage"}}
	// 5 / 50 queries a day x 30 days = 150 / 1,500 queries. Each scans one
	// day of gzip text: 5 GB x 0.10 = 0.5 GB (above the 10 MB minimum), and
	// 5 GB x 0.20 = 1 GB, cut off at athenaScanLimitMb 1024 = 1,024,000,000
	// bytes = 1024e6 / 2^30 GB. Per TB (1,024 GB) x $5.00.
	firehoseAthena = want{"firehose-athena", "Athena queries in firehose-athena-workgroup",
		150 * 0.5 / 1024 * 5, 1500 * (1024e6 / (1 << 30)) / 1024 * 5, []string{"athena-scan"}}
	// Firehose fed by CloudWatch Logs or a flow log: 150 GB x $0.029/GB, no
	// record packing of ours to round.
	firehosePlain = want{"firehose-athena", "Firehose ingestion into firehose-stream", 150 * 0.029, 150 * 0.029, []string{"firehose-ingestion"}}
	oneAlarm      = want{"firehose-athena", "CloudWatch alarms", 0.10, 0.10, []string{"cloudwatch-alarm"}}
)

// The Contributor Insights rules and their one alarm, on every case with the
// CloudWatch Logs flow log: $0.50 a rule plus $0.02 per million matched
// events; 150 GB of 400 / 120-byte records, every record for the four rules
// without a filter, 2% / 50% for top-rejected-sources.
func insightLines() []want {
	events := func(recordBytes, share float64) float64 { return 150 * (1 << 30) / recordBytes * share / 1e6 * 0.02 }
	prices := []string{"contributor-insights-rule", "contributor-insights-events"}
	out := []want{{"shared", "Contributor Insights rule vpc-flow-logs-dev-top-rejected-sources", 0.5 + events(400, 0.02), 0.5 + events(120, 0.5), prices}}
	for _, id := range []string{"top-talkers-source", "top-talkers-destination", "top-destination-ports", "top-interfaces"} {
		out = append(out, want{"shared", "Contributor Insights rule vpc-flow-logs-dev-" + id, 0.5 + events(400, 1), 0.5 + events(120, 1), prices})
	}
	return out
}

func modeCases() []modeCase {
	cases := modeCasesWithoutInsights()
	for i := range cases {
		c := &cases[i]
		if !slices.ContainsFunc(c.lines, func(w want) bool { return w.what == cwIngestion.what }) {
			continue
		}
		c.lines = append(c.lines, insightLines()...)
		// The alarm on top-rejected-sources: 1 more shared alarm x $0.10.
		if j := slices.IndexFunc(c.lines, func(w want) bool { return w.arch == "shared" && w.what == "CloudWatch alarms" }); j >= 0 {
			c.lines[j].low += 0.10
			c.lines[j].high += 0.10
		} else {
			c.lines = append(c.lines, want{"shared", "CloudWatch alarms", 0.10, 0.10, []string{"cloudwatch-alarm"}})
		}
		// The dev stack's anomaly-detection rule (s3-athena): 3 alarm metrics x $0.10.
		// and its metric filter's metric, 1 more x $0.30.
		if slices.Contains(c.kv, `["s3-athena"]`) {
			c.lines = append(c.lines, want{"s3-athena", "anomaly-detection alarms", 0.30, 0.30, []string{"cloudwatch-alarm"}})
			j := slices.IndexFunc(c.lines, func(w want) bool { return w.what == "metric-filter custom metrics" })
			c.lines[j].low += 0.30
			c.lines[j].high += 0.30
		}
	}
	return cases
}

func modeCasesWithoutInsights() []modeCase {
	return []modeCase{
		{name: "firehose-athena, lambda feed", kv: []string{"architectures", `["firehose-athena"]`, "firehoseFeedMode", stackconfig.FeedLambda},
			lines: []want{dashboard, cwIngestion, cwStorage, kmsKey, oneEmail, firehoseStorage, firehoseAthena,
				// 150 GB = 153,600 MB; in invocations of 2 MB: 76,800, of
				// 0.25 MB: 614,400. Requests x $0.20 per million; duration
				// 0.1 s / 1 s x 512 MB (0.5 GB) x $0.0000133334/GB-s.
				{"firehose-athena", "Lambda firehose-forwarder",
					0.0768*0.20 + 76800*0.1*0.5*0.0000133334,
					0.6144*0.20 + 614400*1*0.5*0.0000133334, []string{"lambda-requests", "lambda-arm64-duration"}},
				// 2 MB = 2,097,152 B = 2 records of 1,024,000 B (200 x 5,120 B
				// each) + 49,152 B billed as 10 x 5,120 = 51,200 B;
				// 0.25 MB = 262,144 B billed as 52 x 5,120 = 266,240 B.
				{"firehose-athena", "Firehose ingestion into firehose-stream",
					150 * (2*1024000.0 + 51200) / 2097152 * 0.029, 150 * 266240.0 / 262144 * 0.029, []string{"firehose-ingestion"}},
				// The 4 alarms of the lambda feed (the forwarder's and the stream's) x $0.10.
				{"firehose-athena", "CloudWatch alarms", 4 * 0.10, 4 * 0.10, []string{"cloudwatch-alarm"}},
			}},
		{name: "firehose-athena, subscription feed", kv: []string{"architectures", `["firehose-athena"]`, "firehoseFeedMode", stackconfig.FeedSubscription},
			lines: []want{dashboard, cwIngestion, cwStorage, kmsKey, oneEmail, firehoseStorage, firehoseAthena, firehosePlain, oneAlarm}},
		{name: "firehose-athena, direct feed", kv: []string{"architectures", `["firehose-athena"]`, "firehoseFeedMode", stackconfig.FeedDirect},
			lines: []want{dashboard, kmsKey, oneEmail, firehoseStorage, firehoseAthena, firehosePlain, oneAlarm,
				// No CloudWatch Logs: the flow log delivers to Firehose,
				// 150 GB x $0.25/GB (vended logs, first tier).
				{"firehose-athena", "flow-log delivery to Firehose firehose-stream", 150 * 0.25, 150 * 0.25, []string{"vended-delivery-firehose"}},
			}},
		{name: "s3-athena", kv: []string{"architectures", `["s3-athena"]`},
			lines: []want{dashboard, cwIngestion, cwStorage, kmsKey, oneEmail,
				// 150 GB x $0.25/GB (vended logs, first tier) and x $0.035/GB to Parquet.
				{"s3-athena", "flow-log delivery to S3 s3-athena-flowlogs-bucket", 150 * 0.25, 150 * 0.25, []string{"vended-delivery-s3"}},
				{"s3-athena", "Parquet conversion", 150 * 0.035, 150 * 0.035, []string{"vended-parquet-conversion"}},
				// 450 GB raw; Parquet x 0.08 = 36 GB and x 0.20 = 90 GB, x $0.023.
				{"s3-athena", "S3 storage in s3-athena-flowlogs-bucket", 36 * 0.023, 90 * 0.023, []string{"s3-standard-storage"}},
				// One day of Parquet: 5 GB x 0.08 = 0.4 GB x 150 queries;
				// x 0.20 = 1 GB cut off at 1024e6 bytes, x 1,500 queries.
				{"s3-athena", "Athena queries in s3-athena-workgroup", 150 * 0.4 / 1024 * 5, 1500 * (1024e6 / (1 << 30)) / 1024 * 5, []string{"athena-scan"}},
				// The two alarm rules: a metric filter and an alarm each.
				{"s3-athena", "metric-filter custom metrics", 2 * 0.30, 2 * 0.30, []string{"cloudwatch-custom-metric"}},
				{"s3-athena", "CloudWatch alarms", 2 * 0.10, 2 * 0.10, []string{"cloudwatch-alarm"}},
			}},
		{name: "cloudwatch-opensearch, Slack webhook, three alarm e-mails", kv: []string{
			"architectures", `["cloudwatch-opensearch"]`,
			"slackMode", "webhook", "slackWebhookUrl", "https://hooks.slack.com/services/T0TESTTEAM/B0TESTHOOK/s3cr3tT0kenValue0123456789",
			"alarmEmails", `["secops@example.com","noc@example.com","oncall@example.com"]`,
		}, lines: []want{dashboard, cwIngestion, cwStorage, kmsKey,
			// 3 subscriptions x 10 = 30 e-mails (free); x 1,000 = 3,000,
			// of which 2,000 beyond the free 1,000, x $0.00002.
			{"shared", "SNS alarm e-mails", 0, 2000 * 0.00002, []string{"sns-email"}},
			// 2 shared alarms x $0.10 and the webhook URL's secret x $0.40.
			{"shared", "CloudWatch alarms", 2 * 0.10, 2 * 0.10, []string{"cloudwatch-alarm"}},
			{"shared", "Secrets Manager secrets", 0.40, 0.40, []string{"secretsmanager-secret"}},
			// 76,800 / 614,400 invocations (see the forwarder) at 768 MB (0.75 GB).
			{"cloudwatch-opensearch", "Lambda opensearch-indexer",
				0.0768*0.20 + 76800*0.1*0.75*0.0000133334,
				0.6144*0.20 + 614400*1*0.75*0.0000133334, []string{"lambda-requests", "lambda-arm64-duration"}},
			// 730 h x $0.0042/h (t4g.nano).
			{"cloudwatch-opensearch", "EC2 opensearch-access-host", 730 * 0.0042, 730 * 0.0042, []string{"ec2-instance"}},
			// 1 x 730 h x $0.036/h (t3.small.search); 1 x 10 GiB x $0.122/GB-month.
			{"cloudwatch-opensearch", "OpenSearch opensearch-domain instances", 730 * 0.036, 730 * 0.036, []string{"opensearch-instance"}},
			{"cloudwatch-opensearch", "OpenSearch opensearch-domain storage", 10 * 0.122, 10 * 0.122, []string{"opensearch-gp3-storage"}},
			// 10 alarms x $0.10: the indexer's errors and dead letters, its
			// rejects queue's depth, the bootstrap's errors and dead letters, and
			// the domain's 5 (cluster red and yellow, free storage on its one
			// node, write blocks, JVM pressure).
			{"cloudwatch-opensearch", "CloudWatch alarms", 10 * 0.10, 10 * 0.10, []string{"cloudwatch-alarm"}},
			// 10 endpoint-AZs (each interface endpoint once per subnet) x 730 h x $0.01/h.
			{"cloudwatch-opensearch", "interface VPC endpoints", 10 * 730 * 0.01, 10 * 730 * 0.01, []string{"vpc-endpoint-interface"}},
			// The architecture's 2 secrets x $0.40.
			{"cloudwatch-opensearch", "Secrets Manager secrets", 2 * 0.40, 2 * 0.40, []string{"secretsmanager-secret"}},
		}},
	}
}

// modeEstimate runs the dev stack with kv and estimates it at 5 GB/day.
func modeEstimate(t *testing.T, kv []string) *Estimate {
	t.Helper()
	project, cfg, err := modeConfig(kv)
	if err != nil {
		t.Fatal(err)
	}
	m, err := runProgram(project, "dev", cfg)
	if err != nil {
		t.Fatal(err)
	}
	return estimateOf(t, m)
}

// estimateOf is the estimate of the recorded graph m at 5 GB a day.
func estimateOf(t *testing.T, m *mockaws.Mocks) *Estimate {
	t.Helper()
	p, err := LoadPrices()
	if err != nil {
		t.Fatal(err)
	}
	e, err := New(diagram.Build(m), p, 5)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// modeConfig is the dev stack's config with the overrides kv (short keys).
func modeConfig(kv []string) (string, map[string]string, error) {
	project, cfg, err := devConfig()
	if err != nil {
		return "", nil, err
	}
	for i := 0; i+1 < len(kv); i += 2 {
		cfg[stackconfig.Key(kv[i])] = kv[i+1]
	}
	return project, cfg, nil
}

// TestEveryModeIsPriced: the estimate of each feed mode and architecture
// has exactly the hand-computed lines, at the hand-computed cost.
func TestEveryModeIsPriced(t *testing.T) {
	for _, tc := range modeCases() {
		t.Run(tc.name, func(t *testing.T) {
			e := modeEstimate(t, tc.kv)
			got := map[string]Line{}
			for _, l := range e.Lines {
				k := l.Arch + ": " + l.What
				if _, dup := got[k]; dup {
					t.Errorf("two lines %q", k)
				}
				got[k] = l
			}
			expected := map[string]bool{}
			for _, w := range tc.lines {
				k := w.arch + ": " + w.what
				expected[k] = true
				l, ok := got[k]
				switch {
				case !ok:
					t.Errorf("no line %q", k)
				case !near(l.Cost.Low, w.low) || !near(l.Cost.High, w.high):
					t.Errorf("%s: %v - %v, want %v - %v (%s)", k, l.Cost.Low, l.Cost.High, w.low, w.high, l.Basis)
				}
			}
			for k, l := range got {
				if !expected[k] {
					t.Errorf("unexpected line %q: %v (%s)", k, l.Cost, l.Basis)
				}
			}
		})
	}
}

// TestEveryPriceHasAHandComputedLine: each price of prices.json is used by
// at least one hand-computed line, so a line the estimator stops producing
// fails TestEveryModeIsPriced.
func TestEveryPriceHasAHandComputedLine(t *testing.T) {
	p, err := LoadPrices()
	if err != nil {
		t.Fatal(err)
	}
	used := map[string]bool{}
	for _, tc := range modeCases() {
		for _, w := range tc.lines {
			for _, id := range w.prices {
				if _, ok := p.Prices[id]; !ok {
					t.Errorf("%s: line %q names price %q, which prices.json lacks", tc.name, w.what, id)
				}
				used[id] = true
			}
		}
	}
	var missing []string
	for id := range p.Prices {
		if !used[id] {
			missing = append(missing, id)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("prices with no hand-computed line: %v", missing)
	}
	// Every feed mode has a case.
	for _, mode := range stackconfig.FeedModes {
		if !slices.ContainsFunc(modeCases(), func(tc modeCase) bool { return slices.Contains(tc.kv, mode) }) {
			t.Errorf("feed mode %s has no priced case", mode)
		}
	}
}

// s3AthenaGraph is the mocked graph of the dev stack with s3-athena alone,
// for a test to edit before it prices it.
func s3AthenaGraph(t *testing.T) *mockaws.Mocks {
	t.Helper()
	project, cfg, err := modeConfig([]string{"architectures", `["s3-athena"]`})
	if err != nil {
		t.Fatal(err)
	}
	m, err := runProgram(project, "dev", cfg)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// A workgroup whose scan cutoff is 0 has none (the workgroup input's zero
// value): each query is priced at its whole scan, 5 GB x 0.20 = 1 GB at the
// high assumption (1,500 queries), not at nothing.
func TestAthenaCutoffZeroIsNoCutoff(t *testing.T) {
	m := s3AthenaGraph(t)
	for _, w := range m.ByType("aws:athena/workgroup:Workgroup") {
		c, _ := w.Inputs["configuration"].(map[string]any)
		if c == nil {
			t.Fatalf("workgroup %s has no configuration", w.Name)
		}
		c["bytesScannedCutoffPerQuery"] = float64(0)
	}
	e := estimateOf(t, m)
	i := slices.IndexFunc(e.Lines, func(l Line) bool { return l.What == "Athena queries in s3-athena-workgroup" })
	if i < 0 {
		t.Fatalf("no Athena line: %+v", e.Lines)
	}
	if l := e.Lines[i]; !near(l.Cost.Low, 150*0.4/1024*5) || !near(l.Cost.High, 1500*1.0/1024*5) {
		t.Errorf("Athena line %v - %v (%s), want the whole scan priced", l.Cost.Low, l.Cost.High, l.Basis)
	}
}

// Each anomaly-detection alarm is priced as 3 alarm metrics: two of them
// are 6 x $0.10.
func TestAnomalyAlarmsArePricedPerAlarm(t *testing.T) {
	m := s3AthenaGraph(t)
	var band *mockaws.Resource
	for _, a := range m.ByType("aws:cloudwatch/metricAlarm:MetricAlarm") {
		if a.Input("thresholdMetricId") != "" {
			band = a
		}
	}
	if band == nil {
		t.Fatal("the s3-athena stack has no anomaly-detection alarm")
	}
	second := *band
	second.Name, second.URN = band.Name+"-2", band.URN+"-2"
	m.Resources = append(m.Resources, &second)
	e := estimateOf(t, m)
	i := slices.IndexFunc(e.Lines, func(l Line) bool { return l.What == "anomaly-detection alarms" })
	if i < 0 {
		t.Fatalf("no anomaly-detection line: %+v", e.Lines)
	}
	if l := e.Lines[i]; !near(l.Cost.Low, 0.60) || !near(l.Cost.High, 0.60) {
		t.Errorf("two anomaly-detection alarms cost %v - %v (%s), want 6 x $0.10", l.Cost.Low, l.Cost.High, l.Basis)
	}
}
