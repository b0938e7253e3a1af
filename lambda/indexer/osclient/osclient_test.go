package osclient

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/opensearch-project/opensearch-go/v4/opensearchapi"

	"github.com/vpcflowlogs/vpc-flow-logs/lambda/internal/envconfig"
)

func TestValidateEndpoint(t *testing.T) {
	for _, ok := range []string{"https://vpc-logs-abc.eu-west-1.es.amazonaws.com", "https://vpc-logs-abc.eu-west-1.es.amazonaws.com/", "https://10.0.0.1:443"} {
		if err := ValidateEndpoint(ok, true); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	for _, bad := range []string{"", "vpc-logs.es.amazonaws.com", "http://vpc-logs.es.amazonaws.com", "https://", "https://u:p@host", "https://host/path", "https://host?x=1", "ftp://host", "://bad"} {
		if err := ValidateEndpoint(bad, true); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	if err := ValidateEndpoint("http://127.0.0.1:9200", false); err != nil {
		t.Errorf("plain http refused in test mode: %v", err)
	}
}

func TestNewSignsRequests(t *testing.T) {
	var auth, sha string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth, sha = r.Header.Get("Authorization"), r.Header.Get("X-Amz-Content-Sha256")
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"took":1,"errors":false,"items":[]}`))
	}))
	defer srv.Close()
	c, err := New(Options{Endpoint: srv.URL, AWS: aws.Config{Region: "eu-west-1", Credentials: credentials.NewStaticCredentialsProvider("AKID", "SECRET", "")}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Bulk(context.Background(), opensearchapi.BulkReq{Body: strings.NewReader("{\"index\":{\"_index\":\"a\",\"_id\":\"1\"}}\n{}\n")}); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(auth, "AWS4-HMAC-SHA256 Credential=AKID/") || !strings.Contains(auth, "/eu-west-1/es/aws4_request") || len(sha) != 64 {
		t.Fatalf("Authorization %q, X-Amz-Content-Sha256 %q", auth, sha)
	}
}

func TestNewRequiresRegionAndCredentials(t *testing.T) {
	if _, err := New(Options{Endpoint: "https://host", AWS: aws.Config{Credentials: credentials.NewStaticCredentialsProvider("a", "b", "")}}); err == nil || !strings.Contains(err.Error(), "region") {
		t.Errorf("no region: %v", err)
	}
	if _, err := New(Options{Endpoint: "https://host", AWS: aws.Config{Region: "eu-west-1"}}); err == nil || !strings.Contains(err.Error(), "credentials") {
		t.Errorf("no credentials: %v", err)
	}
	if _, err := New(Options{Endpoint: "host", AWS: aws.Config{Region: "eu-west-1"}}); err == nil {
		t.Error("bad endpoint accepted")
	}
}

// TestNewTurnsOffNodeStats: a client New makes never starts opensearch-go's
// background GET /_nodes/_local/stats poller (every 5 s by default, a request
// the functions' roles and the tests' fakes do not serve).
func TestNewTurnsOffNodeStats(t *testing.T) {
	t.Setenv(envconfig.OpenSearchNodeStatsInterval, "")
	os.Unsetenv(envconfig.OpenSearchNodeStatsInterval)
	if _, err := New(Options{Endpoint: "https://host", AWS: aws.Config{Region: "eu-west-1", Credentials: credentials.NewStaticCredentialsProvider("a", "b", "")}}); err != nil {
		t.Fatal(err)
	}
	if v := os.Getenv(envconfig.OpenSearchNodeStatsInterval); v != "-1s" {
		t.Fatalf("%s=%q after New, want -1s", envconfig.OpenSearchNodeStatsInterval, v)
	}
}
