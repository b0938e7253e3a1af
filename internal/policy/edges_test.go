package policy_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/awslimits"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/mockaws"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/policy"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/policy/ids"
)

// A statement is named by its Sid, or by its position without one.
func TestStatementLabel(t *testing.T) {
	if got := (policy.Statement{Sid: "TLSOnly"}).Label(2); got != `statement "TLSOnly"` {
		t.Errorf("with a Sid: %s", got)
	}
	if got := (policy.Statement{}).Label(2); got != "statement 2" {
		t.Errorf("without a Sid: %s", got)
	}
}

// A role's inline policies are identity documents of their own; an empty
// one is not a document, and only a role's inlinePolicies are read.
func TestInlinePoliciesAreDocuments(t *testing.T) {
	m := mockaws.New(project, "dev")
	doc := jsonString(map[string]any{"Version": "2012-10-17", "Statement": []any{map[string]any{
		"Effect": "Allow", "Action": "logs:PutLogEvents", "Resource": "*"}}})
	add(m, "aws:iam/role:Role", "fixture-inline", map[string]any{
		"inlinePolicies": []any{map[string]any{"name": "empty", "policy": ""}, map[string]any{"name": "logs", "policy": doc}},
	}, nil)
	add(m, "aws:iam/user:User", "fixture-user", map[string]any{"inlinePolicies": []any{map[string]any{"name": "logs", "policy": doc}}}, nil)
	var got []string
	for _, d := range policy.NewGraph(m).Documents() {
		got = append(got, d.Resource.Name+" "+d.Field+" "+string(d.Kind))
		if d.Err != nil || len(d.Statements) != 1 {
			t.Errorf("%s.%s: %d statements, %v", d.Resource.Name, d.Field, len(d.Statements), d.Err)
		}
	}
	want := "fixture-inline inlinePolicies.1.policy " + string(policy.Identity)
	if len(got) != 1 || got[0] != want {
		t.Errorf("documents %q, want [%s]", got, want)
	}
}

// A violation names its rule, and its clause when it has one.
func TestViolationString(t *testing.T) {
	v := policy.Violation{Rule: "s3-tls-only", Clause: "bucket-arn", Severity: "high", Type: "aws:s3/bucketPolicy:BucketPolicy", Name: "b", Message: "m"}
	if got := v.String(); got != "s3-tls-only/bucket-arn [high] b (aws:s3/bucketPolicy:BucketPolicy): m" {
		t.Errorf("with a clause: %s", got)
	}
	v.Clause = ""
	if got := v.String(); got != "s3-tls-only [high] b (aws:s3/bucketPolicy:BucketPolicy): m" {
		t.Errorf("without a clause: %s", got)
	}
}

// The summary lists waivers and invalid waivers only when there are some.
func TestSummary(t *testing.T) {
	if got := (policy.Report{Rules: 2, Resources: 3}).Summary(); got != "policy: 2 rules, 3 resources checked, 0 violations, 0 waived" {
		t.Errorf("nothing waived: %s", got)
	}
	rep := policy.Report{Rules: 2, Resources: 3, InvalidWaivers: []string{"s3-everything-ok: no such rule"},
		Results: []policy.RuleResult{{Rule: policy.Rule{ID: "vpc-flow-logs-enabled"}, Waived: true, Reason: "why"}}}
	if got := rep.Summary(); got != "policy: 2 rules, 3 resources checked, 0 violations, 1 waived (vpc-flow-logs-enabled: why), 1 invalid waivers (s3-everything-ok: no such rule)" {
		t.Errorf("waived and invalid: %s", got)
	}
}

// A rule's violations are reported by resource name; violations of one
// name keep the order the rule found them in.
func TestViolationsAreSortedByName(t *testing.T) {
	m := mockaws.New(project, "dev")
	for _, lg := range []struct {
		name, parent string
		retention    any
	}{{"c-logs", "", nil}, {"dup-logs", "p1", nil}, {"a-logs", "", nil}, {"dup-logs", "p2", float64(45)}} {
		in := map[string]any{}
		if lg.retention != nil {
			in["retentionInDays"] = lg.retention
		}
		r := add(m, "aws:cloudwatch/logGroup:LogGroup", lg.name, in, nil)
		r.URN += lg.parent
	}
	var got []string
	for _, v := range policy.Evaluate(m, nil, policy.At(fixtureTime)).Violations {
		if v.Rule == ids.LogsRetention {
			got = append(got, v.Name+"/"+v.Clause)
		}
	}
	want := []string{"a-logs/retention-set", "c-logs/retention-set", "dup-logs/retention-set", "dup-logs/retention-accepted"}
	if !slices.Equal(got, want) {
		t.Errorf("violations %v, want %v", got, want)
	}
}

// The deployability rules read the stack's opensearchServiceLinkedRole
// and opensearchVpcEndpoints: a declared role is a violation when the
// account has one (existing), a missing one when it does not (create);
// private DNS in a VPC the stack does not own only with create.
func TestDeployRulesReadTheStackConfig(t *testing.T) {
	clauses := func(m *mockaws.Mocks, kv ...string) []string {
		c, err := load(t, devConfig(t, kv...))
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, v := range policy.EvaluateDeployabilityStack(m, c).Violations {
			out = append(out, v.Rule+"/"+v.Clause)
		}
		return out
	}
	slr := ids.DeployOpenSearchSLR
	if got := clauses(deployBaseline(t), "opensearchServiceLinkedRole", "existing"); !slices.Equal(got, []string{slr + "/not-declared-when-existing"}) {
		t.Errorf("existing, role declared: %v", got)
	}
	m := deployBaseline(t)
	withoutSLR(m)
	// One violation per VPC domain of the baseline.
	if got := clauses(m, "opensearchServiceLinkedRole", "create"); len(got) == 0 || slices.ContainsFunc(got, func(c string) bool { return c != slr+"/role-for-vpc-domain" }) {
		t.Errorf("create, no role: %v", got)
	}
	m = deployBaseline(t)
	add(m, tEndpoint, "fixture-endpoint", map[string]any{
		"vpcId": "vpc-11111111", "vpcEndpointType": "Interface", "privateDnsEnabled": true, "serviceName": "com.amazonaws.us-east-1.sqs",
	}, nil)
	if got := clauses(m, "opensearchVpcEndpoints", "create"); len(got) != 0 {
		t.Errorf("create, private DNS in a foreign VPC: %v", got)
	}
	if got := clauses(m, "opensearchVpcEndpoints", "auto"); !slices.Equal(got, []string{ids.DeployEndpointPrivateDNS + "/owned-vpc"}) {
		t.Errorf("auto, private DNS in a foreign VPC: %v", got)
	}
}

// Only the OpenSearch service-linked role counts as one: a role of another
// service leaves a VPC domain without it; a public domain needs none.
func TestServiceLinkedRoleEdges(t *testing.T) {
	slrViolations := func(m *mockaws.Mocks) []string {
		var out []string
		for _, v := range policy.EvaluateDeployability(m).Violations {
			if v.Rule == ids.DeployOpenSearchSLR {
				out = append(out, v.Name+"/"+v.Clause)
			}
		}
		return out
	}
	m := deployBaseline(t)
	withoutSLR(m)
	add(m, tSLR, "fixture-autoscaling-slr", map[string]any{"awsServiceName": "autoscaling.amazonaws.com"}, nil)
	if got := slrViolations(m); len(got) == 0 {
		t.Error("a service-linked role of another service is taken for OpenSearch's")
	}
	m = deployBaseline(t)
	withoutSLR(m)
	for _, d := range m.ByType(tDomain) {
		delete(d.Inputs, "vpcOptions")
	}
	if got := slrViolations(m); len(got) != 0 {
		t.Errorf("public domains need no service-linked role: %v", got)
	}
}

// The deployability report too lists a rule's violations by resource
// name, those of one name in the order the rule found them.
func TestDeployViolationsAreSortedByName(t *testing.T) {
	m := deployBaseline(t)
	withoutSLR(m)
	in := res(t, m, "fixture-domain").Inputs
	set(in, "encryptAtRest.enabled", false)
	set(in, "nodeToNodeEncryption.enabled", false)
	var got []string
	for _, v := range policy.EvaluateDeployability(m).Violations {
		if v.Rule == ids.DeployOpenSearchSLR || v.Rule == ids.DeployOpenSearchFGAC {
			got = append(got, v.Name+"/"+v.Clause)
		}
	}
	want := []string{"fixture-domain/encryption-at-rest", "fixture-domain/node-to-node-encryption",
		"fixture-domain/role-for-vpc-domain", "opensearch-domain/role-for-vpc-domain"}
	if !slices.Equal(got, want) {
		t.Errorf("violations %v, want %v", got, want)
	}
}

// A key that CloudWatch Logs cannot use names the regional service
// principal it must allow, not the prefix the check matches.
func TestKeyGrantNamesTheLogsPrincipal(t *testing.T) {
	m := deployBaseline(t)
	res(t, m, flowLogGroup).Inputs["kmsKeyId"] = res(t, m, "alarms-key").Outputs["arn"]
	var msgs []string
	for _, v := range policy.EvaluateDeployability(m).Violations {
		if v.Rule == ids.DeployKMSGrants && v.Clause == "log-group-key" {
			msgs = append(msgs, v.Message)
		}
	}
	if len(msgs) == 0 {
		t.Fatal("no log-group-key violation")
	}
	for _, msg := range msgs {
		if !strings.Contains(msg, "does not allow logs.<region>.amazonaws.com ") {
			t.Errorf("message %q does not name logs.<region>.amazonaws.com", msg)
		}
	}
}

// A key's grants may come from an aws:kms/keyPolicy resource for it (by
// ARN or key id), never from one for another key, and only through an
// action that covers what the service does.
func TestKeyPolicyResourceGrants(t *testing.T) {
	grant := func(actions ...any) string {
		return jsonString(map[string]any{"Version": "2012-10-17", "Statement": []any{map[string]any{
			"Effect": "Allow", "Principal": map[string]any{"Service": "logs.us-east-1.amazonaws.com"}, "Action": actions, "Resource": "*"}}})
	}
	for _, c := range []struct {
		name    string
		keyID   func(key *mockaws.Resource) any
		actions []any
		flagged bool
	}{
		{"granted through the key's ARN", func(k *mockaws.Resource) any { return k.Outputs["arn"] }, []any{"kms:*"}, false},
		{"granted through the key's id", func(k *mockaws.Resource) any { return k.Outputs["keyId"] }, []any{"kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"}, false},
		{"granted for another key", func(*mockaws.Resource) any { return "0000aaaa-0000-0000-0000-000000000000" }, []any{"kms:*"}, true},
		{"granted only Decrypt", func(k *mockaws.Resource) any { return k.Outputs["keyId"] }, []any{"kms:Decrypt"}, true},
		// A wildcard matches any run of characters, the empty one too, at
		// the start as well; prefix and suffix may not overlap.
		{"granted by leading wildcards", func(k *mockaws.Resource) any { return k.Outputs["keyId"] }, []any{"*crypt", "*DataKey"}, false},
		{"granted by trailing wildcards matching nothing", func(k *mockaws.Resource) any { return k.Outputs["keyId"] }, []any{"kms:Encrypt*", "kms:Decrypt*", "kms:GenerateDataKey*"}, false},
		{"wildcards whose prefix and suffix overlap", func(k *mockaws.Resource) any { return k.Outputs["keyId"] }, []any{"kms:Encrypt*crypt", "kms:Decrypt*crypt", "kms:GenerateDataKey*Key"}, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			m := deployBaseline(t)
			key := res(t, m, "alarms-key")
			res(t, m, flowLogGroup).Inputs["kmsKeyId"] = key.Outputs["arn"]
			add(m, "aws:kms/keyPolicy:KeyPolicy", "fixture-key-policy", map[string]any{"keyId": c.keyID(key), "policy": grant(c.actions...)}, nil)
			flagged := false
			for _, v := range policy.EvaluateDeployability(m).Violations {
				flagged = flagged || v.Rule == ids.DeployKMSGrants && v.Clause == "log-group-key"
			}
			if flagged != c.flagged {
				t.Errorf("log-group-key flagged = %v, want %v", flagged, c.flagged)
			}
		})
	}
}

// Five filter patterns with a regular expression on one log group are
// CloudWatch Logs' limit itself, allowed whatever the number of expressions
// in each; a sixth such pattern is refused; a pattern without one does not
// count.
func TestRegexPerLogGroupAtTheLimit(t *testing.T) {
	two, one, none := "[a = %x%, b = %y%]", "[a = %x%]", "[a = x]"
	for _, c := range []struct {
		patterns []string
		fail     bool
	}{
		{[]string{two, two, two, two, two}, false},
		{[]string{two, two, two, two, two, none}, false},
		{[]string{one, one, one, one, one, one}, true},
		{[]string{two, two, two, two, two, one}, true},
	} {
		m := deployBaseline(t)
		lg := res(t, m, flowLogGroup).Outputs["name"]
		for i, p := range c.patterns {
			n := "fixture-re-" + string(rune('1'+i))
			add(m, "aws:cloudwatch/logMetricFilter:LogMetricFilter", n, map[string]any{"logGroupName": lg, "pattern": p, "name": n}, nil)
		}
		failed := false
		for _, v := range policy.EvaluateDeployability(m).Violations {
			failed = failed || v.Rule == ids.DeployRegexPatternsPerLogGroup
		}
		if failed != c.fail {
			t.Errorf("patterns %q: failed = %v, want %v", c.patterns, failed, c.fail)
		}
	}
}

// A trust violation quotes the documented form: "no condition" for a
// service that documents none, its condition keys otherwise.
func TestTrustViolationsQuoteTheDocumentedForm(t *testing.T) {
	for _, f := range policy.TrustForms {
		t.Run(f.Service+string(f.Use), func(t *testing.T) {
			m := mockaws.New(project, "dev")
			var cond map[string]any
			want := "shows no condition"
			if len(f.Keys) == 0 {
				// An undocumented key breaks a form without keys.
				cond = map[string]any{"StringEquals": map[string]any{"aws:SourceAccount": mockaws.Account}}
			} else {
				want = "shows the condition keys " + strings.Join(f.Keys, " and ")
			}
			trustUseContext(m, f.Use, trustRole(m, "fixture-trust", f.Service+".amazonaws.com", cond))
			var msgs []string
			for _, v := range policy.Evaluate(m, nil, policy.At(fixtureTime)).Violations {
				if v.Rule == ids.IAMTrustSourceCondition {
					msgs = append(msgs, v.Message)
				}
			}
			if len(msgs) == 0 {
				t.Fatal("no trust violation")
			}
			for _, msg := range msgs {
				if !strings.HasSuffix(msg, want) {
					t.Errorf("message %q does not end with %q", msg, want)
				}
			}
		})
	}
}

// A statement that allows no action on "*" is outside the allow-list too
// (no allowance's actions cover an empty list).
func TestWildcardResourceWithoutActions(t *testing.T) {
	m := mockaws.New(project, "dev")
	add(m, "aws:iam/policy:Policy", "fixture-no-actions", map[string]any{"policy": jsonString(map[string]any{
		"Version": "2012-10-17", "Statement": []any{map[string]any{"Effect": "Allow", "Resource": "*"}}})}, nil)
	flagged := false
	for _, v := range policy.Evaluate(m, nil, policy.At(fixtureTime)).Violations {
		flagged = flagged || v.Rule == ids.IAMNoWildcardResource && v.Clause == "no-resource-star"
	}
	if !flagged {
		t.Error(`an Allow on Resource "*" without actions passes`)
	}
}

// A function URL's authorization type is quoted in the message, or
// "(unset)" when the input is missing.
func TestFunctionURLMessageQuotesTheAuthType(t *testing.T) {
	for _, c := range []struct {
		inputs map[string]any
		want   string
	}{
		{map[string]any{"functionName": "f", "authorizationType": "NONE"}, `function URL authorizationType is "NONE", not AWS_IAM`},
		{map[string]any{"functionName": "f"}, "function URL authorizationType is (unset), not AWS_IAM"},
	} {
		m := mockaws.New(project, "dev")
		add(m, "aws:lambda/functionUrl:FunctionUrl", "fixture-url", c.inputs, nil)
		var msgs []string
		for _, v := range policy.Evaluate(m, nil, policy.At(fixtureTime)).Violations {
			if v.Rule == ids.LambdaNotPublic && v.Clause == "function-url-iam" {
				msgs = append(msgs, v.Message)
			}
		}
		if len(msgs) != 1 || msgs[0] != c.want {
			t.Errorf("messages %q, want [%s]", msgs, c.want)
		}
	}
}

// A resource policy of exactly the service's size limit is accepted, one
// byte more is not; a policy given as a structured input is measured as
// the compact JSON the stack sends.
func TestResourcePolicySizeAtTheLimit(t *testing.T) {
	small := statements(1, 1, "sqs:SendMessage", queueArn)
	var structured map[string]any
	if err := json.Unmarshal([]byte(largePolicy(awslimits.MaxSQSQueuePolicyBytes, "sqs:SendMessage", queueArn)), &structured); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name   string
		policy any
		fail   bool
	}{
		{"at the limit", small + strings.Repeat(" ", awslimits.MaxSQSQueuePolicyBytes-len(small)), false},
		{"one byte over", small + strings.Repeat(" ", awslimits.MaxSQSQueuePolicyBytes-len(small)+1), true},
		{"structured, over", structured, true},
	} {
		m := deployBaseline(t)
		add(m, "aws:sqs/queuePolicy:QueuePolicy", "fixture-queue-policy", map[string]any{"queueUrl": queueURL, "policy": c.policy}, nil)
		failed := false
		for _, v := range policy.EvaluateDeployability(m).Violations {
			failed = failed || v.Rule == ids.DeployResourcePolicySize && v.Clause == "sqs-queue-policy"
		}
		if failed != c.fail {
			t.Errorf("%s: failed = %v, want %v", c.name, failed, c.fail)
		}
	}
}

// A destination is named by its name input (what a policy names it by),
// its recorded output only when the input is missing.
func TestDestinationNamedByItsInput(t *testing.T) {
	m := deployBaseline(t)
	add(m, tLogDestination, "fixture-dest", map[string]any{"name": "flowlogs", "roleArn": "arn:aws:iam::" + centralAccount + ":role/cwl", "targetArn": fixtureStreamArn},
		map[string]any{"name": "flowlogs-output", "arn": "arn:aws:logs:us-east-1:" + centralAccount + ":destination:flowlogs-output"})
	add(m, tLogDestinationPolicy, "fixture-dest-policy", map[string]any{"destinationName": "flowlogs", "accessPolicy": destinationPolicy(0)}, nil)
	if rep := policy.EvaluateDeployability(m); rep.Failed() {
		t.Errorf("the policy names the destination by its name input: %v", rep.Violations)
	}
}

// EventBridge counts targets per rule of one event bus: a rule name on
// two buses is two rules. The message names the default bus and the
// stack's region when the graph does not say otherwise.
func TestEventRuleTargetsPerBus(t *testing.T) {
	targets := func(m *mockaws.Mocks, bus string, n int) {
		for i := 0; i < n; i++ {
			in := map[string]any{"rule": "fixture-alarm-state", "arn": fmt.Sprintf("arn:aws:sns:us-east-1:123456789012:topic-%s-%d", bus, i)}
			if bus != "" {
				in["eventBusName"] = bus
			}
			add(m, tEventTarget, fmt.Sprintf("fixture-target-%s-%d", bus, i), in, nil)
		}
	}
	m := deployBaseline(t)
	targets(m, "bus-a", awslimits.MaxTargetsPerRule)
	targets(m, "bus-b", 1)
	if rep := policy.EvaluateDeployability(m); rep.Failed() {
		t.Errorf("%d targets on a rule of one bus and 1 on the same rule name of another: %v", awslimits.MaxTargetsPerRule, rep.Violations)
	}
	for _, c := range []struct {
		opts []policy.Option
		want string
	}{
		{nil, `rule "fixture-alarm-state" of event bus default in the stack's region gets 6 targets`},
		{[]policy.Option{policy.StackRegion("eu-west-1")}, `rule "fixture-alarm-state" of event bus default in eu-west-1 gets 6 targets`},
	} {
		m := deployBaseline(t)
		targets(m, "", awslimits.MaxTargetsPerRule+1)
		var msgs []string
		for _, v := range policy.EvaluateDeployability(m, c.opts...).Violations {
			if v.Rule == ids.DeployEventRuleTargets && v.Clause == "targets-per-rule" {
				msgs = append(msgs, v.Message)
			}
		}
		if len(msgs) != 1 || !strings.HasPrefix(msgs[0], c.want) {
			t.Errorf("messages %q, want one starting with %q", msgs, c.want)
		}
	}
}

// A statement's principals of every kind count together, and "*" counts
// as one.
func TestPrincipalsOfEveryKindCount(t *testing.T) {
	principalPolicy := func(stmts ...map[string]any) string {
		var s []any
		for _, st := range stmts {
			st["Effect"], st["Action"] = "Allow", "sns:Publish"
			s = append(s, st)
		}
		return jsonString(map[string]any{"Version": "2012-10-17", "Statement": s})
	}
	mixed := map[string]any{"Resource": topicArn, "Principal": map[string]any{
		"AWS": memberAccounts(awslimits.MaxSNSPrincipalsPerStatement - 3), "Service": []any{"events.amazonaws.com", "cloudwatch.amazonaws.com"},
		"Federated": "cognito-identity.amazonaws.com", "CanonicalUser": "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be",
	}}
	m := deployBaseline(t)
	add(m, "aws:sns/topicPolicy:TopicPolicy", "fixture-topic-policy", map[string]any{"arn": topicArn, "policy": principalPolicy(mixed)}, nil)
	flagged := map[string]bool{}
	for _, v := range policy.EvaluateDeployability(m).Violations {
		flagged[v.Rule+"/"+v.Clause] = true
	}
	if !flagged[ids.DeployPolicyElements+"/sns-principals"] {
		t.Errorf("%d principals of four kinds in one statement pass", awslimits.MaxSNSPrincipalsPerStatement+1)
	}
	// SQS counts the principals of the whole policy: MaxSQSPrincipals
	// accounts and a "*" are one too many.
	sqs := jsonString(map[string]any{"Version": "2012-10-17", "Statement": []any{
		map[string]any{"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": queueArn, "Principal": map[string]any{"AWS": memberAccounts(awslimits.MaxSQSPrincipals)}},
		map[string]any{"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": queueArn, "Principal": "*",
			"Condition": map[string]any{"StringEquals": map[string]any{"aws:SourceAccount": "123456789012"}}},
	}})
	m = deployBaseline(t)
	add(m, "aws:sqs/queuePolicy:QueuePolicy", "fixture-queue-policy", map[string]any{"queueUrl": queueURL, "policy": sqs}, nil)
	flagged = map[string]bool{}
	for _, v := range policy.EvaluateDeployability(m).Violations {
		flagged[v.Rule+"/"+v.Clause] = true
	}
	if !flagged[ids.DeployPolicyElements+"/sqs-principals"] {
		t.Errorf(`%d accounts and "*" pass`, awslimits.MaxSQSPrincipals)
	}
}

// An SQS statement of exactly the allowed number of actions passes.
func TestSQSActionsAtTheLimit(t *testing.T) {
	actions := []any{"sqs:SendMessage", "sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes",
		"sqs:GetQueueUrl", "sqs:ChangeMessageVisibility", "sqs:ListQueueTags", "sqs:PurgeQueue"}
	for _, n := range []int{awslimits.MaxSQSActionsPerStatement, awslimits.MaxSQSActionsPerStatement + 1} {
		if n > len(actions) {
			t.Fatalf("the test lists %d actions, needs %d", len(actions), n)
		}
		m := deployBaseline(t)
		add(m, "aws:sqs/queuePolicy:QueuePolicy", "fixture-queue-policy", map[string]any{"queueUrl": queueURL, "policy": jsonString(map[string]any{
			"Version": "2012-10-17", "Statement": []any{map[string]any{"Effect": "Allow", "Action": actions[:n], "Resource": queueArn,
				"Principal": map[string]any{"AWS": "arn:aws:iam::123456789012:root"}}}})}, nil)
		failed := false
		for _, v := range policy.EvaluateDeployability(m).Violations {
			failed = failed || v.Rule == ids.DeployPolicyElements && v.Clause == "sqs-actions"
		}
		if failed != (n > awslimits.MaxSQSActionsPerStatement) {
			t.Errorf("%d actions: failed = %v", n, failed)
		}
	}
}

// A QuickSight object's owner is its awsAccountId input, else the account
// of its ARN: a permission to another account's group breaks owner-account.
func TestQuickSightOwnerAccount(t *testing.T) {
	group := func(account string) string {
		return "arn:aws:quicksight:us-east-1:" + account + ":group/default/flowlog-analysts"
	}
	for _, c := range []struct {
		name      string
		accountID string // awsAccountId input ("" for none)
		principal string
		flagged   bool
	}{
		{"awsAccountId decides over the ARN", "111111111111", group("111111111111"), false},
		{"awsAccountId, another account's group", "111111111111", group("123456789012"), true},
		{"no awsAccountId: the ARN's account", "", group("111111111111"), true},
	} {
		t.Run(c.name, func(t *testing.T) {
			m := mockaws.New(project, "dev")
			in := map[string]any{"dataSourceId": "flowlogs", "name": "flowlogs", "type": "ATHENA",
				"permissions": []any{map[string]any{"principal": c.principal, "actions": []any{"quicksight:DescribeDataSource"}}}}
			if c.accountID != "" {
				in["awsAccountId"] = c.accountID
			}
			add(m, "aws:quicksight/dataSource:DataSource", "fixture-data-source", in,
				map[string]any{"arn": "arn:aws:quicksight:us-east-1:123456789012:datasource/flowlogs"})
			flagged := false
			for _, v := range policy.Evaluate(m, nil, policy.At(fixtureTime)).Violations {
				flagged = flagged || v.Rule == ids.QuickSightPermissionsScoped && v.Clause == "owner-account"
			}
			if flagged != c.flagged {
				t.Errorf("owner-account flagged = %v, want %v", flagged, c.flagged)
			}
		})
	}
}

// One day is an expiry, for current objects and noncurrent versions alike.
func TestOneDayIsAnExpiry(t *testing.T) {
	m := baseline(t)
	for _, r := range policy.List(res(t, m, firehoseBucket+"-lifecycle").Inputs["rules"]) {
		rule := r.(map[string]any)
		if _, ok := rule["expiration"]; ok {
			set(rule, "expiration.days", float64(1))
		}
		if _, ok := rule["noncurrentVersionExpiration"]; ok {
			set(rule, "noncurrentVersionExpiration.noncurrentDays", float64(1))
		}
	}
	for _, v := range policy.Evaluate(m, nil, policy.At(fixtureTime)).Violations {
		t.Errorf("expiry after 1 day: %s", v)
	}
}

// The clauses of the public-access rule are its four settings in kebab case.
func TestPublicAccessClauseIDs(t *testing.T) {
	r, ok := policy.RuleByID(ids.S3PublicAccessBlock)
	if !ok {
		t.Fatal("no public-access rule")
	}
	var got []string
	for _, c := range r.Clauses {
		got = append(got, c.ID)
	}
	want := []string{"block-present", "block-public-acls", "block-public-policy", "ignore-public-acls", "restrict-public-buckets"}
	if !slices.Equal(got, want) {
		t.Errorf("clauses %v, want %v", got, want)
	}
}

// The TLS deny's condition may hold aws:SecureTransport false as a JSON
// boolean or as the string "false"; true is no TLS deny.
func TestTLSDenyConditionValue(t *testing.T) {
	for _, c := range []struct {
		value   any
		flagged bool
	}{{false, false}, {"false", false}, {"true", true}} {
		m := baseline(t)
		editPolicy(t, res(t, m, flowLogBucket+"-policy"), "policy", func(s []any) []any {
			stmt(s, 0)["Condition"] = map[string]any{"Bool": map[string]any{"aws:SecureTransport": c.value}}
			return s
		})
		flagged := false
		for _, v := range policy.Evaluate(m, nil, policy.At(fixtureTime)).Violations {
			flagged = flagged || v.Rule == ids.S3TLSOnly
		}
		if flagged != c.flagged {
			t.Errorf("aws:SecureTransport %#v: flagged = %v, want %v", c.value, flagged, c.flagged)
		}
	}
}

// Only symmetric keys must rotate; the key spec may come from keySpec or
// the older customerMasterKeySpec.
func TestKeyRotationBySpec(t *testing.T) {
	for _, c := range []struct {
		inputs  map[string]any
		flagged bool
	}{
		{map[string]any{}, true},
		{map[string]any{"keySpec": "SYMMETRIC_DEFAULT"}, true},
		{map[string]any{"customerMasterKeySpec": "SYMMETRIC_DEFAULT"}, true},
		{map[string]any{"keySpec": "RSA_2048"}, false},
		{map[string]any{"customerMasterKeySpec": "ECC_NIST_P256"}, false},
		{map[string]any{"keySpec": "RSA_2048", "enableKeyRotation": true}, false},
		{map[string]any{"keySpec": "SYMMETRIC_DEFAULT", "enableKeyRotation": true}, false},
	} {
		m := mockaws.New(project, "dev")
		add(m, "aws:kms/key:Key", "fixture-key", c.inputs, nil)
		flagged := false
		for _, v := range policy.Evaluate(m, nil, policy.At(fixtureTime)).Violations {
			flagged = flagged || v.Rule == ids.KMSKeyRotation
		}
		if flagged != c.flagged {
			t.Errorf("key %v: flagged = %v, want %v", c.inputs, flagged, c.flagged)
		}
	}
}

// A scan cutoff of exactly Athena's minimum is a cutoff; one byte less is not.
func TestAthenaScanCutoffAtTheMinimum(t *testing.T) {
	for _, c := range []struct {
		cutoff  float64
		flagged bool
	}{{awslimits.MinAthenaScanLimitBytes, false}, {awslimits.MinAthenaScanLimitBytes - 1, true}} {
		m := baseline(t)
		set(res(t, m, workgroup).Inputs, "configuration.bytesScannedCutoffPerQuery", c.cutoff)
		flagged := false
		for _, v := range policy.Evaluate(m, nil, policy.At(fixtureTime)).Violations {
			flagged = flagged || v.Rule == ids.AthenaScanCutoff
		}
		if flagged != c.flagged {
			t.Errorf("cutoff %v: flagged = %v, want %v", c.cutoff, flagged, c.flagged)
		}
	}
}
