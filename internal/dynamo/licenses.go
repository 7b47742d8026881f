package dynamo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/vendorportal/orgs/internal/audit"
	"github.com/vendorportal/orgs/internal/licensing"
	"github.com/vendorportal/orgs/internal/orgs"
	"github.com/vendorportal/orgs/internal/outbox"
	"github.com/vendorportal/orgs/internal/paging"
	"github.com/vendorportal/orgs/internal/roles"
	"github.com/vendorportal/orgs/internal/tokens"
)

// The licensing items (package licensing):
//
//	CATALOG            PRODUCT#<productId>   a catalog product: the whole catalog is one Query
//	                                         of one partition (public products for entitlements)
//	ORG#<orgId>        LICENSE#<licenseId>   a license. Every license of an org is one Query:
//	                                         PK = ORG#<orgId>, begins_with(SK, "LICENSE#").
//	                                         Copied from the catalog: productName, availability.
//	                                         Times: startsAt, endsAt (absent = no end), revokedAt,
//	                                         expiredAt (the job's record), dueAt: fixed-width
//	                                         sortTime strings. nodeLimit, seatLimit: numbers,
//	                                         absent = unlimited (seatLimit absent = every member
//	                                         with products.access). seatHolders: string set of
//	                                         the user ids holding a seat (absent when none),
//	                                         seatsUsed its size: "does user U hold a seat" is
//	                                         contains(seatHolders, U) on the item itself.
//	                                         version: bumped by every change but seats.
//	                                         GSI3, while something is due: DUE#LICENSE#<yyyy-mm-dd>
//	                                           / <dueAt>#<orgId>#<licenseId>
//	ORG#<orgId>        SEAT#<licenseId>#<userId>  a seat (userId, email, assignedAt), written in
//	                                         the transaction that adds userId to seatHolders
//	ORG#<orgId>        TRIAL#<productId>     the guard: one trial per product per org, ever,
//	                                         with the Master Service Agreement's acceptance
//	ORG#<orgId>        MEMBER#<userId>       (items.go) carries seatLicenses, the string set of
//	USER#<userId>      ORG#<orgId>             the licenses where the member holds a seat, on
//	                                         both sides: a removal frees them without a read
//	JOB#LICENSES       WATERMARK             the first day shard of the due index that may still
//	                                         hold something due (day: yyyy-mm-dd)
//
// Every seat change updates the license item, the seat item and both sides of the membership
// in one transaction; the license's update holds only while seatsUsed < seatLimit, so
// concurrent assigns can never pass the limit.
const (
	catalogPK        = "CATALOG"
	skProductPrefix  = "PRODUCT#"
	skLicensePrefix  = "LICENSE#"
	skSeatPrefix     = "SEAT#"
	skTrialPrefix    = "TRIAL#"
	licenseJobPK     = "JOB#LICENSES"
	skWatermark      = "WATERMARK"
	licenseDuePrefix = "DUE#LICENSE#"
)

func productSK(id string) string             { return skProductPrefix + id }
func licenseSK(id string) string             { return skLicensePrefix + id }
func seatPrefix(licenseID string) string     { return skSeatPrefix + licenseID + "#" }
func seatSK(licenseID, userID string) string { return seatPrefix(licenseID) + userID }
func trialSK(productID string) string        { return skTrialPrefix + productID }

// userTrialPK is the partition of one user's trial guards (licensing.TrialGuard.UserID).
func userTrialPK(userID string) string { return "TRIALUSER#" + userID }

var (
	_ licensing.Store = (*Store)(nil)
)

type productItem struct {
	keys
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
		keys: keys{PK: catalogPK, SK: productSK(p.ID)},
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
	keys
	ID             string          `dynamodbav:"id"`
	OrgID          string          `dynamodbav:"orgId"`
	ProductID      string          `dynamodbav:"productId"`
	ProductName    string          `dynamodbav:"productName"`
	Availability   string          `dynamodbav:"availability"`
	Type           string          `dynamodbav:"type"`
	StartsAt       stamp           `dynamodbav:"startsAt"`
	EndsAt         *stamp          `dynamodbav:"endsAt,omitempty"`
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
	DueAt          *stamp          `dynamodbav:"dueAt,omitempty"`
	Version        int             `dynamodbav:"version"`
}

func optStamp(t time.Time) *stamp {
	if t.IsZero() {
		return nil
	}
	s := stamp(t)
	return &s
}

func (s *stamp) orZero() time.Time {
	if s == nil {
		return time.Time{}
	}
	return s.time()
}

// licenseDueKeys are the sparse GSI3 keys of a license that is due at due.
func licenseDueKeys(orgID, licenseID string, due time.Time) (string, string) {
	return licenseDuePrefix + due.UTC().Format(time.DateOnly), sortTime(due) + "#" + orgID + "#" + licenseID
}

func newLicenseItem(l licensing.License) licenseItem {
	it := licenseItem{
		keys: keys{PK: orgPK(l.OrgID), SK: licenseSK(l.ID)},
		ID:   l.ID, OrgID: l.OrgID, ProductID: l.ProductID, ProductName: l.ProductName,
		Availability: string(l.Availability), Type: string(l.Type),
		StartsAt: stamp(l.StartsAt), EndsAt: optStamp(l.EndsAt), NodeLimit: l.NodeLimit, SeatLimit: l.SeatLimit,
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
		StartsAt: it.StartsAt.time(), EndsAt: it.EndsAt.orZero(), NodeLimit: it.NodeLimit, SeatLimit: it.SeatLimit,
		SeatHolders: it.SeatHolders, SeatsUsed: it.SeatsUsed, CreatedAt: it.CreatedAt,
		CreatedBy: orgs.Person{ID: it.CreatedByID, Email: it.CreatedByEmail},
		RevokedAt: it.RevokedAt, ExpiredAt: it.ExpiredAt, Notice14For: it.Notice14For, Notice1For: it.Notice1For,
		DueAt: it.DueAt.orZero(), Version: it.Version,
	}
	if a := it.Agreement; a != nil {
		l.Agreement = &licensing.Acceptance{Version: a.Version, AcceptedAt: a.AcceptedAt, AcceptedBy: orgs.Person{ID: a.ByID, Email: a.ByEmail}}
	}
	return l
}

type seatItem struct {
	keys
	LicenseID  string    `dynamodbav:"licenseId"`
	UserID     string    `dynamodbav:"userId"`
	Email      string    `dynamodbav:"email"`
	AssignedAt time.Time `dynamodbav:"assignedAt"`
}

func (it seatItem) seat() licensing.Seat {
	return licensing.Seat{LicenseID: it.LicenseID, UserID: it.UserID, Email: it.Email, AssignedAt: it.AssignedAt}
}

type trialGuardItem struct {
	keys
	ProductID string `dynamodbav:"productId"`
	// OrgID is the org of the trial, on a user's guard.
	OrgID     string         `dynamodbav:"orgId,omitempty"`
	LicenseID string         `dynamodbav:"licenseId"`
	Agreement acceptanceItem `dynamodbav:"agreement"`
}

// productRead reads the product the trial route names with the authorization step
// (planRead): a *licensing.Product, nil when the catalog has none of that id.
func productRead(r licensing.ProductRead) readPlan {
	return readPlan{keys: []keys{idKey(catalogPK, productSK, r.ID)}, decode: func(items []map[string]types.AttributeValue) (any, error) {
		return decodeAs("product", items[0], productItem.product)
	}}
}

// licenseRead reads the license a seat route names, and the seat of the route's user, with
// the authorization step (planRead): a licensing.LicenseFacts.
func licenseRead(orgID string, r licensing.LicenseRead) readPlan {
	ks := []keys{idKey(orgPK(orgID), licenseSK, r.ID), {}}
	if ks[0].PK != "" {
		ks[1] = idKey(orgPK(orgID), func(userID string) string { return seatSK(r.ID, userID) }, r.UserID)
	}
	return readPlan{keys: ks, decode: func(items []map[string]types.AttributeValue) (any, error) {
		l, err := decodeAs("license", items[0], licenseItem.license)
		if err != nil {
			return nil, err
		}
		st, err := decodeAs("seat", items[1], seatItem.seat)
		return licensing.LicenseFacts{License: l, Seat: st}, err
	}}
}

// getAs reads the item pk/sk, an I, consistently and returns what to makes of it; absent when
// there is none.
func getAs[I, V any](ctx context.Context, s *Store, pk, sk string, to func(I) V, absent error) (V, error) {
	var zero V
	av, err := s.getItem(ctx, pk, sk)
	if err != nil {
		return zero, err
	}
	v, err := decodeAs(sk, av, to)
	switch {
	case err != nil:
		return zero, err
	case v == nil:
		return zero, absent
	}
	return *v, nil
}

// getItem reads one item, consistently; nil when there is none.
func (s *Store) getItem(ctx context.Context, pk, sk string) (map[string]types.AttributeValue, error) {
	out, err := s.Client.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(s.Table), Key: key(pk, sk), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return nil, fmt.Errorf("get %s %s: %w", pk, sk, err)
	}
	return out.Item, nil
}

// Product implements licensing.Store.
func (s *Store) Product(ctx context.Context, id string) (licensing.Product, error) {
	return getAs(ctx, s, catalogPK, productSK(id), productItem.product, licensing.ErrNoProduct(id))
}

// Products implements licensing.Store: one Query of the catalog's partition.
func (s *Store) Products(ctx context.Context, p paging.Request) (licensing.ProductPage, error) {
	items, next, err := s.queryPrefix(ctx, catalogPK, skProductPrefix, p)
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
	start, err := decodeKey(p.After)
	if err != nil {
		return nil, "", err
	}
	expr, err := expression.NewBuilder().WithKeyCondition(
		expression.Key(attrPK).Equal(expression.Value(pk)).And(expression.Key(attrSK).BeginsWith(prefix))).Build()
	if err != nil {
		return nil, "", err
	}
	in := &dynamodb.QueryInput{
		TableName: aws.String(s.Table), KeyConditionExpression: expr.KeyCondition(),
		ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values(),
		ExclusiveStartKey: start, ConsistentRead: aws.Bool(true),
	}
	if p.Limit > 0 {
		in.Limit = aws.Int32(int32(p.Limit))
	}
	out, err := s.Client.Query(ctx, in)
	if err != nil {
		return nil, "", fmt.Errorf("query %s %s: %w", pk, prefix, err)
	}
	next, err := encodeKey(out.LastEvaluatedKey)
	return out.Items, next, err
}

// PutProduct implements licensing.Store: the product and its place among the public products
// (listed while public, unlisted when commercial), in one transaction. The catalog belongs to
// no org: no event log to write.
func (s *Store) PutProduct(ctx context.Context, p licensing.Product) error {
	t := s.txn()
	t.put(newProductItem(p), expression.ConditionBuilder{}, nil)
	t.summarizeProduct(tokens.Product{ID: p.ID, Name: p.Name}, p.Availability == licensing.Public)
	if err := t.run(ctx, s.Client); err != nil {
		return fmt.Errorf("put product %s: %w", p.ID, err)
	}
	return nil
}

// Org implements licensing.Store: one consistent GetItem.
func (s *Store) Org(ctx context.Context, orgID string) (orgs.Org, error) {
	return getAs(ctx, s, orgPK(orgID), skMeta, orgItem.org, licensing.ErrOrgGone)
}

// OrgByHandle implements licensing.Store: the handle's guard, then the org.
func (s *Store) OrgByHandle(ctx context.Context, handle string) (orgs.Org, error) {
	orgID, err := getAs(ctx, s, handlePK(handle), skHandle, func(it handleItem) string { return it.OrgID }, licensing.ErrOrgGone)
	if err != nil {
		return orgs.Org{}, err
	}
	return s.Org(ctx, orgID)
}

// License implements licensing.Store.
func (s *Store) License(ctx context.Context, orgID, licenseID string) (licensing.License, error) {
	return getAs(ctx, s, orgPK(orgID), licenseSK(licenseID), licenseItem.license, licensing.ErrNoLicense)
}

// Licenses implements licensing.Store: one Query of the org's LICENSE# range.
func (s *Store) Licenses(ctx context.Context, orgID string, p paging.Request) (licensing.LicensePage, error) {
	items, next, err := s.queryPrefix(ctx, orgPK(orgID), skLicensePrefix, p)
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
	t := s.txn()
	t.putNew(newLicenseItem(l), fmt.Errorf("license %s exists", l.ID))
	t.summarizeLicense(l.OrgID, summaryOf(l))
	t.check(key(orgPK(l.OrgID), skMeta), orgLive(), licensing.ErrOrgGone)
	t.event(ev)
	return t.run(ctx, s.Client)
}

// StartTrial implements licensing.Store.
// The user's guard lives in a partition of its own (userTrialPK), not in the user's: deleting
// the account, which empties the user's partition, must not give its owner the trial again.
func (s *Store) StartTrial(ctx context.Context, actor orgs.Acting, l licensing.License, g licensing.TrialGuard, ev audit.Event) error {
	t := s.txn()
	t.putNew(trialGuardItem{keys: keys{PK: orgPK(g.OrgID), SK: trialSK(g.ProductID)}, ProductID: g.ProductID,
		LicenseID: g.LicenseID, Agreement: *newAcceptanceItem(g.Agreement)}, licensing.ErrTrialTaken)
	t.putNew(trialGuardItem{keys: keys{PK: userTrialPK(g.UserID), SK: trialSK(g.ProductID)}, ProductID: g.ProductID,
		OrgID: g.OrgID, LicenseID: g.LicenseID, Agreement: *newAcceptanceItem(g.Agreement)}, licensing.ErrUserTrialTaken)
	t.putNew(newLicenseItem(l), fmt.Errorf("license %s exists", l.ID))
	t.summarizeLicense(l.OrgID, summaryOf(l))
	t.actorAsRead(l.OrgID, actor, orgChange{shared: true, gone: licensing.ErrOrgGone})
	t.event(ev)
	return t.run(ctx, s.Client)
}

// setOrRemove sets name to v, or removes it when v is nil.
func setOrRemove[T any](u expression.UpdateBuilder, name string, v *T) expression.UpdateBuilder {
	if v == nil {
		return u.Remove(attr(name))
	}
	return u.Set(attr(name), val(*v))
}

// setDueOf sets the license's due time and its GSI3 keys, or takes it out of the index.
func setDueOf(u expression.UpdateBuilder, l licensing.License) expression.UpdateBuilder {
	if l.DueAt.IsZero() {
		return u.Remove(attr("dueAt")).Remove(attr(attrGSI3P)).Remove(attr(attrGSI3S))
	}
	pk, sk := licenseDueKeys(l.OrgID, l.ID, l.DueAt)
	return u.Set(attr("dueAt"), val(stamp(l.DueAt))).Set(attr(attrGSI3P), val(pk)).Set(attr(attrGSI3S), val(sk))
}

func setTime(u expression.UpdateBuilder, name string, t time.Time) expression.UpdateBuilder {
	if t.IsZero() {
		return u.Remove(attr(name))
	}
	return u.Set(attr(name), val(t))
}

// UpdateLicense implements licensing.Store.
func (s *Store) UpdateLicense(ctx context.Context, before, after licensing.License, ev audit.Event) error {
	t := s.txn()
	u := expression.Set(attr("version"), val(after.Version))
	u = setOrRemove(u, "endsAt", optStamp(after.EndsAt))
	u = setOrRemove(u, "nodeLimit", after.NodeLimit)
	u = setOrRemove(u, "seatLimit", after.SeatLimit)
	u = setTime(u, "revokedAt", after.RevokedAt)
	u = setTime(u, "expiredAt", after.ExpiredAt)
	u = setDueOf(u, after)
	cond := attr("version").Equal(val(before.Version))
	onFail := licensing.ErrLicenseChanged
	if !sameLimit(before.SeatLimit, after.SeatLimit) {
		// A seat taken while the limit is lowered: the count is checked here, not as read.
		onFail = licensing.ErrSeatsInUse
		if after.SeatLimit == nil {
			cond = cond.And(attr("seatsUsed").Equal(val(0)))
		} else {
			cond = cond.And(attr("seatsUsed").LessThanEqual(val(*after.SeatLimit)))
		}
	}
	t.update(key(orgPK(before.OrgID), licenseSK(before.ID)), u, exists().And(cond), onFail)
	t.summarizeLicense(before.OrgID, summaryOf(after))
	t.check(key(orgPK(before.OrgID), skMeta), orgLive(), licensing.ErrOrgGone)
	t.event(ev)
	return t.run(ctx, s.Client)
}

func sameLimit(a, b *int) bool {
	return a == nil && b == nil || a != nil && b != nil && *a == *b
}

// Seat implements licensing.Store.
func (s *Store) Seat(ctx context.Context, orgID, licenseID, userID string) (licensing.Seat, error) {
	return getAs(ctx, s, orgPK(orgID), seatSK(licenseID, userID), seatItem.seat, licensing.ErrNoSeat)
}

// Seats implements licensing.Store: one Query of the license's SEAT# range.
func (s *Store) Seats(ctx context.Context, orgID, licenseID string, p paging.Request) (licensing.SeatPage, error) {
	items, next, err := s.queryPrefix(ctx, orgPK(orgID), seatPrefix(licenseID), p)
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

// seatSet is a one-element string set.
func seatSet(v string) expression.ValueBuilder {
	return expression.Value(&types.AttributeValueMemberSS{Value: []string{v}})
}

// AssignSeat implements licensing.Store.
func (s *Store) AssignSeat(ctx context.Context, w licensing.SeatWrite) error {
	l, m := w.License, w.Member
	t := s.txn()
	t.putNew(seatItem{keys: keys{PK: orgPK(l.OrgID), SK: seatSK(l.ID, m.UserID)}, LicenseID: l.ID,
		UserID: m.UserID, Email: m.Email, AssignedAt: w.Seat.AssignedAt}, licensing.ErrSeatsTaken)
	cond := exists().
		And(expression.AttributeExists(attr("seatLimit"))).
		And(attr("seatsUsed").LessThan(attr("seatLimit"))).
		And(expression.Not(expression.Contains(attr("seatHolders"), m.UserID))).
		And(expression.AttributeNotExists(attr("revokedAt"))).
		And(expression.AttributeNotExists(attr("endsAt")).Or(attr("endsAt").GreaterThan(val(sortTime(w.Now)))))
	t.update(key(orgPK(l.OrgID), licenseSK(l.ID)),
		expression.Add(attr("seatHolders"), seatSet(m.UserID)).Add(attr("seatsUsed"), val(1)), cond, licensing.ErrSeatsTaken)
	t.summarizeSeat(l.OrgID, l.ID, m.UserID, true)
	few := expression.AttributeNotExists(attr("seatLicenses")).Or(expression.Size(attr("seatLicenses")).LessThan(val(licensing.MaxSeatsPerMember)))
	t.update(key(orgPK(l.OrgID), memberSK(m.UserID)), expression.Add(attr("seatLicenses"), seatSet(l.ID)),
		exists().And(attr("role").Equal(val(string(m.Role)))).And(few), orgs.ErrMemberChanged)
	t.update(key(userPK(m.UserID), userOrgSK(l.OrgID)), expression.Add(attr("seatLicenses"), seatSet(l.ID)), exists(), orgs.ErrMemberChanged)
	if w.Actor.UserID != m.UserID {
		// (One's own seat: the member item's role condition above holds the actor too.)
		t.memberStill(l.OrgID, w.Actor)
	}
	t.check(key(orgPK(l.OrgID), skMeta), orgLive(), licensing.ErrOrgGone)
	t.event(w.Event)
	return t.run(ctx, s.Client)
}

// ReleaseSeat implements licensing.Store.
func (s *Store) ReleaseSeat(ctx context.Context, w licensing.SeatWrite) error {
	l, uid := w.License, w.Seat.UserID
	t := s.txn()
	t.delete(key(orgPK(l.OrgID), seatSK(l.ID, uid)), exists(), licensing.ErrNoSeat)
	t.update(key(orgPK(l.OrgID), licenseSK(l.ID)),
		expression.Delete(attr("seatHolders"), seatSet(uid)).Add(attr("seatsUsed"), val(-1)),
		expression.Contains(attr("seatHolders"), uid), licensing.ErrNoSeat)
	t.summarizeSeat(l.OrgID, l.ID, uid, false)
	if w.Member != nil {
		t.update(key(orgPK(l.OrgID), memberSK(uid)), expression.Delete(attr("seatLicenses"), seatSet(l.ID)), exists(), orgs.ErrMemberChanged)
		t.update(key(userPK(uid), userOrgSK(l.OrgID)), expression.Delete(attr("seatLicenses"), seatSet(l.ID)), exists(), orgs.ErrMemberChanged)
	}
	if w.Actor.UserID != uid {
		t.memberStill(l.OrgID, w.Actor)
	}
	t.check(key(orgPK(l.OrgID), skMeta), orgLive(), licensing.ErrOrgGone)
	t.event(w.Event)
	return t.run(ctx, s.Client)
}

// seatsAsRead holds while the member item's seats are as many as read, so that a removal frees
// every seat the member holds (a seat given meanwhile fails the removal: try again).
func seatsAsRead(seats []string) expression.ConditionBuilder {
	if len(seats) == 0 {
		return expression.AttributeNotExists(attr("seatLicenses"))
	}
	return expression.Size(attr("seatLicenses")).Equal(val(len(seats)))
}

// freeSeats adds to a removal of m what frees m's seats: each seat item, m's place in each
// license's holders and in the org's license summary. At MaxSeatsPerMember seats that is
// 2×40 + 1 items, which leaves a removal's other items room under the 100 a transaction holds.
func (t *txn) freeSeats(orgID string, m orgs.Member) {
	t.summarizeSeatsFreed(orgID, m.UserID, m.Seats)
	for _, lic := range m.Seats {
		t.delete(key(orgPK(orgID), seatSK(lic, m.UserID)), expression.ConditionBuilder{}, nil)
		t.update(key(orgPK(orgID), licenseSK(lic)),
			expression.Delete(attr("seatHolders"), seatSet(m.UserID)).Add(attr("seatsUsed"), val(-1)),
			expression.Contains(attr("seatHolders"), m.UserID), orgs.ErrMemberChanged)
	}
}

// DueLicenses implements licensing.Store: a Query of one day shard of GSI3, up to now.
func (s *Store) DueLicenses(ctx context.Context, day, now time.Time) ([]licensing.License, error) {
	pk, _ := licenseDueKeys("", "", day)
	return queryDue(ctx, s, pk, now, "licenses", licenseItem.license)
}

type watermarkItem struct {
	keys
	Day string `dynamodbav:"day"`
}

// DueWatermark implements licensing.Store.
func (s *Store) DueWatermark(ctx context.Context) (time.Time, error) {
	av, err := s.getItem(ctx, licenseJobPK, skWatermark)
	if err != nil || av == nil {
		return time.Time{}, err
	}
	var it watermarkItem
	if err := attributevalue.UnmarshalMap(av, &it); err != nil {
		return time.Time{}, err
	}
	return time.Parse(time.DateOnly, it.Day)
}

// AdvanceDueWatermark implements licensing.Store: a conditional write, so that of two jobs
// the later day wins.
func (s *Store) AdvanceDueWatermark(ctx context.Context, day time.Time) error {
	d := day.UTC().Format(time.DateOnly)
	expr, err := expression.NewBuilder().
		WithUpdate(expression.Set(attr("day"), val(d))).
		WithCondition(expression.AttributeNotExists(attr("day")).Or(attr("day").LessThan(val(d)))).Build()
	if err != nil {
		return err
	}
	_, err = s.Client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: aws.String(s.Table), Key: key(licenseJobPK, skWatermark),
		UpdateExpression: expr.Update(), ConditionExpression: expr.Condition(),
		ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values(),
	})
	var failed *types.ConditionalCheckFailedException
	if errors.As(err, &failed) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("advance license watermark: %w", err)
	}
	return nil
}

// StepLicense implements licensing.Store.
func (s *Store) StepLicense(ctx context.Context, before, after licensing.License, ev *audit.Event, msgs []outbox.Message) error {
	t := s.txn()
	u := expression.Set(attr("version"), val(after.Version))
	u = setTime(u, "expiredAt", after.ExpiredAt)
	u = setTime(u, "notice14For", after.Notice14For)
	u = setTime(u, "notice1For", after.Notice1For)
	u = setDueOf(u, after)
	asRead := attr("version").Equal(val(before.Version))
	if before.DueAt.IsZero() {
		asRead = asRead.And(expression.AttributeNotExists(attr("dueAt")))
	} else {
		asRead = asRead.And(attr("dueAt").Equal(val(stamp(before.DueAt))))
	}
	t.update(key(orgPK(before.OrgID), licenseSK(before.ID)), u, exists().And(asRead), licensing.ErrLicenseChanged)
	if ev != nil {
		// Nothing is logged or mailed for a deleted org (its data waits for the purge).
		t.check(key(orgPK(before.OrgID), skMeta), orgLive(), licensing.ErrOrgGone)
		t.event(*ev)
		t.outbox(ev.OccurredAt, msgs...)
	}
	return t.run(ctx, s.Client)
}

// MembersWithRole implements licensing.Store: a Query of the org's role partition of GSI2.
func (s *Store) MembersWithRole(ctx context.Context, orgID string, r roles.Role) ([]orgs.Member, error) {
	p := dynamodb.NewQueryPaginator(s.Client, &dynamodb.QueryInput{
		TableName: aws.String(s.Table), IndexName: aws.String(IndexGSI2),
		KeyConditionExpression:    aws.String("GSI2PK = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: memberRolePK(orgID, r)}},
	})
	var out []orgs.Member
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("query members with role %s: %w", r, err)
		}
		for _, av := range page.Items {
			var it memberItem
			if err := attributevalue.UnmarshalMap(av, &it); err != nil {
				return nil, err
			}
			out = append(out, it.member())
		}
	}
	return out, nil
}

// licensingReads registers the reads of licensing with the authorization step.
func licensingReads() {
	registerRead(func(_ string, r licensing.ProductRead) readPlan { return productRead(r) })
	registerRead(licenseRead)
}
