package dynamo

import (
	"context"
	"math"
	"sync/atomic"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go/middleware"
)

// NewClient returns a DynamoDB client for cfg. A non-empty endpoint points it at DynamoDB
// Local, whose answers carry no CRC32 header. Every client counts its calls and the capacity
// they consume into the counter carried by the request's context (see WithCallCounter).
func NewClient(cfg aws.Config, endpoint string) *dynamodb.Client {
	return dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) {
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
			o.DisableValidateResponseChecksum = true
		}
		o.APIOptions = append(o.APIOptions, countCalls)
	})
}

// CallCounter counts the DynamoDB round trips made with one context and the capacity units
// they consumed.
type CallCounter struct {
	n     atomic.Int64
	read  atomicFloat
	write atomicFloat
}

// Calls returns the number of DynamoDB calls counted so far.
func (c *CallCounter) Calls() int { return int(c.n.Load()) }

// ReadUnits returns the read capacity units consumed so far, as DynamoDB reported them
// (ReturnConsumedCapacity TOTAL, which the counting middleware asks for on every call).
func (c *CallCounter) ReadUnits() float64 { return c.read.load() }

// WriteUnits returns the write capacity units consumed so far.
func (c *CallCounter) WriteUnits() float64 { return c.write.load() }

type counterKey struct{}

// WithCallCounter returns a context whose DynamoDB calls are counted by the returned counter.
// The HTTP glue puts one on every request and logs the figures.
func WithCallCounter(ctx context.Context) (context.Context, *CallCounter) {
	c := &CallCounter{}
	return context.WithValue(ctx, counterKey{}, c), c
}

func countCalls(stack *middleware.Stack) error {
	return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("CountCalls",
		func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			c, ok := ctx.Value(counterKey{}).(*CallCounter)
			if !ok {
				return next.HandleInitialize(ctx, in)
			}
			c.n.Add(1)
			askForCapacity(in.Parameters)
			out, md, err := next.HandleInitialize(ctx, in)
			if err == nil {
				read, write := consumed(out.Result)
				c.read.add(read)
				c.write.add(write)
			}
			return out, md, err
		}), middleware.After)
}

// askForCapacity sets ReturnConsumedCapacity TOTAL on an input that leaves it unset. Asking
// costs nothing but a few bytes of the answer.
func askForCapacity(input any) {
	switch in := input.(type) {
	case *dynamodb.GetItemInput:
		in.ReturnConsumedCapacity = orTotal(in.ReturnConsumedCapacity)
	case *dynamodb.BatchGetItemInput:
		in.ReturnConsumedCapacity = orTotal(in.ReturnConsumedCapacity)
	case *dynamodb.QueryInput:
		in.ReturnConsumedCapacity = orTotal(in.ReturnConsumedCapacity)
	case *dynamodb.ScanInput:
		in.ReturnConsumedCapacity = orTotal(in.ReturnConsumedCapacity)
	case *dynamodb.TransactGetItemsInput:
		in.ReturnConsumedCapacity = orTotal(in.ReturnConsumedCapacity)
	case *dynamodb.PutItemInput:
		in.ReturnConsumedCapacity = orTotal(in.ReturnConsumedCapacity)
	case *dynamodb.UpdateItemInput:
		in.ReturnConsumedCapacity = orTotal(in.ReturnConsumedCapacity)
	case *dynamodb.DeleteItemInput:
		in.ReturnConsumedCapacity = orTotal(in.ReturnConsumedCapacity)
	case *dynamodb.BatchWriteItemInput:
		in.ReturnConsumedCapacity = orTotal(in.ReturnConsumedCapacity)
	case *dynamodb.TransactWriteItemsInput:
		in.ReturnConsumedCapacity = orTotal(in.ReturnConsumedCapacity)
	}
}

func orTotal(v types.ReturnConsumedCapacity) types.ReturnConsumedCapacity {
	if v == "" {
		return types.ReturnConsumedCapacityTotal
	}
	return v
}

// consumed returns the read and write units an operation's output reports.
func consumed(result any) (read, write float64) {
	switch out := result.(type) {
	case *dynamodb.GetItemOutput:
		return units(out.ConsumedCapacity), 0
	case *dynamodb.BatchGetItemOutput:
		return sumUnits(out.ConsumedCapacity), 0
	case *dynamodb.QueryOutput:
		return units(out.ConsumedCapacity), 0
	case *dynamodb.ScanOutput:
		return units(out.ConsumedCapacity), 0
	case *dynamodb.TransactGetItemsOutput:
		return sumUnits(out.ConsumedCapacity), 0
	case *dynamodb.PutItemOutput:
		return 0, units(out.ConsumedCapacity)
	case *dynamodb.UpdateItemOutput:
		return 0, units(out.ConsumedCapacity)
	case *dynamodb.DeleteItemOutput:
		return 0, units(out.ConsumedCapacity)
	case *dynamodb.BatchWriteItemOutput:
		return 0, sumUnits(out.ConsumedCapacity)
	case *dynamodb.TransactWriteItemsOutput:
		return 0, sumUnits(out.ConsumedCapacity)
	}
	return 0, 0
}

func units(c *types.ConsumedCapacity) float64 {
	if c == nil {
		return 0
	}
	return aws.ToFloat64(c.CapacityUnits)
}

func sumUnits(cs []types.ConsumedCapacity) float64 {
	var n float64
	for i := range cs {
		n += units(&cs[i])
	}
	return n
}

// atomicFloat is a float64 that goroutines may add to concurrently (parallel queries of one
// request share a counter).
type atomicFloat struct{ bits atomic.Uint64 }

func (f *atomicFloat) add(d float64) {
	if d == 0 {
		return
	}
	for {
		old := f.bits.Load()
		if f.bits.CompareAndSwap(old, math.Float64bits(math.Float64frombits(old)+d)) {
			return
		}
	}
}

func (f *atomicFloat) load() float64 { return math.Float64frombits(f.bits.Load()) }
