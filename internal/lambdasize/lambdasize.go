// Package lambdasize holds the memory settings of the project's Lambda
// functions and the payload limit they are sized from, shared by the
// components that deploy the functions and the tests that measure them.
package lambdasize

// MaxAsyncPayloadBytes is the largest event of an asynchronous invocation,
// which is how a CloudWatch Logs subscription invokes a function: 1 MB.
// The subscription payload (base64 of gzip of the JSON) must fit in it, so
// it bounds the compressed payload; the decompressed size depends on how
// well the log events compress.
// https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html
const MaxAsyncPayloadBytes = 1 << 20

// ForwarderMemoryMB is the forwarder function's memory. Its peak heap for
// the largest payload stays under half of it
// (lambda/forwarder TestPeakHeapOfLargestPayload).
const ForwarderMemoryMB = 512
