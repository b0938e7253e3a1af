// Package cwlogstest builds realistic CloudWatch Logs subscription payloads
// that carry VPC flow log records, for the tests and benchmarks of the
// Lambda functions.
package cwlogstest

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"

	"github.com/vpcflowlogs/vpc-flow-logs/lambda/internal/cwlogs"
)

// Shape of the generated payloads.
const (
	// Owner is the account id of generated payloads and records.
	Owner = "123456789012"
	// LogGroup is the log group of generated payloads.
	LogGroup = "/vpc/flow-logs"
	// SubscriptionFilter is the filter name of generated payloads.
	SubscriptionFilter = "vpc-flow-logs-forwarder"
	// BaseTime is the Unix time (seconds) of the first generated record.
	BaseTime = 1718000000
)

// FlowLogPayload returns a DATA_MESSAGE of n default-format (version 2) flow
// log records from one network interface, as a VPC flow log delivers them
// to CloudWatch Logs: one log stream per ENI ("eni-...-all"), varied peers
// (private, public and IPv6 addresses), ports, protocols and actions, a few
// NODATA rows, millisecond event timestamps and 56-digit event ids. The same
// seed gives the same payload.
func FlowLogPayload(n int, seed uint64) *cwlogs.Payload {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	eni := fmt.Sprintf("eni-0%016x", r.Uint64())
	local := fmt.Sprintf("10.%d.%d.%d", r.IntN(256), r.IntN(256), 1+r.IntN(254))
	idPrefix := digits(r, 25)

	p := &cwlogs.Payload{
		MessageType:         cwlogs.MessageTypeData,
		Owner:               Owner,
		LogGroup:            LogGroup,
		LogStream:           eni + "-all",
		SubscriptionFilters: []string{SubscriptionFilter},
		Events:              make([]cwlogs.Event, n),
	}
	start := int64(BaseTime + r.IntN(3600))
	seq := r.Uint64N(1e17)
	for i := range p.Events {
		if r.IntN(40) == 0 {
			start += int64(r.IntN(3)) // records arrive in capture-window order
		}
		seq += 1 + r.Uint64N(3)
		p.Events[i] = cwlogs.Event{
			ID:        fmt.Sprintf("%013d%s%018d", start*1000, idPrefix, seq%1e18),
			Timestamp: start * 1000,
			Message:   FlowLogLine(r, eni, local, start),
		}
	}
	return p
}

// FlowLogLine returns one realistic version 2 flow log record of interface
// eni (whose address is local) for the capture window starting at start.
func FlowLogLine(r *rand.Rand, eni, local string, start int64) string {
	end := start + 30 + int64(r.IntN(31))
	if r.IntN(50) == 0 {
		return fmt.Sprintf("2 %s %s - - - - - - - %d %d - NODATA", Owner, eni, start, end)
	}
	peer := peerAddr(r)
	proto, service := 6, 443
	switch x := r.IntN(20); {
	case x < 3:
		proto, service = 17, []int{53, 123, 500, 4500}[r.IntN(4)]
	case x < 4:
		proto, service = 1, 0
	default:
		service = []int{443, 443, 443, 80, 22, 3306, 5432, 6379, 8080, 9200}[r.IntN(10)]
	}
	ephemeral := 1024 + r.IntN(64512)
	src, dst, sport, dport := local, peer, ephemeral, service
	if r.IntN(2) == 0 { // inbound
		src, dst, sport, dport = peer, local, ephemeral, service
	}
	if proto == 1 {
		sport, dport = 0, 0
	}
	packets := 1 + r.IntN(40)
	if r.IntN(10) == 0 {
		packets = 1 + r.IntN(20000)
	}
	bytes := packets * (40 + r.IntN(1461))
	action := "ACCEPT"
	if r.IntN(8) == 0 {
		action = "REJECT"
	}
	var b strings.Builder
	b.Grow(128)
	b.WriteString("2 ")
	b.WriteString(Owner)
	b.WriteByte(' ')
	b.WriteString(eni)
	for _, s := range []string{src, dst} {
		b.WriteByte(' ')
		b.WriteString(s)
	}
	for _, n := range []int64{int64(sport), int64(dport), int64(proto), int64(packets), int64(bytes), start, end} {
		b.WriteByte(' ')
		b.WriteString(strconv.FormatInt(n, 10))
	}
	b.WriteByte(' ')
	b.WriteString(action)
	b.WriteString(" OK")
	return b.String()
}

func peerAddr(r *rand.Rand) string {
	switch x := r.IntN(10); {
	case x < 4: // same VPC
		return fmt.Sprintf("10.%d.%d.%d", r.IntN(4), r.IntN(256), 1+r.IntN(254))
	case x < 9: // internet or AWS services
		return fmt.Sprintf("%d.%d.%d.%d", []int{3, 13, 18, 34, 52, 54, 104, 142, 151, 185}[r.IntN(10)], r.IntN(256), r.IntN(256), 1+r.IntN(254))
	default:
		return fmt.Sprintf("2600:1f18:%x:%x::%x", r.IntN(0x10000), r.IntN(0x10000), 1+r.IntN(0xffff))
	}
}

func digits(r *rand.Rand, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('0' + r.IntN(10))
	}
	return string(b)
}

// LambdaEvent returns the JSON event a subscribed Lambda function receives
// for p: {"awslogs":{"data":"<base64 of gzip of the payload JSON>"}}.
func LambdaEvent(p *cwlogs.Payload) ([]byte, error) {
	data, err := cwlogs.EncodeString(p)
	if err != nil {
		return nil, err
	}
	return json.Marshal(map[string]map[string]string{"awslogs": {"data": data}})
}

// Kinesis stream of generated Kinesis events.
const (
	// StreamARN is the data stream of generated Kinesis events.
	StreamARN = "arn:aws:kinesis:eu-west-1:" + Owner + ":stream/vpc-flow-logs-central"
	// ShardID is the shard of generated Kinesis events.
	ShardID = "shardId-000000000000"
)

// SequenceNumber returns the sequence number of record i of a generated
// Kinesis batch: 56 decimal digits, increasing with i, as Kinesis assigns
// them within a shard.
func SequenceNumber(i int) string {
	return fmt.Sprintf("4966%052d", 1000+i*7)
}

// KinesisData is one Kinesis record's data as a CloudWatch Logs destination
// writes it into its data stream: the subscription payload, gzip-compressed
// (the record holds the gzip bytes; the Lambda event carries them in
// base64).
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/CrossAccountSubscriptions-Kinesis.html
func KinesisData(p *cwlogs.Payload) ([]byte, error) {
	return cwlogs.EncodeGzip(p)
}

// KinesisRecord is one record of a Kinesis event as the event source
// mapping delivers it to a function: data is the record's bytes, base64
// in the JSON.
// https://docs.aws.amazon.com/lambda/latest/dg/with-kinesis.html
type KinesisRecord struct {
	Kinesis struct {
		KinesisSchemaVersion        string  `json:"kinesisSchemaVersion"`
		PartitionKey                string  `json:"partitionKey"`
		SequenceNumber              string  `json:"sequenceNumber"`
		Data                        []byte  `json:"data"`
		ApproximateArrivalTimestamp float64 `json:"approximateArrivalTimestamp"`
	} `json:"kinesis"`
	EventSource       string `json:"eventSource"`
	EventVersion      string `json:"eventVersion"`
	EventID           string `json:"eventID"`
	EventName         string `json:"eventName"`
	InvokeIdentityArn string `json:"invokeIdentityArn"`
	AwsRegion         string `json:"awsRegion"`
	EventSourceARN    string `json:"eventSourceARN"`
}

// NewKinesisRecord returns record i of a generated batch carrying data.
func NewKinesisRecord(i int, data []byte) KinesisRecord {
	var r KinesisRecord
	r.Kinesis.KinesisSchemaVersion = "1.0"
	r.Kinesis.PartitionKey = strconv.Itoa(i)
	r.Kinesis.SequenceNumber = SequenceNumber(i)
	r.Kinesis.Data = data
	r.Kinesis.ApproximateArrivalTimestamp = float64(BaseTime+i) + 0.25
	r.EventSource, r.EventVersion, r.EventName = "aws:kinesis", "1.0", "aws:kinesis:record"
	r.EventID = ShardID + ":" + r.Kinesis.SequenceNumber
	r.InvokeIdentityArn = "arn:aws:iam::" + Owner + ":role/vpc-flow-logs-central-function"
	r.AwsRegion = "eu-west-1"
	r.EventSourceARN = StreamARN
	return r
}

// KinesisEvent returns the JSON event a function fed by a Kinesis event
// source mapping receives when each payload is one record of the stream,
// in order: {"Records":[{"kinesis":{"data":"<base64 of gzip>",...},...}]}.
func KinesisEvent(payloads ...*cwlogs.Payload) ([]byte, error) {
	recs := make([]KinesisRecord, len(payloads))
	for i, p := range payloads {
		data, err := KinesisData(p)
		if err != nil {
			return nil, err
		}
		recs[i] = NewKinesisRecord(i, data)
	}
	return KinesisEventOf(recs)
}

// KinesisEventOf returns the JSON event of the records.
func KinesisEventOf(recs []KinesisRecord) ([]byte, error) {
	return json.Marshal(map[string][]KinesisRecord{"Records": recs})
}
