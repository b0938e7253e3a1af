package components

import (
	"reflect"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/flowlog"
)

// A custom format in an order other than the catalog's reaches the Glue
// table's columns in the format's order, for both file formats: plain-text
// columns are matched by position, so another order would shift every column.
// The expected columns are written by hand.
func TestAthenaTableFollowsCustomFormatOrder(t *testing.T) {
	fields, err := flowlog.FieldsByName([]string{"action", "dstport", "srcaddr", "version", "bytes", "start", "interface-id"})
	if err != nil {
		t.Fatal(err)
	}
	want := [][2]string{{"action", "string"}, {"dstport", "int"}, {"srcaddr", "string"}, {"version", "int"},
		{"bytes", "bigint"}, {"start", "bigint"}, {"interface_id", "string"}}
	for _, format := range []string{"plain-text", "parquet"} {
		t.Run(format, func(t *testing.T) {
			m := run(t, func(ctx *pulumi.Context) error {
				args := tableArgs(format)
				args.Fields = fields
				args.Queries = nil
				_, err := NewAthenaTable(ctx, "flow-tbl", args)
				return err
			})
			sd := asMap(mustGet(t, m, "flow-tbl-table").Inputs["storageDescriptor"])
			var got [][2]string
			for _, c := range sd["columns"].([]any) {
				col := asMap(c)
				got = append(got, [2]string{str(col["name"]), str(col["type"])})
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("columns %v, want %v", got, want)
			}
		})
	}
}
