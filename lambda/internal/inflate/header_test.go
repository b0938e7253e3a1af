package inflate_test

import (
	"bytes"
	stdgzip "compress/gzip"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/vpcflowlogs/vpc-flow-logs/lambda/internal/inflate"
)

// gzipNamed is data compressed with a header file name and comment.
func gzipNamed(t *testing.T, data, name, comment string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := stdgzip.NewWriter(&buf)
	zw.Name, zw.Comment = name, comment
	zw.Write([]byte(data))
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// The library reads a header's file name and comment into 512 bytes, the
// terminating zero included, and refuses longer ones: so does Gunzip, in
// the first member and in a later one (found by review: Gunzip took any
// length).
func TestGunzipHeaderStringsUpTo511Bytes(t *testing.T) {
	for _, c := range []struct {
		name, comment string
		ok            bool
	}{
		{strings.Repeat("n", 511), "", true},
		{"", strings.Repeat("c", 511), true},
		{strings.Repeat("n", 511), strings.Repeat("c", 511), true},
		{strings.Repeat("n", 512), "", false},
		{"", strings.Repeat("c", 512), false},
		{strings.Repeat("n", 2000), "", false},
	} {
		for _, second := range []bool{false, true} {
			gz := gzipNamed(t, "hello", c.name, c.comment)
			want := "hello"
			if second {
				gz = append(gzipNamed(t, "first ", "", ""), gz...)
				want = "first hello"
			}
			var d inflate.Decoder
			got, err := d.Gunzip(nil, gz, 1<<20)
			_, lerr := library(gz)
			if (lerr == nil) != c.ok {
				t.Fatalf("name %d, comment %d bytes: the library says %v: the test's expectation is wrong", len(c.name), len(c.comment), lerr)
			}
			switch {
			case c.ok && (err != nil || string(got) != want):
				t.Errorf("name %d, comment %d bytes, second member %v: Gunzip = %q, %v; want %q", len(c.name), len(c.comment), second, got, err, want)
			case !c.ok && !errors.Is(err, inflate.ErrHeader):
				t.Errorf("name %d, comment %d bytes, second member %v: Gunzip = %q, %v; want ErrHeader", len(c.name), len(c.comment), second, got, err)
			}
		}
	}
}

// An extra field longer than the input is a header error, not a panic.
func TestGunzipExtraFieldPastTheEnd(t *testing.T) {
	gz := []byte{0x1f, 0x8b, 8, 1 << 2, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 'x'}
	for _, flags := range []byte{1 << 2, 1<<2 | 1<<3, 1<<2 | 1<<4} {
		gz[3] = flags
		var d inflate.Decoder
		if _, err := d.Gunzip(nil, gz, 1<<20); !errors.Is(err, inflate.ErrHeader) {
			t.Errorf("flags %#x: Gunzip = %v, want ErrHeader", flags, err)
		}
	}
}

// A limit near the largest int does not overflow the buffer's size
// (found by review: it made make panic).
func TestGunzipLimitNearMaxInt(t *testing.T) {
	gz := gzipNamed(t, "hello", "", "")
	for _, limit := range []int{math.MaxInt, math.MaxInt - 1, math.MaxInt - 300} {
		var d inflate.Decoder
		if got, err := d.Gunzip(nil, gz, limit); err != nil || string(got) != "hello" {
			t.Errorf("limit %d: Gunzip = %q, %v", limit, got, err)
		}
	}
}

// A reused buffer with room beyond the limit and stale bytes in it: the
// limit still holds (the fast loop may fill the room, the block's end
// checks it) and nothing stale shows through.
func TestGunzipReusedBufferLargerThanTheLimit(t *testing.T) {
	data := payloadJSON(t, 21)
	gz := klauspost(6)(data)
	stale := bytes.Repeat([]byte{'#'}, 3*len(data))
	var d inflate.Decoder
	if _, err := d.Gunzip(stale[:0], gz, len(data)-1); !errors.Is(err, inflate.ErrTooLarge) {
		t.Fatalf("over the limit by one byte: Gunzip = %v, want ErrTooLarge", err)
	}
	got, err := d.Gunzip(stale[:0], gz, len(data))
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("at the limit: Gunzip = %d bytes, %v; want the %d bytes", len(got), err, len(data))
	}
}
