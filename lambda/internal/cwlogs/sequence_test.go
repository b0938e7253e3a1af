package cwlogs_test

import (
	"reflect"
	"testing"

	"github.com/vpcflowlogs/vpc-flow-logs/lambda/internal/cwlogs"
)

// FuzzDecoderSequence decodes two payloads in turn with one reused Decoder,
// as a warm Lambda handler does, and checks that the second decodes exactly
// as it does on a fresh Decoder: nothing of the first payload (a log group,
// a stream, events, a filter) survives into the second through the reused
// buffers or the recycled Payload. The first payload's copy, taken before
// the second call, must also equal a fresh decode of it.
//
//	go test -run '^$' -fuzz FuzzDecoderSequence -fuzztime 20s ./lambda/internal/cwlogs/
func FuzzDecoderSequence(f *testing.F) {
	seeds := seedJSON(f)
	for i := range seeds {
		f.Add(cloudWatchEncode(f, seeds[i]), cloudWatchEncode(f, seeds[(i+1)%len(seeds)]))
	}
	f.Fuzz(func(t *testing.T, a, b []byte) {
		var warm cwlogs.Decoder
		pa, errA := warm.Decode(a)
		var ca *cwlogs.Payload
		if errA == nil {
			ca = pa.Clone()
		}
		pb, errB := warm.Decode(b)
		var fresh cwlogs.Decoder
		want, errW := fresh.Decode(b)
		if (errB == nil) != (errW == nil) {
			t.Fatalf("warm decoder: %v, fresh decoder: %v", errB, errW)
		}
		if errB == nil && !reflect.DeepEqual(pb.Clone(), want.Clone()) {
			t.Fatalf("the second payload decodes differently on a warm decoder:\n%+v\nwant\n%+v", pb, want)
		}
		if errA == nil {
			var again cwlogs.Decoder
			wantA, err := again.Decode(a)
			if err != nil || !reflect.DeepEqual(ca, wantA.Clone()) {
				t.Fatalf("the copy of the first payload changed: %+v, want %+v (%v)", ca, wantA, err)
			}
		}
	})
}
