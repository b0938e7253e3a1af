// Command replay feeds what one of a stack's dead-letter queues holds back
// into the normal path, or lists it (--dry-run), or writes it to a file
// (--to-file). It reads the queue URL and the target (delivery stream or
// function) from the stack outputs. See docs/replay.md.
//
//	go run ./cmd/replay --stack dev --queue firehoseForwarderDeadLettersUrl --dry-run
//	make replay STACK=dev QUEUE=opensearchRejectsQueueUrl ARGS=--dry-run
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/firehose"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/replay"
)

func main() {
	ctx, stop := signalContext(context.Background())
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr, stackOutputs, term.IsTerminal(int(os.Stderr.Fd()))))
}

// stopSignals stop a run (between replays, see docs/replay.md): Ctrl-C,
// kill's default signal, and the terminal closing.
var stopSignals = []os.Signal{os.Interrupt, syscall.SIGTERM, syscall.SIGHUP}

// signalContext is done at the first stop signal; the signals then have
// their default effect again, so a second one ends the process at once.
func signalContext(parent context.Context) (context.Context, context.CancelFunc) {
	ctx, stop := signal.NotifyContext(parent, stopSignals...)
	go func() {
		<-ctx.Done()
		stop()
	}()
	return ctx, stop
}

// stackOutputs runs `pulumi stack output --json` for stack ("" for the
// selected one).
func stackOutputs(ctx context.Context, stack string) ([]byte, error) {
	args := []string{"stack", "output", "--json"}
	if stack != "" {
		args = append(args, "--stack", stack)
	}
	cmd := exec.CommandContext(ctx, "pulumi", args...)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("pulumi %s: %w", strings.Join(args, " "), err)
	}
	return out, nil
}

type options struct {
	stack, outputs, queue, queueURL, function, stream string
	endpoint, region, toFile                          string
	dryRun, deleteWritten                             bool
	visibility, wait                                  time.Duration
	maxFailures, limit                                int
}

func usage(fs *flag.FlagSet) func() {
	return func() {
		w := fs.Output()
		fmt.Fprintln(w, "usage: replay --queue OUTPUT [--stack STACK | --outputs FILE] [--dry-run | --to-file FILE] [flags]")
		fmt.Fprintln(w, "\nQueue outputs:")
		for _, q := range slices.Sorted(func(yield func(string) bool) {
			for k := range replay.Queues {
				if !yield(k) {
					return
				}
			}
		}) {
			fmt.Fprintf(w, "  %s\n      %s\n", q, replay.Queues[q].Holds)
		}
		fmt.Fprintln(w, "\nFlags:")
		fs.PrintDefaults()
	}
}

// run is the command; it returns the exit status: 0 when everything taken
// was replayed (or listed, or written), 1 when some replay failed or the
// run stopped early, 2 for a usage or setup error.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, outputs func(context.Context, string) ([]byte, error), terminal bool) int {
	fs := flag.NewFlagSet("replay", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = usage(fs)
	var o options
	fs.StringVar(&o.stack, "stack", "", "the Pulumi stack whose outputs name the queue and target (default: the selected stack)")
	fs.StringVar(&o.outputs, "outputs", "", "read the stack outputs from this file (`pulumi stack output --json` saved) instead of running pulumi")
	fs.StringVar(&o.queue, "queue", "", "the stack output that holds the queue URL (see below)")
	fs.StringVar(&o.queueURL, "queue-url", "", "the queue URL (overrides the output)")
	fs.StringVar(&o.function, "function", "", "the function to invoke (overrides the output)")
	fs.StringVar(&o.stream, "stream", "", "the Firehose delivery stream to send to (overrides the output)")
	fs.StringVar(&o.endpoint, "endpoint-url", "", "send every AWS request to this endpoint (a local fake)")
	fs.StringVar(&o.region, "region", "", "AWS region (default: the queue URL's region, else the SDK's)")
	fs.BoolVar(&o.dryRun, "dry-run", false, "list what would be replayed (count, age, log groups, event times); replay and delete nothing (the messages are hidden while it runs)")
	fs.StringVar(&o.toFile, "to-file", "", "append every message to this file as JSON lines instead of replaying")
	fs.BoolVar(&o.deleteWritten, "delete-written", false, "with --to-file: delete each message once written and synced")
	fs.DurationVar(&o.visibility, "visibility", 15*time.Minute, "visibility timeout of received messages, kept up while they wait; a replay is cut off after half of it, so more than twice the function's timeout")
	fs.DurationVar(&o.wait, "wait", 2*time.Second, "long-poll wait of each receive (0s to 20s)")
	fs.IntVar(&o.maxFailures, "max-failures", 3, "stop after this many failed replays in a row")
	fs.IntVar(&o.limit, "limit", 0, "take at most this many messages (0: all)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if err := o.check(fs.NArg()); err != nil {
		fmt.Fprintln(stderr, "replay:", err)
		fs.Usage()
		return 2
	}
	cfg, err := o.setup(ctx, outputs)
	if err != nil {
		fmt.Fprintln(stderr, "replay:", err)
		return 2
	}
	var bar *progressbar.ProgressBar
	cfg.Event = func(ev replay.Event) {
		if terminal {
			if bar == nil {
				bar = progressbar.NewOptions(max(ev.Total, ev.Done), progressbar.OptionSetWriter(stderr),
					progressbar.OptionSetDescription("replay"), progressbar.OptionShowCount(), progressbar.OptionClearOnFinish())
			}
			bar.ChangeMax(max(ev.Total, ev.Done))
			bar.Set(ev.Done)
			if ev.Outcome == replay.OutcomeListed || ev.Outcome == replay.OutcomeReplayed || ev.Outcome == replay.OutcomeWritten {
				return
			}
		}
		line := fmt.Sprintf("%-9s %s %s", ev.Outcome, ev.MessageID, ev.Kind)
		if ev.Reason != "" {
			line += ": " + ev.Reason
		}
		if terminal {
			bar.Clear()
		}
		fmt.Fprintln(stdout, line)
	}
	var file *os.File
	if o.toFile != "" {
		file, err = os.OpenFile(o.toFile, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
		if err != nil {
			fmt.Fprintln(stderr, "replay:", err)
			return 2
		}
		defer file.Close()
		cfg.ToFile, cfg.Sync, cfg.DeleteWritten = file, file.Sync, o.deleteWritten
	}
	sum, runErr := replay.Run(ctx, cfg)
	if bar != nil {
		bar.Finish()
	}
	if o.dryRun {
		fmt.Fprintf(stdout, "\nqueue %s (dry run: nothing replayed or deleted)\n", cfg.QueueURL)
		sum.Inventory.Write(stdout, time.Now())
	}
	fmt.Fprintf(stdout, "\nsummary: received %d, replayed %d (%d inputs), failed %d, skipped %d, duplicates deleted %d, incomplete %d, written %d, left in the queue %s\n",
		sum.Received, sum.Replayed, sum.Inputs, sum.Failed, sum.Skipped, sum.Duplicates, sum.Incomplete, sum.Written, left(sum.Left))
	if sum.Hidden > 0 {
		fmt.Fprintf(stderr, "replay: %d messages could not be made visible again; they come back when their visibility timeout ends (%s)\n", sum.Hidden, sum.HiddenError)
	}
	if runErr != nil {
		fmt.Fprintln(stderr, "replay:", runErr)
		return 1
	}
	if sum.Failed > 0 {
		return 1
	}
	return 0
}

func left(n int) string {
	if n < 0 {
		return "unknown"
	}
	return fmt.Sprint(n)
}

func (o *options) check(extra int) error {
	switch {
	case extra > 0:
		return errors.New("unexpected arguments")
	case o.queue == "" && o.queueURL == "":
		return errors.New("--queue (a stack output) or --queue-url is required")
	case o.queue != "" && replay.Queues[o.queue] == (replay.Target{}):
		return fmt.Errorf("--queue %q is not a dead-letter queue output", o.queue)
	case o.dryRun && o.toFile != "":
		return errors.New("--dry-run and --to-file exclude each other")
	case o.deleteWritten && o.toFile == "":
		return errors.New("--delete-written needs --to-file")
	case o.wait < 0 || o.wait > 20*time.Second:
		return fmt.Errorf("--wait %s: SQS long polling waits 0s to 20s", o.wait)
	case o.visibility < time.Second || o.visibility > 12*time.Hour:
		// https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_ChangeMessageVisibility.html
		return fmt.Errorf("--visibility %s: SQS allows 1s to 12h", o.visibility)
	}
	return nil
}

// queueRegion is the region in an SQS queue URL
// (https://sqs.<region>.amazonaws.com/<account>/<name>).
var queueRegion = regexp.MustCompile(`^https://sqs\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?/`)

// setup resolves the queue and target and builds the clients.
func (o *options) setup(ctx context.Context, outputs func(context.Context, string) ([]byte, error)) (replay.Config, error) {
	t := replay.Queues[o.queue]
	needOutputs := (o.queueURL == "") || (!o.dryRun && o.toFile == "" &&
		((t.Stream != "" && o.stream == "") || (t.Function != "" && o.function == "")))
	out := map[string]any{}
	if needOutputs {
		var raw []byte
		var err error
		if o.outputs != "" {
			raw, err = os.ReadFile(o.outputs)
		} else {
			raw, err = outputs(ctx, o.stack)
		}
		if err != nil {
			return replay.Config{}, err
		}
		if err := json.Unmarshal(raw, &out); err != nil {
			return replay.Config{}, fmt.Errorf("stack outputs: %w", err)
		}
	}
	get := func(name string) (string, error) {
		s, _ := out[name].(string)
		if s == "" {
			return "", fmt.Errorf("the stack has no output %q (is that part of the stack deployed?)", name)
		}
		return s, nil
	}
	url := o.queueURL
	if url == "" {
		var err error
		if url, err = get(o.queue); err != nil {
			return replay.Config{}, err
		}
	}
	region := o.region
	if m := queueRegion.FindStringSubmatch(url); region == "" && m != nil {
		region = m[1]
	}
	var loadOpts []func(*config.LoadOptions) error
	if region != "" {
		loadOpts = append(loadOpts, config.WithRegion(region))
	}
	awsCfg, err := config.LoadDefaultConfig(ctx, loadOpts...)
	if err != nil {
		return replay.Config{}, err
	}
	var base *string
	if o.endpoint != "" {
		base = aws.String(o.endpoint)
	}
	cfg := replay.Config{
		SQS:         sqs.NewFromConfig(awsCfg, func(op *sqs.Options) { op.BaseEndpoint = cmpPtr(base, op.BaseEndpoint) }),
		QueueURL:    url,
		DryRun:      o.dryRun,
		Visibility:  o.visibility,
		Wait:        o.wait,
		MaxFailures: o.maxFailures,
		Limit:       o.limit,
	}
	if o.dryRun || o.toFile != "" {
		return cfg, nil
	}
	switch {
	case o.stream != "" || (t.Stream != "" && o.function == ""):
		name := o.stream
		if name == "" {
			if name, err = get(t.Stream); err != nil {
				return replay.Config{}, err
			}
		}
		cfg.Sink = &replay.FirehoseSink{API: firehose.NewFromConfig(awsCfg, func(op *firehose.Options) { op.BaseEndpoint = cmpPtr(base, op.BaseEndpoint) }), Stream: name}
	case o.function != "" || t.Function != "":
		name := o.function
		if name == "" {
			if name, err = get(t.Function); err != nil {
				return replay.Config{}, err
			}
		}
		// A synchronous invocation may last the function's timeout (at
		// most 15 minutes); the SDK's default client has no overall
		// timeout, so it waits for it.
		// The Kinesis client reads back the batches a Kinesis event source
		// mapping discarded (their on-failure records name the stream; its
		// region is taken from the ARN).
		cfg.Sink = &replay.LambdaSink{API: lambda.NewFromConfig(awsCfg, func(op *lambda.Options) { op.BaseEndpoint = cmpPtr(base, op.BaseEndpoint) }), Function: name,
			Kinesis: kinesis.NewFromConfig(awsCfg, func(op *kinesis.Options) { op.BaseEndpoint = cmpPtr(base, op.BaseEndpoint) })}
	default:
		return replay.Config{}, errors.New("with --queue-url, name the target: --function or --stream")
	}
	return cfg, nil
}

func cmpPtr(a, b *string) *string {
	if a != nil {
		return a
	}
	return b
}
