package cwlogs_test

import (
	"bytes"
	stdgzip "compress/gzip"
	"errors"
	"hash/crc32"
	"io"
	"reflect"
	"runtime"
	"strings"
	"testing"

	"github.com/klauspost/compress/gzip"

	"github.com/vpcflowlogs/vpc-flow-logs/lambda/internal/cwlogs"
	"github.com/vpcflowlogs/vpc-flow-logs/lambda/internal/cwlogs/cwlogstest"
)

// edgeDoc holds, in values the decoder skips and in log events, every form
// of JSON number and string escape the scanner reads byte by byte: numbers
// starting or ending with 0 and 9, fractions, exponents with and without a
// sign, a timestamp one below the smallest int64, escaped quotes and
// backslashes, \u escapes.
const edgeDoc = `{"messageType":"DATA_MESSAGE","extra":[0,9,-9,0.9,19.99,-0.5e+9,9E-9,1e9,5e109,2E+0,90,` +
	`"a\"b\\c","\"\u0041\/"],"logEvents":[` +
	`{"id":"1","timestamp":-9223372036854775809,"message":"too small"},` +
	`{"id":"2","timestamp":-9223372036854775808,"message":"smallest"},` +
	`{"id":"3","timestamp":1718000000999,"message":"q\"\\\u00e9\u00aa\u00C9\u00AF\uFFFD\ud83d\ude00"}],"owner":"o"}`

// TestDecodeEdgeNumbersAndEscapes checks edgeDoc against the encoding/json
// reference. Kills scan.go:274:34 and 274:46 (values starting with 0 or 9
// refused), 310:40 and 314:41 (fraction digits 9), 324:26, 324:40,
// 328:26, 328:41 (exponent digits 0 and 9), 298:17 ARITHMETIC_BASE
// and INVERT_NEGATIVES (the overflow test off for the digit 9: the
// timestamp below the smallest int64 taken as an integer), 640:10 and
// 643:13 (hex digits 'a' and 'A'-'F' of a \u escape), 627:58 and 627:70
// ('A' and 'F' refused as hex digits), 679:17 (a surrogate pair that ends
// the string taken for two lone surrogates).
func TestDecodeEdgeNumbersAndEscapes(t *testing.T) {
	got, err := cwlogs.DecodeJSON([]byte(edgeDoc))
	want, ok := referenceDecode([]byte(edgeDoc))
	if !ok || err != nil {
		t.Fatalf("DecodeJSON err = %v, reference ok = %v", err, ok)
	}
	if !reflect.DeepEqual(normalize(got), normalize(want)) {
		t.Fatalf("\n got %+v\nwant %+v", normalize(got), normalize(want))
	}
	if len(got.Malformed) != 1 || got.Malformed[0].ID != "1" {
		t.Fatalf("malformed = %+v, want the timestamp below the smallest int64", got.Malformed)
	}
}

// TestDecodeEveryPrefix decodes every proper prefix of edgeDoc, none of
// which is JSON, with one reused Decoder (whose buffer still holds the
// rest of the document past the prefix): each is refused as bad JSON, none
// reads past its end. Kills the scanner's end-of-input checks made one
// byte too lax, each a read past the input: scan.go:87:10 (expect),
// 122:7 and 122:10 (a backslash as the last byte), 293:9 (a '-' as the
// last byte), 296:11, 308:7, 310:8, 314:9, 319:7, 321:8 (a number as the
// last bytes), and 130:8 and 130:11 (a \u escape cut by the end, which
// must be reported as an invalid escape and not read from the buffer's
// stale bytes).
func TestDecodeEveryPrefix(t *testing.T) {
	d := cwlogs.NewDecoder()
	if _, err := d.DecodeJSON([]byte(edgeDoc)); err != nil {
		t.Fatal(err)
	}
	for n := range len(edgeDoc) {
		prefix := edgeDoc[:n]
		_, err := d.DecodeJSON([]byte(prefix))
		if !errors.Is(err, cwlogs.ErrBadJSON) {
			t.Fatalf("prefix %q: err = %v, want ErrBadJSON", prefix, err)
		}
		// The \u escape follows an escaped quote, so the string is read by
		// the escape-checking loop: cut inside the escape, it is invalid;
		// cut right after it, the string is unterminated.
		if i := strings.LastIndex(prefix, `\u`); i >= 0 && len(prefix)-i <= 6 {
			if invalid := strings.Contains(err.Error(), `invalid \u escape`); invalid != (len(prefix)-i < 6) {
				t.Errorf("prefix %q: err = %v; an invalid \\u escape: %v, want %v", prefix, err, invalid, !invalid)
			}
		}
	}
}

// TestDecodeEscapeErrorNamesTheByte: the error of an invalid escape names
// the byte after the backslash. Kills scan.go:137:54.
func TestDecodeEscapeErrorNamesTheByte(t *testing.T) {
	_, err := cwlogs.DecodeJSON([]byte(`{"messageType":"a\x"}`))
	if err == nil || !strings.Contains(err.Error(), `invalid escape 'x'`) {
		t.Fatalf("err = %v, want it to name 'x'", err)
	}
}

// TestDecodeNestingLimit: values the decoder skips may nest 512 levels
// deep (scan.go's maxDepth, counting the skipped value itself as level 1
// and the innermost scalar as the last), in arrays or objects; one more
// level is refused. Kills scan.go:222:11 (the
// limit itself refused) and 239:27 (objects nesting without limit).
func TestDecodeNestingLimit(t *testing.T) {
	nest := func(open, close string, depth int) string {
		return strings.Repeat(open, depth) + "1" + strings.Repeat(close, depth)
	}
	for _, c := range []struct{ open, close string }{{"[", "]"}, {`{"k":`, "}"}} {
		for depth, ok := range map[int]bool{511: true, 512: false} {
			doc := `{"messageType":"D","x":` + nest(c.open, c.close, depth) + `}`
			_, err := cwlogs.DecodeJSON([]byte(doc))
			if (err == nil) != ok {
				t.Errorf("%s nested %d deep: err = %v, want ok %v", c.open, depth, err, ok)
			}
		}
	}
}

// TestDecodeGzipTinyAndHeaderErrors: inputs too short for a gzip trailer
// are refused like any other bad gzip, and the library's reason is kept in
// the error: a bad magic number is gzip.ErrHeader, a header cut short
// io.ErrUnexpectedEOF. Kills decode.go:183:13 (negated: the size hint read
// from a 1-3 byte input) and 247:9 (every header error reported as
// io.ErrUnexpectedEOF).
func TestDecodeGzipTinyAndHeaderErrors(t *testing.T) {
	for _, c := range []struct {
		gz   []byte
		want error
	}{
		{[]byte{0x1f}, io.ErrUnexpectedEOF},
		{[]byte{0x1f, 0x8b, 8}, io.ErrUnexpectedEOF},
		{[]byte("junk"), io.ErrUnexpectedEOF},
		{[]byte("not gzip at all, and long enough for a trailer"), gzip.ErrHeader},
	} {
		_, err := cwlogs.DecodeGzip(c.gz)
		if !errors.Is(err, cwlogs.ErrBadGzip) || !errors.Is(err, c.want) {
			t.Errorf("DecodeGzip(%q) = %v, want ErrBadGzip and %v", c.gz, err, c.want)
		}
	}
}

// TestDecodeStringReusesItsBuffer: a warm Decoder copies a string input
// into the buffer it keeps, allocating nothing. Kills decode.go:106:16
// (negated: the buffer dropped after every call).
func TestDecodeStringReusesItsBuffer(t *testing.T) {
	if testing.Short() {
		t.Skip("allocation counts")
	}
	data, err := cwlogs.EncodeString(cwlogstest.FlowLogPayload(200, 9))
	if err != nil {
		t.Fatal(err)
	}
	d := cwlogs.NewDecoder()
	if _, err := d.DecodeString(data); err != nil {
		t.Fatal(err)
	}
	if n := testing.AllocsPerRun(5, func() { d.DecodeString(data) }); n > 0 {
		t.Errorf("Decoder.DecodeString: %v allocations per payload, want 0", n)
	}
}

// TestDecodeGzipLibraryPathGrows: a stream the fast path leaves to the
// library (here a header CRC, FHCRC, in its first member) whose size
// trailer understates the output (the last of several members is small)
// grows the library's buffer as it reads, up to the limit and no further.
// Kills decode.go:219:16 (a buffer full at exactly the limit refused) and
// 223:41, 223:57 (not covered before: the growth of the library path's
// buffer).
func TestDecodeGzipLibraryPathGrows(t *testing.T) {
	// libraryStream is data in three members: all but its last 10 bytes in
	// a first member with a header CRC, the rest in a second, then an empty
	// one (so that the output is complete before the reader's EOF).
	libraryStream := func(data []byte) []byte {
		var first bytes.Buffer
		zw := stdgzip.NewWriter(&first)
		zw.Write(data[:len(data)-10])
		zw.Close()
		gz := first.Bytes()
		gz[3] |= 1 << 1 // FHCRC: the CRC-16 of the header follows it (RFC 1952 2.3)
		hcrc := crc32.ChecksumIEEE(gz[:10])
		gz = append(append(append([]byte{}, gz[:10]...), byte(hcrc), byte(hcrc>>8)), gz[10:]...)
		gz = append(gz, gzipBytes(t, data[len(data)-10:])...)
		return append(gz, gzipBytes(t, nil)...)
	}
	js := cwlogs.AppendJSON(nil, cwlogstest.FlowLogPayload(2000, 10))
	if len(js) < 4*(64<<10) {
		t.Fatalf("payload of %d bytes: too small to grow the buffer several times", len(js))
	}
	// 64 KiB is the buffer the library path starts with when the size
	// trailer is small: this output fills it exactly.
	full := bytes.Repeat([]byte("0123456789abcdef"), 4<<10)
	for _, c := range []struct {
		data  []byte
		limit int
		want  error
	}{
		{js, len(js), nil}, {js, len(js) - 1, cwlogs.ErrTooLarge}, {js, 64 << 10, cwlogs.ErrTooLarge},
		{full, len(full), nil}, {full, len(full) - 1, cwlogs.ErrTooLarge},
	} {
		d := &cwlogs.Decoder{MaxDecompressedBytes: c.limit}
		got, err := d.Gunzip(libraryStream(c.data))
		if !errors.Is(err, c.want) || (err == nil && !bytes.Equal(got, c.data)) {
			t.Errorf("%d bytes, limit %d: %d bytes, %v; want %v", len(c.data), c.limit, len(got), err, c.want)
		}
	}
}

// TestCloneAllocatesTheStringsOnce: Clone copies all the strings into one
// allocation; with the Payload and its three slices that is five. Kills
// payload.go:105:26, 105:41, 105:59 (the size of the strings undercounted:
// the builder grows again).
func TestCloneAllocatesTheStringsOnce(t *testing.T) {
	p, err := cwlogs.DecodeJSON([]byte(`{"messageType":"DATA_MESSAGE","owner":"123456789012","logGroup":"/vpc/flow-logs",` +
		`"logStream":"eni-0a1b2c3d4e5f67890-all","subscriptionFilters":["f"],` +
		`"logEvents":[{"id":"1","timestamp":1,"message":"m"},{"id":"2","message":3}]}`))
	if err != nil || len(p.Malformed) != 1 {
		t.Fatalf("DecodeJSON = %+v, %v", p, err)
	}
	if n := testing.AllocsPerRun(10, func() { p.Clone() }); n != 5 {
		t.Errorf("Clone: %v allocations, want 5 (the Payload, three slices, one for all the strings)", n)
	}
}

// TestDecodeManyEvents: a payload of more events than the decoder keeps
// room for between calls (retainBytes/64 of capacity) is returned whole
// while the decoder lets go of its own events. Kills decode.go:274:8 (the
// returned Payload being the decoder's own, emptied as it is let go).
func TestDecodeManyEvents(t *testing.T) {
	const n = 140_000
	js := []byte(`{"messageType":"DATA_MESSAGE","logEvents":[` + strings.Repeat(`{"message":"m"},`, n-1) + `{"message":"m"}]}`)
	d := cwlogs.NewDecoder()
	p, err := d.DecodeJSON(js)
	if err != nil || len(p.Events) != n || p.Events[n-1].Message != "m" {
		t.Fatalf("DecodeJSON: %v, %d events", err, len(p.Events))
	}
}

// TestNotGzipAllocatesNoBufferFromItsTail: input that is not gzip, also
// with one of the two magic bytes, gets no buffer sized from its last four
// bytes, the trailer's ISIZE of a gzip stream (found by review: 18 bytes
// ending in a large number cost a buffer of up to the limit before the
// header was checked). With one magic byte it kills decode.go:185:28 and
// 185:45 (each magic byte's test negated).
func TestNotGzipAllocatesNoBufferFromItsTail(t *testing.T) {
	for _, junk := range [][]byte{
		[]byte("not gzip at all, \xff\xff\xff\x03"), // "ISIZE" 64 MiB - 1
		[]byte("\x1fot gzip at all, \xff\xff\xff\x03"),
		[]byte("n\x8bt gzip at all, \xff\xff\xff\x03"),
	} {
		d := cwlogs.NewDecoder()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		if _, err := d.DecodeGzip(junk); err == nil {
			t.Fatal("junk decoded")
		}
		runtime.ReadMemStats(&after)
		if n := after.TotalAlloc - before.TotalAlloc; n > 1<<20 {
			t.Errorf("refusing %q allocated %d bytes", junk, n)
		}
	}
}
