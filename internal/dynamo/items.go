package dynamo

import (
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/vendorportal/orgs/internal/audit"
	"github.com/vendorportal/orgs/internal/orgs"
	"github.com/vendorportal/orgs/internal/roles"
)

// The items of the single table, by key:
//
//	ORG#<orgId>        META               the org (counters, auth epoch, deletion marker)
//	                                        GSI3 (deleted orgs only): PURGE#<day> / <deletedAt>#<orgId>
//	ORG#<orgId>        MEMBER#<userId>    a membership, the org's side
//	                                        GSI1: ORG#<orgId>#M / <email>#<userId>
//	                                        GSI2: ORG#<orgId>#M#<role> / <email>#<userId>
//	                                        GSI3: ORG#<orgId>#MS / <email>#<userId> (search)
//	ORG#<orgId>        MSEARCH#NAME#<userId>   a copy of the membership, found by name
//	                                        GSI3: ORG#<orgId>#MS / <lower-cased name>#<userId>
//	                                        GSI2: ORG#<orgId>#MS#<role> / <lower-cased name>#<userId>
//	ORG#<orgId>        MSEARCH#EMAIL#<userId>  a copy of the membership, found by email in a role
//	                                        GSI2: ORG#<orgId>#MS#<role> / <email>#<userId>
//	ORG#<orgId>        EMAIL#<email>      the guard: the address is a member's (→ userId)
//	ORG#<orgId>        INVITE#<inviteId>  an invite (times at fixed width: sortTime)
//	                                        GSI1: ORG#<orgId>#INV#<live|accepted|revoked> / <expiresAt>#<inviteId>
//	                                              (live: pending and expired, split by expiresAt)
//	                                        GSI3, pending only: DUE#INVITE#<yyyy-mm-dd> / <dueAt>#<orgId>#<inviteId>
//	ORG#<orgId>        INVITE_EMAIL#<email>  the guard: one pending invite per address (→ inviteId,
//	                                        expiresAt); an expired one gives way
//	INVITE_TOKEN#<sha256 hex> INVITE_TOKEN   an invite link's token, by hash (→ orgId, inviteId, email,
//	                                        role, expiresAt); replaced on resend
//	USER#<userId>      PROFILE            the user's profile
//	USER#<userId>      ORG#<orgId>        a membership, the user's side ("my orgs" is one Query)
//	USER#<userId>      EMAIL_CHANGE       a pending email change (token hash, new email, expiry)
//	HANDLE#<handle>    HANDLE             the guard that keeps a handle unique
//	ORG#<orgId>#EV     <eventId>          an event; event ids are ULIDs whose time part is
//	                                        occurredAt, so they sort by time and a date range
//	                                        is a key range (audit.Filter.IDRange)
//	                                        GSI1: ORG#<orgId>#EV#<category> / <eventId>
//	                                        search: audit.SearchText, for q (events.go)
const (
	SkMeta    = "META"
	SkProfile = "PROFILE"
	SkHandle  = "HANDLE"
)

// SkSCIMToken is the sort key of an org's SCIM token (scimdb), which resetting the org's
// authentication (tokensdb) deletes.
const SkSCIMToken = "SCIMTOKEN"

func OrgPK(id string) string        { return "ORG#" + id }
func MemberSK(userID string) string { return "MEMBER#" + userID }
func UserPK(id string) string       { return "USER#" + id }
func UserOrgSK(orgID string) string { return "ORG#" + orgID }
func HandlePK(h string) string      { return "HANDLE#" + h }
func EventPK(orgID string) string   { return "ORG#" + orgID + "#EV" }
func EventCatPK(orgID string, c audit.Category) string {
	return "ORG#" + orgID + "#EV#" + string(c)
}

// Keys is the primary key and index keys every item carries.
type Keys struct {
	PK     string
	SK     string
	GSI1PK string `dynamodbav:",omitempty"`
	GSI1SK string `dynamodbav:",omitempty"`
	GSI2PK string `dynamodbav:",omitempty"`
	GSI2SK string `dynamodbav:",omitempty"`
	GSI3PK string `dynamodbav:",omitempty"`
	GSI3SK string `dynamodbav:",omitempty"`
	TTL    int64  `dynamodbav:"ttl,omitempty"`
}

type MemberItem struct {
	Keys
	OrgID    string    `dynamodbav:"orgId"`
	UserID   string    `dynamodbav:"userId"`
	Email    string    `dynamodbav:"email"`
	Name     string    `dynamodbav:"name,omitempty"`
	Phone    string    `dynamodbav:"phone,omitempty"`
	Notify   string    `dynamodbav:"notifyEmail,omitempty"`
	Role     string    `dynamodbav:"role"`
	JoinedAt time.Time `dynamodbav:"joinedAt"`
	// UpdatedAt: the event time of the membership's last change (ChangeMember,
	// SCIMUpdateMember); absent until one.
	UpdatedAt  *time.Time     `dynamodbav:"updatedAt,omitempty"`
	Source     string         `dynamodbav:"source"`
	JobTitle   string         `dynamodbav:"jobTitle,omitempty"`
	Properties map[string]any `dynamodbav:"properties,omitempty"`
	Status     string         `dynamodbav:"status,omitempty"`
	// What SCIM keeps of a member it provisions (dynamo/scim.go).
	ExternalID string `dynamodbav:"externalId,omitempty"`
	GivenName  string `dynamodbav:"givenName,omitempty"`
	FamilyName string `dynamodbav:"familyName,omitempty"`
	// SeatLicenses: see licenses.go.
	SeatLicenses []string `dynamodbav:"seatLicenses,stringset,omitempty"`
	// TokensSince: orgs.Member.TokensSince.
	TokensSince time.Time `dynamodbav:"tokensSince,omitempty"`
}

func NewMemberItem(m orgs.Member) MemberItem {
	sortKey := strings.ToLower(m.Email) + "#" + m.UserID
	it := MemberItem{
		Keys: Keys{
			PK: OrgPK(m.OrgID), SK: MemberSK(m.UserID),
			GSI1PK: OrgPK(m.OrgID) + "#M", GSI1SK: sortKey,
			GSI2PK: MemberRolePK(m.OrgID, m.Role), GSI2SK: sortKey,
			GSI3PK: MemberSearchPK(m.OrgID), GSI3SK: sortKey,
		},
		OrgID: m.OrgID, UserID: m.UserID, Email: m.Email, Name: m.Name, Phone: m.Phone, Notify: m.NotifyEmail, Role: string(m.Role),
		JoinedAt: m.JoinedAt, Source: string(m.Source), JobTitle: m.JobTitle, Properties: m.Properties,
		Status: string(m.Status), ExternalID: m.ExternalID, GivenName: m.GivenName, FamilyName: m.FamilyName,
		SeatLicenses: m.Seats, TokensSince: m.TokensSince,
	}
	if !m.UpdatedAt.IsZero() {
		it.UpdatedAt = &m.UpdatedAt
	}
	return it
}

func (it MemberItem) Member() orgs.Member {
	m := orgs.Member{
		OrgID: it.OrgID, UserID: it.UserID, Email: it.Email, Name: it.Name, Phone: it.Phone, NotifyEmail: it.Notify, Role: roles.Role(it.Role),
		JoinedAt: it.JoinedAt, Source: orgs.Source(it.Source), JobTitle: it.JobTitle, Properties: it.Properties,
		Status: orgs.Status(it.Status), ExternalID: it.ExternalID, GivenName: it.GivenName, FamilyName: it.FamilyName,
		Seats: it.SeatLicenses, TokensSince: it.TokensSince,
	}
	if it.UpdatedAt != nil {
		m.UpdatedAt = *it.UpdatedAt
	}
	return m
}

// UserOrgItem is the user's side of a membership.
type UserOrgItem struct {
	Keys
	OrgID    string    `dynamodbav:"orgId"`
	Kind     string    `dynamodbav:"kind"`
	Role     string    `dynamodbav:"role"`
	JoinedAt time.Time `dynamodbav:"joinedAt"`
	// SeatLicenses is the member item's copy, so that deleting the account frees the seats
	// without reading each org's side.
	SeatLicenses []string `dynamodbav:"seatLicenses,stringset,omitempty"`
	Status       string   `dynamodbav:"status,omitempty"`
}

func NewUserOrgItem(m orgs.Member, kind orgs.Kind) UserOrgItem {
	return UserOrgItem{
		Keys:  Keys{PK: UserPK(m.UserID), SK: UserOrgSK(m.OrgID)},
		OrgID: m.OrgID, Kind: string(kind), Role: string(m.Role), JoinedAt: m.JoinedAt, Status: string(m.Status),
	}
}

type ProfileItem struct {
	Keys
	ID            string    `dynamodbav:"id"`
	Email         string    `dynamodbav:"email"`
	Name          string    `dynamodbav:"name,omitempty"`
	Phone         string    `dynamodbav:"phone,omitempty"`
	CreatedAt     time.Time `dynamodbav:"createdAt"`
	PersonalOrgID string    `dynamodbav:"personalOrgId"`
	EmailSetAt    time.Time `dynamodbav:"emailSetAt,omitempty"`
	Joins         int       `dynamodbav:"joins,omitempty"`
	// EmailUnverified is orgs.Profile's.
	EmailUnverified bool `dynamodbav:"emailUnverified,omitempty"`
	// CreatedByOrg is orgs.Profile's: written with the account, never changed.
	CreatedByOrg string `dynamodbav:"createdByOrg,omitempty"`
}

func NewProfileItem(p orgs.Profile) ProfileItem {
	return ProfileItem{
		Keys: Keys{PK: UserPK(p.ID), SK: SkProfile},
		ID:   p.ID, Email: p.Email, Name: p.Name, Phone: p.Phone, CreatedAt: p.CreatedAt,
		PersonalOrgID: p.PersonalOrgID, EmailSetAt: p.EmailSetAt, Joins: p.Joins, EmailUnverified: p.EmailUnverified,
		CreatedByOrg: p.CreatedByOrg,
	}
}

func (it ProfileItem) Profile() orgs.Profile {
	return orgs.Profile{ID: it.ID, Email: it.Email, Name: it.Name, Phone: it.Phone,
		CreatedAt: it.CreatedAt, PersonalOrgID: it.PersonalOrgID, EmailSetAt: it.EmailSetAt, Joins: it.Joins,
		EmailUnverified: it.EmailUnverified, CreatedByOrg: it.CreatedByOrg}
}

type eventItem struct {
	Keys
	ID         string         `dynamodbav:"id"`
	OrgID      string         `dynamodbav:"orgId"`
	Category   string         `dynamodbav:"category"`
	Action     string         `dynamodbav:"action"`
	OccurredAt time.Time      `dynamodbav:"occurredAt"`
	Actor      audit.Actor    `dynamodbav:"actor"`
	Target     audit.Target   `dynamodbav:"target"`
	IP         string         `dynamodbav:"ip,omitempty"`
	UserAgent  string         `dynamodbav:"userAgent,omitempty"`
	Summary    string         `dynamodbav:"summary"`
	Details    map[string]any `dynamodbav:"details"`
	// Search is audit.SearchText of the event: a lower-cased copy for case-insensitive q.
	Search string `dynamodbav:"search"`
}

func NewEventItem(e audit.Event) eventItem {
	return eventItem{
		Keys: Keys{
			PK: EventPK(e.OrgID), SK: e.ID,
			GSI1PK: EventCatPK(e.OrgID, e.Category), GSI1SK: e.ID,
		},
		ID: e.ID, OrgID: e.OrgID, Category: string(e.Category), Action: e.Action,
		OccurredAt: e.OccurredAt, Actor: e.Actor, Target: e.Target, IP: e.IP,
		UserAgent: e.UserAgent, Summary: e.Summary, Details: e.Details, Search: audit.SearchText(e),
	}
}

// MarshalMap marshals an item; zero times tagged omitempty are left out rather than written
// as year 1, so that attribute_not_exists conditions on them hold.
func MarshalMap(item any) (map[string]types.AttributeValue, error) {
	return attributevalue.MarshalMapWithOptions(item, func(o *attributevalue.EncoderOptions) { o.OmitEmptyTime = true })
}
