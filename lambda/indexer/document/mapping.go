// Package document turns parsed VPC flow log records into OpenSearch
// documents: the NDJSON lines of a _bulk request, the index names they go to,
// and the index mapping that types them.
//
// The flow log fields and their types come from the project's field catalog
// (internal/flowlog); this package adds the few fields that describe where a
// record came from (the CloudWatch Logs group, stream, event id and time).
package document

import (
	"fmt"
	"maps"
	"time"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/flowlog"
)

// Fields every document carries besides the flow log fields.
const (
	// TimestampField is the CloudWatch Logs event time, in epoch milliseconds;
	// the index pattern's time field.
	TimestampField = "@timestamp"
	// LogGroupField is the CloudWatch Logs group the record was read from.
	LogGroupField = "log_group"
	// LogStreamField is the CloudWatch Logs stream (one per network interface).
	LogStreamField = "log_stream"
	// EventIDField is the CloudWatch Logs event id, also the document's _id.
	EventIDField = "event_id"
)

// DefaultIndexPrefix is the index prefix when none is configured: documents
// go to cwl-YYYY.MM.DD and the index pattern is cwl-*.
const DefaultIndexPrefix = "cwl"

// ExtraProperties returns the mapping of the fields added to every document,
// keyed by field name.
func ExtraProperties() map[string]map[string]string {
	return map[string]map[string]string{
		TimestampField: {"type": "date", "format": "epoch_millis||strict_date_optional_time"},
		LogGroupField:  {"type": "keyword"},
		LogStreamField: {"type": "keyword"},
		EventIDField:   {"type": "keyword"},
	}
}

// Properties returns the index mapping properties of documents built from
// records with these fields: the catalog's flow log properties
// (flowlog.OpenSearchProperties) plus ExtraProperties.
func Properties(fields []flowlog.Field) (map[string]map[string]string, error) {
	out := flowlog.OpenSearchProperties(fields)
	extra := ExtraProperties()
	for name := range extra {
		if _, dup := out[name]; dup {
			return nil, fmt.Errorf("flow log column %q collides with a document field of the same name", name)
		}
	}
	maps.Copy(out, extra)
	return out, nil
}

// MaxIndexPrefixLen bounds the index prefix; index names may have 255 bytes.
const MaxIndexPrefixLen = 200

// ValidateIndexPrefix checks that prefix makes valid, ordinary OpenSearch
// index names: 1-200 characters of lowercase letters, digits, '.', '_' and
// '-', starting with a letter or digit.
func ValidateIndexPrefix(prefix string) error {
	if prefix == "" {
		return fmt.Errorf("the index prefix is empty")
	}
	if len(prefix) > MaxIndexPrefixLen {
		return fmt.Errorf("the index prefix %q is longer than %d characters", prefix, MaxIndexPrefixLen)
	}
	for i := 0; i < len(prefix); i++ {
		c := prefix[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		case i > 0 && (c == '.' || c == '_' || c == '-'):
		default:
			return fmt.Errorf("the index prefix %q must be lowercase letters, digits, '.', '_' and '-', starting with a letter or digit", prefix)
		}
	}
	return nil
}

// IndexPattern is the pattern that matches every index of the prefix, e.g.
// "cwl-*": the index template's and the Dashboards index pattern's.
func IndexPattern(prefix string) string { return prefix + "-*" }

// IndexName is the daily index a document with this event time (epoch
// milliseconds) goes to: "<prefix>-YYYY.MM.DD", in UTC.
func IndexName(prefix string, ms int64) string {
	return string(appendIndexName(nil, prefix, ms))
}

func appendIndexName(dst []byte, prefix string, ms int64) []byte {
	y, m, d := time.UnixMilli(ms).UTC().Date()
	dst = append(dst, prefix...)
	dst = append(dst, '-')
	dst = appendDigits(dst, y, 4)
	dst = append(dst, '.')
	dst = appendDigits(dst, int(m), 2)
	dst = append(dst, '.')
	return appendDigits(dst, d, 2)
}

// appendDigits appends the n low decimal digits of v (v >= 0), zero-padded.
func appendDigits(dst []byte, v, n int) []byte {
	var buf [4]byte
	for i := n - 1; i >= 0; i-- {
		buf[i] = byte('0' + v%10)
		v /= 10
	}
	return append(dst, buf[:n]...)
}
