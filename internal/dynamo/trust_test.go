package dynamo_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/vendorportal/orgs/internal/app"
	"github.com/vendorportal/orgs/internal/apperr"
	"github.com/vendorportal/orgs/internal/customroles"
	"github.com/vendorportal/orgs/internal/invites"
	"github.com/vendorportal/orgs/internal/licensing"
	"github.com/vendorportal/orgs/internal/members"
	"github.com/vendorportal/orgs/internal/orgs"
	"github.com/vendorportal/orgs/internal/provisioning"
	"github.com/vendorportal/orgs/internal/roles"
	"github.com/vendorportal/orgs/internal/scim"
	"github.com/vendorportal/orgs/internal/seal"
	"github.com/vendorportal/orgs/internal/tokens"
	"github.com/vendorportal/orgs/internal/webhooks"
	"github.com/vendorportal/orgs/internal/webhooks/safehttp"
)

func (w *world) tokens() *tokens.Service {
	return &tokens.Service{Store: w.store(), Now: w.clock.Now, NewID: app.NewULID, Keys: tokens.NewKeys([]byte("test secret"))}
}

func (w *world) webhooks() *webhooks.Service {
	return &webhooks.Service{Store: w.store(), URLs: &safehttp.Client{AllowLoopback: true, Timeout: time.Second},
		Key: seal.Derive([]byte("test secret"), "webhook"), Now: w.clock.Now, NewID: app.NewULID}
}

func (w *world) scimTokens() *scim.TokenAdmin {
	return &scim.TokenAdmin{Store: w.store(), Now: w.clock.Now, NewID: app.NewULID}
}

// withToken authorizes c in orgID reading the token's state, as the token routes do.
func (w *world) withToken(c orgs.Caller, orgID string) orgs.Access {
	return w.access(c, orgID, orgs.Subject{Reads: []orgs.Read{tokens.StateRead{}}})
}

// A user gets one trial of a product, whatever the org: a fresh org is no second trial, and
// trials started at once from several orgs of one user make exactly one.
func TestOneTrialPerProductPerUserAcrossTheirOrgsEvenRacing(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	ada := person("ada")
	w.product("widget")
	var orgIDs []string
	for range 4 {
		orgIDs = append(orgIDs, w.newOrg(ada))
	}
	start := func(c orgs.Caller, orgID string) error {
		_, err := w.licensing().StartTrial(ctx, w.access(c, orgID, orgs.Subject{}), licensing.TrialInput{ProductID: "widget", AgreementVersion: "2026-01"})
		return err
	}
	errs := race(3, func(i int) error { return start(ada, orgIDs[i]) })
	if ok, kinds := tally(errs); ok != 1 || kinds[apperr.Conflict] != 2 {
		t.Fatalf("3 racing trials from 3 orgs of one user: %d started, %v failed; want 1 and 2 conflicts (%v)", ok, kinds, errs)
	}
	if err := start(ada, orgIDs[3]); !apperr.Is(err, apperr.Conflict) {
		t.Errorf("a trial from a fresh org of the same user: %v; want 409", err)
	}
	// Another member of that fresh org is another person: their trial is the org's first.
	bob := person("bob")
	w.join(orgIDs[3], ada, bob, roles.Admin)
	if err := start(bob, orgIDs[3]); err != nil {
		t.Errorf("another user's first trial in an org without one: %v", err)
	}
}

// Token, webhook, SCIM-token and trial writes re-check the acting member in their own
// transaction: an admin suspended, or whose custom role lost the permission, while the
// request ran acts on nothing.
func TestAdminWritesRecheckTheActorInTheirTransaction(t *testing.T) {
	ctx := context.Background()
	writes := map[string]func(w *world, a orgs.Access) error{
		"view the token": func(w *world, a orgs.Access) error {
			_, err := w.tokens().View(ctx, a)
			return err
		},
		"regenerate the token": func(w *world, a orgs.Access) error {
			_, err := w.tokens().Regenerate(ctx, a)
			return err
		},
		"create a webhook": func(w *world, a orgs.Access) error {
			_, _, err := w.webhooks().Create(ctx, a, webhooks.Input{URL: "http://127.0.0.1:9/hook", Events: []string{"*"}})
			return err
		},
		"make a SCIM token": func(w *world, a orgs.Access) error {
			_, _, err := w.scimTokens().Create(ctx, a)
			return err
		},
		"start a trial": func(w *world, a orgs.Access) error {
			_, err := w.licensing().StartTrial(ctx, a, licensing.TrialInput{ProductID: "widget", AgreementVersion: "2026-01"})
			return err
		},
	}
	for name, write := range writes {
		t.Run(name+" when suspended meanwhile", func(t *testing.T) {
			w := newWorld(t)
			ada, bob := person("ada"), person("bob")
			orgID := w.newOrg(ada)
			w.product("widget")
			w.join(orgID, ada, bob, roles.Admin)
			stale := w.withToken(bob, orgID)
			w.suspend(orgID, bob)
			if err := write(w, stale); !apperr.Is(err, apperr.Conflict) {
				t.Errorf("%s by a member suspended meanwhile: %v; want 409 (actor changed)", name, err)
			}
		})
		t.Run(name+" when the custom role lost everything meanwhile", func(t *testing.T) {
			w := newWorld(t)
			ada, bob := person("ada"), person("bob")
			orgID := w.newOrg(ada)
			w.product("widget")
			all, _ := roles.BuiltIn(roles.Admin)
			keeper := w.role(orgID, ada, "Keeper", all.Permissions...)
			w.join(orgID, ada, bob, keeper)
			stale := w.withToken(bob, orgID)
			none := []roles.Permission{roles.OrgRead}
			if _, err := w.roles().Update(ctx, w.access(ada, orgID, orgs.Subject{}), string(keeper), customroles.Patch{Permissions: &none}); err != nil {
				t.Fatal(err)
			}
			if err := write(w, stale); !apperr.Is(err, apperr.Conflict) {
				t.Errorf("%s by a member whose role lost its permissions meanwhile: %v; want 409 (roles changed)", name, err)
			}
		})
	}
}

// The authentication reset is the compromise button: it revokes the org's SCIM token in its
// own transaction, so SCIM calls with it are 401 until an admin makes a new one.
func TestAuthResetRevokesTheSCIMToken(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	ada := person("ada")
	orgID := w.newOrg(ada)
	token, _, err := w.scimTokens().Create(ctx, w.access(ada, orgID, orgs.Subject{}))
	if err != nil {
		t.Fatal(err)
	}
	idp := &scim.Service{Store: w.store(), Now: w.clock.Now, NewID: app.NewULID}
	if _, err := idp.Authenticate(ctx, token, nil, ""); err != nil {
		t.Fatalf("the new SCIM token: %v", err)
	}
	w.clock.Advance(time.Second)
	if err := w.tokens().Reset(ctx, w.withToken(ada, orgID)); err != nil {
		t.Fatal(err)
	}
	_, err = idp.Authenticate(ctx, token, nil, "")
	if !apperr.Is(err, apperr.Unauthenticated) {
		t.Errorf("the SCIM token after the reset: %v; want 401", err)
	}
	ada.IssuedAt = w.clock.Now().Add(time.Second) // signed in again after the reset
	fresh, _, err := w.scimTokens().Create(ctx, w.access(ada, orgID, orgs.Subject{}))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := idp.Authenticate(ctx, fresh, nil, ""); err != nil {
		t.Errorf("a SCIM token made after the reset: %v", err)
	}
}

// racingInvites is the invite store with a hook run once right after the email handler read
// the invite and its org: what happens between the handler's read and its send.
type racingInvites struct {
	invites.Store
	once func()
}

func (r *racingInvites) InviteWithOrg(ctx context.Context, orgID, inviteID string) (invites.Invite, orgs.Org, error) {
	inv, o, err := r.Store.InviteWithOrg(ctx, orgID, inviteID)
	if r.once != nil {
		f := r.once
		r.once = nil
		f()
	}
	return inv, o, err
}

// An invite whose email failed is not mailed when its retry comes after the invite was
// revoked or its org deleted, not even when the deletion lands between the retry's read and
// its send.
func TestAFailedInviteEmailIsNotRetriedForARevokedInviteOrADeletedOrg(t *testing.T) {
	ctx := context.Background()
	for name, tc := range map[string]struct {
		then func(w *world, orgID string, inv invites.Invite) // before the retry
		race func(w *world, orgID string) func()              // during it
	}{
		"invite revoked": {then: func(w *world, orgID string, inv invites.Invite) {
			if err := w.invites.Revoke(ctx, w.access(person("ada"), orgID, orgs.Subject{Reads: []orgs.Read{invites.InviteRead{ID: inv.ID}}})); err != nil {
				t.Fatal(err)
			}
		}},
		"org deleted": {then: func(w *world, orgID string, _ invites.Invite) { w.deleteOrg(orgID, person("ada")) }},
		"org deleted while the retry runs": {race: func(w *world, orgID string) func() {
			return func() { w.deleteOrg(orgID, person("ada")) }
		}},
	} {
		t.Run(name, func(t *testing.T) {
			w := newWorld(t)
			ada, bob := person("ada"), person("bob")
			orgID := w.newOrg(ada)
			w.mail.fail(errors.New("ses down"))
			inv, err := w.invites.Create(ctx, w.access(ada, orgID, orgs.Subject{}), invites.Input{Email: bob.Email, Role: "user"})
			if err != nil {
				t.Fatal(err)
			}
			w.deliver()
			w.mail.fail(nil)
			if tc.then != nil {
				tc.then(w, orgID, inv)
			}
			if tc.race != nil {
				racing := *w.invites
				racing.Store = &racingInvites{Store: w.invites.Store, once: tc.race(w, orgID)}
				w.handlers[invites.KindEmail] = racing.SendInviteEmail
			}
			m, err := w.store().OutboxMessage(ctx, inv.DeliveryMessage)
			if err != nil {
				t.Fatal(err)
			}
			w.clock.Set(m.NotBefore)
			if err := w.redrive(); err != nil {
				t.Fatal(err)
			}
			if n := len(w.mail.to(bob.Email)); n != 0 {
				t.Errorf("%d invitation emails sent after the invite's end; want none", n)
			}
		})
	}
}

// deleteOrg has admin delete the org.
func (w *world) deleteOrg(orgID string, admin orgs.Caller) {
	w.t.Helper()
	o := w.org(orgID)
	if err := w.orgs.Delete(context.Background(), admin, w.access(admin, orgID, orgs.Subject{}), o.Handle); err != nil {
		w.t.Fatal(err)
	}
}

// The outrank rule is one check (orgs.Access.MayActOn) that every member-changing write makes
// and that the store judges again at write time: a member manager whose target's custom role
// gained, meanwhile, a permission the manager lacks changes nothing, whichever write it is.
func TestTheOutrankRuleHoldsAtWriteTimeForEveryMemberChangingWrite(t *testing.T) {
	ctx := context.Background()
	support := roles.SupportOnly
	name := "Tom T."
	writes := map[string]func(w *world, a orgs.Access) error{
		"reset the password": func(w *world, a orgs.Access) error {
			svc := &provisioning.Service{Store: w.store(), Accounts: w.orgs, Sealer: seal.Derive([]byte("test secret"), provisioning.SealPurpose),
				Now: w.clock.Now, NewID: app.NewULID}
			return svc.ResetPassword(ctx, a)
		},
		"change the role": func(w *world, a orgs.Access) error {
			_, err := w.members.Update(ctx, a, members.Update{Role: &support})
			return err
		},
		"change the name": func(w *world, a orgs.Access) error {
			_, err := w.members.Update(ctx, a, members.Update{Name: &name})
			return err
		},
		"remove": func(w *world, a orgs.Access) error { return w.members.Remove(ctx, a) },
	}
	for what, write := range writes {
		t.Run(what, func(t *testing.T) {
			w := newWorld(t)
			ada, lead, tom := person("ada"), person("lead"), person("tom")
			orgID := w.newOrg(ada)
			people := w.role(orgID, ada, "People lead", roles.OrgRead, roles.SupportAccess, roles.MembersRead, roles.MembersManage)
			helper := w.role(orgID, ada, "Helper", roles.OrgRead, roles.SupportAccess)
			for _, m := range []struct {
				c orgs.Caller
				r roles.Role
			}{{lead, people}, {tom, helper}} {
				if _, err := w.orgs.Account(ctx, m.c); err != nil {
					t.Fatal(err)
				}
				seed := orgs.Member{OrgID: orgID, UserID: m.c.ID, Email: m.c.Email, Role: m.r, JoinedAt: w.clock.Now(), Source: orgs.SourceCreated}
				if err := w.store().SeedMember(ctx, seed, orgs.Shared); err != nil {
					t.Fatal(err)
				}
				w.madeBy(m.c.ID, orgID)
			}
			stale := w.access(lead, orgID, orgs.Subject{UserID: tom.ID})
			more := []roles.Permission{roles.OrgRead, roles.SupportAccess, roles.SettingsManage}
			if _, err := w.roles().Update(ctx, w.access(ada, orgID, orgs.Subject{}), string(helper), customroles.Patch{Permissions: &more}); err != nil {
				t.Fatal(err)
			}
			if err := write(w, stale); !apperr.Is(err, apperr.Conflict) {
				t.Errorf("%s of a member whose role now outranks the caller's, decided on the role before: %v; want 409", what, err)
			}
			if err := write(w, w.access(lead, orgID, orgs.Subject{UserID: tom.ID})); !apperr.Is(err, apperr.Forbidden) {
				t.Errorf("%s of a member whose role outranks the caller's: %v; want 403", what, err)
			}
		})
	}
}
