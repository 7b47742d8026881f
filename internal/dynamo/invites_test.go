package dynamo_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go/middleware"

	"github.com/vendorportal/orgs/internal/app"
	"github.com/vendorportal/orgs/internal/apperr"
	"github.com/vendorportal/orgs/internal/audit"
	"github.com/vendorportal/orgs/internal/dynamo"
	"github.com/vendorportal/orgs/internal/dynamo/dynamotest"
	"github.com/vendorportal/orgs/internal/invites"
	"github.com/vendorportal/orgs/internal/members"
	"github.com/vendorportal/orgs/internal/orgs"
	outboxpkg "github.com/vendorportal/orgs/internal/outbox"
	"github.com/vendorportal/orgs/internal/paging"
	"github.com/vendorportal/orgs/internal/roles"
	"github.com/vendorportal/orgs/internal/ses"
	"github.com/vendorportal/orgs/internal/standins"
	"github.com/vendorportal/orgs/internal/testenv"
)

func hashOf(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// listInvites returns every invite of the org with the given status, as of the clock.
func (w *world) listInvites(orgID string, admin orgs.Caller, status string) []invites.Invite {
	w.t.Helper()
	var all []invites.Invite
	p := paging.Request{Limit: 2}
	for {
		page, err := w.invites.List(context.Background(), w.access(admin, orgID, orgs.Subject{}), status, p)
		if err != nil {
			w.t.Fatalf("list %s invites: %v", status, err)
		}
		all = append(all, page.Invites...)
		if page.Next == "" {
			return all
		}
		p.After = page.Next
	}
}

func emails(invs []invites.Invite) []string {
	out := make([]string, len(invs))
	for i, inv := range invs {
		out[i] = inv.Email
	}
	return out
}

func TestInviteWritesInviteGuardTokenHashAndEventAndMailsTheLink(t *testing.T) {
	w := newWorld(t)
	ada := person("ada")
	orgID := w.newOrg(ada)
	inv, token := w.invite(orgID, ada, "  Bob@Example.COM ", roles.User)
	if inv.Email != "bob@example.com" || inv.Status != invites.Pending || inv.Role != roles.User ||
		!inv.ExpiresAt.Equal(w.clock.Now().Add(7*24*time.Hour)) || inv.InvitedBy.Email != "ada@example.com" || inv.Delivery != invites.DeliveryPending {
		t.Errorf("invite = %+v", inv)
	}
	if stored := invites.InviteOf(w.access(ada, orgID, orgs.Subject{Reads: []orgs.Read{invites.InviteRead{ID: inv.ID}}})); stored.Delivery != invites.DeliverySent || stored.DeliveryAttempts != 1 {
		t.Errorf("after the stream processor: delivery %s after %d attempts, want sent after 1", stored.Delivery, stored.DeliveryAttempts)
	}
	if len(token) < 22 { // 128 bits in base64url
		t.Errorf("token %q is short", token)
	}
	msg := w.mail.to("bob@example.com")[0]
	if !strings.Contains(msg.Text, "https://portal.example.com/invites/accept?token="+token) || !strings.Contains(msg.HTML, "Acme user-ada") ||
		!strings.Contains(msg.Subject, "ada@example.com invited you to join Acme user-ada") || !strings.Contains(msg.Text, "29 November 2026, 10:00 UTC") {
		t.Errorf("mail = %+v", msg)
	}
	// The table keeps only the token's hash.
	if items := w.partition("INVITE_TOKEN#" + hashOf(token)); len(items) != 1 {
		t.Errorf("%d token items under the hash", len(items))
	}
	for _, pk := range []string{"ORG#" + orgID, "ORG#" + orgID + "#EV", "INVITE_TOKEN#" + hashOf(token)} {
		for _, it := range w.partition(pk) {
			if strings.Contains(fmt.Sprint(dump(it)), token) {
				t.Errorf("the raw token is stored in %s", pk)
			}
		}
	}
	if acts := w.actions(orgID, "invite."); !slices.Equal(acts, []string{"invite.created"}) {
		t.Errorf("events %v", acts)
	}
	if e := w.events(orgID)[1]; e.Summary != "ada@example.com invited bob@example.com as user" || e.Target.ID != inv.ID || e.Category != "organization" {
		t.Errorf("event %+v", e)
	}
	if got := w.listInvites(orgID, ada, ""); len(got) != 1 || got[0].ID != inv.ID {
		t.Errorf("pending list %v", got)
	}
}

// dump renders an item's values for a search.
func dump(it map[string]types.AttributeValue) string {
	var b strings.Builder
	for k, v := range it {
		if s, ok := v.(*types.AttributeValueMemberS); ok {
			b.WriteString(k + "=" + s.Value + " ")
		}
	}
	return b.String()
}

func TestSecondInviteToAPendingEmailOrToAMemberConflicts(t *testing.T) {
	w := newWorld(t)
	ada, bob := person("ada"), person("bob")
	orgID := w.newOrg(ada)
	w.invite(orgID, ada, "carl@example.com", roles.User)
	a := w.access(ada, orgID, orgs.Subject{})
	ctx := context.Background()
	if _, err := w.invites.Create(ctx, a, invites.Input{Email: "CARL@example.com", Role: "admin"}); !errors.Is(err, invites.ErrPending) {
		t.Errorf("second invite: %v", err)
	}
	w.join(orgID, ada, bob, roles.User)
	if _, err := w.invites.Create(ctx, a, invites.Input{Email: bob.Email, Role: "user"}); !errors.Is(err, orgs.ErrAlreadyMember) {
		t.Errorf("invite of a member: %v", err)
	}
	if _, err := w.invites.Create(ctx, a, invites.Input{Email: ada.Email, Role: "user"}); !errors.Is(err, orgs.ErrAlreadyMember) {
		t.Errorf("invite of oneself: %v", err)
	}
	for _, in := range []invites.Input{{Email: "not an address", Role: "user"}, {Email: "x@example.com", Role: "owner"}, {Email: "", Role: "user"}} {
		if _, err := w.invites.Create(ctx, a, in); !apperr.Is(err, apperr.Invalid) {
			t.Errorf("%+v: %v", in, err)
		}
	}
}

func TestConcurrentInvitesToOneEmailCreateOne(t *testing.T) {
	w := newWorld(t)
	ada := person("ada")
	orgID := w.newOrg(ada)
	a := w.access(ada, orgID, orgs.Subject{})
	errs := race(4, func(int) error {
		_, err := w.invites.Create(context.Background(), a, invites.Input{Email: "dup@example.com", Role: "user"})
		return err
	})
	if ok, kinds := tally(errs); ok != 1 || kinds[apperr.Conflict] != 3 {
		t.Fatalf("results %v", errs)
	}
	if got := w.listInvites(orgID, ada, "pending"); len(got) != 1 {
		t.Errorf("%d pending invites", len(got))
	}
	if acts := w.actions(orgID, "invite."); len(acts) != 1 {
		t.Errorf("events %v", acts)
	}
}

func TestInviteExpiresExactlyAtExpiresAt(t *testing.T) {
	w := newWorld(t)
	ada, bob := person("ada"), person("bob")
	orgID := w.newOrg(ada)
	inv, token := w.invite(orgID, ada, bob.Email, roles.User)
	ctx := context.Background()

	w.clock.Set(inv.ExpiresAt.Add(-time.Nanosecond))
	if p, err := w.invites.Preview(ctx, token); err != nil || p.Status != invites.Pending {
		t.Errorf("just before: %+v %v", p, err)
	}
	if got := w.listInvites(orgID, ada, "pending"); len(got) != 1 {
		t.Errorf("just before: pending %v", got)
	}
	if got := w.listInvites(orgID, ada, "expired"); len(got) != 0 {
		t.Errorf("just before: expired %v", got)
	}

	w.clock.Set(inv.ExpiresAt)
	if p, err := w.invites.Preview(ctx, token); err != nil || p.Status != invites.Expired {
		t.Errorf("at expiresAt: %+v %v", p, err)
	}
	if got := w.listInvites(orgID, ada, "pending"); len(got) != 0 {
		t.Errorf("at expiresAt: pending %v", got)
	}
	if got := w.listInvites(orgID, ada, "expired"); len(got) != 1 || got[0].StatusAt(w.clock.Now()) != invites.Expired {
		t.Errorf("at expiresAt: expired %v", got)
	}
	if _, err := w.invites.Accept(ctx, bob, token); !apperr.Is(err, apperr.Gone) {
		t.Errorf("accept at expiresAt: %v", err)
	}
	if _, err := w.invites.Resend(ctx, w.access(ada, orgID, orgs.Subject{Reads: []orgs.Read{invites.InviteRead{ID: inv.ID}}})); !apperr.Is(err, apperr.Gone) {
		t.Errorf("resend at expiresAt: %v", err)
	}
	if err := w.invites.Revoke(ctx, w.access(ada, orgID, orgs.Subject{Reads: []orgs.Read{invites.InviteRead{ID: inv.ID}}})); !apperr.Is(err, apperr.Gone) {
		t.Errorf("revoke at expiresAt: %v", err)
	}
	// An expired invite, marked or not, does not block a new one.
	inv2, token2 := w.invite(orgID, ada, bob.Email, roles.Admin)
	if _, err := w.invites.Accept(ctx, bob, token2); err != nil {
		t.Fatalf("accept the new invite: %v", err)
	}
	if w.access(bob, orgID, orgs.Subject{}).Member.Role != roles.Admin || inv2.ID == inv.ID {
		t.Error("bob did not join by the new invite")
	}
	// The store's own condition holds at the instant too, whatever the service checked.
	tok := invites.Token{Hash: hashOf(token), OrgID: orgID, InviteID: inv.ID, Email: bob.Email, Role: roles.User, ExpiresAt: inv.ExpiresAt}
	ev := audit.Event{OrgID: orgID, Category: audit.Organization, Action: "invite.accepted"}
	ev.Stamp(ctx, app.NewULID(), inv.ExpiresAt)
	err := dynamotest.New(w.client, w.table).AcceptInvite(ctx, invites.Acceptance{Token: tok, Event: ev, Now: inv.ExpiresAt,
		Member: orgs.Member{OrgID: orgID, UserID: "user-x", Email: bob.Email, Role: roles.User}})
	if !errors.Is(err, invites.ErrGone) {
		t.Errorf("store accepts at expiresAt: %v", err)
	}
}

func TestResendRestartsTheSevenDaysAndKillsTheOldLink(t *testing.T) {
	w := newWorld(t)
	ada, bob := person("ada"), person("bob")
	orgID := w.newOrg(ada)
	inv, oldToken := w.invite(orgID, ada, bob.Email, roles.User)
	w.clock.Advance(6 * 24 * time.Hour)
	ctx := context.Background()
	again, err := w.invites.Resend(ctx, w.access(ada, orgID, orgs.Subject{Reads: []orgs.Read{invites.InviteRead{ID: inv.ID}}}))
	if err != nil {
		t.Fatal(err)
	}
	if !again.ExpiresAt.Equal(w.clock.Now().Add(7*24*time.Hour)) || !again.LastSentAt.Equal(w.clock.Now()) || !again.CreatedAt.Equal(inv.CreatedAt) {
		t.Errorf("resent = %+v", again)
	}
	newToken := w.mail.token(t, bob.Email)
	if newToken == oldToken || len(w.mail.to(bob.Email)) != 2 {
		t.Fatal("no new link mailed")
	}
	if _, err := w.invites.Preview(ctx, oldToken); !apperr.Is(err, apperr.NotFound) {
		t.Errorf("old link: %v", err)
	}
	if _, err := w.invites.Accept(ctx, bob, oldToken); !apperr.Is(err, apperr.NotFound) {
		t.Errorf("accept by the old link: %v", err)
	}
	w.clock.Advance(3 * 24 * time.Hour) // past the first expiry, within the second
	if _, err := w.invites.Accept(ctx, bob, newToken); err != nil {
		t.Fatalf("accept by the new link: %v", err)
	}
	if acts := w.actions(orgID, "invite."); !slices.Equal(acts, []string{"invite.created", "invite.resent", "invite.accepted"}) {
		t.Errorf("events %v", acts)
	}
	if _, err := w.invites.Resend(ctx, w.access(ada, orgID, orgs.Subject{Reads: []orgs.Read{invites.InviteRead{ID: inv.ID}}})); !apperr.Is(err, apperr.Gone) {
		t.Errorf("resend of an accepted invite: %v", err)
	}
}

func TestRevokedInviteShowsRevokedCannotBeAcceptedAndFreesTheEmail(t *testing.T) {
	w := newWorld(t)
	ada, bob := person("ada"), person("bob")
	orgID := w.newOrg(ada)
	inv, token := w.invite(orgID, ada, bob.Email, roles.User)
	ctx := context.Background()
	if err := w.invites.Revoke(ctx, w.access(ada, orgID, orgs.Subject{Reads: []orgs.Read{invites.InviteRead{ID: inv.ID}}})); err != nil {
		t.Fatal(err)
	}
	if p, err := w.invites.Preview(ctx, token); err != nil || p.Status != invites.Revoked {
		t.Errorf("preview %+v %v", p, err)
	}
	if _, err := w.invites.Accept(ctx, bob, token); !apperr.Is(err, apperr.Gone) {
		t.Errorf("accept: %v", err)
	}
	if err := w.invites.Revoke(ctx, w.access(ada, orgID, orgs.Subject{Reads: []orgs.Read{invites.InviteRead{ID: inv.ID}}})); !apperr.Is(err, apperr.Gone) {
		t.Errorf("second revoke: %v", err)
	}
	if got := w.listInvites(orgID, ada, "revoked"); len(got) != 1 || got[0].Status != invites.Revoked {
		t.Errorf("revoked list %v", got)
	}
	if got := w.listInvites(orgID, ada, "pending"); len(got) != 0 {
		t.Errorf("pending list %v", got)
	}
	w.invite(orgID, ada, bob.Email, roles.User) // the address is free again
	if err := w.invites.Revoke(ctx, w.access(ada, orgID, orgs.Subject{Reads: []orgs.Read{invites.InviteRead{ID: "nope"}}})); !apperr.Is(err, apperr.NotFound) {
		t.Errorf("unknown invite: %v", err)
	}
}

func TestAcceptNeedsTheInvitedVerifiedEmail(t *testing.T) {
	w := newWorld(t)
	ada, bob := person("ada"), person("bob")
	orgID := w.newOrg(ada)
	_, token := w.invite(orgID, ada, bob.Email, roles.User)
	ctx := context.Background()
	if _, err := w.invites.Accept(ctx, person("eve"), token); !apperr.Is(err, apperr.Forbidden) {
		t.Errorf("another address: %v", err)
	}
	unverified := bob
	unverified.EmailVerified = false
	if _, err := w.invites.Accept(ctx, unverified, token); !apperr.Is(err, apperr.Forbidden) {
		t.Errorf("unverified: %v", err)
	}
	// An access token carries no email: a new user can't prove the address yet...
	access := orgs.Caller{ID: bob.ID}
	if _, err := w.invites.Accept(ctx, access, token); !apperr.Is(err, apperr.Unauthenticated) {
		t.Errorf("access token of a new user: %v", err)
	}
	// ...a known one is taken at their profile's address.
	if _, err := w.orgs.Me(ctx, bob); err != nil {
		t.Fatal(err)
	}
	m, err := w.invites.Accept(ctx, access, token)
	if err != nil || m.Email != bob.Email || m.Source != orgs.SourceInvite {
		t.Fatalf("access token of a known user: %+v %v", m, err)
	}
	if _, err := w.invites.Accept(ctx, bob, "no-such-token"); !apperr.Is(err, apperr.NotFound) {
		t.Errorf("unknown token: %v", err)
	}
	if _, err := w.invites.Preview(ctx, "no-such-token"); !apperr.Is(err, apperr.NotFound) {
		t.Errorf("preview of an unknown token: %v", err)
	}
}

func TestAcceptByANewUserCreatesTheAccountInTheSameWrite(t *testing.T) {
	w := newWorld(t)
	ada := person("ada")
	orgID := w.newOrg(ada)
	bob := named("bob", "Bob Builder")
	_, token := w.invite(orgID, ada, bob.Email, roles.BillingAdmin)
	ctx, counter := dynamo.WithCallCounter(context.Background())
	m, err := w.invites.Accept(ctx, bob, token)
	if err != nil {
		t.Fatal(err)
	}
	if counter.Calls() != 2 {
		t.Errorf("first call by accepting: %d DynamoDB calls, want 2", counter.Calls())
	}
	if m.Role != roles.BillingAdmin || m.Name != "Bob Builder" || m.JoinedAt != w.clock.Now() {
		t.Errorf("member %+v", m)
	}
	me, err := w.orgs.Me(context.Background(), bob)
	if err != nil {
		t.Fatal(err)
	}
	if len(me.Orgs) != 2 || me.Orgs[0].Kind != orgs.Personal || me.Orgs[1].ID != orgID || me.Orgs[1].Role != roles.BillingAdmin {
		t.Errorf("me = %+v", me.Orgs)
	}
	if o := w.org(orgID); o.MemberCount != 2 || o.AdminCount != 1 {
		t.Errorf("counts %+v", o)
	}
	evs := w.events(orgID)
	if e := evs[len(evs)-1]; e.Action != "invite.accepted" || e.Summary != "bob@example.com accepted the invitation and joined as billing_admin" || e.Actor.Email != bob.Email {
		t.Errorf("event %+v", e)
	}
	if p, _ := w.invites.Preview(context.Background(), token); p.Status != invites.Accepted {
		t.Errorf("preview after: %+v", p)
	}
}

func TestConcurrentAcceptsMakeOneMembership(t *testing.T) {
	for round := range 3 {
		t.Run(fmt.Sprint(round), func(t *testing.T) {
			w := newWorld(t)
			ada, bob := person("ada"), person("bob")
			orgID := w.newOrg(ada)
			if _, err := w.orgs.Me(context.Background(), bob); err != nil {
				t.Fatal(err)
			}
			_, token := w.invite(orgID, ada, bob.Email, roles.Admin)
			errs := race(3, func(int) error {
				_, err := w.invites.Accept(context.Background(), bob, token)
				return err
			})
			ok, kinds := tally(errs)
			if ok != 1 || kinds[apperr.Gone]+kinds[apperr.Conflict] != 2 {
				t.Fatalf("results %v", errs)
			}
			if o := w.org(orgID); o.MemberCount != 2 || o.AdminCount != 2 {
				t.Errorf("counts %+v", o)
			}
			if acts := w.actions(orgID, "invite.accepted"); len(acts) != 1 {
				t.Errorf("events %v", acts)
			}
			if _, err := w.invites.Accept(context.Background(), bob, token); !apperr.Is(err, apperr.Gone) {
				t.Errorf("accepting again later: %v", err)
			}
		})
	}
}

func TestRemovedMemberCanBeInvitedAgain(t *testing.T) {
	w := newWorld(t)
	ada, bob := person("ada"), person("bob")
	orgID := w.newOrg(ada)
	w.join(orgID, ada, bob, roles.User)
	if err := w.members.Remove(context.Background(), w.access(ada, orgID, orgs.Subject{UserID: bob.ID})); err != nil {
		t.Fatal(err)
	}
	if m := w.join(orgID, ada, bob, roles.SupportOnly); m.Role != roles.SupportOnly {
		t.Errorf("rejoined as %s", m.Role)
	}
}

func TestPersonalAccountTakesNoInvites(t *testing.T) {
	w := newWorld(t)
	ada := person("ada")
	me, err := w.orgs.Me(context.Background(), ada)
	if err != nil {
		t.Fatal(err)
	}
	_, err = w.invites.Create(context.Background(), w.access(ada, me.Profile.PersonalOrgID, orgs.Subject{}), invites.Input{Email: "bob@example.com", Role: "user"})
	if !errors.Is(err, invites.ErrNotShared) {
		t.Errorf("invite into a personal account: %v", err)
	}
}

func TestMembersCanInviteLetsUsersInviteUsersAndSupportOnlyOnly(t *testing.T) {
	w := newWorld(t)
	ada, uma := person("ada"), person("uma")
	orgID := w.newOrg(ada)
	w.join(orgID, ada, uma, roles.User)
	ctx := context.Background()
	create := func(email string, role roles.Role) error {
		_, err := w.invites.Create(ctx, w.access(uma, orgID, orgs.Subject{}), invites.Input{Email: email, Role: string(role)})
		return err
	}
	if err := create("a@example.com", roles.User); !apperr.Is(err, apperr.Forbidden) {
		t.Errorf("setting off: %v", err)
	}
	w.setMembersCanInvite(orgID, true)
	for _, r := range []roles.Role{roles.User, roles.SupportOnly} {
		if err := create(string(r)+"@example.com", r); err != nil {
			t.Errorf("setting on, %s: %v", r, err)
		}
	}
	for _, r := range []roles.Role{roles.Admin, roles.ViewerAdmin, roles.BillingAdmin} {
		if err := create(string(r)+"@example.com", r); !apperr.Is(err, apperr.Forbidden) {
			t.Errorf("setting on, %s: %v", r, err)
		}
	}
	// The setting is checked again in the write: turned off meanwhile, the invite fails.
	stale := w.access(uma, orgID, orgs.Subject{})
	w.setMembersCanInvite(orgID, false)
	if _, err := w.invites.Create(ctx, stale, invites.Input{Email: "late@example.com", Role: "user"}); !errors.Is(err, invites.ErrMembersCanInviteOff) {
		t.Errorf("setting turned off meanwhile: %v", err)
	}
}

func TestBulkInvitesAnswerOneResultPerItemInOrder(t *testing.T) {
	w := newWorld(t)
	ada, bob := person("ada"), person("bob")
	orgID := w.newOrg(ada)
	w.join(orgID, ada, bob, roles.User)
	w.invite(orgID, ada, "pending@example.com", roles.User)
	in := []invites.Input{
		{Email: "one@example.com", Role: "user"},
		{Email: "not an email", Role: "user"},
		{Email: "two@example.com", Role: "admin"},
		{Email: "ONE@example.com", Role: "user"}, // again
		{Email: bob.Email, Role: "user"},         // a member
		{Email: "pending@example.com", Role: "user"},
		{Email: "three@example.com", Role: "owner"},
	}
	for i := range 20 {
		in = append(in, invites.Input{Email: fmt.Sprintf("many%02d@example.com", i), Role: "support_only"})
	}
	ctx, counter := dynamo.WithCallCounter(context.Background())
	results, err := w.invites.CreateMany(ctx, w.access(ada, orgID, orgs.Subject{}), in)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("bulk of %d (22 created): %d DynamoDB calls after authorization", len(in), counter.Calls())
	want := []apperr.Kind{"", apperr.Invalid, "", apperr.Conflict, apperr.Conflict, apperr.Conflict, apperr.Invalid}
	for i, r := range results {
		k := apperr.Kind("")
		if r.Err != nil {
			k = apperr.KindOf(r.Err)
		}
		if i < len(want) && k != want[i] || i >= len(want) && (k != "" || r.Invite.Email != in[i].Email) {
			t.Errorf("item %d: %+v", i, r)
		}
	}
	if got := w.listInvites(orgID, ada, "pending"); len(got) != 23 {
		t.Errorf("%d pending invites, want 23", len(got))
	}
	if _, err := w.invites.CreateMany(ctx, w.access(ada, orgID, orgs.Subject{}), make([]invites.Input, 101)); !apperr.Is(err, apperr.Invalid) {
		t.Errorf("101 invites: %v", err)
	}
}

func TestSESFailureKeepsTheInviteWithDeliveryFailedThenResendDelivers(t *testing.T) {
	w := newWorld(t)
	ada, bob := person("ada"), person("bob")
	orgID := w.newOrg(ada)
	w.mail.fail(errors.New("ses: throttled"))
	inv, err := w.invites.Create(context.Background(), w.access(ada, orgID, orgs.Subject{}), invites.Input{Email: bob.Email, Role: "user"})
	if err != nil {
		t.Fatalf("create with SES down: %v", err)
	}
	if inv.Delivery != invites.DeliveryPending {
		t.Errorf("invite %+v", inv)
	}
	w.deliver()
	stored := invites.InviteOf(w.access(ada, orgID, orgs.Subject{Reads: []orgs.Read{invites.InviteRead{ID: inv.ID}}}))
	if stored.Delivery != invites.DeliveryFailed || stored.DeliveryAttempts != 1 || stored.Status != invites.Pending || !stored.DueAt.Equal(inv.ExpiresAt) {
		t.Errorf("stored %+v", stored)
	}
	if acts := w.actions(orgID, "email."); !slices.Equal(acts, []string{"email.failed"}) {
		t.Errorf("events %v", acts)
	}
	w.mail.fail(nil)
	again, err := w.invites.Resend(context.Background(), w.access(ada, orgID, orgs.Subject{Reads: []orgs.Read{invites.InviteRead{ID: inv.ID}}}))
	if err != nil || again.Delivery != invites.DeliveryPending {
		t.Fatalf("resend: %+v %v", again, err)
	}
	if _, err := w.invites.Accept(context.Background(), bob, w.mail.token(t, bob.Email)); err != nil {
		t.Errorf("accept the delivered link: %v", err)
	}
	// The first email's retry, when it falls due, sends nothing: the resend superseded it.
	w.clock.Advance(time.Hour)
	if err := w.redrive(); err != nil {
		t.Fatal(err)
	}
	if n := len(w.mail.to(bob.Email)); n != 1 {
		t.Errorf("%d emails, want the resend's only", n)
	}
}

func TestOutboxRetriesAFailedEmailOnceWithAWorkingLink(t *testing.T) {
	w := newWorld(t)
	ada, bob := person("ada"), person("bob")
	orgID := w.newOrg(ada)
	w.mail.fail(errors.New("ses down"))
	inv, err := w.invites.Create(context.Background(), w.access(ada, orgID, orgs.Subject{}), invites.Input{Email: bob.Email, Role: "user"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	// Before the retry is due nothing happens; a retry that fails backs off.
	if err := w.redrive(); err != nil {
		t.Fatal(err)
	}
	m, err := w.store().OutboxMessage(ctx, inv.DeliveryMessage)
	if err != nil || m.Status != outboxpkg.StatusPending || m.Attempts != 1 {
		t.Fatalf("after the first attempt: %+v %v", m, err)
	}
	w.clock.Set(m.NotBefore)
	if err := w.redrive(); err != nil {
		t.Fatal(err)
	}
	if acts := w.actions(orgID, "email."); len(acts) != 2 {
		t.Errorf("after a failed retry: %v", acts)
	}
	m, _ = w.store().OutboxMessage(ctx, inv.DeliveryMessage)
	w.mail.fail(nil)
	w.clock.Set(m.NotBefore)
	now := w.clock.Now()
	errs := race(3, func(int) error { return w.processor.Redrive(ctx, now) })
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := w.redrive(); err != nil {
		t.Fatal(err)
	}
	if n := len(w.mail.to(bob.Email)); n != 1 {
		t.Fatalf("%d emails after three runs at once and one more, want 1", n)
	}
	if m, _ := w.store().OutboxMessage(ctx, inv.DeliveryMessage); m.Status != outboxpkg.StatusDone || m.Attempts != 3 {
		t.Errorf("message %+v, want done after 3 attempts", m)
	}
	if stored := invites.InviteOf(w.access(ada, orgID, orgs.Subject{Reads: []orgs.Read{invites.InviteRead{ID: inv.ID}}})); stored.Delivery != invites.DeliverySent || stored.DeliveryAttempts != 3 {
		t.Errorf("invite delivery %s after %d attempts", stored.Delivery, stored.DeliveryAttempts)
	}
	if _, err := w.invites.Accept(ctx, bob, w.mail.token(t, bob.Email)); err != nil {
		t.Errorf("accept the retried link: %v", err)
	}
}

func TestOutboxGivesUpAfterMaxAttemptsAndTheInviteShowsFailed(t *testing.T) {
	w := newWorld(t)
	ada, bob := person("ada"), person("bob")
	orgID := w.newOrg(ada)
	w.mail.fail(errors.New("ses down"))
	w.processor.MaxAttempts = 2
	inv, err := w.invites.Create(context.Background(), w.access(ada, orgID, orgs.Subject{}), invites.Input{Email: bob.Email, Role: "user"})
	if err != nil {
		t.Fatal(err)
	}
	w.deliver()
	m, _ := w.store().OutboxMessage(context.Background(), inv.DeliveryMessage)
	w.clock.Set(m.NotBefore)
	if err := w.redrive(); err != nil {
		t.Fatal(err)
	}
	m, _ = w.store().OutboxMessage(context.Background(), inv.DeliveryMessage)
	if m.Status != outboxpkg.StatusFailed || m.Attempts != 2 || m.LastError == "" {
		t.Errorf("message %+v, want failed after 2 attempts", m)
	}
	if stored := invites.InviteOf(w.access(ada, orgID, orgs.Subject{Reads: []orgs.Read{invites.InviteRead{ID: inv.ID}}})); stored.Delivery != invites.DeliveryFailed || stored.DeliveryAttempts != 2 {
		t.Errorf("invite delivery %s after %d attempts", stored.Delivery, stored.DeliveryAttempts)
	}
	// Given up, the message is no longer due: the job leaves it alone.
	w.clock.Advance(24 * time.Hour)
	cctx, counter := dynamo.WithCallCounter(context.Background())
	if err := w.processor.Redrive(cctx, w.clock.Now()); err != nil {
		t.Fatal(err)
	}
	if counter.Calls() > 4 {
		t.Errorf("an idle re-drive made %d calls", counter.Calls())
	}
}

func TestJobExpiresDueInvitesOnceEvenRunTwiceAtOnce(t *testing.T) {
	w := newWorld(t)
	ada := person("ada")
	orgID := w.newOrg(ada)
	early, _ := w.invite(orgID, ada, "early@example.com", roles.User)
	w.clock.Advance(2 * 24 * time.Hour)
	w.invite(orgID, ada, "late@example.com", roles.User)
	ctx := context.Background()

	at := early.ExpiresAt // the first is due, the second not
	errs := race(2, func(int) error { return w.invites.ProcessDue(ctx, at) })
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := w.invites.ProcessDue(ctx, at); err != nil {
		t.Fatal(err)
	}
	if acts := w.actions(orgID, "invite.expired"); len(acts) != 1 {
		t.Fatalf("events %v", acts)
	}
	e := w.events(orgID)[len(w.events(orgID))-1]
	if e.Actor.Type != "system" || e.Target.Label != "early@example.com" || e.Category != "organization" {
		t.Errorf("event %+v", e)
	}
	w.clock.Set(at)
	if got := w.listInvites(orgID, ada, "expired"); !slices.Equal(emails(got), []string{"early@example.com"}) || got[0].Status != invites.Expired {
		t.Errorf("expired %v", got)
	}
	if got := w.listInvites(orgID, ada, "pending"); !slices.Equal(emails(got), []string{"late@example.com"}) {
		t.Errorf("pending %v", got)
	}
	// The job reads only due shards: once nothing is due, a run writes nothing.
	cctx, counter := dynamo.WithCallCounter(ctx)
	if err := w.invites.ProcessDue(cctx, at); err != nil {
		t.Fatal(err)
	}
	if counter.Calls() != 31 {
		t.Errorf("an idle run made %d calls, want 31 (one Query per day shard)", counter.Calls())
	}
}

func TestInviteEmailArrivesThroughTheSESStandInWithTheLinkAndEscapedText(t *testing.T) {
	w := newWorld(t)
	endpoint := testenv.SES(t)
	w.invites.Mail = &ses.Mailer{Client: standins.SESClient(endpoint), From: "no-reply@example.com"}
	ada := person("ada")
	v, err := w.orgs.Create(context.Background(), ada, orgs.CreateInput{Name: `Evil <script>alert(1)</script> & Co`})
	if err != nil {
		t.Fatal(err)
	}
	to := testenv.UniqueAddress(t)
	if _, err := w.invites.Create(context.Background(), w.access(ada, v.ID, orgs.Subject{}), invites.Input{Email: to, Role: "user"}); err != nil {
		t.Fatal(err)
	}
	w.deliver()
	mails := testenv.Mails(t, endpoint, to)
	if len(mails) != 1 {
		t.Fatalf("%d mails", len(mails))
	}
	m := mails[0]
	link := tokenInLink.FindStringSubmatch(m.Text)
	if link == nil || !strings.Contains(m.HTML, `href="https://portal.example.com/invites/accept?token=`+link[1]+`"`) {
		t.Fatalf("no link: %s / %s", m.Text, m.HTML)
	}
	if strings.Contains(m.HTML, "<script>") || !strings.Contains(m.HTML, "&lt;script&gt;") || strings.ContainsAny(m.Subject, "\r\n") {
		t.Errorf("not escaped: %q %s", m.Subject, m.HTML)
	}
	if !strings.Contains(m.Text, "ada@example.com") || !strings.Contains(m.Text, "role user") || !strings.Contains(m.Text, "29 November 2026") {
		t.Errorf("text: %s", m.Text)
	}
	if p, err := w.invites.Preview(context.Background(), link[1]); err != nil || p.OrgName != v.Name {
		t.Errorf("the mailed link previews as %+v %v", p, err)
	}
}

func TestInviteAndMemberRoundTrips(t *testing.T) {
	w := newWorld(t)
	ada, bob, cy := person("ada"), person("bob"), person("cy")
	orgID := w.newOrg(ada)
	w.join(orgID, ada, cy, roles.User)
	if _, err := w.orgs.Me(context.Background(), bob); err != nil {
		t.Fatal(err)
	}
	// A route is the authorization step plus the use case, under one counter.
	route := func(name string, max int, c orgs.Caller, subj orgs.Subject, fn func(ctx context.Context, a orgs.Access) error) {
		t.Helper()
		ctx, counter := dynamo.WithCallCounter(context.Background())
		a, err := w.orgs.AuthorizeFor(ctx, c, orgID, subj)
		if err == nil {
			err = fn(ctx, a)
		}
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		t.Logf("%s: %d DynamoDB calls", name, counter.Calls())
		if counter.Calls() > max {
			t.Errorf("%s made %d calls, want at most %d", name, counter.Calls(), max)
		}
	}
	var inv invites.Invite
	route("POST invites", 2, ada, orgs.Subject{}, func(ctx context.Context, a orgs.Access) (err error) {
		inv, err = w.invites.Create(ctx, a, invites.Input{Email: bob.Email, Role: "user"})
		return err
	})
	route("GET invites", 2, ada, orgs.Subject{}, func(ctx context.Context, a orgs.Access) error {
		_, err := w.invites.List(ctx, a, "", paging.Request{Limit: 50})
		return err
	})
	route("POST invites/{id}/resend", 2, ada, orgs.Subject{Reads: []orgs.Read{invites.InviteRead{ID: inv.ID}}}, func(ctx context.Context, a orgs.Access) error {
		_, err := w.invites.Resend(ctx, a)
		return err
	})
	token := w.mail.token(t, bob.Email)
	calls := func(name string, max int, fn func(ctx context.Context) error) {
		t.Helper()
		ctx, counter := dynamo.WithCallCounter(context.Background())
		if err := fn(ctx); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		t.Logf("%s: %d DynamoDB calls", name, counter.Calls())
		if counter.Calls() > max {
			t.Errorf("%s made %d calls, want at most %d", name, counter.Calls(), max)
		}
	}
	calls("GET /v1/invites/{token}", 2, func(ctx context.Context) error { _, err := w.invites.Preview(ctx, token); return err })
	calls("POST /v1/invites/accept", 2, func(ctx context.Context) error { _, err := w.invites.Accept(ctx, bob, token); return err })
	for _, q := range []struct{ role, q string }{{"", ""}, {"user", ""}, {"", "b"}, {"user", "b"}} {
		route(fmt.Sprintf("GET members?role=%s&q=%s", q.role, q.q), 2, ada, orgs.Subject{}, func(ctx context.Context, a orgs.Access) error {
			_, err := w.members.List(ctx, a, q.role, q.q, "", paging.Request{Limit: 50})
			return err
		})
	}
	role := roles.Admin
	route("PATCH members/{userId}", 2, ada, orgs.Subject{UserID: bob.ID}, func(ctx context.Context, a orgs.Access) error {
		_, err := w.members.Update(ctx, a, members.Update{Role: &role})
		return err
	})
	route("DELETE members/{userId}", 2, ada, orgs.Subject{UserID: bob.ID}, func(ctx context.Context, a orgs.Access) error {
		return w.members.Remove(ctx, a)
	})
	inv2, _ := w.invite(orgID, ada, "dan@example.com", roles.User)
	route("DELETE invites/{id}", 2, ada, orgs.Subject{Reads: []orgs.Read{invites.InviteRead{ID: inv2.ID}}}, func(ctx context.Context, a orgs.Access) error {
		return w.invites.Revoke(ctx, a)
	})
	route("DELETE members/{self} (leave)", 2, cy, orgs.Subject{UserID: cy.ID, SelfAllowed: true}, func(ctx context.Context, a orgs.Access) error {
		return w.members.Remove(ctx, a)
	})
}

func TestThirtyInviteesAcceptingOneOrgsInvitesAtOnceAllJoin(t *testing.T) {
	w := newWorld(t)
	ada := person("ada")
	orgID := w.newOrg(ada)
	const n = 30
	people := make([]orgs.Caller, n)
	tokens := make([]string, n)
	for i := range n {
		people[i] = person(fmt.Sprintf("invitee%02d", i))
		_, tokens[i] = w.invite(orgID, ada, people[i].Email, roles.User)
	}
	// DynamoDB Local runs transactions one at a time, so it never reports the conflicts that
	// DynamoDB does on the org item that counts the members. They are made here: every
	// transaction's first attempts are cancelled with TransactionConflict, as DynamoDB
	// cancels all but one of the transactions touching one item at once.
	var injected atomic.Int64
	conflicting := dynamodb.New(w.client.Options(), func(o *dynamodb.Options) {
		o.APIOptions = append(o.APIOptions, func(stack *middleware.Stack) error {
			return stack.Finalize.Add(middleware.FinalizeMiddlewareFunc("InjectConflict",
				func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
					if awsmiddleware.GetOperationName(ctx) == "TransactWriteItems" && injected.Add(1) <= 2*n {
						return middleware.FinalizeOutput{}, middleware.Metadata{}, &types.TransactionCanceledException{
							Message:             aws.String("Transaction cancelled (injected)"),
							CancellationReasons: []types.CancellationReason{{Code: aws.String("None")}, {Code: aws.String("TransactionConflict")}},
						}
					}
					return next.HandleFinalize(ctx, in)
				}), middleware.After)
		})
	})
	w.invites.Store = dynamotest.New(conflicting, w.table)
	before := dynamo.ConflictRetries()
	start := time.Now()
	errs := race(n, func(i int) error {
		_, err := w.invites.Accept(context.Background(), people[i], tokens[i])
		return err
	})
	retried := dynamo.ConflictRetries() - before
	t.Logf("%d concurrent accepts in %s: %d transactions retried after a TransactionConflict (%d conflicts injected)", n, time.Since(start).Round(time.Millisecond), retried, min(injected.Load(), 2*n))
	if retried < 2*n {
		t.Errorf("%d retries after %d conflicts", retried, 2*n)
	}
	for i, err := range errs {
		if err != nil {
			t.Errorf("invitee %d: %v", i, err)
		}
	}
	if o := w.org(orgID); o.MemberCount != n+1 {
		t.Errorf("member count %d, want %d", o.MemberCount, n+1)
	}
	if acts := w.actions(orgID, "invite.accepted"); len(acts) != n {
		t.Errorf("%d invite.accepted events, want %d", len(acts), n)
	}
}
