package policy_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/graphdump"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/mockaws"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/policy"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/policy/ids"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/stackconfig"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/stackfile"
)

const project = "vpc-flow-logs"

// fixtureTime is when fixtures are evaluated, so the runtime-deprecation
// rule gives the same answer on any day.
var fixtureTime = time.Date(2026, time.January, 15, 0, 0, 0, 0, time.UTC)

func root(t testing.TB) string {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// devConfig is Pulumi.yaml + Pulumi.dev.yaml as the engine would pass them,
// with short-key overrides.
func devConfig(t testing.TB, kv ...string) map[string]string {
	t.Helper()
	_, cfg, err := stackfile.LoadConfig(root(t), "dev")
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(kv); i += 2 {
		cfg[stackconfig.Key(kv[i])] = kv[i+1]
	}
	return cfg
}

func load(t testing.TB, cfg map[string]string) (*stackconfig.Config, error) {
	t.Helper()
	return stackconfig.Load(func(k string) (string, bool) { v, ok := cfg[k]; return v, ok })
}

// The mocked runs are recorded by cmd/graphdump (internal/graphdump), so
// this test binary does not link the program and pulumi-aws: every run
// the tests below make is recorded at the first one (recordAll), with
// the same config and program as when the tests ran them in process.
var (
	recorder   *graphdump.Recorder
	recordOnce sync.Once
	recordErr  error
)

// recordAll records every run of allRuns in one cmd/graphdump.
func recordAll(t testing.TB) {
	t.Helper()
	recordOnce.Do(func() {
		// Stays the error when a helper below stops the test.
		recordErr = errors.New("recording the mocked runs stopped (see the first failing test)")
		recorder = graphdump.NewRecorder(root(t))
		if recordErr = recorder.Record(allRuns(t)...); recordErr != nil {
			return
		}
		// The cases are built from every architecture (implemented);
		// the program must implement exactly those.
		got, err := recorder.Implemented()
		if recordErr = err; err == nil && !slices.Equal(got, implemented()) {
			recordErr = fmt.Errorf("the program implements %v, the cases assume %v (stackconfig.AllArchitectures)", got, implemented())
		}
	})
	if recordErr != nil {
		t.Fatal(recordErr)
	}
}

// allRuns are the mocked runs of the tests of this package.
func allRuns(t testing.TB) []graphdump.Run {
	var runs []graphdump.Run
	for _, tc := range stackCases() {
		runs = append(runs, deployRun("dev", devConfig(t, tc.kv...)))
	}
	runs = append(runs, deployRun("dev", baselineConfig(t)),
		flowLogToCloudWatchRun("cw"), flowLogToCloudWatchRun(longComponentName), flowLogToS3Run("s3fl"))
	runs = append(runs, waiverRuns(t)...)
	for _, c := range centralAccountLists {
		runs = append(runs, deployRun("central", centralConfig(t, c.fits)), deployRun("central", centralConfig(t, c.fits+1)))
	}
	return runs
}

// recorded returns a copy of the record of run (fatal when it failed).
func recorded(t testing.TB, run graphdump.Run, what string) *mockaws.Mocks {
	t.Helper()
	recordAll(t)
	m, err := recorder.Get(run)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return m
}

// deployRun is stacks.Deploy under mocks with cfg.
func deployRun(stack string, cfg map[string]string) graphdump.Run {
	return graphdump.Run{Program: graphdump.Deploy, Project: project, Stack: stack, Config: cfg}
}

// deploy runs stacks.Deploy under mocks with cfg.
func deploy(t testing.TB, cfg map[string]string) *mockaws.Mocks {
	t.Helper()
	return recorded(t, deployRun("dev", cfg), "deploy")
}

// implemented are the architectures the cases deploy: every one
// (stacks.Implemented, which recordAll checks against).
func implemented() []string {
	var out []string
	for _, a := range stackconfig.AllArchitectures {
		out = append(out, string(a))
	}
	return out
}

func implementedJSON() string {
	b, _ := json.Marshal(implemented())
	return string(b)
}

// ---------------------------------------------------------------------------
// The suite over the real stacks: 0 violations.

type stackCase struct {
	name string
	kv   []string // config overrides (short keys)
}

func stackCases() []stackCase {
	cases := []stackCase{
		{name: "dev as shipped"},
		{name: "dev with every architecture", kv: []string{"architectures", implementedJSON()}},
		{name: "every architecture on existing VPCs with KMS keys", kv: []string{
			"architectures", implementedJSON(),
			"vpcIds", `["vpc-0123456789abcdef0","vpc-11111111"]`,
			"opensearchSubnetIds", `["subnet-0123456789abcdef0","subnet-0fedcba9876543210"]`,
			"bucketKmsKeyArn", "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
			"logKmsKeyArn", "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
		}},
		{name: "dev with OpenSearch Security Analytics", kv: []string{"opensearchSecurityAnalytics", "true"}},
		{name: "alarms in Slack through AWS Chatbot", kv: []string{"slackMode", "chatbot", "slackWorkspaceId", "T07EA123LEP", "slackChannelId", "C07EZ1ABC23"}},
		{name: "alarms in Slack through the webhook Lambda", kv: []string{"slackMode", "webhook", "slackWebhookUrl", "https://hooks.slack.com/services/T0TESTTEAM/B0TESTHOOK/s3cr3tT0kenValue0123456789"}},
	}
	cases = append(cases,
		stackCase{name: "s3-athena with QuickSight", kv: []string{"architectures", `["s3-athena"]`, "quicksightPrincipalArn", qsPrincipal}},
		stackCase{name: "every architecture with QuickSight and KMS keys", kv: []string{
			"architectures", implementedJSON(), "quicksightPrincipalArn", qsPrincipal,
			"bucketKmsKeyArn", "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
		}},
		stackCase{name: "s3-athena with QuickSight into an existing bucket", kv: []string{
			"architectures", `["s3-athena"]`, "quicksightPrincipalArn", qsPrincipal, "existingBucketArn", "arn:aws:s3:::my-flow-log-bucket",
		}},
	)
	for _, a := range implemented() {
		cases = append(cases, stackCase{name: a + " alone", kv: []string{"architectures", `["` + a + `"]`}})
		if a == string(stackconfig.FirehoseAthena) {
			for _, mode := range []string{stackconfig.FeedSubscription, stackconfig.FeedDirect} {
				cases = append(cases, stackCase{name: a + " alone, " + mode + " feed",
					kv: []string{"architectures", `["` + a + `"]`, "firehoseFeedMode", mode}})
			}
		}
	}
	return cases
}

func TestStacksPassEveryRule(t *testing.T) {
	for _, tc := range stackCases() {
		t.Run(tc.name, func(t *testing.T) {
			cfg := devConfig(t, tc.kv...)
			c, err := load(t, cfg)
			if err != nil {
				t.Fatal(err)
			}
			m := deploy(t, cfg)
			rep := policy.EvaluateStack(m, c)
			t.Log(rep.Summary())
			if rep.Rules != len(ids.All) || rep.Resources == 0 {
				t.Errorf("summary counts are off: %s", rep.Summary())
			}
			for _, v := range rep.Violations {
				t.Errorf("%s", v)
			}
			if len(rep.Waived()) != 0 {
				t.Errorf("the shipped config waives rules: %s", rep.Summary())
			}
		})
	}
}

// ---------------------------------------------------------------------------
// Fixtures: each breaks one rule and must produce exactly that rule's violations.

var (
	baseOnce sync.Once
	baseRun  *mockaws.Mocks
	baseErr  error
)

// baseline is one mocked run of every implemented architecture plus the
// hand-built compliant fragments below (an OpenSearch domain and its
// policy, an EC2 instance), so fixtures for rules whose resources an
// architecture may not create still start from a passing graph.
func baseline(t *testing.T) *mockaws.Mocks {
	t.Helper()
	recordAll(t)
	baseOnce.Do(func() {
		baseRun, baseErr = recorder.Get(deployRun("dev", baselineConfig(t)))
		if baseErr == nil {
			addFragments(baseRun)
		}
	})
	if baseErr != nil {
		t.Fatalf("baseline deploy: %v", baseErr)
	}
	return clone(baseRun)
}

func baselineConfig(t testing.TB) map[string]string {
	return devConfig(t, "architectures", implementedJSON(), "firehoseFeedMode", "lambda", "quicksightPrincipalArn", qsPrincipal)
}

func addFragments(m *mockaws.Mocks) {
	add(m, "aws:opensearch/domain:Domain", "fixture-domain", map[string]any{
		"vpcOptions":              map[string]any{"subnetIds": []any{"subnet-0123456789abcdef0"}},
		"encryptAtRest":           map[string]any{"enabled": true},
		"nodeToNodeEncryption":    map[string]any{"enabled": true},
		"domainEndpointOptions":   map[string]any{"enforceHttps": true, "tlsSecurityPolicy": "Policy-Min-TLS-1-2-PFS-2023-10"},
		"advancedSecurityOptions": map[string]any{"enabled": true, "anonymousAuthEnabled": false},
	}, map[string]any{"domainName": "fixture-domain-0000000", "arn": "arn:aws:es:us-east-1:123456789012:domain/fixture-domain-0000000"})
	add(m, "aws:opensearch/domainPolicy:DomainPolicy", "fixture-domain-policy", map[string]any{
		"domainName": "fixture-domain-0000000",
		"accessPolicies": jsonString(map[string]any{"Version": "2012-10-17", "Statement": []any{map[string]any{
			"Effect": "Allow", "Principal": map[string]any{"AWS": "arn:aws:iam::123456789012:role/indexer"},
			"Action": "es:ESHttpPost", "Resource": "arn:aws:es:us-east-1:123456789012:domain/fixture-domain-0000000/*",
		}}}),
	}, nil)
	add(m, "aws:ec2/instance:Instance", "fixture-host", map[string]any{
		"instanceType":    "t4g.nano",
		"metadataOptions": map[string]any{"httpTokens": "required"},
	}, nil)
}

// add records a hand-built resource with the ids mockaws would invent.
func add(m *mockaws.Mocks, typ, name string, inputs, outputs map[string]any) *mockaws.Resource {
	out := map[string]any{}
	for k, v := range inputs {
		out[k] = v
	}
	physical := name + "-0000000"
	out["id"], out["name"] = physical, physical
	out["arn"] = "arn:aws:mock:us-east-1:123456789012:" + name
	for k, v := range outputs {
		out[k] = v
	}
	r := &mockaws.Resource{Type: typ, Name: name, Custom: true, Inputs: inputs, Outputs: out,
		URN: "urn:pulumi:dev::vpc-flow-logs::" + typ + "::" + name, Parent: m.StackURN()}
	m.Resources = append(m.Resources, r)
	return r
}

func clone(m *mockaws.Mocks) *mockaws.Mocks {
	c := mockaws.New(m.Project, m.Stack)
	for _, r := range m.Resources {
		cp := *r
		cp.Inputs, _ = deepCopy(r.Inputs).(map[string]any)
		cp.Outputs, _ = deepCopy(r.Outputs).(map[string]any)
		c.Resources = append(c.Resources, &cp)
	}
	return c
}

func deepCopy(v any) any {
	switch t := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, e := range t {
			out[k] = deepCopy(e)
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = deepCopy(e)
		}
		return out
	}
	return v
}

func jsonString(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// res returns the resource with that logical name.
func res(t *testing.T, m *mockaws.Mocks, name string) *mockaws.Resource {
	t.Helper()
	r := m.ByName(name)
	if r == nil {
		t.Fatalf("fixture needs resource %q, which the run does not have", name)
	}
	return r
}

// editPolicy rewrites the JSON policy document in r.Inputs[field].
func editPolicy(t *testing.T, r *mockaws.Resource, field string, edit func(stmts []any) []any) {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal([]byte(r.Input(field)), &doc); err != nil {
		t.Fatalf("%s.%s: %v", r.Name, field, err)
	}
	doc["Statement"] = edit(doc["Statement"].([]any))
	r.Inputs[field] = jsonString(doc)
}

func stmt(stmts []any, i int) map[string]any { return stmts[i].(map[string]any) }

func set(m map[string]any, path string, v any) {
	parts := strings.Split(path, ".")
	for _, p := range parts[:len(parts)-1] {
		next, ok := m[p].(map[string]any)
		if !ok {
			next = map[string]any{}
			m[p] = next
		}
		m = next
	}
	if v == nil {
		delete(m, parts[len(parts)-1])
	} else {
		m[parts[len(parts)-1]] = v
	}
}

// Names of resources in the baseline run the fixtures break.
const (
	flowLogBucket  = "s3-athena-flowlogs-bucket"
	firehoseBucket = "firehose-bucket"
	forwarder      = "firehose-forwarder"
	workgroup      = "s3-athena-workgroup"
	flowLogGroup   = "flowlogs-cw-logs"

	// The QuickSight objects of the baseline and their owner.
	qsPrincipal     = "arn:aws:quicksight:us-east-1:123456789012:group/default/flowlog-analysts"
	qsDataSource    = "quicksight-athena"
	qsDataSet       = "quicksight-dataset"
	qsDashboard     = "quicksight-dashboard"
	qsServicePolicy = "quicksight-service-policy"
)

type fixture struct {
	name string
	rule string
	// clause is the clause of rule the fixture breaks; a fixture breaks
	// exactly that clause unless alsoBreaks lists more.
	clause string
	// breaks mutates the baseline (or builds its own record) and returns the
	// options to evaluate with.
	breaks func(t *testing.T, m *mockaws.Mocks) (*mockaws.Mocks, []policy.Option)
}

// mut is a fixture that only mutates the baseline.
func mut(f func(t *testing.T, m *mockaws.Mocks)) func(*testing.T, *mockaws.Mocks) (*mockaws.Mocks, []policy.Option) {
	return func(t *testing.T, m *mockaws.Mocks) (*mockaws.Mocks, []policy.Option) {
		f(t, m)
		return m, nil
	}
}

func fixtures() []fixture {
	return slices.Concat(staticFixtures(), publicAccessFixtures(), trustFormFixtures())
}

// alsoBreaks lists, by fixture name, the clauses (rule/clause) a fixture
// breaks besides its own. A fixture that breaks another clause of its own
// rule does not count as breaking its clause alone; one that also breaks
// another rule's clause (an unreadable policy is unreadable to every rule)
// does.
var alsoBreaks = func() map[string][]string {
	m := map[string][]string{
		"data bucket never expires":                                      {ids.S3DataBucketExpiry + "/noncurrent-expiry"},
		"Firehose role trust with aws:Source* instead of sts:ExternalId": {ids.IAMTrustSourceCondition + "/no-undocumented-keys"},
		"monitored VPCs without flow logs (FlowLogToS3 run)":             {ids.VPCFlowLogs + "/rejected-traffic"},
		// Every unreadable document is also one no rule can check for wildcards.
		"unreadable domain access policy": {ids.IAMNoWildcardAction + "/readable"},
		// NotAction is refused by the general IAM rule too.
		"service role policy with NotAction": {ids.IAMNoWildcardAction + "/no-not-action"},
	}
	// A service that documents keys but not aws:SourceAccount: the blanket
	// key is undocumented and its own keys are missing.
	for _, f := range policy.TrustForms {
		if len(f.Keys) > 0 && !slices.Contains(f.Keys, "aws:SourceAccount") {
			m[trustFormFixtureName(f)] = []string{ids.IAMTrustSourceCondition + "/no-undocumented-keys"}
		}
	}
	return m
}()

func trustFormFixtureName(f policy.TrustForm) string {
	if f.Use != policy.AnyUse {
		return f.Service + " (" + string(f.Use) + ") trusted with the blanket aws:SourceAccount condition"
	}
	return f.Service + " trusted with the blanket aws:SourceAccount condition"
}

// trustUseContext adds what makes role a use of its service's principal:
// for DestinationSubscriptionRole, a subscription filter to another
// account's CloudWatch Logs destination that names the role.
func trustUseContext(m *mockaws.Mocks, use policy.TrustUse, role *mockaws.Resource) {
	if use == policy.DestinationSubscriptionRole {
		add(m, "aws:cloudwatch/logSubscriptionFilter:LogSubscriptionFilter", role.Name+"-subscription", map[string]any{
			"logGroup": "flows", "filterPattern": "", "roleArn": role.Outputs["arn"],
			"destinationArn": "arn:aws:logs:us-east-1:210987654321:destination:flows",
		}, nil)
	}
}

// publicAccessFixtures turn off each setting of a public access block alone.
func publicAccessFixtures() []fixture {
	var out []fixture
	for k, clause := range map[string]string{
		"blockPublicAcls": "block-public-acls", "blockPublicPolicy": "block-public-policy", "ignorePublicAcls": "ignore-public-acls",
	} {
		out = append(out, fixture{"public access block without " + k, ids.S3PublicAccessBlock, clause, mut(func(t *testing.T, m *mockaws.Mocks) {
			res(t, m, flowLogBucket+"-public-access").Inputs[k] = false
		})})
	}
	return out
}

// trustFormFixtures give every row of policy.TrustForms a failing fixture: a
// role that trusts the service with the blanket aws:SourceAccount condition,
// which is the documented form of none of them.
func trustFormFixtures() []fixture {
	var out []fixture
	for _, f := range policy.TrustForms {
		// The blanket key is undocumented where a service documents no
		// condition; where it documents keys, one of them is missing.
		clause := "no-undocumented-keys"
		if len(f.Keys) > 0 {
			clause = "documented-keys-tested"
		}
		out = append(out, fixture{trustFormFixtureName(f), ids.IAMTrustSourceCondition, clause,
			mut(func(t *testing.T, m *mockaws.Mocks) {
				role := trustRole(m, "fixture-trust-"+f.Service+string(f.Use), f.Service+".amazonaws.com",
					map[string]any{"StringEquals": map[string]any{"aws:SourceAccount": mockaws.Account}})
				trustUseContext(m, f.Use, role)
			})})
	}
	return out
}

// trustRole adds a role that lets one service principal assume it under condition (none when nil).
func trustRole(m *mockaws.Mocks, name, principal string, condition map[string]any) *mockaws.Resource {
	st := map[string]any{"Effect": "Allow", "Principal": map[string]any{"Service": principal}, "Action": "sts:AssumeRole"}
	if condition != nil {
		st["Condition"] = condition
	}
	return add(m, "aws:iam/role:Role", name, map[string]any{
		"assumeRolePolicy": jsonString(map[string]any{"Version": "2012-10-17", "Statement": []any{st}}),
	}, map[string]any{"arn": "arn:aws:iam::" + mockaws.Account + ":role/" + name})
}

func staticFixtures() []fixture {
	return []fixture{
		// S3
		{"public access block half off", ids.S3PublicAccessBlock, "restrict-public-buckets", mut(func(t *testing.T, m *mockaws.Mocks) {
			res(t, m, flowLogBucket+"-public-access").Inputs["restrictPublicBuckets"] = false
		})},
		{"no public access block", ids.S3PublicAccessBlock, "block-present", mut(func(t *testing.T, m *mockaws.Mocks) {
			res(t, m, firehoseBucket+"-public-access").Inputs["bucket"] = "some-other-bucket"
		})},
		{"no default encryption", ids.S3DefaultEncryption, "default-algorithm", mut(func(t *testing.T, m *mockaws.Mocks) {
			set(res(t, m, flowLogBucket+"-encryption").Inputs, "rules", []any{})
		})},
		{"TLS deny removed", ids.S3TLSOnly, "tls-deny", mut(func(t *testing.T, m *mockaws.Mocks) {
			editPolicy(t, res(t, m, flowLogBucket+"-policy"), "policy", func(s []any) []any { return s[1:] })
		})},
		{"TLS deny only on objects", ids.S3TLSOnly, "bucket-resource", mut(func(t *testing.T, m *mockaws.Mocks) {
			editPolicy(t, res(t, m, firehoseBucket+"-policy"), "policy", func(s []any) []any {
				st := stmt(s, 0)
				st["Resource"] = st["Resource"].([]any)[1:]
				return s
			})
		})},
		{"TLS deny for one principal only", ids.S3TLSOnly, "every-principal", mut(func(t *testing.T, m *mockaws.Mocks) {
			editPolicy(t, res(t, m, flowLogBucket+"-policy"), "policy", func(s []any) []any {
				stmt(s, 0)["Principal"] = map[string]any{"AWS": "arn:aws:iam::" + mockaws.Account + ":root"}
				return s
			})
		})},
		{"TLS deny of reads only", ids.S3TLSOnly, "every-action", mut(func(t *testing.T, m *mockaws.Mocks) {
			editPolicy(t, res(t, m, flowLogBucket+"-policy"), "policy", func(s []any) []any {
				stmt(s, 0)["Action"] = "s3:GetObject"
				return s
			})
		})},
		{"TLS deny only on the bucket", ids.S3TLSOnly, "object-resource", mut(func(t *testing.T, m *mockaws.Mocks) {
			editPolicy(t, res(t, m, firehoseBucket+"-policy"), "policy", func(s []any) []any {
				st := stmt(s, 0)
				st["Resource"] = st["Resource"].([]any)[:1]
				return s
			})
		})},
		{"ACLs enabled", ids.S3NoACLs, "owner-enforced", mut(func(t *testing.T, m *mockaws.Mocks) {
			set(res(t, m, flowLogBucket+"-ownership").Inputs, "rule.objectOwnership", "BucketOwnerPreferred")
		})},
		{"ACL resource", ids.S3NoACLs, "no-acl-resource", mut(func(t *testing.T, m *mockaws.Mocks) {
			bucket := res(t, m, firehoseBucket).Outputs["bucket"]
			add(m, "aws:s3/bucketAclV2:BucketAclV2", "fixture-acl", map[string]any{"bucket": bucket, "acl": "public-read"}, nil)
		})},
		{"bucket with a canned ACL", ids.S3NoACLs, "no-inline-acl", mut(func(t *testing.T, m *mockaws.Mocks) {
			res(t, m, flowLogBucket).Inputs["acl"] = "private"
		})},
		{"data bucket not versioned", ids.S3DataBucketVersioning, "versioning-enabled", mut(func(t *testing.T, m *mockaws.Mocks) {
			set(res(t, m, flowLogBucket+"-versioning").Inputs, "versioningConfiguration.status", "Suspended")
		})},
		{"data bucket never expires", ids.S3DataBucketExpiry, "current-expiry", mut(func(t *testing.T, m *mockaws.Mocks) {
			lc := res(t, m, firehoseBucket+"-lifecycle")
			lc.Inputs["rules"] = lc.Inputs["rules"].([]any)[:1] // keep only abort-incomplete-uploads
		})},
		{"data bucket keeps current objects forever", ids.S3DataBucketExpiry, "current-expiry", mut(func(t *testing.T, m *mockaws.Mocks) {
			for _, r := range policy.List(res(t, m, firehoseBucket+"-lifecycle").Inputs["rules"]) {
				delete(r.(map[string]any), "expiration")
			}
		})},
		{"data bucket keeps noncurrent versions forever", ids.S3DataBucketExpiry, "noncurrent-expiry", mut(func(t *testing.T, m *mockaws.Mocks) {
			for _, r := range policy.List(res(t, m, firehoseBucket+"-lifecycle").Inputs["rules"]) {
				delete(r.(map[string]any), "noncurrentVersionExpiration")
			}
		})},
		{"data bucket not retained", ids.S3DataBucketRetained, "retain-on-delete", mut(func(t *testing.T, m *mockaws.Mocks) {
			res(t, m, flowLogBucket).RetainOnDelete = false
		})},
		{"data bucket force-destroyed", ids.S3DataBucketRetained, "no-force-destroy", mut(func(t *testing.T, m *mockaws.Mocks) {
			res(t, m, firehoseBucket).Inputs["forceDestroy"] = true
		})},
		// CloudWatch Logs
		{"log group without retention", ids.LogsRetention, "retention-set", mut(func(t *testing.T, m *mockaws.Mocks) {
			delete(res(t, m, flowLogGroup).Inputs, "retentionInDays")
		})},
		{"log group retention CloudWatch rejects", ids.LogsRetention, "retention-accepted", mut(func(t *testing.T, m *mockaws.Mocks) {
			res(t, m, "firehose-delivery-logs").Inputs["retentionInDays"] = float64(45)
		})},
		{"configured log key not applied (baseline)", ids.LogsKMS, "configured-key", func(t *testing.T, m *mockaws.Mocks) (*mockaws.Mocks, []policy.Option) {
			return m, []policy.Option{policy.LogKmsKey("arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab")}
		}},
		{"configured log key not applied (FlowLogToCloudWatch run without it)", ids.LogsKMS, "configured-key", func(t *testing.T, _ *mockaws.Mocks) (*mockaws.Mocks, []policy.Option) {
			m := runComponent(t, flowLogToCloudWatchRun("cw"))
			return m, []policy.Option{policy.LogKmsKey("arn:aws:kms:us-east-1:123456789012:key/other"), policy.MonitoredVPCs("vpc-11111111")}
		}},
		// SNS, SQS, KMS
		{"topic unencrypted", ids.SNSEncrypted, "kms-key", mut(func(t *testing.T, m *mockaws.Mocks) {
			delete(res(t, m, "alarms-topic").Inputs, "kmsMasterKeyId")
		})},
		{"dead-letter queue unencrypted", ids.SQSEncrypted, "sse", mut(func(t *testing.T, m *mockaws.Mocks) {
			res(t, m, forwarder+"-dlq").Inputs["sqsManagedSseEnabled"] = false
		})},
		{"key without rotation", ids.KMSKeyRotation, "rotation", mut(func(t *testing.T, m *mockaws.Mocks) {
			delete(res(t, m, "alarms-key").Inputs, "enableKeyRotation")
		})},
		{"secret version value in clear text", ids.SecretsEncryptedInState, "secret-version", mut(func(t *testing.T, m *mockaws.Mocks) {
			versions := m.ByType("aws:secretsmanager/secretVersion:SecretVersion")
			if len(versions) == 0 {
				t.Fatal("the baseline has no secret version")
			}
			versions[0].Inputs["secretString"] = "hunter2-in-the-state"
		})},
		{"SecureString parameter in clear text", ids.SecretsEncryptedInState, "secure-string", mut(func(t *testing.T, m *mockaws.Mocks) {
			add(m, "aws:ssm/parameter:Parameter", "fixture-parameter", map[string]any{"type": "SecureString", "value": "hunter2"}, nil)
		})},
		// OpenSearch (hand-built domain, pulumi-aws input shape)
		{"domain with a public endpoint", ids.OpenSearchVPCOnly, "vpc-subnets", mut(func(t *testing.T, m *mockaws.Mocks) {
			delete(res(t, m, "fixture-domain").Inputs, "vpcOptions")
		})},
		{"domain unencrypted at rest", ids.OpenSearchEncryptAtRest, "encrypt-at-rest", mut(func(t *testing.T, m *mockaws.Mocks) {
			set(res(t, m, "fixture-domain").Inputs, "encryptAtRest.enabled", false)
		})},
		{"domain without node-to-node encryption", ids.OpenSearchNodeToNode, "node-to-node", mut(func(t *testing.T, m *mockaws.Mocks) {
			delete(res(t, m, "fixture-domain").Inputs, "nodeToNodeEncryption")
		})},
		{"domain allows TLS 1.0", ids.OpenSearchHTTPS, "tls12-policy", mut(func(t *testing.T, m *mockaws.Mocks) {
			set(res(t, m, "fixture-domain").Inputs, "domainEndpointOptions.tlsSecurityPolicy", "Policy-Min-TLS-1-0-2019-07")
		})},
		{"domain allows plain HTTP", ids.OpenSearchHTTPS, "enforce-https", mut(func(t *testing.T, m *mockaws.Mocks) {
			set(res(t, m, "fixture-domain").Inputs, "domainEndpointOptions.enforceHttps", false)
		})},
		{"domain without fine-grained access control", ids.OpenSearchFineGrained, "fgac-enabled", mut(func(t *testing.T, m *mockaws.Mocks) {
			set(res(t, m, "fixture-domain").Inputs, "advancedSecurityOptions.enabled", false)
		})},
		{"domain with anonymous access", ids.OpenSearchFineGrained, "anonymous-off", mut(func(t *testing.T, m *mockaws.Mocks) {
			set(res(t, m, "fixture-domain").Inputs, "advancedSecurityOptions.anonymousAuthEnabled", true)
		})},
		{"unreadable domain access policy", ids.OpenSearchNoOpenAccess, "readable", mut(func(t *testing.T, m *mockaws.Mocks) {
			res(t, m, "fixture-domain-policy").Inputs["accessPolicies"] = "{not json"
		})},
		{"domain policy open to everyone, on a domain the stack does not declare", ids.OpenSearchNoOpenAccess, "no-open-principal", mut(func(t *testing.T, m *mockaws.Mocks) {
			p := res(t, m, "fixture-domain-policy")
			p.Inputs["domainName"] = "someone-elses-domain"
			editPolicy(t, p, "accessPolicies", func(s []any) []any {
				stmt(s, 0)["Principal"] = map[string]any{"AWS": "*"}
				stmt(s, 0)["Resource"] = "arn:aws:es:us-east-1:123456789012:domain/someone-elses-domain/*"
				return s
			})
		})},
		{"domain policy open to everyone beyond the HTTP API", ids.OpenSearchNoOpenAccess, "no-open-principal", mut(func(t *testing.T, m *mockaws.Mocks) {
			editPolicy(t, res(t, m, "fixture-domain-policy"), "accessPolicies", func(s []any) []any {
				stmt(s, 0)["Principal"] = map[string]any{"AWS": "*"}
				stmt(s, 0)["Action"] = "es:*"
				return s
			})
		})},
		{"open domain policy with NotPrincipal", ids.OpenSearchNoOpenAccess, "no-open-principal", mut(func(t *testing.T, m *mockaws.Mocks) {
			editPolicy(t, res(t, m, "fixture-domain-policy"), "accessPolicies", func(s []any) []any {
				delete(stmt(s, 0), "Principal")
				stmt(s, 0)["NotPrincipal"] = map[string]any{"AWS": "arn:aws:iam::123456789012:role/indexer"}
				return s
			})
		})},
		// Open on the domain itself, but for another domain's resources.
		{"domain accessPolicies open to everyone", ids.OpenSearchNoOpenAccess, "no-open-principal", mut(func(t *testing.T, m *mockaws.Mocks) {
			res(t, m, "fixture-domain").Inputs["accessPolicies"] = jsonString(map[string]any{"Statement": []any{map[string]any{
				"Effect": "Allow", "Principal": "*", "Action": "es:ESHttpGet", "Resource": "arn:aws:es:us-east-1:123456789012:domain/x/*",
			}}})
		})},
		// Lambda
		{"Pulumi secret in a function's environment", ids.LambdaEnvNoSecrets, "no-pulumi-secret", mut(func(t *testing.T, m *mockaws.Mocks) {
			set(res(t, m, forwarder).Inputs, "environment.variables.API_TOKEN", &resource.Secret{Element: resource.NewStringProperty("t0ken")})
		})},
		{"webhook URL in a function's environment", ids.LambdaEnvNoSecrets, "no-credential-url", mut(func(t *testing.T, m *mockaws.Mocks) {
			set(res(t, m, forwarder).Inputs, "environment.variables.SLACK_WEBHOOK", "https://hooks.slack.com/services/T0/B0/t0ken")
		})},
		{"URL with a password in a function's environment", ids.LambdaEnvNoSecrets, "no-credential-url", mut(func(t *testing.T, m *mockaws.Mocks) {
			set(res(t, m, forwarder).Inputs, "environment.variables.DB_URL", "postgres://app:hunter2@db.internal:5432/app")
		})},
		{"permission for everyone", ids.LambdaNotPublic, "no-public-permission", mut(func(t *testing.T, m *mockaws.Mocks) {
			res(t, m, forwarder+"-invoke").Inputs["principal"] = "*"
		})},
		{"service permission without source", ids.LambdaNotPublic, "service-source", mut(func(t *testing.T, m *mockaws.Mocks) {
			p := res(t, m, forwarder+"-invoke")
			delete(p.Inputs, "sourceArn")
			delete(p.Inputs, "sourceAccount")
		})},
		{"permission for unauthenticated function URLs", ids.LambdaNotPublic, "permission-url-auth", mut(func(t *testing.T, m *mockaws.Mocks) {
			res(t, m, forwarder+"-invoke").Inputs["functionUrlAuthType"] = "NONE"
		})},
		{"unauthenticated function URL", ids.LambdaNotPublic, "function-url-iam", mut(func(t *testing.T, m *mockaws.Mocks) {
			add(m, "aws:lambda/functionUrl:FunctionUrl", "fixture-url", map[string]any{
				"functionName": res(t, m, forwarder).Outputs["name"], "authorizationType": "NONE",
			}, nil)
		})},
		{"retired runtime", ids.LambdaSupportedRuntime, "known-runtime", mut(func(t *testing.T, m *mockaws.Mocks) {
			res(t, m, forwarder).Inputs["runtime"] = "go1.x"
		})},
		{"runtime past its deprecation date", ids.LambdaSupportedRuntime, "not-deprecated", func(t *testing.T, m *mockaws.Mocks) (*mockaws.Mocks, []policy.Option) {
			res(t, m, forwarder).Inputs["runtime"] = "nodejs20.x"
			return m, []policy.Option{policy.At(time.Date(2026, time.May, 1, 0, 0, 0, 0, time.UTC))}
		}},
		{"no on-failure destination", ids.LambdaOnFailure, "on-failure-destination", mut(func(t *testing.T, m *mockaws.Mocks) {
			delete(res(t, m, forwarder+"-async").Inputs, "destinationConfig")
		})},
		{"function log group not declared", ids.LambdaLogRetention, "log-group-declared", mut(func(t *testing.T, m *mockaws.Mocks) {
			delete(res(t, m, forwarder).Inputs, "loggingConfig") // falls back to /aws/lambda/<name>
		})},
		// IAM
		{"Action *", ids.IAMNoWildcardAction, "no-action-star", mut(func(t *testing.T, m *mockaws.Mocks) {
			editPolicy(t, res(t, m, forwarder+"-role-policy"), "policy", func(s []any) []any {
				stmt(s, 2)["Action"] = "*"
				return s
			})
		})},
		{"NotAction in an Allow", ids.IAMNoWildcardAction, "no-not-action", mut(func(t *testing.T, m *mockaws.Mocks) {
			editPolicy(t, res(t, m, "flowlogs-cw-role-policy"), "policy", func(s []any) []any {
				st := stmt(s, 0)
				st["NotAction"] = st["Action"]
				delete(st, "Action")
				return s
			})
		})},
		{"unreadable policy", ids.IAMNoWildcardAction, "readable", mut(func(t *testing.T, m *mockaws.Mocks) {
			res(t, m, "firehose-role-policy").Inputs["policy"] = "{not json"
		})},
		{"Resource * outside the allow-list", ids.IAMNoWildcardResource, "no-resource-star", mut(func(t *testing.T, m *mockaws.Mocks) {
			editPolicy(t, res(t, m, forwarder+"-role-policy"), "policy", func(s []any) []any {
				stmt(s, 2)["Resource"] = "*"
				return s
			})
		})},
		{"NotResource in an Allow", ids.IAMNoWildcardResource, "no-not-resource", mut(func(t *testing.T, m *mockaws.Mocks) {
			editPolicy(t, res(t, m, forwarder+"-role-policy"), "policy", func(s []any) []any {
				st := stmt(s, 2)
				st["NotResource"] = st["Resource"]
				delete(st, "Resource")
				return s
			})
		})},
		{"ENI actions mixed with another action on *", ids.IAMNoWildcardResource, "no-resource-star", mut(func(t *testing.T, m *mockaws.Mocks) {
			editPolicy(t, res(t, m, forwarder+"-role-policy"), "policy", func(s []any) []any {
				return append(s, map[string]any{"Effect": "Allow", "Resource": "*",
					"Action": []any{"ec2:CreateNetworkInterface", "ec2:DescribeInstances"}})
			})
		})},
		{"flow-log role trust without its documented condition", ids.IAMTrustSourceCondition, "documented-keys-tested", mut(func(t *testing.T, m *mockaws.Mocks) {
			editPolicy(t, res(t, m, "flowlogs-cw-role"), "assumeRolePolicy", func(s []any) []any {
				delete(stmt(s, 0), "Condition")
				return s
			})
		})},
		{"Lambda execution role trust with aws:SourceAccount", ids.IAMTrustSourceCondition, "no-undocumented-keys", mut(func(t *testing.T, m *mockaws.Mocks) {
			// The form every role had before: Lambda documents no condition.
			editPolicy(t, res(t, m, forwarder+"-role"), "assumeRolePolicy", func(s []any) []any {
				stmt(s, 0)["Condition"] = map[string]any{"StringEquals": map[string]any{"aws:SourceAccount": mockaws.Account}}
				return s
			})
		})},
		{"Firehose role trust with aws:Source* instead of sts:ExternalId", ids.IAMTrustSourceCondition, "documented-keys-tested", mut(func(t *testing.T, m *mockaws.Mocks) {
			editPolicy(t, res(t, m, "firehose-role"), "assumeRolePolicy", func(s []any) []any {
				stmt(s, 0)["Condition"] = map[string]any{
					"StringEquals": map[string]any{"aws:SourceAccount": mockaws.Account},
					"ArnLike":      map[string]any{"aws:SourceArn": "arn:aws:firehose:us-east-1:123456789012:deliverystream/firehose-*"},
				}
				return s
			})
		})},
		{"Firehose role trust with another account's external id", ids.IAMTrustSourceCondition, "own-account-id", mut(func(t *testing.T, m *mockaws.Mocks) {
			editPolicy(t, res(t, m, "firehose-role"), "assumeRolePolicy", func(s []any) []any {
				stmt(s, 0)["Condition"] = map[string]any{"StringEquals": map[string]any{"sts:ExternalId": "210987654321"}}
				return s
			})
		})},
		{"two services with different documented forms in one statement", ids.IAMTrustSourceCondition, "no-undocumented-keys", mut(func(t *testing.T, m *mockaws.Mocks) {
			// The flow-log condition is right for vpc-flow-logs and wrong for ec2.
			editPolicy(t, res(t, m, "flowlogs-cw-role"), "assumeRolePolicy", func(s []any) []any {
				stmt(s, 0)["Principal"] = map[string]any{"Service": []any{"vpc-flow-logs.amazonaws.com", "ec2.amazonaws.com"}}
				return s
			})
		})},
		{"service with no documented trust form", ids.IAMTrustSourceCondition, "documented-service", mut(func(t *testing.T, m *mockaws.Mocks) {
			trustRole(m, "fixture-trust-unknown", "states.amazonaws.com", nil)
		})},
		{"bucket policy allows everyone", ids.ResourcePolicyNotPublic, "no-open-principal", mut(func(t *testing.T, m *mockaws.Mocks) {
			editPolicy(t, res(t, m, flowLogBucket+"-policy"), "policy", func(s []any) []any {
				arn := res(t, m, flowLogBucket).Outputs["arn"].(string)
				return append(s, map[string]any{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": arn + "/*"})
			})
		})},
		{"topic policy allows every account", ids.ResourcePolicyNotPublic, "no-open-principal", mut(func(t *testing.T, m *mockaws.Mocks) {
			editPolicy(t, res(t, m, "alarms-topic-policy"), "policy", func(s []any) []any {
				st := stmt(s, 0)
				st["Principal"] = map[string]any{"AWS": "*"}
				delete(st, "Condition")
				return s
			})
		})},
		// Firehose
		{"stream unencrypted", ids.FirehoseEncryption, "sse", mut(func(t *testing.T, m *mockaws.Mocks) {
			set(res(t, m, "firehose-stream").Inputs, "serverSideEncryption.enabled", false)
		})},
		{"no error prefix", ids.FirehoseErrorPrefix, "error-prefix", mut(func(t *testing.T, m *mockaws.Mocks) {
			set(res(t, m, "firehose-stream").Inputs, "extendedS3Configuration.errorOutputPrefix", nil)
		})},
		// Athena
		{"results unencrypted", ids.AthenaResultsEncrypted, "results-encrypted", mut(func(t *testing.T, m *mockaws.Mocks) {
			set(res(t, m, workgroup).Inputs, "configuration.resultConfiguration.encryptionConfiguration", nil)
		})},
		{"configuration not enforced", ids.AthenaEnforceConfig, "enforced", mut(func(t *testing.T, m *mockaws.Mocks) {
			set(res(t, m, workgroup).Inputs, "configuration.enforceWorkgroupConfiguration", false)
		})},
		{"no scan cutoff", ids.AthenaScanCutoff, "cutoff", mut(func(t *testing.T, m *mockaws.Mocks) {
			set(res(t, m, "firehose-athena-workgroup").Inputs, "configuration.bytesScannedCutoffPerQuery", nil)
		})},
		// QuickSight
		{"data set shared with everyone", ids.QuickSightPermissionsScoped, "user-or-group", mut(func(t *testing.T, m *mockaws.Mocks) {
			stmt(policy.List(res(t, m, qsDataSet).Inputs["permissions"]), 0)["principal"] = "*"
		})},
		{"data source shared with a whole namespace", ids.QuickSightPermissionsScoped, "user-or-group", mut(func(t *testing.T, m *mockaws.Mocks) {
			stmt(policy.List(res(t, m, qsDataSource).Inputs["permissions"]), 0)["principal"] = "arn:aws:quicksight:us-east-1:123456789012:namespace/default"
		})},
		{"dashboard shared with another account", ids.QuickSightPermissionsScoped, "owner-account", mut(func(t *testing.T, m *mockaws.Mocks) {
			editDesiredState(t, res(t, m, qsDashboard), func(st map[string]any) {
				stmt(policy.List(st["Permissions"]), 0)["Principal"] = "arn:aws:quicksight:us-east-1:210987654321:user/default/outsider"
			})
		})},
		{"wildcard QuickSight action", ids.QuickSightPermissionsScoped, "no-wildcard-action", mut(func(t *testing.T, m *mockaws.Mocks) {
			stmt(policy.List(res(t, m, qsDataSet).Inputs["permissions"]), 0)["actions"] = []any{"quicksight:*"}
		})},
		{"unreadable dashboard state", ids.QuickSightPermissionsScoped, "readable", mut(func(t *testing.T, m *mockaws.Mocks) {
			res(t, m, qsDashboard).Inputs["desiredState"] = "{not json"
		})},
		{"data source without SSL", ids.QuickSightDataSourceSSL, "ssl-on", mut(func(t *testing.T, m *mockaws.Mocks) {
			set(res(t, m, qsDataSource).Inputs, "sslProperties.disableSsl", true)
		})},
		{"service role reads every bucket", ids.QuickSightServiceRoleScoped, "exact-resource", mut(func(t *testing.T, m *mockaws.Mocks) {
			editPolicy(t, res(t, m, qsServicePolicy), "policy", func(s []any) []any {
				for _, st := range s {
					if st.(map[string]any)["Sid"] == "ReadFlowLogs" {
						st.(map[string]any)["Resource"] = "arn:aws:s3:::*/*"
					}
				}
				return s
			})
		})},
		{"service role with a service-wide action", ids.QuickSightServiceRoleScoped, "no-wildcard-action", mut(func(t *testing.T, m *mockaws.Mocks) {
			editPolicy(t, res(t, m, qsServicePolicy), "policy", func(s []any) []any {
				stmt(s, 0)["Action"] = "athena:*"
				return s
			})
		})},
		{"service role policy with NotAction", ids.QuickSightServiceRoleScoped, "no-not-elements", mut(func(t *testing.T, m *mockaws.Mocks) {
			editPolicy(t, res(t, m, qsServicePolicy), "policy", func(s []any) []any {
				st := stmt(s, 0)
				st["NotAction"] = st["Action"]
				delete(st, "Action")
				return s
			})
		})},
		{"AWS managed policy on the service role", ids.QuickSightServiceRoleScoped, "declared-policy", mut(func(t *testing.T, m *mockaws.Mocks) {
			add(m, "aws:iam/rolePolicyAttachment:RolePolicyAttachment", "fixture-qs-managed", map[string]any{
				"role": "aws-quicksight-service-role-v0", "policyArn": "arn:aws:iam::aws:policy/service-role/AWSQuicksightAthenaAccess",
			}, nil)
		})},
		{"inline policy on the service role", ids.QuickSightServiceRoleScoped, "exact-resource", mut(func(t *testing.T, m *mockaws.Mocks) {
			add(m, "aws:iam/rolePolicy:RolePolicy", "fixture-qs-inline", map[string]any{
				"role": "aws-quicksight-service-role-v0",
				"policy": jsonString(map[string]any{"Version": "2012-10-17", "Statement": []any{map[string]any{
					"Effect": "Allow", "Action": "glue:GetTable", "Resource": "arn:aws:glue:us-east-1:123456789012:table/*",
				}}}),
			}, nil)
		})},
		// EC2
		{"demo VPC logs only ACCEPT", ids.VPCFlowLogs, "rejected-traffic", mut(func(t *testing.T, m *mockaws.Mocks) {
			for _, fl := range m.ByType("aws:ec2/flowLog:FlowLog") {
				fl.Inputs["trafficType"] = "ACCEPT"
			}
		})},
		{"monitored VPCs without flow logs (FlowLogToS3 run)", ids.VPCFlowLogs, "flow-log", func(t *testing.T, _ *mockaws.Mocks) (*mockaws.Mocks, []policy.Option) {
			m := runComponent(t, flowLogToS3Run("s3fl"))
			return m, []policy.Option{policy.MonitoredVPCs("vpc-11111111", "vpc-22222222")}
		}},
		{"monitored VPC without a flow log", ids.VPCFlowLogs, "flow-log", func(t *testing.T, m *mockaws.Mocks) (*mockaws.Mocks, []policy.Option) {
			return m, []policy.Option{policy.MonitoredVPCs("vpc-33333333")}
		}},
		{"instance allows IMDSv1", ids.EC2IMDSv2, "http-tokens-required", mut(func(t *testing.T, m *mockaws.Mocks) {
			set(res(t, m, "fixture-host").Inputs, "metadataOptions.httpTokens", "optional")
		})},
	}
}

// editDesiredState rewrites the JSON desired state of a Cloud Control resource.
func editDesiredState(t *testing.T, r *mockaws.Resource, edit func(st map[string]any)) {
	t.Helper()
	var st map[string]any
	if err := json.Unmarshal([]byte(r.Input("desiredState")), &st); err != nil {
		t.Fatalf("%s.desiredState: %v", r.Name, err)
	}
	edit(st)
	r.Inputs["desiredState"] = jsonString(st)
}

// runComponent is a component run alone under mocks (stack test, no config).
func runComponent(t *testing.T, run graphdump.Run) *mockaws.Mocks {
	t.Helper()
	return recorded(t, run, "component run")
}

// flowLogToCloudWatchRun is components.NewFlowLogToCloudWatch(name) on
// vpc-11111111 with flowlog.DefaultFields, ALL traffic, 600 s, 30 days.
func flowLogToCloudWatchRun(name string) graphdump.Run {
	return graphdump.Run{Program: graphdump.FlowLogToCloudWatch, Project: project, Stack: "test", Component: &graphdump.Component{
		Name: name, VpcIDs: []string{"vpc-11111111"}, TrafficType: "ALL", AggregationInterval: 600, RetentionDays: 30,
	}}
}

// flowLogToS3Run is components.NewFlowLogToS3(name) on vpc-11111111 with
// flowlog.DefaultFields, ACCEPT traffic, 600 s, objects expiring after 30 days.
func flowLogToS3Run(name string) graphdump.Run {
	return graphdump.Run{Program: graphdump.FlowLogToS3, Project: project, Stack: "test", Component: &graphdump.Component{
		Name: name, VpcIDs: []string{"vpc-11111111"}, TrafficType: "ACCEPT", AggregationInterval: 600, ExpirationDays: 30,
	}}
}

// An open principal passes opensearch-no-open-access only on a VPC domain
// with fine-grained access control and anonymous access off (the access
// policy AWS recommends with fine-grained access control); each clause
// that fails flags it again. The other domain rules flag the same
// mutations too, so this test reads only this rule's violations.
func TestOpenDomainPolicyOnlyWhereFineGrainedAccessControlDecides(t *testing.T) {
	open := func(t *testing.T) *mockaws.Mocks {
		m := baseline(t)
		editPolicy(t, res(t, m, "fixture-domain-policy"), "accessPolicies", func(s []any) []any {
			stmt(s, 0)["Principal"] = map[string]any{"AWS": "*"}
			stmt(s, 0)["Action"] = "es:ESHttp*"
			return s
		})
		return m
	}
	openAccess := func(m *mockaws.Mocks) []policy.Violation {
		var out []policy.Violation
		for _, v := range policy.Evaluate(m, nil, policy.At(fixtureTime)).Violations {
			if v.Rule == ids.OpenSearchNoOpenAccess {
				out = append(out, v)
			}
		}
		return out
	}
	if v := openAccess(open(t)); len(v) != 0 {
		t.Fatalf("the recommended open policy on a private domain with fine-grained access control is flagged: %v", v)
	}
	for name, mutate := range map[string]func(in map[string]any){
		"public domain":              func(in map[string]any) { delete(in, "vpcOptions") },
		"no fine-grained access":     func(in map[string]any) { set(in, "advancedSecurityOptions.enabled", false) },
		"anonymous access on":        func(in map[string]any) { set(in, "advancedSecurityOptions.anonymousAuthEnabled", true) },
		"fine-grained access absent": func(in map[string]any) { delete(in, "advancedSecurityOptions") },
	} {
		t.Run(name, func(t *testing.T) {
			m := open(t)
			mutate(res(t, m, "fixture-domain").Inputs)
			if v := openAccess(m); len(v) != 1 {
				t.Errorf("violations %v, want the open policy flagged", v)
			}
		})
	}
	// On a public domain, a condition narrows the open principal only when
	// it tests who calls (its key compared without case).
	for _, c := range []struct {
		condition map[string]any
		flagged   bool
	}{
		{map[string]any{"Bool": map[string]any{"aws:SecureTransport": "true"}}, true},
		{map[string]any{"IpAddress": map[string]any{"AWS:SourceIp": "10.0.0.0/8"}}, false},
		{map[string]any{"Bool": map[string]any{"aws:SecureTransport": "true"}, "StringEquals": map[string]any{"aws:PrincipalAccount": "123456789012"}}, false},
	} {
		m := open(t)
		delete(res(t, m, "fixture-domain").Inputs, "vpcOptions")
		editPolicy(t, res(t, m, "fixture-domain-policy"), "accessPolicies", func(s []any) []any {
			stmt(s, 0)["Condition"] = c.condition
			return s
		})
		if v := openAccess(m); (len(v) == 1) != c.flagged || len(v) > 1 {
			t.Errorf("condition %v: violations %v, want flagged = %v", c.condition, v, c.flagged)
		}
	}
}

func TestBaselinePasses(t *testing.T) {
	rep := policy.Evaluate(baseline(t), nil, policy.At(fixtureTime))
	t.Log(rep.Summary())
	for _, v := range rep.Violations {
		t.Errorf("baseline: %s", v)
	}
}

// TestEveryRuleHasAFailingFixture: every fixture breaks the clause it
// names and nothing else it does not declare, and every clause of every
// security rule has a fixture that breaks it alone.
func TestEveryRuleHasAFailingFixture(t *testing.T) {
	var cases []fixtureCase
	for _, f := range fixtures() {
		cases = append(cases, fixtureCase{f.name, f.rule, f.clause})
		t.Run(f.rule+"/"+f.clause+"/"+f.name, func(t *testing.T) {
			m, opts := f.breaks(t, baseline(t))
			rep := policy.Evaluate(m, nil, append([]policy.Option{policy.At(fixtureTime)}, opts...)...)
			assertBreaksClause(t, f.rule, f.clause, alsoBreaks[f.name], rep, rep.Violations)
		})
	}
	for _, miss := range uncoveredClauses(policy.Rules(), cases) {
		t.Error(miss)
	}
}

// fixtureCase is what a security or deployability fixture declares.
type fixtureCase struct{ name, rule, clause string }

// uncoveredClauses names every clause of rules that no fixture breaks
// alone (no other clause of the same rule), and every fixture whose clause
// its rule does not declare.
func uncoveredClauses(rules []policy.Rule, cases []fixtureCase) []string {
	alone := map[string]bool{}
	var out []string
	for _, c := range cases {
		r, ok := ruleByID(c.rule)
		if _, declared := r.Clause(c.clause); !ok || !declared {
			out = append(out, fmt.Sprintf("fixture %q names %s/%s, a clause its rule does not declare", c.name, c.rule, c.clause))
		}
		if !slices.ContainsFunc(alsoBreaks[c.name], func(k string) bool { return strings.HasPrefix(k, c.rule+"/") }) {
			alone[c.rule+"/"+c.clause] = true
		}
	}
	for _, r := range rules {
		if len(r.Clauses) == 0 {
			out = append(out, fmt.Sprintf("rule %s declares no clauses", r.ID))
		}
		for _, c := range r.Clauses {
			if !alone[r.ID+"/"+c.ID] {
				out = append(out, fmt.Sprintf("clause %s/%s (%s) has no fixture that breaks it alone", r.ID, c.ID, c.Text))
			}
		}
	}
	return out
}

// ruleByID finds a security or a deployability rule.
func ruleByID(id string) (policy.Rule, bool) {
	if r, ok := policy.RuleByID(id); ok {
		return r, true
	}
	return policy.DeployRuleByID(id)
}

// report is what the security and the deployability reports share.
type report interface {
	Failed() bool
	Summary() string
}

// assertBreaksClause checks a fixture's report: it violates clause of
// rule, nothing but that and the clauses (rule/clause) of also, each of
// those too, every violation names a clause its rule declares, and the
// report fails.
func assertBreaksClause(t *testing.T, rule, clause string, also []string, rep report, violations []policy.Violation) {
	t.Helper()
	want := rule + "/" + clause
	seen := map[string]bool{}
	for _, v := range violations {
		key := v.Rule + "/" + v.Clause
		seen[key] = true
		r, _ := ruleByID(v.Rule)
		if _, ok := r.Clause(v.Clause); !ok {
			t.Errorf("violation names a clause its rule does not declare: %s", v)
		}
		if key != want && !slices.Contains(also, key) {
			t.Errorf("fixture for %s also breaks %s", want, v)
		} else {
			t.Log(v)
		}
	}
	for _, k := range append([]string{want}, also...) {
		if !seen[k] {
			t.Errorf("fixture does not break %s: %s", k, rep.Summary())
		}
	}
	if !rep.Failed() {
		t.Error("a report with violations must fail")
	}
}

// TestClausesAreDeclared: every rule of both families lists its clauses,
// each with a unique id and a text.
func TestClausesAreDeclared(t *testing.T) {
	for _, r := range append(policy.Rules(), policy.DeployRules()...) {
		seen := map[string]bool{}
		for _, c := range r.Clauses {
			if c.ID == "" || strings.TrimSpace(c.Text) == "" || seen[c.ID] {
				t.Errorf("rule %s: clause %+v needs a unique id and a text", r.ID, c)
			}
			seen[c.ID] = true
		}
	}
}

// ---------------------------------------------------------------------------
// Waivers.

const waiverReason = "accepted traffic only, agreed with secops (ticket SEC-42)"

// waiverRuns are the two runs of TestWaiverTurnsARuleOffAndIsReported:
// ACCEPT-only capture, without and with a waiver of its rule.
func waiverRuns(t testing.TB) []graphdump.Run {
	cfg := devConfig(t, "architectures", `["s3-athena"]`, "trafficType", "ACCEPT")
	waived := devConfig(t, "architectures", `["s3-athena"]`, "trafficType", "ACCEPT")
	waived[stackconfig.Key("policyWaivers")] = `{"` + ids.VPCFlowLogs + `": "` + waiverReason + `"}`
	return []graphdump.Run{deployRun("dev", cfg), deployRun("dev", waived)}
}

func TestWaiverTurnsARuleOffAndIsReported(t *testing.T) {
	cfg := devConfig(t, "architectures", `["s3-athena"]`, "trafficType", "ACCEPT")
	c, err := load(t, cfg)
	if err != nil {
		t.Fatal(err)
	}
	m := deploy(t, cfg)
	rep := policy.EvaluateStack(m, c)
	if !rep.Failed() || len(rep.Violations) == 0 {
		t.Fatalf("ACCEPT-only capture must violate %s: %s", ids.VPCFlowLogs, rep.Summary())
	}
	for _, v := range rep.Violations {
		if v.Rule != ids.VPCFlowLogs {
			t.Errorf("unexpected %s", v)
		}
	}

	const reason = waiverReason
	cfg[stackconfig.Key("policyWaivers")] = `{"` + ids.VPCFlowLogs + `": "` + reason + `"}`
	c, err = load(t, cfg)
	if err != nil {
		t.Fatal(err)
	}
	rep = policy.EvaluateStack(deploy(t, cfg), c)
	if rep.Failed() {
		t.Fatalf("waived rule still fails: %s", rep.Summary())
	}
	w := rep.Waived()
	if len(w) != 1 || w[0].Rule.ID != ids.VPCFlowLogs || w[0].Reason != reason || len(w[0].Violations) == 0 {
		t.Fatalf("waivers = %+v", w)
	}
	if want := "0 violations, 1 waived (" + ids.VPCFlowLogs + ": " + reason + ")"; !strings.Contains(rep.Summary(), want) {
		t.Errorf("summary %q lacks %q", rep.Summary(), want)
	}
	var out strings.Builder
	rep.Write(&out)
	if !strings.Contains(out.String(), "WAIVED    "+ids.VPCFlowLogs) || !strings.Contains(out.String(), reason) {
		t.Errorf("report does not list the waiver with its reason:\n%s", out.String())
	}
	t.Log(rep.Summary())
}

func TestWaiverConfigIsValidated(t *testing.T) {
	cases := map[string]struct{ value, key, bad string }{
		"unknown rule":        {`{"s3-everything-ok": "because"}`, "vpc-flow-logs:policyWaivers", "s3-everything-ok"},
		"empty reason":        {`{"` + ids.S3TLSOnly + `": "  "}`, "vpc-flow-logs:policyWaivers." + ids.S3TLSOnly, "a written reason"},
		"not an object":       {`["` + ids.S3TLSOnly + `"]`, "vpc-flow-logs:policyWaivers", "an object of rule id to written reason"},
		"reason not a string": {`{"` + ids.S3TLSOnly + `": true}`, "vpc-flow-logs:policyWaivers", "an object of rule id to written reason"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := load(t, devConfig(t, "policyWaivers", tc.value))
			if err == nil {
				t.Fatal("want a validation error")
			}
			if !strings.Contains(err.Error(), "config "+tc.key+":") || !strings.Contains(err.Error(), tc.bad) {
				t.Errorf("error does not name %s and %q: %v", tc.key, tc.bad, err)
			}
		})
	}
	c, err := load(t, devConfig(t, "policyWaivers", `{"`+ids.S3TLSOnly+`": " reviewed "}`))
	if err != nil {
		t.Fatal(err)
	}
	if c.PolicyWaivers[ids.S3TLSOnly] != "reviewed" {
		t.Errorf("PolicyWaivers = %v", c.PolicyWaivers)
	}
}

func TestInvalidWaiversWaiveNothing(t *testing.T) {
	m := baseline(t)
	res(t, m, flowLogBucket).RetainOnDelete = false
	rep := policy.Evaluate(m, map[string]string{ids.S3DataBucketRetained: " ", "no-such-rule": "x"}, policy.At(fixtureTime))
	if len(rep.Violations) == 0 || len(rep.Waived()) != 0 {
		t.Errorf("a waiver without a reason must not waive: %s", rep.Summary())
	}
	if len(rep.InvalidWaivers) != 2 || !rep.Failed() || !strings.Contains(rep.Summary(), "2 invalid waivers") {
		t.Errorf("invalid waivers not reported: %s", rep.Summary())
	}
}

// ---------------------------------------------------------------------------
// The rule set, its ids and its documentation stay in step.

func TestRuleIDsMatchTheLeafPackage(t *testing.T) {
	var got []string
	for _, r := range policy.Rules() {
		got = append(got, r.ID)
		if strings.TrimSpace(r.Description) == "" || r.Check == nil {
			t.Errorf("rule %s lacks a description or a check", r.ID)
		}
		switch r.Severity {
		case policy.Critical, policy.High, policy.Medium, policy.Low:
		default:
			t.Errorf("rule %s has severity %q", r.ID, r.Severity)
		}
		if _, ok := policy.RuleByID(r.ID); !ok {
			t.Errorf("RuleByID(%s) fails", r.ID)
		}
	}
	if !slices.Equal(got, ids.All) {
		t.Errorf("rules and ids.All differ (stackconfig validates waivers against ids.All)\nrules: %v\nids:   %v", got, ids.All)
	}
	seen := map[string]bool{}
	for _, id := range ids.All {
		if seen[id] {
			t.Errorf("duplicate rule id %s", id)
		}
		seen[id] = true
	}
}

func TestAllowListIsDocumented(t *testing.T) {
	for _, a := range policy.WildcardResourceAllowList {
		if a.Name == "" || len(a.Why) < 40 || (a.Kind == "" && len(a.Actions) == 0) {
			t.Errorf("allow-list entry %+v must name what it allows and say why", a)
		}
	}
}

func TestTrustFormsAreDocumented(t *testing.T) {
	seen := map[string]bool{}
	for _, f := range policy.TrustForms {
		key := f.Service + "/" + string(f.Use)
		if f.Service == "" || strings.Contains(f.Service, ".") || seen[key] {
			t.Errorf("trust form %+v: Service must be a principal name without its DNS suffix, unique with its Use", f)
		}
		seen[key] = true
		if f.Use != policy.AnyUse && f.Use != policy.DestinationSubscriptionRole {
			t.Errorf("trust form %s: unknown use %q", f.Service, f.Use)
		}
		if len(f.Why) < 40 || !strings.HasPrefix(f.Doc, "https://docs.aws.amazon.com/") {
			t.Errorf("trust form %s must say why and cite the AWS page that shows the trust policy", f.Service)
		}
		for _, k := range f.AccountKeys {
			if !slices.Contains(f.Keys, k) {
				t.Errorf("trust form %s: account key %s is not one of its keys %v", f.Service, k, f.Keys)
			}
		}
	}
}

// TestTrustFormsAcceptTheirDocumentedForm keeps the allow-list satisfiable:
// a role in exactly the documented form of its service passes the rule.
func TestTrustFormsAcceptTheirDocumentedForm(t *testing.T) {
	for _, f := range policy.TrustForms {
		t.Run(f.Service+string(f.Use), func(t *testing.T) {
			var cond map[string]any
			if len(f.Keys) > 0 {
				like := map[string]any{}
				for _, k := range f.Keys {
					like[k] = "arn:aws:mock:us-east-1:" + mockaws.Account + ":*"
					if slices.Contains(f.AccountKeys, k) {
						like[k] = mockaws.Account
					}
				}
				cond = map[string]any{"StringLike": like}
			}
			m := mockaws.New(project, "dev")
			trustUseContext(m, f.Use, trustRole(m, "fixture-trust", f.Service+".amazonaws.com", cond))
			rep := policy.Evaluate(m, nil, policy.At(fixtureTime))
			for _, v := range rep.Violations {
				if v.Rule == ids.IAMTrustSourceCondition {
					t.Errorf("the documented form fails: %s", v)
				}
			}
		})
	}
}

func TestReadmeListsEveryRule(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(root(t), "docs", "security-rules.md"))
	if err != nil {
		t.Fatal(err)
	}
	section := string(b)
	for _, id := range ids.All {
		if !strings.Contains(section, "| `"+id+"` |") {
			t.Errorf("docs/security-rules.md's table lacks a row for %s", id)
		}
	}
}

// ---------------------------------------------------------------------------
// The graph links sub-resources to what they configure.

func TestGraphLinks(t *testing.T) {
	g := policy.NewGraph(baseline(t))
	var retained, data []string
	for _, b := range g.Buckets() {
		if b.RetainOnDelete {
			retained = append(retained, b.Name)
		}
	}
	for _, b := range g.DataBuckets() {
		data = append(data, b.Name)
	}
	// Data buckets are found by what reads them (not by the flag the
	// retention rule checks), and they are exactly the retained ones.
	if !slices.Equal(retained, data) || !slices.Contains(data, flowLogBucket) || !slices.Contains(data, firehoseBucket) {
		t.Errorf("data buckets %v, retained buckets %v", data, retained)
	}
	results := g.ResultBuckets()
	if len(results) != len(g.ByType("aws:athena/workgroup:Workgroup")) {
		t.Errorf("result buckets %v", results)
	}
	for b := range results {
		if b.RetainOnDelete || !strings.HasSuffix(b.Name, "-results") {
			t.Errorf("%s is taken for a result bucket", b.Name)
		}
	}
	bucket := g.Mocks.ByName(flowLogBucket)
	for _, part := range []string{"-public-access", "-ownership", "-encryption", "-versioning", "-lifecycle", "-policy"} {
		found := false
		for _, r := range g.BucketParts(bucket, g.Mocks.ByName(flowLogBucket+part).Type) {
			found = found || r.Name == flowLogBucket+part
		}
		if !found {
			t.Errorf("%s%s is not linked to its bucket", flowLogBucket, part)
		}
	}
	fn := g.Mocks.ByName(forwarder)
	if lg := g.LogGroupNamed(policy.FunctionLogGroupName(fn)); lg == nil || lg.Name != forwarder+"-logs" {
		t.Errorf("forwarder log group = %v", lg)
	}
	if cfgs := g.Referencing(fn, "functionName", "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig"); len(cfgs) != 1 {
		t.Errorf("forwarder invoke configs = %d", len(cfgs))
	}
	if !policy.FunctionRefers(fn.Outputs["arn"].(string)+":live", fn) || policy.FunctionRefers("other", fn) {
		t.Error("FunctionRefers mismatches qualified ARNs")
	}
	dests := map[string]string{}
	for fl, d := range g.FlowLogDestinations() {
		dests[fl.Name] = d.Name
	}
	if dests["flowlogs-cw-vpc0"] != flowLogGroup || dests["s3-athena-flowlogs-vpc0"] != flowLogBucket {
		t.Errorf("flow log destinations = %v", dests)
	}
	if got := policy.Get(map[string]any{"a": []any{map[string]any{"b": "x"}}}, "a.0.b"); got != "x" {
		t.Errorf("Get = %v", got)
	}
	var kinds []policy.DocKind
	for _, d := range g.Documents() {
		if d.Err != nil {
			t.Errorf("%s.%s: %v", d.Resource.Name, d.Field, d.Err)
		}
		if !slices.Contains(kinds, d.Kind) {
			kinds = append(kinds, d.Kind)
		}
	}
	for _, k := range []policy.DocKind{policy.Identity, policy.Trust, policy.ResourceBased, policy.KeyPolicy, policy.DomainAccess} {
		if !slices.Contains(kinds, k) {
			t.Errorf("no %s policy document found in the baseline", k)
		}
	}
}
