package routes_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/vendorportal/orgs/internal/apitest"
	"github.com/vendorportal/orgs/internal/app"
	"github.com/vendorportal/orgs/internal/audit"
	"github.com/vendorportal/orgs/internal/dynamo"
	"github.com/vendorportal/orgs/internal/httpapi"
	"github.com/vendorportal/orgs/internal/httpapi/accountapi"
	"github.com/vendorportal/orgs/internal/httpapi/invitesapi"
	"github.com/vendorportal/orgs/internal/httpapi/membersapi"
	"github.com/vendorportal/orgs/internal/httpapi/orgsapi"
	"github.com/vendorportal/orgs/internal/mail"
	"github.com/vendorportal/orgs/internal/roles"
	"github.com/vendorportal/orgs/internal/routes"
)

func TestEveryMutatingRouteWritesExactlyOneEvent(t *testing.T) {
	for name := range mutations {
		if !slices.ContainsFunc(routes.All(), func(r *httpapi.Route) bool { return r.Name == name && r.Mutating() }) {
			t.Errorf("mutations has a scenario for %q, which is not a mutating route of the table", name)
		}
	}
	for _, r := range routes.All() {
		if !r.Mutating() {
			continue
		}
		t.Run(r.Name, func(t *testing.T) {
			scenario, ok := mutations[r.Name]
			if !ok {
				t.Fatalf("route %s (%s %s) changes state but has no scenario: add one to mutations in "+
					"internal/httpapi/completeness_test.go that sets up and returns one call that succeeds, "+
					"so that this test can check the call writes exactly one event with its change", r.Name, r.Method, r.Path)
			}
			a := apitest.NewAPI(t)
			req := scenario(a)
			a.Writes.Reset()
			resp := a.Call(r, req)
			if resp.StatusCode < 200 || resp.StatusCode > 299 {
				t.Fatalf("the scenario's call failed, so nothing can be checked: %d %s", resp.StatusCode, resp.Body)
			}
			if reason, ok := withoutEvent[r.Name]; ok {
				// Nothing of an org changes: no event, and none may be written.
				if problems := eventProblems(a.Writes.All(), req); !slices.ContainsFunc(problems, func(p string) bool { return strings.Contains(p, "wrote no event") }) {
					t.Errorf("%s writes an event, but withoutEvent says %q: %v", r.Name, reason, problems)
				}
			} else {
				for _, problem := range eventProblems(a.Writes.All(), req) {
					t.Error(problem)
				}
			}
			calls := lastCalls(t, &a.Logs)
			t.Logf("%s: %d DynamoDB calls", r.Name, calls)
			if max, ok := callBudgetExceptions[r.Name]; (ok && calls > max) || (!ok && calls > 2) {
				t.Errorf("%s made %d DynamoDB calls; the budget is 2 (authorization + the operation)", r.Name, calls)
			}
		})
	}
}

// lastCalls reads dynamodbCalls from the last request line Bind logged.
func lastCalls(t *testing.T, logs *apitest.LogBuffer) int {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		var line struct {
			Msg   string `json:"msg"`
			Calls *int   `json:"dynamodbCalls"`
		}
		if json.Unmarshal([]byte(lines[i]), &line) == nil && line.Calls != nil {
			return *line.Calls
		}
	}
	t.Fatal("no request line in the log")
	return 0
}

// eventProblems checks what one call wrote: exactly one event, put in a TransactWriteItems
// with at least one other item (the change), stamped from the request, complete; and no
// event changed or deleted.
func eventProblems(writes []apitest.Write, req events.APIGatewayV2HTTPRequest) []string {
	var problems []string
	var evs []map[string]types.AttributeValue
	for _, w := range writes {
		var inCall, others int
		for _, it := range w.Items {
			switch {
			case !dynamo.IsEventKey(it.PK):
				others++
			case it.Put == nil:
				problems = append(problems, fmt.Sprintf("%s changes or deletes an event of %s: the log is append-only", w.Op, it.PK))
			default:
				inCall++
				evs = append(evs, it.Put)
			}
		}
		if inCall > 0 && (w.Op != "TransactWriteItems" || others == 0) {
			problems = append(problems, fmt.Sprintf("an event is written by %s with %d other items: it must be in the TransactWriteItems of the change it records", w.Op, others))
		}
	}
	switch {
	case len(evs) == 0:
		return append(problems, "the call wrote no event: every change writes one, in its own transaction (txn.event)")
	case len(evs) > 1:
		return append(problems, fmt.Sprintf("the call wrote %d events; a change writes exactly one", len(evs)))
	}
	e, err := dynamo.DecodeEvent(evs[0])
	if err != nil {
		return append(problems, err.Error())
	}
	return append(problems, incomplete(e, evs[0], req)...)
}

// incomplete lists what an event lacks: category, action, actor, target, time, source,
// summary and details.
func incomplete(e audit.Event, item map[string]types.AttributeValue, req events.APIGatewayV2HTTPRequest) []string {
	var p []string
	add := func(ok bool, format string, args ...any) {
		if !ok {
			p = append(p, fmt.Sprintf("event %s: ", e.Action)+fmt.Sprintf(format, args...))
		}
	}
	add(slices.Contains(audit.Categories, e.Category), "category %q is not one of the contract's", e.Category)
	add(strings.Contains(e.Action, "."), "action %q is not of the form thing.verb", e.Action)
	add(slices.Contains([]string{audit.ActorUser, audit.ActorOperator, audit.ActorSystem, audit.ActorToken}, e.Actor.Type), "actor type %q", e.Actor.Type)
	add(e.Actor.Type == audit.ActorSystem || e.Actor.ID != "", "the actor has no id")
	add(e.Actor.Type != audit.ActorUser || e.Actor.Email != "", "the user who acted has no email")
	add(e.Target.Type != "" && e.Target.ID != "", "the target lacks a type or an id: %+v", e.Target)
	add(e.OrgID != "" && dynamo.IsEventKey("ORG#"+e.OrgID+"#EV"), "no org")
	add(!e.OccurredAt.IsZero(), "no occurredAt")
	add(audit.ValidID(e.ID) && e.ID >= audit.FirstIDAt(e.OccurredAt) && e.ID < audit.FirstIDAt(e.OccurredAt.Add(time.Millisecond)),
		"id %q does not carry occurredAt %v (use Event.Stamp)", e.ID, e.OccurredAt)
	add(e.IP == req.RequestContext.HTTP.SourceIP, "ip %q, want the request's %q (Stamp takes it from the context)", e.IP, req.RequestContext.HTTP.SourceIP)
	add(e.UserAgent == req.RequestContext.HTTP.UserAgent, "userAgent %q, want the request's", e.UserAgent)
	add(strings.TrimSpace(e.Summary) != "" && !strings.Contains(e.Summary, "\n"), "summary %q must be one line", e.Summary)
	_, hasDetails := item["details"].(*types.AttributeValueMemberM)
	add(hasDetails, "no details map")
	return p
}

// TestCompletenessCheckCatchesMissingDoubleAndDetachedEvents shows that the check above
// fails a route that writes no event, two events, or an event outside its change's
// transaction.
func TestCompletenessCheckCatchesMissingDoubleAndDetachedEvents(t *testing.T) {
	a := apitest.NewAPI(t)
	ada := apitest.Person("ada")
	orgID := a.Org(ada, "Acme")
	table := a.Env.Config.TableName
	put := func(item map[string]string) *types.Put {
		av := map[string]types.AttributeValue{}
		for k, v := range item {
			av[k] = &types.AttributeValueMemberS{Value: v}
		}
		return &types.Put{TableName: aws.String(table), Item: av}
	}
	change := put(map[string]string{"PK": "ORG#" + orgID, "SK": "THING#1"})
	event := func() *types.Put {
		return put(map[string]string{"PK": "ORG#" + orgID + "#EV", "SK": app.NewULID()})
	}
	cases := map[string]struct {
		write func(ctx context.Context, c *dynamodb.Client) error
		want  string
	}{
		"no event": {func(ctx context.Context, c *dynamodb.Client) error {
			_, err := c.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{{Put: change}}})
			return err
		}, "wrote no event"},
		"two events": {func(ctx context.Context, c *dynamodb.Client) error {
			_, err := c.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{{Put: change}, {Put: event()}, {Put: event()}}})
			return err
		}, "wrote 2 events"},
		"event apart from the change": {func(ctx context.Context, c *dynamodb.Client) error {
			if _, err := c.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: change.Item}); err != nil {
				return err
			}
			_, err := c.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: event().Item})
			return err
		}, "must be in the TransactWriteItems of the change"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			r := &httpapi.Route{Name: "bad", Method: "POST", Path: "/v1/orgs/{orgId}/things", Auth: httpapi.JWT, Permission: roles.OrgRead,
				Build: func(env *app.Env) httpapi.Handler {
					return func(ctx context.Context, _ *httpapi.Request) (*httpapi.Response, error) {
						return httpapi.NoContent(), c.write(ctx, env.DynamoDB())
					}
				}}
			req := a.Request(r, &ada, map[string]string{"orgId": orgID}, nil, "")
			a.Writes.Reset()
			if resp := a.Call(r, req); resp.StatusCode != 204 {
				t.Fatalf("%d %s", resp.StatusCode, resp.Body)
			}
			problems := eventProblems(a.Writes.All(), req)
			if !slices.ContainsFunc(problems, func(p string) bool { return strings.Contains(p, c.want) }) {
				t.Errorf("problems %q; want one saying %q", problems, c.want)
			}
		})
	}
}

// The event log is complete when every change writes exactly one event, in the transaction
// of the change. TestEveryMutatingRouteWritesExactlyOneEvent checks it for every route of
// the table that is not a GET: each needs a scenario below.

// mutation is the scenario of one mutating route: set up what the call needs (with the
// services, the store or other routes; none of that is checked) and return the request of
// one call that succeeds. The test then makes the call and checks what it wrote.
type mutation func(a *apitest.API) events.APIGatewayV2HTTPRequest

// mutations holds a scenario for every mutating route, by route name.
var mutations = map[string]mutation{
	"create-org": func(a *apitest.API) events.APIGatewayV2HTTPRequest {
		ada := apitest.Person("ada")
		// Ada's first call created her account (with its own event, in her personal
		// account's log); this call creates one org.
		a.Account(ada)
		return a.Request(orgsapi.CreateOrg, &ada, nil, nil, `{"name":"Acme Robotics","handle":"acme"}`)
	},
	"update-org": func(a *apitest.API) events.APIGatewayV2HTTPRequest {
		ada := apitest.Person("ada")
		id := a.Org(ada, "Acme")
		return a.Request(orgsapi.UpdateOrg, &ada, map[string]string{"orgId": id}, nil, `{"name":"Acme Robotics","membersCanInvite":true}`)
	},
	"change-handle": func(a *apitest.API) events.APIGatewayV2HTTPRequest {
		ada := apitest.Person("ada")
		id := a.Org(ada, "Acme")
		return a.Request(orgsapi.ChangeHandle, &ada, map[string]string{"orgId": id}, nil, `{"handle":"acme-robotics"}`)
	},
	"delete-org": func(a *apitest.API) events.APIGatewayV2HTTPRequest {
		ada := apitest.Person("ada")
		id := a.Org(ada, "Acme")
		return a.Request(orgsapi.DeleteOrg, &ada, map[string]string{"orgId": id}, url.Values{"confirm": {"acme"}}, "")
	},
	"update-me": func(a *apitest.API) events.APIGatewayV2HTTPRequest {
		ada := apitest.Person("ada")
		a.Account(ada)
		return a.Request(accountapi.UpdateMe, &ada, nil, nil, `{"name":"Ada Lovelace","phone":"+14155550123"}`)
	},
	"request-email-change": func(a *apitest.API) events.APIGatewayV2HTTPRequest {
		ada := apitest.Person("ada")
		a.Account(ada)
		a.Env.UseMail(&mail.Recorder{})
		return a.Request(accountapi.RequestEmailChange, &ada, nil, nil, `{"email":"ada@lovelace.example"}`)
	},
	"confirm-email-change": func(a *apitest.API) events.APIGatewayV2HTTPRequest {
		ada := apitest.Person("ada")
		rec := &mail.Recorder{}
		a.Env.UseMail(rec)
		a.Env.UseDirectory(apitest.AcceptingDirectory{})
		if _, err := a.Env.SelfService().RequestEmailChange(context.Background(), ada, "ada@lovelace.example"); err != nil {
			a.T.Fatal(err)
		}
		a.Deliver()
		_, token, _ := strings.Cut(rec.Sent[0].Text, "token=")
		return a.Request(accountapi.ConfirmEmailChange, &ada, nil, nil, `{"token":"`+strings.Fields(token)[0]+`"}`)
	},
	"delete-me": func(a *apitest.API) events.APIGatewayV2HTTPRequest {
		// A user whose only org is the personal account: its deletion is the one event. (In
		// each shared org the user leaves, a member.left is written, in that org's log.)
		ada := apitest.Person("ada")
		a.Account(ada)
		a.Env.UseDirectory(apitest.AcceptingDirectory{})
		a.Env.UseMail(&mail.Recorder{})
		return a.Request(accountapi.DeleteMe, &ada, nil, nil, "")
	},
	"update-member": func(a *apitest.API) events.APIGatewayV2HTTPRequest {
		ada, bob := apitest.Person("ada"), apitest.Person("bob")
		id := a.Org(ada, "Acme")
		a.Member(id, bob, roles.User)
		return a.Request(membersapi.UpdateMember, &ada, map[string]string{"orgId": id, "userId": bob.ID}, nil, `{"role":"admin"}`)
	},
	"remove-member": func(a *apitest.API) events.APIGatewayV2HTTPRequest {
		ada, bob := apitest.Person("ada"), apitest.Person("bob")
		id := a.Org(ada, "Acme")
		a.Member(id, bob, roles.User)
		return a.Request(membersapi.RemoveMember, &ada, map[string]string{"orgId": id, "userId": bob.ID}, nil, "")
	},
	"create-invite": func(a *apitest.API) events.APIGatewayV2HTTPRequest {
		ada := apitest.Person("ada")
		id := a.Org(ada, "Acme")
		a.Env.UseMail(&mail.Recorder{})
		return a.Request(invitesapi.CreateInvite, &ada, map[string]string{"orgId": id}, nil, `{"email":"bob@example.com","role":"user"}`)
	},
	"create-invites-bulk": func(a *apitest.API) events.APIGatewayV2HTTPRequest {
		ada := apitest.Person("ada")
		id := a.Org(ada, "Acme")
		a.Env.UseMail(&mail.Recorder{})
		return a.Request(invitesapi.CreateInvitesBulk, &ada, map[string]string{"orgId": id}, nil, `{"invites":[{"email":"bob@example.com","role":"user"}]}`)
	},
	"resend-invite": func(a *apitest.API) events.APIGatewayV2HTTPRequest {
		ada := apitest.Person("ada")
		id := a.Org(ada, "Acme")
		inv, _ := a.Invite(ada, id, "bob@example.com")
		return a.Request(invitesapi.ResendInvite, &ada, map[string]string{"orgId": id, "inviteId": inv.ID}, nil, "")
	},
	"revoke-invite": func(a *apitest.API) events.APIGatewayV2HTTPRequest {
		ada := apitest.Person("ada")
		id := a.Org(ada, "Acme")
		inv, _ := a.Invite(ada, id, "bob@example.com")
		return a.Request(invitesapi.RevokeInvite, &ada, map[string]string{"orgId": id, "inviteId": inv.ID}, nil, "")
	},
	"accept-invite": func(a *apitest.API) events.APIGatewayV2HTTPRequest {
		ada, bob := apitest.Person("ada"), apitest.Person("bob")
		id := a.Org(ada, "Acme")
		a.Account(bob)
		_, token := a.Invite(ada, id, bob.Email)
		return a.Request(invitesapi.AcceptInvite, &bob, nil, nil, `{"token":"`+token+`"}`)
	},
}

// withoutEvent are the mutating routes that change nothing of any org, with the reason: they
// have no org log to write an event to (the vendor's catalog).
var withoutEvent = map[string]string{}

// callBudgetExceptions are the routes allowed more than two DynamoDB calls, with the most
// their scenario may make: deleting an account works through each of the user's orgs, and a
// bulk invite writes one transaction per invite.
var callBudgetExceptions = map[string]int{"delete-me": 5, "create-invites-bulk": 2}
