package apitest

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/vendorportal/orgs/internal/httpapi/ticketsapi"
	"github.com/vendorportal/orgs/internal/orgs"
)

// Operator is a signed-in member of the vendor's support team.
func Operator(name string) orgs.Caller {
	c := Person(name)
	c.Operator = true
	return c
}

// Ticket opens a ticket in the org as c and returns its id.
func (a *API) Ticket(c orgs.Caller, orgID, subject string) string {
	a.T.Helper()
	r := a.Do(ticketsapi.CreateTicket, &c, map[string]string{"orgId": orgID}, nil, `{"subject":"`+subject+`","body":"Please help."}`)
	if r.Status != 201 {
		a.T.Fatalf("open ticket: %d %s", r.Status, r.Body)
	}
	return r.JSON(a.T)["id"].(string)
}

// OutboxEmails returns the bodies of the outbox's email messages (a test may scan).
func (a *API) OutboxEmails(t *testing.T) []string {
	t.Helper()
	out, err := a.Env.DynamoDB().Scan(context.Background(), &dynamodb.ScanInput{TableName: aws.String(a.Env.Config.TableName)})
	if err != nil {
		t.Fatal(err)
	}
	var bodies []string
	for _, it := range out.Items {
		if pk, _ := it["PK"].(*types.AttributeValueMemberS); pk != nil && strings.HasPrefix(pk.Value, "OUTBOX#") {
			if b, ok := it["body"].(*types.AttributeValueMemberB); ok {
				bodies = append(bodies, string(b.Value))
			}
		}
	}
	return bodies
}
