// Command bootstrap is the Lambda function that applies the OpenSearch
// objects of the flow log domain: the security plugin's roles and role
// mappings for the indexer and the readers (and the internal Dashboards
// user, whose password it reads from Secrets Manager), the index template
// whose mappings come from the field catalog, the ISM retention policy,
// the Dashboards saved objects (index pattern, visualisations,
// dashboard) and, when the input turns it on, the Security Analytics
// detector of the vpcflow log type with its rules, alias fields and SNS
// notification channel (secanalytics.go). Its role is the domain's IAM
// master user, or, on a domain whose master user is internal (the
// Dashboards login path), it reads the master's password from Secrets
// Manager, sends the security plugin's API requests with basic
// authentication as the master (mapping its own role to all_access first)
// and signs every other request.
//
// The domain is private, so the Pulumi program cannot reach it; it invokes
// this function, which runs in the VPC, through aws.lambda.Invocation with
// an objects.Input whose content hash changes whenever an object does.
// Every step is idempotent. The function fails (and so does the deployment)
// when a step fails.
//
// Environment: OPENSEARCH_ENDPOINT (https://..., required), AWS_REGION
// (set by Lambda), OPENSEARCH_REQUEST_TIMEOUT (Go duration, default 30s).
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/opensearch-project/opensearch-go/v4"

	"github.com/vpcflowlogs/vpc-flow-logs/lambda/indexer/osclient"
)

// Environment variables of the bootstrap function.
const (
	EnvEndpoint       = "OPENSEARCH_ENDPOINT"
	EnvRegion         = "AWS_REGION"
	EnvRequestTimeout = "OPENSEARCH_REQUEST_TIMEOUT"
)

func main() {
	log := slog.New(slog.NewJSONHandler(os.Stdout, nil))
	h, err := NewHandlerFromEnv(context.Background(), os.LookupEnv, log, nil)
	if err != nil {
		log.Error("cold start failed", "error", err)
		os.Exit(1)
	}
	lambda.Start(h)
}

// NewHandlerFromEnv wires the handler from the environment and the
// function's credentials; transport, if not nil, is the HTTP transport of
// the OpenSearch client (tests).
func NewHandlerFromEnv(ctx context.Context, lookup func(string) (string, bool), log *slog.Logger, transport http.RoundTripper) (*Handler, error) {
	get := func(k string) string { v, _ := lookup(k); return strings.TrimSpace(v) }
	var errs []error
	endpoint := strings.TrimRight(get(EnvEndpoint), "/")
	if err := osclient.ValidateEndpoint(endpoint, true); err != nil {
		errs = append(errs, fmt.Errorf("%s: %w", EnvEndpoint, err))
	}
	region := get(EnvRegion)
	if region == "" {
		errs = append(errs, fmt.Errorf("%s: required", EnvRegion))
	}
	timeout := 30 * time.Second
	if v := get(EnvRequestTimeout); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < time.Second || d > 15*time.Minute {
			errs = append(errs, fmt.Errorf("%s: %q is not a duration between 1s and 15m", EnvRequestTimeout, v))
		}
		timeout = d
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("invalid bootstrap configuration: %w", errors.Join(errs...))
	}
	awsCfg, err := awsconfig.LoadDefaultConfig(ctx, awsconfig.WithRegion(region))
	if err != nil {
		return nil, fmt.Errorf("loading AWS configuration: %w", err)
	}
	c, err := osclient.New(osclient.Options{Endpoint: endpoint, AWS: awsCfg, RequestTimeout: timeout, Transport: transport})
	if err != nil {
		return nil, err
	}
	return &Handler{Applier: &Applier{
		Client:             c.Client,
		NewBasicAuthClient: basicAuthClient(endpoint, timeout, transport),
		Secrets:            secretsmanager.NewFromConfig(awsCfg),
		Log:                log,
	}, Log: log}, nil
}

// basicAuthClient returns a factory of clients for endpoint that send HTTP
// basic authentication (the internal master user) instead of signing, with
// the same timeout and transport as the signing client and no retries of
// their own.
func basicAuthClient(endpoint string, timeout time.Duration, transport http.RoundTripper) func(user, password string) (*opensearch.Client, error) {
	return func(user, password string) (*opensearch.Client, error) {
		if err := osclient.DisableNodeStats(); err != nil {
			return nil, err
		}
		tr := transport
		if tr == nil {
			tr = http.DefaultTransport.(*http.Transport).Clone()
		}
		return opensearch.NewClient(opensearch.Config{
			Addresses:      []string{endpoint},
			Username:       user,
			Password:       password,
			Transport:      tr,
			DisableRetry:   true,
			RequestTimeout: timeout,
		})
	}
}
