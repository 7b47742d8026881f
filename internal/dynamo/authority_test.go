package dynamo_test

import (
	"context"
	"testing"

	"github.com/vendorportal/orgs/internal/apperr"
	"github.com/vendorportal/orgs/internal/orgs"
	"github.com/vendorportal/orgs/internal/paging"
	"github.com/vendorportal/orgs/internal/roles"
)

// An invite carries the authority of its creation: accepting it is 410 once the inviter is no
// longer a member, no longer holds a role that may grant the invite's role, or (for an invite
// made under membersCanInvite) the setting was turned off since. Checked in the accept's
// transaction, not by an earlier read.
func TestAcceptFailsOnceTheInviteOutlivedItsAuthority(t *testing.T) {
	ctx := context.Background()
	demote := func(w *world, orgID string, by, who orgs.Caller, to roles.Role) {
		a := w.access(by, orgID, orgs.Subject{UserID: who.ID})
		if _, err := w.members.Update(ctx, a, orgs.MemberUpdate{Role: &to}); err != nil {
			t.Fatal(err)
		}
	}
	for name, tc := range map[string]struct {
		inviterRole roles.Role // caller(2)'s role when inviting
		setting     bool
		then        func(w *world, orgID string)
		ok          bool
	}{
		"inviter still admin": {roles.Admin, false, func(*world, string) {}, true},
		"inviter demoted": {roles.Admin, false, func(w *world, orgID string) {
			demote(w, orgID, caller(1), caller(2), roles.User)
		}, false},
		"inviter removed": {roles.Admin, false, func(w *world, orgID string) {
			if err := w.members.Remove(ctx, w.access(caller(1), orgID, orgs.Subject{UserID: caller(2).ID})); err != nil {
				t.Fatal(err)
			}
		}, false},
		"inviter removed, then resent by an admin": {roles.Admin, false, func(w *world, orgID string) {
			if err := w.members.Remove(ctx, w.access(caller(1), orgID, orgs.Subject{UserID: caller(2).ID})); err != nil {
				t.Fatal(err)
			}
			resendAll(t, w, orgID, caller(1))
		}, true},
		"membersCanInvite still on": {roles.User, true, func(*world, string) {}, true},
		"membersCanInvite turned off": {roles.User, true, func(w *world, orgID string) {
			w.setMembersCanInvite(orgID, false)
		}, false},
		"membersCanInvite inviter demoted to support-only": {roles.User, true, func(w *world, orgID string) {
			demote(w, orgID, caller(1), caller(2), roles.SupportOnly)
		}, false},
	} {
		t.Run(name, func(t *testing.T) {
			w := newWorld(t)
			v := w.orgWithMember(t, tc.inviterRole)
			if tc.setting {
				w.setMembersCanInvite(v.ID, true)
			}
			guest := caller(3)
			inv, token := w.invite(v.ID, caller(2), guest.Email, roles.User)
			tc.then(w, v.ID)
			if latest := w.mail.token(t, inv.Email); latest != token {
				token = latest // a resend's link
			}
			_, err := w.invites.Accept(ctx, guest, token)
			switch {
			case tc.ok && err != nil:
				t.Errorf("accept: %v, want it to succeed", err)
			case !tc.ok && !apperr.Is(err, apperr.Gone):
				t.Errorf("accept: %v, want 410 gone", err)
			}
			if !tc.ok && w.count(t, "USER#"+guest.ID) > 1 {
				t.Error("the refused accept left the guest something beyond an account")
			}
		})
	}
}

// resendAll has by resend every pending invite of the org.
func resendAll(t *testing.T, w *world, orgID string, by orgs.Caller) {
	t.Helper()
	ctx := context.Background()
	page, err := w.invites.List(ctx, w.access(by, orgID, orgs.Subject{}), "", paging.Request{Limit: 50})
	if err != nil {
		t.Fatal(err)
	}
	for _, inv := range page.Invites {
		if _, err := w.invites.Resend(ctx, w.access(by, orgID, orgs.Subject{InviteID: inv.ID})); err != nil {
			t.Fatal(err)
		}
	}
	w.deliver()
}
