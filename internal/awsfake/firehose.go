package awsfake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
)

// PutRecordBatch quotas the fake enforces (a request over them is a
// violation and is refused).
// https://docs.aws.amazon.com/firehose/latest/APIReference/API_PutRecordBatch.html
const (
	firehoseMaxRecords     = 500
	firehoseMaxBatchBytes  = 4 << 20
	firehoseMaxRecordBytes = 1000 << 10
)

// Firehose is a fake of Firehose PutRecordBatch. Fail may fail single
// records (partial failure: FailedPutCount and per-record ErrorCode) or the
// whole call.
type Firehose struct {
	// Fault, when set, may fail call n (0-based) whole.
	Fault func(n int) *Fault
	// FailRecord, when set, gives record i of call n an error code ("" puts
	// it).
	FailRecord func(n, i int) string

	mu         sync.Mutex
	calls      int
	records    map[string][][]byte
	violations []string
}

// Records returns the records the stream accepted, in order.
func (f *Firehose) Records(stream string) [][]byte {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([][]byte(nil), f.records[stream]...)
}

// Violations returns the requests that broke a PutRecordBatch quota.
func (f *Firehose) Violations() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.violations...)
}

func (f *Firehose) serve(w http.ResponseWriter, r *http.Request, op string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := f.calls
	f.calls++
	if op != "PutRecordBatch" {
		jsonError(w, "1.1", &Fault{http.StatusBadRequest, "UnknownOperationException"})
		return
	}
	if f.Fault != nil {
		if fault := f.Fault(n); fault != nil {
			jsonError(w, "1.1", fault)
			return
		}
	}
	var in struct {
		DeliveryStreamName string
		Records            []struct{ Data []byte }
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		jsonError(w, "1.1", &Fault{http.StatusBadRequest, "SerializationException"})
		return
	}
	size := 0
	for i, rec := range in.Records {
		size += len(rec.Data)
		if len(rec.Data) > firehoseMaxRecordBytes {
			f.violations = append(f.violations, fmt.Sprintf("call %d: record %d is %d bytes", n, i, len(rec.Data)))
		}
	}
	if len(in.Records) == 0 || len(in.Records) > firehoseMaxRecords || size > firehoseMaxBatchBytes {
		f.violations = append(f.violations, fmt.Sprintf("call %d: %d records, %d bytes", n, len(in.Records), size))
		jsonError(w, "1.1", &Fault{http.StatusBadRequest, "InvalidArgumentException"})
		return
	}
	type result struct {
		RecordId     string `json:",omitempty"`
		ErrorCode    string `json:",omitempty"`
		ErrorMessage string `json:",omitempty"`
	}
	resp := struct {
		FailedPutCount   int
		Encrypted        bool
		RequestResponses []result
	}{RequestResponses: []result{}}
	if f.records == nil {
		f.records = map[string][][]byte{}
	}
	for i, rec := range in.Records {
		if f.FailRecord != nil {
			if code := f.FailRecord(n, i); code != "" {
				resp.FailedPutCount++
				resp.RequestResponses = append(resp.RequestResponses, result{ErrorCode: code, ErrorMessage: "injected by the fake"})
				continue
			}
		}
		f.records[in.DeliveryStreamName] = append(f.records[in.DeliveryStreamName], rec.Data)
		resp.RequestResponses = append(resp.RequestResponses, result{RecordId: fmt.Sprintf("rec-%d-%d", n, i)})
	}
	writeJSON(w, "1.1", resp)
}
