package inflate_test

import (
	"bytes"
	"io"
	"testing"

	"github.com/klauspost/compress/gzip"

	"github.com/vpcflowlogs/vpc-flow-logs/lambda/internal/inflate"
)

// BenchmarkGunzip compares the fast path with the library it stands in
// for, on the same realistic payloads (2,000 default-format flow log lines
// each, compressed as CloudWatch Logs does, and by the library's default
// and fastest levels), both into a reused buffer. MB/s are of decompressed
// payload; the fast path pays when its MB/s are higher.
func BenchmarkGunzip(b *testing.B) {
	data := payloadJSON(b, 11)
	for _, c := range []struct {
		name string
		gz   []byte
	}{
		{"stdlib-6", stdlib(6)(data)},
		{"klauspost-default", klauspost(gzip.DefaultCompression)(data)},
		{"klauspost-1", klauspost(1)(data)},
	} {
		b.Run(c.name+"/fast", func(b *testing.B) {
			var d inflate.Decoder
			buf := make([]byte, 0, len(data)+slack)
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := d.Gunzip(buf, c.gz, 64<<20); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(c.name+"/library", func(b *testing.B) {
			var br bytes.Reader
			var zr gzip.Reader
			buf := make([]byte, len(data)+512)
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				br.Reset(c.gz)
				if err := zr.Reset(&br); err != nil {
					b.Fatal(err)
				}
				n := 0
				for {
					m, err := zr.Read(buf[n:])
					n += m
					if err == io.EOF {
						break
					}
					if err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}
