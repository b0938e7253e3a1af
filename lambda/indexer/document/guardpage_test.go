//go:build linux

package document

import (
	"strings"
	"syscall"
	"testing"
	"unsafe"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/flowlog"
)

// appendDigitString reads an id through pointers, without bounds checks,
// but never past its end: an id that ends where readable memory ends (the
// next page is unreadable, so a read there kills the test binary) of every
// length from 1 to 80 makes the document it makes anywhere else.
func TestAppendIDAtPageEnd(t *testing.T) {
	mem := guardedPage(t, false)
	pageSize := len(mem)
	e := mustEncoder(t, flowlog.V2Fields())
	p := flowlog.NewParser(flowlog.V2Fields())
	line := "2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK"
	buf := make([]byte, 0, 4096) // room for the usual path (appendHeadUsual)
	for n := 1; n <= 80; n++ {
		id := strings.Repeat("31953106", 10)[:n]
		copy(mem[pageSize-n:pageSize], id)
		m := testMeta
		m.ID = unsafe.String(&mem[pageSize-n], n)
		got, _, ok := e.AppendLine(nil, p, line, m)
		usual, _, uok := e.AppendLine(buf, p, line, m) // the timestamp is cached now
		m.ID = id
		want, _, _ := e.AppendLine(nil, p, line, m)
		if !ok || !uok || string(got) != string(want) || string(usual) != string(want) {
			t.Fatalf("id of %d digits at a page end: %q, %v; with room %q, %v; elsewhere %q", n, got, ok, usual, uok, want)
		}
	}
	// And at a page start, after an unreadable page: the usual path reads
	// an id of 8 bytes or more in words from its first byte, and leaves a
	// shorter one to appendHead.
	start := guardedPage(t, true)
	for n := 1; n <= 80; n++ {
		id := strings.Repeat("31953106", 10)[:n]
		copy(start, id)
		m := testMeta
		m.ID = unsafe.String(&start[0], n)
		e.AppendLine(nil, p, line, m)
		got, _, ok := e.AppendLine(buf, p, line, m)
		m.ID = id
		want, _, _ := e.AppendLine(nil, p, line, m)
		if !ok || string(got) != string(want) {
			t.Fatalf("id of %d digits at a page start: %q, %v; elsewhere %q", n, got, ok, want)
		}
	}
}

// The usual paths (appendHeadUsual, appendFootUsual) write moves of 64 and
// 96 bytes past the text they copy, into dst's spare capacity, which they
// check first: into buffers whose capacity ends where writable memory
// ends, with every room up to 200 bytes more than the document, the
// document is the one a buffer with room gets (a write past the capacity
// kills the test binary).
func TestAppendLineIntoBufferAtPageEnd(t *testing.T) {
	mem := guardedPage(t, false)
	pageSize := len(mem)
	e := mustEncoder(t, flowlog.V2Fields())
	p := flowlog.NewParser(flowlog.V2Fields())
	line := "2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK"
	want, _, ok := e.AppendLine(make([]byte, 0, 4096), p, line, testMeta)
	if !ok {
		t.Fatal("AppendLine refused the line")
	}
	// After 40 bytes already in the buffer, with room from none to 200
	// bytes more than the document (the action line's checks, then the
	// fields' and the source line end's).
	const before = 40
	for room := 0; room <= len(want)+200; room++ {
		dst := mem[pageSize-room-before : pageSize-room : pageSize]
		got, _, ok := e.AppendLine(dst, p, line, testMeta)
		if !ok || string(got[before:]) != string(want) {
			t.Fatalf("into a buffer with %d bytes of room at a page end: %q, %v; want %q", room, got, ok, want)
		}
	}
}

// guardedPage returns a readable and writable page next to one that is
// neither, after it, or before it when before is set: a read or write past
// the page's end (or its start) kills the test binary. It is unmapped when
// the test ends.
func guardedPage(t *testing.T, before bool) []byte {
	pageSize := syscall.Getpagesize()
	mem, err := syscall.Mmap(-1, 0, 2*pageSize, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		t.Fatalf("mmap: %v", err)
	}
	t.Cleanup(func() { syscall.Munmap(mem) })
	guard, page := mem[pageSize:], mem[:pageSize:pageSize]
	if before {
		guard, page = mem[:pageSize], mem[pageSize:]
	}
	if err := syscall.Mprotect(guard, syscall.PROT_NONE); err != nil {
		t.Fatalf("mprotect: %v", err)
	}
	return page
}
