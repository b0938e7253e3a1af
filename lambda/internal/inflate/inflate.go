// Package inflate is a one-shot gzip decoder for the Lambda functions' hot
// path: the whole compressed payload is in memory and so is the whole
// output, so it decodes DEFLATE (RFC 1951) straight into one flat buffer,
// where a back-reference is a copy within that buffer, instead of through
// the 32 KiB sliding window and the io.Reader of a streaming decoder.
//
// It is a fast path with a fallback, not a replacement: Gunzip either
// returns exactly the bytes github.com/klauspost/compress/gzip would return
// for the same input, or an error, and then the caller decodes the input
// again with that library, which decides what is wrong with it. Inputs the
// fast path does not handle (a header CRC, a bad member, corrupt data, a
// truncated stream, an output over the limit) all end in an error, so a
// success here never accepts what the library would refuse: the
// differential test and fuzz target in this package check exactly that.
//
// Formats: RFC 1952 (gzip, several members read as one stream, as gzip(1)
// and the library do) and RFC 1951 (DEFLATE).
// https://www.rfc-editor.org/rfc/rfc1951, https://www.rfc-editor.org/rfc/rfc1952
package inflate

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"math"
	"math/bits"
	"unsafe"
)

// Errors returned by Gunzip. The caller treats every one as "decode it with
// the library instead"; they are distinct so tests can tell why.
var (
	ErrHeader    = errors.New("inflate: not a gzip member this decoder handles")
	ErrCorrupt   = errors.New("inflate: corrupt DEFLATE data")
	ErrTruncated = errors.New("inflate: truncated input")
	ErrChecksum  = errors.New("inflate: gzip trailer does not match the data")
	ErrTooLarge  = errors.New("inflate: output over the limit")
)

// Table layout. An entry is a uint32:
//
//	bits 0-5    bits to consume (the code's length; the root bits for a
//	            pointer to a subtable): e&63, a shift count as it is
//	bits 6-8    kind
//	bits 9-15   extra bits that follow (lengths, distances) or the
//	            subtable's index bits
//	bits 16-31  value: the literal byte, the length or distance base, or
//	            the subtable's offset
const (
	kindLiteral = iota << 6
	kindLength  // also a distance, in the distance table
	kindEnd
	kindSub
	kindInvalid

	kindMask = 7 << 6

	litRootBits  = 10
	distRootBits = 8
	maxCodeLen   = 15

	// fastRoom is the output room the fast loop keeps: a longest match (258)
	// and 16 bytes; its block copies write up to 31 past a match (fastCodes).
	fastRoom = 258 + 16

	// maxHeaderString is the longest file name or comment of a gzip
	// header the library reads, its terminating zero included
	// (klauspost/compress/gzip's readString).
	maxHeaderString = 512
)

func entry(kind, n, extra, value uint32) uint32 {
	return n | kind | extra<<9 | value<<16
}

// RFC 1951 3.2.5: length codes 257-285 and distance codes 0-29.
var (
	lengthBase  = [29]uint16{3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258}
	lengthExtra = [29]uint8{0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0}
	distBase    = [30]uint16{1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577}
	distExtra   = [30]uint8{0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13}
	// The order in which code length code lengths are sent (3.2.7).
	clenOrder = [19]uint8{16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15}
)

// Symbol entries without their bit count, by symbol: what a code decodes to.
var litSyms, distSyms, clenSyms [288]uint32

func init() {
	for s := range 256 {
		litSyms[s] = entry(kindLiteral, 0, 0, uint32(s))
	}
	litSyms[256] = entry(kindEnd, 0, 0, 0)
	for s := 257; s < 286; s++ {
		litSyms[s] = entry(kindLength, 0, uint32(lengthExtra[s-257]), uint32(lengthBase[s-257]))
	}
	// 286 and 287 take part in the fixed code but never occur in valid data.
	litSyms[286], litSyms[287] = entry(kindInvalid, 0, 0, 0), entry(kindInvalid, 0, 0, 0)
	for s := range 30 {
		distSyms[s] = entry(kindLength, 0, uint32(distExtra[s]), uint32(distBase[s]))
	}
	distSyms[30], distSyms[31] = entry(kindInvalid, 0, 0, 0), entry(kindInvalid, 0, 0, 0)
	for s := range 19 {
		clenSyms[s] = entry(kindLiteral, 0, 0, uint32(s))
	}
}

// Decoder holds the decode tables between calls, so that a warm decoder
// allocates nothing beyond the output. The zero value is ready to use; a
// Decoder must not be used by several goroutines at once.
type Decoder struct {
	lit, dist, clen table
	lens            [286 + 30]uint8

	// fixed tables, built on first use
	fixedLit, fixedDist table
}

// table is a decode table: a root table of 1<<root entries, then
// subtables of 1<<sub entries for the codes longer than root.
type table struct {
	e    []uint32
	root uint
	mask uint64
}

// build fills t with the decode table of the canonical Huffman code whose
// code lengths by symbol are lens, where syms gives each symbol's entry. It
// refuses what Go's and the library's decoders refuse: an over-subscribed
// or incomplete code, except a code of one symbol of one bit, and accepts
// a code with no symbols (using it is an error).
func (t *table) build(lens []uint8, syms []uint32, root uint) bool {
	var count [maxCodeLen + 1]int
	maxLen := 0
	for _, l := range lens {
		count[l]++
		if int(l) > maxLen {
			maxLen = int(l)
		}
	}
	count[0] = 0
	code, used := 0, 0
	var next [maxCodeLen + 2]int
	for l := 1; l <= maxCodeLen; l++ {
		code <<= 1
		next[l] = code
		code += count[l]
		used += count[l]
	}
	if maxLen > 0 && code != 1<<maxCodeLen && !(used == 1 && maxLen == 1) {
		return false // no symbols at all is accepted: every entry stays invalid
	}
	sub := uint(0)
	if uint(maxLen) > root {
		sub = uint(maxLen) - root
	}
	t.reset(root)
	invalid := entry(kindInvalid, 0, 0, 0)
	for i := range t.e {
		t.e[i] = invalid
	}
	// subOf maps a root index to its subtable offset (0: none yet).
	var subOf [1 << litRootBits]uint16
	for s, l := range lens {
		if l == 0 {
			continue
		}
		c := next[l]
		next[l]++
		rev := int(bits.Reverse16(uint16(c)) >> (16 - l))
		if uint(l) <= root {
			e := syms[s] | uint32(l)
			for i := rev; i < 1<<root; i += 1 << l {
				t.e[i] = e
			}
			continue
		}
		idx := rev & (1<<root - 1)
		off := int(subOf[idx])
		if off == 0 {
			off = len(t.e)
			for range 1 << sub {
				t.e = append(t.e, invalid)
			}
			subOf[idx] = uint16(off)
			t.e[idx] = entry(kindSub, uint32(root), uint32(sub), uint32(off))
		}
		rest := uint(l) - root
		e := syms[s] | uint32(rest)
		for i := rev >> root; i < 1<<sub; i += 1 << rest {
			t.e[off+i] = e
		}
	}
	return true
}

func (t *table) reset(root uint) {
	n := 1 << root
	if cap(t.e) < n {
		t.e = make([]uint32, n, n+512)
	}
	t.e = t.e[:n]
	t.root = root
	t.mask = 1<<root - 1
}

// bitReader reads DEFLATE's LSB-first bit stream from src. Past the end of
// src it reads zero bytes, counting them in over; a stream that needs them
// is truncated (checked when a block ends and when over grows too far).
type bitReader struct {
	src   []byte
	in    int    // next byte of src to load
	buf   uint64 // bits not consumed yet, next bit lowest
	nbits uint   // valid bits in buf
	over  int    // zero bytes loaded past the end of src
}

// refill loads bytes until at least 56 bits are valid.
func (br *bitReader) refill() {
	if br.in+8 <= len(br.src) {
		br.buf |= binary.LittleEndian.Uint64(br.src[br.in:]) << br.nbits
		k := (63 - br.nbits) >> 3
		br.in += int(k)
		br.nbits += k << 3
		return
	}
	for br.nbits <= 56 {
		if br.in < len(br.src) {
			br.buf |= uint64(br.src[br.in]) << br.nbits
			br.in++
		} else {
			br.over++
		}
		br.nbits += 8
	}
}

func (br *bitReader) bits(n uint) uint64 { return br.buf & (1<<n - 1) }

func (br *bitReader) consume(n uint) {
	br.buf >>= n
	br.nbits -= n
}

// pos is the index in src of the first byte not fully consumed, once the
// reader is aligned to a byte; it may exceed len(src) after over-reading.
func (br *bitReader) pos() int { return br.in + br.over - int(br.nbits>>3) }

// decode returns the next symbol's entry in t (a leaf: literal, length,
// end, or invalid) and consumes its bits. It needs 15 valid bits.
func (br *bitReader) decode(t *table) uint32 {
	e := t.e[br.buf&t.mask]
	if e&kindMask == kindSub {
		br.consume(t.root)
		e = t.e[uint64(e>>16)+br.bits(uint(e>>9&0x7f))]
	}
	br.consume(uint(e & 63))
	return e
}

// Gunzip decompresses the gzip stream src into dst[:0] (grown as needed)
// and returns it. It fails with one of the package's errors on anything it
// does not decode exactly as the library would, including an output longer
// than limit bytes.
func (d *Decoder) Gunzip(dst, src []byte, limit int) ([]byte, error) {
	limit = min(limit, math.MaxInt-fastRoom) // room adds fastRoom to it
	out := dst[:cap(dst)]
	o := 0
	pos := 0
	for {
		start, err := gzipHeader(src, pos)
		if err != nil {
			return out[:0], err
		}
		br := bitReader{src: src, in: start}
		from := o
		var sum32 uint32
		if out, o, sum32, err = d.inflate(&br, out, o, limit); err != nil {
			return out[:0], err
		}
		end := br.pos()
		if end+8 > len(src) {
			return out[:0], ErrTruncated
		}
		sum := binary.LittleEndian.Uint32(src[end:])
		size := binary.LittleEndian.Uint32(src[end+4:])
		if sum32 != sum || uint32(o-from) != size {
			return out[:0], ErrChecksum
		}
		pos = end + 8
		if pos == len(src) {
			return out[:o], nil
		}
	}
}

// gzipHeader returns where the DEFLATE data of the member at src[pos:]
// starts (RFC 1952 2.3).
func gzipHeader(src []byte, pos int) (int, error) {
	const (
		fextra   = 1 << 2
		fname    = 1 << 3
		fcomment = 1 << 4
	)
	h := src[pos:]
	if len(h) < 10 || h[0] != 0x1f || h[1] != 0x8b || h[2] != 8 {
		return 0, ErrHeader
	}
	flg := h[3]
	if flg&^(fextra|fname|fcomment) != 0 { // FHCRC and reserved bits: the library's call
		return 0, ErrHeader
	}
	i := 10
	if flg&fextra != 0 {
		if len(h) < i+2 {
			return 0, ErrHeader
		}
		if i += 2 + int(binary.LittleEndian.Uint16(h[i:])); i > len(h) {
			return 0, ErrHeader
		}
	}
	for _, f := range []byte{fname, fcomment} {
		if flg&f == 0 {
			continue
		}
		// The library reads each into a 512-byte buffer and refuses a
		// longer one: at most 511 bytes and the terminating zero.
		n := bytes.IndexByte(h[i:min(i+maxHeaderString, len(h))], 0)
		if n < 0 {
			return 0, ErrHeader
		}
		i += n + 1
	}
	return pos + i, nil
}

// inflate decodes one DEFLATE stream from br into out[o:], growing out up
// to limit bytes, and returns the buffer and the new end. Distances may
// only refer back to this stream's own output, which starts at o on entry
// (each gzip member is a stream of its own).
//
// It also returns the CRC-32 of the output, computed block by block while
// the block's output is still in the cache.
func (d *Decoder) inflate(br *bitReader, out []byte, o, limit int) ([]byte, int, uint32, error) {
	from := o
	var sum uint32
	for {
		blockStart := o
		br.refill()
		final := br.bits(1)
		typ := br.buf >> 1 & 3
		br.consume(3)
		var err error
		switch typ {
		case 0:
			out, o, err = stored(br, out, o, limit)
		case 1:
			if d.fixedLit.e == nil {
				d.buildFixed()
			}
			out, o, err = d.codes(br, &d.fixedLit, &d.fixedDist, out, o, from, limit)
		case 2:
			if err = d.dynamic(br); err == nil {
				out, o, err = d.codes(br, &d.lit, &d.dist, out, o, from, limit)
			}
		default:
			err = ErrCorrupt
		}
		if err != nil {
			return out, o, 0, err
		}
		sum = crc32.Update(sum, crc32.IEEETable, out[blockStart:o])
		// The fast loop fills the buffer it has, which may run past the
		// limit by up to a block; room refuses to grow it further.
		if o > limit {
			return out, o, 0, ErrTooLarge
		}
		if br.over > 0 && br.pos() > len(br.src) {
			return out, o, 0, ErrTruncated
		}
		if final == 1 {
			// The trailer starts at the next byte boundary.
			br.consume(br.nbits & 7)
			return out, o, sum, nil
		}
	}
}

// stored copies a stored block (3.2.4).
func stored(br *bitReader, out []byte, o, limit int) ([]byte, int, error) {
	br.consume(br.nbits & 7)
	p := br.pos()
	if p+4 > len(br.src) {
		return out, o, ErrTruncated
	}
	n := int(binary.LittleEndian.Uint16(br.src[p:]))
	if uint16(n) != ^binary.LittleEndian.Uint16(br.src[p+2:]) {
		return out, o, ErrCorrupt
	}
	p += 4
	if p+n > len(br.src) {
		return out, o, ErrTruncated
	}
	var err error
	if out, err = room(out, o, n, limit); err != nil {
		return out, o, err
	}
	o += copy(out[o:], br.src[p:p+n])
	*br = bitReader{src: br.src, in: p + n}
	return out, o, nil
}

// room grows out so that n more bytes fit after o, within limit.
func room(out []byte, o, n, limit int) ([]byte, error) {
	if o+n <= len(out) {
		return out, nil
	}
	if o+n > limit {
		return out, ErrTooLarge
	}
	size := max(2*len(out), o+n+fastRoom, 64<<10)
	size = min(size, limit+fastRoom)
	grown := make([]byte, size)
	copy(grown, out[:o])
	return grown, nil
}

func (d *Decoder) buildFixed() {
	var lens [288]uint8
	for i := range lens {
		switch {
		case i < 144:
			lens[i] = 8
		case i < 256:
			lens[i] = 9
		case i < 280:
			lens[i] = 7
		default:
			lens[i] = 8
		}
	}
	d.fixedLit.build(lens[:], litSyms[:], litRootBits)
	for i := range 32 {
		lens[i] = 5
	}
	d.fixedDist.build(lens[:32], distSyms[:], distRootBits)
}

// dynamic reads a dynamic block's code definitions (3.2.7) into d.lit and
// d.dist.
func (d *Decoder) dynamic(br *bitReader) error {
	br.refill()
	nlit := int(br.bits(5)) + 257
	ndist := int(br.buf>>5&31) + 1
	nclen := int(br.buf>>10&15) + 4
	br.consume(14)
	if nlit > 286 || ndist > 30 {
		return ErrCorrupt
	}
	var clens [19]uint8
	for i := range nclen {
		if br.nbits < 3 {
			br.refill()
		}
		clens[clenOrder[i]] = uint8(br.bits(3))
		br.consume(3)
	}
	if !d.clen.build(clens[:], clenSyms[:], 7) {
		return ErrCorrupt
	}
	lens := d.lens[:nlit+ndist]
	for i := 0; i < len(lens); {
		br.refill()
		e := br.decode(&d.clen)
		if e&kindMask == kindInvalid {
			return ErrCorrupt
		}
		sym := e >> 16
		if sym < 16 {
			lens[i] = uint8(sym)
			i++
			continue
		}
		var rep int
		var val uint8
		switch sym {
		case 16:
			if i == 0 {
				return ErrCorrupt
			}
			val = lens[i-1]
			rep = 3 + int(br.bits(2))
			br.consume(2)
		case 17:
			rep = 3 + int(br.bits(3))
			br.consume(3)
		default:
			rep = 11 + int(br.bits(7))
			br.consume(7)
		}
		if i+rep > len(lens) {
			return ErrCorrupt
		}
		for range rep {
			lens[i] = val
			i++
		}
	}
	if br.over > 0 && br.pos() > len(br.src) {
		return ErrTruncated
	}
	if !d.lit.build(lens[:nlit], litSyms[:], litRootBits) || !d.dist.build(lens[nlit:], distSyms[:], distRootBits) {
		return ErrCorrupt
	}
	return nil
}

// codes decodes a compressed block's symbols with the tables lit and dist
// until its end-of-block code: fastCodes while the input has whole words
// and the output room for the longest match, slowSymbol for one symbol
// otherwise.
func (d *Decoder) codes(br *bitReader, lit, dist *table, out []byte, o, from, limit int) ([]byte, int, error) {
	for {
		var st fastStatus
		switch o, st = fastCodes(br, lit, dist, out, o, from); st {
		case fastEnd:
			return out, o, nil
		case fastCorrupt:
			return out, o, ErrCorrupt
		}
		// Near the end of the input or of the output buffer.
		var err error
		var done bool
		if out, o, done, err = d.slowSymbol(br, lit, dist, out, o, from, limit); err != nil || done {
			return out, o, err
		}
	}
}

// fastStatus is how fastCodes stopped.
type fastStatus int

const (
	fastEnd     fastStatus = iota // at the end-of-block code
	fastCorrupt                   // at data no valid stream has
	fastNear                      // near the end of the input or of out
)

// fastCodes is the fast loop of codes: whole words of input and room for
// the longest match with its block-copy overrun, so no check but the
// data's own. The bit reader lives in locals: kept in registers, not
// memory. The loop makes no call: Go keeps no register across a call, so
// that a call anywhere in the loop, however rare, had the bit reader and
// the positions stored to the stack and loaded back around it (a match at
// a distance under 16 is copied here too, byte by byte). It
// returns the output position and why it stopped, with br updated.
//
// It reads and writes through pointers, without Go's bounds checks: the
// loop's guard keeps a whole word of input at in and fastRoom bytes of
// output at o, every table index is a root index masked to the root's
// size (the casts below check the roots' lengths once) or a subtable
// entry's offset plus an index of its size, both from build, and a match
// reaches back at most to from (checked). Each bounds check kept the
// length it checks against live, and the loop has more values than
// amd64 has registers: most of what it spent was stores of them to the
// stack and loads back.
//
// Shift counts are masked to what they can be (extra or index bits are at
// most 13): Go checks every shift by a count it cannot bound, except one
// masked with 63, which amd64 and arm64 shifts do themselves. So a symbol's
// bits are consumed as e&63, a shift and a subtraction, and nbits counts
// bits modulo 64: nbits -= e subtracts the entry's other fields from the
// bits above the sixth, which no use reads (the refill reads nbits&63 and
// nbits>>3&7, and the reader gets nbits&63 back). br.nbits is below 64 on
// entry, as the refill needs (refill's byte loop can reach 64, but every
// caller consumes a bit or more after its refill).
func fastCodes(br *bitReader, lit, dist *table, out []byte, o, from int) (int, fastStatus) {
	_ = (*[1 << litRootBits]uint32)(lit.e) // the roots' lengths, checked
	_ = (*[1 << distRootBits]uint32)(dist.e)
	litE, distE := unsafe.Pointer(unsafe.SliceData(lit.e)), unsafe.Pointer(unsafe.SliceData(dist.e))
	src, dst := unsafe.Pointer(unsafe.SliceData(br.src)), unsafe.Pointer(unsafe.SliceData(out))
	// The guard: a whole word of input at in, room for the longest match
	// at o.
	inEnd, oEnd := len(br.src)-8, len(out)-fastRoom
	buf, nbits, in := br.buf, br.nbits, br.in
	at := func(t unsafe.Pointer, i uint64) uint32 { return *(*uint32)(unsafe.Add(t, i*4)) }
	word := func(i int) uint64 { return binary.LittleEndian.Uint64((*[8]byte)(unsafe.Add(src, i))[:]) }
	for in <= inEnd && o <= oEnd {
		// Refill to at least 56 bits, as bitReader.refill: the bytes
		// that fit whole, 7-nbits/8 of them, to nbits%8+56 bits.
		buf |= word(in) << (nbits & 63)
		in += int(7 - nbits>>3&7)
		nbits |= 56
		e := at(litE, buf&(1<<litRootBits-1))
	symbol:
		if e&kindMask == kindSub {
			buf >>= litRootBits
			nbits -= litRootBits
			e = at(litE, uint64(e>>16)+buf&(1<<(e>>9&31)-1))
		}
		buf >>= e & 63
		nbits -= uint(e)
		switch e & kindMask {
		case kindLiteral:
			*(*byte)(unsafe.Add(dst, o)) = byte(e >> 16)
			o++
			// Up to two more literals, unrolled (a loop measured up to 7%
			// slower), without a refill: at least 41 bits are left, a
			// root code takes at most 10, the next look-up needs 10.
			// fastRoom covers the three.
			e = at(litE, buf&(1<<litRootBits-1))
			if e&kindMask == kindLiteral {
				buf >>= e & 63
				nbits -= uint(e)
				*(*byte)(unsafe.Add(dst, o)) = byte(e >> 16)
				o++
				e = at(litE, buf&(1<<litRootBits-1))
				if e&kindMask == kindLiteral {
					buf >>= e & 63
					nbits -= uint(e)
					*(*byte)(unsafe.Add(dst, o)) = byte(e >> 16)
					o++
					e = at(litE, buf&(1<<litRootBits-1))
				}
			}
			// e is the next symbol's entry, not consumed: a refill only
			// adds bits above the ones it was looked up with.
			if in > inEnd || o > oEnd {
				continue // the loop's condition sends it to the slow path
			}
			buf |= word(in) << (nbits & 63)
			in += int(7 - nbits>>3&7)
			nbits |= 56
			goto symbol
		case kindLength:
		case kindEnd:
			br.buf, br.nbits, br.in = buf, nbits&63, in
			return o, fastEnd
		default:
			br.buf, br.nbits, br.in = buf, nbits&63, in
			return o, fastCorrupt
		}
		// At least 41 bits left: length extra (5), distance code (15)
		// and its extra bits (13).
		x := e >> 9 & 31
		n := int(e>>16) + int(buf&(1<<x-1))
		buf >>= x
		nbits -= uint(x)
		de := at(distE, buf&(1<<distRootBits-1))
		if de&kindMask == kindSub {
			buf >>= distRootBits
			nbits -= distRootBits
			de = at(distE, uint64(de>>16)+buf&(1<<(de>>9&31)-1))
		}
		buf >>= de & 63
		nbits -= uint(de)
		if de&kindMask != kindLength {
			br.buf, br.nbits, br.in = buf, nbits&63, in
			return o, fastCorrupt
		}
		x = de >> 9 & 31
		dd := int(de>>16) + int(buf&(1<<x-1))
		buf >>= x
		nbits -= uint(x)
		if dd > o-from {
			br.buf, br.nbits, br.in = buf, nbits&63, in
			return o, fastCorrupt
		}
		if in > inEnd || o+n > oEnd {
			// Near the end: exactly the match's bytes, one at a time;
			// the loop's condition then sends the next symbol to the
			// slow path.
			o = copyBack(out, o, dd, n)
			continue
		}
		// Refill and look the next symbol up before the copy, so that
		// the table load overlaps it.
		buf |= word(in) << (nbits & 63)
		in += int(7 - nbits>>3&7)
		nbits |= 56
		e = at(litE, buf&(1<<litRootBits-1))
		s := unsafe.Add(dst, o-dd)
		d := unsafe.Add(dst, o)
		o += n
		if dd >= 16 && n <= 32 {
			// The usual match of a flow-log payload (a JSON key or a
			// value's first digits, from far back), copied here, and
			// without a branch on its length: two
			// 16-byte blocks, each one move of 16 bytes. The second is
			// read after the first is written, so that with dd < 32 it
			// copies the first one's output (TestGunzipEveryShortMatch).
			// Up to 29 bytes past the match are written, within the
			// fastRoom checked above; every byte read is within from and o+31.
			*(*[16]byte)(d) = *(*[16]byte)(s)
			*(*[16]byte)(unsafe.Add(d, 16)) = *(*[16]byte)(unsafe.Add(s, 16))
			goto symbol
		}
		if dd >= 16 {
			// A longer match (a record's run of keys and values
			// from the previous one): 32 bytes a step, as above,
			// each block read after the one before it is written.
			// Up to 31 bytes past the match are written, within
			// the fastRoom checked above.
			for i := 0; i < n; i += 32 {
				*(*[16]byte)(unsafe.Add(d, i)) = *(*[16]byte)(unsafe.Add(s, i))
				*(*[16]byte)(unsafe.Add(d, i+16)) = *(*[16]byte)(unsafe.Add(s, i+16))
			}
			goto symbol
		}
		// A distance under 16 (a byte or a short pattern repeated, rare
		// in flow logs): a byte at a time.
		for i := range n {
			*(*byte)(unsafe.Add(d, i)) = *(*byte)(unsafe.Add(s, i))
		}
		goto symbol
	}
	br.buf, br.nbits, br.in = buf, nbits&63, in
	return o, fastNear
}

// slowSymbol decodes one symbol with every check, growing out as needed.
func (d *Decoder) slowSymbol(br *bitReader, lit, dist *table, out []byte, o, from, limit int) ([]byte, int, bool, error) {
	br.refill()
	if br.over > 8 {
		return out, o, false, ErrTruncated
	}
	e := br.decode(lit)
	switch e & kindMask {
	case kindLiteral:
		var err error
		if out, err = room(out, o, 1, limit); err != nil {
			return out, o, false, err
		}
		out[o] = byte(e >> 16)
		return out, o + 1, false, nil
	case kindEnd:
		return out, o, true, nil
	case kindLength:
	default:
		return out, o, false, ErrCorrupt
	}
	n := int(e>>16) + int(br.bits(uint(e>>9&0x7f)))
	br.consume(uint(e >> 9 & 0x7f))
	de := br.decode(dist)
	if de&kindMask != kindLength {
		return out, o, false, ErrCorrupt
	}
	dd := int(de>>16) + int(br.bits(uint(de>>9&0x7f)))
	br.consume(uint(de >> 9 & 0x7f))
	if dd > o-from {
		return out, o, false, ErrCorrupt
	}
	var err error
	if out, err = room(out, o, n, limit); err != nil {
		return out, o, false, err
	}
	return out, copyBack(out, o, dd, n), false, nil
}

// copyBack copies the n bytes from dd back to out[o:] a byte at a time, so
// that a distance shorter than the length repeats them, and returns the new
// end. It is inlined: fastCodes' loop stays without a call.
func copyBack(out []byte, o, dd, n int) int {
	for k := range n {
		out[o+k] = out[o+k-dd]
	}
	return o + n
}
