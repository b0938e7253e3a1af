package policy_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/mockaws"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/policy"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/policy/ids"
)

const (
	tDomain     = "aws:opensearch/domain:Domain"
	tSLR        = "aws:iam/serviceLinkedRole:ServiceLinkedRole"
	tEndpoint   = "aws:ec2/vpcEndpoint:VpcEndpoint"
	tFlowLogTok = "aws:ec2/flowLog:FlowLog"
	fixtureArn  = "arn:aws:iam::123456789012:role/fixture-search-admin"
)

// deployBaseline is the security baseline made deployable where the
// OpenSearch component is not yet (an IAM master user needs the internal
// user database off; a VPC domain needs the service-linked role). Both
// repairs do nothing once the component declares them itself.
func deployBaseline(t *testing.T) *mockaws.Mocks {
	t.Helper()
	m := baseline(t)
	for _, d := range m.ByType(tDomain) {
		aso, _ := d.Inputs["advancedSecurityOptions"].(map[string]any)
		if aso == nil {
			continue
		}
		mu, _ := aso["masterUserOptions"].(map[string]any)
		if mu == nil || (mu["masterUserArn"] == nil && mu["masterUserName"] == nil) {
			aso["masterUserOptions"] = map[string]any{"masterUserArn": fixtureArn}
			aso["internalUserDatabaseEnabled"] = false
		} else if mu["masterUserArn"] != nil {
			aso["internalUserDatabaseEnabled"] = false
		}
	}
	if len(m.ByType(tSLR)) == 0 {
		add(m, tSLR, "fixture-opensearch-slr", map[string]any{"awsServiceName": "opensearchservice.amazonaws.com"}, nil)
	}
	return m
}

func TestDeployBaselinePasses(t *testing.T) {
	rep := policy.EvaluateDeployability(deployBaseline(t))
	t.Log(rep.Summary())
	for _, v := range rep.Violations {
		t.Errorf("baseline: %s", v)
	}
	if rep.Rules != len(ids.Deploy) || rep.Resources == 0 || rep.Failed() {
		t.Errorf("summary: %s", rep.Summary())
	}
}

// TestStacksAreDeployable: every shipped stack configuration (the dev stack,
// existing vpcIds, each architecture alone, ...) passes every deployability
// rule. Until the OpenSearch component declares its service-linked role and
// an IAM master user with the internal user database off, the stacks with
// cloudwatch-opensearch fail here (and only here in this package).
func TestStacksAreDeployable(t *testing.T) {
	for _, tc := range stackCases() {
		t.Run(tc.name, func(t *testing.T) {
			cfg := devConfig(t, tc.kv...)
			c, err := load(t, cfg)
			if err != nil {
				t.Fatal(err)
			}
			rep := policy.EvaluateDeployabilityStack(deploy(t, cfg), c)
			t.Log(rep.Summary())
			for _, v := range rep.Violations {
				t.Errorf("%s", v)
			}
		})
	}
}

type deployFixture struct {
	name, rule, clause string
	breaks             func(t *testing.T, m *mockaws.Mocks) []policy.Option
}

func dmut(f func(t *testing.T, m *mockaws.Mocks)) func(*testing.T, *mockaws.Mocks) []policy.Option {
	return func(t *testing.T, m *mockaws.Mocks) []policy.Option { f(t, m); return nil }
}

func domainASO(t *testing.T, m *mockaws.Mocks) map[string]any {
	t.Helper()
	return res(t, m, "fixture-domain").Inputs["advancedSecurityOptions"].(map[string]any)
}

func withoutSLR(m *mockaws.Mocks) {
	m.Resources = slices.DeleteFunc(m.Resources, func(r *mockaws.Resource) bool { return r.Type == tSLR })
}

func deployFixtures() []deployFixture {
	long := strings.Repeat("a", 60)
	return append([]deployFixture{
		{"role auto-name over the provider's 64", ids.DeployNameLimits, "auto-name", dmut(func(t *testing.T, m *mockaws.Mocks) {
			add(m, "aws:iam/role:Role", "role-"+long, map[string]any{}, nil)
		})},
		{"firehose stream name over the service's 64", ids.DeployNameLimits, "max-length", dmut(func(t *testing.T, m *mockaws.Mocks) {
			res(t, m, "firehose-stream").Inputs["name"] = "stream-" + long
		})},
		{"bucket prefix too long for the 26 characters the provider appends", ids.DeployNameLimits, "name-prefix", dmut(func(t *testing.T, m *mockaws.Mocks) {
			add(m, "aws:s3/bucketV2:BucketV2", "fixture-prefixed", map[string]any{"bucketPrefix": "flow-logs-of-a-rather-long-prefix-xyz-"}, nil)
		})},
		{"opensearch domain auto-name over 28", ids.DeployNameLimits, "max-length", dmut(func(t *testing.T, m *mockaws.Mocks) {
			d := res(t, m, "fixture-domain")
			d.Name = "fixture-domain-with-a-long-name"
		})},
		{"bucket name under 3 characters", ids.DeployNameLimits, "min-length", dmut(func(t *testing.T, m *mockaws.Mocks) {
			add(m, "aws:s3/bucketV2:BucketV2", "fixture-short", map[string]any{"bucket": "ab"}, nil)
		})},
		{"bucket name with uppercase letters and an underscore", ids.DeployNameLimits, "characters", dmut(func(t *testing.T, m *mockaws.Mocks) {
			add(m, "aws:s3/bucketV2:BucketV2", "fixture-upper", map[string]any{"bucket": "Flow_Logs"}, nil)
		})},
		{"bucket name with a reserved prefix", ids.DeployNameLimits, "reserved-forms", dmut(func(t *testing.T, m *mockaws.Mocks) {
			add(m, "aws:s3/bucketV2:BucketV2", "fixture-reserved", map[string]any{"bucket": "xn--flowlogs"}, nil)
		})},
		{"internal user database without a master user", ids.DeployOpenSearchMasterUser, "internal-database-needs-name-and-password", dmut(func(t *testing.T, m *mockaws.Mocks) {
			aso := domainASO(t, m)
			aso["internalUserDatabaseEnabled"] = true
			aso["masterUserOptions"] = map[string]any{}
		})},
		{"no internal user database and no IAM master user", ids.DeployOpenSearchMasterUser, "no-internal-database-needs-master-arn", dmut(func(t *testing.T, m *mockaws.Mocks) {
			aso := domainASO(t, m)
			aso["internalUserDatabaseEnabled"] = false
			aso["masterUserOptions"] = map[string]any{}
		})},
		{"IAM master user with the internal user database", ids.DeployOpenSearchMasterUser, "iam-master-without-internal-database", dmut(func(t *testing.T, m *mockaws.Mocks) {
			domainASO(t, m)["internalUserDatabaseEnabled"] = true
		})},
		{"internal master user without the internal user database", ids.DeployOpenSearchMasterUser, "name-and-password-need-internal-database", dmut(func(t *testing.T, m *mockaws.Mocks) {
			domainASO(t, m)["masterUserOptions"] = map[string]any{"masterUserName": "admin", "masterUserPassword": "correct-horse-battery"}
		})},
		{"fine-grained access control without encryption at rest", ids.DeployOpenSearchFGAC, "encryption-at-rest", dmut(func(t *testing.T, m *mockaws.Mocks) {
			set(res(t, m, "fixture-domain").Inputs, "encryptAtRest.enabled", false)
		})},
		{"fine-grained access control without node-to-node encryption", ids.DeployOpenSearchFGAC, "node-to-node-encryption", dmut(func(t *testing.T, m *mockaws.Mocks) {
			set(res(t, m, "fixture-domain").Inputs, "nodeToNodeEncryption.enabled", false)
		})},
		{"fine-grained access control without HTTPS", ids.DeployOpenSearchFGAC, "enforce-https", dmut(func(t *testing.T, m *mockaws.Mocks) {
			set(res(t, m, "fixture-domain").Inputs, "domainEndpointOptions.enforceHttps", false)
		})},
		{"VPC domain without the service-linked role", ids.DeployOpenSearchSLR, "role-for-vpc-domain", dmut(func(t *testing.T, m *mockaws.Mocks) { withoutSLR(m) })},
		{"service-linked role declared although the account has it", ids.DeployOpenSearchSLR, "not-declared-when-existing", func(t *testing.T, m *mockaws.Mocks) []policy.Option {
			return []policy.Option{policy.OpenSearchServiceLinkedRoleExists(true)}
		}},
		{"private DNS endpoint in a VPC the stack does not own", ids.DeployEndpointPrivateDNS, "owned-vpc", dmut(func(t *testing.T, m *mockaws.Mocks) {
			add(m, tEndpoint, "fixture-endpoint", map[string]any{
				"vpcId": "vpc-11111111", "vpcEndpointType": "Interface", "privateDnsEnabled": true, "serviceName": "com.amazonaws.us-east-1.sqs",
			}, nil)
		})},
		{"private DNS endpoint in an owned VPC without DNS hostnames", ids.DeployEndpointPrivateDNS, "dns-hostnames", dmut(func(t *testing.T, m *mockaws.Mocks) {
			vpc := res(t, m, "demo-vpc")
			add(m, tEndpoint, "fixture-endpoint", map[string]any{
				"vpcId": vpc.Outputs["id"], "vpcEndpointType": "Interface", "privateDnsEnabled": true, "serviceName": "com.amazonaws.us-east-1.sqs",
			}, nil)
			vpc.Inputs["enableDnsHostnames"] = false
		})},
		{"private DNS endpoint in an owned VPC without DNS support", ids.DeployEndpointPrivateDNS, "dns-support", dmut(func(t *testing.T, m *mockaws.Mocks) {
			vpc := res(t, m, "demo-vpc")
			add(m, tEndpoint, "fixture-endpoint", map[string]any{
				"vpcId": vpc.Outputs["id"], "vpcEndpointType": "Interface", "privateDnsEnabled": true, "serviceName": "com.amazonaws.us-east-1.sqs",
			}, nil)
			vpc.Inputs["enableDnsSupport"] = false
		})},
		{"alarm topic key without CloudWatch", ids.DeployKMSGrants, "alarm-topic-key", dmut(func(t *testing.T, m *mockaws.Mocks) {
			editPolicy(t, res(t, m, "alarms-key"), "policy", func(s []any) []any {
				return slices.DeleteFunc(s, func(st any) bool { return st.(map[string]any)["Sid"] == "CloudWatchAlarmsPublish" })
			})
		})},
		{"log group key without CloudWatch Logs", ids.DeployKMSGrants, "log-group-key", dmut(func(t *testing.T, m *mockaws.Mocks) {
			res(t, m, flowLogGroup).Inputs["kmsKeyId"] = res(t, m, "alarms-key").Outputs["arn"]
		})},
		{"flow-log bucket key without log delivery", ids.DeployKMSGrants, "flow-log-bucket-key", dmut(func(t *testing.T, m *mockaws.Mocks) {
			set(res(t, m, flowLogBucket+"-encryption").Inputs["rules"].([]any)[0].(map[string]any),
				"applyServerSideEncryptionByDefault.kmsMasterKeyId", res(t, m, "alarms-key").Outputs["arn"])
		})},
		{"metric filter pattern over 1024 characters", ids.DeployMetricFilterPattern, "pattern-length", dmut(func(t *testing.T, m *mockaws.Mocks) {
			res(t, m, "alarms-http-attempts").Inputs["pattern"] = "[" + strings.Repeat("f,", 520) + "g]"
		})},
		{"three regular expressions in one pattern", ids.DeployMetricFilterPattern, "regex-per-pattern", dmut(func(t *testing.T, m *mockaws.Mocks) {
			res(t, m, "alarms-http-attempts").Inputs["pattern"] = "[a = %1%, b = %2%, c = %3%]"
		})},
		{"three subscription filters on one log group", ids.DeploySubscriptionFilters, "filters-per-log-group", dmut(func(t *testing.T, m *mockaws.Mocks) {
			lg := res(t, m, flowLogGroup).Outputs["name"]
			for _, n := range []string{"fixture-sub-1", "fixture-sub-2", "fixture-sub-3"} {
				add(m, "aws:cloudwatch/logSubscriptionFilter:LogSubscriptionFilter", n, map[string]any{"logGroup": lg, "filterPattern": "", "name": n}, nil)
			}
		})},
		{"six patterns with a regular expression on one log group", ids.DeployRegexPatternsPerLogGroup, "regex-per-log-group", dmut(func(t *testing.T, m *mockaws.Mocks) {
			lg := res(t, m, flowLogGroup).Outputs["name"]
			for _, n := range []string{"fixture-re-1", "fixture-re-2", "fixture-re-3", "fixture-re-4", "fixture-re-5", "fixture-re-6"} {
				add(m, "aws:cloudwatch/logMetricFilter:LogMetricFilter", n, map[string]any{"logGroupName": lg, "pattern": "[a = %x%, b]", "name": n}, nil)
			}
		})},
		{"third flow log on the demo VPC", ids.DeployFlowLogsPerVPC, "flow-logs-per-resource", dmut(func(t *testing.T, m *mockaws.Mocks) {
			vpc := res(t, m, "demo-vpc").Outputs["id"]
			for _, n := range []string{"fixture-fl-1", "fixture-fl-2", "fixture-fl-3"} {
				add(m, tFlowLogTok, n, map[string]any{"vpcId": vpc, "trafficType": "ALL"}, nil)
			}
		})},
		{"three flow logs on one subnet", ids.DeployFlowLogsPerVPC, "flow-logs-per-resource", dmut(func(t *testing.T, m *mockaws.Mocks) {
			for _, n := range []string{"fixture-fl-1", "fixture-fl-2", "fixture-fl-3"} {
				add(m, tFlowLogTok, n, map[string]any{"subnetId": "subnet-0123456789abcdef0", "trafficType": "ALL"}, nil)
			}
		})},
		{"scan cutoff below Athena's minimum", ids.DeployAthenaScanCutoff, "cutoff-minimum", dmut(func(t *testing.T, m *mockaws.Mocks) {
			set(res(t, m, workgroup).Inputs, "configuration.bytesScannedCutoffPerQuery", float64(1_000_000))
		})},
		{"projection range not ending at NOW", ids.DeployGlueProjection, "date-range-ends-at-now", dmut(func(t *testing.T, m *mockaws.Mocks) {
			res(t, m, "s3-athena-table").Inputs["parameters"].(map[string]any)["projection.datehour.range"] = "year=2024/month=01/day=01/hour=00,year=2099/month=12/day=31/hour=23"
		})},
		{"location template without the partition key", ids.DeployGlueProjection, "template-names-every-key", dmut(func(t *testing.T, m *mockaws.Mocks) {
			p := tableParams(t, m)
			if _, ok := p["storage.location.template"]; !ok {
				t.Fatal("the table has no storage.location.template")
			}
			p["storage.location.template"] = "s3://bucket/prefix/"
		})},
		{"date projection without a format", ids.DeployGlueProjection, "date-format", dmut(func(t *testing.T, m *mockaws.Mocks) {
			delete(tableParams(t, m), "projection.datehour.format")
		})},
		{"date range without an end", ids.DeployGlueProjection, "date-range-shape", dmut(func(t *testing.T, m *mockaws.Mocks) {
			tableParams(t, m)["projection.datehour.range"] = "NOW-3YEARS"
		})},
		{"date interval unit Athena does not know", ids.DeployGlueProjection, "date-interval-unit", dmut(func(t *testing.T, m *mockaws.Mocks) {
			tableParams(t, m)["projection.datehour.interval.unit"] = "FORTNIGHTS"
		})},
		{"integer range not two integers", ids.DeployGlueProjection, "integer-range-shape", dmut(func(t *testing.T, m *mockaws.Mocks) {
			addIntegerKey(t, m, "0-9")
		})},
		{"integer range with min above max", ids.DeployGlueProjection, "integer-range-order", dmut(func(t *testing.T, m *mockaws.Mocks) {
			addIntegerKey(t, m, "9,1")
		})},
		{"digits of zero", ids.DeployGlueProjection, "digits-positive", dmut(func(t *testing.T, m *mockaws.Mocks) {
			tableParams(t, m)["projection.datehour.digits"] = "0"
		})},
		{"partition key without a projection type", ids.DeployGlueProjection, "projection-type", dmut(func(t *testing.T, m *mockaws.Mocks) {
			delete(res(t, m, "firehose-athena-table").Inputs["parameters"].(map[string]any), "projection.datehour.type")
		})},
		{"anomaly alarm with a threshold", ids.DeployAlarmThreshold, "band-without-threshold", dmut(func(t *testing.T, m *mockaws.Mocks) {
			res(t, m, "alarms-rejects-unusual-alarm").Inputs["threshold"] = float64(5)
		})},
		{"band operator without thresholdMetricId", ids.DeployAlarmThreshold, "band-threshold-metric-id", dmut(func(t *testing.T, m *mockaws.Mocks) {
			delete(res(t, m, "alarms-rejects-unusual-alarm").Inputs, "thresholdMetricId")
		})},
		{"thresholdMetricId naming the metric, not the band", ids.DeployAlarmThreshold, "band-query", dmut(func(t *testing.T, m *mockaws.Mocks) {
			res(t, m, "alarms-rejects-unusual-alarm").Inputs["thresholdMetricId"] = "m1"
		})},
		{"static alarm with thresholdMetricId", ids.DeployAlarmThreshold, "static-without-threshold-metric-id", dmut(func(t *testing.T, m *mockaws.Mocks) {
			res(t, m, "alarms-http-attempts-alarm").Inputs["thresholdMetricId"] = "band"
		})},
		{"static alarm without a threshold", ids.DeployAlarmThreshold, "static-threshold", dmut(func(t *testing.T, m *mockaws.Mocks) {
			delete(res(t, m, "insights-one-source-many-rejects-alarm").Inputs, "threshold")
		})},
		{"insight rule that a definition change would not reach", ids.DeployNoOpUpdateReplaces, "replace-on-changes", dmut(func(t *testing.T, m *mockaws.Mocks) {
			r := m.ByType("aws:cloudwatch/contributorInsightRule:ContributorInsightRule")[0]
			r.ReplaceOnChanges = slices.DeleteFunc(slices.Clone(r.ReplaceOnChanges), func(s string) bool { return s == "ruleDefinition" })
		})},
		{"security group rule description with an apostrophe", ids.DeployEC2Description, "description-characters", dmut(func(t *testing.T, m *mockaws.Mocks) {
			res(t, m, "opensearch-domain-https").Inputs["description"] = "HTTPS from the domain's clients"
		})},
		{"security group description of 256 characters", ids.DeployEC2Description, "description-length", dmut(func(t *testing.T, m *mockaws.Mocks) {
			res(t, m, "opensearch-domain-sg").Inputs["description"] = strings.Repeat("x", 256)
		})},
		{"insight rule replaced create-first", ids.DeployNoOpUpdateReplaces, "delete-before-replace", dmut(func(t *testing.T, m *mockaws.Mocks) {
			m.ByType("aws:cloudwatch/contributorInsightRule:ContributorInsightRule")[0].DeleteBeforeReplace = false
		})},
	}, orgFixtures()...)
}

// TestEveryDeployRuleHasAFailingFixture: every clause of every
// deployability rule has a fixture that breaks it alone.
// projectedTable is the baseline's table with partition projection the Glue fixtures break.
const projectedTable = "s3-athena-table"

func tableParams(t *testing.T, m *mockaws.Mocks) map[string]any {
	t.Helper()
	return res(t, m, projectedTable).Inputs["parameters"].(map[string]any)
}

// addIntegerKey adds a partition key "shard" with an integer projection
// over rng to the projected table, named by its location template.
func addIntegerKey(t *testing.T, m *mockaws.Mocks, rng string) {
	t.Helper()
	tbl := res(t, m, projectedTable)
	tbl.Inputs["partitionKeys"] = append(policy.List(tbl.Inputs["partitionKeys"]), map[string]any{"name": "shard", "type": "int"})
	p := tableParams(t, m)
	p["projection.shard.type"], p["projection.shard.range"] = "integer", rng
	if tmpl, ok := p["storage.location.template"].(string); ok {
		p["storage.location.template"] = tmpl + "${shard}/"
	}
}

func TestEveryDeployRuleHasAFailingFixture(t *testing.T) {
	var cases []fixtureCase
	for _, f := range deployFixtures() {
		cases = append(cases, fixtureCase{f.name, f.rule, f.clause})
		t.Run(f.rule+"/"+f.clause+"/"+f.name, func(t *testing.T) {
			m := deployBaseline(t)
			opts := f.breaks(t, m)
			rep := policy.EvaluateDeployability(m, opts...)
			assertBreaksClause(t, f.rule, f.clause, alsoBreaks[f.name], rep, rep.Violations)
		})
	}
	for _, miss := range uncoveredClauses(policy.DeployRules(), cases) {
		t.Error(miss)
	}
}

// The passing side of the clauses that depend on the config.
func TestDeployRulesFollowTheConfig(t *testing.T) {
	m := deployBaseline(t)
	add(m, tEndpoint, "fixture-endpoint", map[string]any{
		"vpcId": "vpc-11111111", "vpcEndpointType": "Interface", "privateDnsEnabled": true, "serviceName": "com.amazonaws.us-east-1.sqs",
	}, nil)
	add(m, tEndpoint, "fixture-gateway", map[string]any{"vpcId": "vpc-11111111", "vpcEndpointType": "Gateway", "serviceName": "com.amazonaws.us-east-1.s3"}, nil)
	if rep := policy.EvaluateDeployability(m, policy.EndpointsInForeignVPCs(true)); rep.Failed() {
		t.Errorf("opensearchVpcEndpoints: create allows private DNS in vpcIds: %v", rep.Violations)
	}
	m = deployBaseline(t)
	withoutSLR(m)
	if rep := policy.EvaluateDeployability(m, policy.OpenSearchServiceLinkedRoleExists(true)); rep.Failed() {
		t.Errorf("opensearchServiceLinkedRole: existing needs no role in the graph: %v", rep.Violations)
	}
}

func TestDeployRuleIDs(t *testing.T) {
	var got []string
	for _, r := range policy.DeployRules() {
		got = append(got, r.ID)
		if r.Check == nil || !strings.Contains(r.Description, "https://docs.aws.amazon.com/") {
			t.Errorf("rule %s lacks a check or the AWS page behind it", r.ID)
		}
		if _, ok := policy.DeployRuleByID(r.ID); !ok {
			t.Errorf("DeployRuleByID(%s) fails", r.ID)
		}
		if ids.Known(r.ID) {
			t.Errorf("%s is in ids.All: deployability rules cannot be waived", r.ID)
		}
	}
	if !slices.Equal(got, ids.Deploy) {
		t.Errorf("rules and ids.Deploy differ\nrules: %v\nids:   %v", got, ids.Deploy)
	}
	// A waiver of a deployability rule is a config error.
	if _, err := load(t, devConfig(t, "policyWaivers", `{"`+ids.DeployNameLimits+`": "we know"}`)); err == nil || !strings.Contains(err.Error(), ids.DeployNameLimits) {
		t.Errorf("waiving %s: want a config error, got %v", ids.DeployNameLimits, err)
	}
}

func TestReadmeListsEveryDeployRule(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(root(t), "docs", "deployability-rules.md"))
	if err != nil {
		t.Fatal(err)
	}
	section := string(b)
	// The table is the rules' own descriptions: a changed rule changes its row.
	for _, r := range policy.DeployRules() {
		row := "| `" + r.ID + "` | " + string(r.Severity) + " | " + r.Description + " |\n"
		if !strings.Contains(section, row) {
			t.Errorf("docs/deployability-rules.md's table lacks the row of %s:\n%s", r.ID, row)
		}
	}
}

// A long component name reaches every child's logical name and so its
// auto-name: the name rule catches it before AWS (or the provider) would.
const longComponentName = "flowlogs-to-cloudwatch-for-the-production-network-account-vpcs"

func TestLongComponentNameIsCaught(t *testing.T) {
	name := longComponentName
	m := runComponent(t, flowLogToCloudWatchRun(name))
	rep := policy.EvaluateDeployability(m)
	found := false
	for _, v := range rep.Violations {
		if v.Rule != ids.DeployNameLimits {
			t.Errorf("unexpected %s", v)
		}
		if v.Type == "aws:iam/role:Role" && strings.Contains(v.Message, "longer than maximum length 64") {
			found = true
		}
	}
	if !found {
		t.Errorf("the role of a component named %q (%d characters) is not caught: %s", name, len(name), rep.Summary())
	}
}
