package replay

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"
)

// SQSAPI is the part of the SQS client Run uses; *sqs.Client implements it.
type SQSAPI interface {
	ReceiveMessage(ctx context.Context, in *sqs.ReceiveMessageInput, optFns ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error)
	DeleteMessage(ctx context.Context, in *sqs.DeleteMessageInput, optFns ...func(*sqs.Options)) (*sqs.DeleteMessageOutput, error)
	ChangeMessageVisibilityBatch(ctx context.Context, in *sqs.ChangeMessageVisibilityBatchInput, optFns ...func(*sqs.Options)) (*sqs.ChangeMessageVisibilityBatchOutput, error)
	GetQueueAttributes(ctx context.Context, in *sqs.GetQueueAttributesInput, optFns ...func(*sqs.Options)) (*sqs.GetQueueAttributesOutput, error)
}

// Item is one input to replay: a letter whose Data is the whole input (the
// pieces of a split input joined in Part order).
type Item struct {
	Letter
	// MessageIDs are the SQS messages it came in.
	MessageIDs []string
	// Events are, for KindIndexerReject, the log events of several rejects
	// of one log stream replayed in one invocation (Letter.Event and Data
	// are then unused).
	Events []LogEvent
	// keys are the content keys of the rejects batched in Events.
	keys []string
	// dups are the messages of further copies of those rejects received
	// with them: deleted once the replay succeeded.
	dups []string
}

// Sink replays items of the kinds it accepts.
type Sink interface {
	// Accepts reports whether the sink replays letters of kind k.
	Accepts(k Kind) bool
	// Replay delivers the item; an error means it was not (entirely)
	// delivered and its messages stay in the queue.
	Replay(ctx context.Context, it *Item) error
}

// Config is one run over one queue.
type Config struct {
	SQS      SQSAPI
	QueueURL string
	// Sink replays; nil with neither DryRun nor ToFile is an error. Each
	// Replay runs to its end (or half of Visibility) even when the run's
	// context is done: a stop is taken between replays.
	Sink Sink
	// DryRun only takes the inventory: nothing is replayed or deleted, and
	// every message is made visible again at the end.
	DryRun bool
	// ToFile, when set, receives every message as a JSON line (see
	// FileRecord) instead of replaying it; DeleteWritten then deletes the
	// written messages (after Sync, when set, returned nil).
	ToFile        io.Writer
	Sync          func() error
	DeleteWritten bool
	// Visibility is how long a received message stays hidden from other
	// consumers. Zero means 15 minutes. A replay is cut off (and fails)
	// after half of it, so it must be more than twice the longest replay
	// (a function's timeout, times the invocations of one input, plus
	// retries). Before each replay and each receive, every message held
	// and not yet settled (the rest of the receive, parts of split inputs,
	// batched rejects, the item itself) whose visibility would end within
	// three quarters of it is hidden for Visibility again: it cannot
	// become visible during the replay, nor before its delete.
	Visibility time.Duration
	// Wait is the long-poll wait of a receive (0 to 20 s); the run ends
	// after two receives in a row bring nothing new.
	Wait time.Duration
	// MaxFailures is how many failed replays in a row stop the run; zero
	// means 3. An error Systematic reports stops it at once.
	MaxFailures int
	// Limit stops after that many messages (0: no limit).
	Limit int
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Event, when set, is told about every message handled.
	Event func(Event)
}

// Outcome of one message.
type Outcome string

const (
	OutcomeReplayed  Outcome = "replayed"
	OutcomeFailed    Outcome = "failed"
	OutcomeSkipped   Outcome = "skipped"   // not replayable: left in the queue
	OutcomeDuplicate Outcome = "duplicate" // a copy of an input replayed in this run: deleted
	OutcomeHeld      Outcome = "held"      // a part of a split input, waiting for the others
	OutcomeListed    Outcome = "listed"    // dry run
	OutcomeWritten   Outcome = "written"   // to the file
)

// Event reports one message handled.
type Event struct {
	MessageID string
	Kind      Kind
	Outcome   Outcome
	// Reason is the letter's reason, or the replay error.
	Reason string
	// Done counts the messages handled so far in the run; Total is the
	// queue's approximate size when the run started.
	Done, Total int
}

// Summary is what a run did, in messages.
type Summary struct {
	Received   int
	Replayed   int
	Inputs     int // inputs replayed (a split input is several messages; an invocation may carry several rejects)
	Failed     int
	Skipped    int
	Duplicates int
	Incomplete int // parts of split inputs whose other parts never came
	Written    int
	// Left is the queue's approximate size (visible and in flight) at the
	// end, -1 when it could not be read.
	Left int
	// Hidden counts the messages left in the queue that could not be made
	// visible again at the end (they come back when their visibility
	// timeout ends); HiddenError is the first failure.
	Hidden      int
	HiddenError string
	// Inventory is filled in a dry run (and counts every message received
	// otherwise too).
	Inventory *Inventory
}

// ErrStopped wraps the error that ended a run early.
var ErrStopped = errors.New("replay stopped")

// held is a received message still in the queue.
type held struct {
	receipt  string
	deadline time.Time
	// settled: its outcome in this run is final (listed, written,
	// skipped, failed); it need not stay hidden.
	settled bool
}

type group struct {
	parts map[int]*Letter
	ids   map[int]string
	want  int
}

type run struct {
	cfg Config
	now func() time.Time
	// sqsNow is a time on SQS's clock no later than the last receive:
	// the latest SentTimestamp or ApproximateFirstReceiveTimestamp of the
	// messages received so far.
	sqsNow time.Time
	// replayedAt is, for each content key replayed, sqsNow when it was
	// replayed: any dead letter its replay caused was sent after it.
	replayedAt map[string]time.Time
	vis        time.Duration
	sum        Summary
	seen       map[string]bool      // message IDs handled in this run
	replayed   map[string]bool      // content keys: true replayed, false failed
	held       map[string]*held     // message ID -> receipt, for messages left in the queue
	groups     map[string]*group    // split inputs being assembled
	batch      map[string]*Item     // log stream -> indexer rejects of the current receive
	order      []string             // batch keys in arrival order
	pending    map[string]string    // message ID -> group key
	sentAt     map[string]time.Time // message ID -> SentTimestamp
	total      int
	fails      int
}

// Run receives the queue's messages until it is empty of new ones (or
// Limit, or a stop), replays or lists or writes them, and returns the
// summary. The returned error is non-nil when the run stopped early: a
// systematic failure, too many failures in a row, or ctx done.
func Run(ctx context.Context, cfg Config) (Summary, error) {
	if cfg.SQS == nil || cfg.QueueURL == "" {
		return Summary{}, errors.New("replay: no queue")
	}
	if cfg.Sink == nil && !cfg.DryRun && cfg.ToFile == nil {
		return Summary{}, errors.New("replay: nothing to replay to (no sink, no dry run, no file)")
	}
	r := &run{cfg: cfg, now: cfg.Now, vis: cfg.Visibility,
		seen: map[string]bool{}, replayed: map[string]bool{}, held: map[string]*held{},
		groups: map[string]*group{}, pending: map[string]string{}, sentAt: map[string]time.Time{},
		batch: map[string]*Item{}, replayedAt: map[string]time.Time{}}
	if r.now == nil {
		r.now = time.Now
	}
	if r.vis <= 0 {
		r.vis = 15 * time.Minute
	}
	if r.cfg.MaxFailures <= 0 {
		r.cfg.MaxFailures = 3
	}
	r.sum.Inventory = &Inventory{}
	r.total = r.queueSize(ctx, false)
	err := r.loop(ctx)
	// Split inputs still incomplete stay in the queue.
	for _, id := range slices.Sorted(maps.Keys(r.pending)) {
		kind := KindUnknown
		if g := r.groups[r.pending[id]]; g != nil {
			for _, l := range g.parts {
				kind = l.Kind
			}
		}
		r.sum.Incomplete++
		r.emit(id, kind, OutcomeHeld, "the other parts of this input were not received")
	}
	// Make what is left visible again, so that the queue's depth (and its
	// alarm) and the next run see it at once; even after ctx is done.
	ids := slices.Sorted(maps.Keys(r.held))
	failed := r.changeVisibility(ctx, ids, 0)
	for _, id := range ids {
		if ferr, ok := failed[id]; ok {
			if r.sum.Hidden == 0 {
				r.sum.HiddenError = fmt.Sprintf("making message %s visible again: %v", id, ferr)
			}
			r.sum.Hidden++
		}
	}
	rel, cancel := context.WithTimeout(context.WithoutCancel(ctx), callTimeout)
	defer cancel()
	r.sum.Left = r.queueSize(rel, true)
	return r.sum, err
}

// callTimeout bounds each SQS call made to settle messages (deletes,
// visibility changes), which are made even after ctx is done.
const callTimeout = 30 * time.Second

// changeVisibility sets the visibility timeout of the held messages ids to
// vis, ten to a ChangeMessageVisibilityBatch call (its most), each call
// with its own timeout and made even when ctx is done. It returns the
// messages whose change failed, with why: a call that failed, or the
// entry's error in the response's Failed list (the call succeeds when some
// entries fail).
// https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_ChangeMessageVisibilityBatch.html
func (r *run) changeVisibility(ctx context.Context, ids []string, vis time.Duration) map[string]error {
	failed := map[string]error{}
	for chunk := range slices.Chunk(ids, 10) {
		entries := make([]types.ChangeMessageVisibilityBatchRequestEntry, len(chunk))
		for i, id := range chunk {
			entries[i] = types.ChangeMessageVisibilityBatchRequestEntry{Id: aws.String(strconv.Itoa(i)),
				ReceiptHandle: aws.String(r.held[id].receipt), VisibilityTimeout: int32(vis / time.Second)}
		}
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), callTimeout)
		out, err := r.cfg.SQS.ChangeMessageVisibilityBatch(cctx, &sqs.ChangeMessageVisibilityBatchInput{
			QueueUrl: aws.String(r.cfg.QueueURL), Entries: entries})
		cancel()
		if err != nil {
			for _, id := range chunk {
				failed[id] = err
			}
			continue
		}
		done := map[string]bool{}
		for _, e := range out.Successful {
			done[aws.ToString(e.Id)] = true
		}
		why := map[string]error{}
		for _, e := range out.Failed {
			why[aws.ToString(e.Id)] = fmt.Errorf("%s: %s", aws.ToString(e.Code), aws.ToString(e.Message))
		}
		for i, id := range chunk {
			k := strconv.Itoa(i)
			switch {
			case why[k] != nil:
				failed[id] = why[k]
			case !done[k]:
				failed[id] = errors.New("not in the response")
			}
		}
	}
	return failed
}

// queueSize is the approximate number of messages (visible, and in flight
// too when inFlight), -1 if unknown.
func (r *run) queueSize(ctx context.Context, inFlight bool) int {
	out, err := r.cfg.SQS.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl: aws.String(r.cfg.QueueURL),
		AttributeNames: []types.QueueAttributeName{
			types.QueueAttributeNameApproximateNumberOfMessages,
			types.QueueAttributeNameApproximateNumberOfMessagesNotVisible,
		},
	})
	if err != nil {
		return -1
	}
	n, _ := strconv.Atoi(out.Attributes[string(types.QueueAttributeNameApproximateNumberOfMessages)])
	if inFlight {
		m, _ := strconv.Atoi(out.Attributes[string(types.QueueAttributeNameApproximateNumberOfMessagesNotVisible)])
		n += m
	}
	return n
}

func (r *run) loop(ctx context.Context) error {
	empty := 0
	for empty < 2 {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("%w: %w", ErrStopped, err)
		}
		max := int32(10)
		if r.cfg.Limit > 0 {
			left := r.cfg.Limit - len(r.seen)
			if left <= 0 {
				return nil
			}
			max = int32(min(left, 10))
		}
		if err := r.extend(ctx); err != nil {
			return err
		}
		out, err := r.cfg.SQS.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
			QueueUrl:            aws.String(r.cfg.QueueURL),
			MaxNumberOfMessages: max,
			VisibilityTimeout:   int32(r.vis / time.Second),
			WaitTimeSeconds:     int32(r.cfg.Wait / time.Second),
			MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameSentTimestamp,
				types.MessageSystemAttributeNameApproximateFirstReceiveTimestamp},
		})
		if err != nil {
			return fmt.Errorf("%w: receiving from %s: %w", ErrStopped, r.cfg.QueueURL, err)
		}
		// Every new message is held before any is handled, so that a stop
		// while handling one still makes the others visible again.
		var fresh []types.Message
		for _, m := range out.Messages {
			id := aws.ToString(m.MessageId)
			for _, a := range []types.MessageSystemAttributeName{types.MessageSystemAttributeNameSentTimestamp,
				types.MessageSystemAttributeNameApproximateFirstReceiveTimestamp} {
				if t := attrTime(m, a); t.After(r.sqsNow) {
					r.sqsNow = t
				}
			}
			if r.seen[id] {
				// Back after its visibility timeout: handled already in
				// this run; only its receipt handle is new.
				if h, ok := r.held[id]; ok {
					h.receipt = aws.ToString(m.ReceiptHandle)
					h.deadline = r.now().Add(r.vis)
				}
				continue
			}
			if _, ok := r.held[id]; ok {
				continue // the same message twice in one receive
			}
			r.hold(id, aws.ToString(m.ReceiptHandle))
			fresh = append(fresh, m)
		}
		for _, m := range fresh {
			r.seen[aws.ToString(m.MessageId)] = true
			if err := r.handle(ctx, m); err != nil {
				return err
			}
		}
		if err := r.flush(ctx); err != nil {
			return err
		}
		if len(fresh) == 0 {
			empty++
		} else {
			empty = 0
		}
	}
	return nil
}

func (r *run) emit(id string, k Kind, o Outcome, reason string) {
	if h := r.held[id]; h != nil && o != OutcomeHeld {
		h.settled = true
	}
	if r.cfg.Event != nil {
		r.cfg.Event(Event{MessageID: id, Kind: k, Outcome: o, Reason: reason, Done: len(r.seen), Total: r.total})
	}
}

func (r *run) hold(id, receipt string) {
	r.held[id] = &held{receipt: receipt, deadline: r.now().Add(r.vis)}
}

// del deletes a message whose input was delivered: also when ctx is done,
// so that a run interrupted just after a replay does not replay it again.
func (r *run) del(ctx context.Context, id string) error {
	h := r.held[id]
	dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), callTimeout)
	defer cancel()
	_, err := r.cfg.SQS.DeleteMessage(dctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(r.cfg.QueueURL), ReceiptHandle: aws.String(h.receipt)})
	if err != nil {
		return fmt.Errorf("%w: deleting replayed message %s: %w", ErrStopped, id, err)
	}
	delete(r.held, id)
	return nil
}

// replayTimeout is how long one replay may take: half the visibility
// timeout.
func (r *run) replayTimeout() time.Duration { return r.vis / 2 }

// extend hides again for the visibility timeout every message held and not
// settled (still to be handled or replayed, or waiting for the other parts
// of its input) whose visibility would end within a replay's time and a
// quarter of the visibility timeout (to settle it after the replay): three
// quarters of it.
func (r *run) extend(ctx context.Context) error {
	now := r.now()
	var ids []string
	for _, id := range slices.Sorted(maps.Keys(r.held)) {
		if h := r.held[id]; !h.settled && h.deadline.Sub(now) < r.replayTimeout()+r.vis/4 {
			ids = append(ids, id)
		}
	}
	failed := r.changeVisibility(ctx, ids, r.vis)
	for _, id := range ids {
		if err := failed[id]; err != nil {
			return fmt.Errorf("%w: extending the visibility of %s: %w", ErrStopped, id, err)
		}
		r.held[id].deadline = now.Add(r.vis)
	}
	return nil
}

// attrTime is a message's timestamp attribute (epoch milliseconds), zero
// when absent.
func attrTime(m types.Message, a types.MessageSystemAttributeName) time.Time {
	ms, err := strconv.ParseInt(m.Attributes[string(a)], 10, 64)
	if err != nil {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}

// FileRecord is one line ToFile writes.
type FileRecord struct {
	MessageID string    `json:"message_id"`
	Sent      time.Time `json:"sent"`
	Kind      Kind      `json:"kind"`
	Reason    string    `json:"reason,omitempty"`
	LogGroup  string    `json:"log_group,omitempty"`
	LogStream string    `json:"log_stream,omitempty"`
	Body      string    `json:"body"`
}

func (r *run) handle(ctx context.Context, m types.Message) error {
	id, body := aws.ToString(m.MessageId), aws.ToString(m.Body)
	r.sum.Received++
	sent := attrTime(m, types.MessageSystemAttributeNameSentTimestamp)
	r.sentAt[id] = sent
	l := Parse(body)
	r.sum.Inventory.Add(&l, sent, len(body))
	switch {
	case r.cfg.DryRun:
		r.emit(id, l.Kind, OutcomeListed, l.Reason)
		return nil
	case r.cfg.ToFile != nil:
		rec := FileRecord{MessageID: id, Sent: sent, Kind: l.Kind, Reason: l.Reason, LogGroup: l.LogGroup, LogStream: l.LogStream, Body: body}
		b, err := json.Marshal(&rec)
		if err == nil {
			_, err = r.cfg.ToFile.Write(append(b, '\n'))
		}
		if err == nil && r.cfg.Sync != nil {
			err = r.cfg.Sync()
		}
		if err != nil {
			return fmt.Errorf("%w: writing message %s: %w", ErrStopped, id, err)
		}
		r.sum.Written++
		r.emit(id, l.Kind, OutcomeWritten, l.Reason)
		if r.cfg.DeleteWritten {
			return r.del(ctx, id)
		}
		return nil
	case !l.Kind.Replayable() || !r.cfg.Sink.Accepts(l.Kind):
		r.sum.Skipped++
		reason := l.Reason
		if l.Kind.Replayable() {
			reason = "this queue's target does not replay " + string(l.Kind) + ": " + reason
		}
		r.emit(id, l.Kind, OutcomeSkipped, reason)
		return nil
	}
	if done, ok := r.replayed[l.Key]; ok {
		switch {
		case !done:
			// A copy of an input that failed in this run: leave it.
			r.sum.Skipped++
			r.emit(id, l.Kind, OutcomeSkipped, "a copy of an input whose replay failed in this run")
		case !sent.IsZero() && sent.Before(r.replayedAt[l.Key]):
			// A copy written before the replay (a Lambda retry writes the
			// same letter again): its content is delivered. Both times are
			// on SQS's clock, never the local one, which may be ahead; a
			// copy sent after (or at) the time the original was received
			// may be the replay's own dead letter, and is kept.
			// https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_ReceiveMessage.html
			r.sum.Duplicates++
			r.emit(id, l.Kind, OutcomeDuplicate, "a copy of an input replayed in this run")
			return r.del(ctx, id)
		default:
			// Dead-lettered again by the replay itself (the cause is not
			// fixed): never loop.
			r.sum.Skipped++
			r.emit(id, l.Kind, OutcomeSkipped, "dead-lettered again by this run's replay: "+l.Reason)
		}
		return nil
	}
	if l.Parts > 1 {
		g := r.groups[l.GroupKey]
		if g == nil {
			g = &group{parts: map[int]*Letter{}, ids: map[int]string{}, want: l.Parts}
			r.groups[l.GroupKey] = g
		}
		if _, dup := g.parts[l.Part]; dup {
			// The same part twice before the input was complete: keep one.
			r.sum.Duplicates++
			r.emit(id, l.Kind, OutcomeDuplicate, "a copy of a part already held")
			return r.del(ctx, id)
		}
		lc := l
		g.parts[l.Part], g.ids[l.Part] = &lc, id
		r.pending[id] = l.GroupKey
		if len(g.parts) < g.want {
			r.emit(id, l.Kind, OutcomeHeld, "part "+strconv.Itoa(l.Part)+" of "+strconv.Itoa(l.Parts))
			return nil
		}
		delete(r.groups, l.GroupKey)
		it := &Item{Letter: *g.parts[1]}
		var data []byte
		for p := 1; p <= g.want; p++ {
			pl := g.parts[p]
			if pl == nil {
				// Parts numbered beyond Parts: not this writer's letters.
				return r.finish(ctx, it, fmt.Errorf("split input %s lacks part %d", l.GroupKey, p))
			}
			data = append(data, pl.Data...)
			it.MessageIDs = append(it.MessageIDs, g.ids[p])
			delete(r.pending, g.ids[p])
		}
		it.Data = data
		return r.finish(ctx, it, nil)
	}
	if l.Kind == KindIndexerReject && l.Parts <= 1 {
		// Rejects of one log stream received together go back in one
		// invocation, as CloudWatch Logs would deliver them.
		k := l.LogGroup + "\x00" + l.LogStream
		for _, b := range r.batch {
			if slices.Contains(b.keys, l.Key) {
				// A copy of a reject batched already: sent once.
				b.dups = append(b.dups, id)
				return nil
			}
		}
		it := r.batch[k]
		if it == nil {
			it = &Item{Letter: l}
			r.batch[k] = it
			r.order = append(r.order, k)
		}
		ev := *l.Event
		ev.Message = string(l.Data)
		it.Events = append(it.Events, ev)
		it.MessageIDs = append(it.MessageIDs, id)
		it.keys = append(it.keys, l.Key)
		return nil
	}
	return r.finish(ctx, &Item{Letter: l, MessageIDs: []string{id}}, nil)
}

// flush replays the batched indexer rejects.
func (r *run) flush(ctx context.Context) error {
	order := r.order
	r.order = nil
	for _, k := range order {
		it := r.batch[k]
		delete(r.batch, k)
		if err := r.finish(ctx, it, nil); err != nil {
			return err
		}
	}
	return nil
}

// finish replays an item (unless err already failed it) and settles its
// messages.
func (r *run) finish(ctx context.Context, it *Item, err error) error {
	if err == nil {
		// A stop is taken between replays, never during one: a function
		// invoked finishes even if the call is cut, and its message, kept,
		// would be replayed again by the next run.
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("%w: %w", ErrStopped, err)
		}
		if err := r.extend(ctx); err != nil {
			return err
		}
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), r.replayTimeout())
		err = r.cfg.Sink.Replay(rctx, it)
		cancel()
	}
	keys := []string{it.Key}
	switch {
	case it.keys != nil:
		keys = it.keys
	case it.Parts > 1:
		keys = keys[:0]
		for p := 1; p <= it.Parts; p++ {
			keys = append(keys, it.GroupKey+"/"+strconv.Itoa(p))
		}
	}
	if err == nil {
		r.fails = 0
		r.sum.Inputs += max(len(it.keys), 1)
		for _, k := range keys {
			r.replayed[k] = true
			r.replayedAt[k] = r.sqsNow
		}
		for _, id := range it.MessageIDs {
			if derr := r.del(ctx, id); derr != nil {
				return derr
			}
			r.sum.Replayed++
			r.emit(id, it.Kind, OutcomeReplayed, "")
		}
		for _, id := range it.dups {
			if derr := r.del(ctx, id); derr != nil {
				return derr
			}
			r.sum.Duplicates++
			r.emit(id, it.Kind, OutcomeDuplicate, "a copy of an input replayed in this run")
		}
		return nil
	}
	for _, id := range it.dups {
		r.sum.Skipped++
		r.emit(id, it.Kind, OutcomeSkipped, "a copy of an input whose replay failed in this run")
	}
	for _, k := range keys {
		r.replayed[k] = false
	}
	if errors.Is(err, ErrNotReplayable) {
		// Reported and left, not a failure of the replay (and no reason
		// to stop the run).
		for _, id := range it.MessageIDs {
			r.sum.Skipped++
			r.emit(id, it.Kind, OutcomeSkipped, err.Error())
		}
		return nil
	}
	for _, id := range it.MessageIDs {
		r.sum.Failed++
		r.emit(id, it.Kind, OutcomeFailed, err.Error())
	}
	if ctx.Err() != nil {
		return fmt.Errorf("%w: %w", ErrStopped, ctx.Err())
	}
	r.fails++
	if Systematic(err) {
		return fmt.Errorf("%w: a failure that every message would meet: %w", ErrStopped, err)
	}
	if r.fails >= r.cfg.MaxFailures {
		return fmt.Errorf("%w: %d replays failed in a row, the last: %w", ErrStopped, r.fails, err)
	}
	return nil
}

// Systematic reports whether err is one every further replay would meet:
// missing permissions or credentials, a missing function, stream or queue.
func Systematic(err error) bool {
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		return false
	}
	code := ae.ErrorCode()
	for _, s := range []string{"AccessDenied", "NotFound", "NonExistent", "DoesNotExist", "UnrecognizedClient",
		"InvalidClientTokenId", "ExpiredToken", "InvalidSignature", "SignatureDoesNotMatch", "KMSAccessDenied",
		"InvalidSecurity", "AuthFailure", "InvalidArgument", "RequestTooLarge", "InvalidRequestContent"} {
		if strings.Contains(code, s) {
			return true
		}
	}
	return false
}
