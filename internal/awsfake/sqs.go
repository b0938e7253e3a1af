package awsfake

import (
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// SQS is an in-memory standard queue service: messages become invisible for
// the visibility timeout when received, a receive hands out a new receipt
// handle each time, and (as SQS documents) a delete with a receipt handle
// other than the latest succeeds without deleting the message.
// https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_DeleteMessage.html
//
// ChangeMessageVisibilityBatch takes 1 to 10 entries with distinct ids and
// answers each in Successful or Failed, the call itself succeeding.
// https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_ChangeMessageVisibilityBatch.html
type SQS struct {
	// Now is the queue's clock; nil means time.Now. Tests move it past a
	// visibility timeout instead of waiting.
	Now func() time.Time
	// Fault, when set, may fail call n (0-based, counted per operation).
	Fault func(op string, n int) *Fault
	// FailEntry, when set, may fail entry i of batch call n of op (the
	// call succeeds, the entry is in Failed with that code).
	FailEntry func(op string, n, i int) string

	mu     sync.Mutex
	queues map[string][]*sqsMessage
	calls  map[string]int
	nextID int
}

type sqsMessage struct {
	id, body  string
	sent      time.Time
	firstRecv time.Time
	visibleAt time.Time
	receipt   string
	receives  int
	deleted   bool
}

func (q *SQS) now() time.Time {
	if q.Now != nil {
		return q.Now()
	}
	return time.Now()
}

// Add puts a message on the queue at url, sent at sent, and returns its
// message ID.
func (q *SQS) Add(url, body string, sent time.Time) string {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.add(url, body, sent)
}

func (q *SQS) add(url, body string, sent time.Time) string {
	if q.queues == nil {
		q.queues = map[string][]*sqsMessage{}
	}
	q.nextID++
	id := fmt.Sprintf("00000000-0000-4000-8000-%012d", q.nextID)
	q.queues[url] = append(q.queues[url], &sqsMessage{id: id, body: body, sent: sent})
	return id
}

// Bodies returns the bodies of the messages not deleted from url, in the
// order they were added.
func (q *SQS) Bodies(url string) []string {
	q.mu.Lock()
	defer q.mu.Unlock()
	var out []string
	for _, m := range q.queues[url] {
		if !m.deleted {
			out = append(out, m.body)
		}
	}
	return out
}

// Calls returns how many calls of op the fake has answered or failed.
func (q *SQS) Calls(op string) int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.calls[op]
}

func (q *SQS) serve(w http.ResponseWriter, r *http.Request, op string) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.calls == nil {
		q.calls = map[string]int{}
	}
	n := q.calls[op]
	q.calls[op]++
	if q.Fault != nil {
		if f := q.Fault(op, n); f != nil {
			jsonError(w, "1.0", f)
			return
		}
	}
	var in struct {
		QueueUrl            string
		MaxNumberOfMessages int
		VisibilityTimeout   *int
		ReceiptHandle       string
		MessageBody         string
		Entries             []struct {
			Id, ReceiptHandle string
			VisibilityTimeout *int
		}
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		jsonError(w, "1.0", &Fault{http.StatusBadRequest, "com.amazonaws.sqs#InvalidParameterValue"})
		return
	}
	msgs, ok := q.queues[in.QueueUrl]
	if !ok && op != "SendMessage" {
		jsonError(w, "1.0", &Fault{http.StatusBadRequest, "com.amazonaws.sqs#QueueDoesNotExist"})
		return
	}
	now := q.now()
	switch op {
	case "ReceiveMessage":
		max := in.MaxNumberOfMessages
		if max < 1 || max > 10 {
			if max != 0 {
				jsonError(w, "1.0", &Fault{http.StatusBadRequest, "com.amazonaws.sqs#InvalidParameterValue"})
				return
			}
			max = 1
		}
		vis := 30 * time.Second
		if in.VisibilityTimeout != nil {
			vis = time.Duration(*in.VisibilityTimeout) * time.Second
		}
		type attrs map[string]string
		type out struct {
			MessageId, ReceiptHandle, MD5OfBody, Body string
			Attributes                                attrs
		}
		resp := struct{ Messages []out }{Messages: []out{}}
		for _, m := range msgs {
			if len(resp.Messages) == max {
				break
			}
			if m.deleted || now.Before(m.visibleAt) {
				continue
			}
			m.receives++
			if m.receives == 1 {
				m.firstRecv = now
			}
			m.visibleAt = now.Add(vis)
			m.receipt = fmt.Sprintf("rh-%s-%d", m.id, m.receives)
			sum := md5.Sum([]byte(m.body))
			resp.Messages = append(resp.Messages, out{
				MessageId: m.id, ReceiptHandle: m.receipt, MD5OfBody: hex.EncodeToString(sum[:]), Body: m.body,
				Attributes: attrs{
					"SentTimestamp":                    strconv.FormatInt(m.sent.UnixMilli(), 10),
					"ApproximateReceiveCount":          strconv.Itoa(m.receives),
					"ApproximateFirstReceiveTimestamp": strconv.FormatInt(m.firstRecv.UnixMilli(), 10),
				},
			})
		}
		writeJSON(w, "1.0", resp)
	case "DeleteMessage":
		for _, m := range msgs {
			if m.receipt != "" && m.receipt == in.ReceiptHandle {
				m.deleted = true
			}
		}
		writeJSON(w, "1.0", struct{}{})
	case "ChangeMessageVisibility":
		for _, m := range msgs {
			if !m.deleted && m.receipt != "" && m.receipt == in.ReceiptHandle {
				if in.VisibilityTimeout == nil {
					jsonError(w, "1.0", &Fault{http.StatusBadRequest, "com.amazonaws.sqs#MissingParameter"})
					return
				}
				m.visibleAt = now.Add(time.Duration(*in.VisibilityTimeout) * time.Second)
				writeJSON(w, "1.0", struct{}{})
				return
			}
		}
		jsonError(w, "1.0", &Fault{http.StatusBadRequest, "com.amazonaws.sqs#ReceiptHandleIsInvalid"})
	case "ChangeMessageVisibilityBatch":
		switch ids := map[string]bool{}; {
		case len(in.Entries) == 0:
			jsonError(w, "1.0", &Fault{http.StatusBadRequest, "com.amazonaws.sqs#EmptyBatchRequest"})
			return
		case len(in.Entries) > 10:
			jsonError(w, "1.0", &Fault{http.StatusBadRequest, "com.amazonaws.sqs#TooManyEntriesInBatchRequest"})
			return
		default:
			for _, e := range in.Entries {
				if ids[e.Id] {
					jsonError(w, "1.0", &Fault{http.StatusBadRequest, "com.amazonaws.sqs#BatchEntryIdsNotDistinct"})
					return
				}
				ids[e.Id] = true
			}
		}
		type failed struct {
			Id, Code, Message string
			SenderFault       bool
		}
		type ok struct{ Id string }
		resp := struct {
			Successful []ok
			Failed     []failed
		}{Successful: []ok{}, Failed: []failed{}}
	entries:
		for i, e := range in.Entries {
			if q.FailEntry != nil {
				if code := q.FailEntry(op, n, i); code != "" {
					resp.Failed = append(resp.Failed, failed{Id: e.Id, Code: code, Message: "injected by the fake"})
					continue
				}
			}
			if e.VisibilityTimeout == nil {
				resp.Failed = append(resp.Failed, failed{Id: e.Id, Code: "MissingParameter", Message: "no VisibilityTimeout", SenderFault: true})
				continue
			}
			for _, m := range msgs {
				if !m.deleted && m.receipt != "" && m.receipt == e.ReceiptHandle {
					m.visibleAt = now.Add(time.Duration(*e.VisibilityTimeout) * time.Second)
					resp.Successful = append(resp.Successful, ok{e.Id})
					continue entries
				}
			}
			resp.Failed = append(resp.Failed, failed{Id: e.Id, Code: "ReceiptHandleIsInvalid", Message: "no such receipt handle", SenderFault: true})
		}
		writeJSON(w, "1.0", resp)
	case "GetQueueAttributes":
		visible, inFlight := 0, 0
		for _, m := range msgs {
			switch {
			case m.deleted:
			case now.Before(m.visibleAt):
				inFlight++
			default:
				visible++
			}
		}
		writeJSON(w, "1.0", struct{ Attributes map[string]string }{map[string]string{
			"ApproximateNumberOfMessages":           strconv.Itoa(visible),
			"ApproximateNumberOfMessagesNotVisible": strconv.Itoa(inFlight),
		}})
	case "SendMessage":
		id := q.add(in.QueueUrl, in.MessageBody, now)
		sum := md5.Sum([]byte(in.MessageBody))
		writeJSON(w, "1.0", struct{ MessageId, MD5OfMessageBody string }{id, hex.EncodeToString(sum[:])})
	default:
		jsonError(w, "1.0", &Fault{http.StatusBadRequest, "com.amazonaws.sqs#UnsupportedOperation"})
	}
}

// ReceiveCounts returns how many times each message of url (deleted or not)
// was received, in the order they were added.
func (q *SQS) ReceiveCounts(url string) []int {
	q.mu.Lock()
	defer q.mu.Unlock()
	out := make([]int, len(q.queues[url]))
	for i, m := range q.queues[url] {
		out[i] = m.receives
	}
	return out
}
