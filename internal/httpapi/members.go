package httpapi

import (
	"github.com/vendorportal/orgs/internal/orgs"
)

type MemberJSON struct {
	UserID     string         `json:"userId"`
	Email      string         `json:"email"`
	Name       *string        `json:"name"`
	Phone      *string        `json:"phone"`
	Role       string         `json:"role"`
	JoinedAt   Timestamp      `json:"joinedAt"`
	Source     string         `json:"source"`
	Properties map[string]any `json:"properties"`
	// Status is active or suspended (SCIM active: false): the contract's member object has it.
	Status string `json:"status"`
}

// MemberOut is the member as the contract shows it: only the properties the org still
// defines (removing a definition hides its values).
func MemberOut(o orgs.Org, m orgs.Member) MemberJSON {
	out := MemberJSON{
		UserID: m.UserID, Email: m.Email, Name: Nullable(m.Name), Phone: Nullable(m.Phone), Role: string(m.Role),
		JoinedAt: Timestamp(m.JoinedAt), Source: string(m.Source), Properties: orgs.VisibleProperties(o.UserProperties, m.Properties),
		Status: string(orgs.StatusActive),
	}
	if m.Suspended() {
		out.Status = string(orgs.StatusSuspended)
	}
	return out
}
