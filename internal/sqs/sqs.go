// Package sqs is the adapter to Amazon SQS FIFO queues: sending a job to the end of its
// message group, and keeping a received message hidden until its time (what the delivery
// function's handler, triggers.QueueHandler, does with a retry that is not due yet).
//
// Package app does not link this package or the SQS SDK: Install puts the webhook queue into
// an Env, and only the functions whose Actions include an sqs: action call it, from their
// generated main (mainsrc.InstallsFor).
package sqs

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/vendorportal/orgs/internal/app"
)

// Install makes env send webhook delivery jobs to the queue WEBHOOK_QUEUE_URL names.
func Install(env *app.Env) {
	env.UseWebhookQueue(&Queue{Client: NewClient(env.AWSConfig(), env.Config.SQSEndpoint), URL: env.Config.WebhookQueueURL})
}

// NewClient returns an SQS client; a non-empty endpoint points it at the local stand-in
// (package sqslocal).
func NewClient(cfg aws.Config, endpoint string) *sqs.Client {
	return sqs.NewFromConfig(cfg, func(o *sqs.Options) {
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
		}
	})
}

// Queue is one FIFO queue.
type Queue struct {
	Client *sqs.Client
	URL    string
}

// Send puts body at the end of group. A dedupID sent in the last 5 minutes is dropped by SQS,
// so that sending one job twice (a retried outbox message) queues it once.
func (q *Queue) Send(ctx context.Context, group, dedupID string, body []byte) error {
	if q.URL == "" {
		return errors.New("sqs: no queue URL (WEBHOOK_QUEUE_URL is not set)")
	}
	_, err := q.Client.SendMessage(ctx, &sqs.SendMessageInput{
		QueueUrl: aws.String(q.URL), MessageBody: aws.String(string(body)),
		MessageGroupId: aws.String(group), MessageDeduplicationId: aws.String(dedupID),
	})
	if err != nil {
		return fmt.Errorf("sqs: send to group %s: %w", group, err)
	}
	return nil
}

// Hide keeps the message in flight under receiptHandle, hidden, for d from now (at most the
// 12 hours SQS allows): a FIFO queue receives no other message of its group meanwhile.
func (q *Queue) Hide(ctx context.Context, receiptHandle string, d time.Duration) error {
	secs := int32(min(math.Ceil(d.Seconds()), MaxVisibilitySeconds))
	_, err := q.Client.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{
		QueueUrl: aws.String(q.URL), ReceiptHandle: aws.String(receiptHandle), VisibilityTimeout: max(secs, 0),
	})
	if err != nil {
		return fmt.Errorf("sqs: hide a message for %s: %w", d, err)
	}
	return nil
}

// MaxVisibilitySeconds is the longest SQS keeps a message in flight (12 hours).
const MaxVisibilitySeconds = 12 * 60 * 60
