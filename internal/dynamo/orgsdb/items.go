package orgsdb

import (
	"time"

	"github.com/vendorportal/orgs/internal/dynamo"
	"github.com/vendorportal/orgs/internal/orgs"
)

type contactItem struct {
	Name  string `dynamodbav:"name"`
	Email string `dynamodbav:"email"`
}

type OrgItem struct {
	dynamo.Keys
	ID               string        `dynamodbav:"id"`
	Kind             string        `dynamodbav:"kind"`
	Handle           string        `dynamodbav:"handle"`
	Name             string        `dynamodbav:"name"`
	DisplayName      string        `dynamodbav:"displayName,omitempty"`
	AvatarURL        string        `dynamodbav:"avatarUrl,omitempty"`
	ContactName      string        `dynamodbav:"contactName,omitempty"`
	ContactEmail     string        `dynamodbav:"contactEmail,omitempty"`
	CompanyName      string        `dynamodbav:"companyName,omitempty"`
	Visibility       string        `dynamodbav:"supportTicketVisibility"`
	MembersCanInvite bool          `dynamodbav:"membersCanInvite"`
	BillingContacts  []contactItem `dynamodbav:"billingContacts,omitempty"`
	// Provisioning's settings (provisioning.go).
	AutoJoin       string             `dynamodbav:"autoJoin,omitempty"`
	UserProperties []userPropertyItem `dynamodbav:"userProperties,omitempty"`
	Domains        []domainItem       `dynamodbav:"domains,omitempty"`
	CreatedAt      time.Time          `dynamodbav:"createdAt"`
	CreatedByID    string             `dynamodbav:"createdById"`
	CreatedByEmail string             `dynamodbav:"createdByEmail"`
	AdminCount     int                `dynamodbav:"adminCount"`
	MemberCount    int                `dynamodbav:"memberCount"`
	AuthResetAt    time.Time          `dynamodbav:"authResetAt,omitempty"`
	DeletedAt      time.Time          `dynamodbav:"deletedAt,omitempty"`
	// The org's custom roles and their holder counts: see roles.go.
	CustomRoles  map[string]customRoleItem `dynamodbav:"customRoles,omitempty"`
	RolesVersion int                       `dynamodbav:"rolesVersion,omitempty"`
	holders      holderCounts
}

func NewOrgItem(o orgs.Org) OrgItem {
	var k dynamo.Keys
	if !o.DeletedAt.IsZero() {
		k.GSI3PK, k.GSI3SK = PurgeShard(o.DeletedAt), dynamo.SortTime(o.DeletedAt)+"#"+o.ID
	}
	k.PK, k.SK = dynamo.OrgPK(o.ID), dynamo.SkMeta
	it := OrgItem{
		Keys: k,
		ID:   o.ID, Kind: string(o.Kind), Handle: o.Handle, Name: o.Name, DisplayName: o.DisplayName,
		AvatarURL: o.AvatarURL, ContactName: o.ContactName, ContactEmail: o.ContactEmail,
		CompanyName: o.CompanyName, Visibility: string(o.SupportTicketVisibility),
		MembersCanInvite: o.MembersCanInvite, CreatedAt: o.CreatedAt,
		CreatedByID: o.CreatedBy.ID, CreatedByEmail: o.CreatedBy.Email,
		AdminCount: o.AdminCount, MemberCount: o.MemberCount,
		AuthResetAt: o.AuthResetAt, DeletedAt: o.DeletedAt,
		CustomRoles: CustomRoleItems(o.CustomRoles), RolesVersion: o.RolesVersion,
	}
	for _, c := range o.BillingContacts {
		it.BillingContacts = append(it.BillingContacts, contactItem(c))
	}
	it.provisioning(o)
	return it
}

func (it OrgItem) Org() orgs.Org {
	o := orgs.Org{
		ID: it.ID, Kind: orgs.Kind(it.Kind), Handle: it.Handle, Name: it.Name, DisplayName: it.DisplayName,
		AvatarURL: it.AvatarURL, ContactName: it.ContactName, ContactEmail: it.ContactEmail,
		CompanyName: it.CompanyName, SupportTicketVisibility: orgs.Visibility(it.Visibility),
		MembersCanInvite: it.MembersCanInvite, CreatedAt: it.CreatedAt,
		CreatedBy:  orgs.Person{ID: it.CreatedByID, Email: it.CreatedByEmail},
		AdminCount: it.AdminCount, MemberCount: it.MemberCount,
		AuthResetAt: it.AuthResetAt, DeletedAt: it.DeletedAt,
		CustomRoles: customRoleDefinitions(it.CustomRoles), RolesVersion: it.RolesVersion,
		RoleMembers: it.holders.members, RoleInvites: it.holders.invites,
	}
	for _, c := range it.BillingContacts {
		o.BillingContacts = append(o.BillingContacts, orgs.Contact(c))
	}
	it.provisioningOf(&o)
	return o
}

type HandleItem struct {
	dynamo.Keys
	OrgID string `dynamodbav:"orgId"`
}

func NewHandleItem(handle, orgID string) HandleItem {
	return HandleItem{Keys: dynamo.Keys{PK: dynamo.HandlePK(handle), SK: dynamo.SkHandle}, OrgID: orgID}
}
