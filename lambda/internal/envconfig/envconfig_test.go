package envconfig

import (
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"
)

func TestBoundsAndDefaults(t *testing.T) {
	env := map[string]string{"N": "7", "BAD": "x", "BIG": "101", "D": "250ms", "DBAD": "1h", "L": "warn", "LBAD": "loud"}
	getenv := func(k string) string { return env[k] }
	var errs []string
	fail := func(f string, a ...any) { errs = append(errs, fmt.Sprintf(f, a...)) }

	n, bad, big, unset := 1, 1, 1, 3
	Int(getenv, fail, "N", &n, 1, 100)
	Int(getenv, fail, "BAD", &bad, 1, 100)
	Int(getenv, fail, "BIG", &big, 1, 100)
	Int(getenv, fail, "UNSET", &unset, 1, 100)
	d, dbad := time.Second, time.Second
	Duration(getenv, fail, "D", &d, time.Millisecond, time.Minute)
	Duration(getenv, fail, "DBAD", &dbad, time.Millisecond, time.Minute)
	l, lbad := slog.LevelInfo, slog.LevelInfo
	LogLevel(getenv, fail, "L", &l)
	LogLevel(getenv, fail, "LBAD", &lbad)

	if n != 7 || bad != 1 || big != 1 || unset != 3 || d != 250*time.Millisecond || dbad != time.Second || l != slog.LevelWarn || lbad != slog.LevelInfo {
		t.Errorf("values n=%d bad=%d big=%d unset=%d d=%s dbad=%s l=%s lbad=%s", n, bad, big, unset, d, dbad, l, lbad)
	}
	if len(errs) != 4 || !strings.Contains(errs[0], `BAD="x" must be an integer from 1 to 100`) || !strings.Contains(errs[2], "DBAD") || !strings.Contains(errs[3], "LBAD") {
		t.Errorf("errors %q", errs)
	}
}

// The bounds are inclusive: min and max are taken, one past either is not.
func TestBoundsAreInclusive(t *testing.T) {
	env := map[string]string{"MIN": "1", "MAX": "100", "LOW": "0", "HIGH": "101",
		"DMIN": "1ms", "DMAX": "1m", "DLOW": "999us", "DHIGH": "1m0.001s"}
	getenv := func(k string) string { return env[k] }
	var errs []string
	fail := func(f string, a ...any) { errs = append(errs, fmt.Sprintf(f, a...)) }
	for name, want := range map[string]int{"MIN": 1, "MAX": 100, "LOW": -1, "HIGH": -1} {
		got := -1
		Int(getenv, fail, name, &got, 1, 100)
		if got != want {
			t.Errorf("Int %s=%s in [1, 100]: %d, want %d", name, env[name], got, want)
		}
	}
	for name, want := range map[string]time.Duration{"DMIN": time.Millisecond, "DMAX": time.Minute, "DLOW": -1, "DHIGH": -1} {
		got := time.Duration(-1)
		Duration(getenv, fail, name, &got, time.Millisecond, time.Minute)
		if got != want {
			t.Errorf("Duration %s=%s in [1ms, 1m]: %s, want %s", name, env[name], got, want)
		}
	}
	if len(errs) != 4 {
		t.Errorf("errors %q, want one each for LOW, HIGH, DLOW and DHIGH", errs)
	}
}

func TestQueueURL(t *testing.T) {
	for s, ok := range map[string]bool{
		"https://sqs.us-east-1.amazonaws.com/123456789012/dlq": true,
		"": false,
		"http://sqs.us-east-1.amazonaws.com/123456789012/dlq": false,
		"https://sqs.us-east-1.amazonaws.com/dlq":             false,
		"https://sqs.us-east-1.amazonaws.com/123456789012/":   false,
		"https://sqs.us-east-1.amazonaws.com/1/2/3":           false,
		"sqs.us-east-1.amazonaws.com/123456789012/dlq":        false,
	} {
		if err := QueueURL(s); (err == nil) != ok {
			t.Errorf("QueueURL(%q) = %v, want ok=%v", s, err, ok)
		}
	}
}

func TestDisableOpenSearchNodeStats(t *testing.T) {
	env := map[string]string{}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	set := func(k, v string) error { env[k] = v; return nil }
	if err := DisableOpenSearchNodeStats(lookup, set); err != nil {
		t.Fatal(err)
	}
	if got := env[OpenSearchNodeStatsInterval]; got != "-1s" {
		t.Fatalf("unset variable became %q, want -1s (the poller off)", got)
	}
	env[OpenSearchNodeStatsInterval] = "30s"
	if err := DisableOpenSearchNodeStats(lookup, set); err != nil {
		t.Fatal(err)
	}
	if got := env[OpenSearchNodeStatsInterval]; got != "30s" {
		t.Fatalf("operator's value replaced by %q", got)
	}
}
