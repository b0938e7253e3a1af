package diagram

import (
	"encoding/json"
	"slices"
	"strings"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/mockaws"
)

// index finds the resource an input value names: an id, name, ARN, bucket
// name, domain endpoint or queue URL of a resource of the run. Mocked
// outputs repeat the inputs, so a bucket's settings also output the
// bucket's name and a topic policy the topic's ARN: when several resources
// share a value, the one drawn in the picture wins, and a value two drawn
// resources share (two Glue tables are both "flow_logs") names neither.
type index struct {
	ids        map[string][]*mockaws.Resource
	lifecycles map[string]*mockaws.Resource // bucket name -> lifecycle configuration
}

func newIndex(resources []*mockaws.Resource) *index {
	ix := &index{ids: map[string][]*mockaws.Resource{}, lifecycles: map[string]*mockaws.Resource{}}
	for _, r := range resources {
		for _, k := range []string{"id", "name", "arn", "bucket", "domainName", "endpoint", "url"} {
			v := str(r.Outputs[k])
			if v == "" {
				continue
			}
			if k == "endpoint" {
				ix.add("https://"+v, r)
			}
			ix.add(v, r)
		}
		if r.Type == tLifecycleV2 || r.Type == tLifecycle {
			ix.lifecycles[str(r.Inputs["bucket"])] = r
		}
	}
	return ix
}

func (ix *index) add(v string, r *mockaws.Resource) {
	if !slices.Contains(ix.ids[v], r) {
		ix.ids[v] = append(ix.ids[v], r)
	}
}

func (ix *index) get(v string) *mockaws.Resource {
	rs := ix.ids[v]
	if v == "" || len(rs) == 0 {
		return nil
	}
	if len(rs) == 1 {
		return rs[0]
	}
	var found *mockaws.Resource
	for _, r := range rs {
		if _, ok := drawn[r.Type]; ok {
			if found != nil {
				return nil
			}
			found = r
		}
	}
	return found
}

// resolve returns the resource a value names, also when the value is a
// location inside it: s3://bucket/prefix/, arn:aws:s3:::bucket/prefix, a log
// group ARN with its ":*" suffix, or a URL.
func (ix *index) resolve(v string) *mockaws.Resource {
	if r := ix.get(v); r != nil {
		return r
	}
	if rest, ok := strings.CutPrefix(v, "s3://"); ok {
		name, _, _ := strings.Cut(rest, "/")
		return ix.get(name)
	}
	if rest, ok := strings.CutPrefix(v, "arn:aws:s3:::"); ok {
		name, _, _ := strings.Cut(rest, "/")
		return ix.get(name)
	}
	if s, ok := strings.CutSuffix(v, ":*"); ok {
		return ix.get(s)
	}
	if s, ok := strings.CutSuffix(v, "/"); ok {
		return ix.get(s)
	}
	return nil
}

// expiryDays is the days after which a bucket's lifecycle expires current
// objects (0 when none does).
func (ix *index) expiryDays(bucket *mockaws.Resource) int {
	lc := ix.lifecycles[str(bucket.Outputs["bucket"])]
	if lc == nil {
		return 0
	}
	days := 0
	for _, rule := range list(lc.Inputs["rules"]) {
		if str(get(rule, "status")) != "Enabled" {
			continue
		}
		if d, ok := num(get(rule, "expiration.days")); ok && (days == 0 || int(d) < days) {
			days = int(d)
		}
	}
	return days
}

// principals returns the AWS principals an Allow statement of a policy
// document names.
func principals(doc string) []string {
	var d struct {
		Statement []struct {
			Effect    string
			Principal any
		}
	}
	if json.Unmarshal([]byte(doc), &d) != nil {
		return nil
	}
	var out []string
	for _, s := range d.Statement {
		if s.Effect != "Allow" {
			continue
		}
		switch p := get(s.Principal, "AWS").(type) {
		case string:
			out = append(out, p)
		case []any:
			for _, v := range p {
				out = append(out, str(v))
			}
		}
	}
	return out
}
