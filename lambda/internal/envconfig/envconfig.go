// Package envconfig reads the bounded numeric and duration settings the Lambda
// functions take from their environment, with one error wording for all.
package envconfig

import (
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Fail records one configuration problem (printf-style).
type Fail func(format string, args ...any)

// Int sets *dst from the variable name when it is set: an integer from min to
// max, else a problem is recorded and *dst keeps its default.
func Int(getenv func(string) string, fail Fail, name string, dst *int, min, max int) {
	v := strings.TrimSpace(getenv(name))
	if v == "" {
		return
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < min || n > max {
		fail("%s=%q must be an integer from %d to %d", name, v, min, max)
		return
	}
	*dst = n
}

// Duration sets *dst from the variable name when it is set: a Go duration
// from min to max, else a problem is recorded and *dst keeps its default.
func Duration(getenv func(string) string, fail Fail, name string, dst *time.Duration, min, max time.Duration) {
	v := strings.TrimSpace(getenv(name))
	if v == "" {
		return
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < min || d > max {
		fail("%s=%q must be a duration from %s to %s, e.g. \"250ms\"", name, v, min, max)
		return
	}
	*dst = d
}

// LogLevel sets *dst from the variable name when it is set.
func LogLevel(getenv func(string) string, fail Fail, name string, dst *slog.Level) {
	if v := strings.TrimSpace(getenv(name)); v != "" {
		if err := dst.UnmarshalText([]byte(v)); err != nil {
			fail("%s=%q must be DEBUG, INFO, WARN or ERROR", name, v)
		}
	}
}

// QueueURL checks an SQS queue URL,
// https://sqs.<region>.amazonaws.com/<account>/<queue>, as the functions'
// dead-letter queue settings hold it.
func QueueURL(s string) error {
	if s == "" {
		return errors.New("required: the SQS queue URL for dead letters")
	}
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "https" || u.Host == "" {
		return fmt.Errorf("%q is not an https:// SQS queue URL", s)
	}
	if parts := strings.Split(strings.Trim(u.Path, "/"), "/"); len(parts) != 2 || parts[0] == "" || parts[1] == "" {
		return fmt.Errorf("%q is not a queue URL of the form https://sqs.<region>.amazonaws.com/<account>/<queue>", s)
	}
	return nil
}

// OpenSearchNodeStatsInterval is the variable with which opensearch-go
// (v4.8+) sets the interval of its background poll of
// GET /_nodes/_local/stats/jvm,breaker, which it uses to shed load away from
// overloaded nodes of a self-managed cluster. An Amazon OpenSearch Service
// domain is one endpoint behind the service's load balancer, the functions'
// roles are granted only the paths they use, and a poll every 5 s of a warm
// function is cost with no use; opensearch.Config has no field for it, only
// this variable (a negative duration turns the poller off).
const OpenSearchNodeStatsInterval = "OPENSEARCH_GO_NODE_STATS_INTERVAL"

// DisableOpenSearchNodeStats turns opensearch-go's node-stats poller off for
// the clients the process creates afterwards, unless the function's
// environment sets OpenSearchNodeStatsInterval itself (an operator's choice
// wins).
func DisableOpenSearchNodeStats(lookup func(string) (string, bool), set func(string, string) error) error {
	if v, ok := lookup(OpenSearchNodeStatsInterval); ok && strings.TrimSpace(v) != "" {
		return nil
	}
	return set(OpenSearchNodeStatsInterval, "-1s")
}
