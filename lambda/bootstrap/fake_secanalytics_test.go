package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// fakeSA is the fake domain's Notifications and Security Analytics plugins:
// channels by config_id, custom rules and detectors by id. It validates the
// fields the APIs require (https://docs.opensearch.org/latest/observing-your-data/notifications/api/,
// https://docs.opensearch.org/latest/security-analytics/api-tools/), so a
// request that lacks one fails the test.
type fakeSA struct {
	channels  map[string]map[string]any
	rules     map[string]fakeRule
	detectors map[string]map[string]any
	// aliasMappings records the mappings API calls: index -> properties.
	aliasMappings map[string]map[string]any
	nextID        int
}

type fakeRule struct {
	category, title, text string
}

// logTypes are the log types the fake knows (the plugin's built-in ones
// include vpcflow).
var logTypes = []string{"vpcflow", "windows", "linux", "network", "cloudtrail", "dns", "s3"}

var detectorNameRe = regexp.MustCompile(`^[A-Za-z0-9 _-]{5,50}$`)

func (f *fakeDomain) saState() *fakeSA {
	if f.sa == nil {
		f.sa = &fakeSA{channels: map[string]map[string]any{}, rules: map[string]fakeRule{}, detectors: map[string]map[string]any{},
			aliasMappings: map[string]map[string]any{}}
	}
	return f.sa
}

func (s *fakeSA) newID(kind string) string {
	s.nextID++
	return fmt.Sprintf("%s%04dAbCdEf", kind, s.nextID)
}

func badRequest(w http.ResponseWriter, reason string) {
	writeJSON(w, 400, osError(400, "illegal_argument_exception", reason))
}

// serveCreateIndex serves PUT /<index>: the index gets the mappings of the
// template whose pattern matches it. f.mu is held.
func (f *fakeDomain) serveCreateIndex(w http.ResponseWriter, index string) {
	if _, ok := f.indices[index]; ok {
		writeJSON(w, 400, osError(400, "resource_already_exists_exception", "index ["+index+"/u] already exists"))
		return
	}
	props := map[string]any{}
	for _, raw := range f.templates {
		var t struct {
			IndexPatterns []string `json:"index_patterns"`
			Template      struct {
				Mappings struct {
					Properties map[string]any `json:"properties"`
				} `json:"mappings"`
			} `json:"template"`
		}
		json.Unmarshal(raw, &t)
		for _, p := range t.IndexPatterns {
			if prefix, ok := strings.CutSuffix(p, "*"); ok && strings.HasPrefix(index, prefix) {
				for k, v := range t.Template.Mappings.Properties {
					props[k] = v
				}
			}
		}
	}
	f.indices[index] = props
	writeJSON(w, 200, map[string]any{"acknowledged": true, "shards_acknowledged": true, "index": index})
}

// fieldAt returns the mapping of a dotted field in index properties.
func fieldAt(props map[string]any, dotted string) (map[string]any, bool) {
	parts := strings.Split(dotted, ".")
	m := props
	for i, p := range parts {
		v, ok := m[p].(map[string]any)
		if !ok {
			return nil, false
		}
		if i == len(parts)-1 {
			return v, true
		}
		if m, ok = v["properties"].(map[string]any); !ok {
			return nil, false
		}
	}
	return nil, false
}

// serveSecurityAnalytics serves the Notifications configs and the Security
// Analytics mappings, rules and detectors APIs. f.mu is held.
func (f *fakeDomain) serveSecurityAnalytics(w http.ResponseWriter, r *http.Request, parts []string, body []byte) {
	s := f.saState()
	key := r.Method + " " + strings.Join(parts[1:], "/")
	switch {
	case parts[1] == "_notifications":
		f.serveChannel(w, r, parts, body)
	case key == "POST _security_analytics/mappings":
		var in struct {
			IndexName     string `json:"index_name"`
			RuleTopic     string `json:"rule_topic"`
			Partial       *bool  `json:"partial"`
			AliasMappings struct {
				Properties map[string]any `json:"properties"`
			} `json:"alias_mappings"`
		}
		if err := json.Unmarshal(body, &in); err != nil || in.IndexName == "" || in.RuleTopic == "" || len(in.AliasMappings.Properties) == 0 {
			badRequest(w, "index_name, rule_topic and alias_mappings are required")
			return
		}
		if !slices.Contains(logTypes, in.RuleTopic) {
			badRequest(w, "unknown rule_topic "+in.RuleTopic)
			return
		}
		props, ok := f.indices[in.IndexName]
		if !ok {
			writeJSON(w, 404, osError(404, "index_not_found_exception", "no such index ["+in.IndexName+"]"))
			return
		}
		// Every alias must point at a field the index maps.
		var walk func(prefix string, m map[string]any) error
		walk = func(prefix string, m map[string]any) error {
			for k, v := range m {
				p, _ := v.(map[string]any)
				if sub, ok := p["properties"].(map[string]any); ok {
					if err := walk(prefix+k+".", sub); err != nil {
						return err
					}
					continue
				}
				path, _ := p["path"].(string)
				if p["type"] != "alias" || path == "" {
					return fmt.Errorf("%s%s is not an alias with a path", prefix, k)
				}
				if _, ok := fieldAt(props, path); !ok {
					return fmt.Errorf("alias %s%s points at %s, which index %s does not map", prefix, k, path, in.IndexName)
				}
			}
			return nil
		}
		if err := walk("", in.AliasMappings.Properties); err != nil {
			badRequest(w, err.Error())
			return
		}
		s.aliasMappings[in.IndexName] = in.AliasMappings.Properties
		for k, v := range in.AliasMappings.Properties {
			props[k] = v
		}
		writeJSON(w, 200, `{"acknowledged":true}`)
	case key == "POST _security_analytics/rules/_search":
		if r.URL.Query().Get("pre_packaged") != "false" {
			f.t.Errorf("rule search without pre_packaged=false: %s", r.URL)
		}
		var hits []any
		for _, id := range keys(s.rules) {
			rule := s.rules[id]
			hits = append(hits, map[string]any{"_index": ".opensearch-sap-custom-rules-config", "_id": id,
				"_source": map[string]any{"category": rule.category, "title": rule.title, "rule": rule.text}})
		}
		writeJSON(w, 200, map[string]any{"hits": map[string]any{"total": map[string]any{"value": len(hits)}, "hits": hits}})
	case key == "POST _security_analytics/rules" || (r.Method == http.MethodPut && len(parts) == 4 && parts[2] == "rules"):
		f.serveRule(w, r, parts, body)
	case key == "POST _security_analytics/detectors/_search":
		var hits []any
		for _, id := range keys(s.detectors) {
			hits = append(hits, map[string]any{"_index": ".opensearch-sap-detectors-config", "_id": id, "_source": s.detectors[id]})
		}
		writeJSON(w, 200, map[string]any{"hits": map[string]any{"total": map[string]any{"value": len(hits)}, "hits": hits}})
	case key == "POST _security_analytics/detectors" || (r.Method == http.MethodPut && len(parts) == 4 && parts[2] == "detectors"):
		f.serveDetector(w, r, parts, body)
	default:
		f.t.Errorf("unexpected request %s %s", r.Method, r.URL)
		writeJSON(w, 404, osError(404, "not_found", "no handler"))
	}
}

// serveChannel serves GET/POST/PUT _plugins/_notifications/configs[/<id>].
func (f *fakeDomain) serveChannel(w http.ResponseWriter, r *http.Request, parts []string, body []byte) {
	s := f.saState()
	if len(parts) < 3 || parts[2] != "configs" {
		f.t.Errorf("unexpected request %s %s", r.Method, r.URL)
		writeJSON(w, 404, osError(404, "not_found", "no handler"))
		return
	}
	id := ""
	if len(parts) == 4 {
		id = parts[3]
	}
	notFound := func() {
		writeJSON(w, 404, osError(404, "status_exception", "NotificationConfig "+id+" not found"))
	}
	var in struct {
		ConfigID string         `json:"config_id"`
		Config   map[string]any `json:"config"`
	}
	if r.Method != http.MethodGet {
		if err := json.Unmarshal(body, &in); err != nil {
			badRequest(w, err.Error())
			return
		}
		sns, _ := in.Config["sns"].(map[string]any)
		if in.Config["name"] == nil || in.Config["config_type"] != "sns" || sns["topic_arn"] == nil || sns["role_arn"] == nil {
			badRequest(w, "config.name, config.config_type and sns.topic_arn are required (and the stack's channel names its role_arn)")
			return
		}
	}
	switch {
	case r.Method == http.MethodGet && id != "":
		c, ok := s.channels[id]
		if !ok {
			notFound()
			return
		}
		writeJSON(w, 200, map[string]any{"start_index": 0, "total_hits": 1, "config_list": []any{
			map[string]any{"config_id": id, "last_updated_time_ms": 1652760532774, "created_time_ms": 1652760532774, "config": c},
		}})
	case r.Method == http.MethodPost && id == "":
		if in.ConfigID == "" {
			in.ConfigID = s.newID("cfg")
		}
		if _, taken := s.channels[in.ConfigID]; taken {
			writeJSON(w, 409, osError(409, "version_conflict_engine_exception", "["+in.ConfigID+"]: version conflict, document already exists"))
			return
		}
		s.channels[in.ConfigID] = in.Config
		writeJSON(w, 200, map[string]string{"config_id": in.ConfigID})
	case r.Method == http.MethodPut && id != "":
		if _, ok := s.channels[id]; !ok {
			notFound()
			return
		}
		s.channels[id] = in.Config
		writeJSON(w, 200, map[string]string{"config_id": id})
	default:
		f.t.Errorf("unexpected request %s %s", r.Method, r.URL)
	}
}

// serveRule serves POST rules?category= and PUT rules/<id>?category=&forced=.
func (f *fakeDomain) serveRule(w http.ResponseWriter, r *http.Request, parts []string, body []byte) {
	s := f.saState()
	q := r.URL.Query()
	category := q.Get("category")
	if !slices.Contains(logTypes, category) {
		badRequest(w, "invalid rule category "+category)
		return
	}
	var doc struct {
		Title     string         `yaml:"title"`
		LogSource map[string]any `yaml:"logsource"`
		Detection map[string]any `yaml:"detection"`
		Level     string         `yaml:"level"`
	}
	var errs []string
	if err := yaml.Unmarshal(body, &doc); err != nil {
		errs = append(errs, "Sigma rule is not YAML")
	}
	if doc.Title == "" {
		errs = append(errs, "Sigma rule must have a title")
	}
	if len(doc.LogSource) == 0 {
		errs = append(errs, "Sigma rule must have a log source")
	}
	if doc.Detection["condition"] == nil {
		errs = append(errs, "Sigma rule must have a detection definitions")
	}
	if len(errs) > 0 {
		writeJSON(w, 400, osError(400, "security_analytics_exception", strings.Join(errs, "; ")))
		return
	}
	rule := fakeRule{category: category, title: doc.Title, text: string(body)}
	if r.Method == http.MethodPost {
		id := s.newID("rule")
		s.rules[id] = rule
		writeJSON(w, 201, map[string]any{"_id": id, "_version": 1, "rule": map[string]any{"category": category, "title": doc.Title, "rule": rule.text}})
		return
	}
	id := parts[3]
	if _, ok := s.rules[id]; !ok {
		writeJSON(w, 404, osError(404, "security_analytics_exception", "Rule with id "+id+" not found"))
		return
	}
	for _, d := range s.detectors {
		if strings.Contains(fmt.Sprint(d["inputs"]), id) && q.Get("forced") != "true" {
			writeJSON(w, 500, osError(500, "security_analytics_exception", "Rule with id "+id+" is actively used by detectors. Update can be forced by setting forced flag to true"))
			return
		}
	}
	s.rules[id] = rule
	writeJSON(w, 200, map[string]any{"_id": id, "_version": 2, "rule": map[string]any{"category": category, "title": doc.Title, "rule": rule.text}})
}

// serveDetector serves POST detectors and PUT detectors/<id>, checking the
// required fields, that the rules and the trigger's destination exist, and
// that the input's pattern matches an index.
func (f *fakeDomain) serveDetector(w http.ResponseWriter, r *http.Request, parts []string, body []byte) {
	s := f.saState()
	var d struct {
		Name         string `json:"name"`
		DetectorType string `json:"detector_type"`
		Enabled      *bool  `json:"enabled"`
		Schedule     struct {
			Period struct {
				Interval int    `json:"interval"`
				Unit     string `json:"unit"`
			} `json:"period"`
		} `json:"schedule"`
		Inputs []struct {
			DetectorInput struct {
				Indices          []string            `json:"indices"`
				CustomRules      []map[string]string `json:"custom_rules"`
				PrePackagedRules []map[string]string `json:"pre_packaged_rules"`
			} `json:"detector_input"`
		} `json:"inputs"`
		Triggers []struct {
			ID      string `json:"id"`
			Name    string `json:"name"`
			Actions []struct {
				ID            string `json:"id"`
				DestinationID string `json:"destination_id"`
			} `json:"actions"`
		} `json:"triggers"`
	}
	var raw map[string]any
	if err := json.Unmarshal(body, &d); err != nil || json.Unmarshal(body, &raw) != nil {
		badRequest(w, "detector is not JSON")
		return
	}
	var errs []string
	if !detectorNameRe.MatchString(d.Name) {
		errs = append(errs, fmt.Sprintf("name %q must be 5-50 letters, digits, spaces, '-' and '_'", d.Name))
	}
	if !slices.Contains(logTypes, d.DetectorType) {
		errs = append(errs, "unknown detector_type "+d.DetectorType)
	}
	if d.Enabled == nil || d.Schedule.Period.Interval < 1 || d.Schedule.Period.Unit == "" {
		errs = append(errs, "enabled and schedule.period are required")
	}
	if len(d.Inputs) != 1 || len(d.Inputs[0].DetectorInput.Indices) == 0 {
		errs = append(errs, "one detector_input with indices is required")
	} else {
		in := d.Inputs[0].DetectorInput
		if len(in.CustomRules)+len(in.PrePackagedRules) == 0 {
			errs = append(errs, "at least one rule is required")
		}
		for _, cr := range in.CustomRules {
			if rule, ok := s.rules[cr["id"]]; !ok || rule.category != d.DetectorType {
				errs = append(errs, fmt.Sprintf("custom rule %q is not a %s rule", cr["id"], d.DetectorType))
			}
		}
		for _, pattern := range in.Indices {
			if len(f.matching(pattern)) == 0 {
				errs = append(errs, "no index matches "+pattern)
			}
		}
	}
	for _, t := range d.Triggers {
		if !detectorNameRe.MatchString(t.Name) || t.ID == "" {
			errs = append(errs, fmt.Sprintf("trigger %q needs an id and a name of 5-50 characters", t.Name))
		}
		for _, a := range t.Actions {
			if _, ok := s.channels[a.DestinationID]; !ok {
				errs = append(errs, fmt.Sprintf("action %s: destination %q is no channel", a.ID, a.DestinationID))
			}
		}
	}
	if len(errs) > 0 {
		badRequest(w, strings.Join(errs, "; "))
		return
	}
	if r.Method == http.MethodPost {
		for _, existing := range s.detectors {
			if existing["name"] == d.Name {
				f.t.Errorf("a second detector named %s", d.Name)
			}
		}
		id := s.newID("det")
		s.detectors[id] = raw
		writeJSON(w, 201, map[string]any{"_id": id, "_version": 1, "detector": raw})
		return
	}
	id := parts[3]
	if _, ok := s.detectors[id]; !ok {
		writeJSON(w, 404, osError(404, "security_analytics_exception", "Detector "+id+" not found"))
		return
	}
	s.detectors[id] = raw
	writeJSON(w, 200, map[string]any{"_id": id, "_version": 2, "detector": raw})
}
