package inflate_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"testing"

	"github.com/vpcflowlogs/vpc-flow-logs/lambda/internal/inflate"
)

// Hand-built streams reach the paths that encoders seldom or never take: a
// cut at every byte of a stored block, a repeat code that runs past the
// code lengths, a distance exactly as long as the output, corruption in the
// last bytes of a cut input. Bit order, block layout and the code tables
// are those of RFC 1951 (3.1.1, 3.2.3-3.2.7):
// https://www.rfc-editor.org/rfc/rfc1951; the gzip member of RFC 1952 2.3:
// https://www.rfc-editor.org/rfc/rfc1952. Mutants are named by their
// position in inflate.go at the mutation run that found them.

// gzipMember wraps the DEFLATE data deflate, which decodes to data, in a
// gzip member: a 10-byte header without flags, then the CRC-32 and the
// size of data.
func gzipMember(deflate, data []byte) []byte {
	gz := []byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff}
	gz = append(gz, deflate...)
	gz = binary.LittleEndian.AppendUint32(gz, crc32.ChecksumIEEE(data))
	return binary.LittleEndian.AppendUint32(gz, uint32(len(data)))
}

// header3 writes a block's header: BFINAL, then BTYPE (0 stored, 1 fixed,
// 2 dynamic).
func (w *bitWriter) header3(final bool, typ uint64) {
	f := uint64(0)
	if final {
		f = 1
	}
	w.bits(f, 1)
	w.bits(typ, 2)
}

// stored writes a stored block (3.2.4): the header, the bits up to the next
// byte boundary, LEN, NLEN and the bytes.
func (w *bitWriter) stored(final bool, data []byte) {
	w.header3(final, 0)
	w.flush()
	w.out = binary.LittleEndian.AppendUint16(w.out, uint16(len(data)))
	w.out = binary.LittleEndian.AppendUint16(w.out, ^uint16(len(data)))
	w.out = append(w.out, data...)
}

// RFC 1951 3.2.5, written out again from the RFC for the tests.
var (
	tLenBase   = []int{3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258}
	tLenExtra  = []uint{0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0}
	tDistBase  = []int{1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577}
	tDistExtra = []uint{0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13}
)

// code returns the index of the last base not above v.
func code(base []int, v int) int {
	i := len(base) - 1
	for base[i] > v {
		i--
	}
	return i
}

// fixedSym writes literal/length symbol s in the fixed Huffman code
// (3.2.6).
func (w *bitWriter) fixedSym(s int) {
	switch {
	case s < 144:
		w.huff(uint64(0x30+s), 8)
	case s < 256:
		w.huff(uint64(0x190+s-144), 9)
	case s < 280:
		w.huff(uint64(s-256), 7)
	default:
		w.huff(uint64(0xc0+s-280), 8)
	}
}

// fixedMatch writes a match of length n at distance dist in the fixed code.
func (w *bitWriter) fixedMatch(n, dist int) {
	l := code(tLenBase, n)
	w.fixedSym(257 + l)
	w.bits(uint64(n-tLenBase[l]), tLenExtra[l])
	d := code(tDistBase, dist)
	w.huff(uint64(d), 5)
	w.bits(uint64(dist-tDistBase[d]), tDistExtra[d])
}

// fixedBlock writes a fixed-Huffman block of literals and the end code.
func (w *bitWriter) fixedLiterals(final bool, lits []byte) {
	w.header3(final, 1)
	for _, c := range lits {
		w.fixedSym(int(c))
	}
	w.fixedSym(256)
}

// canonical returns the codes of the canonical Huffman code with these
// code lengths (3.2.2).
func canonical(lens []uint8) []uint64 {
	var count [16]int
	for _, l := range lens {
		count[l]++
	}
	count[0] = 0
	var next [16]uint64
	c := uint64(0)
	for l := 1; l < 16; l++ {
		c = (c + uint64(count[l-1])) << 1
		next[l] = c
	}
	codes := make([]uint64, len(lens))
	for s, l := range lens {
		if l != 0 {
			codes[s] = next[l]
			next[l]++
		}
	}
	return codes
}

// clenOp is one symbol of the code length code with its extra bits.
type clenOp struct {
	sym    int
	extra  uint64
	nextra uint
}

// plain sends every code length as itself (symbols 0-15).
func plain(lens []uint8) []clenOp {
	ops := make([]clenOp, len(lens))
	for i, l := range lens {
		ops[i] = clenOp{sym: int(l)}
	}
	return ops
}

// clen4 is a code length code of the sixteen lengths 0-15, four bits each,
// without the repeat codes: zero bits decode to length 0.
var clen4 = [19]uint8{4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4}

// dynamic writes a dynamic block's header (3.2.7): HLIT, HDIST, all 19
// code length code lengths, then ops; it returns the literal/length and
// distance codes that the lengths define (lens: nlit then ndist lengths).
type dynCodes struct {
	lit, dist         []uint64
	litLens, distLens []uint8
}

func (w *bitWriter) dynamic(final bool, nlit, ndist int, clen [19]uint8, ops []clenOp, lens []uint8) dynCodes {
	w.header3(final, 2)
	w.bits(uint64(nlit-257), 5)
	w.bits(uint64(ndist-1), 5)
	w.bits(19-4, 4)
	order := [19]int{16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15}
	for _, s := range order {
		w.bits(uint64(clen[s]), 3)
	}
	cc := canonical(clen[:])
	for _, op := range ops {
		w.huff(cc[op.sym], uint(clen[op.sym]))
		w.bits(op.extra, op.nextra)
	}
	return dynCodes{canonical(lens[:nlit]), canonical(lens[nlit:]), lens[:nlit], lens[nlit:]}
}

func (w *bitWriter) sym(c dynCodes, s int)  { w.huff(c.lit[s], uint(c.litLens[s])) }
func (w *bitWriter) dsym(c dynCodes, s int) { w.huff(c.dist[s], uint(c.distLens[s])) }

// farLens is a dynamic code where zero bits decode to corruption: length
// code 257 is the 1-bit code 0, and the one distance code, 29, is the 1-bit
// code 0 (a distance of at least 24,577); 'a' is 10 and the end code 11.
func farLens() []uint8 {
	lens := make([]uint8, 258+30)
	lens[257], lens['a'], lens[256] = 1, 2, 2
	lens[258+29] = 1
	return lens
}

// farBlock is a final dynamic block of the far code: n times 'a', then,
// when bad, a length 3 at distance 24,577 (more than the output), then the
// end code.
func farBlock(n int, bad bool) []byte {
	var w bitWriter
	lens := farLens()
	c := w.dynamic(true, 258, 30, clen4, plain(lens), lens)
	for range n {
		w.sym(c, 'a')
	}
	if bad {
		w.sym(c, 257)
		w.dsym(c, 29)
		w.bits(0, 13)
	}
	w.sym(c, 256)
	return w.flush()
}

func TestHandBuiltStreamsAreValid(t *testing.T) {
	// The streams the tests below cut or damage decode, whole, as the
	// library decodes them: the helpers write RFC 1951 as the library
	// reads it.
	var w bitWriter
	w.fixedLiterals(false, []byte("abc"))
	w.stored(true, []byte("defg"))
	for name, c := range map[string]struct{ deflate, data []byte }{
		"fixed then stored": {w.flush(), []byte("abcdefg")},
		"far code":          {farBlock(5, false), []byte("aaaaa")},
	} {
		t.Run(name, func(t *testing.T) {
			var d inflate.Decoder
			got, err := agree(t, &d, gzipMember(c.deflate, c.data), 1<<20)
			if err != nil || !bytes.Equal(got, c.data) {
				t.Fatalf("Gunzip = %q, %v; want %q", got, err, c.data)
			}
		})
	}
}

// TestGunzipHeaderEdges: a member cut right after its header, or after an
// empty FEXTRA field, is a truncated stream (the header itself is whole),
// while a header cut inside its FEXTRA length or its FNAME is not a header
// this decoder reads. Kills the mutants of gzipHeader that take a 10-byte
// header for a bad one, refuse an empty extra field at the end, read past a
// cut header (a panic) or refuse an empty name.
func TestGunzipHeaderEdges(t *testing.T) {
	hdr := func(flg byte, rest ...byte) []byte {
		return append([]byte{0x1f, 0x8b, 8, flg, 0, 0, 0, 0, 0, 0xff}, rest...)
	}
	const fextra, fname, fcomment = 1 << 2, 1 << 3, 1 << 4
	for _, c := range []struct {
		name string
		gz   []byte
		want error
	}{
		{"header only", hdr(0), inflate.ErrTruncated},
		{"empty extra field, then the end", hdr(fextra, 0, 0), inflate.ErrTruncated},
		{"name, then the end", hdr(fname, 'n', 0), inflate.ErrTruncated},
		{"empty name and comment, then the end", hdr(fname|fcomment, 0, 0), inflate.ErrTruncated},
		{"extra length cut", hdr(fextra, 0), inflate.ErrHeader},
		{"extra field cut", hdr(fextra, 5, 0, 'x'), inflate.ErrHeader},
		{"name not terminated", hdr(fname, 'n', 'a'), inflate.ErrHeader},
		{"comment not terminated", hdr(fcomment, 'c'), inflate.ErrHeader},
		{"nine bytes", hdr(0)[:9], inflate.ErrHeader},
	} {
		t.Run(c.name, func(t *testing.T) {
			var d inflate.Decoder
			if _, err := d.Gunzip(nil, c.gz, 1<<20); !errors.Is(err, c.want) {
				t.Fatalf("Gunzip = %v, want %v", err, c.want)
			}
		})
	}
}

// TestGunzipCutEverywhere cuts hand-built members at every byte and checks
// the error: a member with part of its data or its trailer missing is
// truncated, whatever the block type, wherever the cut. Kills the mutants
// that read a cut inside a stored block's LEN/NLEN or data past the input
// (a panic), read the bytes of the input's last word as zeros (corrupt,
// not truncated, with the far code), misplace the position after an
// over-read (the trailer read from the wrong place) or miss a cut inside
// the code lengths (the zeros read
// in place of the missing lengths make an incomplete code, corrupt).
func TestGunzipCutEverywhere(t *testing.T) {
	var w bitWriter
	w.fixedLiterals(false, []byte("abc"))
	w.stored(false, []byte("defg"))
	w.stored(true, []byte("hij"))
	fs := w.flush()
	far := farBlock(40, false)
	// farHead is the far block's header up to the end of its code length
	// code lengths (3 + 14 + 19*3 bits), farLens the end of its code
	// lengths (4 bits each).
	const farHead, farLens = (3 + 14 + 19*3 + 7) / 8, (3 + 14 + 19*3 + 288*4) / 8
	for _, s := range []struct {
		name    string
		deflate []byte
		data    []byte
		// the cuts, as lengths of the DEFLATE data kept [from, to)
		from, to int
	}{
		// every cut: zero bits past the end of a fixed block are its end
		// code, those of a stored block make a LEN that does not fit
		{"fixed and stored", fs, []byte("abcdefghij"), 0, len(fs) + 8},
		// in the code lengths (zeros past the end are lengths 0) and in
		// the trailer; zero bits in the data decode to a bad distance
		{"far code, code lengths", far, bytes.Repeat([]byte{'a'}, 40), farHead, farLens},
		{"far code, trailer", far, bytes.Repeat([]byte{'a'}, 40), len(far), len(far) + 8},
	} {
		gz := gzipMember(s.deflate, s.data)
		for cut := 10 + s.from; cut < 10+s.to; cut++ {
			for _, dst := range [][]byte{nil, make([]byte, 0, 1024)} {
				var d inflate.Decoder
				if _, err := d.Gunzip(dst, gz[:cut:cut], 1<<20); !errors.Is(err, inflate.ErrTruncated) {
					t.Errorf("%s cut to %d of %d bytes (dst cap %d): Gunzip = %v, want inflate.ErrTruncated", s.name, cut, len(gz), cap(dst), err)
				}
			}
		}
	}
}

// TestGunzipFirstFaultNamesTheError: in an input both damaged and cut, the
// error names what is wrong in the bytes that are there (corrupt data
// before the cut is corrupt, an output over the limit is too large), as
// the decoder reads them in order. Kills the mutants of the truncation
// checks after a block and after the code lengths (negated: a block or the
// code lengths ending in the input's last word taken for a cut; and made
// >=: ending in the input's last byte, with data bits left in it), of the
// stored block's checks (its LEN/NLEN at the very end taken for a cut; a
// stored block that ends the input and goes over the
// limit taken for a cut).
func TestGunzipFirstFaultNamesTheError(t *testing.T) {
	typ3 := func() []byte {
		var w bitWriter
		w.fixedLiterals(false, []byte("ab"))
		w.header3(true, 3)
		return w.flush()
	}()
	badNLEN := func() []byte {
		var w bitWriter
		w.fixedLiterals(false, []byte("ab"))
		w.stored(true, nil)
		b := w.flush()
		b[len(b)-1] ^= 1
		return b
	}()
	overLimit := func() []byte {
		var w bitWriter
		w.stored(true, []byte("0123456789"))
		return w.flush()
	}()
	// The code lengths end 6 bits into their last byte (3 + 14 + 19*3 +
	// 258*4 bits), where one bit of data follows: a 1, which the code of
	// the one literal 'a' (1 bit, code 0) leaves undefined.
	badLastBits := func() []byte {
		lens := make([]uint8, 258)
		lens['a'] = 1
		var w bitWriter
		w.dynamic(true, 257, 1, clen4, plain(lens), lens)
		w.bits(1, 1)
		return w.flush()
	}()
	head := []byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff}
	for _, c := range []struct {
		name  string
		gz    []byte
		limit int
		want  error
	}{
		{"block type 3 in the last byte", append(bytes.Clone(head), typ3...), 1 << 20, inflate.ErrCorrupt},
		{"distance too far in the last bytes", append(bytes.Clone(head), farBlock(1, true)...), 1 << 20, inflate.ErrCorrupt},
		{"undefined code in the last bits after the code lengths", append(bytes.Clone(head), badLastBits...), 1 << 20, inflate.ErrCorrupt},
		{"bad NLEN in the last bytes", append(bytes.Clone(head), badNLEN...), 1 << 20, inflate.ErrCorrupt},
		{"stored block over the limit, ending the input", append(bytes.Clone(head), overLimit...), 9, inflate.ErrTooLarge},
	} {
		t.Run(c.name, func(t *testing.T) {
			var d inflate.Decoder
			if _, err := d.Gunzip(nil, c.gz, c.limit); !errors.Is(err, c.want) {
				t.Fatalf("Gunzip = %v, want %v", err, c.want)
			}
		})
	}
}

// TestGunzipRepeatPastTheLengths: a repeat code (3.2.7, code 18: 11-138
// zeros) that runs past the last code length is corrupt. Kills the mutant
// of the repeat's bound check (the overrun written past the lengths: a
// panic).
func TestGunzipRepeatPastTheLengths(t *testing.T) {
	// Lengths 0-15 in 5 bits, 18 in 2, 16 and 17 in 3: a complete code.
	clen := [19]uint8{5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 3, 3, 2}
	lens := farLens()
	var w bitWriter
	ops := plain(lens[:280])
	ops = append(ops, clenOp{sym: 18, extra: 127, nextra: 7}) // 138 zeros where 8 are left
	w.dynamic(true, 258, 30, clen, ops, lens)
	w.bits(0, 32)
	gz := gzipMember(w.flush(), nil)
	var d inflate.Decoder
	if _, err := d.Gunzip(nil, gz, 1<<20); !errors.Is(err, inflate.ErrCorrupt) {
		t.Fatalf("Gunzip = %v, want inflate.ErrCorrupt", err)
	}
	if _, err := library(gz); err == nil {
		t.Fatal("the library accepts it: the test's stream is wrong")
	}
}

// TestGunzipDistanceOfTheWholeOutput: a match may reach back to the first
// byte of its member's output, in the slow path (no room in dst) as in the
// fast loop. Kills the mutant of the slow path's distance check that
// refuses a distance equal to the output so far.
func TestGunzipDistanceOfTheWholeOutput(t *testing.T) {
	var w bitWriter
	w.header3(true, 1)
	for _, c := range []byte("abc") {
		w.fixedSym(int(c))
	}
	w.fixedMatch(3, 3)
	w.fixedMatch(10, 6)
	w.fixedSym(256)
	data := []byte("abcabcabcabcabca")
	gz := gzipMember(w.flush(), data)
	if want, err := library(gz); err != nil || !bytes.Equal(want, data) {
		t.Fatalf("the library decodes %q, %v: the test's stream is wrong", want, err)
	}
	for _, dst := range [][]byte{nil, make([]byte, 0, 4096)} {
		var d inflate.Decoder
		got, err := d.Gunzip(dst, gz, 1<<20)
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("Gunzip (dst cap %d) = %q, %v; want %q", cap(dst), got, err, data)
		}
	}
}

// TestGunzipDistanceIntoThePreviousMemberFastLoop is
// TestGunzipDistanceIntoThePreviousMember with room in dst and input left,
// so that the bad match is met in the fast loop. Kills the mutants of the
// fast loop's distance check (ARITHMETIC_BASE and INVERT_NEGATIVES: o+from
// instead of o-from lets the match reach into the first member).
func TestGunzipDistanceIntoThePreviousMemberFastLoop(t *testing.T) {
	firstData := bytes.Repeat([]byte("0123456789"), 30)
	first := gzipMember(func() []byte { var w bitWriter; w.stored(true, firstData); return w.flush() }(), firstData)
	var w bitWriter
	w.header3(true, 1)
	for range 20 {
		w.fixedSym('a')
	}
	w.fixedMatch(3, 100) // 100 back: into the first member
	for range 40 {
		w.fixedSym('b')
	}
	w.fixedSym(256)
	// The trailer of what the bytes would be if the match were taken, so
	// that only the distance check can refuse the member.
	taken := append(append(bytes.Repeat([]byte{'a'}, 20), firstData[len(firstData)-80:len(firstData)-77]...), bytes.Repeat([]byte{'b'}, 40)...)
	gz := append(first, gzipMember(w.flush(), taken)...)
	if _, err := library(gz); err == nil {
		t.Fatal("the library accepts it: the test's stream is wrong")
	}
	for _, dst := range [][]byte{nil, make([]byte, 0, 64<<10)} {
		var d inflate.Decoder
		if _, err := d.Gunzip(dst, gz, 64<<20); !errors.Is(err, inflate.ErrCorrupt) {
			t.Fatalf("Gunzip (dst cap %d) = %v, want inflate.ErrCorrupt", cap(dst), err)
		}
	}
}

// storedStream is a member of stored blocks of these sizes, filled with
// bytes that differ from block to block.
func storedStream(sizes ...int) (gz, data []byte) {
	var w bitWriter
	for i, n := range sizes {
		block := make([]byte, n)
		for j := range block {
			block[j] = byte(j*7 + i*13)
		}
		w.stored(i == len(sizes)-1, block)
		data = append(data, block...)
	}
	return gzipMember(w.flush(), data), data
}

// TestGunzipStoredLimitAndRoom: stored blocks, whose whole length is known
// before the copy, are held to the limit exactly (an output of exactly
// limit bytes is accepted, one more is not) and grow a dst that is too
// small to the size they need, and a dst of exactly the output's size is
// used as it is. Kills the mutants of room: exactly the limit refused, the
// limit not checked (the slow path writes a match past the buffer it
// grew), the grown buffer too small for the block (a short copy), and a dst
// of exactly the right size replaced.
func TestGunzipStoredLimitAndRoom(t *testing.T) {
	gz, data := storedStream(1000)
	var d inflate.Decoder
	if got, err := d.Gunzip(nil, gz, len(data)); err != nil || !bytes.Equal(got, data) {
		t.Errorf("at exactly the limit: %d bytes, %v", len(got), err)
	}
	if _, err := d.Gunzip(nil, gz, len(data)-1); !errors.Is(err, inflate.ErrTooLarge) {
		t.Errorf("one byte over the limit: Gunzip = %v, want inflate.ErrTooLarge", err)
	}

	// A run decoded past the limit in the slow path: refused before the
	// buffer grows for it.
	var w bitWriter
	w.header3(true, 1)
	w.fixedSym('a')
	for range 5 {
		w.fixedMatch(258, 1)
	}
	w.fixedSym(256)
	run := gzipMember(w.flush(), bytes.Repeat([]byte{'a'}, 1+5*258))
	if _, err := agree(t, &d, run, 1<<20); err != nil {
		t.Fatalf("the run under a high limit: %v", err)
	}
	if _, err := d.Gunzip(nil, run, 100); !errors.Is(err, inflate.ErrTooLarge) {
		t.Errorf("the run over the limit: Gunzip = %v, want inflate.ErrTooLarge", err)
	}

	// A dst of 33,000 bytes holds the first block; the second needs
	// 32,000 + 65,535 bytes, more than twice the dst.
	gz, data = storedStream(32000, 65535)
	for _, c := range []int{0, 33000, len(data) - 1} {
		got, err := d.Gunzip(make([]byte, 0, c), gz, 1<<20)
		if err != nil || !bytes.Equal(got, data) {
			t.Errorf("dst cap %d: %d bytes, %v; want %d bytes", c, len(got), err, len(data))
		}
	}

	exact := make([]byte, 0, len(data))
	got, err := d.Gunzip(exact, gz, 1<<20)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("dst of exactly the output's size: %d bytes, %v", len(got), err)
	}
	if &got[0] != &exact[:1][0] {
		t.Error("Gunzip replaced a dst of exactly the output's size")
	}
}

// TestGunzipAnyRoom decodes compressed streams into a dst of every size
// around theirs and checks the output and that a dst with room enough is
// used as it is: the fast loop and the slow path share the end of the
// buffer at every offset. With fastRoom too small for the longest match,
// the fast loop writes past the buffer (a mutant of fastRoom).
func TestGunzipAnyRoom(t *testing.T) {
	data := append(bytes.Repeat([]byte{'z'}, 3000), payloadJSON(t, 8)[:3000]...)
	for _, c := range compressors[1:] {
		gz := c.gz(data)
		var d inflate.Decoder
		for room := len(data) - 300; room <= len(data)+600; room++ {
			dst := make([]byte, 0, room)
			got, err := d.Gunzip(dst, gz, 1<<20)
			if err != nil || !bytes.Equal(got, data) {
				t.Fatalf("%s, dst cap %d: %d bytes, %v", c.name, room, len(got), err)
			}
			if room >= len(data) && &got[0] != &dst[:1][0] {
				t.Fatalf("%s, dst cap %d: Gunzip replaced a dst with room for the %d bytes", c.name, room, len(data))
			}
		}
	}
}

// A dynamic block of literals only may define no distance code at all
// (one distance code length, 0): the library decodes it, and so does
// Gunzip, on its own rather than by leaving it to the library.
func TestGunzipEmptyDistanceCode(t *testing.T) {
	var w bitWriter
	lens := make([]uint8, 257+1)
	lens['a'], lens[256] = 1, 1 // 'a' is 0, the end code 1
	c := w.dynamic(true, 257, 1, clen4, plain(lens), lens)
	for range 5 {
		w.sym(c, 'a')
	}
	w.sym(c, 256)
	var d inflate.Decoder
	got, err := agree(t, &d, gzipMember(w.flush(), []byte("aaaaa")), 1<<20)
	if err != nil || string(got) != "aaaaa" {
		t.Fatalf("Gunzip = %q, %v; want \"aaaaa\"", got, err)
	}
}

// TestGunzipEveryShortMatch decodes a match of every length (3-258) at
// every distance of 1-70, each between runs of literals long enough that
// the fast loop decodes it, and compares the output with the library's and
// with a byte-by-byte copy. The fast loop copies a match at a distance of
// 16 or more in 16-byte blocks, each read after the one before it is
// written (two for a length of at most 32, then 32 bytes a step): with a
// distance of 16-31 a block's source is an earlier block's output. Kills a
// copy that reads both blocks of a step first, one that takes a distance
// of 15 or a length of 33 the same way, a step loop that stops a byte
// short, and a bounds check of the blocks that fails at the start of the
// output (inflate.go:634:14 ARITHMETIC_BASE).
func TestGunzipEveryShortMatch(t *testing.T) {
	var lengths []int
	for n := 3; n <= 258; n++ {
		lengths = append(lengths, n)
	}
	for dist := 1; dist <= 70; dist++ {
		var w bitWriter
		w.header3(true, 1)
		var want []byte
		lit := func(k int) {
			for range k {
				c := byte(len(want)*7 + dist)
				w.fixedSym(int(c))
				want = append(want, c)
			}
		}
		// The first match comes as early as its distance allows, the
		// others after 80 literals each.
		lit(dist)
		for _, n := range lengths {
			w.fixedMatch(n, dist)
			for range n {
				want = append(want, want[len(want)-dist])
			}
			lit(80)
		}
		w.fixedSym(256)
		gz := gzipMember(w.flush(), want)
		if lib, err := library(gz); err != nil || !bytes.Equal(lib, want) {
			t.Fatalf("distance %d: the library decodes %d bytes, %v: the test's stream is wrong", dist, len(lib), err)
		}
		var d inflate.Decoder
		got, err := d.Gunzip(nil, gz, 1<<20)
		if err != nil || !bytes.Equal(got, want) {
			i := 0
			for i < min(len(got), len(want)) && got[i] == want[i] {
				i++
			}
			t.Fatalf("distance %d: %d bytes, %v; first difference at byte %d", dist, len(got), err, i)
		}
	}
}
