package orgsapi

import (
	"github.com/vendorportal/orgs/internal/httpapi"
	"github.com/vendorportal/orgs/internal/orgs"
)

type contactJSON struct {
	Name  string `json:"name"`
	Email string `json:"email"`
}

type orgJSON struct {
	ID                      string            `json:"id"`
	Kind                    string            `json:"kind"`
	Handle                  string            `json:"handle"`
	Name                    string            `json:"name"`
	DisplayName             *string           `json:"displayName"`
	AvatarURL               *string           `json:"avatarUrl"`
	ContactName             *string           `json:"contactName"`
	ContactEmail            *string           `json:"contactEmail"`
	CompanyName             *string           `json:"companyName"`
	SupportTicketVisibility string            `json:"supportTicketVisibility"`
	MembersCanInvite        bool              `json:"membersCanInvite"`
	AutoJoin                string            `json:"autoJoin"`
	BillingContacts         []contactJSON     `json:"billingContacts"`
	CreatedAt               httpapi.Timestamp `json:"createdAt"`
	Role                    string            `json:"role"`
}

func orgOut(v orgs.OrgView) orgJSON {
	o := orgJSON{
		ID: v.ID, Kind: string(v.Kind), Handle: v.Handle, Name: v.Name,
		DisplayName: httpapi.Nullable(v.DisplayName), AvatarURL: httpapi.Nullable(v.AvatarURL),
		ContactName: httpapi.Nullable(v.ContactName), ContactEmail: httpapi.Nullable(v.ContactEmail),
		CompanyName: httpapi.Nullable(v.CompanyName), SupportTicketVisibility: string(v.SupportTicketVisibility),
		MembersCanInvite: v.MembersCanInvite, AutoJoin: string(v.AutoJoin.Or()), BillingContacts: []contactJSON{},
		CreatedAt: httpapi.Timestamp(v.CreatedAt), Role: string(v.Role),
	}
	for _, c := range v.BillingContacts {
		o.BillingContacts = append(o.BillingContacts, contactJSON(c))
	}
	return o
}
