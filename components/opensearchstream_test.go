package components

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/flowlog"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/mockaws"
)

func osArgs() *OpenSearchStreamArgs {
	return &OpenSearchStreamArgs{
		VpcID:              pulumi.String("vpc-11111111"),
		SubnetIDs:          []pulumi.StringInput{pulumi.String("subnet-aaaaaaaa"), pulumi.String("subnet-bbbbbbbb")},
		EngineVersion:      "OpenSearch_2.17",
		InstanceType:       "t3.small.search",
		InstanceCount:      1,
		VolumeSizeGB:       10,
		IndexPrefix:        "cwl",
		IndexRetentionDays: 14,
		Fields:             flowlog.DefaultFields(),
		LogGroupName:       pulumi.String("flow-logs-group"),
		LogGroupArn:        pulumi.String("arn:aws:logs:us-east-1:123456789012:log-group:flow-logs-group"),
		Indexer:            LambdaCode{ZipPath: "/nonexistent/indexer.zip", SHA256: "aW5kZXhlcg=="},
		Bootstrap:          LambdaCode{ZipPath: "/nonexistent/bootstrap.zip", SHA256: "Ym9vdA=="},
		AccessHost:         true,
		VpcEndpoints:       true,
		RetentionDays:      14,
		AlarmTopicArn:      pulumi.String("arn:aws:sns:us-east-1:123456789012:alarms"),
	}
}

func byTypeName(t *testing.T, m *mockaws.Mocks, typ, name string) *mockaws.Resource {
	t.Helper()
	for _, r := range m.ByType(typ) {
		if r.Name == name {
			return r
		}
	}
	t.Fatalf("no %s named %s", typ, name)
	return nil
}

func TestOpenSearchStreamDomain(t *testing.T) {
	var c *OpenSearchStream
	m := run(t, func(ctx *pulumi.Context) error {
		var err error
		c, err = NewOpenSearchStream(ctx, "os", osArgs())
		return err
	})
	assertComponentTree(t, m, "vpcflowlogs:index:OpenSearchStream", "os")

	d := byTypeName(t, m, "aws:opensearch/domain:Domain", "os-domain")
	checks := []struct {
		path string
		want any
	}{
		{"encryptAtRest.enabled", true},
		{"nodeToNodeEncryption.enabled", true},
		{"domainEndpointOptions.enforceHttps", true},
		{"domainEndpointOptions.tlsSecurityPolicy", OpenSearchTLSPolicy},
		{"advancedSecurityOptions.enabled", true},
		{"advancedSecurityOptions.anonymousAuthEnabled", false},
		{"clusterConfig.instanceType", "t3.small.search"},
		{"clusterConfig.instanceCount", float64(1)},
		{"ebsOptions.volumeSize", float64(10)},
		{"engineVersion", "OpenSearch_2.17"},
	}
	for _, c := range checks {
		var v any = d.Inputs
		for _, k := range strings.Split(c.path, ".") {
			v = asMap(v)[k]
		}
		if v != c.want {
			t.Errorf("domain %s = %v, want %v", c.path, v, c.want)
		}
	}
	// The master user and the access policy of each mode: TestOpenSearchStreamLoginModes.
	vpc := asMap(d.Inputs["vpcOptions"])
	if subs := vpc["subnetIds"].([]any); len(subs) != 1 || subs[0] != "subnet-aaaaaaaa" {
		t.Errorf("single-node domain subnets %v", subs)
	}
	domainSG := byTypeName(t, m, "aws:ec2/securityGroup:SecurityGroup", "os-domain-sg")
	if sgs := vpc["securityGroupIds"].([]any); len(sgs) != 1 || sgs[0] != domainSG.Outputs["id"] {
		t.Errorf("domain security groups %v", sgs)
	}
	// The domain accepts 443 from the clients group only.
	clients := mustGet(t, m, "os-clients")
	for _, r := range m.ByType("aws:ec2/securityGroupRule:SecurityGroupRule") {
		if r.Input("securityGroupId") == domainSG.Outputs["id"] {
			if r.Input("type") != "ingress" || r.Inputs["fromPort"] != float64(443) || r.Input("sourceSecurityGroupId") != clients.Outputs["id"] {
				t.Errorf("domain rule %s = %v", r.Name, r.Inputs)
			}
		}
		if _, open := r.Inputs["cidrBlocks"]; open && r.Input("type") == "ingress" {
			t.Errorf("rule %s opens ingress to CIDRs", r.Name)
		}
	}

	for _, metric := range []string{"clusterstatus-red", "clusterstatus-yellow", "freestoragespace", "clusterindexwritesblocked", "jvmmemorypressure"} {
		a := mustGet(t, m, "os-"+metric)
		if a.Input("namespace") != "AWS/ES" || a.Inputs["alarmActions"].([]any)[0] != "arn:aws:sns:us-east-1:123456789012:alarms" {
			t.Errorf("alarm %s = %v", metric, a.Inputs)
		}
	}

	// Access host: no key pair, no inbound, IMDSv2, encrypted disk, SSM.
	host := mustGet(t, m, "os-access-host")
	if _, hasKey := host.Inputs["keyName"]; hasKey {
		t.Error("access host has a key pair")
	}
	if asMap(host.Inputs["metadataOptions"])["httpTokens"] != "required" || asMap(host.Inputs["rootBlockDevice"])["encrypted"] != true {
		t.Errorf("access host hardening %v", host.Inputs)
	}
	cmd, url := str(await(t, c.AccessCommand)), str(await(t, c.DashboardsURL))
	if !strings.Contains(cmd, "AWS-StartPortForwardingSessionToRemoteHost") || !strings.Contains(cmd, `"localPortNumber":["8443"]`) ||
		!strings.Contains(cmd, "--target os-access-host") {
		t.Errorf("access command %q", cmd)
	}
	if url != "https://localhost:8443/_dashboards/" {
		t.Errorf("dashboards URL %q", url)
	}
}

func TestOpenSearchStreamIndexerAndBootstrap(t *testing.T) {
	m := run(t, func(ctx *pulumi.Context) error {
		_, err := NewOpenSearchStream(ctx, "os", osArgs())
		return err
	})
	fn := mustGet(t, m, "os-indexer")
	vars := asMap(asMap(fn.Inputs["environment"])["variables"])
	if !strings.HasPrefix(str(vars["OPENSEARCH_ENDPOINT"]), "https://vpc-") || vars["INDEX_PREFIX"] != "cwl" ||
		vars["FLOW_LOG_FORMAT"] != flowlog.LogFormat(flowlog.DefaultFields()) || !strings.HasPrefix(str(vars["DEAD_LETTER_QUEUE_URL"]), "https://sqs.") {
		t.Errorf("indexer environment %v", vars)
	}
	vpcConf := asMap(fn.Inputs["vpcConfig"])
	if len(vpcConf["subnetIds"].([]any)) != 2 || vpcConf["securityGroupIds"].([]any)[0] != mustGet(t, m, "os-clients").Outputs["id"] {
		t.Errorf("indexer VPC config %v", vpcConf)
	}
	inv := mustGet(t, m, "os-bootstrap-apply")
	var input map[string]any
	if err := json.Unmarshal([]byte(inv.Input("input")), &input); err != nil {
		t.Fatal(err)
	}
	if input["indexPrefix"] != "cwl" || input["retentionDays"] != float64(14) || input["fields"] != flowlog.LogFormat(flowlog.DefaultFields()) {
		t.Errorf("bootstrap input %v", input)
	}
	if h := asMap(inv.Inputs["triggers"])["hash"]; h == "" || h != input["hash"] {
		t.Errorf("the invocation must re-run exactly when the content hash changes: trigger %v, input hash %v", h, input["hash"])
	}
	// Records flow only after the bootstrap applied the template.
	sub := mustGet(t, m, "os-indexer-subscription")
	found := false
	for _, d := range sub.Dependencies {
		found = found || d == inv.URN
	}
	if !found {
		t.Errorf("subscription does not wait for the bootstrap invocation: %v", sub.Dependencies)
	}
	// Endpoints the private subnets need: SQS for dead letters, SSM for the access host.
	for _, svc := range []string{"sqs", "ssm", "ssmmessages", "ec2messages"} {
		ep := mustGet(t, m, "os-"+svc)
		if ep.Input("serviceName") != "com.amazonaws.us-east-1."+svc || ep.Inputs["privateDnsEnabled"] != true {
			t.Errorf("endpoint %s = %v", svc, ep.Inputs)
		}
	}
}

func TestOpenSearchStreamExistingDomain(t *testing.T) {
	m := run(t, func(ctx *pulumi.Context) error {
		a := osArgs()
		a.AccessHost = false
		a.ExistingDomainEndpoint = "vpc-flow-abc.us-east-1.es.amazonaws.com"
		a.ExistingDomainArn = "arn:aws:es:us-east-1:123456789012:domain/flow"
		_, err := NewOpenSearchStream(ctx, "os", a)
		return err
	})
	if n := len(m.ByType("aws:opensearch/domain:Domain")); n != 0 {
		t.Errorf("existing domain given, yet %d domains created", n)
	}
	vars := asMap(asMap(mustGet(t, m, "os-indexer").Inputs["environment"])["variables"])
	if vars["OPENSEARCH_ENDPOINT"] != "https://vpc-flow-abc.us-east-1.es.amazonaws.com" {
		t.Errorf("endpoint %v", vars["OPENSEARCH_ENDPOINT"])
	}
	pol := policyDoc(t, mustGet(t, m, "os-indexer-role-policy"), "policy")
	w := statementBySid(t, pol, "WriteDocuments")
	if res := w["Resource"].([]any); res[0] != "arn:aws:es:us-east-1:123456789012:domain/flow" {
		t.Errorf("indexer may write to %v", res)
	}
}

func TestOpenSearchStreamRejectsBadArgs(t *testing.T) {
	cases := map[string]func(a *OpenSearchStreamArgs){
		"engine":          func(a *OpenSearchStreamArgs) { a.EngineVersion = "2.17" },
		"instance":        func(a *OpenSearchStreamArgs) { a.InstanceType = "t3.small" },
		"zone awareness":  func(a *OpenSearchStreamArgs) { a.ZoneAwareness = true },
		"volume":          func(a *OpenSearchStreamArgs) { a.VolumeSizeGB = 5 },
		"prefix":          func(a *OpenSearchStreamArgs) { a.IndexPrefix = "CWL" },
		"half existing":   func(a *OpenSearchStreamArgs) { a.ExistingDomainArn = "arn:aws:es:us-east-1:1:domain/x" },
		"no indexer code": func(a *OpenSearchStreamArgs) { a.Indexer = LambdaCode{} },
		"no subnets":      func(a *OpenSearchStreamArgs) { a.SubnetIDs = nil },
		"index retention": func(a *OpenSearchStreamArgs) { a.IndexRetentionDays = 0 },
		"scheme in endpoint": func(a *OpenSearchStreamArgs) {
			a.ExistingDomainEndpoint, a.ExistingDomainArn, a.AccessHost = "https://x", "arn:aws:es:us-east-1:1:domain/x", false
		},
	}
	for name, mutate := range cases {
		t.Run(name, func(t *testing.T) {
			a := osArgs()
			mutate(a)
			m, err := mockaws.Run(func(ctx *pulumi.Context) error {
				_, err := NewOpenSearchStream(ctx, "bad", a)
				return err
			}, "p", "s", nil)
			if err == nil || len(m.Resources) != 0 {
				t.Fatalf("err = %v, %d resources registered", err, len(m.Resources))
			}
		})
	}
}
