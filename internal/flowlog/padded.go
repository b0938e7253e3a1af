package flowlog

import (
	"slices"
	"unsafe"
)

// LinePad is the padding AppendPlainPadded needs after a line, in bytes:
// a space, a zero byte and LinePad-2 more bytes of any value.
const LinePad = padLen

// AppendPlainPadded is AppendPlain for a line whose memory is followed by
// the padding AppendPlain puts after its copy of a line: a space, then a
// zero byte, then LinePad-2 more bytes that can be read, of any value. It
// reads the line where it is instead of copying it first
// (cwlogs.Decoder pads the messages it decodes: Payload.Padded).
//
// The caller vouches for the padding: without it, AppendPlainPadded reads
// past the line's memory, into other data or an unmapped page. It returns
// what AppendPlain returns for the line (checkAppendPlain, in every
// AppendPlain test and FuzzParse, compares them with noise after the zero
// byte; TestNoReadPastTheLine reads a line whose padding ends where
// readable memory does). An empty line, and one that ends in a
// line break, which AppendPlain trims, go to AppendPlain.
func (p *Parser) AppendPlainPadded(dst []byte, line string, t *Template) ([]byte, bool) {
	if t.p != p {
		return dst, false
	}
	if n := len(line); n == 0 || line[n-1] == '\n' || line[n-1] == '\r' {
		return p.AppendPlain(dst, line, t)
	}
	// Room for every write, as in AppendPlain; the line stays where it is.
	out := t.fixed + len(line) + 32
	if cap(dst)-len(dst) < out {
		dst = slices.Grow(dst, out)
	}
	src := unsafe.Slice(unsafe.StringData(line), len(line)+padLen)
	w, ok := t.appendPlain(dst[len(dst):len(dst)+out], src, len(line))
	if !ok {
		return dst, false
	}
	return dst[:len(dst)+w], true
}
