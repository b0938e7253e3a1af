package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"net/http/httptest"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/awsfake"
)

// testAccessKey signs the tests' requests; the fakes serve no other.
const testAccessKey = "AKIDREPLAYTEST"

const fwdQueue = "https://sqs.us-east-1.amazonaws.com/123456789012/flowlogs-fh-forwarder-dead-letters"

// fakes serves the AWS fakes with the forwarder queue of testdata, and
// points the SDK's credential chain at static test keys.
func fakes(t *testing.T) (*awsfake.Server, string) {
	t.Helper()
	t.Setenv("AWS_ACCESS_KEY_ID", testAccessKey)
	t.Setenv("AWS_SECRET_ACCESS_KEY", "SECRET")
	t.Setenv("AWS_SESSION_TOKEN", "")
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_CONFIG_FILE", os.DevNull)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", os.DevNull)
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_ENDPOINT_URL", "")
	srv := &awsfake.Server{AccessKey: testAccessKey, SQS: &awsfake.SQS{}, Lambda: &awsfake.Lambda{}, Firehose: &awsfake.Firehose{}, Kinesis: &awsfake.Kinesis{}}
	f, err := os.Open("testdata/forwarder-dead-letters.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		srv.SQS.Add(fwdQueue, sc.Text(), time.Now().Add(-time.Hour))
	}
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	t.Cleanup(func() {
		for _, v := range srv.Violations() {
			t.Errorf("fake: %s", v)
		}
	})
	return srv, hs.URL
}

func noPulumi(context.Context, string) ([]byte, error) {
	return nil, errors.New("pulumi must not run when --outputs is given")
}

// The dry run of `make replay` against the local fakes: the queue and the
// target come from the outputs file, the inventory is printed, nothing is
// deleted.
func TestDryRunPrintsInventory(t *testing.T) {
	srv, url := fakes(t)
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"--outputs", "testdata/outputs.json", "--queue", "firehoseForwarderDeadLettersUrl",
		"--endpoint-url", url, "--wait", "0s", "--dry-run"}, &stdout, &stderr, noPulumi, false)
	if code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout.String(), stderr.String())
	}
	out := stdout.String()
	for _, want := range []string{
		"queue " + fwdQueue + " (dry run",
		"messages: 3 (",
		"age: oldest 1h0m",
		"events: first 2025-11-30T10:54:21Z, last 2025-11-30T10:57:21Z",
		"kind           2  forwarder-records (replayable)",
		"kind           1  forwarder-undecodable (reported, not replayed)",
		"log group      3  /vpc/flow-logs",
		"not_flow_log: line 1: 3 fields, want 14",
		"listed ",
		"summary: received 3, replayed 0",
		"left in the queue 3",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if n := len(srv.SQS.Bodies(fwdQueue)); n != 3 {
		t.Errorf("%d messages left, want 3", n)
	}
}

// A real run re-sends the refused lines to the stream named by the outputs,
// leaves the undecodable letter, and exits 0.
func TestReplayToFirehose(t *testing.T) {
	srv, url := fakes(t)
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"--outputs", "testdata/outputs.json", "--queue", "firehoseForwarderDeadLettersUrl",
		"--endpoint-url", url, "--wait", "0s"}, &stdout, &stderr, noPulumi, false)
	if code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout.String(), stderr.String())
	}
	recs := srv.Firehose.Records("flowlogs-fh-stream")
	if len(recs) != 2 || bytes.Count(recs[0], []byte("\n"))+bytes.Count(recs[1], []byte("\n")) != 3 {
		t.Errorf("stream got %q", recs)
	}
	if left := srv.SQS.Bodies(fwdQueue); len(left) != 1 || !strings.Contains(left[0], "not_flow_log") {
		t.Errorf("left %q", left)
	}
	if !strings.Contains(stdout.String(), "summary: received 3, replayed 2 (2 inputs), failed 0, skipped 1") {
		t.Errorf("summary:\n%s", stdout.String())
	}
}

// Without --outputs the outputs come from pulumi for --stack.
func TestOutputsFromPulumi(t *testing.T) {
	_, url := fakes(t)
	raw, err := os.ReadFile("testdata/outputs.json")
	if err != nil {
		t.Fatal(err)
	}
	var asked string
	pulumi := func(_ context.Context, stack string) ([]byte, error) { asked = stack; return raw, nil }
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"--stack", "dev", "--queue", "firehoseForwarderDeadLettersUrl", "--endpoint-url", url, "--wait", "0s", "--dry-run"},
		&stdout, &stderr, pulumi, false)
	if code != 0 || asked != "dev" {
		t.Fatalf("exit %d, stack %q\n%s", code, asked, stderr.String())
	}
}

func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{},
		{"--queue", "notAQueue"},
		{"--queue", "opensearchRejectsQueueUrl", "--dry-run", "--to-file", "x"},
		{"--queue", "opensearchRejectsQueueUrl", "--delete-written"},
		{"--queue", "opensearchRejectsQueueUrl", "--wait", "30s"},
	} {
		var stdout, stderr bytes.Buffer
		if code := run(context.Background(), args, &stdout, &stderr, noPulumi, false); code != 2 {
			t.Errorf("%q: exit %d, want 2", args, code)
		}
	}
}

// A failure every replay would meet (the stream does not exist) stops the
// run with exit status 1 and leaves the queue as it was; on a terminal the
// progress bar runs.
func TestMissingStreamStops(t *testing.T) {
	srv, url := fakes(t)
	srv.Firehose.Fault = func(int) *awsfake.Fault { return &awsfake.Fault{Status: 400, Code: "ResourceNotFoundException"} }
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"--queue-url", fwdQueue, "--stream", "gone",
		"--endpoint-url", url, "--wait", "0s"}, &stdout, &stderr, noPulumi, true)
	if code != 1 || !strings.Contains(stderr.String(), "ResourceNotFoundException") {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout.String(), stderr.String())
	}
	if !strings.Contains(stdout.String(), "failed 1, skipped 0") || !strings.Contains(stdout.String(), "left in the queue 3") {
		t.Errorf("summary:\n%s", stdout.String())
	}
	if !strings.Contains(stderr.String(), "/3") {
		t.Errorf("no progress bar on the terminal:\n%s", stderr.String())
	}
}

// A batch the forwarder's Kinesis event source mapping discarded (on a
// central stack) is read back from the stream named in its on-failure
// record, in that stream's region, and the forwarder named by the outputs
// is invoked with it; the record is then deleted.
func TestReplayKinesisBatch(t *testing.T) {
	srv, url := fakes(t)
	const stream = "arn:aws:kinesis:eu-west-1:123456789012:stream/flowlogs-central"
	const dlq = "https://sqs.us-east-1.amazonaws.com/123456789012/flowlogs-fh-forwarder-dlq"
	recs := srv.Kinesis.Put(stream, "shardId-000000000000",
		awsfake.KinesisRecord{PartitionKey: "a", Data: []byte("one"), Arrival: time.Now().Add(-time.Hour)},
		awsfake.KinesisRecord{PartitionKey: "b", Data: []byte("two"), Arrival: time.Now().Add(-time.Hour)})
	body := `{"requestContext":{"requestId":"c9b8fa9f","functionArn":"arn:aws:lambda:eu-west-1:123456789012:function:flowlogs-fh-forwarder","condition":"RetryAttemptsExhausted","approximateInvokeCount":4},` +
		`"responseContext":{"statusCode":200,"executedVersion":"$LATEST","functionError":"Unhandled"},"version":"1.0","timestamp":"2026-12-01T00:38:06.021Z",` +
		`"KinesisBatchInfo":{"shardId":"shardId-000000000000","startSequenceNumber":"` + recs[0].SequenceNumber + `","endSequenceNumber":"` + recs[1].SequenceNumber +
		`","approximateArrivalOfFirstRecord":"2026-12-01T00:38:04.835Z","approximateArrivalOfLastRecord":"2026-12-01T00:38:05.580Z","batchSize":2,"streamArn":"` + stream + `"}}`
	srv.SQS.Add(dlq, body, time.Now().Add(-time.Hour))
	srv.Lambda.Handle = func(n int, fn, typ string, p []byte) ([]byte, string, *awsfake.Fault) {
		return []byte(`{"batchItemFailures":[]}`), "", nil
	}
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"--outputs", "testdata/outputs.json", "--queue", "firehoseDeadLetterQueueUrl",
		"--endpoint-url", url, "--wait", "0s"}, &stdout, &stderr, noPulumi, false)
	if code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout.String(), stderr.String())
	}
	inv := srv.Lambda.Invocations()
	if len(inv) != 1 || inv[0].Function != "flowlogs-fh-forwarder" || !strings.Contains(string(inv[0].Payload), `"sequenceNumber":"`+recs[1].SequenceNumber+`"`) {
		t.Fatalf("invocations %+v", inv)
	}
	if left := srv.SQS.Bodies(dlq); len(left) != 0 {
		t.Errorf("left %q", left)
	}
}

// SIGTERM (kill) and SIGHUP (the terminal closed) stop a run as Ctrl-C
// does, instead of killing it between a replay and its delete.
func TestStopSignals(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGHUP} {
		t.Run(sig.String(), func(t *testing.T) {
			// Should signalContext not catch it, this keeps the test
			// process alive to report it.
			safety := make(chan os.Signal, 1)
			signal.Notify(safety, sig)
			defer signal.Stop(safety)
			ctx, stop := signalContext(context.Background())
			defer stop()
			if err := syscall.Kill(os.Getpid(), sig); err != nil {
				t.Fatal(err)
			}
			<-safety
			select {
			case <-ctx.Done():
			case <-time.After(10 * time.Second):
				t.Fatalf("%v did not stop the run", sig)
			}
		})
	}
}
