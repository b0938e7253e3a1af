package stacks

import (
	"fmt"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/awsfake"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/mockaws"
)

// describeFlowLogs (the real run's lookup) asks EC2 with the provider's
// credentials, in batches, and refuses credentials of another account.
func TestDescribeFlowLogs(t *testing.T) {
	// The STS and EC2 query APIs of the account: one flow log of another
	// owner per VPC.
	fake := &awsfake.Account{ID: "123456789012", FlowLogs: func(_ string, ids []string) []awsfake.FlowLog {
		var out []awsfake.FlowLog
		for _, id := range ids {
			out = append(out, awsfake.FlowLog{ID: "fl-" + strings.TrimPrefix(id, "vpc-"), ResourceID: id, Tags: map[string]string{"owner": "network-team"}})
		}
		return out
	}}
	batches := func() string {
		var n []int
		for _, c := range fake.Calls() {
			if c.Action == "DescribeFlowLogs" && c.Attempt == 1 {
				n = append(n, len(c.ResourceIDs))
			}
		}
		return fmt.Sprint(n)
	}
	srv := httptest.NewServer(&awsfake.Server{Account: fake})
	defer srv.Close()
	t.Setenv("AWS_ENDPOINT_URL", srv.URL)
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	for _, k := range []string{"AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_ROLE_ARN"} {
		t.Setenv(k, "")
	}
	cfg := map[string]string{"aws:accessKey": "AKIDEXAMPLE", "aws:secretKey": "secret"}
	var ids []string
	for i := range 150 {
		ids = append(ids, fmt.Sprintf("vpc-%017x", i))
	}
	lookup := func(account string) ([]existingFlowLog, error) {
		var logs []existingFlowLog
		var lookupErr error
		if _, err := mockaws.Run(func(ctx *pulumi.Context) error {
			logs, lookupErr = describeFlowLogs(ctx, "eu-west-1", account, ids)
			return nil
		}, project, memberStack, cfg); err != nil {
			t.Fatal(err)
		}
		return logs, lookupErr
	}
	logs, err := lookup("123456789012")
	if err != nil {
		t.Fatal(err)
	}
	if len(logs) != len(ids) || logs[0].VpcID != ids[0] || logs[0].ID != "fl-"+strings.TrimPrefix(ids[0], "vpc-") || logs[0].Tags["owner"] != "network-team" {
		t.Errorf("%d flow logs, first %+v", len(logs), logs[0])
	}
	if got := batches(); got != "[100 50]" {
		t.Errorf("DescribeFlowLogs batches %s, want [100 50]", got)
	}
	if _, err := lookup("210987654321"); err == nil || !strings.Contains(err.Error(), "of account 123456789012, the aws provider's of account 210987654321") {
		t.Errorf("credentials of another account: %v", err)
	}
	// The provider's custom endpoints (aws:endpoints) apply too.
	t.Setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1")
	cfg["aws:endpoints"] = fmt.Sprintf(`[{"ec2": %q, "sts": %q}]`, srv.URL, srv.URL)
	if logs, err := lookup("123456789012"); err != nil || len(logs) != len(ids) || batches() != "[100 50 100 50]" {
		t.Errorf("with aws:endpoints: %d flow logs, %v, batches %s", len(logs), err, batches())
	}
}
