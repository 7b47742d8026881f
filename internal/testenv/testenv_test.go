package testenv_test

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	dbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/ses"
	sestypes "github.com/aws/aws-sdk-go-v2/service/ses/types"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/vendorportal/orgs/internal/standins"
	"github.com/vendorportal/orgs/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

func TestDynamoDBTableTakesItems(t *testing.T) {
	t.Parallel()
	client, table := testenv.DynamoDB(t)

	item := map[string]dbtypes.AttributeValue{
		"PK":     &dbtypes.AttributeValueMemberS{Value: "ORG#1"},
		"SK":     &dbtypes.AttributeValueMemberS{Value: "META"},
		"GSI1PK": &dbtypes.AttributeValueMemberS{Value: "NAME#acme"},
		"GSI1SK": &dbtypes.AttributeValueMemberS{Value: "ORG#1"},
		"name":   &dbtypes.AttributeValueMemberS{Value: "Acme"},
	}
	if _, err := client.PutItem(t.Context(), &dynamodb.PutItemInput{TableName: aws.String(table), Item: item}); err != nil {
		t.Fatalf("PutItem: %v", err)
	}
	got, err := client.GetItem(t.Context(), &dynamodb.GetItemInput{
		TableName:      aws.String(table),
		Key:            map[string]dbtypes.AttributeValue{"PK": item["PK"], "SK": item["SK"]},
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		t.Fatalf("GetItem: %v", err)
	}
	if diff := cmp.Diff(item, got.Item, cmp.AllowUnexported(dbtypes.AttributeValueMemberS{})); diff != "" {
		t.Errorf("GetItem returned a different item (-put +got):\n%s", diff)
	}

	// The indexes exist: a query on one finds the item.
	byName, err := client.Query(t.Context(), &dynamodb.QueryInput{
		TableName:              aws.String(table),
		IndexName:              aws.String("GSI1"),
		KeyConditionExpression: aws.String("GSI1PK = :pk"),
		ExpressionAttributeValues: map[string]dbtypes.AttributeValue{
			":pk": &dbtypes.AttributeValueMemberS{Value: "NAME#acme"},
		},
	})
	if err != nil {
		t.Fatalf("Query GSI1: %v", err)
	}
	if byName.Count != 1 {
		t.Errorf("Query GSI1 found %d items, want 1", byName.Count)
	}

	ttl, err := client.DescribeTimeToLive(t.Context(), &dynamodb.DescribeTimeToLiveInput{TableName: aws.String(table)})
	if err != nil {
		t.Fatalf("DescribeTimeToLive: %v", err)
	}
	if got := ttl.TimeToLiveDescription; got.TimeToLiveStatus != dbtypes.TimeToLiveStatusEnabled || aws.ToString(got.AttributeName) != "ttl" {
		t.Errorf("TTL is %s on %q, want ENABLED on \"ttl\"", got.TimeToLiveStatus, aws.ToString(got.AttributeName))
	}
}

func TestCognitoUserSignsIn(t *testing.T) {
	t.Parallel()
	client, pool, endpoint := testenv.Cognito(t)
	const email, password = "ada@example.com", "Correct-horse-1"

	sub, err := standins.CreateUser(t.Context(), client, pool, email, password, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := standins.AddToGroup(t.Context(), client, pool, email, standins.OperatorsGroup); err != nil {
		t.Fatal(err)
	}
	tokens, err := standins.SignIn(t.Context(), client, pool, email, password)
	if err != nil {
		t.Fatal(err)
	}
	if tokens.AccessToken == "" || tokens.RefreshToken == "" {
		t.Errorf("SignIn returned %+v, want all three tokens", tokens)
	}

	// cognito-local's ID token, unverified, looks like:
	//	{"cognito:username":"<sub>", "email":"ada@example.com", "email_verified":true,
	//	 "token_use":"id", "sub":"<sub>", "cognito:groups":["operators"],
	//	 "aud":"<app client ID>", "iss":"http://127.0.0.1:<port>/local_<8 chars>", ...}
	// so iss is the stand-in's endpoint followed by the pool ID, which is how app.IssuerFor
	// derives the issuer to accept from COGNITO_ENDPOINT.
	claims := jwtClaims(t, tokens.IDToken)
	want := map[string]any{
		"iss":            endpoint + "/" + pool.ID,
		"aud":            pool.ClientID,
		"sub":            sub,
		"email":          email,
		"email_verified": true,
		"token_use":      "id",
		"cognito:groups": []any{standins.OperatorsGroup},
	}
	for name, value := range want {
		if diff := cmp.Diff(value, claims[name]); diff != "" {
			t.Errorf("ID token claim %s (-want +got):\n%s", name, diff)
		}
	}
	if !strings.HasPrefix(pool.ID, "local_") {
		t.Logf("pool ID %s no longer has cognito-local's usual form local_xxxxxxxx", pool.ID)
	}

	// Asking again finds the same pool rather than making another.
	again, err := standins.EnsureUserPool(t.Context(), client, poolName(t, client, pool.ID))
	if err != nil {
		t.Fatal(err)
	}
	if again != pool {
		t.Errorf("EnsureUserPool a second time = %+v, want %+v", again, pool)
	}
}

func TestSESCapturesMail(t *testing.T) {
	t.Parallel()
	endpoint := testenv.SES(t)
	to := testenv.UniqueAddress(t)

	_, err := standins.SESClient(endpoint).SendEmail(t.Context(), &ses.SendEmailInput{
		Source:      aws.String("no-reply@example.com"),
		Destination: &sestypes.Destination{ToAddresses: []string{to}},
		Message: &sestypes.Message{
			Subject: &sestypes.Content{Data: aws.String("Welcome")},
			Body: &sestypes.Body{
				Text: &sestypes.Content{Data: aws.String("Hello in text")},
				Html: &sestypes.Content{Data: aws.String("<p>Hello in HTML</p>")},
			},
		},
	})
	if err != nil {
		t.Fatalf("SendEmail: %v", err)
	}

	mails := testenv.Mails(t, endpoint, to)
	if len(mails) != 1 {
		t.Fatalf("the stand-in holds %d mails to %s, want 1", len(mails), to)
	}
	got := mails[0]
	want := standins.Mail{
		MessageID: got.MessageID,
		From:      "no-reply@example.com",
		To:        []string{to},
		Subject:   "Welcome",
		HTML:      "<p>Hello in HTML</p>",
		Text:      "Hello in text",
		SentAt:    got.SentAt,
	}
	if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("captured mail (-want +got):\n%s", diff)
	}
	if got.MessageID == "" || got.SentAt.IsZero() {
		t.Errorf("captured mail has MessageID %q and SentAt %v, want both set", got.MessageID, got.SentAt)
	}
}

// jwtClaims decodes a JWT's payload without checking its signature.
func jwtClaims(t *testing.T, token string) map[string]any {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("token %q is not a JWT", token)
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatalf("decode JWT payload: %v", err)
	}
	var claims map[string]any
	if err := json.Unmarshal(payload, &claims); err != nil {
		t.Fatalf("decode JWT payload: %v", err)
	}
	t.Logf("ID token claims: %s", payload)
	return claims
}

// poolName returns the name of the user pool with ID id.
func poolName(t *testing.T, client *cognitoidentityprovider.Client, id string) string {
	t.Helper()
	out, err := client.DescribeUserPool(t.Context(), &cognitoidentityprovider.DescribeUserPoolInput{UserPoolId: aws.String(id)})
	if err != nil {
		t.Fatalf("DescribeUserPool: %v", err)
	}
	return aws.ToString(out.UserPool.Name)
}
