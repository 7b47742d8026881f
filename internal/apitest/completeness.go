package apitest

import (
	"context"
	"strings"

	"github.com/vendorportal/orgs/internal/invites"
	"github.com/vendorportal/orgs/internal/mail"
	"github.com/vendorportal/orgs/internal/orgs"
)

// Invite has admin invite email to the org as a user, mailing with a recorder, and returns
// the invite and the token of its link.
func (a *API) Invite(admin orgs.Caller, orgID, email string) (invites.Invite, string) {
	a.T.Helper()
	rec := &mail.Recorder{}
	a.Env.UseMail(rec)
	access, err := a.Env.Orgs().Authorize(context.Background(), admin, orgID)
	if err != nil {
		a.T.Fatal(err)
	}
	inv, err := a.Env.Invites().Create(context.Background(), access, invites.Input{Email: email, Role: "user"})
	if err != nil {
		a.T.Fatal(err)
	}
	a.Deliver()
	_, token, _ := strings.Cut(rec.Sent[0].Text, "token=")
	stored, err := a.Env.Orgs().AuthorizeFor(context.Background(), admin, orgID, orgs.Subject{Reads: []orgs.Read{invites.InviteRead{ID: inv.ID}}})
	if err != nil || invites.InviteOf(stored) == nil {
		a.T.Fatal(err)
	}
	return *invites.InviteOf(stored), strings.Fields(token)[0]
}

// AcceptingDirectory is an identity provider that accepts every change.
type AcceptingDirectory struct{}

func (AcceptingDirectory) SetEmail(context.Context, string, string) error { return nil }

func (AcceptingDirectory) DeleteUser(context.Context, string) error { return nil }
