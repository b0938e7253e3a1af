package replay

// Target says where the messages of a dead-letter queue go back to: the
// stack output naming a Firehose delivery stream or a Lambda function.
type Target struct {
	Stream, Function string
	// Holds describes the queue's messages.
	Holds string
}

// Queues are the stack outputs (stacks/*.go) that hold a dead-letter
// queue's URL, with their target. A stacks test checks that every name
// here is an output of the stack.
var Queues = map[string]Target{
	"firehoseForwarderDeadLettersUrl": {Stream: "firehoseStreamName",
		Holds: "flow log lines Firehose refused (re-sent to the stream); inputs the forwarder could not decode (reported)"},
	"firehoseDeadLetterQueueUrl": {Function: "firehoseForwarderName",
		Holds: "on-failure records of forwarder invocations whose retries failed (the forwarder is invoked with the original event); on a central stack, batches the Kinesis event source mapping discarded (read back from the stream while it holds them)"},
	"opensearchRejectsQueueUrl": {Function: "opensearchIndexerName",
		Holds: "documents OpenSearch refused (the indexer is invoked with their log events); events it could not parse (reported)"},
	"opensearchIndexerDeadLetterQueueUrl": {Function: "opensearchIndexerName",
		Holds: "on-failure records of indexer invocations whose retries failed; on a central stack, batches the Kinesis event source mapping discarded (read back from the stream while it holds them)"},
	"opensearchBootstrapDeadLetterQueueUrl": {Function: "opensearchBootstrapName",
		Holds: "on-failure records of asynchronous bootstrap invocations"},
	"slackDeadLetterQueueUrl": {Function: "slackNotifierName",
		Holds: "on-failure records of the Slack notifier, and notifications SNS could not deliver to it"},
}
