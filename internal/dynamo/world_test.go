package dynamo_test

import (
	"context"
	"fmt"
	"log/slog"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/vendorportal/orgs/internal/app"
	"github.com/vendorportal/orgs/internal/apperr"
	"github.com/vendorportal/orgs/internal/audit"
	"github.com/vendorportal/orgs/internal/dynamo"
	"github.com/vendorportal/orgs/internal/dynamo/dynamotest"
	"github.com/vendorportal/orgs/internal/invites"
	"github.com/vendorportal/orgs/internal/mail"
	"github.com/vendorportal/orgs/internal/members"
	"github.com/vendorportal/orgs/internal/orgs"
	outboxpkg "github.com/vendorportal/orgs/internal/outbox"
	"github.com/vendorportal/orgs/internal/roles"
	"github.com/vendorportal/orgs/internal/streamfeed"
	"github.com/vendorportal/orgs/internal/testenv"
)

// testClock is a clock the test moves.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

func (c *testClock) Advance(d time.Duration) { c.Set(c.Now().Add(d)) }

// outbox is a mail.Sender for tests that send from several goroutines; it fails while err
// is set.
type outbox struct {
	mu   sync.Mutex
	sent []mail.Message
	err  error
	// deliver, when set, has the stream processor do the outbox's work first: to and token
	// call it, so that what a test wrote has been mailed when it looks.
	deliver func()
}

func (o *outbox) Send(_ context.Context, m mail.Message) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.err != nil {
		return o.err
	}
	o.sent = append(o.sent, m)
	return nil
}

func (o *outbox) fail(err error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.err = err
}

// to returns the messages sent to address, oldest first.
func (o *outbox) to(address string) []mail.Message {
	if o.deliver != nil {
		o.deliver()
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []mail.Message
	for _, m := range o.sent {
		if m.To == address {
			out = append(out, m)
		}
	}
	return out
}

var tokenInLink = regexp.MustCompile(`/invites/accept\?token=([A-Za-z0-9_-]+)`)

// token returns the token of the last invite link mailed to address.
func (o *outbox) token(t *testing.T, address string) string {
	t.Helper()
	msgs := o.to(address)
	if len(msgs) == 0 {
		t.Fatalf("no mail to %s", address)
	}
	m := tokenInLink.FindStringSubmatch(msgs[len(msgs)-1].Text)
	if m == nil {
		t.Fatalf("no invite link in the mail to %s: %s", address, msgs[len(msgs)-1].Text)
	}
	return m[1]
}

// world is the services over one fresh table, with a clock the test moves and an outbox.
type world struct {
	t       *testing.T
	client  *dynamodb.Client
	table   string
	clock   *testClock
	mail    *outbox
	orgs    *orgs.Service
	members *members.Service
	invites *invites.Service
	// processor does the outbox's messages with handlers; feed hands it the table's stream.
	handlers  outboxpkg.Handlers
	processor *outboxpkg.Processor
	feed      *streamfeed.Feeder
}

func newWorld(t *testing.T) *world {
	t.Helper()
	client, table := testenv.DynamoDB(t)
	store := dynamotest.New(client, table)
	clock := &testClock{t: time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)}
	box := &outbox{}
	o := &orgs.Service{Store: store, Now: clock.Now, NewID: app.NewULID}
	w := &world{
		t: t, client: client, table: table, clock: clock, mail: box, orgs: o,
		members: &members.Service{Store: store, Now: clock.Now, NewID: app.NewULID},
		invites: &invites.Service{Store: store, Accounts: o, Mail: box, AppURL: "https://portal.example.com",
			Now: clock.Now, NewID: app.NewULID, Log: slog.New(slog.DiscardHandler)},
	}
	w.handlers = outboxpkg.Handlers{
		outboxpkg.KindEmail: outboxpkg.SendEmail(box),
		invites.KindEmail:   w.invites.SendInviteEmail,
	}
	w.processor = &outboxpkg.Processor{Store: store, Handlers: w.handlers, Now: func() time.Time { return w.orgs.Now() },
		Log: slog.New(slog.DiscardHandler)}
	w.feed = testenv.Stream(t, client, table, dynamo.StreamHandler(w.processor, nil, slog.New(slog.DiscardHandler)))
	box.deliver = w.deliver
	return w
}

// deliver has the stream processor do what the stream holds: the outbox messages written so
// far are done (or failed and due for a retry) when it returns.
func (w *world) deliver() {
	w.t.Helper()
	if err := w.feed.Drain(context.Background()); err != nil {
		w.t.Fatalf("stream processor: %v", err)
	}
}

// redrive runs the scheduled job's outbox task at the world's time.
func (w *world) redrive() error {
	w.deliver()
	return w.processor.Redrive(context.Background(), w.orgs.Now())
}

// person is a signed-in user with an ID token's claims.
func person(name string) orgs.Caller {
	return orgs.Caller{ID: "user-" + name, Email: name + "@example.com", EmailVerified: true}
}

// named is person with a name claim.
func named(local, name string) orgs.Caller {
	c := person(local)
	c.Name = name
	return c
}

// newOrg creates a shared org with admin as its admin.
func (w *world) newOrg(admin orgs.Caller) string {
	w.t.Helper()
	v, err := w.orgs.Create(context.Background(), admin, orgs.CreateInput{Name: "Acme " + admin.ID})
	if err != nil {
		w.t.Fatal(err)
	}
	return v.ID
}

// access authorizes c in orgID without a permission, reading subj.
func (w *world) access(c orgs.Caller, orgID string, subj orgs.Subject) orgs.Access {
	w.t.Helper()
	a, err := w.orgs.AuthorizeFor(context.Background(), c, orgID, subj)
	if err != nil {
		w.t.Fatalf("authorize %s in %s: %v", c.ID, orgID, err)
	}
	return a
}

// invite has inviter invite email as role and returns the invite and its link's token.
func (w *world) invite(orgID string, inviter orgs.Caller, email string, role roles.Role) (invites.Invite, string) {
	w.t.Helper()
	inv, err := w.invites.Create(context.Background(), w.access(inviter, orgID, orgs.Subject{}), invites.Input{Email: email, Role: string(role)})
	if err != nil {
		w.t.Fatalf("invite %s: %v", email, err)
	}
	return inv, w.mail.token(w.t, inv.Email)
}

// join makes c a member of orgID as role, by an invite of admin that c accepts.
func (w *world) join(orgID string, admin, c orgs.Caller, role roles.Role) orgs.Member {
	w.t.Helper()
	_, token := w.invite(orgID, admin, c.Email, role)
	m, err := w.invites.Accept(context.Background(), c, token)
	if err != nil {
		w.t.Fatalf("%s accepts: %v", c.ID, err)
	}
	return m
}

// org reads the org's META.
func (w *world) org(orgID string) orgs.Org {
	w.t.Helper()
	list, err := w.orgs.Store.Orgs(context.Background(), []string{orgID})
	if err != nil || len(list) != 1 {
		w.t.Fatalf("org %s: %v %v", orgID, list, err)
	}
	return list[0]
}

// storedEvent is the part of an event item the tests look at.
type storedEvent struct {
	Category string         `dynamodbav:"category"`
	Action   string         `dynamodbav:"action"`
	Summary  string         `dynamodbav:"summary"`
	Details  map[string]any `dynamodbav:"details"`
	Actor    struct {
		Type  string `dynamodbav:"type"`
		Email string `dynamodbav:"email"`
	} `dynamodbav:"actor"`
	Target struct {
		Type  string `dynamodbav:"type"`
		ID    string `dynamodbav:"id"`
		Label string `dynamodbav:"label"`
	} `dynamodbav:"target"`
}

// events reads the org's event partition, oldest first.
func (w *world) events(orgID string) []storedEvent {
	w.t.Helper()
	var out []storedEvent
	for _, av := range w.partition("ORG#" + orgID + "#EV") {
		var e storedEvent
		if err := attributevalue.UnmarshalMap(av, &e); err != nil {
			w.t.Fatal(err)
		}
		out = append(out, e)
	}
	return out
}

// actions lists the actions of the org's events with the given prefix, oldest first.
func (w *world) actions(orgID, prefix string) []string {
	var out []string
	for _, e := range w.events(orgID) {
		if len(e.Action) >= len(prefix) && e.Action[:len(prefix)] == prefix {
			out = append(out, e.Action)
		}
	}
	return out
}

// partition reads every item of a partition consistently.
func (w *world) partition(pk string) []map[string]types.AttributeValue {
	w.t.Helper()
	p := dynamodb.NewQueryPaginator(w.client, &dynamodb.QueryInput{
		TableName:                 aws.String(w.table),
		KeyConditionExpression:    aws.String("PK = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: pk}},
		ConsistentRead:            aws.Bool(true),
	})
	var items []map[string]types.AttributeValue
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			w.t.Fatal(err)
		}
		items = append(items, page.Items...)
	}
	return items
}

// setMembersCanInvite turns the org setting on or off (its route belongs to another feature).
func (w *world) setMembersCanInvite(orgID string, on bool) {
	w.t.Helper()
	_, err := w.client.UpdateItem(context.Background(), &dynamodb.UpdateItemInput{
		TableName: aws.String(w.table),
		Key: map[string]types.AttributeValue{
			"PK": &types.AttributeValueMemberS{Value: "ORG#" + orgID}, "SK": &types.AttributeValueMemberS{Value: "META"},
		},
		UpdateExpression:          aws.String("SET membersCanInvite = :on"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":on": &types.AttributeValueMemberBOOL{Value: on}},
	})
	if err != nil {
		w.t.Fatal(err)
	}
}

// madeBy records on userID's profile that orgID created the account (a direct creation),
// as provisioning writes it with the account: only that org may reset its password.
func (w *world) madeBy(userID, orgID string) {
	w.t.Helper()
	_, err := w.client.UpdateItem(context.Background(), &dynamodb.UpdateItemInput{
		TableName: aws.String(w.table),
		Key: map[string]types.AttributeValue{
			"PK": &types.AttributeValueMemberS{Value: "USER#" + userID}, "SK": &types.AttributeValueMemberS{Value: "PROFILE"},
		},
		UpdateExpression:          aws.String("SET createdByOrg = :o"),
		ConditionExpression:       aws.String("attribute_exists(PK)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":o": &types.AttributeValueMemberS{Value: orgID}},
	})
	if err != nil {
		w.t.Fatal(err)
	}
}

func TestMain(m *testing.M) { testenv.Main(m) }

// caller is the nth signed-in user, with an address in mixed case.
func caller(n int) orgs.Caller {
	return orgs.Caller{ID: fmt.Sprintf("user-%d", n), Email: fmt.Sprintf("User%d@Example.com", n), EmailVerified: true}
}

// count returns how many items a partition holds.
func (w *world) count(t *testing.T, pk string) int {
	t.Helper()
	out, err := w.client.Query(context.Background(), &dynamodb.QueryInput{
		TableName:                 aws.String(w.table),
		KeyConditionExpression:    aws.String("PK = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: pk}},
		ConsistentRead:            aws.Bool(true),
		Select:                    types.SelectCount,
	})
	if err != nil {
		t.Fatal(err)
	}
	return int(out.Count)
}

// orgWithMember creates an org by caller(1) and adds caller(2) with role r.
func (w *world) orgWithMember(t *testing.T, r roles.Role) orgs.OrgView {
	t.Helper()
	ctx := context.Background()
	v, err := w.orgs.Create(ctx, caller(1), orgs.CreateInput{Name: "Acme"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.orgs.Account(ctx, caller(2)); err != nil {
		t.Fatal(err)
	}
	c := caller(2)
	err = w.orgs.Store.(*dynamotest.Store).SeedMember(ctx, orgs.Member{
		OrgID: v.ID, UserID: c.ID, Email: strings.ToLower(c.Email), Role: r, JoinedAt: time.Now(), Source: orgs.SourceInvite,
	}, orgs.Shared)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// authorize authorizes c in orgID without a permission, failing t on an error.
func (w *world) authorize(t *testing.T, c orgs.Caller, orgID string) orgs.Access {
	t.Helper()
	a, err := w.orgs.Authorize(context.Background(), c, orgID)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// eventItems returns the org's event items, oldest first.
func (w *world) eventItems(t *testing.T, orgID string) []map[string]types.AttributeValue {
	t.Helper()
	out, err := w.client.Query(context.Background(), &dynamodb.QueryInput{
		TableName:                 aws.String(w.table),
		KeyConditionExpression:    aws.String("PK = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: "ORG#" + orgID + "#EV"}},
		ConsistentRead:            aws.Bool(true),
	})
	if err != nil {
		t.Fatal(err)
	}
	return out.Items
}

// store is a store over the world's table.
func (w *world) store() *dynamotest.Store { return dynamotest.New(w.client, w.table) }

// seed writes the events straight to the table.
func (w *world) seed(t *testing.T, evs []audit.Event) {
	t.Helper()
	if err := w.store().SeedEvents(context.Background(), evs, 8); err != nil {
		t.Fatal(err)
	}
}

// race runs fn n times at once and returns the errors.
func race(n int, fn func(i int) error) []error {
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			errs[i] = fn(i)
		})
	}
	close(start)
	wg.Wait()
	return errs
}

// tally counts the nil errors and the errors of each kind.
func tally(errs []error) (ok int, kinds map[apperr.Kind]int) {
	kinds = map[apperr.Kind]int{}
	for _, err := range errs {
		if err == nil {
			ok++
		} else {
			kinds[apperr.KindOf(err)]++
		}
	}
	return ok, kinds
}

func userIDs(ms []orgs.Member) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.UserID
	}
	return out
}

func sortedCopy(s []string) []string {
	c := slices.Clone(s)
	slices.Sort(c)
	return c
}
