package scimapi_test

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/smithy-go/middleware"

	"github.com/vendorportal/orgs/internal/apitest"
	"github.com/vendorportal/orgs/internal/dynamo"
	"github.com/vendorportal/orgs/internal/httpapi"
	"github.com/vendorportal/orgs/internal/httpapi/scimapi"
	"github.com/vendorportal/orgs/internal/roles"
)

// A token revoked (or replaced, or ended by an authentication reset) between a request's
// sign-in and its write must not write: the write holds only while the token the request was
// signed in with is still the org's. The revocation is made to land in that window by
// deleting the token's item just before the request's first transaction.
func TestSCIMWriteDoesNotOutliveItsTokenRevokedMeanwhile(t *testing.T) {
	var armed atomic.Bool
	var a *apitest.API
	revokeFirst := func(o *dynamodb.Options) {
		o.APIOptions = append(o.APIOptions, func(stack *middleware.Stack) error {
			return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("revokeSCIMTokenFirst",
				func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
					if _, ok := in.Parameters.(*dynamodb.TransactWriteItemsInput); ok && armed.CompareAndSwap(true, false) {
						for _, org := range revokeOrgs {
							if _, err := a.Env.DynamoDB().DeleteItem(context.Background(), &dynamodb.DeleteItemInput{
								TableName: aws.String(a.Env.Config.TableName), Key: dynamo.Key(dynamo.OrgPK(org), dynamo.SkSCIMToken),
							}); err != nil {
								return middleware.InitializeOutput{}, middleware.Metadata{}, err
							}
						}
					}
					return next.HandleInitialize(ctx, in)
				}), middleware.After)
		})
	}
	a = apitest.NewAPI(t, revokeFirst)
	ada, bob := apitest.Person("ada"), apitest.Person("bob")
	org := a.Org(ada, "Acme")
	a.Member(org, bob, roles.User)
	revokeOrgs = []string{org}
	user := map[string]string{"id": bob.ID}
	for _, c := range []struct {
		what   string
		route  *httpapi.Route
		params map[string]string
		body   string
	}{
		{"suspend bob", scimapi.SCIMPatchUser, user, scimSuspend},
		{"make bob admin", scimapi.SCIMPatchGroup, map[string]string{"id": "admin"}, `{"Operations":[{"op":"add","path":"members","value":[{"value":"` + bob.ID + `"}]}]}`},
		{"remove bob", scimapi.SCIMDeleteUser, user, ""},
	} {
		tok := a.SCIMToken(ada, org)
		armed.Store(true)
		r := a.SCIM(c.route, tok, c.params, nil, c.body)
		armed.Store(false)
		if r.Status != 401 || !strings.Contains(r.Body, `"status":"401"`) {
			t.Errorf("%s with a token revoked before the write: %d %s, want SCIM's 401", c.what, r.Status, r.Body)
		}
		if m := a.MemberOf(org, bob); m.Suspended() || m.Role != roles.User {
			t.Errorf("%s: bob is now %s %s; the revoked token wrote", c.what, m.Status, m.Role)
		}
	}
}

var revokeOrgs []string
