package dynamo

import (
	"context"
	"sync/atomic"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/smithy-go/middleware"
)

// NewClient returns a DynamoDB client for cfg. A non-empty endpoint points it at DynamoDB
// Local, whose answers carry no CRC32 header. Every client counts its calls into the counter
// carried by the request's context (see WithCallCounter).
func NewClient(cfg aws.Config, endpoint string) *dynamodb.Client {
	return dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) {
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
			o.DisableValidateResponseChecksum = true
		}
		o.APIOptions = append(o.APIOptions, countCalls)
	})
}

// CallCounter counts the DynamoDB round trips made with one context.
type CallCounter struct{ n atomic.Int64 }

// Calls returns the number of DynamoDB calls counted so far.
func (c *CallCounter) Calls() int { return int(c.n.Load()) }

type counterKey struct{}

// WithCallCounter returns a context whose DynamoDB calls are counted by the returned counter.
// The HTTP glue puts one on every request and logs the figure.
func WithCallCounter(ctx context.Context) (context.Context, *CallCounter) {
	c := &CallCounter{}
	return context.WithValue(ctx, counterKey{}, c), c
}

func countCalls(stack *middleware.Stack) error {
	return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("CountCalls",
		func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			if c, ok := ctx.Value(counterKey{}).(*CallCounter); ok {
				c.n.Add(1)
			}
			return next.HandleInitialize(ctx, in)
		}), middleware.After)
}
