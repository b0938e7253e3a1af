package main

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/flowlog"
)

func envOf(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) {
		v, ok := m[k]
		return v, ok
	}
}

func validEnv() map[string]string {
	return map[string]string{
		EnvEndpoint:           "https://vpc-flowlogs-abc123.eu-west-1.es.amazonaws.com/",
		EnvFlowLogFormat:      flowlog.LogFormat(flowlog.DefaultFields()),
		EnvDeadLetterQueueURL: testQueueURL,
		EnvRegion:             "eu-west-1",
	}
}

func TestLoadConfigDefaults(t *testing.T) {
	c, err := LoadConfig(envOf(validEnv()))
	if err != nil {
		t.Fatal(err)
	}
	if c.Endpoint != "https://vpc-flowlogs-abc123.eu-west-1.es.amazonaws.com" || c.IndexPrefix != "cwl" || len(c.Fields) != len(flowlog.DefaultFields()) ||
		c.BulkMaxBytes != DefaultMaxBodyBytes || c.BulkMaxAttempts != DefaultMaxAttempts || c.RequestTimeout != DefaultRequestTimeout || c.Region != "eu-west-1" {
		t.Fatalf("config %+v", c)
	}
}

func TestLoadConfigOverrides(t *testing.T) {
	env := validEnv()
	env[EnvIndexPrefix] = "flowlogs"
	env[EnvBulkMaxBytes] = "1048576"
	env[EnvBulkMaxAttempts] = "3"
	env[EnvRequestTimeout] = "10s"
	env[EnvFlowLogFormat] = "${version} ${srcaddr} ${dstaddr} ${action}"
	c, err := LoadConfig(envOf(env))
	if err != nil {
		t.Fatal(err)
	}
	if c.IndexPrefix != "flowlogs" || c.BulkMaxBytes != 1<<20 || c.BulkMaxAttempts != 3 || c.RequestTimeout != 10*time.Second || len(c.Fields) != 4 {
		t.Fatalf("config %+v", c)
	}
}

func TestLoadConfigErrors(t *testing.T) {
	cases := []struct {
		key, value, want string
	}{
		{EnvEndpoint, "", "OPENSEARCH_ENDPOINT: required"},
		{EnvEndpoint, "http://vpc-x.es.amazonaws.com", "must start with https://"},
		{EnvEndpoint, "https://vpc-x.es.amazonaws.com/_dashboards", "must not have a path"},
		{EnvEndpoint, "https://user:pw@vpc-x.es.amazonaws.com", "must not carry credentials"},
		{EnvIndexPrefix, "CWL", "INDEX_PREFIX"},
		{EnvIndexPrefix, "_cwl", "starting with a letter or digit"},
		{EnvIndexPrefix, "cwl*", "lowercase letters"},
		{EnvFlowLogFormat, "", "FLOW_LOG_FORMAT: required"},
		{EnvFlowLogFormat, "${version} ${no-such-field}", `unknown flow log field "no-such-field"`},
		{EnvFlowLogFormat, "version srcaddr", "not of the form ${field}"},
		{EnvFlowLogFormat, "${srcaddr} ${srcaddr}", "listed twice"},
		{EnvDeadLetterQueueURL, "", "DEAD_LETTER_QUEUE_URL: required"},
		{EnvDeadLetterQueueURL, "arn:aws:sqs:eu-west-1:123456789012:dlq", "not an https:// SQS queue URL"},
		{EnvDeadLetterQueueURL, "https://sqs.eu-west-1.amazonaws.com/dlq", "not a queue URL of the form"},
		{EnvRegion, "", "AWS_REGION: required"},
		{EnvBulkMaxBytes, "lots", "BULK_MAX_BYTES"},
		{EnvBulkMaxBytes, "1000", "between 65536"},
		{EnvBulkMaxAttempts, "0", "BULK_MAX_ATTEMPTS"},
		{EnvRequestTimeout, "5", "OPENSEARCH_REQUEST_TIMEOUT"},
		{EnvRequestTimeout, "1h", "between 1s and 15m"},
	}
	for _, tc := range cases {
		t.Run(tc.key+"="+tc.value, func(t *testing.T) {
			env := validEnv()
			env[tc.key] = tc.value
			_, err := LoadConfig(envOf(env))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

func TestLoadConfigReportsEveryProblem(t *testing.T) {
	_, err := LoadConfig(envOf(map[string]string{}))
	if err == nil {
		t.Fatal("empty environment accepted")
	}
	for _, k := range []string{EnvEndpoint, EnvFlowLogFormat, EnvDeadLetterQueueURL, EnvRegion} {
		if !strings.Contains(err.Error(), k) {
			t.Errorf("error %q does not mention %s", err, k)
		}
	}
}

// TestLoadConfigBounds: every numeric setting is accepted at both ends of
// its range and refused one step past each.
func TestLoadConfigBounds(t *testing.T) {
	for _, tc := range []struct {
		key      string
		ok, bad  []string
		accepted func(Config) string
	}{
		{EnvBulkMaxBytes, []string{"65536", "104857600"}, []string{"65535", "104857601"}, func(c Config) string { return fmt.Sprint(c.BulkMaxBytes) }},
		{EnvBulkMaxAttempts, []string{"1", "20"}, []string{"0", "21"}, func(c Config) string { return fmt.Sprint(c.BulkMaxAttempts) }},
		{EnvRequestTimeout, []string{"1s", "15m0s"}, []string{"999ms", "15m0.001s"}, func(c Config) string { return c.RequestTimeout.String() }},
	} {
		for _, v := range tc.ok {
			env := validEnv()
			env[tc.key] = v
			if c, err := LoadConfig(envOf(env)); err != nil || tc.accepted(c) != v {
				t.Errorf("%s=%s: config %+v, err %v", tc.key, v, c, err)
			}
		}
		for _, v := range tc.bad {
			env := validEnv()
			env[tc.key] = v
			if _, err := LoadConfig(envOf(env)); err == nil || !strings.Contains(err.Error(), tc.key) {
				t.Errorf("%s=%s: err %v, want it refused", tc.key, v, err)
			}
		}
	}
}
