// Command hello is the reference function of infra/coldstart: the smallest useful
// aws-lambda-go function, which answers an API Gateway v2 HTTP request. The targets for
// package size and cold start are ratios to this function built the same way.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
)

func handle(_ context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	return events.APIGatewayV2HTTPResponse{
		StatusCode: 200,
		Headers:    map[string]string{"Content-Type": "text/plain; charset=utf-8"},
		Body:       "hello from " + req.RawPath + "\n",
	}, nil
}

func main() { lambda.Start(handle) }
