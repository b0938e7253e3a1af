package cwlogs

import (
	"testing"

	"github.com/valyala/fastjson"
)

func TestIsKinesisEvent(t *testing.T) {
	for _, tc := range []struct {
		event string
		want  bool
	}{
		{`{"Records":[{"kinesis":{"data":"H4sI"},"eventSource":"aws:kinesis"}]}`, true},
		{`{"Records":[]}`, true}, // an empty batch: nothing to do, nothing lost
		{`{"Records":[{"kinesis":{}},{"s3":{}}]}`, false},
		{`{"Records":[{"kinesis":"H4sI"}]}`, false},
		{`{"Records":{"kinesis":{}}}`, false},
		{`{"awslogs":{"data":"H4sI"}}`, false},
		{`[]`, false},
	} {
		v, err := fastjson.Parse(tc.event)
		if err != nil {
			t.Fatal(err)
		}
		if got := IsKinesisEvent(v); got != tc.want {
			t.Errorf("IsKinesisEvent(%s) = %v, want %v", tc.event, got, tc.want)
		}
	}
}
