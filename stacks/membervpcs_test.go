package stacks

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/mockaws"
)

// fakeAWS answers STS GetCallerIdentity with account and EC2
// DescribeFlowLogs with one flow log per VPC id in the request's
// resource-id filter (both query protocols, XML responses as the APIs
// document them), and records the DescribeFlowLogs batches.
type fakeAWS struct {
	account string
	mu      sync.Mutex
	batches []int
}

func (f *fakeAWS) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, err.Error(), 400)
		return
	}
	w.Header().Set("Content-Type", "text/xml")
	switch r.Form.Get("Action") {
	case "GetCallerIdentity":
		fmt.Fprintf(w, `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult>`+
			`<Arn>arn:aws:iam::%[1]s:user/deployer</Arn><UserId>AIDEXAMPLE</UserId><Account>%[1]s</Account>`+
			`</GetCallerIdentityResult><ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></GetCallerIdentityResponse>`, f.account)
	case "DescribeFlowLogs":
		if r.Form.Get("Filter.1.Name") != "resource-id" {
			http.Error(w, "want a resource-id filter", 400)
			return
		}
		var items strings.Builder
		n := 0
		for i := 1; r.Form.Get(fmt.Sprintf("Filter.1.Value.%d", i)) != ""; i++ {
			vpc := r.Form.Get(fmt.Sprintf("Filter.1.Value.%d", i))
			fmt.Fprintf(&items, `<item><flowLogId>fl-%s</flowLogId><resourceId>%s</resourceId><tagSet><item><key>owner</key><value>network-team</value></item></tagSet></item>`,
				strings.TrimPrefix(vpc, "vpc-"), vpc)
			n++
		}
		f.mu.Lock()
		f.batches = append(f.batches, n)
		f.mu.Unlock()
		fmt.Fprintf(w, `<DescribeFlowLogsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>1</requestId><flowLogSet>%s</flowLogSet></DescribeFlowLogsResponse>`, items.String())
	default:
		http.Error(w, "unexpected action "+r.Form.Get("Action"), 400)
	}
}

// describeFlowLogs (the real run's lookup) asks EC2 with the provider's
// credentials, in batches, and refuses credentials of another account.
func TestDescribeFlowLogs(t *testing.T) {
	fake := &fakeAWS{account: "123456789012"}
	srv := httptest.NewServer(fake)
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
	if fmt.Sprint(fake.batches) != "[100 50]" {
		t.Errorf("DescribeFlowLogs batches %v, want [100 50]", fake.batches)
	}
	if _, err := lookup("210987654321"); err == nil || !strings.Contains(err.Error(), "of account 123456789012, the aws provider's of account 210987654321") {
		t.Errorf("credentials of another account: %v", err)
	}
	// The provider's custom endpoints (aws:endpoints) apply too.
	t.Setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1")
	cfg["aws:endpoints"] = fmt.Sprintf(`[{"ec2": %q, "sts": %q}]`, srv.URL, srv.URL)
	fake.batches = nil
	if logs, err := lookup("123456789012"); err != nil || len(logs) != len(ids) {
		t.Errorf("with aws:endpoints: %d flow logs, %v", len(logs), err)
	}
}
