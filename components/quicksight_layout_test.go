package components

import (
	"testing"
)

// The dashboard's sheet lays the visuals out two per row on QuickSight's
// 36-column grid (GridLayoutElement: ColumnIndex 0-35, ColumnSpan 1-36,
// https://docs.aws.amazon.com/quicksight/latest/APIReference/API_GridLayoutElement.html),
// in layout order, each half the width; a KPI is 6 rows tall, a chart 12,
// and each row starts where the tallest element of the row above ends.
func TestQuickSightDashboardLayout(t *testing.T) {
	m, _ := runQS(t, qsArgs())
	def := asMap(desiredState(t, mustGet(t, m, "qs-dashboard"))["Definition"])
	sheet := asMap(def["Sheets"].([]any)[0])
	grid := asMap(asMap(asMap(sheet["Layouts"].([]any)[0])["Configuration"])["GridLayout"])
	type element struct {
		id                string
		col, row, colSpan float64
		rowSpan           float64
	}
	want := []element{
		{"total-bytes", 0, 0, 18, 6},
		{"total-packets", 18, 0, 18, 6},
		{"accept-reject", 0, 6, 18, 12},
		{"flows-per-interface", 18, 6, 18, 12},
		{"bytes-by-destination", 0, 18, 18, 12},
		{"bytes-by-source", 18, 18, 18, 12},
	}
	elements := grid["Elements"].([]any)
	if len(elements) != len(want) {
		t.Fatalf("%d elements, want %d", len(elements), len(want))
	}
	for i, e := range elements {
		em := asMap(e)
		got := element{str(em["ElementId"]), em["ColumnIndex"].(float64), em["RowIndex"].(float64), em["ColumnSpan"].(float64), em["RowSpan"].(float64)}
		if got != want[i] {
			t.Errorf("element %d = %+v, want %+v", i, got, want[i])
		}
		if got.col+got.colSpan > 36 || em["ElementType"] != "VISUAL" {
			t.Errorf("element %d (%s) does not fit the grid as a visual: %v", i, got.id, em)
		}
	}
}
