// Package osclient builds the SigV4-signing OpenSearch client shared by the
// indexer and bootstrap Lambda functions.
//
// The client talks to one endpoint (the private domain's VPC endpoint), signs
// every request for the "es" service with the function's credentials, and
// leaves retries to the caller: the transport's own retry loop is disabled so
// that the callers' jittered, context-aware backoff is the only one.
package osclient

import (
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/opensearch-project/opensearch-go/v4"
	"github.com/opensearch-project/opensearch-go/v4/errmask"
	"github.com/opensearch-project/opensearch-go/v4/opensearchapi"
	"github.com/opensearch-project/opensearch-go/v4/signer/awsv2"

	"github.com/vpcflowlogs/vpc-flow-logs/lambda/internal/envconfig"
)

// Service is the SigV4 service name of Amazon OpenSearch Service domains.
const Service = "es"

// Options configure New.
type Options struct {
	// Endpoint is the domain's URL, e.g. "https://vpc-logs-abc.eu-west-1.es.amazonaws.com".
	Endpoint string
	// AWS supplies the region and credentials that sign requests.
	AWS aws.Config
	// RequestTimeout bounds one HTTP round trip; 0 means no per-request
	// bound beyond the caller's context.
	RequestTimeout time.Duration
	// Transport is the HTTP transport; nil uses a clone of http.DefaultTransport.
	Transport http.RoundTripper
}

// ValidateEndpoint checks that endpoint is an absolute http(s) URL without
// a path, query or credentials. requireHTTPS rejects plain http (Lambda
// configuration); tests talk to httptest servers over http.
func ValidateEndpoint(endpoint string, requireHTTPS bool) error {
	if endpoint == "" {
		return fmt.Errorf("the OpenSearch endpoint is empty")
	}
	u, err := url.Parse(endpoint)
	if err != nil {
		return fmt.Errorf("the OpenSearch endpoint %q is not a URL: %w", endpoint, err)
	}
	switch {
	case u.Scheme != "https" && (requireHTTPS || u.Scheme != "http"):
		return fmt.Errorf("the OpenSearch endpoint %q must start with https://", endpoint)
	case u.Host == "":
		return fmt.Errorf("the OpenSearch endpoint %q has no host", endpoint)
	case u.User != nil:
		return fmt.Errorf("the OpenSearch endpoint %q must not carry credentials (requests are SigV4-signed)", endpoint)
	case strings.Trim(u.Path, "/") != "" || u.RawQuery != "" || u.Fragment != "":
		return fmt.Errorf("the OpenSearch endpoint %q must not have a path, query or fragment", endpoint)
	}
	return nil
}

// New returns an OpenSearch API client for opts.Endpoint that signs requests
// with SigV4. Partial bulk failures are not turned into Go errors: callers
// inspect the per-item statuses themselves.
func New(opts Options) (*opensearchapi.Client, error) {
	if err := ValidateEndpoint(opts.Endpoint, false); err != nil {
		return nil, err
	}
	if err := DisableNodeStats(); err != nil {
		return nil, err
	}
	if opts.AWS.Region == "" {
		return nil, fmt.Errorf("no AWS region to sign OpenSearch requests with")
	}
	if opts.AWS.Credentials == nil {
		return nil, fmt.Errorf("no AWS credentials to sign OpenSearch requests with")
	}
	sig, err := awsv2.NewSignerWithService(opts.AWS, Service)
	if err != nil {
		return nil, fmt.Errorf("creating the SigV4 signer: %w", err)
	}
	tr := opts.Transport
	if tr == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.MaxIdleConnsPerHost = 8
		tr = t
	}
	c, err := opensearchapi.NewClient(opensearchapi.Config{
		Client: opensearch.Config{
			Addresses:      []string{strings.TrimRight(opts.Endpoint, "/")},
			Signer:         sig,
			Transport:      tr,
			DisableRetry:   true,
			RequestTimeout: opts.RequestTimeout,
		},
		Errors: errmask.New(errmask.All),
	})
	if err != nil {
		return nil, fmt.Errorf("creating the OpenSearch client: %w", err)
	}
	return c, nil
}

// DisableNodeStats turns off opensearch-go's background node-stats poller
// (envconfig.DisableOpenSearchNodeStats) for every client the process
// creates from now on; New calls it, and so must any other constructor of an
// opensearch-go client in the functions.
func DisableNodeStats() error {
	if err := envconfig.DisableOpenSearchNodeStats(os.LookupEnv, os.Setenv); err != nil {
		return fmt.Errorf("turning off the OpenSearch client's node-stats poller: %w", err)
	}
	return nil
}
