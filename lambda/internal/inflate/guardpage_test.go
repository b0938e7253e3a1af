//go:build linux

package inflate_test

import (
	"bytes"
	"syscall"
	"testing"

	"github.com/vpcflowlogs/vpc-flow-logs/lambda/internal/inflate"
)

// The fast loop reads the input and writes the output through pointers,
// without bounds checks; its guard alone keeps it within both. Here both
// end where readable and writable memory ends (the next page is neither, so
// a read or write there kills the test binary): every stream of every
// compressor, whole and cut short, into output buffers of every room around
// the data's size, the fast loop's room (fastRoom, 274) included.
func TestGunzipAtPageEnds(t *testing.T) {
	srcEnd, dst := pageEnds(t), pageEnds(t)
	src := func(gz []byte) []byte { s := srcEnd(len(gz)); copy(s, gz); return s }
	var d inflate.Decoder
	for name, data := range inputs(t) {
		for _, c := range compressors {
			gz := c.gz(data)
			// Rooms under the data's size too: the fast loop fills the
			// buffer up to its guard before Gunzip grows it.
			for _, room := range []int{-300, -258, -257, -100, -32, -31, -16, -3, -2, -1, 0, 1, 7, 8, 15, 16, 31, 32, 257, 273, 274, 275, 289, 512} {
				out := dst(max(len(data)+room, 0))[:0]
				got, err := d.Gunzip(out, src(gz), 64<<20)
				if err != nil || !bytes.Equal(got, data) {
					t.Fatalf("%s, %s, room %d: %d bytes, %v", name, c.name, room, len(got), err)
				}
			}
		}
	}
	// Cut short: the fast loop stops at the guard, and the stream fails
	// (or, cut in its trailer's last bytes, the library's check decides).
	data := payloadJSON(t, 5)[:6000]
	for _, c := range compressors {
		gz := c.gz(data)
		for n := range len(gz) {
			d.Gunzip(dst(len(data) + 300)[:0], src(gz[:n]), 64<<20)
		}
	}
}

// FuzzGunzipAtPageEnds is FuzzGunzip with the input and the output at the
// end of mapped memory: any stream, valid or not, into buffers of the room
// the fuzzer picks and of the fast loop's room around it, under the limit it
// picks. FuzzGunzip decodes into nil, whose grown buffer always has room, so
// it never brings a bad stream to the fast loop's output guard; this does.
// A stream Gunzip accepts must be the library's bytes, within the limit
// (agreeInto).
// The seeds (run by every `go test`) are valid streams, one of longest
// matches, and each of them with single bytes of its body flipped.
func FuzzGunzipAtPageEnds(f *testing.F) {
	data := payloadJSON(f, 7)[:3000]
	for _, c := range compressors {
		gz := c.gz(data)
		f.Add(gz, uint16(len(data)), uint16(0))
		for i := 10; i < len(gz)-8; i += 97 {
			bad := bytes.Clone(gz)
			bad[i] ^= 0x5a
			f.Add(bad, uint16(i%600), uint16(0))
		}
		f.Add(c.gz([]byte("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaabababababab")), uint16(300), uint16(5))
		f.Add(c.gz(bytes.Repeat([]byte{'z'}, 3000)), uint16(3000), uint16(0)) // matches of 258
	}
	srcEnd, dstEnd := pageEnds(f), pageEnds(f)
	var d inflate.Decoder
	f.Fuzz(func(t *testing.T, gz []byte, room, limit uint16) {
		if len(gz) > 1<<20 {
			return
		}
		src := srcEnd(len(gz))
		copy(src, gz)
		lim := 1 << 20
		if limit != 0 {
			lim = int(limit)
		}
		for _, r := range []int{int(room), int(room) % 300, 0, 273, 274, 275} { // 274: fastRoom
			agreeInto(t, &d, dstEnd(r)[:0], src, lim)
		}
	})
}

// pageEnds returns a function that returns n bytes at the end of readable
// and writable memory (of capacity n too): the bytes after them are an
// inaccessible page. The memory is unmapped when the test ends.
func pageEnds(t testing.TB) func(n int) []byte {
	page := syscall.Getpagesize()
	size := 1 << 21 // more than any input or output here
	mem, err := syscall.Mmap(-1, 0, size+page, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		t.Fatalf("mmap: %v", err)
	}
	t.Cleanup(func() { syscall.Munmap(mem) })
	if err := syscall.Mprotect(mem[size:], syscall.PROT_NONE); err != nil {
		t.Fatalf("mprotect: %v", err)
	}
	return func(n int) []byte { return mem[size-n : size : size] }
}
