package sqslocal_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"

	"github.com/vendorportal/orgs/internal/sqslocal"
	"github.com/vendorportal/orgs/internal/standins"
)

// The stand-in as the application's SQS client sees it: the SDK's own JSON protocol, body
// checksums included.
func newQueue(t *testing.T, maxReceives int) (*sqs.Client, string) {
	t.Helper()
	srv, err := sqslocal.Start(t.Context(), "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	client := standins.SQSClient(srv.Endpoint)
	url, _, err := sqslocal.EnsureDeliveryQueue(t.Context(), client, "jobs.fifo", 60, maxReceives)
	if err != nil {
		t.Fatal(err)
	}
	return client, url
}

func send(t *testing.T, c *sqs.Client, url, group, dedup string) {
	t.Helper()
	if _, err := c.SendMessage(t.Context(), &sqs.SendMessageInput{
		QueueUrl: aws.String(url), MessageBody: aws.String(group + ":" + dedup), MessageGroupId: aws.String(group), MessageDeduplicationId: aws.String(dedup),
	}); err != nil {
		t.Fatal(err)
	}
}

func receive(t *testing.T, c *sqs.Client, url string, max int32) []types.Message {
	t.Helper()
	out, err := c.ReceiveMessage(t.Context(), &sqs.ReceiveMessageInput{
		QueueUrl: aws.String(url), MaxNumberOfMessages: max,
		MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameAll},
	})
	if err != nil {
		t.Fatal(err)
	}
	return out.Messages
}

func bodies(ms []types.Message) []string {
	var out []string
	for _, m := range ms {
		out = append(out, aws.ToString(m.Body))
	}
	return out
}

// A group in flight holds back its own later messages and no other group's; deleting the
// head lets the next one of its group come.
func TestAGroupInFlightHoldsBackOnlyItself(t *testing.T) {
	c, url := newQueue(t, 10)
	send(t, c, url, "a", "1")
	send(t, c, url, "a", "2")
	send(t, c, url, "b", "3")
	send(t, c, url, "a", "1") // a duplicate: dropped
	first := receive(t, c, url, 1)
	if got := bodies(first); !slices.Equal(got, []string{"a:1"}) {
		t.Fatalf("first receive %v", got)
	}
	if g := first[0].Attributes["MessageGroupId"]; g != "a" {
		t.Errorf("MessageGroupId attribute %q", g)
	}
	if got := bodies(receive(t, c, url, 10)); !slices.Equal(got, []string{"b:3"}) {
		t.Fatalf("with a's head in flight: %v, want only b's", got)
	}
	if _, err := c.DeleteMessage(t.Context(), &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: first[0].ReceiptHandle}); err != nil {
		t.Fatal(err)
	}
	if got := bodies(receive(t, c, url, 10)); !slices.Equal(got, []string{"a:2"}) {
		t.Fatalf("after a's head was deleted: %v", got)
	}
}

// A message made visible again comes back first in its group, with its receive counted; a
// message received more than maxReceiveCount times goes to the dead-letter queue.
func TestAMessageMadeVisibleComesBackFirstThenGoesToTheDeadLetterQueue(t *testing.T) {
	c, url := newQueue(t, 2)
	send(t, c, url, "a", "1")
	send(t, c, url, "a", "2")
	for i := 1; i <= 2; i++ {
		got := receive(t, c, url, 10)
		if !slices.Equal(bodies(got), []string{"a:1", "a:2"}) || got[0].Attributes["ApproximateReceiveCount"] != string(rune('0'+i)) {
			t.Fatalf("receive %d: %v %v", i, bodies(got), got[0].Attributes)
		}
		for _, m := range got {
			if _, err := c.ChangeMessageVisibility(t.Context(), &sqs.ChangeMessageVisibilityInput{QueueUrl: aws.String(url), ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 0}); err != nil {
				t.Fatal(err)
			}
		}
	}
	if got := bodies(receive(t, c, url, 10)); len(got) != 0 {
		t.Fatalf("received past maxReceiveCount: %v", got)
	}
	dead, err := c.GetQueueUrl(t.Context(), &sqs.GetQueueUrlInput{QueueName: aws.String("jobs-dead.fifo")})
	if err != nil {
		t.Fatal(err)
	}
	if got := bodies(receive(t, c, aws.ToString(dead.QueueUrl), 10)); !slices.Equal(got, []string{"a:1", "a:2"}) {
		t.Errorf("dead-letter queue: %v", got)
	}
}

// A hidden message keeps its group back for as long as it was hidden: receives find nothing
// of it meanwhile; a stale receipt handle is refused.
func TestAHiddenMessageHoldsItsGroupAndItsOldReceiptDies(t *testing.T) {
	c, url := newQueue(t, 10)
	send(t, c, url, "a", "1")
	m := receive(t, c, url, 1)[0]
	if _, err := c.ChangeMessageVisibility(t.Context(), &sqs.ChangeMessageVisibilityInput{QueueUrl: aws.String(url), ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 3600}); err != nil {
		t.Fatal(err)
	}
	send(t, c, url, "a", "2")
	if got := bodies(receive(t, c, url, 10)); len(got) != 0 {
		t.Fatalf("a hidden group gave %v", got)
	}
	if _, err := c.ChangeMessageVisibility(t.Context(), &sqs.ChangeMessageVisibilityInput{QueueUrl: aws.String(url), ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 0}); err != nil {
		t.Fatal(err)
	}
	again := receive(t, c, url, 1)
	if !slices.Equal(bodies(again), []string{"a:1"}) {
		t.Fatalf("after it came back: %v", bodies(again))
	}
	_, err := c.DeleteMessage(t.Context(), &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: m.ReceiptHandle})
	var api smithy.APIError
	if !errors.As(err, &api) || api.ErrorCode() != "ReceiptHandleIsInvalid" {
		t.Errorf("delete with a stale receipt: %v", err)
	}
	// A long poll returns as soon as something arrives.
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	got := make(chan []types.Message, 1)
	go func() {
		out, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), WaitTimeSeconds: 20, MaxNumberOfMessages: 10})
		if err != nil {
			got <- nil
			return
		}
		got <- out.Messages
	}()
	send(t, c, url, "b", "3")
	if ms := <-got; !slices.Equal(bodies(ms), []string{"b:3"}) {
		t.Errorf("long poll: %v", bodies(ms))
	}
}

// With a file, a restarted stand-in has the queues and their messages, in flight ones
// visible again, in order.
func TestAPersistentStandInKeepsItsMessagesAcrossARestart(t *testing.T) {
	file := t.TempDir() + "/sqs.json"
	ctx, stop := context.WithCancel(t.Context())
	srv, err := sqslocal.StartPersistent(ctx, "127.0.0.1:0", file)
	if err != nil {
		t.Fatal(err)
	}
	c := standins.SQSClient(srv.Endpoint)
	url, _, err := sqslocal.EnsureDeliveryQueue(ctx, c, "jobs.fifo", 60, 10)
	if err != nil {
		t.Fatal(err)
	}
	send(t, c, url, "a", "1")
	send(t, c, url, "a", "2")
	if got := bodies(receive(t, c, url, 1)); !slices.Equal(got, []string{"a:1"}) {
		t.Fatalf("before the restart: %v", got)
	}
	stop()
	srv2, err := sqslocal.StartPersistent(t.Context(), "127.0.0.1:0", file)
	if err != nil {
		t.Fatal(err)
	}
	c2 := standins.SQSClient(srv2.Endpoint)
	url2, _, err := sqslocal.EnsureDeliveryQueue(t.Context(), c2, "jobs.fifo", 60, 10)
	if err != nil {
		t.Fatal(err)
	}
	if got := bodies(receive(t, c2, url2, 10)); !slices.Equal(got, []string{"a:1", "a:2"}) {
		t.Errorf("after the restart: %v", got)
	}
}
