package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/klauspost/compress/gzip"

	"github.com/vpcflowlogs/vpc-flow-logs/lambda/internal/cwlogs"
)

// prepareFrom is prepare for the payload p decoded from data, the payload
// as it came (awslogs.data, or a Kinesis record's data: the gzip'd JSON in
// base64). The dead letters of p's malformed events, which prepare puts
// first, also get each event's JSON text as received in Line, so that what
// cwlogs skipped can be inspected. If the texts cannot be read back (a
// payload that cwlogs decoded and encoding/json does not), their reasons
// say so, and the first one's Line is the whole payload as it came, which
// holds them all (the others name that letter's event). Malformed events
// are rare: the payload is decoded a second time, with the libraries, only
// for them, since the decoder's buffer no longer holds the events as
// received (it unescapes strings in place).
func (h *Handler) prepareFrom(p *cwlogs.Payload, data []byte) {
	h.prepare(p)
	if len(p.Malformed) == 0 {
		return
	}
	texts, err := eventTexts(data, p.Malformed, len(p.Events)+len(p.Malformed), h.dec.MaxDecompressedBytes)
	if err == nil {
		for i := range p.Malformed {
			h.letters[i].Line = texts[i]
		}
		return
	}
	first := strconv.Itoa(p.Malformed[0].Index)
	for i := range p.Malformed {
		d := &h.letters[i]
		d.Reason += "; the event's text could not be read back (" + err.Error() + "): "
		if i == 0 {
			d.Reason += "the line is the whole payload as it came (gzip'd JSON in base64), event " + first + " of its logEvents"
			d.Line = string(data)
			continue
		}
		d.Reason += "the whole payload is the line of the letter of event " + first + " (id " + strconv.Quote(h.letters[0].ID) +
			"); this is event " + strconv.Itoa(p.Malformed[i].Index)
	}
}

// eventTexts returns the JSON text, as received, of the log events of the
// subscription payload data (the gzip'd JSON in base64) at the indexes of
// malformed, in order; the payload must have n events, as cwlogs read it.
// limit caps the decompressed size (zero: cwlogs.DefaultMaxDecompressedBytes,
// as the decoder's). It reads the payload as a stream of values and keeps
// only the texts it returns (TestMalformedTextsReadAsAStream).
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
	texts := make([]string, len(malformed))
	count, err := readEvents(json.NewDecoder(io.LimitReader(zr, int64(limit))), malformed, texts)
	if err != nil {
		return nil, fmt.Errorf("json: %w", err)
	}
	if count != n {
		return nil, fmt.Errorf("the payload read back has %d events, not %d", count, n)
	}
	for i, m := range malformed {
		if texts[i] == "" {
			return nil, fmt.Errorf("event %d: not among the %d events read back, or out of order", m.Index, count)
		}
	}
	return texts, nil
}

// readEvents reads a payload document from dec and stores in texts[i] the
// text of the element of its "logEvents" array at malformed[i].Index (the
// indexes rising, as cwlogs lists them); it returns how many elements the
// array has (0 if there is no such key). A second "logEvents" key is an
// error: which of the two a reader takes is not defined.
func readEvents(dec *json.Decoder, malformed []cwlogs.MalformedEvent, texts []string) (int, error) {
	if err := delim(dec, '{'); err != nil {
		return 0, err
	}
	count, seen := 0, false
	for dec.More() {
		key, err := dec.Token()
		if err != nil {
			return 0, err
		}
		var raw json.RawMessage
		if key != "logEvents" {
			if err := dec.Decode(&raw); err != nil {
				return 0, err
			}
			continue
		}
		if seen {
			return 0, errors.New(`two "logEvents" keys`)
		}
		seen = true
		// An array: a payload whose "logEvents" is null or no array has
		// no malformed events (cwlogs refuses it, or reads none).
		if err := delim(dec, '['); err != nil {
			return 0, fmt.Errorf(`"logEvents": %w`, err)
		}
		for next := 0; dec.More(); count++ {
			if err := dec.Decode(&raw); err != nil {
				return 0, err
			}
			if next < len(malformed) && malformed[next].Index == count {
				texts[next] = string(raw)
				next++
			}
		}
		if err := delim(dec, ']'); err != nil {
			return 0, err
		}
	}
	return count, delim(dec, '}')
}

// delim reads the delimiter d from dec.
func delim(dec *json.Decoder, d json.Delim) error {
	t, err := dec.Token()
	if err != nil {
		return err
	}
	if t != d {
		return fmt.Errorf("%v where %v was expected", t, d)
	}
	return nil
}
