package httpapi

import (
	"context"
	"net/http"

	"github.com/vendorportal/orgs/internal/app"
	"github.com/vendorportal/orgs/internal/apperr"
	"github.com/vendorportal/orgs/internal/orgs"
)

func buildUpdateOrg(env *app.Env) Handler {
	svc := env.Orgs()
	return func(ctx context.Context, req *Request) (*Response, error) {
		var in struct {
			Name                    optional[string]        `json:"name"`
			DisplayName             optional[string]        `json:"displayName"`
			AvatarURL               optional[string]        `json:"avatarUrl"`
			ContactName             optional[string]        `json:"contactName"`
			ContactEmail            optional[string]        `json:"contactEmail"`
			CompanyName             optional[string]        `json:"companyName"`
			SupportTicketVisibility optional[string]        `json:"supportTicketVisibility"`
			MembersCanInvite        optional[bool]          `json:"membersCanInvite"`
			BillingContacts         optional[[]contactJSON] `json:"billingContacts"`
			AutoJoin                optional[string]        `json:"autoJoin"`
		}
		if err := req.Decode(&in); err != nil {
			return nil, err
		}
		if in.Name.Null || in.SupportTicketVisibility.Null || in.MembersCanInvite.Null || in.AutoJoin.Null {
			return nil, apperr.New(apperr.Invalid, "name, supportTicketVisibility, membersCanInvite and autoJoin can't be null")
		}
		change := orgs.SettingsInput{
			Name: in.Name.ptr(), DisplayName: in.DisplayName.ptr(), AvatarURL: in.AvatarURL.ptr(),
			ContactName: in.ContactName.ptr(), ContactEmail: in.ContactEmail.ptr(), CompanyName: in.CompanyName.ptr(),
			SupportTicketVisibility: in.SupportTicketVisibility.ptr(), MembersCanInvite: in.MembersCanInvite.ptr(),
			AutoJoin: in.AutoJoin.ptr(),
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
		return JSON(http.StatusOK, orgOut(v)), nil
	}
}

func buildChangeHandle(env *app.Env) Handler {
	svc := env.Orgs()
	return func(ctx context.Context, req *Request) (*Response, error) {
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
		return JSON(http.StatusOK, orgOut(v)), nil
	}
}

func buildDeleteOrg(env *app.Env) Handler {
	svc := env.Orgs()
	return func(ctx context.Context, req *Request) (*Response, error) {
		if err := svc.Delete(ctx, req.Caller, req.Access, req.Query("confirm")); err != nil {
			return nil, err
		}
		return NoContent(), nil
	}
}
