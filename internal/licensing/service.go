package licensing

import (
	"context"
	"time"

	"github.com/vendorportal/orgs/internal/apperr"
	"github.com/vendorportal/orgs/internal/audit"
	"github.com/vendorportal/orgs/internal/orgs"
	"github.com/vendorportal/orgs/internal/outbox"
	"github.com/vendorportal/orgs/internal/paging"
	"github.com/vendorportal/orgs/internal/roles"
)

// Errors a Store returns when a write's condition fails.
var (
	// ErrTrialTaken: the org has had a trial of the product already (the guard exists).
	ErrTrialTaken = apperr.New(apperr.Conflict, "this organization has had a trial of the product already; ask us for a license")
	// ErrUserTrialTaken: the accepting user has started a trial of the product already, in
	// this org or another (the user's guard exists).
	ErrUserTrialTaken = apperr.New(apperr.Conflict, "you have started a trial of this product already (one per person, whatever the organization); ask us for a license")
	// ErrLicenseChanged: the license changed since it was read.
	ErrLicenseChanged = apperr.New(apperr.Conflict, "the license was changed meanwhile; reload and try again")
	// ErrSeatsTaken: the license's seats are all taken, or it changed so that no seat can be
	// given (revoked, expired, seats removed).
	ErrSeatsTaken = apperr.New(apperr.Conflict, "all seats of this license are taken; free one first")
	// ErrSeatsInUse: the new seat limit is below the seats in use.
	ErrSeatsInUse = apperr.New(apperr.Conflict, "more seats are in use than the new seat limit; free seats first")
	// ErrTooManySeats: the member holds seats on MaxSeatsPerMember licenses already.
	ErrTooManySeats = apperr.New(apperr.Conflict, "this member holds seats on %d licenses, the most there may be", MaxSeatsPerMember)
	// ErrNoSeat: the member holds no seat of the license.
	ErrNoSeat = apperr.New(apperr.NotFound, "that member holds no seat of this license")
	// ErrNoLicense: the org has no license of that id.
	ErrNoLicense = apperr.New(apperr.NotFound, "license not found")
	// ErrOrgGone: the org is missing or deleted.
	ErrOrgGone = apperr.New(apperr.NotFound, "organization not found")
)

// Store is the persistence the licensing use cases need.
type Store interface {
	// Product returns one catalog product; NotFound when there is none.
	Product(ctx context.Context, id string) (Product, error)
	// Products returns one page of the catalog, by id, in one read.
	Products(ctx context.Context, p paging.Request) (ProductPage, error)
	// PutProduct creates or replaces a catalog product.
	PutProduct(ctx context.Context, p Product) error
	// Org returns a live or deleted org; NotFound when there is none.
	Org(ctx context.Context, orgID string) (orgs.Org, error)
	// OrgByHandle returns the org holding the handle; NotFound when none does.
	OrgByHandle(ctx context.Context, handle string) (orgs.Org, error)
	// License returns one of the org's licenses; NotFound when the org has none of that id.
	License(ctx context.Context, orgID, licenseID string) (License, error)
	// Licenses returns one page of the org's licenses, oldest first.
	Licenses(ctx context.Context, orgID string, p paging.Request) (LicensePage, error)
	// GrantLicense writes a new license with its event, while the org is live (ErrOrgGone).
	GrantLicense(ctx context.Context, l License, ev audit.Event) error
	// StartTrial writes a trial license, its guards (ErrTrialTaken when the org had a trial
	// of the product, ErrUserTrialTaken when the user had one in any org) and its event,
	// while the org is live and shared (ErrOrgGone) and the actor is as read (orgs.Acting).
	StartTrial(ctx context.Context, actor orgs.Acting, l License, g TrialGuard, ev audit.Event) error
	// UpdateLicense writes after over before, on condition that the license is still at
	// before's Version (ErrLicenseChanged) and that its seats in use fit after's SeatLimit
	// (ErrSeatsInUse), with the event, while the org is live (ErrOrgGone).
	UpdateLicense(ctx context.Context, before, after License, ev audit.Event) error
	// Seat returns userID's seat of the license; ErrNoSeat when there is none.
	Seat(ctx context.Context, orgID, licenseID, userID string) (Seat, error)
	// Seats returns one page of a license's seats, by user id.
	Seats(ctx context.Context, orgID, licenseID string, p paging.Request) (SeatPage, error)
	// AssignSeat writes the seat, adds its holder to the license (never beyond its seat
	// limit, while it is neither revoked nor expired at w.Now: ErrSeatsTaken) and the license
	// to the member's seats (ErrTooManySeats; orgs.ErrMemberChanged when the member is gone),
	// with the event.
	AssignSeat(ctx context.Context, w SeatWrite) error
	// ReleaseSeat deletes the seat (ErrNoSeat when there is none) and takes it off the
	// license and the member, with the event.
	ReleaseSeat(ctx context.Context, w SeatWrite) error
	// EachDueLicense calls fn with every license due at or before now, reading the day
	// shards of the due index from the job's watermark (the first day that may still hold
	// something due; 30 days back on the first run) to today. The watermark moves past a day
	// only once fn took each of its licenses without an error and the day after it is over
	// too (a write made just before midnight may land after a run read the day); fn's errors
	// are fn's caller's to report, the store's own are returned.
	EachDueLicense(ctx context.Context, now time.Time, fn func(License) error) error
	// StepLicense is the scheduled job's write: after's expiry, notice marks and due time
	// over before, on condition that the license is still as the job read it
	// (ErrLicenseChanged), with the event and the outbox messages when ev is not nil, and
	// then only while the org is live (ErrOrgGone).
	StepLicense(ctx context.Context, before, after License, ev *audit.Event, msgs []outbox.Message) error
	// MembersWithRole returns every member of the org holding the built-in role r.
	MembersWithRole(ctx context.Context, orgID string, r roles.Role) ([]orgs.Member, error)
}

// ProductPage, LicensePage and SeatPage are pages of a list; Next is the store's position
// after the page, "" on the last one.
type ProductPage struct {
	Products []Product
	Next     string
}

// LicensePage is one page of an org's licenses.
type LicensePage struct {
	Licenses []License
	Next     string
}

// SeatPage is one page of a license's seats.
type SeatPage struct {
	Seats []Seat
	Next  string
}

// SeatWrite is a seat's assignment or release.
type SeatWrite struct {
	License License
	// Member is the seat's holder as the authorization step read them; nil on a release of
	// a user who is no longer a member.
	Member *orgs.Member
	Seat   Seat
	Actor  orgs.Member
	Now    time.Time
	Event  audit.Event
}

// Service runs the licensing use cases.
type Service struct {
	Store Store
	Now   func() time.Time
	NewID func() string
	// AppURL is the web frontend's base URL, for the links in the expiry notices.
	AppURL string
}

// ProductRead asks the authorization step to read a catalog product with it (orgs.Read): the
// trial route. Its result is a *Product, nil when the catalog has none of that id.
type ProductRead struct{ ID string }

// LicenseRead asks the authorization step to read one of the org's licenses with it, and
// with UserID that user's seat of it (orgs.Read): the seat routes. Its result is a
// LicenseFacts.
type LicenseRead struct{ ID, UserID string }

// LicenseFacts is what a LicenseRead reads: nil where the item is absent (or not asked).
type LicenseFacts struct {
	License *License
	Seat    *Seat
}

// ReadProduct is the read of the product the trial route names; none for an id of the wrong
// shape.
func ReadProduct(id string) []orgs.Read {
	if !ValidProductID(id) {
		return nil
	}
	return []orgs.Read{ProductRead{ID: id}}
}

// ReadLicense is the read of the license a seat route names and, with a userID, of that
// user's seat of it; none for a license id of the wrong shape.
func ReadLicense(licenseID, userID string) []orgs.Read {
	if !validID(licenseID) {
		return nil
	}
	if !validID(userID) {
		userID = "" // no one's: the seat is not read
	}
	return []orgs.Read{LicenseRead{ID: licenseID, UserID: userID}}
}

// ErrNoProduct: the catalog has no product id.
func ErrNoProduct(id string) error { return apperr.New(apperr.NotFound, "product %s not found", id) }

// productOf returns the catalog product id as the authorization step read it (ProductRead),
// or from the store when the route did not ask for it.
func (s *Service) productOf(ctx context.Context, a orgs.Access, id string) (Product, error) {
	if r, p, asked := orgs.ResultOf[ProductRead, *Product](a); asked && r.ID == id {
		return found(p, ErrNoProduct(id))
	}
	return s.Store.Product(ctx, id)
}

// licenseOf returns the org's license named by id as the authorization step read it
// (LicenseRead), or from the store when the route did not ask for it.
func (s *Service) licenseOf(ctx context.Context, a orgs.Access, id string) (License, error) {
	if !validID(id) {
		return License{}, ErrNoLicense
	}
	if r, f, asked := orgs.ResultOf[LicenseRead, LicenseFacts](a); asked && r.ID == id {
		return found(f.License, ErrNoLicense)
	}
	return s.Store.License(ctx, a.Org.ID, id)
}

// seatOf returns userID's seat of the license as the authorization step read it
// (LicenseRead with UserID), or from the store when the route did not ask for it.
func (s *Service) seatOf(ctx context.Context, a orgs.Access, licenseID, userID string) (Seat, error) {
	if r, f, asked := orgs.ResultOf[LicenseRead, LicenseFacts](a); asked && r.ID == licenseID && r.UserID != "" && r.UserID == userID {
		return found(f.Seat, ErrNoSeat)
	}
	return s.Store.Seat(ctx, a.Org.ID, licenseID, userID)
}

// found is *v, or err when v is nil (what was read is absent).
func found[T any](v *T, err error) (T, error) {
	if v == nil {
		var zero T
		return zero, err
	}
	return *v, nil
}

// validID reports whether id could be one the server issued (a ULID, or a Cognito sub).
func validID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, c := range id {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// Catalog returns one page of the catalog.
func (s *Service) Catalog(ctx context.Context, p paging.Request) (ProductPage, error) {
	return s.Store.Products(ctx, p)
}

// Product returns one catalog product; an id of the wrong shape is not found.
func (s *Service) Product(ctx context.Context, id string) (Product, error) {
	if !ValidProductID(id) {
		return Product{}, apperr.New(apperr.NotFound, "product not found")
	}
	return s.Store.Product(ctx, id)
}

// ProductInput is a product as an operator puts it.
type ProductInput struct {
	Name             string
	Description      string
	Availability     Availability
	Trial            *TrialTerms
	AgreementVersion string
}

// PutProduct creates or replaces a catalog product. The catalog is not an org's, so it has no
// org event log to write to; each license keeps the name it was granted with.
func (s *Service) PutProduct(ctx context.Context, c orgs.Caller, id string, in ProductInput) (Product, error) {
	if !ValidProductID(id) {
		return Product{}, apperr.New(apperr.NotFound, "product ids match ^[a-z0-9][a-z0-9-]{1,62}$")
	}
	p := Product{ID: id, Availability: in.Availability, Trial: in.Trial, UpdatedAt: s.Now()}
	var err error
	if p.Name, err = cleanText("name", in.Name, 100, true); err != nil {
		return Product{}, err
	}
	if p.Description, err = cleanText("description", in.Description, 2000, false); err != nil {
		return Product{}, err
	}
	if p.AgreementVersion, err = cleanText("agreementVersion", in.AgreementVersion, 40, false); err != nil {
		return Product{}, err
	}
	if p.Availability != Public && p.Availability != Commercial {
		return Product{}, apperr.New(apperr.Invalid, "availability must be %q or %q", Public, Commercial)
	}
	if t := p.Trial; t != nil {
		if t.Days < 1 || t.Days > MaxTrialDays {
			return Product{}, apperr.New(apperr.Invalid, "trial.days must be from 1 to %d", MaxTrialDays)
		}
		if t.NodeLimit < 0 || t.NodeLimit > MaxNodeLimit {
			return Product{}, apperr.New(apperr.Invalid, "trial.nodeLimit must be from 0 to %d", MaxNodeLimit)
		}
	}
	if err := s.Store.PutProduct(ctx, p); err != nil {
		return Product{}, err
	}
	return p, nil
}

// FindOrg returns the org with exactly this handle, as a list of at most one; an empty
// handle is invalid (the operators' search is by handle only).
func (s *Service) FindOrg(ctx context.Context, handle string) ([]orgs.Org, error) {
	if handle == "" {
		return nil, apperr.New(apperr.Invalid, "handle is required: operators find an org by its exact handle")
	}
	if orgs.ValidateHandle(handle) != nil {
		return nil, nil
	}
	o, err := s.Store.OrgByHandle(ctx, handle)
	if apperr.Is(err, apperr.NotFound) || err == nil && o.Deleted() {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return []orgs.Org{o}, nil
}

// OrgLicenses returns one page of any org's licenses, for an operator.
func (s *Service) OrgLicenses(ctx context.Context, orgID string, p paging.Request) (LicensePage, error) {
	if !validID(orgID) {
		return LicensePage{}, ErrOrgGone
	}
	o, err := s.Store.Org(ctx, orgID)
	if err != nil {
		return LicensePage{}, err
	}
	if o.Deleted() {
		return LicensePage{}, ErrOrgGone
	}
	return s.Store.Licenses(ctx, orgID, p)
}

// List returns one page of the org's licenses, those of status only when status is given.
// Status is computed at now, so the filter runs on the page read: a page may hold fewer
// licenses than asked for and still have a next one.
func (s *Service) List(ctx context.Context, a orgs.Access, status string, p paging.Request) (LicensePage, error) {
	switch Status(status) {
	case "", Active, Scheduled, Expired, Revoked:
	default:
		return LicensePage{}, apperr.New(apperr.Invalid, "status must be one of active, scheduled, expired, revoked")
	}
	page, err := s.Store.Licenses(ctx, a.Org.ID, p)
	if err != nil || status == "" {
		return page, err
	}
	now := s.Now()
	kept := page.Licenses[:0]
	for _, l := range page.Licenses {
		if l.Status(now) == Status(status) {
			kept = append(kept, l)
		}
	}
	page.Licenses = kept
	return page, nil
}

func operator(c orgs.Caller) audit.Actor {
	return audit.Actor{Type: audit.ActorOperator, ID: c.ID, Email: c.Email}
}

func (s *Service) event(ctx context.Context, l License, actor audit.Actor, action, summary string, details map[string]any) audit.Event {
	ev := audit.Event{
		OrgID: l.OrgID, Category: audit.Licensing, Action: action, Actor: actor,
		Target:  audit.Target{Type: "license", ID: l.ID, Label: l.ProductName},
		Summary: summary, Details: details,
	}
	ev.Stamp(ctx, s.NewID(), s.Now())
	return ev
}

func who(a audit.Actor) string {
	switch {
	case a.Type == audit.ActorOperator && a.Email != "":
		return "Operator " + a.Email
	case a.Type == audit.ActorOperator:
		return "An operator"
	case a.Type == audit.ActorSystem:
		return "The scheduled job"
	}
	return a.Email
}

// cleanText is the contract's text rule (orgs.CleanText: NFC, no control, bidi-override or
// zero-width characters).
func cleanText(field, v string, max int, required bool) (string, error) {
	return orgs.CleanText(field, v, max, required)
}

func dateText(t time.Time) string {
	if t.IsZero() {
		return "no end"
	}
	return t.UTC().Format(time.RFC3339)
}

func limitText(n *int) any {
	if n == nil {
		return nil
	}
	return *n
}
