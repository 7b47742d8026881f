package enforce_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/ses"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
	"github.com/google/go-cmp/cmp"

	"github.com/vendorportal/orgs/internal/app"
	"github.com/vendorportal/orgs/internal/iam"
	"github.com/vendorportal/orgs/internal/iam/enforce"
	"github.com/vendorportal/orgs/internal/sqslocal"
	"github.com/vendorportal/orgs/internal/standins"
	"github.com/vendorportal/orgs/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

const region = "eu-west-1"

func localConfig(table string) app.Config {
	return app.Config{Region: region, TableName: table, MailFrom: "no-reply@example.com", UserPoolID: "local_pool1"}
}

func key(pk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{"PK": &types.AttributeValueMemberS{Value: pk}, "SK": &types.AttributeValueMemberS{Value: "X"}}
}

// accessDenied reports whether err is AWS's answer to a call the role does not allow.
func accessDenied(err error) bool {
	var api smithy.APIError
	return errors.As(err, &api) && api.ErrorCode() == "AccessDeniedException" && api.ErrorFault() == smithy.FaultClient
}

// A transaction's items are authorized one by one by their own actions: a role that may put
// and update items but not check one may not run a transaction with a condition check, and
// nothing of it is written.
func TestTransactionItemNeedsItsOwnAction(t *testing.T) {
	var table string
	grants := func(actions ...string) *enforce.Enforcer {
		return enforce.Local(localConfig(table), "", iam.Grant{Function: "create-org", Actions: actions})
	}
	base, name := testenv.DynamoDB(t)
	table = name
	write := func(e *enforce.Enforcer) error {
		c := dynamodb.New(base.Options(), func(o *dynamodb.Options) { o.APIOptions = append(o.APIOptions, e.APIOption("create-org")) })
		_, err := c.TransactWriteItems(t.Context(), &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
			{Put: &types.Put{TableName: aws.String(table), Item: key("A")}},
			{ConditionCheck: &types.ConditionCheck{TableName: aws.String(table), Key: key("B"), ConditionExpression: aws.String("attribute_not_exists(PK)")}},
		}})
		return err
	}
	err := write(grants("dynamodb:PutItem", "dynamodb:UpdateItem"))
	if !accessDenied(err) {
		t.Fatalf("transaction with a condition check, without ConditionCheckItem: %v; want AccessDeniedException", err)
	}
	if want := "dynamodb:ConditionCheckItem on resource: arn:aws:dynamodb:eu-west-1:000000000000:table/" + table; !strings.Contains(err.Error(), want) {
		t.Errorf("error %q does not say %q", err, want)
	}
	got, err := base.GetItem(t.Context(), &dynamodb.GetItemInput{TableName: aws.String(table), Key: key("A"), ConsistentRead: aws.Bool(true)})
	if err != nil || got.Item != nil {
		t.Fatalf("the denied transaction reached the table: %v %v", got.Item, err)
	}
	if err := write(grants("dynamodb:PutItem", "dynamodb:ConditionCheckItem")); err != nil {
		t.Fatalf("with ConditionCheckItem: %v", err)
	}
}

// A call of a function is checked against that function's statements: the client's own, or
// the one its context is marked with; the tools' calls (no function) are not checked.
func TestCallsAreCheckedAsTheFunctionThatMakesThem(t *testing.T) {
	base, table := testenv.DynamoDB(t)
	e := enforce.Local(localConfig(table), "",
		iam.Grant{Function: "get-org", Actions: []string{"dynamodb:BatchGetItem"}},
		iam.Grant{Function: "update-org", Actions: []string{"dynamodb:BatchGetItem", "dynamodb:UpdateItem"}})
	put := func(c *dynamodb.Client, ctx context.Context) error {
		_, err := c.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: key("A")})
		return err
	}
	with := func(fn string) *dynamodb.Client {
		return dynamodb.New(base.Options(), func(o *dynamodb.Options) { o.APIOptions = append(o.APIOptions, e.APIOption(fn)) })
	}
	if err := put(with(""), t.Context()); err != nil {
		t.Errorf("the tools' put: %v", err)
	}
	if err := put(with("get-org"), t.Context()); !accessDenied(err) {
		t.Errorf("get-org's put: %v; want AccessDeniedException", err)
	}
	if err := put(with(""), iam.AsFunction(t.Context(), "update-org")); !accessDenied(err) {
		t.Errorf("update-org's put on a shared client: %v; want AccessDeniedException", err)
	}
	_, err := with("update-org").UpdateItem(t.Context(), &dynamodb.UpdateItemInput{TableName: aws.String(table), Key: key("A"),
		UpdateExpression: aws.String("SET n = :n"), ExpressionAttributeValues: map[string]types.AttributeValue{":n": &types.AttributeValueMemberN{Value: "1"}}})
	if err != nil {
		t.Errorf("update-org's update: %v", err)
	}
	if diff := cmp.Diff([]enforce.Use{{Function: "update-org", Action: "dynamodb:UpdateItem"}}, e.Used()); diff != "" {
		t.Errorf("used (-want +got):\n%s", diff)
	}
}

// Each call is named as IAM names it: indexes by their ARNs, batches per table, the user
// pool's calls on the pool, SES's on the sender's identity.
func TestRequestsAreNamedAsIAMNamesThem(t *testing.T) {
	e := enforce.Local(localConfig("orgs"), "")
	tableARN := "arn:aws:dynamodb:eu-west-1:000000000000:table/orgs"
	for _, c := range []struct {
		name, service, op string
		input             any
		want              []enforce.Request
	}{
		{"query of an index", "DynamoDB", "Query", &dynamodb.QueryInput{TableName: aws.String("orgs"), IndexName: aws.String("GSI1")},
			[]enforce.Request{{Action: "dynamodb:Query", Resource: tableARN + "/index/GSI1"}}},
		{"query of the table", "DynamoDB", "Query", &dynamodb.QueryInput{TableName: aws.String("orgs")},
			[]enforce.Request{{Action: "dynamodb:Query", Resource: tableARN}}},
		{"transaction of reads", "DynamoDB", "TransactGetItems", &dynamodb.TransactGetItemsInput{TransactItems: []types.TransactGetItem{
			{Get: &types.Get{TableName: aws.String("orgs")}}}},
			[]enforce.Request{{Action: "dynamodb:GetItem", Resource: tableARN}}},
		{"batch of reads", "DynamoDB", "BatchGetItem", &dynamodb.BatchGetItemInput{RequestItems: map[string]types.KeysAndAttributes{"orgs": {}}},
			[]enforce.Request{{Action: "dynamodb:BatchGetItem", Resource: tableARN}}},
		{"description of the table", "DynamoDB", "DescribeTable", &dynamodb.DescribeTableInput{TableName: aws.String("orgs")},
			[]enforce.Request{{Action: "dynamodb:DescribeTable", Resource: tableARN}}},
		{"stream read", "DynamoDB Streams", "GetRecords", &struct{ StreamArn *string }{aws.String(tableARN + "/stream/1")},
			[]enforce.Request{{Action: "dynamodb:GetRecords", Resource: tableARN + "/stream/1"}}},
		{"stream read by iterator", "DynamoDB Streams", "GetRecords", &struct{ ShardIterator *string }{aws.String(tableARN + "/stream/1|1|AAAA")},
			[]enforce.Request{{Action: "dynamodb:GetRecords", Resource: tableARN + "/stream/1"}}},
		{"user pool", "Cognito Identity Provider", "AdminGetUser", &cip.AdminGetUserInput{UserPoolId: aws.String("local_pool1")},
			[]enforce.Request{{Action: "cognito-idp:AdminGetUser", Resource: "arn:aws:cognito-idp:eu-west-1:000000000000:userpool/local_pool1"}}},
		{"mail", "SES", "SendEmail", &ses.SendEmailInput{Source: aws.String(`"Orgs" <no-reply@example.com>`)},
			[]enforce.Request{{Action: "ses:SendEmail", Resource: "arn:aws:ses:eu-west-1:000000000000:identity/no-reply@example.com"}}},
		{"secret", "Secrets Manager", "GetSecretValue", &struct{ SecretId *string }{aws.String("app-secret")},
			[]enforce.Request{{Action: "secretsmanager:GetSecretValue", Resource: "arn:aws:secretsmanager:eu-west-1:000000000000:secret:app-secret"}}},
		{"queue", "SQS", "SendMessage", &struct{ QueueUrl *string }{aws.String("http://localhost:9324/000000000000/deliveries")},
			[]enforce.Request{{Action: "sqs:SendMessage", Resource: "arn:aws:sqs:eu-west-1:000000000000:deliveries"}}},
		{"queue batch", "SQS", "DeleteMessageBatch", &struct{ QueueUrl *string }{aws.String("http://localhost:9324/000000000000/deliveries")},
			[]enforce.Request{{Action: "sqs:DeleteMessage", Resource: "arn:aws:sqs:eu-west-1:000000000000:deliveries"}}},
		{"queue visibility batch", "SQS", "ChangeMessageVisibilityBatch", &struct{ QueueUrl *string }{aws.String("http://localhost:9324/000000000000/deliveries")},
			[]enforce.Request{{Action: "sqs:ChangeMessageVisibility", Resource: "arn:aws:sqs:eu-west-1:000000000000:deliveries"}}},
	} {
		if diff := cmp.Diff(c.want, e.Requests(c.service, c.op, c.input)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", c.name, diff)
		}
	}
}

// A function granted its table actions may query the table's indexes (the stack grants them
// on table/NAME/index/*), and nothing on another table.
func TestGrantsCoverTheTableAndItsIndexesOnly(t *testing.T) {
	e := enforce.Local(localConfig("orgs"), "", iam.Grant{Function: "list-members", Actions: []string{"dynamodb:Query"}})
	stmts, _ := e.Statements("list-members")
	for _, c := range []struct {
		resource string
		want     bool
	}{
		{"arn:aws:dynamodb:eu-west-1:000000000000:table/orgs", true},
		{"arn:aws:dynamodb:eu-west-1:000000000000:table/orgs/index/GSI1", true},
		{"arn:aws:dynamodb:eu-west-1:000000000000:table/orgs2", false},
		{"arn:aws:dynamodb:eu-west-1:000000000000:table/other/index/GSI1", false},
	} {
		if got := iam.Allows(stmts, "dynamodb:Query", c.resource); got != c.want {
			t.Errorf("Query on %s allowed: %v, want %v", c.resource, got, c.want)
		}
	}
}

// The delivery queue as its consumer and its senders use it, through the SQS stand-in: the
// consumer (ConsumesQueue: what Lambda's event source mapping needs) receives, reads the
// queue's attributes and deletes, one message or a batch; a function that only sends to the
// queue may do none of that.
func TestQueueCallsNeedTheConsumerGrant(t *testing.T) {
	srv, err := sqslocal.Start(t.Context(), "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url, _, err := sqslocal.EnsureDeliveryQueue(t.Context(), standins.SQSClient(srv.Endpoint), "webhook-deliveries.fifo", 60, 5)
	if err != nil {
		t.Fatal(err)
	}
	cfg := localConfig("orgs")
	cfg.WebhookQueueURL = url
	e := enforce.Local(cfg, "",
		iam.Grant{Function: "webhook-delivery", Actions: []string{"sqs:SendMessage", "sqs:ChangeMessageVisibility"}, ConsumesQueue: true},
		iam.Grant{Function: "stream-processor", Actions: []string{"sqs:SendMessage"}})
	client := func(fn string) *sqs.Client {
		return sqs.NewFromConfig(aws.Config{Region: region, Credentials: credentials.NewStaticCredentialsProvider("local", "local", ""),
			APIOptions: []func(*middleware.Stack) error{e.APIOption(fn)}}, func(o *sqs.Options) { o.BaseEndpoint = aws.String(srv.Endpoint) })
	}
	sender, consumer := client("stream-processor"), client("webhook-delivery")
	for _, id := range []string{"1", "2"} {
		if _, err := sender.SendMessage(t.Context(), &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String(id),
			MessageGroupId: aws.String("g" + id), MessageDeduplicationId: aws.String(id)}); err != nil {
			t.Fatalf("the sender's send: %v", err)
		}
	}
	if _, err := sender.ReceiveMessage(t.Context(), &sqs.ReceiveMessageInput{QueueUrl: aws.String(url)}); !accessDenied(err) {
		t.Errorf("the sender's receive: %v; want AccessDeniedException", err)
	}
	if _, err := consumer.GetQueueAttributes(t.Context(), &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url)}); err != nil {
		t.Errorf("the consumer's GetQueueAttributes: %v", err)
	}
	out, err := consumer.ReceiveMessage(t.Context(), &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: 10})
	if err != nil || len(out.Messages) != 2 {
		t.Fatalf("the consumer's receive: %v, %v", out, err)
	}
	batch := []sqstypes.DeleteMessageBatchRequestEntry{{Id: aws.String("a"), ReceiptHandle: out.Messages[0].ReceiptHandle}}
	if _, err := sender.DeleteMessageBatch(t.Context(), &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(url), Entries: batch}); !accessDenied(err) ||
		!strings.Contains(err.Error(), "sqs:DeleteMessage on resource: arn:aws:sqs:eu-west-1:000000000000:webhook-deliveries.fifo") {
		t.Errorf("the sender's batch delete: %v; want AccessDeniedException on sqs:DeleteMessage", err)
	}
	if _, err := consumer.DeleteMessageBatch(t.Context(), &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(url), Entries: batch}); err != nil {
		t.Errorf("the consumer's batch delete: %v", err)
	}
	if _, err := consumer.DeleteMessage(t.Context(), &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: out.Messages[1].ReceiptHandle}); err != nil {
		t.Errorf("the consumer's delete: %v", err)
	}
	if d := e.TakeDenied(); len(d) != 2 {
		t.Errorf("denied %q, want the sender's receive and batch delete", d)
	}
}
