package cwlogs_test

import (
	"bytes"
	"encoding/json"
	"os"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/vpcflowlogs/vpc-flow-logs/lambda/internal/cwlogs"
	"github.com/vpcflowlogs/vpc-flow-logs/lambda/internal/cwlogs/cwlogstest"
)

// kinesisEventSources are the payloads, in record order, of
// testdata/kinesis_lambda_event.json: what a CloudWatch Logs destination
// writes into its Kinesis data stream (the health check first, then log
// data), one payload per record, each record's data the gzip of the
// payload JSON.
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/CrossAccountSubscriptions-Kinesis.html
var kinesisEventSources = []string{"testdata/control_message.json", "testdata/data_message.json", "testdata/escapes.json"}

// TestKinesisLambdaEvent decodes testdata/kinesis_lambda_event.json, a
// Kinesis event as an event source mapping delivers it to a function
// (https://docs.aws.amazon.com/lambda/latest/dg/with-kinesis.html), whose
// records carry the subscription payloads of kinesisEventSources: through
// aws-lambda-go's events.KinesisEvent (the data as bytes, DecodeGzip) and
// from the raw JSON (the data in base64, Decode, as the handlers read it).
// With -update it rebuilds the file from the sources.
func TestKinesisLambdaEvent(t *testing.T) {
	const file = "testdata/kinesis_lambda_event.json"
	var srcs [][]byte
	for _, f := range kinesisEventSources {
		js, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		srcs = append(srcs, bytes.TrimSpace(js))
	}
	if *update {
		recs := make([]cwlogstest.KinesisRecord, len(srcs))
		for i, js := range srcs {
			recs[i] = cwlogstest.NewKinesisRecord(i, gzipBytes(t, js))
		}
		ev, err := cwlogstest.KinesisEventOf(recs)
		if err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		if err := json.Indent(&out, ev, "", "  "); err != nil {
			t.Fatal(err)
		}
		out.WriteByte('\n')
		if err := os.WriteFile(file, out.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var ev events.KinesisEvent
	if err := json.Unmarshal(raw, &ev); err != nil {
		t.Fatal(err)
	}
	var rawEv struct {
		Records []struct {
			Kinesis struct {
				Data string `json:"data"`
			} `json:"kinesis"`
		} `json:"Records"`
	}
	if err := json.Unmarshal(raw, &rawEv); err != nil {
		t.Fatal(err)
	}
	if len(ev.Records) != len(srcs) || len(rawEv.Records) != len(srcs) {
		t.Fatalf("%d records, want %d", len(ev.Records), len(srcs))
	}
	d := cwlogs.NewDecoder()
	for i, r := range ev.Records {
		want, err := cwlogs.DecodeJSON(srcs[i])
		if err != nil {
			t.Fatal(err)
		}
		if r.EventSource != "aws:kinesis" || r.Kinesis.SequenceNumber != cwlogstest.SequenceNumber(i) || r.EventID != cwlogstest.ShardID+":"+r.Kinesis.SequenceNumber {
			t.Errorf("record %d: %+v", i, r)
		}
		got, err := cwlogs.DecodeGzip(r.Kinesis.Data)
		if err != nil {
			t.Fatalf("record %d: %v", i, err)
		}
		mustEqual(t, got, want)
		got, err = d.Decode([]byte(rawEv.Records[i].Kinesis.Data))
		if err != nil {
			t.Fatalf("record %d from base64: %v", i, err)
		}
		mustEqual(t, got, want)
	}
}
