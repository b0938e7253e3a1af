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
	pageSize := syscall.Getpagesize()
	mem, err := syscall.Mmap(-1, 0, 2*pageSize, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		t.Fatalf("mmap: %v", err)
	}
	defer syscall.Munmap(mem)
	if err := syscall.Mprotect(mem[pageSize:], syscall.PROT_NONE); err != nil {
		t.Fatalf("mprotect: %v", err)
	}
	e := mustEncoder(t, flowlog.V2Fields())
	p := flowlog.NewParser(flowlog.V2Fields())
	line := "2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK"
	for n := 1; n <= 80; n++ {
		id := strings.Repeat("31953106", 10)[:n]
		copy(mem[pageSize-n:pageSize], id)
		m := testMeta
		m.ID = unsafe.String(&mem[pageSize-n], n)
		got, _, ok := e.AppendLine(nil, p, line, m)
		m.ID = id
		want, _, _ := e.AppendLine(nil, p, line, m)
		if !ok || string(got) != string(want) {
			t.Fatalf("id of %d digits at a page end: %q, %v; elsewhere %q", n, got, ok, want)
		}
	}
}
