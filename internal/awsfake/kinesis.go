package awsfake

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Kinesis is an in-memory fake of the two Kinesis Data Streams reads a
// replay makes, GetShardIterator and GetRecords (AWS JSON 1.1,
// "X-Amz-Target: Kinesis_20131202.<Operation>"), over shards filled by the
// test with Put. Trim expires a shard's oldest records, as the stream's
// retention period does.
// https://docs.aws.amazon.com/kinesis/latest/APIReference/API_GetShardIterator.html
// https://docs.aws.amazon.com/kinesis/latest/APIReference/API_GetRecords.html
//
// An AT_SEQUENCE_NUMBER iterator for a sequence number that is no longer in
// the shard starts at the oldest record left (the trim horizon): the replay
// must notice that the first record it reads is not the one it asked for.
// (The API reference does not say what Kinesis answers then; the replay
// also handles an error.)
type Kinesis struct {
	// Fault, when set, may fail call n (0-based, counted per operation)
	// whole.
	Fault func(op string, n int) *Fault
	// MaxPerCall caps the records of one GetRecords answer (0: the
	// request's Limit, at most 10,000), so that tests read over several
	// calls.
	MaxPerCall int

	mu        sync.Mutex
	shards    map[string]*fakeShard // stream ARN + "|" + shard id
	iterators map[string]kinesisIterator
	calls     map[string]int
	nextSeq   int64
}

// KinesisRecord is a record of a fake shard.
type KinesisRecord struct {
	SequenceNumber string
	PartitionKey   string
	Data           []byte
	Arrival        time.Time
}

type fakeShard struct {
	records []KinesisRecord
	trimmed int // records[:trimmed] have expired
}

type kinesisIterator struct {
	key string
	pos int
}

// Put appends records to a shard of the stream, giving those without a
// sequence number the next one (56 decimal digits, increasing), and returns
// them as stored.
func (k *Kinesis) Put(streamARN, shardID string, recs ...KinesisRecord) []KinesisRecord {
	k.mu.Lock()
	defer k.mu.Unlock()
	s := k.shard(streamARN, shardID)
	for _, r := range recs {
		if r.SequenceNumber == "" {
			k.nextSeq++
			r.SequenceNumber = fmt.Sprintf("4967%052d", k.nextSeq)
		}
		s.records = append(s.records, r)
	}
	return append([]KinesisRecord(nil), s.records[len(s.records)-len(recs):]...)
}

// Trim expires the n oldest records of a shard.
func (k *Kinesis) Trim(streamARN, shardID string, n int) {
	k.mu.Lock()
	defer k.mu.Unlock()
	s := k.shard(streamARN, shardID)
	s.trimmed = min(len(s.records), s.trimmed+n)
}

// Calls returns how many calls of op were made.
func (k *Kinesis) Calls(op string) int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.calls[op]
}

func (k *Kinesis) shard(streamARN, shardID string) *fakeShard {
	if k.shards == nil {
		k.shards = map[string]*fakeShard{}
	}
	key := streamARN + "|" + shardID
	if k.shards[key] == nil {
		k.shards[key] = &fakeShard{}
	}
	return k.shards[key]
}

// seqLess compares decimal sequence numbers.
func seqLess(a, b string) bool {
	x, okx := new(big.Int).SetString(a, 10)
	y, oky := new(big.Int).SetString(b, 10)
	if !okx || !oky {
		return a < b
	}
	return x.Cmp(y) < 0
}

func (k *Kinesis) serve(w http.ResponseWriter, r *http.Request, op string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.calls == nil {
		k.calls = map[string]int{}
	}
	n := k.calls[op]
	k.calls[op]++
	if k.Fault != nil {
		if f := k.Fault(op, n); f != nil {
			jsonError(w, "1.1", f)
			return
		}
	}
	switch op {
	case "GetShardIterator":
		var in struct {
			StreamARN, StreamName, ShardId, ShardIteratorType, StartingSequenceNumber string
		}
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
			jsonError(w, "1.1", &Fault{http.StatusBadRequest, "SerializationException"})
			return
		}
		s := k.shards[in.StreamARN+"|"+in.ShardId]
		if s == nil {
			jsonError(w, "1.1", &Fault{http.StatusBadRequest, "ResourceNotFoundException"})
			return
		}
		pos := s.trimmed
		switch in.ShardIteratorType {
		case "TRIM_HORIZON":
		case "AT_SEQUENCE_NUMBER":
			if _, ok := new(big.Int).SetString(in.StartingSequenceNumber, 10); !ok {
				jsonError(w, "1.1", &Fault{http.StatusBadRequest, "InvalidArgumentException"})
				return
			}
			for pos < len(s.records) && seqLess(s.records[pos].SequenceNumber, in.StartingSequenceNumber) {
				pos++
			}
		default:
			jsonError(w, "1.1", &Fault{http.StatusBadRequest, "InvalidArgumentException"})
			return
		}
		if k.iterators == nil {
			k.iterators = map[string]kinesisIterator{}
		}
		id := base64.StdEncoding.EncodeToString([]byte("iterator-" + strconv.Itoa(len(k.iterators)+1)))
		k.iterators[id] = kinesisIterator{key: in.StreamARN + "|" + in.ShardId, pos: pos}
		writeJSON(w, "1.1", map[string]string{"ShardIterator": id})
	case "GetRecords":
		var in struct {
			ShardIterator string
			Limit         int
		}
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
			jsonError(w, "1.1", &Fault{http.StatusBadRequest, "SerializationException"})
			return
		}
		it, ok := k.iterators[in.ShardIterator]
		if !ok {
			jsonError(w, "1.1", &Fault{http.StatusBadRequest, "ExpiredIteratorException"})
			return
		}
		s := k.shards[it.key]
		pos := max(it.pos, s.trimmed)
		limit := in.Limit
		if limit <= 0 || limit > 10000 {
			limit = 10000
		}
		if k.MaxPerCall > 0 {
			limit = min(limit, k.MaxPerCall)
		}
		type rec struct {
			SequenceNumber              string
			ApproximateArrivalTimestamp float64
			Data                        []byte
			PartitionKey                string
		}
		out := struct {
			Records            []rec
			NextShardIterator  string
			MillisBehindLatest int64
		}{Records: []rec{}}
		for ; pos < len(s.records) && len(out.Records) < limit; pos++ {
			r := s.records[pos]
			out.Records = append(out.Records, rec{r.SequenceNumber, float64(r.Arrival.UnixMilli()) / 1000, r.Data, r.PartitionKey})
		}
		next := base64.StdEncoding.EncodeToString([]byte("iterator-" + strconv.Itoa(len(k.iterators)+1)))
		k.iterators[next] = kinesisIterator{key: it.key, pos: pos}
		out.NextShardIterator = next
		if pos < len(s.records) {
			out.MillisBehindLatest = 1000
		}
		writeJSON(w, "1.1", out)
	default:
		jsonError(w, "1.1", &Fault{http.StatusBadRequest, "UnknownOperationException"})
	}
}
