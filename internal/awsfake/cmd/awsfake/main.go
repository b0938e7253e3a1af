// Command awsfake serves the awsfake SQS, Lambda and Firehose fakes on one
// local endpoint, with queues filled from files, so that cmd/replay can be
// tried without an AWS account:
//
//	go run ./internal/awsfake/cmd/awsfake -listen 127.0.0.1:4599 \
//	    -queue https://sqs.us-east-1.amazonaws.com/123456789012/q=cmd/replay/testdata/forwarder-dead-letters.jsonl
//
// Each line of a queue file is one message body. Every function invocation
// succeeds and every Firehose record is accepted; what they received is
// printed when the server stops (Ctrl-C).
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/awsfake"
)

type queueFlags []string

func (q *queueFlags) String() string     { return strings.Join(*q, ",") }
func (q *queueFlags) Set(v string) error { *q = append(*q, v); return nil }

func main() {
	listen := flag.String("listen", "127.0.0.1:4599", "address to serve on")
	var queues queueFlags
	flag.Var(&queues, "queue", "URL=FILE: a queue and the file of its message bodies, one a line (repeatable)")
	flag.Parse()
	srv := &awsfake.Server{SQS: &awsfake.SQS{}, Lambda: &awsfake.Lambda{}, Firehose: &awsfake.Firehose{}, Kinesis: &awsfake.Kinesis{}}
	for _, q := range queues {
		url, file, ok := strings.Cut(q, "=")
		if !ok {
			fmt.Fprintf(os.Stderr, "awsfake: -queue %q: want URL=FILE\n", q)
			os.Exit(2)
		}
		n, err := load(srv.SQS, url, file)
		if err != nil {
			fmt.Fprintln(os.Stderr, "awsfake:", err)
			os.Exit(2)
		}
		fmt.Printf("queue %s: %d messages\n", url, n)
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		fmt.Fprintln(os.Stderr, "awsfake:", err)
		os.Exit(1)
	}
	fmt.Printf("serving SQS, Lambda and Firehose fakes on http://%s\n", ln.Addr())
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	go func() {
		<-ctx.Done()
		hs.Shutdown(context.Background())
	}()
	if err := hs.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		fmt.Fprintln(os.Stderr, "awsfake:", err)
		os.Exit(1)
	}
	for _, inv := range srv.Lambda.Invocations() {
		fmt.Printf("invoked %s (%s): %d bytes\n", inv.Function, inv.InvocationType, len(inv.Payload))
	}
}

func load(q *awsfake.SQS, url, file string) (int, error) {
	f, err := os.Open(file)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	n := 0
	sent := time.Now().Add(-time.Hour)
	for sc.Scan() {
		if line := strings.TrimSpace(sc.Text()); line != "" {
			q.Add(url, line, sent)
			n++
		}
	}
	return n, sc.Err()
}
