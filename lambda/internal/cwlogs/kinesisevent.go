package cwlogs

import "github.com/valyala/fastjson"

// IsKinesisEvent reports whether v is a Kinesis event as Lambda delivers it
// from an event source mapping: "Records" is an array whose elements all
// have a "kinesis" object (each carrying one subscription payload in its
// base64 "data"). The forwarder and the indexer both tell it from the
// "awslogs" event with it.
func IsKinesisEvent(v *fastjson.Value) bool {
	recs := v.Get("Records")
	if recs == nil || recs.Type() != fastjson.TypeArray {
		return false
	}
	arr, _ := recs.Array()
	for _, r := range arr {
		if k := r.Get("kinesis"); k == nil || k.Type() != fastjson.TypeObject {
			return false
		}
	}
	return true
}
