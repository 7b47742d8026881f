package app

import (
	"context"

	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/smithy-go/middleware"
)

// Secrets Manager's read, named as the SDK names it (its service id and operation name), which
// is how the IAM check of local mode and the tests (package iam/enforce) knows the call.
const (
	SecretsManagerService = "Secrets Manager"
	GetSecretValue        = "GetSecretValue"
)

// GetSecretValueInput is what a read of a secret names: the secret, by ARN or name, in the
// field of the SDK's own input, from which the IAM check reads the resource.
type GetSecretValueInput struct {
	SecretId *string
}

// Call makes a call that no SDK client makes (send) as an SDK client makes operation op of
// service (the SDK's service id) with input: through the middleware that options add to every
// SDK client (Config.APIOptions). In local mode and the tests that is the IAM check of package
// iam/enforce, which refuses the call there, before send, wherever the function's role would
// refuse it in AWS. Without options (in AWS, where IAM itself checks) it is send(ctx).
func Call(ctx context.Context, options []func(*middleware.Stack) error, service, op string, input any, send func(context.Context) error) error {
	if len(options) == 0 {
		return send(ctx)
	}
	stack := middleware.NewStack(op, func() any { return nil })
	for _, o := range options {
		if err := o(stack); err != nil {
			return err
		}
	}
	ctx = awsmiddleware.SetServiceID(ctx, service)
	ctx = awsmiddleware.SetOperationName(ctx, op)
	_, _, err := stack.HandleMiddleware(ctx, input, middleware.HandlerFunc(func(ctx context.Context, _ any) (any, middleware.Metadata, error) {
		return nil, middleware.Metadata{}, send(ctx)
	}))
	return err
}
