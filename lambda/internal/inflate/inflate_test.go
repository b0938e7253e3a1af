package inflate_test

import (
	"bytes"
	stdgzip "compress/gzip"
	"errors"
	"io"
	"math/rand/v2"
	"testing"

	"github.com/klauspost/compress/gzip"

	"github.com/vpcflowlogs/vpc-flow-logs/lambda/internal/cwlogs/cwlogstest"
	"github.com/vpcflowlogs/vpc-flow-logs/lambda/internal/inflate"
)

// slack is the room after the output that keeps the decoder in its fast
// loop to the end (more than the longest match and its word-copy overrun).
const slack = 512

// library decodes gz with the library the fast path stands in for, as
// lambda/internal/cwlogs did before it (multistream, the whole output).
func library(gz []byte) ([]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		return nil, err
	}
	return io.ReadAll(zr)
}

// agree is the package's contract on one input: when Gunzip succeeds, the
// library succeeds too with the same bytes.
func agree(t *testing.T, d *inflate.Decoder, gz []byte, limit int) ([]byte, error) {
	t.Helper()
	return agreeInto(t, d, nil, gz, limit)
}

// agreeInto is agree decoding into dst (as Gunzip does, dst[:0] grown as
// needed).
func agreeInto(t *testing.T, d *inflate.Decoder, dst, gz []byte, limit int) ([]byte, error) {
	t.Helper()
	got, err := d.Gunzip(dst, gz, limit)
	if err != nil {
		return nil, err
	}
	want, lerr := library(gz)
	if lerr != nil {
		t.Fatalf("Gunzip accepted %d bytes the library refuses (%v)", len(gz), lerr)
	}
	if !bytes.Equal(got, want) || len(got) > limit {
		t.Fatalf("Gunzip returned %d bytes (limit %d), the library %d; first difference at %d", len(got), limit, len(want), firstDiff(got, want))
	}
	return got, nil
}

func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// payloadJSON is a realistic subscription payload: 2,000 flow log lines.
func payloadJSON(t testing.TB, seed uint64) []byte {
	t.Helper()
	gz, err := cwlogstest.KinesisData(cwlogstest.FlowLogPayload(2000, seed))
	if err != nil {
		t.Fatal(err)
	}
	js, err := library(gz)
	if err != nil {
		t.Fatal(err)
	}
	return js
}

// compressors cover every block type and the encoders' strategies: stored
// blocks (level 0), Huffman only (fixed and dynamic), the fast and the
// thorough match finders of both the library and the standard library.
var compressors = []struct {
	name string
	gz   func(data []byte) []byte
}{
	{"klauspost-stored", klauspost(gzip.NoCompression)},
	{"klauspost-huffman-only", klauspost(gzip.HuffmanOnly)},
	{"klauspost-1", klauspost(1)},
	{"klauspost-5", klauspost(5)},
	{"klauspost-9", klauspost(9)},
	{"klauspost-default", klauspost(gzip.DefaultCompression)},
	{"stdlib-1", stdlib(1)},
	{"stdlib-6", stdlib(6)},
	{"stdlib-9", stdlib(9)},
	{"stdlib-huffman-only", stdlib(stdgzip.HuffmanOnly)},
}

func klauspost(level int) func([]byte) []byte {
	return func(data []byte) []byte {
		var buf bytes.Buffer
		zw, err := gzip.NewWriterLevel(&buf, level)
		if err != nil {
			panic(err)
		}
		zw.Write(data)
		zw.Close()
		return buf.Bytes()
	}
}

func stdlib(level int) func([]byte) []byte {
	return func(data []byte) []byte {
		var buf bytes.Buffer
		zw, err := stdgzip.NewWriterLevel(&buf, level)
		if err != nil {
			panic(err)
		}
		zw.Name = "payload.json" // FNAME
		zw.Extra = []byte("xx")  // FEXTRA
		zw.Comment = "comment"   // FCOMMENT
		zw.Write(data)
		zw.Close()
		return buf.Bytes()
	}
}

// inputs are the data the differential tests compress: real payloads, and
// shapes that exercise the decoder's edges (empty, one byte, long runs
// that make distance-1 and short-distance matches, random bytes that make
// literals and stored blocks).
func inputs(t testing.TB) map[string][]byte {
	r := rand.New(rand.NewPCG(1, 2))
	random := make([]byte, 100_000)
	for i := range random {
		random[i] = byte(r.Uint32())
	}
	pattern := bytes.Repeat([]byte("abcdefg"), 40_000) // distance 7
	pairs := bytes.Repeat([]byte("ab"), 70_000)        // distance 2
	return map[string][]byte{
		"payload":      payloadJSON(t, 1),
		"payload-2":    payloadJSON(t, 2),
		"empty":        {},
		"one-byte":     {'x'},
		"run":          bytes.Repeat([]byte{'z'}, 300_000),
		"distance-7":   pattern,
		"distance-2":   pairs,
		"random":       random,
		"text-and-run": append(append(payloadJSON(t, 3)[:5000:5000], bytes.Repeat([]byte{' '}, 70_000)...), random[:3000]...),
	}
}

func TestGunzipAgreesWithTheLibrary(t *testing.T) {
	var d inflate.Decoder // one warm decoder across every input, as in a Lambda
	for name, data := range inputs(t) {
		for _, c := range compressors {
			t.Run(name+"/"+c.name, func(t *testing.T) {
				gz := c.gz(data)
				got, err := agree(t, &d, gz, 64<<20)
				if err != nil {
					t.Fatalf("Gunzip refused a valid stream: %v", err)
				}
				if !bytes.Equal(got, data) {
					t.Fatalf("Gunzip returned %d bytes, compressed %d", len(got), len(data))
				}
			})
		}
	}
}

func TestGunzipReusesTheBuffer(t *testing.T) {
	data := payloadJSON(t, 4)
	gz := klauspost(6)(data)
	var d inflate.Decoder
	buf := make([]byte, 0, len(data)+slack)
	got, err := d.Gunzip(buf, gz, 64<<20)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("Gunzip = %d bytes, %v", len(got), err)
	}
	if &got[0] != &buf[:1][0] {
		t.Error("Gunzip allocated a new buffer although dst had room")
	}
	if n := testing.AllocsPerRun(10, func() { d.Gunzip(buf, gz, 64<<20) }); n != 0 {
		t.Errorf("a warm Gunzip allocates %v times, want 0", n)
	}
}

func TestGunzipMultipleMembers(t *testing.T) {
	a, b := payloadJSON(t, 5), []byte("second member")
	gz := append(klauspost(6)(a), stdlib(9)(b)...)
	var d inflate.Decoder
	got, err := agree(t, &d, gz, 64<<20)
	if err != nil || !bytes.Equal(got, append(bytes.Clone(a), b...)) {
		t.Fatalf("Gunzip = %d bytes, %v; want both members", len(got), err)
	}
}

// A member's back-references may not reach into the member before it: the
// library starts each member with an empty window.
func TestGunzipDistanceIntoThePreviousMember(t *testing.T) {
	first := klauspost(6)([]byte("abcdefgh"))
	// A second member of one fixed-Huffman block: the length 3 at
	// distance 1 refers to nothing of its own.
	second := []byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff}
	second = append(second, fixedBlockMatchFirst()...)
	second = append(second, 0, 0, 0, 0, 3, 0, 0, 0)
	gz := append(first, second...)
	var d inflate.Decoder
	if _, err := d.Gunzip(nil, gz, 64<<20); !errors.Is(err, inflate.ErrCorrupt) {
		t.Fatalf("Gunzip = %v, want inflate.ErrCorrupt", err)
	}
	if _, err := library(gz); err == nil {
		t.Fatal("the library accepts it: the test's stream is wrong")
	}
}

// fixedBlockMatchFirst is a final fixed-Huffman block holding a match of
// length 3 at distance 1 and the end-of-block code: BFINAL 1, BTYPE 01,
// length code 257 (7 bits 0000001), distance code 0 (5 bits 00000), end
// of block (7 bits 0000000), Huffman codes sent most significant bit
// first.
func fixedBlockMatchFirst() []byte {
	var w bitWriter
	w.bits(1, 1)
	w.bits(1, 2)
	w.huff(1, 7)
	w.huff(0, 5)
	w.huff(0, 7)
	return w.flush()
}

type bitWriter struct {
	out  []byte
	acc  uint64
	nacc uint
}

// bits writes n bits of v, least significant first (DEFLATE's data bits).
func (w *bitWriter) bits(v uint64, n uint) {
	w.acc |= v << w.nacc
	w.nacc += n
	for w.nacc >= 8 {
		w.out = append(w.out, byte(w.acc))
		w.acc >>= 8
		w.nacc -= 8
	}
}

// huff writes an n-bit Huffman code, most significant bit first.
func (w *bitWriter) huff(code uint64, n uint) {
	for i := int(n) - 1; i >= 0; i-- {
		w.bits(code>>uint(i)&1, 1)
	}
}

func (w *bitWriter) flush() []byte {
	if w.nacc > 0 {
		w.out = append(w.out, byte(w.acc))
	}
	w.acc, w.nacc = 0, 0
	return w.out
}

func TestGunzipRefusesWhatItDoesNotDecode(t *testing.T) {
	data := payloadJSON(t, 6)
	gz := klauspost(6)(data)
	withHCRC := stdlib(6)([]byte("x"))
	withHCRC[3] |= 1 << 1
	for _, c := range []struct {
		name  string
		gz    []byte
		limit int
		want  error
	}{
		{"empty", nil, 64 << 20, inflate.ErrHeader},
		{"not gzip", []byte("{\"messageType\":\"DATA_MESSAGE\"}"), 64 << 20, inflate.ErrHeader},
		{"header crc", withHCRC, 64 << 20, inflate.ErrHeader},
		{"reserved flag", func() []byte { b := bytes.Clone(gz); b[3] = 1 << 5; return b }(), 64 << 20, inflate.ErrHeader},
		{"cut header", gz[:7], 64 << 20, inflate.ErrHeader},
		{"cut data", gz[:len(gz)/2], 64 << 20, inflate.ErrTruncated},
		{"cut trailer", gz[:len(gz)-3], 64 << 20, inflate.ErrTruncated},
		{"bad crc", func() []byte { b := bytes.Clone(gz); b[len(b)-8] ^= 1; return b }(), 64 << 20, inflate.ErrChecksum},
		{"bad size", func() []byte { b := bytes.Clone(gz); b[len(b)-1] ^= 1; return b }(), 64 << 20, inflate.ErrChecksum},
		{"trailing garbage", append(bytes.Clone(gz), 0, 0), 64 << 20, inflate.ErrHeader},
		{"block type 3", []byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff, 0x07, 0, 0, 0, 0, 0, 0, 0, 0}, 64 << 20, inflate.ErrCorrupt},
		{"over the limit", gz, len(data) - 1, inflate.ErrTooLarge},
	} {
		t.Run(c.name, func(t *testing.T) {
			var d inflate.Decoder
			if _, err := d.Gunzip(nil, c.gz, c.limit); !errors.Is(err, c.want) {
				t.Fatalf("Gunzip = %v, want %v", err, c.want)
			}
		})
	}
	var d inflate.Decoder
	if got, err := d.Gunzip(nil, gz, len(data)); err != nil || len(got) != len(data) {
		t.Fatalf("at exactly the limit: %d bytes, %v", len(got), err)
	}
}

// FuzzGunzip holds the package's contract on any input: a success is the
// library's result. The corpus starts from valid streams of every encoder;
// the fuzzer's mutations make corrupt, truncated and odd ones.
func FuzzGunzip(f *testing.F) {
	short := payloadJSON(f, 7)[:3000]
	for _, c := range compressors {
		f.Add(c.gz(short))
		f.Add(c.gz([]byte("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaabababababab")))
	}
	var d inflate.Decoder
	f.Fuzz(func(t *testing.T, gz []byte) { agree(t, &d, gz, 1<<20) })
}
