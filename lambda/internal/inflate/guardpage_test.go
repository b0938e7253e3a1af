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

// pageEnds returns a function that returns n bytes at the end of readable
// and writable memory (of capacity n too): the bytes after them are an
// inaccessible page. The memory is unmapped when the test ends.
func pageEnds(t *testing.T) func(n int) []byte {
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
