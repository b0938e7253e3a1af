package main

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/vpcflowlogs/vpc-flow-logs/lambda/internal/cwlogs/cwlogstest"
)

// TestNewHandlerFromEnv wires the function as main does, from environment
// variables and the default AWS credential chain, and runs one invocation
// against local TLS and SQS fakes.
func TestNewHandlerFromEnv(t *testing.T) {
	f := newFakeOS(t)
	f.srv.Close()
	f.srv = httptest.NewTLSServer(f.srv.Config.Handler)
	t.Cleanup(f.srv.Close)
	q := newFakeSQS(t)
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
	t.Setenv("AWS_SESSION_TOKEN", "")
	t.Setenv("AWS_CONFIG_FILE", "/dev/null")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	env := validEnv()
	env[EnvEndpoint] = f.srv.URL
	env[EnvFlowLogFormat] = "${version} ${account-id} ${interface-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${packets} ${bytes} ${start} ${end} ${action} ${log-status}"
	h, err := NewHandlerFromEnv(context.Background(), envOf(env), quietLog, Deps{
		OpenSearchTransport: f.srv.Client().Transport,
		SQSOptions:          []func(*sqs.Options){q.options},
	})
	if err != nil {
		t.Fatal(err)
	}
	p := cwlogstest.FlowLogPayload(40, 21)
	p.Events[0].Message = "garbage"
	s, err := h.Handle(context.Background(), lambdaEvent(t, p))
	if err != nil {
		t.Fatal(err)
	}
	if s.Indexed != 39 || f.count() != 39 || len(q.letters(t)) != 1 {
		t.Fatalf("summary %+v; %d stored; %d dead letters", s, f.count(), len(q.letters(t)))
	}
}

func TestNewHandlerFromEnvReportsBadConfig(t *testing.T) {
	_, err := NewHandlerFromEnv(context.Background(), envOf(map[string]string{EnvRegion: "eu-west-1"}), quietLog, Deps{})
	if err == nil || !strings.Contains(err.Error(), EnvEndpoint) {
		t.Fatalf("error %v", err)
	}
}
