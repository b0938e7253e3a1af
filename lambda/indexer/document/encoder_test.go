package document

import (
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"testing"
	"unsafe"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/flowlog"
)

var testMeta = Meta{ID: "31953106606966983378809025079804211143289615424298221568", Timestamp: 1432826855000, Source: NewSource("/vpc/flow-logs", "eni-1235b8ca123456789-all")}

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
	meta.Source = NewSource("/vpc/flow-logs", "tab\there")
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
		"no id":           {Timestamp: 1, Source: testMeta.Source},
		"long id":         {ID: strings.Repeat("1", MaxIDLen+1), Timestamp: 1, Source: testMeta.Source},
		"negative time":   {ID: "1", Timestamp: -1, Source: testMeta.Source},
		"time after 9999": {ID: "1", Timestamp: MaxTimestamp, Source: testMeta.Source},
		"no source":       {ID: "1", Timestamp: 1},
		"zero source":     {ID: "1", Timestamp: 1, Source: &Source{}},
		// The same with an id of digits, the last timestamp, and room: what
		// AppendLine's usual path would take.
		"long id, usual":     {ID: strings.Repeat("1", MaxIDLen+1), Timestamp: testMeta.Timestamp, Source: testMeta.Source},
		"no source, usual":   {ID: testMeta.ID, Timestamp: testMeta.Timestamp},
		"zero source, usual": {ID: testMeta.ID, Timestamp: testMeta.Timestamp, Source: &Source{}},
	} {
		out, _, err := e.Append([]byte("keep"), rec, m)
		if !errors.Is(err, ErrBadValue) || string(out) != "keep" {
			t.Errorf("%s: error %v, output %q", name, err, out)
		}
		p := flowlog.NewParser(flowlog.V2Fields())
		line := "2 123456789010 eni-1235b8ca123456789 - - - - - - - 1431280876 1431280934 - NODATA"
		if _, _, err := e.Append(nil, rec, testMeta); err != nil { // the timestamp cached
			t.Fatal(err)
		}
		room := append(make([]byte, 0, 8192), "keep"...)
		if out, _, ok := e.AppendLine(room, p, line, m); ok || string(out) != "keep" {
			t.Errorf("%s: AppendLine into a buffer with room took it: %q", name, out)
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

// One encoder writes every document as a fresh one would, whatever came
// before it: documents of the same, another and the first timestamps, with
// Index called for other days in between (the handler calls it for the
// index of a dead letter), on both paths, AppendLine's with room for its
// usual path. appendHead skips Index while the
// timestamp is the last one's, so a stale timestamp text or index would
// show here.
func TestAppendAfterOtherTimestampsAndDays(t *testing.T) {
	p := flowlog.NewParser(flowlog.V2Fields())
	line := "2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK"
	rec, err := p.Parse(line)
	if err != nil {
		t.Fatal(err)
	}
	fresh := func(ms int64) string {
		m := testMeta
		m.Timestamp = ms
		out, _, err := mustEncoder(t, flowlog.V2Fields()).Append(nil, &rec, m)
		if err != nil {
			t.Fatal(err)
		}
		return string(out)
	}
	const day = 86_400_000
	t1 := testMeta.Timestamp
	e := mustEncoder(t, flowlog.V2Fields())
	steps := []struct {
		index int64 // Index called first with it, unless 0
		ms    int64
	}{
		{0, t1}, {0, t1}, {0, t1 + 1}, {0, t1}, {t1 + day, t1}, {t1 - day, t1}, {0, 1}, {t1, 1},
		{0, 0}, {t1, 0}, {t1, t1 + day}, {0, t1}, {1, 1}, {t1 + 2*day, t1 + day}, {0, t1 + day},
	}
	for i, st := range steps {
		if st.index != 0 {
			e.Index(st.index)
		}
		m := testMeta
		m.Timestamp = st.ms
		var got []byte
		var ok bool
		if i%2 == 0 {
			got, _, ok = e.AppendLine(make([]byte, 0, 4096), p, line, m) // room for the usual path
		} else {
			var err error
			got, _, err = e.Append(nil, &rec, m)
			ok = err == nil
		}
		if want := fresh(st.ms); !ok || string(got) != want {
			t.Fatalf("step %d (Index(%d), then a document at %d): %q, %v; a fresh encoder writes %q", i, st.index, st.ms, got, ok, want)
		}
	}
}

// The usual paths' limits: action texts of 62 to 67 bytes (the usual path
// moves 64) and shorter and longer ones, ids of 1 to 80 digits and of 512,
// and source tails of 94 to 99 bytes (it moves 96) and shorter and longer
// ones, the lengths computed from the texts' fixed parts, each written
// twice by one encoder (the second time with the timestamp cached, the
// usual path when it is taken) into buffers with and without room
// (appendBoth); then the metadata the usual path must leave to appendHead:
// no source, and a first timestamp of -1 (the encoder's "none").
func TestAppendLineUsualPathLimits(t *testing.T) {
	p := flowlog.NewParser(flowlog.V2Fields())
	line := "2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK"
	digits := strings.Repeat("3195310660", 110)
	newEncoder := func(prefix string) *Encoder {
		e, err := NewEncoder(flowlog.V2Fields(), prefix)
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	// The action text of a one-byte prefix and the tail of a one-byte
	// stream, less that byte: what the prefix and the stream add to.
	e := newEncoder("c")
	e.AppendLine(nil, p, line, testMeta)
	actionFixed, tailFixed := len(e.dayAction)-1, len(NewSource("/vpc/flow-logs", "s").tail)-1
	var prefixes, streams []string
	for _, n := range []int{1, 62, 63, 64, 65, 66, 67, MaxIndexPrefixLen + actionFixed} {
		prefixes = append(prefixes, strings.Repeat("p", max(n-actionFixed, 1)))
	}
	for _, n := range []int{1, 94, 95, 96, 97, 98, 99, 160} {
		streams = append(streams, strings.Repeat("s", max(n-tailFixed, 1)))
	}
	for _, prefix := range prefixes {
		e := newEncoder(prefix)
		for _, n := range []int{1, 7, 8, 9, 56, 62, 63, 64, 65, 80, MaxIDLen, MaxIDLen + 1, 1000} {
			for _, stream := range streams {
				m := Meta{ID: digits[:n], Timestamp: testMeta.Timestamp, Source: NewSource("/vpc/flow-logs", stream)}
				appendBoth(t, e, p, line, m)
				appendBoth(t, e, p, line, m)
			}
		}
	}
	for _, m := range []Meta{{ID: testMeta.ID, Timestamp: testMeta.Timestamp}, {ID: testMeta.ID, Timestamp: -1, Source: testMeta.Source}} {
		e := mustEncoder(t, flowlog.V2Fields())
		if m.Timestamp >= 0 { // the timestamp cached, as the usual path needs
			e.AppendLine(nil, p, line, testMeta)
		}
		if _, _, ok := e.AppendLine(make([]byte, 0, 4096), p, line, m); ok {
			t.Errorf("AppendLine(%+v) into a buffer with room took the metadata", m)
		}
	}
}

// The usual paths read 64 bytes of the action and timestamp texts and 96
// of a source's tail, past their ends when they are shorter: the buffers
// of the texts keep 128 bytes or more, and a timestamp text is never
// longer than 33.
func TestCachedTextsHaveRoom(t *testing.T) {
	e := mustEncoder(t, flowlog.V2Fields())
	p := flowlog.NewParser(flowlog.V2Fields())
	line := "2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK"
	check := func(what string) {
		t.Helper()
		if cap(e.dayAction) < 128 || cap(e.tsText) < 128 || len(e.tsText) > 33 {
			t.Fatalf("%s: action text %d of %d bytes, timestamp text %d of %d", what, len(e.dayAction), cap(e.dayAction), len(e.tsText), cap(e.tsText))
		}
	}
	check("new")
	for _, ms := range []int64{0, 1, testMeta.Timestamp, 999_999_999_999, 1_000_000_000_000, MaxTimestamp - 1} {
		m := testMeta
		m.Timestamp = ms
		if _, _, ok := e.AppendLine(nil, p, line, m); !ok {
			t.Fatalf("timestamp %d refused", ms)
		}
		check("timestamp " + strconv.FormatInt(ms, 10))
	}
	for _, name := range []string{"", "s", strings.Repeat("s", 100), strings.Repeat("s", 1000)} {
		if src := NewSource(name, name); cap(src.tail) < 128 {
			t.Fatalf("source %q: tail %d of %d bytes", name, len(src.tail), cap(src.tail))
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

// appendBoth encodes line with AppendLine and with ParseInto and Append,
// and fails when AppendLine takes a line the general path does not encode
// the same, or refuses one of plain values the general path encodes.
func appendBoth(t *testing.T, e *Encoder, p *flowlog.Parser, line string, m Meta) (fast bool) {
	t.Helper()
	got, gotIndex, ok := e.AppendLine([]byte("prefix"), p, line, m)
	// The line where it is, followed by the padding AppendPaddedLine needs
	// and noise past it: the same document, or the same refusal.
	if pGot, pIndex, pOK := e.AppendPaddedLine([]byte("prefix"), p, paddedLine(line), m); string(pGot) != string(got) || pIndex != gotIndex || pOK != ok {
		t.Fatalf("AppendPaddedLine(%q) = %q, %q, %v; AppendLine %q, %q, %v", line, pGot, pIndex, pOK, got, gotIndex, ok)
	}
	// Into a buffer with room (and noise in it), as the handler's: the
	// path of the usual document (appendHeadUsual, appendFootUsual), which
	// needs room for its moves and the last document's timestamp, which
	// the calls above cached.
	for _, padded := range []bool{false, true} {
		roomy := append(make([]byte, 0, 4096), "prefix"...)
		for i := len(roomy); i < cap(roomy); i++ {
			roomy[:cap(roomy)][i] = "9\"x,}"[i%5]
		}
		var rGot []byte
		var rIndex string
		var rOK bool
		if padded {
			rGot, rIndex, rOK = e.AppendPaddedLine(roomy, p, paddedLine(line), m)
		} else {
			rGot, rIndex, rOK = e.AppendLine(roomy, p, line, m)
		}
		if string(rGot) != string(got) || rIndex != gotIndex || rOK != ok {
			t.Fatalf("AppendLine(%q) into a buffer with room (padded %v) = %q, %q, %v; into one without %q, %q, %v", line, padded, rGot, rIndex, rOK, got, gotIndex, ok)
		}
	}
	var want []byte
	var wantIndex string
	r, perr := p.Parse(line)
	var err error = perr
	if err == nil {
		want, wantIndex, err = e.Append([]byte("prefix"), &r, m)
	}
	if !ok {
		if string(got) != "prefix" || gotIndex != "" {
			t.Fatalf("AppendLine(%q) failed but returned %q, %q", line, got, gotIndex)
		}
		if err == nil {
			plain := true
			for i, v := range r.Values {
				if v != flowlog.Missing && (!r.Plain(i) || e.specs[i].kind == flowlog.KindInt32 && len(v) > 9) {
					plain = false
				}
			}
			if plain {
				t.Fatalf("AppendLine(%q, %+v) refused a record of plain values", line, m)
			}
		}
		return false
	}
	if err != nil {
		t.Fatalf("AppendLine(%q, %+v) = %q, but the general path fails: %v", line, m, got, err)
	}
	if string(got) != string(want) || gotIndex != wantIndex {
		t.Fatalf("AppendLine(%q, %+v) =\n%s %s\nthe general path\n%s %s", line, m, got, gotIndex, want, wantIndex)
	}
	return true
}

func TestAppendLineMatchesAppend(t *testing.T) {
	v5, err := flowlog.ParseLogFormat("${version} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${start} ${end} ${type} ${packets} ${bytes} ${account-id} ${vpc-id} ${subnet-id} ${instance-id} ${interface-id} ${region} ${az-id} ${sublocation-type} ${sublocation-id} ${action} ${tcp-flags} ${pkt-srcaddr} ${pkt-dstaddr} ${pkt-src-aws-service} ${pkt-dst-aws-service} ${traffic-path} ${flow-direction} ${log-status}")
	if err != nil {
		t.Fatal(err)
	}
	metas := []Meta{
		testMeta,
		{ID: "1", Timestamp: 0, Source: NewSource("g", "s")},
		{ID: "12345678", Timestamp: 1, Source: NewSource(`"q"`, "\x01")},
		{ID: "1234567x9", Timestamp: 86_400_000, Source: NewSource("g", "s")},
		{ID: `id"with\quotes`, Timestamp: 1432826855000, Source: NewSource("", "")},
		{ID: "3195310660696698337880902507980421114328961542429822156\xff", Timestamp: 1432826855000, Source: testMeta.Source},
		{ID: "", Timestamp: 1, Source: testMeta.Source},
		{ID: "1", Timestamp: -1, Source: testMeta.Source},
		{ID: strings.Repeat("1", MaxIDLen+1), Timestamp: 1, Source: testMeta.Source},
		{ID: "1", Timestamp: 1},
	}
	for _, tc := range []struct {
		fields []flowlog.Field
		lines  []string
		fast   bool // the first line takes the fast path
	}{
		{flowlog.V2Fields(), []string{
			"2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK",
			"2 123456789010 eni-1235b8ca123456789 - - - - - - - 1431280876 1431280934 - NODATA",
			"2 123456789010 eni-1235b8ca123456789 2001:db8:1234:a100:8d6e:3477:df66:f105 2001:db8::1 34892 22 6 54 8855 1477913708 1477913820 ACCEPT OK",
			"2 123456789010 eni-1 fe80::1%eth0 ::1 1 2 3 4 5 6 7 ACCEPT OK\r\n",
			"2 1 \"q\" ::1 ::2 007 -0 2147483648 1 1 1 1 A\\B \x01",
			"2 1 e 1.2.3.4 1.2.3.4 2147483647 -99999999 255 9223372036854775807 -9223372036854775808 0 0 X Y",
			"2 1 e 1.2.3.4 1.2.3.4 1234567890 1 1 1 1 1 1 X Y",
			"2 1 e 1.2.3.4 1.2.3.4 1 1 1 1 12345678901234567890 1 1 X Y",
			"  2   1 e 1.2.3.4 1.2.3.4 1 1 1 1 1 1 1 X   Y  ",
			"2 1 e 1.2.3.4 1.2.3.4 1 1 1 1 1 1 1 X",
			"2 1 e 1.2.3.4 1.2.3.4 1 1 1 1 1 1 1 X Y Z",
			"2 1 e 1.2.3.256 1.2.3.4 1 1 1 1 1 1 1 X Y",
			"",
		}, true},
		{v5, []string{
			"5 52.95.128.179 10.0.0.71 80 34210 6 1616729292 1616729349 IPv4 14 15044 123456789012 vpc-abcdefab012345678 subnet-aaaaaaaa012345678 i-0c50d5961bcb2d47b eni-1235b8ca123456789 ap-southeast-2 apse2-az3 - - ACCEPT 19 52.95.128.179 10.0.0.71 S3 - - ingress OK",
			"5 10.0.0.71 52.95.128.179 34210 80 6 1616729292 1616729349 IPv4 7 471 123456789012 vpc-abcdefab012345678 subnet-aaaaaaaa012345678 i-0c50d5961bcb2d47b eni-1235b8ca123456789 ap-southeast-2 apse2-az3 - - ACCEPT 3 10.0.0.71 52.95.128.179 - S3 8 egress OK",
		}, true},
	} {
		e := mustEncoder(t, tc.fields)
		p := flowlog.NewParser(tc.fields)
		for _, m := range metas {
			for j, line := range tc.lines {
				fast := appendBoth(t, e, p, line, m)
				if j == 0 && m == testMeta && fast != tc.fast {
					t.Errorf("AppendLine(%q) took the fast path: %v, want %v", line, fast, tc.fast)
				}
			}
		}
		// A parser of another format is refused.
		other := flowlog.NewParser(flowlog.DefaultFields())
		if _, _, ok := e.AppendLine(nil, other, tc.lines[0], testMeta); ok {
			t.Error("AppendLine took a parser of another format")
		}
	}
}

func TestAppendLineDoesNotAllocate(t *testing.T) {
	e := mustEncoder(t, flowlog.V2Fields())
	p := flowlog.NewParser(flowlog.V2Fields())
	line := "2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK"
	buf := make([]byte, 0, 4096)
	allocs := testing.AllocsPerRun(100, func() {
		var ok bool
		if buf, _, ok = e.AppendLine(buf[:0], p, line, testMeta); !ok {
			t.Fatal("AppendLine refused the line")
		}
	})
	if allocs != 0 {
		t.Fatalf("AppendLine allocates %v times per record", allocs)
	}
}

func FuzzAppendLine(f *testing.F) {
	f.Add("2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK", testMeta.ID, testMeta.Timestamp)
	f.Add("2 1 \"q\" fe80::1%eth0 ::1 007 -0 2147483648 1 1 1 1 A\\B \x01", "\xff", int64(-1))
	f.Add("2 123456789010 eni-1235b8ca123456789 - - - - - - - 1431280876 1431280934 - NODATA", "12345678", int64(0))
	e := mustEncoder(f, flowlog.V2Fields())
	p := flowlog.NewParser(flowlog.V2Fields())
	f.Fuzz(func(t *testing.T, line, id string, ts int64) {
		appendBoth(t, e, p, line, Meta{ID: id, Timestamp: ts, Source: NewSource("/vpc/flow-logs", "eni-1-all")})
	})
}

// The _id and event_id are the event id as a JSON string, whether it is
// made of digits (copied as it is) or needs escaping.
func TestAppendIDs(t *testing.T) {
	e := mustEncoder(t, flowlog.V2Fields())
	rec := parse(t, flowlog.V2Fields(), "2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK")
	for _, id := range []string{"1", "1234567", "12345678", "123456789", "31953106606966983378809025079804211143289615424298221568",
		"1234567/", "/2345678", "1234567:", "abc", `q"uote`, `back\slash`, "tab\t", "\xff\xfe", "ünï", "0000000000000000"} {
		m := testMeta
		m.ID = id
		for _, line := range []string{"", "x"} {
			var out []byte
			var err error
			if line == "" {
				out, _, err = e.Append(nil, rec, m)
			} else {
				var ok bool
				out, _, ok = e.AppendLine(nil, flowlog.NewParser(flowlog.V2Fields()), "2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK", m)
				if !ok {
					t.Fatalf("AppendLine refused id %q", id)
				}
			}
			if err != nil {
				t.Fatal(err)
			}
			lines := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
			var action map[string]map[string]string
			if err := json.Unmarshal([]byte(lines[0]), &action); err != nil {
				t.Fatalf("id %q: action line %s: %v", id, lines[0], err)
			}
			var want string
			_ = json.Unmarshal(AppendString(nil, id), &want) // id with invalid UTF-8 replaced
			if got := action["index"]["_id"]; got != want {
				t.Errorf("id %q: _id %q, want %q", id, got, want)
			}
			if got := source(t, out)[EventIDField]; got != want {
				t.Errorf("id %q: event_id %q, want %q", id, got, want)
			}
		}
	}
}

// A source's names may be views of a buffer the caller reuses, as
// cwlogs.Decoder's are: the Source keeps copies, so when the bytes under
// the views change, its documents still carry the names it was made with,
// and a source made from the new bytes carries the new ones.
func TestSourceKeepsCopiesOfTheNames(t *testing.T) {
	e := mustEncoder(t, flowlog.V2Fields())
	p := flowlog.NewParser(flowlog.V2Fields())
	line := "2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK"
	buf := []byte("/vpc/flow-logs-aeni-0000000000000000a-all")
	view := func() *Source { return NewSource(unsafe.String(&buf[0], 16), unsafe.String(&buf[16], len(buf)-16)) }
	check := func(src *Source, group, stream string) {
		t.Helper()
		if src.LogGroup() != group || src.LogStream() != stream || !src.Is(group, stream) {
			t.Fatalf("source %q %q, want %q %q", src.LogGroup(), src.LogStream(), group, stream)
		}
		for _, fast := range []bool{true, false} {
			m := testMeta
			m.Source = src
			var out []byte
			if fast {
				var ok bool
				if out, _, ok = e.AppendLine(nil, p, line, m); !ok {
					t.Fatal("AppendLine refused the line")
				}
			} else {
				var err error
				if out, _, err = e.Append(nil, parse(t, flowlog.V2Fields(), line), m); err != nil {
					t.Fatal(err)
				}
			}
			doc := source(t, out)
			if doc[LogGroupField] != group || doc[LogStreamField] != stream {
				t.Fatalf("fast %v: log_group %v, log_stream %v, want %s and %s", fast, doc[LogGroupField], doc[LogStreamField], group, stream)
			}
		}
	}
	first := view()
	for _, next := range []string{"/vpc/flow-logs-beni-0000000000000000b-all", "/vpc/flow-logs-beni-0000000000000000c-all", "/vpc/flow-logs-ceni-0000000000000000c-all"} {
		copy(buf, next)
		check(first, "/vpc/flow-logs-a", "eni-0000000000000000a-all")
		check(view(), next[:16], next[16:])
	}
	for _, other := range [][2]string{{"/vpc/flow-logs-c", "eni-0000000000000000a-all"}, {"/vpc/flow-logs-a", "eni-0000000000000000c-all"}, {string(buf[:16]), string(buf[16:])}} {
		if first.Is(other[0], other[1]) {
			t.Errorf("Is(%q, %q) is true for the source of %q %q", other[0], other[1], first.LogGroup(), first.LogStream())
		}
	}
}

// TestAppendParsedInt32OutOfRange: a parsed value the parser marks plain is
// copied as it is only up to nine digits for a 32-bit field; a longer one
// is checked, and refused when it does not fit.
func TestAppendParsedInt32OutOfRange(t *testing.T) {
	fields, _ := flowlog.FieldsByName([]string{"srcport", "bytes"})
	e := mustEncoder(t, fields)
	var rec flowlog.Record
	if err := flowlog.NewParser(fields).ParseInto("2147483648 1", &rec); err != nil || !rec.Plain(0) {
		t.Fatalf("parse: %v, plain %v", err, rec.Plain(0))
	}
	if out, _, err := e.Append([]byte("x"), &rec, testMeta); !errors.Is(err, ErrBadValue) || string(out) != "x" {
		t.Errorf("error %v, output %q; want an out-of-range error", err, out)
	}
	// The fast path leaves it to the general one.
	if out, _, ok := e.AppendLine([]byte("x"), flowlog.NewParser(fields), "2147483648 1", testMeta); ok || string(out) != "x" {
		t.Errorf("AppendLine took it: %q", out)
	}
}

// TestAppendLongestID: an event id of MaxIDLen bytes is taken.
func TestAppendLongestID(t *testing.T) {
	e := mustEncoder(t, flowlog.V2Fields())
	rec := parse(t, flowlog.V2Fields(), "2 123456789010 eni-1235b8ca123456789 - - - - - - - 1431280876 1431280934 - NODATA")
	m := testMeta
	m.ID = strings.Repeat("1", MaxIDLen)
	if _, _, err := e.Append(nil, rec, m); err != nil {
		t.Error(err)
	}
}

// TestAppendIDEveryByte: an id of digits with any one byte changed is
// written as AppendString writes it: copied when it is digits, escaped
// when a byte needs it.
func TestAppendIDEveryByte(t *testing.T) {
	e := mustEncoder(t, flowlog.V2Fields())
	rec := parse(t, flowlog.V2Fields(), "2 123456789010 eni-1235b8ca123456789 - - - - - - - 1431280876 1431280934 - NODATA")
	for _, n := range []int{8, 13, 16} {
		for pos := range n {
			for b := range 256 {
				id := []byte(strings.Repeat("7", n))
				id[pos] = byte(b)
				m := testMeta
				m.ID = string(id)
				out, _, err := e.Append(nil, rec, m)
				if err != nil {
					t.Fatal(err)
				}
				want := `,"_id":` + string(AppendString(nil, m.ID)) + `}}`
				if !strings.Contains(string(out), want) {
					t.Fatalf("id %q: %q, want it to contain %q", m.ID, out[:min(len(out), 120)], want)
				}
			}
		}
	}
}

// TestAppendEmptyInteger: an empty value of a numeric field (which no
// parse gives, but a Record built by hand can hold) is refused, not read.
func TestAppendEmptyInteger(t *testing.T) {
	fields, _ := flowlog.FieldsByName([]string{"srcport", "bytes"})
	e := mustEncoder(t, fields)
	for _, values := range [][]string{{"", "1"}, {"1", ""}, {"-", "-"}} {
		_, _, err := e.Append(nil, &flowlog.Record{Values: values}, testMeta)
		if (values[0] == "-") != (err == nil) || (err != nil && !errors.Is(err, ErrBadValue)) {
			t.Errorf("%q: error %v", values, err)
		}
	}
}

// paddedLine returns a copy of line followed by the padding of
// flowlog.Parser.AppendPlainPadded (a space, a zero byte) and noise of the
// bytes values are made of up to flowlog.LinePad.
func paddedLine(line string) string {
	buf := make([]byte, len(line)+flowlog.LinePad)
	copy(buf, line)
	buf[len(line)], buf[len(line)+1] = ' ', 0
	for i := len(line) + 2; i < len(buf); i++ {
		buf[i] = "1.9:-a "[i%7]
	}
	return unsafe.String(&buf[0], len(line))
}
