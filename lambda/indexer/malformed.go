package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"

	"github.com/klauspost/compress/gzip"

	"github.com/vpcflowlogs/vpc-flow-logs/lambda/internal/cwlogs"
)

// prepareFrom is prepare for the payload p decoded from data, the payload
// as it came (awslogs.data, or a Kinesis record's data: the gzip'd JSON in
// base64). The dead letters of p's malformed events, which prepare puts
// first, also get each event's JSON text as received in Line, so that what
// cwlogs skipped can be inspected; if the texts cannot be read back (a
// payload that cwlogs decoded and encoding/json does not), their reason
// says so. Malformed events are rare: the payload is decoded a second time,
// with the libraries, only for them, since the decoder's buffer no longer
// holds the events as received (it unescapes strings in place).
func (h *Handler) prepareFrom(p *cwlogs.Payload, data []byte) {
	h.prepare(p)
	if len(p.Malformed) == 0 {
		return
	}
	texts, err := eventTexts(data, p.Malformed, len(p.Events)+len(p.Malformed), h.dec.MaxDecompressedBytes)
	for i := range p.Malformed {
		if err != nil {
			h.letters[i].Reason += "; the event's text could not be read back: " + err.Error()
		} else {
			h.letters[i].Line = texts[i]
		}
	}
}

// eventTexts returns the JSON text, as received, of the log events of the
// subscription payload data (the gzip'd JSON in base64) at the indexes of
// malformed, in order; the payload must have n events, as cwlogs read it.
// limit caps the decompressed size (zero: cwlogs.DefaultMaxDecompressedBytes,
// as the decoder's).
func eventTexts(data []byte, malformed []cwlogs.MalformedEvent, n, limit int) ([]string, error) {
	if limit <= 0 {
		limit = cwlogs.DefaultMaxDecompressedBytes
	}
	gz := make([]byte, base64.StdEncoding.DecodedLen(len(data)))
	size, err := base64.StdEncoding.Decode(gz, data)
	if err != nil {
		return nil, fmt.Errorf("base64: %w", err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(gz[:size]))
	if err != nil {
		return nil, fmt.Errorf("gzip: %w", err)
	}
	var p struct {
		LogEvents []json.RawMessage `json:"logEvents"`
	}
	if err := json.NewDecoder(io.LimitReader(zr, int64(limit))).Decode(&p); err != nil {
		return nil, fmt.Errorf("json: %w", err)
	}
	if len(p.LogEvents) != n {
		return nil, fmt.Errorf("the payload read back has %d events, not %d", len(p.LogEvents), n)
	}
	texts := make([]string, len(malformed))
	for i, m := range malformed {
		if m.Index < 0 || m.Index >= len(p.LogEvents) {
			return nil, fmt.Errorf("event %d: the payload has %d", m.Index, len(p.LogEvents))
		}
		texts[i] = string(p.LogEvents[m.Index])
	}
	return texts, nil
}
