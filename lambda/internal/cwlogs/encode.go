package cwlogs

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"strconv"
)

// AppendJSON appends p's JSON document as CloudWatch Logs writes it: compact,
// keys in the documented order, every event with "id", "timestamp" and
// "message". Strings are escaped as JSON requires (quote, backslash and
// control characters) and otherwise written byte for byte, so whatever
// DecodeJSON returns re-encodes to a document that decodes to the same
// Payload. p.Malformed is not encoded.
func AppendJSON(dst []byte, p *Payload) []byte {
	dst = append(dst, `{"messageType":`...)
	dst = appendString(dst, p.MessageType)
	dst = append(dst, `,"owner":`...)
	dst = appendString(dst, p.Owner)
	dst = append(dst, `,"logGroup":`...)
	dst = appendString(dst, p.LogGroup)
	dst = append(dst, `,"logStream":`...)
	dst = appendString(dst, p.LogStream)
	dst = append(dst, `,"subscriptionFilters":[`...)
	for i, f := range p.SubscriptionFilters {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendString(dst, f)
	}
	dst = append(dst, `],"logEvents":[`...)
	for i := range p.Events {
		e := &p.Events[i]
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, `{"id":`...)
		dst = appendString(dst, e.ID)
		dst = append(dst, `,"timestamp":`...)
		dst = strconv.AppendInt(dst, e.Timestamp, 10)
		dst = append(dst, `,"message":`...)
		dst = appendString(dst, e.Message)
		dst = append(dst, '}')
	}
	return append(dst, "]}"...)
}

// EncodeGzip returns p's JSON document (AppendJSON) compressed with gzip.
func EncodeGzip(p *Payload) ([]byte, error) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(AppendJSON(nil, p)); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Encode returns p as CloudWatch Logs delivers it in the "data" field of a
// subscription event: the standard, padded base64 encoding of EncodeGzip.
func Encode(p *Payload) ([]byte, error) {
	gz, err := EncodeGzip(p)
	if err != nil {
		return nil, err
	}
	return base64.StdEncoding.AppendEncode(nil, gz), nil
}

// EncodeString is Encode returning a string.
func EncodeString(p *Payload) (string, error) {
	b, err := Encode(p)
	return string(b), err
}

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string. Bytes that are not valid UTF-8
// are copied unchanged, so the decoder gets back exactly s.
func appendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		dst = append(dst, s[start:i]...)
		switch c {
		case '"', '\\':
			dst = append(dst, '\\', c)
		case '\n':
			dst = append(dst, '\\', 'n')
		case '\r':
			dst = append(dst, '\\', 'r')
		case '\t':
			dst = append(dst, '\\', 't')
		case '\b':
			dst = append(dst, '\\', 'b')
		case '\f':
			dst = append(dst, '\\', 'f')
		default:
			dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
		}
		start = i + 1
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
