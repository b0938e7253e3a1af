package cwlogs

import (
	"bytes"
	"encoding/base64"
	"math/rand/v2"
	"testing"
)

// checkBase64 fails unless decodeBase64 gives what encoding/base64 gives
// for src: the same count, the same bytes and the same error, offset
// included.
func checkBase64(t *testing.T, src []byte) {
	t.Helper()
	n := base64.StdEncoding.DecodedLen(len(src))
	want := make([]byte, n)
	wn, werr := base64.StdEncoding.Decode(want, src)
	got := make([]byte, n)
	gn, gerr := decodeBase64(got, src)
	if (gerr == nil) != (werr == nil) || gerr != nil && gerr.Error() != werr.Error() {
		t.Fatalf("%d characters %.80q...: error %v, encoding/base64: %v", len(src), src, gerr, werr)
	}
	if gerr == nil && (gn != wn || !bytes.Equal(got[:gn], want[:wn])) {
		t.Fatalf("%d characters %.80q...: %d bytes, encoding/base64 %d, or different bytes", len(src), src, gn, wn)
	}
}

// base64Inputs are standard base64 texts of every length of 0-300 bytes of
// data (the vector code takes 45 characters or more on amd64, 32 on arm64,
// in blocks of 32), the
// same with MIME line breaks, and the text of a payload's size.
func base64Inputs() [][]byte {
	r := rand.New(rand.NewPCG(1, 2))
	var ins [][]byte
	for n := 0; n <= 300; n++ {
		data := make([]byte, n)
		for i := range data {
			data[i] = byte(r.Uint32())
		}
		enc := []byte(base64.StdEncoding.EncodeToString(data))
		ins = append(ins, enc)
		var mime []byte
		for len(enc) > 76 {
			mime = append(append(mime, enc[:76]...), '\r', '\n')
			enc = enc[76:]
		}
		ins = append(ins, append(mime, enc...))
	}
	return append(ins, payloadSizedBase64())
}

// payloadSizedBase64 is the base64 text of 150,000 random bytes, the size
// of a compressed payload of 2,000 records (the speed of base64 does not
// depend on what it encodes).
func payloadSizedBase64() []byte {
	r := rand.New(rand.NewPCG(3, 4))
	data := make([]byte, 150_000)
	for i := range data {
		data[i] = byte(r.Uint32())
	}
	return []byte(base64.StdEncoding.EncodeToString(data))
}

// TestBase64AgreesWithTheStandardLibrary compares decodeBase64 with
// encoding/base64 on valid texts, on each of them with a byte that is not
// one of the 64 characters (or a line break, or padding) put in place of,
// or inserted before, every character, and on each cut short by one to
// three characters: the vector code stops at the block holding the byte,
// and the result, or the error and its offset, must be the library's.
func TestBase64AgreesWithTheStandardLibrary(t *testing.T) {
	for _, src := range base64Inputs() {
		checkBase64(t, src)
		for cut := 1; cut <= 3 && cut <= len(src); cut++ {
			checkBase64(t, src[:len(src)-cut])
		}
		if len(src) > 400 {
			continue // the benchmark payload: valid, and long
		}
		for i := range src {
			for _, c := range []byte("!=\n\r -_\x00\x80") {
				edit := bytes.Clone(src)
				edit[i] = c
				checkBase64(t, edit)
				checkBase64(t, append(append(bytes.Clone(src[:i]), c), src[i:]...))
			}
		}
	}
}

// FuzzBase64 compares decodeBase64 with encoding/base64 on any input.
//
//	go test -run '^$' -fuzz FuzzBase64 -fuzztime 20s ./lambda/internal/cwlogs/
func FuzzBase64(f *testing.F) {
	for _, src := range base64Inputs() {
		f.Add(src)
	}
	f.Fuzz(func(t *testing.T, src []byte) { checkBase64(t, src) })
}

// BenchmarkBase64 compares decodeBase64 with encoding/base64 on the base64
// text of a payload's size. MB/s are of base64 text.
func BenchmarkBase64(b *testing.B) {
	src := payloadSizedBase64()
	dst := make([]byte, base64.StdEncoding.DecodedLen(len(src)))
	for _, c := range []struct {
		name   string
		decode func(dst, src []byte) (int, error)
	}{{"encoding-base64", base64.StdEncoding.Decode}, {"decodeBase64", decodeBase64}} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(src)))
			for b.Loop() {
				if _, err := c.decode(dst, src); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
