package orgsapi

import (
	"context"
	"net/http"

	"github.com/vendorportal/orgs/internal/app"
	"github.com/vendorportal/orgs/internal/apperr"
	"github.com/vendorportal/orgs/internal/httpapi"
	"github.com/vendorportal/orgs/internal/orgs"
)

func buildUpdateOrg(env *app.Env) httpapi.Handler {
	svc := env.Orgs()
	return func(ctx context.Context, req *httpapi.Request) (*httpapi.Response, error) {
		var in struct {
			Name                    httpapi.Optional[string]        `json:"name"`
			DisplayName             httpapi.Optional[string]        `json:"displayName"`
			AvatarURL               httpapi.Optional[string]        `json:"avatarUrl"`
			ContactName             httpapi.Optional[string]        `json:"contactName"`
			ContactEmail            httpapi.Optional[string]        `json:"contactEmail"`
			CompanyName             httpapi.Optional[string]        `json:"companyName"`
			SupportTicketVisibility httpapi.Optional[string]        `json:"supportTicketVisibility"`
			MembersCanInvite        httpapi.Optional[bool]          `json:"membersCanInvite"`
			BillingContacts         httpapi.Optional[[]contactJSON] `json:"billingContacts"`
			AutoJoin                httpapi.Optional[string]        `json:"autoJoin"`
		}
		if err := req.Decode(&in); err != nil {
			return nil, err
		}
		if in.Name.Null || in.SupportTicketVisibility.Null || in.MembersCanInvite.Null || in.AutoJoin.Null {
			return nil, apperr.New(apperr.Invalid, "name, supportTicketVisibility, membersCanInvite and autoJoin can't be null")
		}
		change := orgs.SettingsInput{
			Name: in.Name.Ptr(), DisplayName: in.DisplayName.Ptr(), AvatarURL: in.AvatarURL.Ptr(),
			ContactName: in.ContactName.Ptr(), ContactEmail: in.ContactEmail.Ptr(), CompanyName: in.CompanyName.Ptr(),
			SupportTicketVisibility: in.SupportTicketVisibility.Ptr(), MembersCanInvite: in.MembersCanInvite.Ptr(),
			AutoJoin: in.AutoJoin.Ptr(),
		}
		if in.BillingContacts.Set {
			contacts := make([]orgs.Contact, len(in.BillingContacts.Value))
			for i, c := range in.BillingContacts.Value {
				contacts[i] = orgs.Contact(c)
			}
			change.BillingContacts = &contacts
		}
		v, err := svc.UpdateSettings(ctx, req.Caller, req.Access, change)
		if err != nil {
			return nil, err
		}
		return httpapi.JSON(http.StatusOK, orgOut(v)), nil
	}
}

func buildChangeHandle(env *app.Env) httpapi.Handler {
	svc := env.Orgs()
	return func(ctx context.Context, req *httpapi.Request) (*httpapi.Response, error) {
		var in struct {
			Handle string `json:"handle"`
		}
		if err := req.Decode(&in); err != nil {
			return nil, err
		}
		v, err := svc.ChangeHandle(ctx, req.Caller, req.Access, in.Handle)
		if err != nil {
			return nil, err
		}
		return httpapi.JSON(http.StatusOK, orgOut(v)), nil
	}
}

func buildDeleteOrg(env *app.Env) httpapi.Handler {
	svc := env.Orgs()
	return func(ctx context.Context, req *httpapi.Request) (*httpapi.Response, error) {
		if err := svc.Delete(ctx, req.Caller, req.Access, req.Query("confirm")); err != nil {
			return nil, err
		}
		return httpapi.NoContent(), nil
	}
}
