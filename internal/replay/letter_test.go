package replay

import (
	"testing"
)

// Each body is recognised as the kind its writer means; what cannot be
// replayed says why.
func TestParseKinds(t *testing.T) {
	noPayload := `{"version":"1.0","requestContext":{"requestId":"r","condition":"RetriesExhausted"},"requestPayload":null,` +
		`"responseContext":{"statusCode":200,"functionError":"Unhandled"},"responsePayload":null}`
	for _, tc := range []struct {
		name, body string
		kind       Kind
		reason     string
	}{
		{"refused lines", forwarderBody(t, "firehose_refused", "a", 1, 1, "x\n"), KindForwarderRecords, "firehose_refused"},
		{"oversize line", forwarderBody(t, "oversize_line", "a", 1, 2, "x"), KindForwarderInput, "oversize_line"},
		{"refused lines without id", forwarderBody(t, "firehose_refused", "", 1, 1, "x\n"), KindUnknown, "forwarder letter id"},
		{"on-failure", onFailureBody(t, "r", payloadN(1)), KindOnFailure, "RetriesExhausted: Unhandled: boom"},
		// Lambda drops the payload of a record too large for the destination.
		// https://docs.aws.amazon.com/lambda/latest/api/API_OnFailure.html
		{"on-failure without payload", noPayload, KindUnknown, "on-failure record without a requestPayload"},
		{"index reject", indexerBody(t, "index", "ev", "l"), KindIndexerReject, "index: mapper_parsing_exception"},
		{"index reject without id", indexerBody(t, "index", "", "l"), KindIndexerInput, "index: mapper_parsing_exception: failed to parse field [srcport] (no event id"},
		{"document", indexerBody(t, "document", "ev", "l"), KindIndexerInput, "document: "},
		{"not JSON", "hello", KindUnknown, "not a JSON object"},
		{"other JSON", `{"a":1}`, KindUnknown, "not a dead letter this project writes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := Parse(tc.body)
			if l.Kind != tc.kind || len(l.Reason) < len(tc.reason) || l.Reason[:len(tc.reason)] != tc.reason {
				t.Errorf("Parse = %s %q, want %s %q...", l.Kind, l.Reason, tc.kind, tc.reason)
			}
			if l.Key == "" {
				t.Error("no content key")
			}
		})
	}
}
