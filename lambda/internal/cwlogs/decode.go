package cwlogs

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"unsafe"

	"github.com/klauspost/compress/gzip"
	asmbase64 "github.com/segmentio/asm/base64"

	"github.com/vpcflowlogs/vpc-flow-logs/lambda/internal/inflate"
)

// DefaultMaxDecompressedBytes is the decompressed size above which a payload
// is rejected with ErrTooLarge unless Decoder.MaxDecompressedBytes says
// otherwise. Real payloads are well below it (a Lambda event is at most 1 MiB
// of base64, and flow logs compress about ten to one); the limit only stops
// a gzip bomb from exhausting the function's memory.
const DefaultMaxDecompressedBytes = 64 << 20

// MessagePad is the room for the padding of a decoded message (see
// Payload.Padded): flowlog.LinePad, which a test checks.
const MessagePad = 64

// retainBytes bounds the buffers a Decoder keeps between calls: after a
// payload larger than this its buffers are dropped, so one outsized payload
// does not pin memory for the rest of the Lambda environment's life.
const retainBytes = 8 << 20

// Decoder decodes subscription payloads for a hot path. The zero value is
// ready to use; a Decoder must not be used by several goroutines at once.
//
// A Decoder recycles everything: its base64 and decompression buffers, its
// gzip reader, and the Payload it returns, whose strings point straight into
// the decompressed JSON (escaped strings are unescaped in place). Decoding a
// payload therefore allocates nothing once the buffers have grown, but the
// returned Payload, with every string in it, is only valid until the next
// call on the same Decoder: copy what must outlive it (Payload.Clone,
// strings.Clone). The package-level Decode functions return independent
// Payloads instead.
type Decoder struct {
	// MaxDecompressedBytes caps the decompressed size of a payload; zero
	// means DefaultMaxDecompressedBytes.
	MaxDecompressedBytes int

	src []byte          // copy of a string input (DecodeString)
	raw []byte          // base64-decoded bytes
	br  bytes.Reader    // reads raw into zr
	zr  *gzip.Reader    // reused via Reset
	fz  inflate.Decoder // the one-shot fast path, tables reused
	out []byte          // decompressed JSON, which the returned strings alias
	key []byte          // scanner's scratch for escaped keys
	p   Payload         // the Payload returned, reused
}

// NewDecoder returns a Decoder with the default limits.
func NewDecoder() *Decoder { return &Decoder{} }

var decoderPool = sync.Pool{New: func() any { return NewDecoder() }}

// pooled runs decode with a pooled Decoder and returns an independent copy
// of its result.
func pooled(decode func(d *Decoder) (*Payload, error)) (*Payload, error) {
	d := decoderPool.Get().(*Decoder)
	defer decoderPool.Put(d)
	p, err := decode(d)
	if err != nil {
		return nil, err
	}
	c := p.Clone()
	d.p.reset() // drop references to the decoder's buffer before pooling
	return c, nil
}

// Decode decodes base64 data as found in the "data" field of a subscription
// event (see Decoder.Decode). It is safe for concurrent use, and the Payload
// it returns is the caller's: its strings share one allocation of their own.
func Decode(b64 []byte) (*Payload, error) {
	return pooled(func(d *Decoder) (*Payload, error) { return d.Decode(b64) })
}

// DecodeString is Decode for a string, such as
// events.CloudwatchLogsEvent.AWSLogs.Data.
func DecodeString(b64 string) (*Payload, error) {
	return pooled(func(d *Decoder) (*Payload, error) { return d.DecodeString(b64) })
}

// decodeBase64 is base64.StdEncoding.Decode, with its results and errors,
// through github.com/segmentio/asm/base64: its vector code (AVX2 on amd64,
// NEON on arm64, the functions' architecture) decodes 32 characters at a
// time, several times faster (BenchmarkBase64; base64 was 4-6% of each
// function's time). It decodes whole blocks until the first one holding
// anything but the 64 characters (padding, a line break, a bad byte) and
// hands the rest to encoding/base64, so the output is the same; an error's
// offset would count from that rest, so on an error the input is decoded
// again by encoding/base64 alone, for the whole input's error.
// TestBase64AgreesWithTheStandardLibrary and FuzzBase64 compare the two
// (make test-arm64 runs them as arm64).
func decodeBase64(dst, src []byte) (int, error) {
	n, err := asmbase64.StdEncoding.Decode(dst, src)
	if err != nil {
		return base64.StdEncoding.Decode(dst, src)
	}
	return n, nil
}

// DecodeGzip decodes a gzip-compressed payload (see Decoder.DecodeGzip),
// returning a Payload of the caller's as Decode does.
func DecodeGzip(gz []byte) (*Payload, error) {
	return pooled(func(d *Decoder) (*Payload, error) { return d.DecodeGzip(gz) })
}

// DecodeJSON decodes an uncompressed payload (see Decoder.DecodeJSON),
// returning a Payload of the caller's as Decode does.
func DecodeJSON(js []byte) (*Payload, error) {
	return pooled(func(d *Decoder) (*Payload, error) { return d.DecodeJSON(js) })
}

// DecodeString is Decode for a string input; the string is copied into a
// reused buffer rather than converted with an allocation.
func (d *Decoder) DecodeString(b64 string) (*Payload, error) {
	d.src = append(d.src[:0], b64...)
	p, err := d.Decode(d.src)
	if cap(d.src) > retainBytes {
		d.src = nil
	}
	return p, err
}

// Decode decodes standard (padded) base64 data holding a gzip-compressed
// payload. Line breaks in the base64 text are ignored. Errors wrap
// ErrBadBase64, ErrBadGzip, ErrTooLarge or ErrBadJSON. The Payload is valid
// until the Decoder's next call.
func (d *Decoder) Decode(b64 []byte) (*Payload, error) {
	n := base64.StdEncoding.DecodedLen(len(b64))
	if cap(d.raw) < n {
		d.raw = make([]byte, n)
	}
	n, err := decodeBase64(d.raw[:n], b64)
	if err != nil {
		return nil, &DecodeError{Kind: ErrBadBase64, Err: err}
	}
	p, err := d.DecodeGzip(d.raw[:n])
	if cap(d.raw) > retainBytes {
		d.raw = nil
	}
	return p, err
}

// DecodeGzip decodes a gzip-compressed payload (several concatenated gzip
// members are read as one stream, as gzip(1) does). Errors wrap ErrBadGzip,
// ErrTooLarge or ErrBadJSON. The Payload is valid until the Decoder's next
// call.
func (d *Decoder) DecodeGzip(gz []byte) (*Payload, error) {
	js, err := d.gunzip(gz)
	if err != nil {
		return nil, err
	}
	return d.decode(js)
}

// DecodeJSON decodes the JSON document of a payload, which it first copies
// (js is not modified). Errors wrap ErrBadJSON. The Payload is valid until
// the Decoder's next call.
//
// The document must be an object with a string "messageType". The optional
// "owner", "logGroup" and "logStream" must be strings, "subscriptionFilters"
// an array of strings and "logEvents" an array; null counts as absent,
// unknown keys are ignored, and when a key appears twice the last one
// counts, as with encoding/json.
//
// Each log event must be an object with a string "message"; "id" (a string)
// and "timestamp" (an integer) may be absent or null but not of another
// type. An event that breaks these rules is skipped and listed in
// Payload.Malformed.
func (d *Decoder) DecodeJSON(js []byte) (*Payload, error) {
	// Room past the JSON for the reads past the last message's padding.
	d.out = append(slices.Grow(d.out[:0], len(js)+MessagePad), js...)
	return d.decode(d.out)
}

// Gunzip decompresses gz into the Decoder's buffer and returns it; the result
// is valid until the Decoder's next call. It applies the same checks and
// limits as DecodeGzip (errors wrap ErrBadGzip or ErrTooLarge).
func (d *Decoder) Gunzip(gz []byte) ([]byte, error) { return d.gunzip(gz) }

func (d *Decoder) limit() int {
	if d.MaxDecompressedBytes > 0 {
		return d.MaxDecompressedBytes
	}
	return DefaultMaxDecompressedBytes
}

func (d *Decoder) gunzip(gz []byte) ([]byte, error) {
	if len(gz) == 0 {
		return nil, &DecodeError{Kind: ErrBadGzip, Err: errors.New("empty input")}
	}
	limit := d.limit()
	// The gzip trailer's ISIZE field is the uncompressed size (mod 2^32) of
	// the last member: a good first guess for the buffer, never trusted.
	// Only the trailer of what starts as gzip: any 18 bytes ending in a
	// large number would otherwise cost a buffer of up to the limit.
	want := 64 << 10
	if len(gz) >= 18 && gz[0] == 0x1f && gz[1] == 0x8b {
		if hint := int(binary.LittleEndian.Uint32(gz[len(gz)-4:])); hint+512 > want {
			want = min(hint, limit) + 512
		}
	}
	buf := d.out[:0]
	if cap(buf) < want {
		buf = make([]byte, 0, want)
	}
	// The fast path decodes the whole stream into buf at once; on any error
	// the library decodes it again and decides what is wrong (package
	// inflate returns the library's bytes or nothing).
	out, err := d.fz.Gunzip(buf, gz, limit)
	if err == nil {
		d.out = out
		return out, nil
	}
	js, err := d.gunzipLibrary(gz, out[:0], limit)
	if err != nil && cap(d.out) > retainBytes {
		d.out = nil // a refused bomb does not pin its buffer
	}
	return js, err
}

// gunzipLibrary decodes gz with klauspost/compress/gzip into buf.
func (d *Decoder) gunzipLibrary(gz, buf []byte, limit int) ([]byte, error) {
	d.br.Reset(gz)
	if d.zr == nil {
		d.zr = new(gzip.Reader)
	}
	if err := d.zr.Reset(&d.br); err != nil {
		d.out = buf
		return nil, &DecodeError{Kind: ErrBadGzip, Err: noEOF(err)}
	}
	for {
		if len(buf) == cap(buf) {
			if len(buf) > limit {
				d.out = buf[:0]
				return nil, &DecodeError{Kind: ErrTooLarge, Err: fmt.Errorf("more than %d bytes", limit)}
			}
			grown := make([]byte, len(buf), min(2*cap(buf), limit+1))
			copy(grown, buf)
			buf = grown
		}
		n, err := d.zr.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if len(buf) > limit {
			d.out = buf[:0]
			return nil, &DecodeError{Kind: ErrTooLarge, Err: fmt.Errorf("more than %d bytes", limit)}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			d.out = buf[:0]
			return nil, &DecodeError{Kind: ErrBadGzip, Err: err}
		}
	}
	d.out = buf
	return buf, nil
}

// noEOF reports a gzip stream that ends before its header as truncated.
func noEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// Reasons a log event is reported as malformed.
const (
	reasonNotObject    = "log event is not an object"
	reasonNoMessage    = `log event has no "message"`
	reasonMessageType  = `"message" is not a string`
	reasonIDType       = `"id" is not a string`
	reasonTimestampInt = `"timestamp" is not an integer`
)

// decode decodes the payload in js, which must be d.out: strings are
// unescaped in place and aliased.
func (d *Decoder) decode(js []byte) (*Payload, error) {
	p, err := d.decodeInPlace(js)
	if err != nil {
		err = &DecodeError{Kind: ErrBadJSON, Err: err, LogGroup: strings.Clone(d.p.LogGroup), LogStream: strings.Clone(d.p.LogStream)}
		p = nil
	}
	if cap(d.out) > retainBytes {
		d.out = nil // p keeps the big buffer alive only as long as p lives
	}
	if cap(d.p.Events) > retainBytes/64 {
		if p != nil {
			c := *p
			p = &c
		}
		d.p = Payload{}
	}
	return p, err
}

func (d *Decoder) decodeInPlace(js []byte) (*Payload, error) {
	s := scanner{b: js, key: d.key}
	defer func() { d.key = s.key }()
	p := &d.p
	p.reset()

	s.ws()
	if s.peek() != '{' {
		return nil, errors.New("payload is not a JSON object")
	}
	hasType := false
	empty, err := s.open('{', '}')
	if err != nil {
		return nil, err
	}
	for more := !empty; more; {
		key, err := s.keyString()
		if err != nil {
			return nil, err
		}
		var dst *string
		switch string(key) {
		case "messageType":
			dst = &p.MessageType
		case "owner":
			dst = &p.Owner
		case "logGroup":
			dst = &p.LogGroup
		case "logStream":
			dst = &p.LogStream
		case "subscriptionFilters":
			err = d.filters(&s, p)
		case "logEvents":
			err = d.events(&s, p)
		default:
			err = s.skip(1)
		}
		if err != nil {
			return nil, err
		}
		if dst != nil {
			isType := dst == &p.MessageType
			sp, ok, wrong, err := s.optString()
			if err != nil {
				return nil, err
			}
			if wrong {
				return nil, fmt.Errorf("%q is not a string", key)
			}
			*dst = ""
			if ok {
				*dst = d.str(js, sp)
			}
			if isType {
				hasType = ok
			}
		}
		if more, err = s.next('}'); err != nil {
			return nil, err
		}
	}
	s.ws()
	if s.i != len(s.b) {
		return nil, s.errorf("data after the payload object")
	}
	if !hasType {
		return nil, errors.New("no \"messageType\": not a subscription payload")
	}
	p.MessageType = internType(p.MessageType)
	return p, nil
}

// str returns the string at sp in js without copying it: an escaped string
// is first unescaped in place, which only ever shrinks it.
func (d *Decoder) str(js []byte, sp span) string {
	if !sp.esc { // the common case, inlined
		return unsafe.String(unsafe.SliceData(js[sp.start:sp.end]), sp.end-sp.start)
	}
	return d.strSlow(js, sp)
}

// strSlow is str for an escaped string.
func (d *Decoder) strSlow(js []byte, sp span) string {
	n := len(appendUnescaped(js[sp.start:sp.start], js[sp.start:sp.end]))
	if n == 0 {
		return ""
	}
	return unsafe.String(&js[sp.start], n)
}

// filters reads "subscriptionFilters", an array of strings or null.
func (d *Decoder) filters(s *scanner, p *Payload) error {
	p.SubscriptionFilters = p.SubscriptionFilters[:0]
	if s.isNull() {
		return nil
	}
	if s.peek() != '[' {
		return errors.New("\"subscriptionFilters\" is not an array")
	}
	empty, err := s.open('[', ']')
	if err != nil {
		return err
	}
	for more := !empty; more; {
		s.ws()
		if s.peek() != '"' {
			return errors.New("\"subscriptionFilters\" holds a non-string")
		}
		sp, err := s.str()
		if err != nil {
			return err
		}
		p.SubscriptionFilters = append(p.SubscriptionFilters, d.str(s.b, sp))
		if more, err = s.next(']'); err != nil {
			return err
		}
	}
	return nil
}

// events reads "logEvents", an array or null: well-formed events go to
// p.Events, the others to p.Malformed.
func (d *Decoder) events(s *scanner, p *Payload) error {
	p.Events, p.Malformed = p.Events[:0], p.Malformed[:0]
	if s.isNull() {
		return nil
	}
	if s.peek() != '[' {
		return errors.New("\"logEvents\" is not an array")
	}
	empty, err := s.open('[', ']')
	if err != nil {
		return err
	}
	// A message's padding goes over the JSON after it; a reader of the
	// last message reads up to MessagePad bytes past it, past the JSON,
	// into the buffer's spare capacity, which must have them.
	pad := cap(s.b)-len(s.b) >= MessagePad
	full := s.b[:cap(s.b)]
	var r rawEvent
	for i, more := 0, !empty; more; i++ {
		s.ws()
		reason := ""
		if !s.fastEvent(&r) {
			if reason, err = s.event(&r); err != nil {
				return err
			}
		}
		if reason == "" {
			e := Event{ID: d.str(s.b, r.id), Timestamp: r.ts, Message: d.str(s.b, r.msg)}
			p.Events = append(p.Events, e)
			if pad {
				// After the message (unescaped in place, it may end before
				// its closing quote) come the rest of its raw text, its
				// closing quote and the byte after it, all read: no
				// other string of the payload overlaps the two bytes
				// written (TestDecoderPadsMessages).
				end := r.msg.start + len(e.Message)
				full[end], full[end+1] = ' ', 0
			}
		} else {
			m := MalformedEvent{Index: i, Reason: reason}
			if r.hasID {
				m.ID = d.str(s.b, r.id)
			}
			p.Malformed = append(p.Malformed, m)
		}
		if more, err = s.next(']'); err != nil {
			return err
		}
	}
	p.Padded = pad
	return nil
}

// internType returns the package constant equal to t, so that a payload's
// MessageType does not alias the decoder's buffer in the common cases.
func internType(t string) string {
	switch t {
	case MessageTypeData:
		return MessageTypeData
	case MessageTypeControl:
		return MessageTypeControl
	}
	return t
}
