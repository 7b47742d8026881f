package apitest

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/vendorportal/orgs/internal/dynamo"
	"github.com/vendorportal/orgs/internal/httpapi/tokensapi"
	"github.com/vendorportal/orgs/internal/orgs"
	"github.com/vendorportal/orgs/internal/outbox"
	"github.com/vendorportal/orgs/internal/tokens"
)

// ViewToken is GET .../token as c; it fails the test unless it answers 200.
func (a *API) ViewToken(c orgs.Caller, orgID string) (map[string]any, int) {
	a.T.Helper()
	r := a.Do(tokensapi.GetToken, &c, map[string]string{"orgId": orgID}, nil, "")
	if r.Status != http.StatusOK {
		a.T.Fatalf("view token: %d %s", r.Status, r.Body)
	}
	return r.JSON(a.T), r.Calls
}

// SignIn is GET /v1/entitlements with HTTP Basic email:token.
func (a *API) SignIn(email, token string) Reply {
	a.T.Helper()
	ev := a.Request(tokensapi.GetEntitlements, nil, nil, nil, "")
	ev.Headers = map[string]string{"authorization": "Basic " + base64.StdEncoding.EncodeToString([]byte(email+":"+token)), "user-agent": "pkg-client/1.0"}
	ev.RequestContext.HTTP.SourceIP = "198.51.100.7"
	resp, calls := a.Invoke(tokensapi.GetEntitlements, ev)
	if resp.StatusCode == http.StatusUnauthorized && !strings.HasPrefix(resp.Headers["WWW-Authenticate"], "Basic") {
		a.T.Errorf("a 401 of the entitlements lacks WWW-Authenticate: Basic: %v", resp.Headers)
	}
	return Reply{Status: resp.StatusCode, Body: resp.Body, Calls: calls}
}

// SetMemberStatus writes a member's status on the member item and the email guard, as the
// provisioning writes will.
func (a *API) SetMemberStatus(orgID string, c orgs.Caller, s orgs.Status) {
	a.T.Helper()
	for _, sk := range []string{"MEMBER#" + c.ID, "EMAIL#" + strings.ToLower(c.Email)} {
		_, err := a.Env.DynamoDB().UpdateItem(context.Background(), &dynamodb.UpdateItemInput{
			TableName: aws.String(a.Env.Config.TableName),
			Key: map[string]types.AttributeValue{
				"PK": &types.AttributeValueMemberS{Value: "ORG#" + orgID}, "SK": &types.AttributeValueMemberS{Value: sk},
			},
			UpdateExpression:          aws.String("SET #s = :s"),
			ExpressionAttributeNames:  map[string]string{"#s": "status"},
			ExpressionAttributeValues: map[string]types.AttributeValue{":s": &types.AttributeValueMemberS{Value: string(s)}},
		})
		if err != nil {
			a.T.Fatal(err)
		}
	}
}

func intp(n int) *int { return &n }

// Licensed gives the org a public catalog and licenses: "cli" is public, "pro" is licensed to
// every member, "seats" to bob's seat only, "old" ended, "later" starts tomorrow.
func (a *API) Licensed(orgID string, bob orgs.Caller) {
	a.T.Helper()
	ctx := context.Background()
	if err := a.Store.PutPublicCatalog(ctx, []tokens.Product{{ID: "cli", Name: "Command line"}}); err != nil {
		a.T.Fatal(err)
	}
	day := 24 * time.Hour
	err := a.Store.PutLicenseSummary(ctx, orgID, []tokens.License{
		{ID: "l1", ProductID: "pro", ProductName: "Pro", Type: "developer", StartsAt: HarnessNow.Add(-day), EndsAt: HarnessNow.Add(30 * day), NodeLimit: intp(5)},
		{ID: "l2", ProductID: "pro", ProductName: "Pro", Type: "enterprise", StartsAt: HarnessNow.Add(-day), EndsAt: HarnessNow.Add(90 * day), NodeLimit: intp(50)},
		{ID: "l3", ProductID: "seats", ProductName: "Seated", Type: "enterprise", StartsAt: HarnessNow.Add(-day), SeatLimit: intp(1), Seats: []string{bob.ID}},
		{ID: "l4", ProductID: "old", ProductName: "Old", Type: "trial", StartsAt: HarnessNow.Add(-40 * day), EndsAt: HarnessNow.Add(-day), NodeLimit: intp(3)},
		{ID: "l5", ProductID: "later", ProductName: "Later", Type: "enterprise", StartsAt: HarnessNow.Add(day)},
	})
	if err != nil {
		a.T.Fatal(err)
	}
}

// Events returns the org's events of action, as JSON lines.
func (a *API) Events(orgID, action string) []string {
	a.T.Helper()
	// One page, as the tests' logs are small.
	items, _, err := a.Store.QueryPage(context.Background(), dynamo.Query{What: "events", Key: dynamo.KeyIs(dynamo.AttrPK, dynamo.EventPK(orgID))}, "")
	if err != nil {
		a.T.Fatal(err)
	}
	var lines []string
	for _, it := range items {
		if v, ok := it["action"].(*types.AttributeValueMemberS); ok && v.Value == action {
			b, _ := json.Marshal(it)
			lines = append(lines, string(b))
		}
	}
	return lines
}

func (a *API) Access(c orgs.Caller, orgID string) orgs.Access {
	a.T.Helper()
	acc, err := a.Env.Orgs().Authorize(context.Background(), c, orgID, "")
	if err != nil {
		a.T.Fatal(err)
	}
	return acc
}

// Outbox returns the outbox messages in the table (a test may Scan).
func (a *API) Outbox(t *testing.T) []outbox.Message {
	t.Helper()
	out, err := a.Env.DynamoDB().Scan(context.Background(), &dynamodb.ScanInput{
		TableName: aws.String(a.Env.Config.TableName), FilterExpression: aws.String("SK = :sk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":sk": &types.AttributeValueMemberS{Value: "OUTBOX"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	var msgs []outbox.Message
	for _, it := range out.Items {
		m, err := dynamo.DecodeOutboxMessage(it)
		if err != nil {
			t.Fatal(err)
		}
		msgs = append(msgs, m)
	}
	return msgs
}
