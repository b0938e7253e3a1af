package cwlogs

import (
	"bytes"
	"testing"
)

// quoteEndReference is quoteEnd as two bytes.IndexByte calls, what
// plainString used before.
func quoteEndReference(b []byte, i int) int {
	n := bytes.IndexByte(b[i:], '"')
	if n < 0 || bytes.IndexByte(b[i:i+n], '\\') >= 0 {
		return -1
	}
	return i + n
}

// TestQuoteEndAgreesWithIndexByte runs quoteEnd against its reference at
// every start of strings that put the quote and the backslash in every
// lane of a word, before and after each other, near the end of the buffer
// and past it, among bytes that differ from '"' and '\\' by one bit (the
// SWAR test's false positives).
func TestQuoteEndAgreesWithIndexByte(t *testing.T) {
	fillers := []byte{'a', '"' ^ 1, '\\' ^ 1, 0x80 | '"', 0, 0xff}
	for size := range 20 {
		for _, f := range fillers {
			for q := -1; q < size; q++ {
				for bs := -1; bs < size; bs++ {
					b := bytes.Repeat([]byte{f}, size)
					if q >= 0 {
						b[q] = '"'
					}
					if bs >= 0 && bs != q {
						b[bs] = '\\'
					}
					for i := 0; i <= size; i++ {
						if got, want := quoteEnd(b, i), quoteEndReference(b, i); got != want {
							t.Fatalf("quoteEnd(%q, %d) = %d, want %d", b, i, got, want)
						}
					}
				}
			}
		}
	}
}

// A payload whose buffer has less than MessagePad bytes of room past its
// JSON is decoded as any other but not padded: the last message's padding
// would not fit, and a reader trusting it would read past the buffer.
func TestNoRoomNoPadding(t *testing.T) {
	const doc = `{"messageType":"DATA_MESSAGE","logEvents":[{"id":"1","timestamp":2,"message":"m"},{"id":"2","timestamp":3,"message":"n"}]}`
	for room := 0; room <= MessagePad+1; room++ {
		var d Decoder
		d.out = append(make([]byte, 0, len(doc)+room), doc...)
		p, err := d.decode(d.out)
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Events) != 2 || p.Events[1].Message != "n" || p.Padded != (room >= MessagePad) {
			t.Fatalf("room %d: %d events, padded %v", room, len(p.Events), p.Padded)
		}
	}
}
