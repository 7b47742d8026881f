package standins

import (
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/ses"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/vendorportal/orgs/internal/dynamo"
)

// Region is the region the stand-in clients claim. None of the stand-ins cares, but the SDK
// needs one to sign requests.
const Region = "us-east-1"

// localConfig is an aws.Config with dummy static credentials: the stand-ins accept any
// signature, and nothing should ever pick up a developer's real credentials by accident.
func localConfig() aws.Config {
	return aws.Config{
		Region:      Region,
		Credentials: credentials.NewStaticCredentialsProvider("local", "local", ""),
	}
}

// DynamoDBClient returns a DynamoDB client for the stand-in at endpoint, built the way the
// application builds its own (dynamo.NewClient).
func DynamoDBClient(endpoint string) *dynamodb.Client {
	return dynamo.NewClient(localConfig(), endpoint)
}

// CognitoClient returns a Cognito user pools client for the stand-in at endpoint.
func CognitoClient(endpoint string) *cognitoidentityprovider.Client {
	return cognitoidentityprovider.NewFromConfig(localConfig(), func(o *cognitoidentityprovider.Options) {
		o.BaseEndpoint = aws.String(endpoint)
	})
}

// SESClient returns an SES (v1 API) client for the stand-in at endpoint.
func SESClient(endpoint string) *ses.Client {
	return ses.NewFromConfig(localConfig(), func(o *ses.Options) {
		o.BaseEndpoint = aws.String(endpoint)
	})
}

// SQSClient returns an SQS client for the stand-in at endpoint (package sqslocal).
func SQSClient(endpoint string) *sqs.Client {
	return sqs.NewFromConfig(localConfig(), func(o *sqs.Options) {
		o.BaseEndpoint = aws.String(endpoint)
	})
}

// trimSlash removes a trailing slash so that endpoint+"/path" has exactly one.
func trimSlash(endpoint string) string { return strings.TrimRight(endpoint, "/") }
