package main

import (
	"context"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/flowlog"
	"github.com/vpcflowlogs/vpc-flow-logs/lambda/bootstrap/objects"
)

const (
	saTopic = "arn:aws:sns:eu-west-1:123456789012:flowlogs-alarms-topic-1a2b3c"
	saRole  = "arn:aws:iam::123456789012:role/opensearch-notifications-role-4d5e6f"
)

// saDay is the fixed day of the test runs: the index the step creates. It
// is a day in the past, so that a step reading the real clock instead of
// Applier.Now names another index.
var saDay = time.Date(2025, time.June, 10, 10, 0, 0, 0, time.UTC)

func saTestInput(t *testing.T, fields []flowlog.Field, role string) objects.Input {
	t.Helper()
	in, err := testInput(t, 14, fields).WithSecurityAnalytics(saTopic, role)
	if err != nil {
		t.Fatal(err)
	}
	return in
}

func saHandler(t *testing.T, f *fakeDomain) *Handler {
	h := newTestHandler(t, f, nil)
	h.Applier.Now = func() time.Time { return saDay }
	return h
}

func TestSecurityAnalyticsIsAppliedOnceAndIdempotent(t *testing.T) {
	f := newFakeDomain(t)
	h := saHandler(t, f)
	in := saTestInput(t, flowlog.DefaultFields(), saRole)
	o, err := objects.Build(in)
	if err != nil {
		t.Fatal(err)
	}
	sa := o.SecurityAnalytics

	s, err := h.Handle(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	r := s.SecurityAnalytics
	if r == nil || r.Index != "cwl-2025.06.10" || !r.IndexCreated || r.Channel != Created || r.Detector != Created || len(r.RuleIDs) != len(sa.Rules) {
		t.Fatalf("first run: %+v", r)
	}
	if !slices.Contains(r.UnmappedColumns, "pkt_srcaddr") {
		t.Errorf("unmapped columns %v", r.UnmappedColumns)
	}
	for title, outcome := range r.Rules {
		if outcome != Created {
			t.Errorf("rule %q: %s", title, outcome)
		}
	}
	st := f.saState()
	// The channel publishes to the topic with the role.
	sns := st.channels[sa.ChannelID]["sns"].(map[string]any)
	if sns["topic_arn"] != saTopic || sns["role_arn"] != saRole || st.channels[sa.ChannelID]["config_type"] != "sns" {
		t.Fatalf("channel %v", st.channels[sa.ChannelID])
	}
	// The index has the aliases, from the template and the mappings API.
	for ecs, col := range sa.Aliases {
		p, ok := fieldAt(f.indices[r.Index], ecs)
		if !ok || p["type"] != "alias" || p["path"] != col {
			t.Errorf("index %s: %s is %v, want an alias of %s", r.Index, ecs, p, col)
		}
	}
	if _, ok := st.aliasMappings[r.Index]; !ok {
		t.Error("the mappings API was not called")
	}
	// One detector, of the vpcflow type, over the pattern, with every rule,
	// whose trigger notifies the channel.
	if len(st.detectors) != 1 {
		t.Fatalf("%d detectors", len(st.detectors))
	}
	det := st.detectors[r.DetectorID]
	if det["detector_type"] != objects.LogType || det["name"] != sa.DetectorName {
		t.Fatalf("detector %v", det)
	}
	input := det["inputs"].([]any)[0].(map[string]any)["detector_input"].(map[string]any)
	var got []string
	for _, cr := range input["custom_rules"].([]any) {
		got = append(got, cr.(map[string]any)["id"].(string))
	}
	want := slices.Clone(r.RuleIDs)
	slices.Sort(want)
	if !slices.Equal(got, want) || len(st.rules) != len(sa.Rules) {
		t.Fatalf("detector rules %v, created %v", got, r.RuleIDs)
	}
	action := det["triggers"].([]any)[0].(map[string]any)["actions"].([]any)[0].(map[string]any)
	if action["destination_id"] != sa.ChannelID {
		t.Fatalf("trigger action %v", action)
	}

	// A second run changes and duplicates nothing.
	s, err = h.Handle(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	r2 := s.SecurityAnalytics
	if r2.IndexCreated || r2.Channel != Unchanged || r2.Detector != Unchanged || r2.DetectorID != r.DetectorID || !slices.Equal(r2.RuleIDs, r.RuleIDs) {
		t.Fatalf("second run: %+v", r2)
	}
	for title, outcome := range r2.Rules {
		if outcome != Unchanged {
			t.Errorf("second run, rule %q: %s", title, outcome)
		}
	}
	for _, k := range []string{"POST /_plugins/_security_analytics/detectors", "POST /_plugins/_notifications/configs", "POST /_plugins/_security_analytics/rules"} {
		if n := f.count(k); n != map[bool]int{true: len(sa.Rules), false: 1}[strings.HasSuffix(k, "rules")] {
			t.Errorf("%s sent %d times", k, n)
		}
	}
	if n := f.count("PUT /_plugins/_security_analytics/detectors/" + r.DetectorID); n != 0 {
		t.Errorf("detector updated %d times with nothing changed", n)
	}
}

// TestSecurityAnalyticsUpdatesWhatChanged: a new notification role updates
// the channel (and nothing else); a rule edited by hand on the domain is put
// back (forced: the detector uses it).
func TestSecurityAnalyticsUpdatesWhatChanged(t *testing.T) {
	f := newFakeDomain(t)
	h := saHandler(t, f)
	if _, err := h.Handle(context.Background(), saTestInput(t, flowlog.DefaultFields(), saRole)); err != nil {
		t.Fatal(err)
	}
	st := f.saState()
	var edited string
	// Edit exactly one rule that has "level: high". A rule that was "level:
	// low" from the start must not be picked: it was never edited (picking it
	// by map order made this test fail on some runs).
	for _, id := range slices.Sorted(maps.Keys(st.rules)) {
		rule := st.rules[id]
		changed := strings.Replace(rule.text, "level: high", "level: low", 1)
		if changed == rule.text {
			continue
		}
		rule.text = changed
		st.rules[id] = rule
		edited = rule.title
		break
	}
	if edited == "" {
		t.Fatal("no rule with level: high to edit")
	}
	newRole := "arn:aws:iam::123456789012:role/opensearch-notifications-role-new"
	s, err := h.Handle(context.Background(), saTestInput(t, flowlog.DefaultFields(), newRole))
	if err != nil {
		t.Fatal(err)
	}
	r := s.SecurityAnalytics
	if r.Channel != Updated || r.Detector != Unchanged || r.Rules[edited] != Updated {
		t.Fatalf("after the changes (edited %q): %+v", edited, r)
	}
	for title, outcome := range r.Rules {
		if title != edited && outcome != Unchanged {
			t.Errorf("rule %q not edited but %s", title, outcome)
		}
	}
	for _, c := range st.channels {
		if c["sns"].(map[string]any)["role_arn"] != newRole {
			t.Fatalf("channel %v", c)
		}
	}
	if len(st.channels) != 1 || len(st.detectors) != 1 {
		t.Fatalf("%d channels, %d detectors", len(st.channels), len(st.detectors))
	}
}

// TestSecurityAnalyticsWithFewerFields: with the version 2 fields the rule
// on a version 5 field is left out with a warning, and the detector runs the
// others; the index that already exists is used as it is.
func TestSecurityAnalyticsWithFewerFields(t *testing.T) {
	f := newFakeDomain(t)
	f.indices["cwl-2025.06.10"] = map[string]any{}
	h := saHandler(t, f)
	in := saTestInput(t, flowlog.V2Fields(), saRole)
	o, _ := objects.Build(in)
	// The existing index was made before the template: the mapping update
	// gives it the fields, the aliases' targets included.
	s, err := h.Handle(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	r := s.SecurityAnalytics
	if r.IndexCreated || len(r.RuleIDs) != len(o.SecurityAnalytics.Rules) || len(o.SecurityAnalytics.Skipped) != 1 {
		t.Fatalf("result %+v, skipped %v", r, o.SecurityAnalytics.Skipped)
	}
	if !slices.ContainsFunc(s.Warnings, func(w string) bool { return strings.Contains(w, "netflow.flow_direction") }) {
		t.Fatalf("warnings %v", s.Warnings)
	}
}

// TestFakeRefusesAnIncompleteDetector: the fake validates what the plugin
// requires, so a detector whose trigger names no existing channel, or that
// has no rule, fails.
func TestFakeRefusesAnIncompleteDetector(t *testing.T) {
	f := newFakeDomain(t)
	a := f.applier(t, nil)
	a.Now = func() time.Time { return saDay }
	in := saTestInput(t, flowlog.DefaultFields(), saRole)
	o, _ := objects.Build(in)
	if _, err := a.applyTemplate(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	if _, _, err := a.ensureIndex(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	_, _, err := a.applyDetector(context.Background(), o.SecurityAnalytics, nil)
	var apiErr *APIError
	if err == nil || !asAPIError(err, &apiErr) || apiErr.Status != http.StatusBadRequest ||
		!strings.Contains(apiErr.Body, "at least one rule") || !strings.Contains(apiErr.Body, "is no channel") {
		t.Fatalf("detector without rules and channel: %v", err)
	}
}

func asAPIError(err error, target **APIError) bool {
	for err != nil {
		if e, ok := err.(*APIError); ok {
			*target = e
			return true
		}
		u, ok := err.(interface{ Unwrap() error })
		if !ok {
			return false
		}
		err = u.Unwrap()
	}
	return false
}

// TestChannelCreatedConcurrently: when the channel's id is taken between the
// read and the create (another run created it), the create's 409 is not a
// failure: the channel is read again and updated to this run's config.
func TestChannelCreatedConcurrently(t *testing.T) {
	f := newFakeDomain(t)
	h := saHandler(t, f)
	in := saTestInput(t, flowlog.DefaultFields(), saRole)
	o, _ := objects.Build(in)
	f.fail = func(key string, n int) (int, string) {
		if key == "POST /_plugins/_notifications/configs" && n == 1 {
			f.mu.Lock()
			f.saState().channels[o.SecurityAnalytics.ChannelID] = map[string]any{"name": "made by another run", "config_type": "sns",
				"sns": map[string]any{"topic_arn": saTopic, "role_arn": "arn:aws:iam::123456789012:role/other"}}
			f.mu.Unlock()
			return 409, osError(409, "version_conflict_engine_exception", "document already exists")
		}
		return 0, ""
	}
	s, err := h.Handle(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	if s.SecurityAnalytics.Channel != Updated || f.count("GET /_plugins/_notifications/configs/"+o.SecurityAnalytics.ChannelID) != 2 {
		t.Fatalf("result %+v", s.SecurityAnalytics)
	}
	if c := f.saState().channels[o.SecurityAnalytics.ChannelID]; c["sns"].(map[string]any)["role_arn"] != saRole {
		t.Fatalf("channel %v", c)
	}
}

// A channel id that is taken but cannot be read (a create that conflicts
// while the read finds nothing) is given up after the second try, not
// re-read for ever (the fake cancels the invocation after five creates,
// so a loop that does not end fails).
func TestChannelTakenButUnreadableGivesUp(t *testing.T) {
	f := newFakeDomain(t)
	h := saHandler(t, f)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	f.fail = func(key string, n int) (int, string) {
		if key == "POST /_plugins/_notifications/configs" {
			if n > 5 {
				cancel()
			}
			return 409, osError(409, "version_conflict_engine_exception", "document already exists")
		}
		return 0, ""
	}
	_, err := h.Handle(ctx, saTestInput(t, flowlog.DefaultFields(), saRole))
	if err == nil || !strings.Contains(err.Error(), "the channel id is taken, yet it cannot be read") {
		t.Fatalf("err = %v", err)
	}
	if n := f.count("POST /_plugins/_notifications/configs"); n != 2 {
		t.Errorf("%d creates, want 2", n)
	}
}

// A detector whose input no longer carries our description (edited by
// hand, or an older version's) is updated in place.
func TestSecurityAnalyticsUpdatesTheDetector(t *testing.T) {
	f := newFakeDomain(t)
	h := saHandler(t, f)
	in := saTestInput(t, flowlog.DefaultFields(), saRole)
	if _, err := h.Handle(context.Background(), in); err != nil {
		t.Fatal(err)
	}
	st := f.saState()
	if len(st.detectors) != 1 {
		t.Fatalf("%d detectors", len(st.detectors))
	}
	description := func() map[string]any {
		for _, d := range st.detectors {
			return d["inputs"].([]any)[0].(map[string]any)["detector_input"].(map[string]any)
		}
		return nil
	}
	want := description()["description"]
	description()["description"] = "edited by hand"
	s, err := h.Handle(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	if s.SecurityAnalytics.Detector != Updated || len(st.detectors) != 1 || description()["description"] != want {
		t.Fatalf("detector %s; stored %v", s.SecurityAnalytics.Detector, st.detectors)
	}
}
