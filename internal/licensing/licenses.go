package licensing

import (
	"context"
	"fmt"
	"time"

	"github.com/vendorportal/orgs/internal/apperr"
	"github.com/vendorportal/orgs/internal/audit"
	"github.com/vendorportal/orgs/internal/orgs"
	"github.com/vendorportal/orgs/internal/paging"
	"github.com/vendorportal/orgs/internal/roles"
)

// GrantInput is a license as an operator grants it. Nil times and limits are unset: StartsAt
// defaults to now, EndsAt to no end, the limits to unlimited.
type GrantInput struct {
	ProductID string
	Type      Type
	StartsAt  *time.Time
	EndsAt    *time.Time
	NodeLimit *int
	SeatLimit *int
}

// Grant gives an org a license of a catalog product: an operator's action, logged in the
// org's log as license.granted.
func (s *Service) Grant(ctx context.Context, c orgs.Caller, orgID string, in GrantInput) (License, error) {
	if !validID(orgID) {
		return License{}, ErrOrgGone
	}
	if !ValidProductID(in.ProductID) {
		return License{}, apperr.New(apperr.Invalid, "productId must match ^[a-z0-9][a-z0-9-]{1,62}$")
	}
	if !in.Type.Valid() {
		return License{}, apperr.New(apperr.Invalid, "type must be one of trial, free, developer, enterprise")
	}
	now := s.Now()
	l := License{ID: s.NewID(), OrgID: orgID, ProductID: in.ProductID, Type: in.Type, StartsAt: now,
		NodeLimit: in.NodeLimit, SeatLimit: in.SeatLimit, CreatedAt: now, CreatedBy: orgs.Person{ID: c.ID, Email: c.Email}}
	if in.StartsAt != nil {
		l.StartsAt = in.StartsAt.UTC()
	}
	if in.EndsAt != nil {
		l.EndsAt = in.EndsAt.UTC()
	}
	if err := validTerms(l); err != nil {
		return License{}, err
	}
	p, err := s.Store.Product(ctx, in.ProductID)
	if err != nil {
		return License{}, err
	}
	l.ProductName, l.Availability = p.Name, p.Availability
	l.DueAt = NextDue(l, now)
	ev := s.event(ctx, l, operator(c), "license.granted",
		fmt.Sprintf("%s granted a %s license of %s (%s to %s)", who(operator(c)), l.Type, l.ProductName, dateText(l.StartsAt), dateText(l.EndsAt)),
		map[string]any{"productId": l.ProductID, "type": string(l.Type), "startsAt": dateText(l.StartsAt), "endsAt": endsAtDetail(l.EndsAt),
			"nodeLimit": limitText(l.NodeLimit), "seatLimit": limitText(l.SeatLimit)})
	if err := s.Store.GrantLicense(ctx, l, ev); err != nil {
		return License{}, err
	}
	return l, nil
}

func endsAtDetail(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Format(time.RFC3339)
}

// validTerms checks the times and limits of a license.
func validTerms(l License) error {
	switch {
	case !l.EndsAt.IsZero() && !l.EndsAt.After(l.StartsAt):
		return apperr.New(apperr.Invalid, "endsAt must be after startsAt")
	case l.NodeLimit != nil && (*l.NodeLimit < 0 || *l.NodeLimit > MaxNodeLimit):
		return apperr.New(apperr.Invalid, "nodeLimit must be from 0 to %d, or null for no limit", MaxNodeLimit)
	case l.SeatLimit != nil && (*l.SeatLimit < 0 || *l.SeatLimit > MaxSeatLimit):
		return apperr.New(apperr.Invalid, "seatLimit must be from 0 to %d, or null for every member", MaxSeatLimit)
	}
	return nil
}

// Change is what an operator's PATCH may change; unset fields stay as they are. SetX tells a
// field given as null (clear it) from an absent one.
type Change struct {
	EndsAt       *time.Time
	SetEndsAt    bool
	NodeLimit    *int
	SetNodeLimit bool
	SeatLimit    *int
	SetSeatLimit bool
	Revoke       bool
}

// Update changes a license's end, limits, or revokes it: license.updated or license.revoked in
// the org's log. A revoked license can't change (409); the seat limit can't go below the seats
// in use (409), also when a seat is taken while the change is made.
func (s *Service) Update(ctx context.Context, c orgs.Caller, orgID, licenseID string, ch Change) (License, error) {
	if !validID(orgID) || !validID(licenseID) {
		return License{}, apperr.New(apperr.NotFound, "license not found")
	}
	if !ch.SetEndsAt && !ch.SetNodeLimit && !ch.SetSeatLimit && !ch.Revoke {
		return License{}, apperr.New(apperr.Invalid, "give endsAt, nodeLimit, seatLimit and/or status")
	}
	before, err := s.Store.License(ctx, orgID, licenseID)
	if err != nil {
		return License{}, err
	}
	if before.Status(s.Now()) == Revoked {
		return License{}, apperr.New(apperr.Conflict, "the license is revoked; grant a new one")
	}
	after := before
	after.Version++
	changed := map[string]any{}
	if ch.SetEndsAt {
		after.EndsAt = time.Time{}
		if ch.EndsAt != nil {
			after.EndsAt = ch.EndsAt.UTC()
		}
		if !after.EndsAt.Equal(before.EndsAt) {
			changed["endsAt"] = map[string]any{"from": endsAtDetail(before.EndsAt), "to": endsAtDetail(after.EndsAt)}
			// The expiry the job recorded no longer holds; the notices re-arm by themselves
			// (they are kept per endsAt).
			after.ExpiredAt = time.Time{}
		}
	}
	if ch.SetNodeLimit {
		after.NodeLimit = ch.NodeLimit
		changed["nodeLimit"] = map[string]any{"from": limitText(before.NodeLimit), "to": limitText(after.NodeLimit)}
	}
	if ch.SetSeatLimit {
		after.SeatLimit = ch.SeatLimit
		changed["seatLimit"] = map[string]any{"from": limitText(before.SeatLimit), "to": limitText(after.SeatLimit)}
		switch {
		case after.SeatLimit == nil && before.SeatsUsed > 0:
			return License{}, apperr.New(apperr.Conflict, "%d seats are in use: free them before taking the seat limit away", before.SeatsUsed)
		case after.SeatLimit != nil && *after.SeatLimit < before.SeatsUsed:
			return License{}, apperr.New(apperr.Conflict, "%d seats are in use, more than %d: free seats first", before.SeatsUsed, *after.SeatLimit)
		}
	}
	if err := validTerms(after); err != nil {
		return License{}, err
	}
	action, summary := "license.updated", fmt.Sprintf("%s changed the %s license of %s", who(operator(c)), before.Type, before.ProductName)
	if ch.Revoke {
		after.RevokedAt = s.Now()
		action, summary = "license.revoked", fmt.Sprintf("%s revoked the %s license of %s", who(operator(c)), before.Type, before.ProductName)
		changed["status"] = map[string]any{"from": string(before.Status(s.Now())), "to": string(Revoked)}
	}
	after.DueAt = NextDue(after, s.Now())
	ev := s.event(ctx, after, operator(c), action, summary, changed)
	if err := s.Store.UpdateLicense(ctx, before, after, ev); err != nil {
		return License{}, err
	}
	return after, nil
}

// TrialInput is a self-service trial request.
type TrialInput struct {
	ProductID        string
	AgreementVersion string
}

// StartTrial starts the org's trial of a catalog product on the member's acceptance of the
// Master Service Agreement: one per product per org, ever, and one per product per accepting
// user across all their orgs; never in a personal account.
func (s *Service) StartTrial(ctx context.Context, a orgs.Access, in TrialInput) (License, error) {
	if !ValidProductID(in.ProductID) {
		return License{}, apperr.New(apperr.Invalid, "productId must match ^[a-z0-9][a-z0-9-]{1,62}$")
	}
	version, err := cleanText("agreementVersion", in.AgreementVersion, 40, true)
	if err != nil {
		return License{}, apperr.New(apperr.Invalid, "agreementVersion is required: the version of the Master Service Agreement you accept (%s)", apperr.MessageOf(err))
	}
	if a.Org.Kind == orgs.Personal {
		return License{}, apperr.New(apperr.Conflict, "trials are for shared organizations, not a personal account: create an organization first")
	}
	p, err := s.productOf(ctx, a, in.ProductID)
	if err != nil {
		return License{}, err
	}
	if p.Trial == nil {
		return License{}, apperr.New(apperr.Invalid, "%s has no self-service trial", p.Name)
	}
	if p.AgreementVersion != "" && p.AgreementVersion != version {
		return License{}, apperr.New(apperr.Invalid, "%s's trial needs the Master Service Agreement version %s, not %s", p.Name, p.AgreementVersion, version)
	}
	now := s.Now()
	by := orgs.Person{ID: a.Member.UserID, Email: a.Member.Email}
	nodes := p.Trial.NodeLimit
	l := License{
		ID: s.NewID(), OrgID: a.Org.ID, ProductID: p.ID, ProductName: p.Name, Availability: p.Availability,
		Type: TypeTrial, StartsAt: now, EndsAt: now.AddDate(0, 0, p.Trial.Days), NodeLimit: &nodes,
		CreatedAt: now, CreatedBy: by,
		Agreement: &Acceptance{Version: version, AcceptedAt: now, AcceptedBy: by},
	}
	l.DueAt = NextDue(l, now)
	actor := audit.Actor{Type: audit.ActorUser, ID: a.Member.UserID, Email: a.Member.Email}
	ev := s.event(ctx, l, actor, "license.trial_started",
		fmt.Sprintf("%s started a %d-day trial of %s, accepting the Master Service Agreement version %s", a.Member.Email, p.Trial.Days, p.Name, version),
		map[string]any{"productId": p.ID, "endsAt": endsAtDetail(l.EndsAt), "nodeLimit": nodes,
			"agreement": map[string]any{"version": version, "acceptedAt": now.UTC().Format(time.RFC3339Nano), "acceptedBy": map[string]any{"id": by.ID, "email": by.Email}}})
	g := TrialGuard{OrgID: a.Org.ID, UserID: a.Member.UserID, ProductID: p.ID, LicenseID: l.ID, Agreement: *l.Agreement}
	if err := s.Store.StartTrial(ctx, a.Acting(), l, g, ev); err != nil {
		return License{}, err
	}
	return l, nil
}

// License returns one of the org's licenses (the answer to a repeated create).
func (s *Service) License(ctx context.Context, orgID, licenseID string) (License, error) {
	if !validID(orgID) || !validID(licenseID) {
		return License{}, ErrNoLicense
	}
	return s.Store.License(ctx, orgID, licenseID)
}

// Seats returns one page of a license's seats.
func (s *Service) Seats(ctx context.Context, a orgs.Access, licenseID string, p paging.Request) (SeatPage, error) {
	l, err := s.licenseOf(ctx, a, licenseID)
	if err != nil {
		return SeatPage{}, err
	}
	return s.Store.Seats(ctx, a.Org.ID, l.ID, p)
}

// AssignSeat gives a.Target a seat of the license. Assigning a seat the member holds already
// changes nothing. The seat limit holds under concurrent assigns: the store's write is
// conditional on the count.
func (s *Service) AssignSeat(ctx context.Context, a orgs.Access, licenseID string) (Seat, error) {
	l, err := s.licenseOf(ctx, a, licenseID)
	if err != nil {
		return Seat{}, err
	}
	if a.Target == nil {
		return Seat{}, apperr.New(apperr.NotFound, "that user is not a member of this organization")
	}
	m := *a.Target
	now := s.Now()
	switch {
	case !l.HasSeats():
		return Seat{}, apperr.New(apperr.Conflict, "this license has no seats: it covers every member")
	case l.Holds(m.UserID):
		// Nothing to write: the answer is the seat as it is.
		return s.seatOf(ctx, a, l.ID, m.UserID)
	case l.Status(now) == Revoked || l.Status(now) == Expired:
		return Seat{}, apperr.New(apperr.Conflict, "the license is %s: no seat can be given", l.Status(now))
	case l.SeatsUsed >= *l.SeatLimit:
		return Seat{}, ErrSeatsTaken
	case !productsAccess(a.Org, m.Role):
		return Seat{}, apperr.New(apperr.Conflict, "%s's role (%s) has no access to products: give them another role first", m.Email, m.Role)
	}
	seat := Seat{LicenseID: l.ID, UserID: m.UserID, Email: m.Email, AssignedAt: now}
	actor := audit.Actor{Type: audit.ActorUser, ID: a.Member.UserID, Email: a.Member.Email}
	ev := s.event(ctx, l, actor, "license.seat_assigned",
		fmt.Sprintf("%s gave %s a seat of the %s license of %s", a.Member.Email, m.Email, l.Type, l.ProductName),
		map[string]any{"userId": m.UserID, "email": m.Email, "seatsUsed": l.SeatsUsed + 1, "seatLimit": *l.SeatLimit})
	err = s.Store.AssignSeat(ctx, SeatWrite{License: l, Member: &m, Seat: seat, Actor: a.Member, Now: now, Event: ev})
	if err != nil {
		return Seat{}, err
	}
	return seat, nil
}

// ReleaseSeat frees userID's seat of the license.
func (s *Service) ReleaseSeat(ctx context.Context, a orgs.Access, licenseID, userID string) error {
	l, err := s.licenseOf(ctx, a, licenseID)
	if err != nil {
		return err
	}
	if !l.Holds(userID) {
		return ErrNoSeat
	}
	label := userID
	if a.Target != nil {
		label = a.Target.Email
	}
	actor := audit.Actor{Type: audit.ActorUser, ID: a.Member.UserID, Email: a.Member.Email}
	ev := s.event(ctx, l, actor, "license.seat_released",
		fmt.Sprintf("%s freed %s's seat of the %s license of %s", a.Member.Email, label, l.Type, l.ProductName),
		map[string]any{"userId": userID, "email": label, "seatsUsed": l.SeatsUsed - 1})
	return s.Store.ReleaseSeat(ctx, SeatWrite{License: l, Member: a.Target, Seat: Seat{LicenseID: l.ID, UserID: userID}, Actor: a.Member, Now: s.Now(), Event: ev})
}

// productsAccess reports whether role r of the org (built-in or custom) carries products.access,
// without which a seat covers nothing.
func productsAccess(o orgs.Org, r roles.Role) bool {
	d, ok := o.Role(r)
	return ok && d.Has(roles.ProductsAccess)
}
