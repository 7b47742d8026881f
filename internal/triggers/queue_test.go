package triggers

import (
	"context"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	awssqs "github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/vendorportal/orgs/internal/sqs"
	"github.com/vendorportal/orgs/internal/sqslocal"
	"github.com/vendorportal/orgs/internal/standins"
)

type notYet struct{ at time.Time }

func (e notYet) Error() string    { return "not yet" }
func (e notYet) Until() time.Time { return e.at }

// The delivery function's handler on a batch of two groups, against the SQS stand-in: group
// a's first job is not due, so it is hidden until its time and reported failed with the job
// behind it (order kept); group b's job is done meanwhile, while a's is still being worked.
func TestQueueHandlerHidesAJobNotDueAndHoldsBackOnlyItsGroup(t *testing.T) {
	srv, err := sqslocal.Start(t.Context(), "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	client := standins.SQSClient(srv.Endpoint)
	// A 1 s visibility timeout: a job not hidden on purpose would come back within the long
	// poll below.
	url, _, err := sqslocal.EnsureDeliveryQueue(t.Context(), client, "jobs.fifo", 1, 10)
	if err != nil {
		t.Fatal(err)
	}
	q := &sqs.Queue{Client: client, URL: url}
	for _, m := range []struct{ group, body string }{{"a", "a1"}, {"a", "a2"}, {"b", "b1"}} {
		if err := q.Send(t.Context(), m.group, m.body, []byte(m.body)); err != nil {
			t.Fatal(err)
		}
	}
	out, err := client.ReceiveMessage(t.Context(), &awssqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: 10,
		MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameAll}})
	if err != nil || len(out.Messages) != 3 {
		t.Fatalf("receive: %v %d", err, len(out.Messages))
	}
	ev := events.SQSEvent{}
	for _, m := range out.Messages {
		ev.Records = append(ev.Records, events.SQSMessage{MessageId: aws.ToString(m.MessageId), ReceiptHandle: aws.ToString(m.ReceiptHandle), Body: aws.ToString(m.Body), Attributes: m.Attributes})
	}
	now := time.Now()
	bDone := make(chan struct{})
	var mu sync.Mutex
	var worked []string
	work := func(_ context.Context, body []byte) error {
		mu.Lock()
		worked = append(worked, string(body))
		mu.Unlock()
		switch string(body) {
		case "a1":
			<-bDone // a's job is still being worked when b's is done: the groups go side by side
			return notYet{now.Add(time.Hour)}
		case "b1":
			close(bDone)
		}
		return nil
	}
	resp, err := QueueHandler(q, work, func() time.Time { return now }, slog.New(slog.DiscardHandler))(t.Context(), ev)
	if err != nil {
		t.Fatal(err)
	}
	var failed []string
	for _, f := range resp.BatchItemFailures {
		for _, m := range ev.Records {
			if m.MessageId == f.ItemIdentifier {
				failed = append(failed, m.Body)
			}
		}
	}
	slices.Sort(failed)
	if !slices.Equal(failed, []string{"a1", "a2"}) || slices.Contains(worked, "a2") {
		t.Errorf("failed %v, worked %v; want a1 and a2 failed, a2 not worked", failed, worked)
	}
	// Delete b1 as the mapping does; a2 comes back after the 1 s visibility, but a stays held
	// back by a1, hidden for the hour: a 3 s long poll gets nothing.
	for _, m := range ev.Records {
		if m.Body == "b1" {
			if _, err := client.DeleteMessage(t.Context(), &awssqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: aws.String(m.ReceiptHandle)}); err != nil {
				t.Fatal(err)
			}
		}
	}
	again, err := client.ReceiveMessage(t.Context(), &awssqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: 10, WaitTimeSeconds: 3})
	if err != nil || len(again.Messages) != 0 {
		t.Errorf("with a1 hidden for an hour, a receive gave %d messages (%v)", len(again.Messages), err)
	}
}
