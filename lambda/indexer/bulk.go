package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	mathrand "math/rand/v2"
	"net/http"
	"time"

	"github.com/opensearch-project/opensearch-go/v4/opensearchapi"
)

// BulkAPI is the part of the OpenSearch client the sender uses;
// *opensearchapi.Client implements it.
type BulkAPI interface {
	Bulk(ctx context.Context, req opensearchapi.BulkReq) (*opensearchapi.BulkResp, error)
}

// Doc is one encoded document of a Batch.
type Doc struct {
	// Start and End delimit the document's action and source lines in Batch.Body.
	Start, End int
	// Index and ID are the document's _index and _id.
	Index, ID string
	// Event is the caller's reference to the document's origin (the
	// position of its event in the payload).
	Event int
}

// Size is the number of bytes the document adds to a _bulk body.
func (d *Doc) Size() int { return d.End - d.Start }

// Batch is a _bulk body under construction: the NDJSON lines of every
// document, one after the other, and where each document is.
type Batch struct {
	Body []byte
	Docs []Doc
}

// Reset empties the batch, keeping its storage.
func (b *Batch) Reset() {
	b.Body = b.Body[:0]
	clear(b.Docs)
	b.Docs = b.Docs[:0]
}

// ItemError is a document that was not indexed.
type ItemError struct {
	Doc Doc
	// Status is the item's (or, for a failed request, the response's) HTTP
	// status; 0 when no response was received.
	Status int
	// Type and Reason are OpenSearch's error type and reason, or a
	// description of the request failure.
	Type, Reason string
}

// BulkResult says what became of the documents of a batch. Every document
// is in exactly one of Indexed, Rejected and Failed.
type BulkResult struct {
	// Sent is the number of documents in the batch.
	Sent int
	// Indexed is the number of documents OpenSearch accepted.
	Indexed int
	// Rejected are the documents OpenSearch refused for good (a 4xx item
	// status other than 429, typically a mapping error): they belong in
	// the dead-letter queue.
	Rejected []ItemError
	// Failed are the documents that still failed after every attempt (item
	// statuses 429 and 5xx, and failed requests), or whose request was
	// refused as a whole: the invocation must fail so that it is retried.
	Failed []ItemError
	// Requests is the number of _bulk requests made.
	Requests int
	// Resent is the number of document sends after the first.
	Resent int
}

// Defaults of a BulkSender.
const (
	DefaultMaxBodyBytes = 5 << 20
	DefaultMaxAttempts  = 6
	DefaultBaseDelay    = 200 * time.Millisecond
	DefaultMaxDelay     = 5 * time.Second
	DefaultReserve      = 3 * time.Second
)

// BulkSender indexes batches through the _bulk API. It splits a batch into
// requests of at most MaxBodyBytes, retries the documents that failed with a
// retryable status (429, 5xx) or whose request failed (connection errors,
// timeouts, 429/5xx responses) with jittered exponential backoff, and sorts
// the rest into indexed, rejected (mapping errors) and failed.
//
// Documents have fixed _ids, so resending one after an ambiguous failure
// (a timeout after OpenSearch indexed it) overwrites it rather than
// duplicating it.
type BulkSender struct {
	// Client sends the requests.
	Client BulkAPI
	// MaxBodyBytes caps a request body; a single larger document is sent
	// on its own. Zero means DefaultMaxBodyBytes.
	MaxBodyBytes int
	// MaxAttempts is the number of times a document is tried; zero means
	// DefaultMaxAttempts.
	MaxAttempts int
	// BaseDelay and MaxDelay shape the backoff: before retry round k the
	// sender waits between d/2 and d, d = min(MaxDelay, BaseDelay*2^(k-1)).
	// Zero means DefaultBaseDelay and DefaultMaxDelay.
	BaseDelay, MaxDelay time.Duration
	// RequestTimeout bounds one _bulk request; zero means
	// DefaultRequestTimeout. Each request is further cut off Reserve
	// before the context's deadline.
	RequestTimeout time.Duration
	// Reserve is kept free before the context's deadline: no request and
	// no backoff wait reaches into it, so that the caller can still
	// dead-letter and report before Lambda stops the function. When the
	// invocation starts with less than twice the reserve, half the time
	// left is kept instead (as the forwarder does). Zero means
	// DefaultReserve; negative disables the check.
	Reserve time.Duration
	// Now tells the time; nil means time.Now.
	Now func() time.Time
	// Sleep waits for d or until ctx is done; nil means SleepContext.
	Sleep func(ctx context.Context, d time.Duration) error
	// Rand returns a number in [0, 1) for the jitter; nil means math/rand/v2.
	Rand func() float64

	scratch []byte
	pending []Doc
	// cutoff is when the current Send's requests and waits must end.
	cutoff    time.Time
	hasCutoff bool
}

// DefaultRequestTimeout bounds one _bulk request unless configured.
const DefaultRequestTimeout = 30 * time.Second

// errDeadline is the failure of the documents that were not (re)sent because
// the invocation's deadline, less the reserve, was reached.
var errDeadline = errors.New("no time left before the invocation deadline")

// SleepContext waits for d or until ctx is done, whichever is first.
func SleepContext(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// bulkFilterPath trims the _bulk response to what the sender reads.
var bulkFilterPath = []string{"errors", "items.*._id", "items.*.status", "items.*.error.type", "items.*.error.reason", "items.*.error.caused_by.reason"}

// Send indexes every document of b and reports the outcome. It never
// returns early because of a document: it stops retrying when the attempts
// are used up, when ctx is done or when the deadline is within Reserve.
func (s *BulkSender) Send(ctx context.Context, b *Batch) BulkResult {
	res := BulkResult{Sent: len(b.Docs)}
	s.cutoff, s.hasCutoff = time.Time{}, false
	if d, ok := ctx.Deadline(); ok && s.Reserve >= 0 {
		reserve := s.Reserve
		if reserve == 0 {
			reserve = DefaultReserve
		}
		s.cutoff, s.hasCutoff = d.Add(-min(reserve, d.Sub(s.now())/2)), true
	}
	pending := append(s.pending[:0], b.Docs...)
	var retry []Doc
	var lastErr []ItemError // why each document of retry failed last
	maxAttempts := s.maxAttempts()
	for attempt := 1; len(pending) > 0; attempt++ {
		retry, lastErr = retry[:0], lastErr[:0]
		outOfTime := false
		for start := 0; start < len(pending); {
			if s.hasCutoff && !s.now().Before(s.cutoff) {
				// No time left for this request or the rest.
				for _, d := range pending[start:] {
					retry = append(retry, d)
					lastErr = append(lastErr, ItemError{Doc: d, Type: "deadline", Reason: errDeadline.Error()})
				}
				outOfTime = true
				break
			}
			end := s.chunkEnd(pending, start)
			chunk := pending[start:end]
			start = end
			if attempt > 1 {
				res.Resent += len(chunk)
			}
			res.Requests++
			failed := s.sendChunk(ctx, b.Body, chunk, &res)
			for _, f := range failed {
				retry = append(retry, f.Doc)
				lastErr = append(lastErr, f)
			}
			if ctx.Err() != nil {
				// Whatever has not been sent yet fails with the context.
				for _, d := range pending[start:] {
					retry = append(retry, d)
					lastErr = append(lastErr, ItemError{Doc: d, Type: "context", Reason: ctx.Err().Error()})
				}
				break
			}
		}
		if len(retry) == 0 {
			break
		}
		if attempt >= maxAttempts || ctx.Err() != nil || outOfTime {
			res.Failed = append(res.Failed, lastErr...)
			break
		}
		d := s.backoff(attempt)
		if s.tooLate(d) {
			res.Failed = append(res.Failed, lastErr...)
			break
		}
		if err := s.sleep(ctx, d); err != nil {
			res.Failed = append(res.Failed, lastErr...)
			break
		}
		pending = append(pending[:0], retry...)
	}
	clear(pending)
	s.pending = pending[:0]
	return res
}

// chunkEnd returns the end of the request that starts at docs[start]: as
// many documents as fit in MaxBodyBytes, and at least one.
func (s *BulkSender) chunkEnd(docs []Doc, start int) int {
	limit := s.MaxBodyBytes
	if limit <= 0 {
		limit = DefaultMaxBodyBytes
	}
	size := docs[start].Size()
	end := start + 1
	for end < len(docs) && size+docs[end].Size() <= limit {
		size += docs[end].Size()
		end++
	}
	return end
}

// body returns the request body of chunk: a slice of the batch when its
// documents are contiguous there (the first attempt), else a copy.
func (s *BulkSender) body(all []byte, chunk []Doc) []byte {
	contiguous := true
	for i := 1; i < len(chunk); i++ {
		if chunk[i].Start != chunk[i-1].End {
			contiguous = false
			break
		}
	}
	if contiguous {
		return all[chunk[0].Start:chunk[len(chunk)-1].End]
	}
	buf := s.scratch[:0]
	for _, d := range chunk {
		buf = append(buf, all[d.Start:d.End]...)
	}
	s.scratch = buf
	return buf
}

// sendChunk sends one request and records its outcome in res; it returns
// the documents to retry with the reason they failed.
func (s *BulkSender) sendChunk(ctx context.Context, all []byte, chunk []Doc, res *BulkResult) (retry []ItemError) {
	timeout := s.RequestTimeout
	if timeout <= 0 {
		timeout = DefaultRequestTimeout
	}
	deadline := s.now().Add(timeout)
	if s.hasCutoff && s.cutoff.Before(deadline) {
		deadline = s.cutoff // Send checked that it is still ahead
	}
	ctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	body := s.body(all, chunk)
	resp, err := s.Client.Bulk(ctx, opensearchapi.BulkReq{
		Body:   bytes.NewReader(body),
		Params: opensearchapi.BulkParams{FilterPath: bulkFilterPath},
	})
	status := 0
	if resp != nil && resp.Inspect().Response != nil {
		status = resp.Inspect().Response.StatusCode
	}
	var partial *opensearchapi.PartialBulkError
	if err != nil && !(status/100 == 2 && errors.As(err, &partial)) {
		fail := ItemError{Status: status, Type: "request", Reason: err.Error()}
		switch {
		case status == 0, status == http.StatusTooManyRequests, status >= 500:
			// Connection errors, timeouts, throttling and server errors
			// may pass; OpenSearch may also have indexed some documents
			// before failing, which a resend overwrites.
			return allOf(chunk, fail)
		case status == http.StatusRequestEntityTooLarge:
			fail.Reason = fmt.Sprintf("the domain refused a %d-byte _bulk body (413); lower BULK_MAX_BYTES: %v", len(body), err)
		}
		// A request refused as a whole (403, 400...) fails on every retry.
		res.Failed = append(res.Failed, allOf(chunk, fail)...)
		return nil
	}
	if len(resp.Items) != len(chunk) {
		return allOf(chunk, ItemError{Status: status, Type: "response", Reason: fmt.Sprintf("the _bulk response has %d items for %d documents", len(resp.Items), len(chunk))})
	}
	for i, item := range resp.Items {
		doc := chunk[i]
		it, ok := firstItem(item)
		if !ok || (it.ID != "" && it.ID != doc.ID) {
			retry = append(retry, ItemError{Doc: doc, Status: it.Status, Type: "response", Reason: fmt.Sprintf("the _bulk response item %d does not match document %q", i, doc.ID)})
			continue
		}
		e := ItemError{Doc: doc, Status: it.Status}
		if it.Error != nil {
			e.Type, e.Reason = it.Error.Type, it.Error.Reason
			if c := it.Error.Cause.Reason; c != "" && c != e.Reason {
				e.Reason += ": " + c
			}
		}
		switch {
		case it.Status >= 200 && it.Status < 300:
			res.Indexed++
		case it.Status == http.StatusTooManyRequests, it.Status >= 500, it.Status == 0:
			if e.Reason == "" {
				e.Reason = fmt.Sprintf("item status %d", it.Status)
			}
			retry = append(retry, e)
		default:
			if e.Reason == "" {
				e.Reason = fmt.Sprintf("item status %d", it.Status)
			}
			res.Rejected = append(res.Rejected, e)
		}
	}
	return retry
}

// firstItem returns the result of a _bulk response item ({"index": {...}}).
func firstItem(m map[string]opensearchapi.BulkRespItem) (opensearchapi.BulkRespItem, bool) {
	for _, v := range m {
		return v, true
	}
	return opensearchapi.BulkRespItem{}, false
}

func allOf(docs []Doc, e ItemError) []ItemError {
	out := make([]ItemError, len(docs))
	for i, d := range docs {
		out[i] = e
		out[i].Doc = d
	}
	return out
}

func (s *BulkSender) maxAttempts() int {
	if s.MaxAttempts > 0 {
		return s.MaxAttempts
	}
	return DefaultMaxAttempts
}

// backoff is the wait before retry round attempt+1: "equal jitter", between
// half and all of the exponential delay.
func (s *BulkSender) backoff(attempt int) time.Duration {
	base, maxD := s.BaseDelay, s.MaxDelay
	if base <= 0 {
		base = DefaultBaseDelay
	}
	if maxD <= 0 {
		maxD = DefaultMaxDelay
	}
	d := base
	for i := 1; i < attempt && d < maxD; i++ {
		d *= 2
	}
	d = min(d, maxD)
	return d/2 + time.Duration(s.rand()*float64(d/2))
}

// tooLate reports whether waiting d would reach the cutoff, Reserve before
// the context's deadline.
func (s *BulkSender) tooLate(d time.Duration) bool {
	return s.hasCutoff && !s.now().Add(d).Before(s.cutoff)
}

func (s *BulkSender) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *BulkSender) sleep(ctx context.Context, d time.Duration) error {
	if s.Sleep != nil {
		return s.Sleep(ctx, d)
	}
	return SleepContext(ctx, d)
}

func (s *BulkSender) rand() float64 {
	if s.Rand != nil {
		return s.Rand()
	}
	return mathrand.Float64()
}
