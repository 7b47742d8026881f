// Package queuefeed runs a queue's function on one machine as Lambda's SQS event source
// mapping does in AWS: pollers receive batches from the queue (long polls, up to 10 messages,
// with their system attributes), hand each batch to the handler as a real events.SQSEvent,
// and delete the messages the handler did not report failed (ReportBatchItemFailures); the
// failed ones stay in flight until their visibility timeout, or what the handler set, ends.
// Several batches run at once, as Lambda runs several invocations for a FIFO queue (one per
// active message group at most): the queue's group locks keep a group's messages in order.
// Local mode and the tests use it, with the SQS stand-in of package sqslocal.
package queuefeed

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// Handler is the queue function's Lambda handler.
type Handler func(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error)

// Feeder feeds one queue to one handler.
type Feeder struct {
	Client   *sqs.Client
	QueueURL string
	// QueueARN is the records' eventSourceARN.
	QueueARN string
	Region   string
	Handler  Handler
	Log      *slog.Logger
	// Concurrency is how many batches run at once (DefaultConcurrency when 0).
	Concurrency int
	// BatchSize is the most messages of one invocation (10 when 0, SQS's most).
	BatchSize int
}

// DefaultConcurrency is how many invocations run at once unless set: a stalling endpoint
// holds one of them for its 15 s attempt, the others go on.
const DefaultConcurrency = 16

// pollWait is the long poll's wait in seconds, as the event source mapping polls.
const pollWait = 20

// Run feeds the queue until ctx ends.
func (f *Feeder) Run(ctx context.Context) {
	n := f.Concurrency
	if n <= 0 {
		n = DefaultConcurrency
	}
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			for ctx.Err() == nil {
				f.poll(ctx)
			}
		})
	}
	wg.Wait()
}

func (f *Feeder) log() *slog.Logger {
	if f.Log != nil {
		return f.Log
	}
	return slog.Default()
}

// poll receives one batch and hands it over.
func (f *Feeder) poll(ctx context.Context) {
	size := f.BatchSize
	if size <= 0 {
		size = 10
	}
	out, err := f.Client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
		QueueUrl: aws.String(f.QueueURL), MaxNumberOfMessages: int32(size), WaitTimeSeconds: pollWait,
		MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameAll},
	})
	if err != nil {
		if ctx.Err() == nil {
			f.log().WarnContext(ctx, "queue feed: receive", "queue", f.QueueURL, "error", err)
			// As the mapping does, back off a little before polling again.
			t := time.NewTimer(time.Second)
			select {
			case <-ctx.Done():
			case <-t.C:
			}
			t.Stop()
		}
		return
	}
	if len(out.Messages) == 0 {
		return
	}
	ev := events.SQSEvent{Records: make([]events.SQSMessage, 0, len(out.Messages))}
	for _, m := range out.Messages {
		ev.Records = append(ev.Records, events.SQSMessage{
			MessageId: aws.ToString(m.MessageId), ReceiptHandle: aws.ToString(m.ReceiptHandle), Body: aws.ToString(m.Body),
			Md5OfBody: aws.ToString(m.MD5OfBody), Attributes: m.Attributes,
			EventSource: "aws:sqs", EventSourceARN: f.QueueARN, AWSRegion: f.Region,
		})
	}
	resp, err := f.Handler(ctx, ev)
	failed := map[string]bool{}
	if err != nil {
		// The whole batch failed: nothing is deleted.
		f.log().WarnContext(ctx, "queue feed: the handler failed the batch", "queue", f.QueueURL, "error", err)
		return
	}
	for _, b := range resp.BatchItemFailures {
		failed[b.ItemIdentifier] = true
	}
	// One DeleteMessage per message done (its IAM action, sqs:DeleteMessage, is also what the
	// mapping's batch deletes need). It does not wait on the caller's end: what was done must
	// not come back.
	for _, r := range ev.Records {
		if failed[r.MessageId] {
			continue
		}
		if _, err := f.Client.DeleteMessage(context.WithoutCancel(ctx), &sqs.DeleteMessageInput{QueueUrl: aws.String(f.QueueURL), ReceiptHandle: aws.String(r.ReceiptHandle)}); err != nil {
			f.log().WarnContext(ctx, "queue feed: delete", "queue", f.QueueURL, "messageId", r.MessageId, "error", err)
		}
	}
}
