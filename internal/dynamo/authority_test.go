package dynamo_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/vendorportal/orgs/internal/apperr"
	"github.com/vendorportal/orgs/internal/customroles"
	"github.com/vendorportal/orgs/internal/invites"
	"github.com/vendorportal/orgs/internal/members"
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
		if _, err := w.members.Update(ctx, a, members.Update{Role: &to}); err != nil {
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
		"inviter suspended (an admin's invite)": {roles.Admin, false, func(w *world, orgID string) {
			w.suspend(orgID, caller(2))
		}, false},
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
		if _, err := w.invites.Resend(ctx, w.access(by, orgID, orgs.Subject{Reads: []orgs.Read{invites.InviteRead{ID: inv.ID}}})); err != nil {
			t.Fatal(err)
		}
	}
	w.deliver()
}

// suspend marks the member suspended in the table, as SCIM's active: false leaves them.
func (w *world) suspend(orgID string, c orgs.Caller) {
	w.t.Helper()
	_, err := w.client.UpdateItem(context.Background(), &dynamodb.UpdateItemInput{
		TableName: aws.String(w.table),
		Key: map[string]types.AttributeValue{
			"PK": &types.AttributeValueMemberS{Value: "ORG#" + orgID}, "SK": &types.AttributeValueMemberS{Value: "MEMBER#" + c.ID},
		},
		UpdateExpression:          aws.String("SET #s = :s"),
		ExpressionAttributeNames:  map[string]string{"#s": "status"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":s": &types.AttributeValueMemberS{Value: string(orgs.StatusSuspended)}},
	})
	if err != nil {
		w.t.Fatal(err)
	}
}

// An invite made under a custom role carries the role as the org defines it at acceptance:
// once the role loses invites.manage (or stops covering the invite's role), the invite is 410,
// though its inviter still holds the role.
func TestAcceptFailsOnceTheInvitersCustomRoleLostTheRightToInvite(t *testing.T) {
	ctx := context.Background()
	all := []roles.Permission{roles.OrgRead, roles.ProductsAccess, roles.TokenView, roles.SupportAccess, roles.InvitesManage}
	for name, tc := range map[string]struct {
		after []roles.Permission
		ok    bool
	}{
		"role unchanged":             {all, true},
		"role lost invites.manage":   {all[:4], false},
		"role no longer covers user": {[]roles.Permission{roles.OrgRead, roles.SupportAccess, roles.InvitesManage}, false},
	} {
		t.Run(name, func(t *testing.T) {
			w := newWorld(t)
			ada, rec, guest := person("ada"), person("rec"), person("guest")
			orgID := w.newOrg(ada)
			recruiter := w.role(orgID, ada, "Recruiter", all...)
			w.join(orgID, ada, rec, recruiter)
			_, token := w.invite(orgID, rec, guest.Email, roles.User)
			perms := tc.after
			if _, err := w.roles().Update(ctx, w.access(ada, orgID, orgs.Subject{}), string(recruiter), customroles.Patch{Permissions: &perms}); err != nil {
				t.Fatal(err)
			}
			_, err := w.invites.Accept(ctx, guest, token)
			switch {
			case tc.ok && err != nil:
				t.Errorf("accept: %v, want it to succeed", err)
			case !tc.ok && !apperr.Is(err, apperr.Gone):
				t.Errorf("accept: %v, want 410 gone", err)
			}
		})
	}
}
