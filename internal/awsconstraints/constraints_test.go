package awsconstraints

import (
	"slices"
	"strings"
	"testing"
)

// only returns the violations of one constraint.
func only(vs []Violation, constraint string) []Violation {
	var out []Violation
	for _, v := range vs {
		if v.Constraint == constraint {
			out = append(out, v)
		}
	}
	return out
}

func TestPhysicalNameModelsTheProvider(t *testing.T) {
	cases := []struct {
		name, typ, logical string
		inputs             map[string]any
		want               string
		source             string
	}{
		{"role auto-name", "aws:iam/role:Role", "alarms-role", nil, "alarms-role-" + Random("alarms-role", 7, false), "auto"},
		{"bucket auto-name is lowercased", "aws:s3/bucketV2:BucketV2", "Flow-Bucket", nil, "flow-bucket-" + Random("Flow-Bucket", 7, false), "auto"},
		{"glue auto-name: lowercase, _ and 8 letters", "aws:glue/catalogTable:CatalogTable", "Flows", nil, "flows_" + Random("Flows", 8, true), "auto"},
		{"fifo queue auto-name ends in .fifo", "aws:sqs/queue:Queue", "q", map[string]any{"fifoQueue": true}, "q-" + Random("q", 7, false) + ".fifo", "auto"},
		{"explicit name wins", "aws:iam/role:Role", "x", map[string]any{"name": "my-role"}, "my-role", "explicit"},
		{"prefix plus 26 characters", "aws:iam/role:Role", "x", map[string]any{"namePrefix": "svc-"}, "svc-" + Random("x", 26, false), "prefix"},
		{"bucket prefix", "aws:s3/bucketV2:BucketV2", "x", map[string]any{"bucketPrefix": "logs-"}, "logs-" + Random("x", 26, false), "prefix"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, ok := PhysicalName(tc.typ, tc.logical, tc.inputs)
			if !ok || p.Name != tc.want || p.Source != tc.source {
				t.Errorf("PhysicalName = %+v, %v; want %q (%s)", p, ok, tc.want, tc.source)
			}
		})
	}
	if _, ok := PhysicalName("aws:ec2/flowLog:FlowLog", "fl", nil); ok {
		t.Error("a flow log has no name rule")
	}
	if _, ok := PhysicalName("aws:iam/role:Role", "x", map[string]any{"name": struct{}{}}); ok {
		t.Error("an unknown name input must not be judged")
	}
	if got := Random("a", 8, true); strings.ContainsAny(got, "0123456789") || len(got) != 8 {
		t.Errorf("letters = %q", got)
	}
}

func TestNameLimits(t *testing.T) {
	long := func(n int) string { return strings.Repeat("a", n) }
	cases := []struct {
		name, typ, logical string
		inputs             map[string]any
		want               string // substring of the one violation; "" = none
	}{
		// Auto-names: the provider's own cap, in its words.
		{"role auto-name over the provider's 64", "aws:iam/role:Role", long(57), nil, "plus 7 random chars is longer than maximum length 64"},
		{"role auto-name at 64", "aws:iam/role:Role", long(56), nil, ""},
		{"lambda auto-name over 64", "aws:lambda/function:Function", long(60), nil, "longer than maximum length 64"},
		{"bucket auto-name over 63", "aws:s3/bucketV2:BucketV2", long(56), nil, "longer than maximum length 63"},
		{"queue auto-name over 80", "aws:sqs/queue:Queue", long(73), nil, "longer than maximum length 80"},
		// Auto-names the provider allows (cap 255) but the service refuses.
		{"firehose auto-name over the service's 64", "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream", long(57), nil, "at most 64"},
		{"opensearch auto-name over 28", "aws:opensearch/domain:Domain", long(21), nil, "at most 28"},
		{"opensearch auto-name at 28", "aws:opensearch/domain:Domain", long(20), nil, ""},
		{"opensearch auto-name with uppercase", "aws:opensearch/domain:Domain", "Search", nil, "characters the service refuses"},
		{"workgroup auto-name over 128", "aws:athena/workgroup:Workgroup", long(121), nil, "at most 128"},
		{"log group auto-name over 512 (provider cap 255 first)", "aws:cloudwatch/logGroup:LogGroup", long(250), nil, "longer than maximum length 255"},
		// Explicit names.
		{"explicit role name with a space", "aws:iam/role:Role", "r", map[string]any{"name": "my role"}, "characters the service refuses"},
		{"explicit log group name over 512", "aws:cloudwatch/logGroup:LogGroup", "lg", map[string]any{"name": "/" + long(512)}, "at most 512"},
		{"explicit log group name ok", "aws:cloudwatch/logGroup:LogGroup", "lg", map[string]any{"name": "/aws/lambda/x"}, ""},
		{"explicit bucket name too short", "aws:s3/bucketV2:BucketV2", "b", map[string]any{"bucket": "ab"}, "at least 3"},
		{"bucket name with adjacent periods", "aws:s3/bucketV2:BucketV2", "b", map[string]any{"bucket": "a..b"}, "two adjacent periods"},
		{"bucket name like an IP address", "aws:s3/bucketV2:BucketV2", "b", map[string]any{"bucket": "192.168.5.4"}, "IP address"},
		{"bucket name with a reserved suffix", "aws:s3/bucketV2:BucketV2", "b", map[string]any{"bucket": "data-s3alias"}, "reserved suffix"},
		{"bucket name with uppercase", "aws:s3/bucketV2:BucketV2", "b", map[string]any{"bucket": "Data"}, "characters the service refuses"},
		{"glue table with a hyphen", "aws:glue/catalogTable:CatalogTable", "t", map[string]any{"name": "flow-logs"}, "characters the service refuses"},
		{"glue database over 255", "aws:glue/catalogDatabase:CatalogDatabase", "d", map[string]any{"name": long(256)}, "at most 255"},
		{"sns topic with a period", "aws:sns/topic:Topic", "t", map[string]any{"name": "a.b"}, "characters the service refuses"},
		{"saved query over 128", "aws:athena/namedQuery:NamedQuery", "q", map[string]any{"name": long(129)}, "at most 128"},
		{"metric filter name with a colon", "aws:cloudwatch/logMetricFilter:LogMetricFilter", "f", map[string]any{"name": "a:b"}, "characters the service refuses"},
		{"iam policy over 128", "aws:iam/policy:Policy", "p", map[string]any{"name": long(129)}, "at most 128"},
		{"dashboard name with a period", "aws:cloudwatch/dashboard:Dashboard", "d", map[string]any{"dashboardName": "vpc-flow-logs-org.dev"}, "characters the service refuses"},
		{"dashboard name over 255", "aws:cloudwatch/dashboard:Dashboard", "d", map[string]any{"dashboardName": long(256)}, "at most 255"},
		{"dashboard name ok", "aws:cloudwatch/dashboard:Dashboard", "d", map[string]any{"dashboardName": "vpc-flow-logs-dev-us-east-1"}, ""},
		{"insight rule name over 128", "aws:cloudwatch/contributorInsightRule:ContributorInsightRule", "r", map[string]any{"ruleName": long(129)}, "at most 128"},
		{"insight rule name with a tab", "aws:cloudwatch/contributorInsightRule:ContributorInsightRule", "r", map[string]any{"ruleName": "a\tb"}, "characters the service refuses"},
		{"insight rule name ok", "aws:cloudwatch/contributorInsightRule:ContributorInsightRule", "r", map[string]any{"ruleName": "vpc-flow-logs-dev-top-interfaces"}, ""},
		// Prefixes: the provider appends 26 characters.
		{"role prefix over 38", "aws:iam/role:Role", "r", map[string]any{"namePrefix": long(39)}, "at most 38 fit"},
		{"role prefix at 38", "aws:iam/role:Role", "r", map[string]any{"namePrefix": long(38)}, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			vs := only(CheckResource(tc.typ, tc.logical, tc.inputs), NameLimits)
			if tc.want == "" {
				if len(vs) != 0 {
					t.Errorf("want no violation, got %v", vs)
				}
				return
			}
			if len(vs) != 1 || !strings.Contains(vs[0].Message, tc.want) {
				t.Fatalf("want one violation with %q, got %v", tc.want, vs)
			}
			if !strings.HasPrefix(vs[0].Doc, "https://docs.aws.amazon.com/") {
				t.Errorf("violation cites no AWS page: %v", vs[0])
			}
		})
	}
}

func TestEveryNameRuleCitesAWS(t *testing.T) {
	for typ, r := range Names {
		if !strings.HasPrefix(r.Doc, "https://docs.aws.amazon.com/") || r.Max == 0 || r.Pattern == nil || r.Allowed == "" || r.Field == "" {
			t.Errorf("%s: incomplete rule %+v", typ, r)
		}
	}
}

// domain is a deployable fine-grained access control domain with an IAM master user.
func domain() map[string]any {
	return map[string]any{
		"domainName":            "flowlogs",
		"encryptAtRest":         map[string]any{"enabled": true},
		"nodeToNodeEncryption":  map[string]any{"enabled": true},
		"domainEndpointOptions": map[string]any{"enforceHttps": true},
		"advancedSecurityOptions": map[string]any{
			"enabled": true, "internalUserDatabaseEnabled": false,
			"masterUserOptions": map[string]any{"masterUserArn": "arn:aws:iam::123456789012:role/admin"},
		},
	}
}

func TestOpenSearchDomain(t *testing.T) {
	mu := func(in map[string]any) map[string]any {
		return in["advancedSecurityOptions"].(map[string]any)
	}
	cases := []struct {
		name       string
		edit       func(in map[string]any)
		constraint string
		want       string
	}{
		{"IAM master user", func(map[string]any) {}, "", ""},
		{"internal user database with name and password", func(in map[string]any) {
			mu(in)["internalUserDatabaseEnabled"] = true
			mu(in)["masterUserOptions"] = map[string]any{"masterUserName": "admin", "masterUserPassword": "x"}
		}, "", ""},
		{"fine-grained access control off", func(in map[string]any) {
			mu(in)["enabled"] = false
			delete(in, "encryptAtRest")
		}, "", ""},
		{"ARN with the internal user database", func(in map[string]any) { mu(in)["internalUserDatabaseEnabled"] = true },
			OpenSearchMasterUser, "masterUserArn is set with internalUserDatabaseEnabled true"},
		{"name without password", func(in map[string]any) {
			mu(in)["internalUserDatabaseEnabled"] = true
			mu(in)["masterUserOptions"] = map[string]any{"masterUserName": "admin"}
		}, OpenSearchMasterUser, "needs masterUserName and masterUserPassword"},
		{"name and password without the internal user database", func(in map[string]any) {
			mu(in)["masterUserOptions"] = map[string]any{"masterUserName": "admin", "masterUserPassword": "x"}
		}, OpenSearchMasterUser, "only allowed with the internal user database on"},
		{"no master user", func(in map[string]any) { delete(mu(in), "masterUserOptions") },
			OpenSearchMasterUser, "needs masterUserArn"},
		{"no encryption at rest", func(in map[string]any) { delete(in, "encryptAtRest") }, OpenSearchFGAC, "encryption at rest"},
		{"no node-to-node encryption", func(in map[string]any) { in["nodeToNodeEncryption"] = map[string]any{"enabled": false} }, OpenSearchFGAC, "node-to-node"},
		{"HTTPS not enforced", func(in map[string]any) { delete(in, "domainEndpointOptions") }, OpenSearchFGAC, "HTTPS"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := domain()
			tc.edit(in)
			vs := CheckResource("aws:opensearch/domain:Domain", "search", in)
			if tc.want == "" {
				if len(vs) != 0 {
					t.Errorf("want no violation, got %v", vs)
				}
				return
			}
			if len(vs) != 1 || vs[0].Constraint != tc.constraint || !strings.Contains(vs[0].Message, tc.want) {
				t.Errorf("want one %s violation with %q, got %v", tc.constraint, tc.want, vs)
			}
		})
	}
}

func TestFilterPatterns(t *testing.T) {
	if n := RegexCount(`{ $.a = %x% && $.b = "%not a regex%" && $.c = %y\%z% }`); n != 2 {
		t.Errorf("RegexCount = %d, want 2", n)
	}
	cases := []struct {
		typ, pattern, want string
	}{
		{"aws:cloudwatch/logMetricFilter:LogMetricFilter", `[version, account, eni, src = "10.0.0.1", ...]`, ""},
		{"aws:cloudwatch/logMetricFilter:LogMetricFilter", `[a = %x%, b = %y%, c = %z%]`, "3 regular expressions"},
		{"aws:cloudwatch/logSubscriptionFilter:LogSubscriptionFilter", "[" + strings.Repeat("a,", 520) + "b]", "characters; CloudWatch Logs accepts at most 1024"},
		{"aws:cloudwatch/logSubscriptionFilter:LogSubscriptionFilter", "", ""},
	}
	for _, tc := range cases {
		key := FilterPatternInput(tc.typ)
		vs := CheckResource(tc.typ, "f", map[string]any{key: tc.pattern})
		switch {
		case tc.want == "" && len(vs) != 0:
			t.Errorf("%s: want no violation, got %v", tc.pattern, vs)
		case tc.want != "" && (len(vs) != 1 || vs[0].Constraint != MetricFilterPattern || !strings.Contains(vs[0].Message, tc.want) || vs[0].Property != key):
			t.Errorf("want one violation of %s with %q, got %v", key, tc.want, vs)
		}
	}
}

func TestAthenaCutoff(t *testing.T) {
	wg := func(c any) map[string]any {
		return map[string]any{"configuration": map[string]any{"bytesScannedCutoffPerQuery": c}}
	}
	if vs := CheckResource("aws:athena/workgroup:Workgroup", "wg", wg(float64(9_999_999))); len(vs) != 1 || vs[0].Constraint != AthenaScanCutoff {
		t.Errorf("a cutoff below 10 MB: %v", vs)
	}
	for _, ok := range []any{float64(10_000_000), nil} {
		if vs := CheckResource("aws:athena/workgroup:Workgroup", "wg", wg(ok)); len(vs) != 0 {
			t.Errorf("cutoff %v: %v", ok, vs)
		}
	}
}

// table is a Glue table with hourly projection, as components.AthenaTable builds it.
func table() map[string]any {
	keys := []any{}
	params := map[string]any{"projection.enabled": "true", "storage.location.template": "s3://b/p/year=${year}/month=${month}/"}
	for _, k := range []string{"year", "month"} {
		keys = append(keys, map[string]any{"name": k, "type": "int"})
		params["projection."+k+".type"] = "integer"
	}
	params["projection.year.range"] = "2024,2099"
	params["projection.month.range"] = "1,12"
	params["projection.month.digits"] = "2"
	return map[string]any{"name": "flow_logs", "partitionKeys": keys, "parameters": params}
}

func TestGlueProjection(t *testing.T) {
	cases := []projectionCase{
		{"as built", func(map[string]any) {}, ""},
		{"projection off", func(p map[string]any) { p["projection.enabled"] = "false"; p["projection.year.range"] = "x" }, ""},
		{"inverted range", func(p map[string]any) { p["projection.year.range"] = "2099,2024" }, "minimum is above its maximum"},
		{"range not two integers", func(p map[string]any) { p["projection.month.range"] = "1-12" }, "not two comma-separated integers"},
		{"key without a type", func(p map[string]any) { delete(p, "projection.month.type") }, "has no projection type"},
		{"bad digits", func(p map[string]any) { p["projection.month.digits"] = "0" }, "not a positive integer"},
		{"template misses a key", func(p map[string]any) { p["storage.location.template"] = "s3://b/p/year=${year}/" }, "does not use ${month}"},
	}
	checkProjectionCases(t, table, cases)
}

type projectionCase = struct {
	name string
	edit func(p map[string]any)
	want string
}

// checkProjectionCases edits the parameters of a fresh table per case and
// expects no violation (want "") or exactly one GlueProjection violation
// whose message contains want.
func checkProjectionCases(t *testing.T, table func() map[string]any, cases []projectionCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := table()
			tc.edit(in["parameters"].(map[string]any))
			vs := CheckResource("aws:glue/catalogTable:CatalogTable", "t", in)
			if tc.want == "" {
				if len(vs) != 0 {
					t.Errorf("want no violation, got %v", vs)
				}
				return
			}
			if len(vs) != 1 || vs[0].Constraint != GlueProjection || !strings.Contains(vs[0].Message, tc.want) {
				t.Errorf("want one %s violation containing %q, got %v", GlueProjection, tc.want, vs)
			}
		})
	}
}

// Values not known yet (a preview) are not judged: an unknown master user
// ARN or encryption setting is no violation.
func TestUnknownValuesAreNotJudged(t *testing.T) {
	in := domain()
	aso := in["advancedSecurityOptions"].(map[string]any)
	aso["internalUserDatabaseEnabled"] = true
	aso["masterUserOptions"] = map[string]any{"masterUserArn": Unknown{}}
	in["encryptAtRest"] = Unknown{}
	in["nodeToNodeEncryption"] = map[string]any{"enabled": Unknown{}}
	if vs := CheckResource("aws:opensearch/domain:Domain", "search", in); len(vs) != 0 {
		t.Errorf("unknown values judged: %v", vs)
	}
	// Once known, the same domain is refused.
	aso["masterUserOptions"] = map[string]any{"masterUserArn": "arn:aws:iam::123456789012:role/admin"}
	if vs := CheckResource("aws:opensearch/domain:Domain", "search", in); len(vs) != 1 || vs[0].Constraint != OpenSearchMasterUser {
		t.Errorf("known values: %v", vs)
	}
}

// dateTable is a Glue table with the hourly date projection
// components.AthenaTable builds.
func dateTable() map[string]any {
	return map[string]any{"name": "flow_logs",
		"partitionKeys": []any{map[string]any{"name": "datehour", "type": "string"}},
		"parameters": map[string]any{
			"projection.enabled":                "true",
			"storage.location.template":         "s3://b/p/${datehour}/",
			"projection.datehour.type":          "date",
			"projection.datehour.format":        "'year='yyyy'/month='MM'/day='dd'/hour='HH",
			"projection.datehour.range":         "year=2024/month=01/day=01/hour=00,NOW",
			"projection.datehour.interval":      "1",
			"projection.datehour.interval.unit": "HOURS",
		}}
}

func TestGlueDateProjection(t *testing.T) {
	checkProjectionCases(t, dateTable, []projectionCase{
		{"as built", func(map[string]any) {}, ""},
		{"ends at NOW plus an offset", func(p map[string]any) {
			p["projection.datehour.range"] = "year=2024/month=01/day=01/hour=00,NOW+1HOURS"
		}, ""},
		{"fixed end far ahead", func(p map[string]any) {
			p["projection.datehour.range"] = "year=2024/month=01/day=01/hour=00,year=2099/month=12/day=31/hour=23"
		}, "does not end at NOW"},
		{"one-sided range", func(p map[string]any) { p["projection.datehour.range"] = "year=2024/month=01/day=01/hour=00" }, "is not start,end"},
		{"no format", func(p map[string]any) { delete(p, "projection.datehour.format") }, "needs a format"},
		{"unknown unit", func(p map[string]any) { p["projection.datehour.interval.unit"] = "HOUR" }, "interval unit"},
	})
}

// TestEC2Descriptions: a security group's description, its inline rules'
// and a rule resource's are judged against EC2's characters and 255; an
// absent or unknown one is not judged.
func TestEC2Descriptions(t *testing.T) {
	ok := "HTTPS from the domain clients (NAT gateway or endpoints of the VPC): ._-:/()#,@[]+=&;{}!$*"
	for _, tc := range []struct {
		name, typ string
		inputs    map[string]any
		clauses   []string
	}{
		{"rule with every allowed character", "aws:ec2/securityGroupRule:SecurityGroupRule", map[string]any{"description": ok}, nil},
		{"rule with an apostrophe", "aws:ec2/securityGroupRule:SecurityGroupRule", map[string]any{"description": "the domain's clients"}, []string{ClauseDescCharacters}},
		{"rule with a non-ASCII letter", "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", map[string]any{"description": "Zugriff für Clients"}, []string{ClauseDescCharacters}},
		{"egress rule resource with a quote", "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule", map[string]any{"description": `"quoted"`}, []string{ClauseDescCharacters}},
		{"group description of 256", "aws:ec2/securityGroup:SecurityGroup", map[string]any{"description": strings.Repeat("x", 256)}, []string{ClauseDescLength}},
		{"group description of 255", "aws:ec2/securityGroup:SecurityGroup", map[string]any{"description": strings.Repeat("x", 255)}, nil},
		{"inline egress rule with an apostrophe", "aws:ec2/securityGroup:SecurityGroup", map[string]any{"description": "ok", "egress": []any{map[string]any{"description": "ok"}, map[string]any{"description": "it's"}}}, []string{ClauseDescCharacters}},
		{"unknown description", "aws:ec2/securityGroupRule:SecurityGroupRule", map[string]any{"description": Unknown{}}, nil},
		{"no description", "aws:ec2/securityGroupRule:SecurityGroupRule", map[string]any{}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, v := range only(CheckResource(tc.typ, "x", tc.inputs), EC2Description) {
				got = append(got, v.Clause)
				if v.Doc != DocEC2Description {
					t.Errorf("violation cites %s", v.Doc)
				}
			}
			if !slices.Equal(got, tc.clauses) {
				t.Errorf("clauses %v, want %v", got, tc.clauses)
			}
		})
	}
}
