package main

// Firehose PutRecordBatch quotas (they cannot be raised).
const (
	// MaxBatchRecords is the most records one PutRecordBatch call takes.
	MaxBatchRecords = 500
	// MaxBatchBytes is the most record data one call takes: 4 MiB, counted
	// before base64 encoding.
	MaxBatchBytes = 4 << 20
	// MaxRecordBytes is the largest record Firehose accepts: 1,000 KiB
	// before base64 encoding.
	MaxRecordBytes = 1000 << 10
)

// nextBatch returns how many records from the start of records form the next
// batch: as many as fit in maxRecords records and maxBytes bytes of data,
// and always at least one (a record larger than maxBytes goes alone; callers
// remove records above MaxRecordBytes beforehand). It returns 0 only for no
// records. Batches are consecutive, so record order is kept.
func nextBatch(records [][]byte, maxRecords, maxBytes int) int {
	n, size := 0, 0
	for n < len(records) && n < maxRecords {
		size += len(records[n])
		if size > maxBytes && n > 0 {
			break
		}
		n++
	}
	return n
}
