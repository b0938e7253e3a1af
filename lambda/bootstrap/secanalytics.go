package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"time"

	"github.com/vpcflowlogs/vpc-flow-logs/lambda/bootstrap/objects"
	"github.com/vpcflowlogs/vpc-flow-logs/lambda/indexer/document"
)

// SecurityAnalyticsResult says what was done to the Security Analytics
// objects (see objects.SecurityAnalytics).
type SecurityAnalyticsResult struct {
	// Index is the index the alias mappings were applied to (created
	// empty from the template when it did not exist: the mappings API and
	// the detector need an index of the pattern).
	Index        string `json:"index"`
	IndexCreated bool   `json:"indexCreated"`
	// Channel is the outcome of the Notifications channel ChannelID.
	ChannelID string `json:"channelId"`
	Channel   string `json:"channel"`
	// Rules maps each rule's title to its outcome; RuleIDs are the rules'
	// ids on the domain.
	Rules   map[string]string `json:"rules"`
	RuleIDs []string          `json:"ruleIds"`
	// DetectorID and Detector: the detector and its outcome.
	DetectorID string `json:"detectorId"`
	Detector   string `json:"detector"`
	// UnmappedColumns are recorded columns the vpcflow log type has no
	// field for: its rules cannot read them.
	UnmappedColumns []string `json:"unmappedColumns,omitempty"`
}

const (
	saAPI            = "/_plugins/_security_analytics"
	notificationsAPI = "/_plugins/_notifications/configs"
)

// applySecurityAnalytics makes sure an index of the pattern exists, applies
// the alias mappings to it, and creates or updates the Notifications
// channel, the custom rules and the detector. Every step compares before it
// writes, so a second run with the same objects changes nothing.
func (a *Applier) applySecurityAnalytics(ctx context.Context, o *objects.Objects) (*SecurityAnalyticsResult, error) {
	sa := o.SecurityAnalytics
	r := &SecurityAnalyticsResult{ChannelID: sa.ChannelID, Rules: map[string]string{}, UnmappedColumns: sa.Unmapped}
	var err error
	if r.Index, r.IndexCreated, err = a.ensureIndex(ctx, o); err != nil {
		return r, fmt.Errorf("index %s: %w", r.Index, err)
	}
	if _, _, err := a.do(ctx, http.MethodPost, saAPI+"/mappings", nil, jsonHeader(), sa.MappingsBody(r.Index)); err != nil {
		return r, fmt.Errorf("alias mappings of %s: %w", r.Index, err)
	}
	if r.Channel, err = a.applyChannel(ctx, sa); err != nil {
		return r, fmt.Errorf("notification channel %s: %w", sa.ChannelID, err)
	}
	if r.RuleIDs, err = a.applyRules(ctx, sa, r.Rules); err != nil {
		return r, fmt.Errorf("%s rules: %w", objects.LogType, err)
	}
	if r.DetectorID, r.Detector, err = a.applyDetector(ctx, sa, r.RuleIDs); err != nil {
		return r, fmt.Errorf("detector %s: %w", sa.DetectorName, err)
	}
	return r, nil
}

// ensureIndex creates today's index of the prefix unless it exists (the
// index template gives it the mappings, aliases included). A detector over
// a pattern that matches no index has nothing to read, and on a new domain
// the indexer has written nothing yet.
func (a *Applier) ensureIndex(ctx context.Context, o *objects.Objects) (string, bool, error) {
	now := time.Now
	if a.Now != nil {
		now = a.Now
	}
	index := document.IndexName(o.Input.IndexPrefix, now().UnixMilli())
	status, body, err := a.do(ctx, http.MethodPut, "/"+index, nil, jsonHeader(), []byte(`{}`), http.StatusBadRequest)
	if err != nil {
		return index, false, err
	}
	if status == http.StatusBadRequest {
		if errorType(body) != "resource_already_exists_exception" {
			return index, false, &APIError{Method: http.MethodPut, Path: "/" + index, Status: status, Body: string(body)}
		}
		return index, false, nil
	}
	return index, true, nil
}

// errorType is error.type of an OpenSearch error response.
func errorType(body []byte) string {
	var e struct {
		Error struct {
			Type string `json:"type"`
		} `json:"error"`
	}
	json.Unmarshal(body, &e)
	return e.Error.Type
}

// applyChannel creates the SNS channel with its fixed config_id, or updates
// it when its config differs. A create that finds the id taken (a
// concurrent run) re-reads it once.
func (a *Applier) applyChannel(ctx context.Context, sa *objects.SecurityAnalytics) (string, error) {
	path := notificationsAPI + "/" + url.PathEscape(sa.ChannelID)
	for try := 1; ; try++ {
		status, body, err := a.do(ctx, http.MethodGet, path, nil, nil, nil, http.StatusNotFound)
		if err != nil {
			return "", err
		}
		if status == http.StatusOK {
			var got struct {
				ConfigList []struct {
					Config map[string]any `json:"config"`
				} `json:"config_list"`
			}
			if err := json.Unmarshal(body, &got); err != nil || len(got.ConfigList) != 1 {
				return "", fmt.Errorf("GET %s: unreadable response (%v): %s", path, err, body)
			}
			if sameJSON(got.ConfigList[0].Config, sa.Channel) {
				return Unchanged, nil
			}
			if _, _, err := a.do(ctx, http.MethodPut, path, nil, jsonHeader(), sa.ChannelBody(false)); err != nil {
				return "", err
			}
			return Updated, nil
		}
		status, body, err = a.do(ctx, http.MethodPost, notificationsAPI, nil, jsonHeader(), sa.ChannelBody(true), http.StatusConflict)
		if err != nil {
			return "", err
		}
		if status != http.StatusConflict {
			return Created, nil
		}
		if try == 2 {
			return "", fmt.Errorf("POST %s: the channel id is taken, yet it cannot be read: %s", notificationsAPI, body)
		}
	}
}

// sameJSON compares two values as JSON documents.
func sameJSON(a, b any) bool {
	norm := func(v any) any {
		raw, _ := json.Marshal(v)
		var out any
		json.Unmarshal(raw, &out)
		return out
	}
	return reflect.DeepEqual(norm(a), norm(b))
}

// customRule is a custom rule as the rule search returns it.
type customRule struct {
	ID     string `json:"_id"`
	Source struct {
		Category string `json:"category"`
		Title    string `json:"title"`
		Rule     string `json:"rule"`
	} `json:"_source"`
}

// applyRules creates the custom rules that are missing (by title within the
// log type's category) and updates, with forced=true since the detector uses
// them, those whose text differs. It returns the rules' ids, in rule order.
func (a *Applier) applyRules(ctx context.Context, sa *objects.SecurityAnalytics, outcomes map[string]string) ([]string, error) {
	query, _ := json.Marshal(map[string]any{
		"from": 0, "size": 1000,
		"query": map[string]any{"nested": map[string]any{"path": "rule", "query": map[string]any{
			"bool": map[string]any{"must": []any{map[string]any{"match": map[string]any{"rule.category": objects.LogType}}}},
		}}},
	})
	path := saAPI + "/rules/_search"
	status, body, err := a.do(ctx, http.MethodPost, path, url.Values{"pre_packaged": {"false"}}, jsonHeader(), query, http.StatusNotFound)
	if err != nil {
		return nil, err
	}
	existing := map[string]customRule{}
	if status == http.StatusOK {
		var got struct {
			Hits struct {
				Hits []customRule `json:"hits"`
			} `json:"hits"`
		}
		if err := json.Unmarshal(body, &got); err != nil {
			return nil, fmt.Errorf("POST %s: unreadable response: %w", path, err)
		}
		for _, h := range got.Hits.Hits {
			if h.Source.Category == objects.LogType {
				existing[h.Source.Title] = h
			}
		}
	}
	category := url.Values{"category": {objects.LogType}}
	var ids []string
	for _, rule := range sa.Rules {
		h, found := existing[rule.Title]
		switch {
		case found && bytes.Equal(bytes.TrimSpace([]byte(h.Source.Rule)), bytes.TrimSpace(rule.Body)):
			outcomes[rule.Title] = Unchanged
		case found:
			q := url.Values{"category": {objects.LogType}, "forced": {"true"}}
			if _, _, err := a.do(ctx, http.MethodPut, saAPI+"/rules/"+url.PathEscape(h.ID), q, jsonHeader(), rule.Body); err != nil {
				return nil, err
			}
			outcomes[rule.Title] = Updated
		default:
			_, resp, err := a.do(ctx, http.MethodPost, saAPI+"/rules", category, jsonHeader(), rule.Body)
			if err != nil {
				return nil, err
			}
			var created struct {
				ID string `json:"_id"`
			}
			if err := json.Unmarshal(resp, &created); err != nil || created.ID == "" {
				return nil, fmt.Errorf("POST %s/rules: no rule id in the response (%v): %s", saAPI, err, resp)
			}
			h.ID = created.ID
			outcomes[rule.Title] = Created
		}
		ids = append(ids, h.ID)
	}
	return ids, nil
}

// applyDetector creates the detector, or updates it (by id) when the
// description, which carries its fingerprint, differs.
func (a *Applier) applyDetector(ctx context.Context, sa *objects.SecurityAnalytics, ruleIDs []string) (string, string, error) {
	body, description := sa.Detector(ruleIDs)
	query, _ := json.Marshal(map[string]any{
		"size": 10,
		"query": map[string]any{"nested": map[string]any{"path": "detector", "query": map[string]any{
			"bool": map[string]any{"must": []any{map[string]any{"match": map[string]any{"detector.name": sa.DetectorName}}}},
		}}},
	})
	path := saAPI + "/detectors/_search"
	status, resp, err := a.do(ctx, http.MethodPost, path, nil, jsonHeader(), query, http.StatusNotFound)
	if err != nil {
		return "", "", err
	}
	if status == http.StatusOK {
		var got struct {
			Hits struct {
				Hits []struct {
					ID     string `json:"_id"`
					Source struct {
						Name   string `json:"name"`
						Inputs []struct {
							DetectorInput struct {
								Description string `json:"description"`
							} `json:"detector_input"`
						} `json:"inputs"`
					} `json:"_source"`
				} `json:"hits"`
			} `json:"hits"`
		}
		if err := json.Unmarshal(resp, &got); err != nil {
			return "", "", fmt.Errorf("POST %s: unreadable response: %w", path, err)
		}
		for _, h := range got.Hits.Hits {
			// The match query is a full-text one: keep the exact name only.
			if h.Source.Name != sa.DetectorName {
				continue
			}
			if len(h.Source.Inputs) == 1 && h.Source.Inputs[0].DetectorInput.Description == description {
				return h.ID, Unchanged, nil
			}
			if _, _, err := a.do(ctx, http.MethodPut, saAPI+"/detectors/"+url.PathEscape(h.ID), nil, jsonHeader(), body); err != nil {
				return "", "", err
			}
			return h.ID, Updated, nil
		}
	}
	_, resp, err = a.do(ctx, http.MethodPost, saAPI+"/detectors", nil, jsonHeader(), body)
	if err != nil {
		return "", "", err
	}
	var created struct {
		ID string `json:"_id"`
	}
	if err := json.Unmarshal(resp, &created); err != nil || created.ID == "" {
		return "", "", fmt.Errorf("POST %s/detectors: no detector id in the response (%v): %s", saAPI, err, resp)
	}
	return created.ID, Created, nil
}
