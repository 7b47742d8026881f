package httpapi

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

	"github.com/vendorportal/orgs/internal/app"
	"github.com/vendorportal/orgs/internal/audit"
	"github.com/vendorportal/orgs/internal/dynamo"
	"github.com/vendorportal/orgs/internal/invites"
	"github.com/vendorportal/orgs/internal/mail"
	"github.com/vendorportal/orgs/internal/orgs"
	"github.com/vendorportal/orgs/internal/roles"
)

// The event log is complete when every change writes exactly one event, in the transaction
// of the change. TestEveryMutatingRouteWritesExactlyOneEvent checks it for every route of
// the table that is not a GET: each needs a scenario below.

// mutation is the scenario of one mutating route: set up what the call needs (with the
// services, the store or other routes; none of that is checked) and return the request of
// one call that succeeds. The test then makes the call and checks what it wrote.
type mutation func(a *api) events.APIGatewayV2HTTPRequest

// mutations holds a scenario for every mutating route, by route name.
var mutations = map[string]mutation{
	"create-org": func(a *api) events.APIGatewayV2HTTPRequest {
		ada := person("ada")
		// Ada's first call created her account (with its own event, in her personal
		// account's log); this call creates one org.
		a.account(ada)
		return a.request(CreateOrg, &ada, nil, nil, `{"name":"Acme Robotics","handle":"acme"}`)
	},
	"update-org": func(a *api) events.APIGatewayV2HTTPRequest {
		ada := person("ada")
		id := a.org(ada, "Acme")
		return a.request(UpdateOrg, &ada, map[string]string{"orgId": id}, nil, `{"name":"Acme Robotics","membersCanInvite":true}`)
	},
	"change-handle": func(a *api) events.APIGatewayV2HTTPRequest {
		ada := person("ada")
		id := a.org(ada, "Acme")
		return a.request(ChangeHandle, &ada, map[string]string{"orgId": id}, nil, `{"handle":"acme-robotics"}`)
	},
	"delete-org": func(a *api) events.APIGatewayV2HTTPRequest {
		ada := person("ada")
		id := a.org(ada, "Acme")
		return a.request(DeleteOrg, &ada, map[string]string{"orgId": id}, url.Values{"confirm": {"acme"}}, "")
	},
	"update-me": func(a *api) events.APIGatewayV2HTTPRequest {
		ada := person("ada")
		a.account(ada)
		return a.request(UpdateMe, &ada, nil, nil, `{"name":"Ada Lovelace","phone":"+14155550123"}`)
	},
	"request-email-change": func(a *api) events.APIGatewayV2HTTPRequest {
		ada := person("ada")
		a.account(ada)
		a.env.UseMail(&mail.Recorder{})
		return a.request(RequestEmailChange, &ada, nil, nil, `{"email":"ada@lovelace.example"}`)
	},
	"confirm-email-change": func(a *api) events.APIGatewayV2HTTPRequest {
		ada := person("ada")
		rec := &mail.Recorder{}
		a.env.UseMail(rec)
		a.env.UseDirectory(acceptingDirectory{})
		if _, err := a.env.SelfService().RequestEmailChange(context.Background(), ada, "ada@lovelace.example"); err != nil {
			a.t.Fatal(err)
		}
		a.deliver()
		_, token, _ := strings.Cut(rec.Sent[0].Text, "token=")
		return a.request(ConfirmEmailChange, &ada, nil, nil, `{"token":"`+strings.Fields(token)[0]+`"}`)
	},
	"delete-me": func(a *api) events.APIGatewayV2HTTPRequest {
		// A user whose only org is the personal account: its deletion is the one event. (In
		// each shared org the user leaves, a member.left is written, in that org's log.)
		ada := person("ada")
		a.account(ada)
		a.env.UseDirectory(acceptingDirectory{})
		a.env.UseMail(&mail.Recorder{})
		return a.request(DeleteMe, &ada, nil, nil, "")
	},
	"update-member": func(a *api) events.APIGatewayV2HTTPRequest {
		ada, bob := person("ada"), person("bob")
		id := a.org(ada, "Acme")
		a.member(id, bob, roles.User)
		return a.request(UpdateMember, &ada, map[string]string{"orgId": id, "userId": bob.ID}, nil, `{"role":"admin"}`)
	},
	"remove-member": func(a *api) events.APIGatewayV2HTTPRequest {
		ada, bob := person("ada"), person("bob")
		id := a.org(ada, "Acme")
		a.member(id, bob, roles.User)
		return a.request(RemoveMember, &ada, map[string]string{"orgId": id, "userId": bob.ID}, nil, "")
	},
	"create-invite": func(a *api) events.APIGatewayV2HTTPRequest {
		ada := person("ada")
		id := a.org(ada, "Acme")
		a.env.UseMail(&mail.Recorder{})
		return a.request(CreateInvite, &ada, map[string]string{"orgId": id}, nil, `{"email":"bob@example.com","role":"user"}`)
	},
	"create-invites-bulk": func(a *api) events.APIGatewayV2HTTPRequest {
		ada := person("ada")
		id := a.org(ada, "Acme")
		a.env.UseMail(&mail.Recorder{})
		return a.request(CreateInvitesBulk, &ada, map[string]string{"orgId": id}, nil, `{"invites":[{"email":"bob@example.com","role":"user"}]}`)
	},
	"resend-invite": func(a *api) events.APIGatewayV2HTTPRequest {
		ada := person("ada")
		id := a.org(ada, "Acme")
		inv, _ := a.invite(ada, id, "bob@example.com")
		return a.request(ResendInvite, &ada, map[string]string{"orgId": id, "inviteId": inv.ID}, nil, "")
	},
	"revoke-invite": func(a *api) events.APIGatewayV2HTTPRequest {
		ada := person("ada")
		id := a.org(ada, "Acme")
		inv, _ := a.invite(ada, id, "bob@example.com")
		return a.request(RevokeInvite, &ada, map[string]string{"orgId": id, "inviteId": inv.ID}, nil, "")
	},
	"accept-invite": func(a *api) events.APIGatewayV2HTTPRequest {
		ada, bob := person("ada"), person("bob")
		id := a.org(ada, "Acme")
		a.account(bob)
		_, token := a.invite(ada, id, bob.Email)
		return a.request(AcceptInvite, &bob, nil, nil, `{"token":"`+token+`"}`)
	},
}

// invite has admin invite email to the org as a user, mailing with a recorder, and returns
// the invite and the token of its link.
func (a *api) invite(admin orgs.Caller, orgID, email string) (invites.Invite, string) {
	a.t.Helper()
	rec := &mail.Recorder{}
	a.env.UseMail(rec)
	access, err := a.env.Orgs().Authorize(context.Background(), admin, orgID)
	if err != nil {
		a.t.Fatal(err)
	}
	inv, err := a.env.Invites().Create(context.Background(), access, invites.Input{Email: email, Role: "user"})
	if err != nil {
		a.t.Fatal(err)
	}
	a.deliver()
	_, token, _ := strings.Cut(rec.Sent[0].Text, "token=")
	stored, err := a.env.Orgs().AuthorizeFor(context.Background(), admin, orgID, orgs.Subject{Reads: []orgs.Read{invites.InviteRead{ID: inv.ID}}})
	if err != nil || invites.InviteOf(stored) == nil {
		a.t.Fatal(err)
	}
	return *invites.InviteOf(stored), strings.Fields(token)[0]
}

// acceptingDirectory is an identity provider that accepts every change.
type acceptingDirectory struct{}

func (acceptingDirectory) SetEmail(context.Context, string, string) error { return nil }
func (acceptingDirectory) DeleteUser(context.Context, string) error       { return nil }

func TestEveryMutatingRouteWritesExactlyOneEvent(t *testing.T) {
	for name := range mutations {
		if !slices.ContainsFunc(Routes(), func(r *Route) bool { return r.Name == name && r.Mutating() }) {
			t.Errorf("mutations has a scenario for %q, which is not a mutating route of the table", name)
		}
	}
	for _, r := range Routes() {
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
			a := newAPI(t)
			req := scenario(a)
			a.writes.reset()
			resp := a.call(r, req)
			if resp.StatusCode < 200 || resp.StatusCode > 299 {
				t.Fatalf("the scenario's call failed, so nothing can be checked: %d %s", resp.StatusCode, resp.Body)
			}
			if reason, ok := withoutEvent[r.Name]; ok {
				// Nothing of an org changes: no event, and none may be written.
				if problems := eventProblems(a.writes.all(), req); !slices.ContainsFunc(problems, func(p string) bool { return strings.Contains(p, "wrote no event") }) {
					t.Errorf("%s writes an event, but withoutEvent says %q: %v", r.Name, reason, problems)
				}
			} else {
				for _, problem := range eventProblems(a.writes.all(), req) {
					t.Error(problem)
				}
			}
			calls := lastCalls(t, &a.logs)
			t.Logf("%s: %d DynamoDB calls", r.Name, calls)
			if max, ok := callBudgetExceptions[r.Name]; (ok && calls > max) || (!ok && calls > 2) {
				t.Errorf("%s made %d DynamoDB calls; the budget is 2 (authorization + the operation)", r.Name, calls)
			}
		})
	}
}

// withoutEvent are the mutating routes that change nothing of any org, with the reason: they
// have no org log to write an event to (the vendor's catalog).
var withoutEvent = map[string]string{}

// callBudgetExceptions are the routes allowed more than two DynamoDB calls, with the most
// their scenario may make: deleting an account works through each of the user's orgs, and a
// bulk invite writes one transaction per invite.
var callBudgetExceptions = map[string]int{"delete-me": 5, "create-invites-bulk": 2}

// lastCalls reads dynamodbCalls from the last request line Bind logged.
func lastCalls(t *testing.T, logs *logBuffer) int {
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
func eventProblems(writes []write, req events.APIGatewayV2HTTPRequest) []string {
	var problems []string
	var evs []map[string]types.AttributeValue
	for _, w := range writes {
		var inCall, others int
		for _, it := range w.items {
			switch {
			case !dynamo.IsEventKey(it.pk):
				others++
			case it.put == nil:
				problems = append(problems, fmt.Sprintf("%s changes or deletes an event of %s: the log is append-only", w.op, it.pk))
			default:
				inCall++
				evs = append(evs, it.put)
			}
		}
		if inCall > 0 && (w.op != "TransactWriteItems" || others == 0) {
			problems = append(problems, fmt.Sprintf("an event is written by %s with %d other items: it must be in the TransactWriteItems of the change it records", w.op, others))
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
	a := newAPI(t)
	ada := person("ada")
	orgID := a.org(ada, "Acme")
	table := a.env.Config.TableName
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
			r := &Route{Name: "bad", Method: "POST", Path: "/v1/orgs/{orgId}/things", Auth: JWT, Permission: roles.OrgRead,
				Build: func(env *app.Env) Handler {
					return func(ctx context.Context, _ *Request) (*Response, error) {
						return NoContent(), c.write(ctx, env.DynamoDB())
					}
				}}
			req := a.request(r, &ada, map[string]string{"orgId": orgID}, nil, "")
			a.writes.reset()
			if resp := a.call(r, req); resp.StatusCode != 204 {
				t.Fatalf("%d %s", resp.StatusCode, resp.Body)
			}
			problems := eventProblems(a.writes.all(), req)
			if !slices.ContainsFunc(problems, func(p string) bool { return strings.Contains(p, c.want) }) {
				t.Errorf("problems %q; want one saying %q", problems, c.want)
			}
		})
	}
}
