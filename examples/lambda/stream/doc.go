// Command stream is the Lambda function that lands the read records of a
// Kinesis data stream in the inbound bucket as JSON lines objects (see
// handler.Streamer), where the inbound function ingests them: the
// guidance's Kinesis stream and Firehose delivery, for head-ends that push
// reads. The template creates the stream and the function when its
// StreamShards parameter is above 0.
package main
