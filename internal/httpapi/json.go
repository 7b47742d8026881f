package httpapi

import (
	"time"

	"github.com/vendorportal/orgs/internal/orgs"
)

// The JSON shapes of the contract. Every listed field is always present: unset strings are
// null, unset lists are empty.

// timestamp marshals as RFC 3339 in UTC with second precision, or null when zero.
type timestamp time.Time

func (t timestamp) MarshalJSON() ([]byte, error) {
	if time.Time(t).IsZero() {
		return []byte("null"), nil
	}
	return []byte(`"` + time.Time(t).UTC().Format(time.RFC3339) + `"`), nil
}

func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

type contactJSON struct {
	Name  string `json:"name"`
	Email string `json:"email"`
}

type orgJSON struct {
	ID                      string        `json:"id"`
	Kind                    string        `json:"kind"`
	Handle                  string        `json:"handle"`
	Name                    string        `json:"name"`
	DisplayName             *string       `json:"displayName"`
	AvatarURL               *string       `json:"avatarUrl"`
	ContactName             *string       `json:"contactName"`
	ContactEmail            *string       `json:"contactEmail"`
	CompanyName             *string       `json:"companyName"`
	SupportTicketVisibility string        `json:"supportTicketVisibility"`
	MembersCanInvite        bool          `json:"membersCanInvite"`
	AutoJoin                string        `json:"autoJoin"`
	BillingContacts         []contactJSON `json:"billingContacts"`
	CreatedAt               timestamp     `json:"createdAt"`
	Role                    string        `json:"role"`
}

func orgOut(v orgs.OrgView) orgJSON {
	o := orgJSON{
		ID: v.ID, Kind: string(v.Kind), Handle: v.Handle, Name: v.Name,
		DisplayName: nullable(v.DisplayName), AvatarURL: nullable(v.AvatarURL),
		ContactName: nullable(v.ContactName), ContactEmail: nullable(v.ContactEmail),
		CompanyName: nullable(v.CompanyName), SupportTicketVisibility: string(v.SupportTicketVisibility),
		MembersCanInvite: v.MembersCanInvite, AutoJoin: string(v.AutoJoin.Or()), BillingContacts: []contactJSON{},
		CreatedAt: timestamp(v.CreatedAt), Role: string(v.Role),
	}
	for _, c := range v.BillingContacts {
		o.BillingContacts = append(o.BillingContacts, contactJSON(c))
	}
	return o
}

// list is the contract's list answer.
type list[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"nextCursor,omitempty"`
}
