package document

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/flowlog"
)

var testMeta = Meta{ID: "31953106606966983378809025079804211143289615424298221568", Timestamp: 1432826855000, LogGroup: "/vpc/flow-logs", LogStream: "eni-1235b8ca123456789-all"}

func mustEncoder(t testing.TB, fields []flowlog.Field) *Encoder {
	t.Helper()
	e, err := NewEncoder(fields, "cwl")
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func parse(t testing.TB, fields []flowlog.Field, line string) *flowlog.Record {
	t.Helper()
	r, err := flowlog.NewParser(fields).Parse(line)
	if err != nil {
		t.Fatal(err)
	}
	return &r
}

// source decodes the source line of one encoded document.
func source(t *testing.T, out []byte) map[string]any {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d lines: %s", len(lines), out)
	}
	var m map[string]any
	d := json.NewDecoder(strings.NewReader(lines[1]))
	d.UseNumber()
	if err := d.Decode(&m); err != nil {
		t.Fatalf("source %s: %v", lines[1], err)
	}
	return m
}

func TestAppendDefaultRecord(t *testing.T) {
	e := mustEncoder(t, flowlog.V2Fields())
	rec := parse(t, flowlog.V2Fields(), "2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK")
	out, index, err := e.Append([]byte("prefix\n"), rec, testMeta)
	if err != nil {
		t.Fatal(err)
	}
	want := "prefix\n" +
		`{"index":{"_index":"cwl-2015.05.28","_id":"31953106606966983378809025079804211143289615424298221568"}}` + "\n" +
		`{"@timestamp":1432826855000,"version":2,"account_id":"123456789010","interface_id":"eni-1235b8ca123456789",` +
		`"srcaddr":"172.31.16.139","dstaddr":"172.31.16.21","srcport":20641,"dstport":22,"protocol":6,"packets":20,"bytes":4249,` +
		`"start":1418530010,"end":1418530070,"action":"ACCEPT","log_status":"OK","log_group":"/vpc/flow-logs",` +
		`"log_stream":"eni-1235b8ca123456789-all","event_id":"31953106606966983378809025079804211143289615424298221568"}` + "\n"
	if string(out) != want || index != "cwl-2015.05.28" {
		t.Fatalf("got\n%s\nwant\n%s", out, want)
	}
}

func TestAppendOmitsMissingValues(t *testing.T) {
	e := mustEncoder(t, flowlog.V2Fields())
	rec := parse(t, flowlog.V2Fields(), "2 123456789010 eni-1235b8ca123456789 - - - - - - - 1431280876 1431280934 - NODATA")
	out, _, err := e.Append(nil, rec, testMeta)
	if err != nil {
		t.Fatal(err)
	}
	m := source(t, out)
	for _, k := range []string{"srcaddr", "dstaddr", "srcport", "dstport", "protocol", "packets", "bytes", "action"} {
		if _, ok := m[k]; ok {
			t.Errorf("missing value %s present", k)
		}
	}
	if m["log_status"] != "NODATA" || m["start"] != json.Number("1431280876") {
		t.Fatalf("document %v", m)
	}
}

func TestAppendIntegers(t *testing.T) {
	fields, _ := flowlog.FieldsByName([]string{"srcport", "bytes", "start"})
	e := mustEncoder(t, fields)
	cases := []struct {
		line string
		want map[string]string // column -> JSON number, or "" for an error
	}{
		{"0 0 0", map[string]string{"srcport": "0", "bytes": "0", "start": "0"}},
		{"007 000123 0001", map[string]string{"srcport": "7", "bytes": "123", "start": "1"}},
		{"-0 -5 -1", map[string]string{"srcport": "-0", "bytes": "-5", "start": "-1"}},
		{"2147483647 9223372036854775807 123", map[string]string{"srcport": "2147483647", "bytes": "9223372036854775807"}},
		{"-2147483648 -922337203685477580 1", map[string]string{"srcport": "-2147483648", "bytes": "-922337203685477580"}},
		{"2147483648 1 1", nil},
		{"99999999999 1 1", nil},
		{"1x 1 1", nil},
		{"1 - 1", map[string]string{"srcport": "1", "start": "1"}},
		{"1 9223372036854775808 1", nil},
		{"1 1 9999999999999999999", nil},
	}
	for _, tc := range cases {
		// Built by hand: the parser may refuse some of these itself.
		rec := &flowlog.Record{Values: strings.Fields(tc.line)}
		out, _, err := e.Append([]byte("x"), rec, testMeta)
		if tc.want == nil {
			if !errors.Is(err, ErrBadValue) || string(out) != "x" {
				t.Errorf("%q: error %v, output %q; want an out-of-range error and the buffer untouched", tc.line, err, out)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", tc.line, err)
			continue
		}
		m := source(t, out[1:])
		for k, v := range tc.want {
			if m[k] != json.Number(v) {
				t.Errorf("%q: %s = %v, want %s", tc.line, k, m[k], v)
			}
		}
	}
}

func TestAppendEscapesText(t *testing.T) {
	fields, _ := flowlog.FieldsByName([]string{"interface-id", "action"})
	e := mustEncoder(t, fields)
	rec := &flowlog.Record{Values: []string{`eni-"quoted"\x`, "A\x01\xffB"}}
	meta := testMeta
	meta.LogStream = "tab\there"
	out, _, err := e.Append(nil, rec, meta)
	if err != nil {
		t.Fatal(err)
	}
	m := source(t, out)
	if m["interface_id"] != `eni-"quoted"\x` || m["action"] != "A\x01\uFFFDB" || m["log_stream"] != "tab\there" {
		t.Fatalf("document %v", m)
	}
}

func TestAppendRejectsBadMeta(t *testing.T) {
	e := mustEncoder(t, flowlog.V2Fields())
	rec := parse(t, flowlog.V2Fields(), "2 123456789010 eni-1235b8ca123456789 - - - - - - - 1431280876 1431280934 - NODATA")
	for name, m := range map[string]Meta{
		"no id":           {Timestamp: 1},
		"long id":         {ID: strings.Repeat("1", MaxIDLen+1), Timestamp: 1},
		"negative time":   {ID: "1", Timestamp: -1},
		"time after 9999": {ID: "1", Timestamp: MaxTimestamp},
	} {
		out, _, err := e.Append([]byte("keep"), rec, m)
		if !errors.Is(err, ErrBadValue) || string(out) != "keep" {
			t.Errorf("%s: error %v, output %q", name, err, out)
		}
	}
	other := &flowlog.Record{Values: []string{"1", "2"}}
	if _, _, err := e.Append(nil, other, testMeta); !errors.Is(err, ErrBadValue) {
		t.Errorf("a record of another format: error %v", err)
	}
}

func TestIndexFollowsTheEventDay(t *testing.T) {
	e := mustEncoder(t, flowlog.V2Fields())
	for _, tc := range []struct {
		ms   int64
		want string
	}{
		{0, "cwl-1970.01.01"},
		{1432826855000, "cwl-2015.05.28"},
		{1432857599999, "cwl-2015.05.28"},
		{1432857600000, "cwl-2015.05.29"},
		{1432826855000, "cwl-2015.05.28"},
		{MaxTimestamp - 1, "cwl-9999.12.31"},
	} {
		if got, ok := e.Index(tc.ms); !ok || got != tc.want {
			t.Errorf("Index(%d) = %q, %v; want %q", tc.ms, got, ok, tc.want)
		}
	}
}

func TestAppendDoesNotAllocate(t *testing.T) {
	e := mustEncoder(t, flowlog.DefaultFields())
	line := "5 52.95.128.179 10.0.0.71 80 34210 6 1616729292 1616729349 IPv4 14 15044 123456789012 vpc-abcdefab012345678 subnet-aaaaaaaa012345678 i-0c50d5961bcb2d47b eni-1235b8ca123456789 ap-southeast-2 apse2-az3 - - ACCEPT 19 52.95.128.179 10.0.0.71 S3 - - ingress OK"
	fmt := "${version} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${start} ${end} ${type} ${packets} ${bytes} ${account-id} ${vpc-id} ${subnet-id} ${instance-id} ${interface-id} ${region} ${az-id} ${sublocation-type} ${sublocation-id} ${action} ${tcp-flags} ${pkt-srcaddr} ${pkt-dstaddr} ${pkt-src-aws-service} ${pkt-dst-aws-service} ${traffic-path} ${flow-direction} ${log-status}"
	fields, err := flowlog.ParseLogFormat(fmt)
	if err != nil {
		t.Fatal(err)
	}
	e = mustEncoder(t, fields)
	rec := parse(t, fields, line)
	buf := make([]byte, 0, 4096)
	allocs := testing.AllocsPerRun(100, func() {
		buf, _, _ = e.Append(buf[:0], rec, testMeta)
	})
	if allocs != 0 {
		t.Fatalf("Append allocates %v times per record", allocs)
	}
}

func BenchmarkAppend(b *testing.B) {
	e := mustEncoder(b, flowlog.V2Fields())
	rec := parse(b, flowlog.V2Fields(), "2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK")
	buf := make([]byte, 0, 4096)
	b.ReportAllocs()
	for b.Loop() {
		buf, _, _ = e.Append(buf[:0], rec, testMeta)
	}
	b.SetBytes(int64(len(buf)))
}
