package licensingdb

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/vendorportal/orgs/internal/audit"
	"github.com/vendorportal/orgs/internal/dynamo"
	"github.com/vendorportal/orgs/internal/dynamo/orgsdb"
	"github.com/vendorportal/orgs/internal/dynamo/tokensdb"
	"github.com/vendorportal/orgs/internal/licensing"
	"github.com/vendorportal/orgs/internal/orgs"
	"github.com/vendorportal/orgs/internal/outbox"
	"github.com/vendorportal/orgs/internal/paging"
	"github.com/vendorportal/orgs/internal/roles"
	"github.com/vendorportal/orgs/internal/tokens"
)

func productSK(id string) string      { return dynamo.SkProductPrefix + id }
func trialSK(productID string) string { return dynamo.SkTrialPrefix + productID }

// userTrialPK is the partition of one user's trial guards (licensing.TrialGuard.UserID).
func userTrialPK(userID string) string { return "TRIALUSER#" + userID }

var (
	_ licensing.Store = (*Store)(nil)
)

type productItem struct {
	dynamo.Keys
	ID               string    `dynamodbav:"id"`
	Name             string    `dynamodbav:"name"`
	Description      string    `dynamodbav:"description"`
	Availability     string    `dynamodbav:"availability"`
	TrialDays        *int      `dynamodbav:"trialDays,omitempty"`
	TrialNodeLimit   *int      `dynamodbav:"trialNodeLimit,omitempty"`
	AgreementVersion string    `dynamodbav:"agreementVersion,omitempty"`
	UpdatedAt        time.Time `dynamodbav:"updatedAt"`
}

func newProductItem(p licensing.Product) productItem {
	it := productItem{
		Keys: dynamo.Keys{PK: dynamo.CatalogPK, SK: productSK(p.ID)},
		ID:   p.ID, Name: p.Name, Description: p.Description, Availability: string(p.Availability),
		AgreementVersion: p.AgreementVersion, UpdatedAt: p.UpdatedAt,
	}
	if p.Trial != nil {
		d, n := p.Trial.Days, p.Trial.NodeLimit
		it.TrialDays, it.TrialNodeLimit = &d, &n
	}
	return it
}

func (it productItem) product() licensing.Product {
	p := licensing.Product{ID: it.ID, Name: it.Name, Description: it.Description,
		Availability: licensing.Availability(it.Availability), AgreementVersion: it.AgreementVersion, UpdatedAt: it.UpdatedAt}
	if it.TrialDays != nil {
		p.Trial = &licensing.TrialTerms{Days: *it.TrialDays}
		if it.TrialNodeLimit != nil {
			p.Trial.NodeLimit = *it.TrialNodeLimit
		}
	}
	return p
}

type acceptanceItem struct {
	Version    string    `dynamodbav:"version"`
	AcceptedAt time.Time `dynamodbav:"acceptedAt"`
	ByID       string    `dynamodbav:"acceptedById"`
	ByEmail    string    `dynamodbav:"acceptedByEmail"`
}

func newAcceptanceItem(a licensing.Acceptance) *acceptanceItem {
	return &acceptanceItem{Version: a.Version, AcceptedAt: a.AcceptedAt, ByID: a.AcceptedBy.ID, ByEmail: a.AcceptedBy.Email}
}

type licenseItem struct {
	dynamo.Keys
	ID             string          `dynamodbav:"id"`
	OrgID          string          `dynamodbav:"orgId"`
	ProductID      string          `dynamodbav:"productId"`
	ProductName    string          `dynamodbav:"productName"`
	Availability   string          `dynamodbav:"availability"`
	Type           string          `dynamodbav:"type"`
	StartsAt       dynamo.Stamp    `dynamodbav:"startsAt"`
	EndsAt         *dynamo.Stamp   `dynamodbav:"endsAt,omitempty"`
	NodeLimit      *int            `dynamodbav:"nodeLimit,omitempty"`
	SeatLimit      *int            `dynamodbav:"seatLimit,omitempty"`
	SeatHolders    []string        `dynamodbav:"seatHolders,stringset,omitempty"`
	SeatsUsed      int             `dynamodbav:"seatsUsed"`
	CreatedAt      time.Time       `dynamodbav:"createdAt"`
	CreatedByID    string          `dynamodbav:"createdById"`
	CreatedByEmail string          `dynamodbav:"createdByEmail"`
	RevokedAt      time.Time       `dynamodbav:"revokedAt,omitempty"`
	ExpiredAt      time.Time       `dynamodbav:"expiredAt,omitempty"`
	Agreement      *acceptanceItem `dynamodbav:"agreement,omitempty"`
	Notice14For    time.Time       `dynamodbav:"notice14For,omitempty"`
	Notice1For     time.Time       `dynamodbav:"notice1For,omitempty"`
	DueAt          *dynamo.Stamp   `dynamodbav:"dueAt,omitempty"`
	Version        int             `dynamodbav:"version"`
}

func optStamp(t time.Time) *dynamo.Stamp {
	if t.IsZero() {
		return nil
	}
	s := dynamo.Stamp(t)
	return &s
}

func orZero(s *dynamo.Stamp) time.Time {
	if s == nil {
		return time.Time{}
	}
	return s.Time()
}

// licenseDueKeys are the sparse GSI3 keys of a license that is due at due.
func licenseDueKeys(orgID, licenseID string, due time.Time) (string, string) {
	return dynamo.LicenseDuePrefix + due.UTC().Format(time.DateOnly), dynamo.SortTime(due) + "#" + orgID + "#" + licenseID
}

func NewLicenseItem(l licensing.License) licenseItem {
	it := licenseItem{
		Keys: dynamo.Keys{PK: dynamo.OrgPK(l.OrgID), SK: dynamo.LicenseSK(l.ID)},
		ID:   l.ID, OrgID: l.OrgID, ProductID: l.ProductID, ProductName: l.ProductName,
		Availability: string(l.Availability), Type: string(l.Type),
		StartsAt: dynamo.Stamp(l.StartsAt), EndsAt: optStamp(l.EndsAt), NodeLimit: l.NodeLimit, SeatLimit: l.SeatLimit,
		SeatHolders: l.SeatHolders, SeatsUsed: l.SeatsUsed, CreatedAt: l.CreatedAt,
		CreatedByID: l.CreatedBy.ID, CreatedByEmail: l.CreatedBy.Email,
		RevokedAt: l.RevokedAt, ExpiredAt: l.ExpiredAt, Notice14For: l.Notice14For, Notice1For: l.Notice1For,
		DueAt: optStamp(l.DueAt), Version: l.Version,
	}
	if l.Agreement != nil {
		it.Agreement = newAcceptanceItem(*l.Agreement)
	}
	if !l.DueAt.IsZero() {
		it.GSI3PK, it.GSI3SK = licenseDueKeys(l.OrgID, l.ID, l.DueAt)
	}
	return it
}

func (it licenseItem) license() licensing.License {
	l := licensing.License{
		ID: it.ID, OrgID: it.OrgID, ProductID: it.ProductID, ProductName: it.ProductName,
		Availability: licensing.Availability(it.Availability), Type: licensing.Type(it.Type),
		StartsAt: it.StartsAt.Time(), EndsAt: orZero(it.EndsAt), NodeLimit: it.NodeLimit, SeatLimit: it.SeatLimit,
		SeatHolders: it.SeatHolders, SeatsUsed: it.SeatsUsed, CreatedAt: it.CreatedAt,
		CreatedBy: orgs.Person{ID: it.CreatedByID, Email: it.CreatedByEmail},
		RevokedAt: it.RevokedAt, ExpiredAt: it.ExpiredAt, Notice14For: it.Notice14For, Notice1For: it.Notice1For,
		DueAt: orZero(it.DueAt), Version: it.Version,
	}
	if a := it.Agreement; a != nil {
		l.Agreement = &licensing.Acceptance{Version: a.Version, AcceptedAt: a.AcceptedAt, AcceptedBy: orgs.Person{ID: a.ByID, Email: a.ByEmail}}
	}
	return l
}

type seatItem struct {
	dynamo.Keys
	LicenseID  string    `dynamodbav:"licenseId"`
	UserID     string    `dynamodbav:"userId"`
	Email      string    `dynamodbav:"email"`
	AssignedAt time.Time `dynamodbav:"assignedAt"`
}

func (it seatItem) seat() licensing.Seat {
	return licensing.Seat{LicenseID: it.LicenseID, UserID: it.UserID, Email: it.Email, AssignedAt: it.AssignedAt}
}

type trialGuardItem struct {
	dynamo.Keys
	ProductID string `dynamodbav:"productId"`
	// OrgID is the org of the trial, on a user's guard.
	OrgID     string         `dynamodbav:"orgId,omitempty"`
	LicenseID string         `dynamodbav:"licenseId"`
	Agreement acceptanceItem `dynamodbav:"agreement"`
}

// productRead reads the product the trial route names with the authorization step
// (planRead): a *licensing.Product, nil when the catalog has none of that id.
func productRead(r licensing.ProductRead) dynamo.ReadPlan {
	return dynamo.ReadPlan{Keys: []dynamo.Keys{dynamo.IdKey(dynamo.CatalogPK, productSK, r.ID)}, Decode: func(items []map[string]types.AttributeValue) (any, error) {
		return dynamo.DecodeAs("product", items[0], productItem.product)
	}}
}

// licenseRead reads the license a seat route names, and the seat of the route's user, with
// the authorization step (planRead): a licensing.LicenseFacts.
func licenseRead(orgID string, r licensing.LicenseRead) dynamo.ReadPlan {
	ks := []dynamo.Keys{dynamo.IdKey(dynamo.OrgPK(orgID), dynamo.LicenseSK, r.ID), {}}
	if ks[0].PK != "" {
		ks[1] = dynamo.IdKey(dynamo.OrgPK(orgID), func(userID string) string { return dynamo.SeatSK(r.ID, userID) }, r.UserID)
	}
	return dynamo.ReadPlan{Keys: ks, Decode: func(items []map[string]types.AttributeValue) (any, error) {
		l, err := dynamo.DecodeAs("license", items[0], licenseItem.license)
		if err != nil {
			return nil, err
		}
		st, err := dynamo.DecodeAs("seat", items[1], seatItem.seat)
		return licensing.LicenseFacts{License: l, Seat: st}, err
	}}
}

// Product implements licensing.Store.
func (s *Store) Product(ctx context.Context, id string) (licensing.Product, error) {
	return dynamo.GetAs(ctx, s.Store, dynamo.CatalogPK, productSK(id), productItem.product, licensing.ErrNoProduct(id))
}

// Products implements licensing.Store: one Query of the catalog's partition.
func (s *Store) Products(ctx context.Context, p paging.Request) (licensing.ProductPage, error) {
	items, next, err := s.queryPrefix(ctx, dynamo.CatalogPK, dynamo.SkProductPrefix, p)
	if err != nil {
		return licensing.ProductPage{}, err
	}
	page := licensing.ProductPage{Products: make([]licensing.Product, 0, len(items)), Next: next}
	for _, av := range items {
		var it productItem
		if err := attributevalue.UnmarshalMap(av, &it); err != nil {
			return licensing.ProductPage{}, err
		}
		page.Products = append(page.Products, it.product())
	}
	return page, nil
}

// queryPrefix reads one page of the items of partition pk whose sort key starts with prefix.
func (s *Store) queryPrefix(ctx context.Context, pk, prefix string, p paging.Request) ([]map[string]types.AttributeValue, string, error) {
	q := dynamo.Query{What: pk + " " + prefix, Key: dynamo.KeyPrefix(pk, prefix), Limit: p.Limit, Consistent: true}
	return s.QueryPage(ctx, q, p.After)
}

// PutProduct implements licensing.Store: the product and its place among the public products
// (listed while public, unlisted when commercial), in one transaction. The catalog belongs to
// no org: no event log to write.
func (s *Store) PutProduct(ctx context.Context, p licensing.Product) error {
	t := s.Txn()
	t.Put(newProductItem(p), expression.ConditionBuilder{}, nil)
	tokensdb.SummarizeProduct(t, tokens.Product{ID: p.ID, Name: p.Name}, p.Availability == licensing.Public)
	if err := t.Run(ctx, s.Client); err != nil {
		return fmt.Errorf("put product %s: %w", p.ID, err)
	}
	return nil
}

// Org implements licensing.Store: one consistent GetItem.
func (s *Store) Org(ctx context.Context, orgID string) (orgs.Org, error) {
	return dynamo.GetAs(ctx, s.Store, dynamo.OrgPK(orgID), dynamo.SkMeta, orgsdb.OrgItem.Org, licensing.ErrOrgGone)
}

// OrgByHandle implements licensing.Store: the handle's guard, then the org.
func (s *Store) OrgByHandle(ctx context.Context, handle string) (orgs.Org, error) {
	orgID, err := dynamo.GetAs(ctx, s.Store, dynamo.HandlePK(handle), dynamo.SkHandle, func(it orgsdb.HandleItem) string { return it.OrgID }, licensing.ErrOrgGone)
	if err != nil {
		return orgs.Org{}, err
	}
	return s.Org(ctx, orgID)
}

// License implements licensing.Store.
func (s *Store) License(ctx context.Context, orgID, licenseID string) (licensing.License, error) {
	return dynamo.GetAs(ctx, s.Store, dynamo.OrgPK(orgID), dynamo.LicenseSK(licenseID), licenseItem.license, licensing.ErrNoLicense)
}

// Licenses implements licensing.Store: one Query of the org's LICENSE# range.
func (s *Store) Licenses(ctx context.Context, orgID string, p paging.Request) (licensing.LicensePage, error) {
	items, next, err := s.queryPrefix(ctx, dynamo.OrgPK(orgID), dynamo.SkLicensePrefix, p)
	if err != nil {
		return licensing.LicensePage{}, err
	}
	page := licensing.LicensePage{Licenses: make([]licensing.License, 0, len(items)), Next: next}
	for _, av := range items {
		var it licenseItem
		if err := attributevalue.UnmarshalMap(av, &it); err != nil {
			return licensing.LicensePage{}, err
		}
		page.Licenses = append(page.Licenses, it.license())
	}
	return page, nil
}

// GrantLicense implements licensing.Store.
func (s *Store) GrantLicense(ctx context.Context, l licensing.License, ev audit.Event) error {
	t := s.Txn()
	t.PutNew(NewLicenseItem(l), fmt.Errorf("license %s exists", l.ID))
	tokensdb.SummarizeLicense(t, l.OrgID, tokensdb.SummaryOf(l))
	t.Check(dynamo.Key(dynamo.OrgPK(l.OrgID), dynamo.SkMeta), dynamo.OrgLive(), licensing.ErrOrgGone)
	t.Event(ev)
	return t.Run(ctx, s.Client)
}

// StartTrial implements licensing.Store.
// The user's guard lives in a partition of its own (userTrialPK), not in the user's: deleting
// the account, which empties the user's partition, must not give its owner the trial again.
func (s *Store) StartTrial(ctx context.Context, actor orgs.Acting, l licensing.License, g licensing.TrialGuard, ev audit.Event) error {
	t := s.Txn()
	t.PutNew(trialGuardItem{Keys: dynamo.Keys{PK: dynamo.OrgPK(g.OrgID), SK: trialSK(g.ProductID)}, ProductID: g.ProductID,
		LicenseID: g.LicenseID, Agreement: *newAcceptanceItem(g.Agreement)}, licensing.ErrTrialTaken)
	t.PutNew(trialGuardItem{Keys: dynamo.Keys{PK: userTrialPK(g.UserID), SK: trialSK(g.ProductID)}, ProductID: g.ProductID,
		OrgID: g.OrgID, LicenseID: g.LicenseID, Agreement: *newAcceptanceItem(g.Agreement)}, licensing.ErrUserTrialTaken)
	t.PutNew(NewLicenseItem(l), fmt.Errorf("license %s exists", l.ID))
	tokensdb.SummarizeLicense(t, l.OrgID, tokensdb.SummaryOf(l))
	orgsdb.ActorAsRead(t, l.OrgID, actor, orgsdb.OrgChange{Shared: true, Gone: licensing.ErrOrgGone})
	t.Event(ev)
	return t.Run(ctx, s.Client)
}

// setOrRemove sets name to v, or removes it when v is nil.
func setOrRemove[T any](u expression.UpdateBuilder, name string, v *T) expression.UpdateBuilder {
	if v == nil {
		return u.Remove(dynamo.Attr(name))
	}
	return u.Set(dynamo.Attr(name), dynamo.Val(*v))
}

// setDueOf sets the license's due time and its GSI3 keys, or takes it out of the index.
func setDueOf(u expression.UpdateBuilder, l licensing.License) expression.UpdateBuilder {
	if l.DueAt.IsZero() {
		return u.Remove(dynamo.Attr("dueAt")).Remove(dynamo.Attr(dynamo.AttrGSI3P)).Remove(dynamo.Attr(dynamo.AttrGSI3S))
	}
	pk, sk := licenseDueKeys(l.OrgID, l.ID, l.DueAt)
	return u.Set(dynamo.Attr("dueAt"), dynamo.Val(dynamo.Stamp(l.DueAt))).Set(dynamo.Attr(dynamo.AttrGSI3P), dynamo.Val(pk)).Set(dynamo.Attr(dynamo.AttrGSI3S), dynamo.Val(sk))
}

func setTime(u expression.UpdateBuilder, name string, t time.Time) expression.UpdateBuilder {
	if t.IsZero() {
		return u.Remove(dynamo.Attr(name))
	}
	return u.Set(dynamo.Attr(name), dynamo.Val(t))
}

// UpdateLicense implements licensing.Store.
func (s *Store) UpdateLicense(ctx context.Context, before, after licensing.License, ev audit.Event) error {
	t := s.Txn()
	u := expression.Set(dynamo.Attr("version"), dynamo.Val(after.Version))
	u = setOrRemove(u, "endsAt", optStamp(after.EndsAt))
	u = setOrRemove(u, "nodeLimit", after.NodeLimit)
	u = setOrRemove(u, "seatLimit", after.SeatLimit)
	u = setTime(u, "revokedAt", after.RevokedAt)
	u = setTime(u, "expiredAt", after.ExpiredAt)
	u = setDueOf(u, after)
	cond := dynamo.Attr("version").Equal(dynamo.Val(before.Version))
	onFail := licensing.ErrLicenseChanged
	if !sameLimit(before.SeatLimit, after.SeatLimit) {
		// A seat taken while the limit is lowered: the count is checked here, not as read.
		onFail = licensing.ErrSeatsInUse
		if after.SeatLimit == nil {
			cond = cond.And(dynamo.Attr("seatsUsed").Equal(dynamo.Val(0)))
		} else {
			cond = cond.And(dynamo.Attr("seatsUsed").LessThanEqual(dynamo.Val(*after.SeatLimit)))
		}
	}
	t.Update(dynamo.Key(dynamo.OrgPK(before.OrgID), dynamo.LicenseSK(before.ID)), u, dynamo.Exists().And(cond), onFail)
	tokensdb.SummarizeLicense(t, before.OrgID, tokensdb.SummaryOf(after))
	t.Check(dynamo.Key(dynamo.OrgPK(before.OrgID), dynamo.SkMeta), dynamo.OrgLive(), licensing.ErrOrgGone)
	t.Event(ev)
	return t.Run(ctx, s.Client)
}

func sameLimit(a, b *int) bool {
	return a == nil && b == nil || a != nil && b != nil && *a == *b
}

// Seat implements licensing.Store.
func (s *Store) Seat(ctx context.Context, orgID, licenseID, userID string) (licensing.Seat, error) {
	return dynamo.GetAs(ctx, s.Store, dynamo.OrgPK(orgID), dynamo.SeatSK(licenseID, userID), seatItem.seat, licensing.ErrNoSeat)
}

// Seats implements licensing.Store: one Query of the license's SEAT# range.
func (s *Store) Seats(ctx context.Context, orgID, licenseID string, p paging.Request) (licensing.SeatPage, error) {
	items, next, err := s.queryPrefix(ctx, dynamo.OrgPK(orgID), dynamo.SeatPrefix(licenseID), p)
	if err != nil {
		return licensing.SeatPage{}, err
	}
	page := licensing.SeatPage{Seats: make([]licensing.Seat, 0, len(items)), Next: next}
	for _, av := range items {
		var it seatItem
		if err := attributevalue.UnmarshalMap(av, &it); err != nil {
			return licensing.SeatPage{}, err
		}
		page.Seats = append(page.Seats, it.seat())
	}
	return page, nil
}

// AssignSeat implements licensing.Store.
func (s *Store) AssignSeat(ctx context.Context, w licensing.SeatWrite) error {
	l, m := w.License, w.Member
	t := s.Txn()
	t.PutNew(seatItem{Keys: dynamo.Keys{PK: dynamo.OrgPK(l.OrgID), SK: dynamo.SeatSK(l.ID, m.UserID)}, LicenseID: l.ID,
		UserID: m.UserID, Email: m.Email, AssignedAt: w.Seat.AssignedAt}, licensing.ErrSeatsTaken)
	cond := dynamo.Exists().
		And(expression.AttributeExists(dynamo.Attr("seatLimit"))).
		And(dynamo.Attr("seatsUsed").LessThan(dynamo.Attr("seatLimit"))).
		And(expression.Not(expression.Contains(dynamo.Attr("seatHolders"), m.UserID))).
		And(expression.AttributeNotExists(dynamo.Attr("revokedAt"))).
		And(expression.AttributeNotExists(dynamo.Attr("endsAt")).Or(dynamo.Attr("endsAt").GreaterThan(dynamo.Val(dynamo.SortTime(w.Now)))))
	t.Update(dynamo.Key(dynamo.OrgPK(l.OrgID), dynamo.LicenseSK(l.ID)),
		expression.Add(dynamo.Attr("seatHolders"), SeatSet(m.UserID)).Add(dynamo.Attr("seatsUsed"), dynamo.Val(1)), cond, licensing.ErrSeatsTaken)
	tokensdb.SummarizeSeat(t, l.OrgID, l.ID, m.UserID, true)
	few := expression.AttributeNotExists(dynamo.Attr("seatLicenses")).Or(expression.Size(dynamo.Attr("seatLicenses")).LessThan(dynamo.Val(licensing.MaxSeatsPerMember)))
	t.Update(dynamo.Key(dynamo.OrgPK(l.OrgID), dynamo.MemberSK(m.UserID)), expression.Add(dynamo.Attr("seatLicenses"), SeatSet(l.ID)),
		dynamo.Exists().And(dynamo.Attr("role").Equal(dynamo.Val(string(m.Role)))).And(few), orgs.ErrMemberChanged)
	t.Update(dynamo.Key(dynamo.UserPK(m.UserID), dynamo.UserOrgSK(l.OrgID)), expression.Add(dynamo.Attr("seatLicenses"), SeatSet(l.ID)), dynamo.Exists(), orgs.ErrMemberChanged)
	if w.Actor.UserID != m.UserID {
		// (One's own seat: the member item's role condition above holds the actor too.)
		t.MemberStill(l.OrgID, w.Actor)
	}
	t.Check(dynamo.Key(dynamo.OrgPK(l.OrgID), dynamo.SkMeta), dynamo.OrgLive(), licensing.ErrOrgGone)
	t.Event(w.Event)
	return t.Run(ctx, s.Client)
}

// ReleaseSeat implements licensing.Store.
func (s *Store) ReleaseSeat(ctx context.Context, w licensing.SeatWrite) error {
	l, uid := w.License, w.Seat.UserID
	t := s.Txn()
	t.Delete(dynamo.Key(dynamo.OrgPK(l.OrgID), dynamo.SeatSK(l.ID, uid)), dynamo.Exists(), licensing.ErrNoSeat)
	t.Update(dynamo.Key(dynamo.OrgPK(l.OrgID), dynamo.LicenseSK(l.ID)),
		expression.Delete(dynamo.Attr("seatHolders"), SeatSet(uid)).Add(dynamo.Attr("seatsUsed"), dynamo.Val(-1)),
		expression.Contains(dynamo.Attr("seatHolders"), uid), licensing.ErrNoSeat)
	tokensdb.SummarizeSeat(t, l.OrgID, l.ID, uid, false)
	if w.Member != nil {
		t.Update(dynamo.Key(dynamo.OrgPK(l.OrgID), dynamo.MemberSK(uid)), expression.Delete(dynamo.Attr("seatLicenses"), SeatSet(l.ID)), dynamo.Exists(), orgs.ErrMemberChanged)
		t.Update(dynamo.Key(dynamo.UserPK(uid), dynamo.UserOrgSK(l.OrgID)), expression.Delete(dynamo.Attr("seatLicenses"), SeatSet(l.ID)), dynamo.Exists(), orgs.ErrMemberChanged)
	}
	if w.Actor.UserID != uid {
		t.MemberStill(l.OrgID, w.Actor)
	}
	t.Check(dynamo.Key(dynamo.OrgPK(l.OrgID), dynamo.SkMeta), dynamo.OrgLive(), licensing.ErrOrgGone)
	t.Event(w.Event)
	return t.Run(ctx, s.Client)
}

// dueMark is the license job's place in the due index. It moves past a day only once the
// next one is over too (Settle a day): every run reads yesterday's shard again, as a write
// made just before midnight may have landed after a run read it. A first run looks 30 days
// back.
var dueMark = dynamo.DayWatermark{
	PK: dynamo.LicenseJobPK, SK: dynamo.SkWatermark, Settle: 24 * time.Hour,
	First: func(today time.Time) time.Time { return today.AddDate(0, 0, -30) },
}

// EachDueLicense implements licensing.Store: a GetItem of the watermark, a Query of each
// day's shard of GSI3 from there to today, up to now, and an UpdateItem of the watermark when
// it moves.
func (s *Store) EachDueLicense(ctx context.Context, now time.Time, fn func(licensing.License) error) error {
	return dueMark.Walk(ctx, s.Store, now, func(day time.Time) (bool, error) {
		due, err := s.DueLicenses(ctx, day, now)
		if err != nil {
			return false, err
		}
		clean := true
		for _, l := range due {
			if fn(l) != nil {
				clean = false
			}
		}
		return clean, nil
	})
}

// DueLicenses returns the licenses due in the shard of day at or before now: one Query of
// GSI3.
func (s *Store) DueLicenses(ctx context.Context, day, now time.Time) ([]licensing.License, error) {
	pk, _ := licenseDueKeys("", "", day)
	return dynamo.AllAs(ctx, s.Store, dynamo.DueQuery("licenses", pk, now), licenseItem.license)
}

// AdvanceDueWatermark moves the license job's watermark to day, never back (tests set it so).
func (s *Store) AdvanceDueWatermark(ctx context.Context, day time.Time) error {
	return dueMark.Advance(ctx, s.Store, day)
}

// StepLicense implements licensing.Store.
func (s *Store) StepLicense(ctx context.Context, before, after licensing.License, ev *audit.Event, msgs []outbox.Message) error {
	t := s.Txn()
	u := expression.Set(dynamo.Attr("version"), dynamo.Val(after.Version))
	u = setTime(u, "expiredAt", after.ExpiredAt)
	u = setTime(u, "notice14For", after.Notice14For)
	u = setTime(u, "notice1For", after.Notice1For)
	u = setDueOf(u, after)
	asRead := dynamo.Attr("version").Equal(dynamo.Val(before.Version))
	if before.DueAt.IsZero() {
		asRead = asRead.And(expression.AttributeNotExists(dynamo.Attr("dueAt")))
	} else {
		asRead = asRead.And(dynamo.Attr("dueAt").Equal(dynamo.Val(dynamo.Stamp(before.DueAt))))
	}
	t.Update(dynamo.Key(dynamo.OrgPK(before.OrgID), dynamo.LicenseSK(before.ID)), u, dynamo.Exists().And(asRead), licensing.ErrLicenseChanged)
	if ev != nil {
		// Nothing is logged or mailed for a deleted org (its data waits for the purge).
		t.Check(dynamo.Key(dynamo.OrgPK(before.OrgID), dynamo.SkMeta), dynamo.OrgLive(), licensing.ErrOrgGone)
		t.Event(*ev)
		t.Outbox(ev.OccurredAt, msgs...)
	}
	return t.Run(ctx, s.Client)
}

// MembersWithRole implements licensing.Store: a Query of the org's role partition of GSI2.
func (s *Store) MembersWithRole(ctx context.Context, orgID string, r roles.Role) ([]orgs.Member, error) {
	q := dynamo.Query{What: "members with role " + string(r), Index: dynamo.IndexGSI2, Key: dynamo.KeyIs(dynamo.AttrGSI2P, dynamo.MemberRolePK(orgID, r))}
	return dynamo.AllAs(ctx, s.Store, q, dynamo.MemberItem.Member)
}

// licensingReads registers the reads of licensing with the authorization step.
func licensingReads(k *dynamo.Store) {
	dynamo.RegisterRead(k, func(_ string, r licensing.ProductRead) dynamo.ReadPlan { return productRead(r) })
	dynamo.RegisterRead(k, licenseRead)
}
