package scim

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/vendorportal/orgs/internal/apperr"
	"github.com/vendorportal/orgs/internal/audit"
	"github.com/vendorportal/orgs/internal/members"
	"github.com/vendorportal/orgs/internal/orgs"
	"github.com/vendorportal/orgs/internal/paging"
	"github.com/vendorportal/orgs/internal/provisioning"
	"github.com/vendorportal/orgs/internal/roles"
)

// TokenPrefix starts every SCIM token.
const TokenPrefix = "scim_"

// Context is what a SCIM request reads first, in one round trip: the org its token names, the
// token's hash and maker, the maker's membership, and the members the request is about.
type Context struct {
	Org       orgs.Org
	TokenHash string
	// TokenMaker is the user id of the member who made the token, as the token item records
	// it: a token naming another maker was not made here. The maker's standing is not
	// read: the token is the org's credential, not theirs.
	TokenMaker string
	// TokenCreatedAt is when the token was made.
	TokenCreatedAt time.Time
	Members        map[string]orgs.Member
	// ExternalUserID is the member an externalId lookup named ("" when none).
	ExternalUserID string
}

// MemberWrite changes what SCIM keeps of a member.
type MemberWrite struct {
	OrgID  string
	Before orgs.Member
	After  orgs.Member
	Event  audit.Event
}

// Store is the persistence SCIM needs.
type Store interface {
	// SCIMContext reads the org, its SCIM token's hash and maker, the members among userIDs
	// and the member an external id names, in one round trip.
	// The caller names at most MembersReadWithToken userIDs, so that the read stays one round
	// trip (the token is checked before any read that grows with the request).
	SCIMContext(ctx context.Context, orgID string, userIDs []string, externalID string) (Context, error)
	// SCIMMembers reads the org's members among userIDs (those that are no member are left
	// out): the rest of what a request names, once its token has been found good.
	SCIMMembers(ctx context.Context, orgID string, userIDs []string) (map[string]orgs.Member, error)
	// MemberByEmail finds the member with the sign-in address (nil when none), in one Query.
	MemberByEmail(ctx context.Context, orgID, email string) (*orgs.Member, error)
	// Members is one page of the org's members (members.Store).
	Members(ctx context.Context, orgID string, f members.Filter, p paging.Request) (members.Page, error)
	// ChangeMember changes a member's role (members.Store), with the last-admin rule.
	ChangeMember(ctx context.Context, w members.Write) error
	// RemoveMember removes a member (members.Store).
	RemoveMember(ctx context.Context, w members.Write) error
	// SCIMUpdateMember writes status, external id, name parts, name and phone.
	SCIMUpdateMember(ctx context.Context, w MemberWrite) error
	// SetSCIMToken makes hash the org's only SCIM token, on condition that the actor is still
	// as read (orgs.Acting: an active member in that role, the custom roles unchanged).
	SetSCIMToken(ctx context.Context, actor orgs.Acting, orgID, hash, createdBy string, at, resetAsRead time.Time, ev audit.Event) error
	// RevokeSCIMToken deletes the org's SCIM token, on the same condition; NotFound when
	// there is none.
	RevokeSCIMToken(ctx context.Context, actor orgs.Acting, orgID string, ev audit.Event) error
}

// Creator makes users (package provisioning's direct creation, with source scim).
type Creator interface {
	CreateFromSCIM(ctx context.Context, org orgs.Org, in provisioning.UserInput, actor audit.Actor, extra func(*orgs.Member)) (orgs.Member, error)
}

// Service runs SCIM requests for the org a token names.
type Service struct {
	Store Store
	// Creator makes users; only the function of POST /Users has one.
	Creator Creator
	Now     func() time.Time
	NewID   func() string
	// BaseURL is where the SCIM API is served, e.g. https://api.example.com/v1/scim/v2.
	BaseURL string
	// GroupMemberLimit and GroupMemberPage bound a group read (0: the defaults, see
	// DefaultGroupMemberLimit).
	GroupMemberLimit int
	GroupMemberPage  int
}

// NewToken makes a token for the org, made by the member makerID: it names the org and its
// maker (so that its first read finds both: scim_<orgId>_<makerId>_<secret>) and carries 256
// random bits. The hash covers the whole token, so neither name can be changed.
func NewToken(orgID, makerID string) (token, hash string) {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	token = TokenPrefix + orgID + "_" + makerID + "_" + base64.RawURLEncoding.EncodeToString(b)
	return token, HashToken(token)
}

// HashToken is what the table keeps of a token.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// secretLength is the length of a token's secret part: 32 bytes in unpadded base64url.
const secretLength = 43

// OrgOf returns the org id a token names, or "" for a string that is no SCIM token.
func OrgOf(token string) string {
	org, _ := parseToken(token)
	return org
}

// parseToken returns the org id and the maker's user id a token names. A token made before
// tokens named their maker (scim_<orgId>_<secret>) has maker ""; a string that is no SCIM
// token has org "". The secret is the last 43 characters (base64url, so it may hold "_"
// itself); an org id holds no "_".
func parseToken(token string) (org, maker string) {
	rest, ok := strings.CutPrefix(token, TokenPrefix)
	if !ok {
		return "", ""
	}
	org, rest, ok = strings.Cut(rest, "_")
	if !ok || org == "" || len(org) > 64 || len(rest) < secretLength {
		return "", ""
	}
	if len(rest) == secretLength {
		return org, ""
	}
	maker, ok = strings.CutSuffix(rest[:len(rest)-secretLength], "_")
	if !ok || maker == "" || len(maker) > 128 {
		return "", ""
	}
	return org, maker
}

// Session is an authenticated SCIM request: its org and what was read with it.
type Session struct {
	Context
	TokenID string
}

func (s Session) actor() audit.Actor {
	return audit.Actor{Type: audit.ActorToken, ID: s.TokenID, Email: ""}
}

// MembersReadWithToken is how many of the members a request names are read in the same round
// trip as its token (what one BatchGetItem takes beside the org, the token and an external
// id, with room to spare). The rest are read only after the token is found good: a forged or revoked
// token costs one round trip whatever the body names.
const MembersReadWithToken = 96

// MaxGroupPatchMembers is the most members one group PATCH may name (400 beyond).
const MaxGroupPatchMembers = 1_000

// UserRead asks the SCIM sign-in (SignIn) to read the org's member ID with the token, in the
// same round trip: a SCIM user's id is the member's userId. The member, when there is one, is
// in Session.Members. A route declares it (httpapi.Route.Reads) for what it acts on.
type UserRead struct{ ID string }

// ExternalIDRead asks the SCIM sign-in to read, with the token, the hint of which member the
// identity provider's externalId ID names: Session.ExternalUserID, checked against the member
// when ListUsers reads them.
type ExternalIDRead struct{ ID string }

// SignIn is the authentication of the SCIM routes (httpapi's SCIM auth kind): the glue calls
// it with the bearer token before the request's body is decoded, and with what the route
// declares it acts on (UserRead, ExternalIDRead), which is read with the token (Authenticate).
func (s *Service) SignIn(ctx context.Context, token string, reads []orgs.Read) (Session, error) {
	var userIDs []string
	var externalID string
	for _, r := range reads {
		switch r := r.(type) {
		case UserRead:
			userIDs = append(userIDs, r.ID)
		case ExternalIDRead:
			externalID = r.ID
		default:
			return Session{}, fmt.Errorf("scim: the sign-in reads no %T", r)
		}
	}
	return s.Authenticate(ctx, token, userIDs, externalID)
}

// Authenticate checks a bearer token and reads the org it names with the members the request
// is about: one round trip for up to MembersReadWithToken members, and the others (in further
// round trips) only once the token is good. The token is the org's credential, not its
// maker's (API.md, SCIM): only making the maker may grant admin (mayMakeToken); once made, it
// survives its maker's demotion, suspension or removal, and only its deletion, a new token or
// the org's authentication reset end it. Any failure is the same 401.
func (s *Service) Authenticate(ctx context.Context, token string, userIDs []string, externalID string) (Session, error) {
	orgID, maker := parseToken(token)
	if orgID == "" {
		return Session{}, Errorf(apperr.Unauthenticated, "", "a valid SCIM bearer token is required")
	}
	first, rest := splitIDs(userIDs, MembersReadWithToken)
	c, err := s.Store.SCIMContext(ctx, orgID, first, externalID)
	if err != nil {
		return Session{}, err
	}
	h := HashToken(token)
	if c.Org.ID == "" || c.Org.Deleted() || c.TokenHash == "" || subtle.ConstantTimeCompare([]byte(h), []byte(c.TokenHash)) != 1 {
		return Session{}, Errorf(apperr.Unauthenticated, "", "a valid SCIM bearer token is required")
	}
	if !c.Org.AuthResetAt.IsZero() && c.TokenCreatedAt.Before(c.Org.AuthResetAt) {
		// Made by a request that began before the org's authentication reset (the write's
		// condition refuses that too; this covers tokens written before it did).
		return Session{}, Errorf(apperr.Unauthenticated, "", "a valid SCIM bearer token is required")
	}
	if maker != "" && maker != c.TokenMaker {
		// The hash matched, so the token is the one made: a different recorded maker means a
		// table edited by hand. Refused rather than trusted.
		return Session{}, Errorf(apperr.Unauthenticated, "", "a valid SCIM bearer token is required")
	}
	if len(rest) > 0 {
		more, err := s.Store.SCIMMembers(ctx, orgID, rest)
		if err != nil {
			return Session{}, err
		}
		for id, m := range more {
			c.Members[id] = m
		}
	}
	return Session{Context: c, TokenID: "scim:" + h[:12]}, nil
}

// splitIDs returns the distinct ids, the first n of them apart from the others.
func splitIDs(ids []string, n int) (first, rest []string) {
	seen := make(map[string]bool, len(ids))
	for _, id := range ids {
		if seen[id] {
			continue
		}
		seen[id] = true
		if len(first) < n {
			first = append(first, id)
		} else {
			rest = append(rest, id)
		}
	}
	return first, rest
}

// mayMakeToken is the standing making a SCIM token needs.
func mayMakeToken(a orgs.Access) error {
	if !a.Allows(roles.SettingsManage) {
		return apperr.New(apperr.Forbidden, "managing the SCIM token needs settings.manage")
	}
	// Whoever holds the token may give any member any role, admin included (a group PATCH):
	// making one needs the standing to grant admin, or a custom role holding settings.manage
	// would be a way to make oneself admin.
	if !a.CanAssign(roles.Admin) {
		return apperr.New(apperr.Forbidden, "the SCIM token can make any member admin: only a member whose role may grant the admin role may make one")
	}
	return nil
}

// roleName names a role among the org's, for group displays: its name (Admin, a custom
// role's), as the portal shows it; the id for a role the org no longer has.
func roleName(o orgs.Org) RoleName {
	return func(id string) string {
		if d, ok := o.Role(roles.Role(id)); ok && d.Name != "" {
			return d.Name
		}
		return id
	}
}

// GetUser returns the member with id as a user.
func (s *Service) GetUser(ses Session, id string) (User, error) {
	m, ok := ses.Members[id]
	if !ok {
		return User{}, Errorf(apperr.NotFound, "", "no user %s in this organization", id)
	}
	return UserOf(m, s.BaseURL, roleName(ses.Org)), nil
}

// ListUsers answers GET /Users: a filter is one lookup; without one, the org's members in
// address order from startIndex (1-based) for count.
func (s *Service) ListUsers(ctx context.Context, ses Session, f Lookup, startIndex, count int) (ListResponse[User], error) {
	if startIndex < 1 {
		startIndex = 1
	}
	if count < 0 {
		count = 0
	}
	count = min(count, MaxResults)
	var found []User
	switch {
	case f.Email != "":
		m, err := s.Store.MemberByEmail(ctx, ses.Org.ID, f.Email)
		if err != nil {
			return ListResponse[User]{}, err
		}
		if m != nil {
			found = append(found, UserOf(*m, s.BaseURL, roleName(ses.Org)))
		}
	case f.ExternalID != "" || f.ID != "":
		id := f.ID
		if id == "" {
			id = ses.ExternalUserID
		}
		m, ok := ses.Members[id]
		if !ok && f.ID == "" && id != "" {
			// The external id's hint named a member the sign-in did not read: read it (the one
			// extra Get of this filter). The filter's match below checks the hint.
			more, err := s.Store.SCIMMembers(ctx, ses.Org.ID, []string{id})
			if err != nil {
				return ListResponse[User]{}, err
			}
			m, ok = more[id]
		}
		if ok {
			found = append(found, UserOf(m, s.BaseURL, roleName(ses.Org)))
		}
	default:
		// Members in order, the page after the first startIndex-1: SCIM pages by index. A page
		// past the org's members (or none asked for) reads nothing: only a page among them costs
		// the reads of the members before it.
		if count == 0 || startIndex > ses.Org.MemberCount {
			return NewList([]User{}, startIndex, ses.Org.MemberCount), nil
		}
		want := startIndex - 1 + count
		var all []orgs.Member
		p := paging.Request{Limit: paging.MaxLimit}
		for len(all) < want {
			page, err := s.Store.Members(ctx, ses.Org.ID, members.Filter{}, p)
			if err != nil {
				return ListResponse[User]{}, err
			}
			all = append(all, page.Members...)
			if page.Next == "" {
				break
			}
			p.After = page.Next
		}
		total := len(all)
		if len(all) >= want && ses.Org.MemberCount > total {
			total = ses.Org.MemberCount
		}
		var out []User
		for i := startIndex - 1; i < len(all) && i < want; i++ {
			out = append(out, UserOf(all[i], s.BaseURL, roleName(ses.Org)))
		}
		return NewList(out, startIndex, total), nil
	}
	var out []User
	for _, u := range found {
		if f.Match(u) {
			out = append(out, u)
		}
	}
	if startIndex > 1 || count == 0 {
		return NewList([]User{}, startIndex, len(out)), nil
	}
	return NewList(out, startIndex, len(out)), nil
}

// PatchUser applies a PATCH to the member with id.
func (s *Service) PatchUser(ctx context.Context, ses Session, id string, req PatchRequest) (User, error) {
	m, ok := ses.Members[id]
	if !ok {
		return User{}, Errorf(apperr.NotFound, "", "no user %s in this organization", id)
	}
	ch, err := ParseUserPatch(req)
	if err != nil {
		return User{}, err
	}
	after, err := s.update(ctx, ses, m, ch)
	if err != nil {
		return User{}, err
	}
	return UserOf(after, s.BaseURL, roleName(ses.Org)), nil
}

// ReplaceUser applies a PUT: the attributes it carries replace the member's.
func (s *Service) ReplaceUser(ctx context.Context, ses Session, id string, in UserInput) (User, error) {
	m, ok := ses.Members[id]
	if !ok {
		return User{}, Errorf(apperr.NotFound, "", "no user %s in this organization", id)
	}
	active := in.active()
	ch := UserChange{
		Active: &active, GivenName: &in.Name.GivenName, FamilyName: &in.Name.FamilyName, Formatted: &in.Name.Formatted,
		Display: &in.DisplayName, ExternalID: &in.ExternalID, Phone: strPtr(in.phone()), UserName: &in.UserName,
	}
	after, err := s.update(ctx, ses, m, ch)
	if err != nil {
		return User{}, err
	}
	return UserOf(after, s.BaseURL, roleName(ses.Org)), nil
}

// update writes a change of what SCIM keeps of m: one transaction with one event, the one that
// says what happened (suspended, reactivated, or updated).
func (s *Service) update(ctx context.Context, ses Session, m orgs.Member, ch UserChange) (orgs.Member, error) {
	if ch.UserName != nil && !strings.EqualFold(strings.TrimSpace(*ch.UserName), m.Email) {
		return orgs.Member{}, Errorf(apperr.Invalid, "mutability", "userName is the member's sign-in address and can't change through SCIM (remove and create the user instead)")
	}
	after := m
	set := func(dst *string, v *string, max int, field string) error {
		if v == nil {
			return nil
		}
		t, err := cleanText(field, *v, max)
		*dst = t
		return err
	}
	formatted, display := "", after.Name
	for _, f := range []struct {
		dst   *string
		v     *string
		max   int
		field string
	}{
		{&after.GivenName, ch.GivenName, orgs.MaxPersonName, "name.givenName"}, {&after.FamilyName, ch.FamilyName, orgs.MaxPersonName, "name.familyName"},
		{&formatted, ch.Formatted, orgs.MaxPersonName, "name.formatted"}, {&display, ch.Display, orgs.MaxPersonName, "displayName"},
		{&after.ExternalID, ch.ExternalID, 128, "externalId"}, {&after.Phone, ch.Phone, 32, "phoneNumbers"},
	} {
		if err := set(f.dst, f.v, f.max, f.field); err != nil {
			return orgs.Member{}, err
		}
	}
	if ch.GivenName != nil || ch.FamilyName != nil || ch.Formatted != nil || ch.Display != nil {
		if n := fullName(Name{GivenName: after.GivenName, FamilyName: after.FamilyName, Formatted: formatted}, display); n != "" {
			if err := set(&after.Name, &n, orgs.MaxPersonName, "name"); err != nil {
				return orgs.Member{}, err
			}
		}
	}
	action, summary := "member.updated", fmt.Sprintf("The identity provider updated %s", m.Email)
	if ch.Active != nil {
		switch {
		case !*ch.Active && !m.Suspended():
			after.Status = orgs.StatusSuspended
			action, summary = "member.suspended", fmt.Sprintf("The identity provider suspended %s", m.Email)
		case *ch.Active && m.Suspended():
			after.Status = orgs.StatusActive
			action, summary = "member.reactivated", fmt.Sprintf("The identity provider reactivated %s", m.Email)
		}
	}
	if sameSCIM(m, after) {
		return m, nil // nothing changes: nothing is written or logged
	}
	ev := s.event(ctx, ses, action, m, summary)
	err := s.Store.SCIMUpdateMember(ctx, MemberWrite{OrgID: ses.Org.ID, Before: m, After: after, Event: ev})
	if errors.Is(err, orgs.ErrLastAdmin) {
		return orgs.Member{}, lastAdmin(m, "suspending")
	}
	if err != nil {
		return orgs.Member{}, err
	}
	return after, nil
}

func sameSCIM(a, b orgs.Member) bool {
	return a.Status == b.Status && a.ExternalID == b.ExternalID && a.GivenName == b.GivenName &&
		a.FamilyName == b.FamilyName && a.Name == b.Name && a.Phone == b.Phone
}

// CreateUser answers POST /Users: the member is made as a direct creation makes one (role
// user, a generated password emailed, an address in the org's verified domains that already
// has an account added as it is), then suspended at once when the body says active: false.
func (s *Service) CreateUser(ctx context.Context, ses Session, in UserInput) (User, error) {
	email := strings.TrimSpace(in.UserName)
	if email == "" && len(in.Emails) > 0 {
		email = in.Emails[0].Value
	}
	if email == "" {
		return User{}, Errorf(apperr.Invalid, "invalidValue", "userName (the sign-in email) is required")
	}
	var err error
	for _, f := range []struct {
		v     *string
		max   int
		field string
	}{
		{&in.Name.GivenName, orgs.MaxPersonName, "name.givenName"}, {&in.Name.FamilyName, orgs.MaxPersonName, "name.familyName"},
		{&in.Name.Formatted, orgs.MaxPersonName, "name.formatted"}, {&in.DisplayName, orgs.MaxPersonName, "displayName"},
		{&in.ExternalID, 128, "externalId"},
	} {
		if *f.v, err = cleanText(f.field, *f.v, f.max); err != nil {
			return User{}, err
		}
	}
	name, err := cleanText("name", fullName(in.Name, in.DisplayName), orgs.MaxPersonName)
	if err != nil {
		return User{}, err
	}
	m, err := s.Creator.CreateFromSCIM(ctx, ses.Org, provisioning.UserInput{Email: email, Name: name, Phone: in.phone(), Role: string(roles.User)},
		ses.actor(), func(m *orgs.Member) {
			m.ExternalID, m.GivenName, m.FamilyName = in.ExternalID, in.Name.GivenName, in.Name.FamilyName
		})
	switch {
	case apperr.KindOf(err) == apperr.Conflict:
		return User{}, Errorf(apperr.Conflict, "uniqueness", "%s", apperr.MessageOf(err))
	case apperr.KindOf(err) == apperr.Invalid:
		return User{}, Errorf(apperr.Invalid, "invalidValue", "%s", apperr.MessageOf(err))
	case err != nil:
		return User{}, err
	}
	if !in.active() {
		f := false
		if m, err = s.update(ctx, ses, m, UserChange{Active: &f}); err != nil {
			return User{}, err
		}
	}
	return UserOf(m, s.BaseURL, roleName(ses.Org)), nil
}

// cleanText passes a SCIM text attribute through the service's one text cleaner
// (orgs.CleanText: trimmed, NFC, at most max characters, no control, bidi-override or
// zero-width characters), answering SCIM's 400 invalidValue for what it refuses.
func cleanText(field, s string, max int) (string, error) {
	t, err := orgs.CleanText(field, s, max, false)
	if err != nil {
		return "", Errorf(apperr.Invalid, "invalidValue", "%s", apperr.MessageOf(err))
	}
	return t, nil
}

// DeleteUser removes the member with id from the org.
func (s *Service) DeleteUser(ctx context.Context, ses Session, id string) error {
	m, ok := ses.Members[id]
	if !ok {
		return Errorf(apperr.NotFound, "", "no user %s in this organization", id)
	}
	ev := s.event(ctx, ses, "member.removed", m, fmt.Sprintf("The identity provider removed %s", m.Email))
	err := s.Store.RemoveMember(ctx, members.Write{OrgID: ses.Org.ID, Before: m, Event: ev})
	if errors.Is(err, orgs.ErrLastAdmin) {
		return lastAdmin(m, "removing")
	}
	return err
}

// lastAdmin is the 409 of a change that would leave the org without an admin who can act.
// RFC 7644 §3.12 has no scimType for it (uniqueness is for values), so none is given.
func lastAdmin(m orgs.Member, doing string) error {
	return Errorf(apperr.Conflict, "", "%s is the organization's last active admin: make another member admin (add them to the admin group) before %s this one", m.Email, doing)
}

// SetRole gives the member the role (a group membership change), with the last-admin rule.
func (s *Service) SetRole(ctx context.Context, ses Session, m orgs.Member, role roles.Role) error {
	if m.Role == role {
		return nil
	}
	after := m
	after.Role = role
	ev := s.event(ctx, ses, "member.role_changed", m, fmt.Sprintf("The identity provider made %s %s", m.Email, role))
	ev.Details["from"], ev.Details["to"] = string(m.Role), string(role)
	// No member acts: the write holds while the org's custom roles are as read, when one of
	// the two roles is custom.
	check := orgs.RolesCheck{Needed: m.Role.Custom() || role.Custom(), Version: ses.Org.RolesVersion}
	err := s.Store.ChangeMember(ctx, members.Write{OrgID: ses.Org.ID, Before: m, After: after, Event: ev, Roles: check})
	if errors.Is(err, orgs.ErrLastAdmin) {
		return Errorf(apperr.Conflict, "", "%s is the organization's last active admin: make another member admin (add them to the admin group) first", m.Email)
	}
	return err
}

func (s *Service) event(ctx context.Context, ses Session, action string, m orgs.Member, summary string) audit.Event {
	ev := audit.Event{
		OrgID: ses.Org.ID, Category: audit.Organization, Action: action, Actor: ses.actor(),
		Target:  audit.Target{Type: "member", ID: m.UserID, Label: m.Email},
		Summary: summary,
	}
	ev.Stamp(ctx, s.NewID(), s.Now())
	return ev
}

// TokenAdmin makes and revokes an org's SCIM token, as an admin in the portal.
type TokenAdmin struct {
	Store Store
	Now   func() time.Time
	NewID func() string
}

// Create makes a new token for the org, replacing the previous one at once; the token is
// returned once and never stored.
func (t *TokenAdmin) Create(ctx context.Context, a orgs.Access) (string, time.Time, error) {
	if err := mayMakeToken(a); err != nil {
		return "", time.Time{}, err
	}
	token, hash := NewToken(a.Org.ID, a.Member.UserID)
	now := t.Now()
	ev := t.event(ctx, a, "scim_token.created", "SCIM token created by "+a.Member.Email, now)
	if err := t.Store.SetSCIMToken(ctx, a.Acting(), a.Org.ID, hash, a.Member.UserID, now, a.Org.AuthResetAt, ev); err != nil {
		return "", time.Time{}, err
	}
	return token, now, nil
}

// Revoke deletes the org's token: SCIM calls with it get 401.
func (t *TokenAdmin) Revoke(ctx context.Context, a orgs.Access) error {
	now := t.Now()
	ev := t.event(ctx, a, "scim_token.revoked", "SCIM token revoked by "+a.Member.Email, now)
	return t.Store.RevokeSCIMToken(ctx, a.Acting(), a.Org.ID, ev)
}

func (t *TokenAdmin) event(ctx context.Context, a orgs.Access, action, summary string, now time.Time) audit.Event {
	ev := audit.Event{
		OrgID: a.Org.ID, Category: audit.Security, Action: action,
		Actor:   audit.Actor{Type: audit.ActorUser, ID: a.Member.UserID, Email: a.Member.Email},
		Target:  audit.Target{Type: "scim_token", ID: a.Org.ID, Label: a.Org.Name},
		Summary: summary,
	}
	ev.Stamp(ctx, t.NewID(), now)
	return ev
}

// UserInput is a user resource as a client sends it (POST, PUT).
type UserInput struct {
	Schemas      []string       `json:"schemas"`
	ExternalID   string         `json:"externalId"`
	UserName     string         `json:"userName"`
	Name         Name           `json:"name"`
	DisplayName  string         `json:"displayName"`
	Emails       []MultiValue   `json:"emails"`
	PhoneNumbers []MultiValue   `json:"phoneNumbers"`
	Active       *ActiveValue   `json:"active"`
	Groups       []MultiValue   `json:"groups"`
	Extra        map[string]any `json:"-"`
}

func (in UserInput) active() bool { return in.Active == nil || bool(*in.Active) }

func (in UserInput) phone() string {
	if len(in.PhoneNumbers) == 0 {
		return ""
	}
	return in.PhoneNumbers[0].Value
}

// ActiveValue is a SCIM boolean that also takes "True"/"False".
type ActiveValue bool

// UnmarshalJSON implements json.Unmarshaler.
func (a *ActiveValue) UnmarshalJSON(b []byte) error {
	v, err := boolValue(b)
	*a = ActiveValue(v)
	return err
}
