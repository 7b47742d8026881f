package dynamo

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/vendorportal/orgs/internal/licensing"
	"github.com/vendorportal/orgs/internal/tokens"
)

// What a tool's sign-in reads of the licensing, by key, in its one BatchGetItem:
//
//	ORG#<orgId>  LICENSES    the org's license summary: per license an attribute
//	                         lic_<licenseId> (a map: productId, productName, type, startsAt,
//	                         endsAt, nodeLimit, seatLimit, revoked) and, while it has seats
//	                         held, seats_<licenseId> (the string set of the holders' user ids)
//	CATALOG      PUBLIC      the public products: per product an attribute pub_<productId>
//	                         holding its name
//
// One attribute per license, seat set or product, so that each licensing write keeps the
// summary in step with one more item in its own transaction, without reading it first:
// summarizeLicense on a grant, trial, change or revocation (GrantLicense, StartTrial,
// UpdateLicense); summarizeSeat on a seat assigned or released (a top-level string set, which
// ADD and DELETE change); summarizeSeatsFreed where a removal or suspension frees a member's
// seats (freeSeats); summarizeProduct on a catalog write (PutProduct). The job's expiry
// changes nothing here: a license's status is computed at read time from its dates. Like the
// license item, the summary keeps the product name the license was granted with. An item
// stays well under 400 KB up to about ten thousand seats.
const (
	skLicenses      = "LICENSES"
	publicCatalogPK = "CATALOG"
	skPublicCatalog = "PUBLIC"
	attrLicense     = "lic_"
	attrSeats       = "seats_"
	attrPublic      = "pub_"
)

type licenseEntry struct {
	ProductID   string    `dynamodbav:"productId"`
	ProductName string    `dynamodbav:"productName"`
	Type        string    `dynamodbav:"type"`
	StartsAt    time.Time `dynamodbav:"startsAt"`
	EndsAt      time.Time `dynamodbav:"endsAt,omitempty"`
	NodeLimit   *int      `dynamodbav:"nodeLimit,omitempty"`
	SeatLimit   *int      `dynamodbav:"seatLimit,omitempty"`
	Revoked     bool      `dynamodbav:"revoked,omitempty"`
}

func summaryKey(orgID string) map[string]types.AttributeValue { return key(orgPK(orgID), skLicenses) }

// summarizeLicense writes license l's terms into the org's summary (seats aside).
func (t *txn) summarizeLicense(orgID string, l tokens.License) {
	e := licenseEntry{ProductID: l.ProductID, ProductName: l.ProductName, Type: l.Type, StartsAt: l.StartsAt,
		EndsAt: l.EndsAt, NodeLimit: l.NodeLimit, SeatLimit: l.SeatLimit, Revoked: l.Revoked}
	av, err := attributevalue.MarshalMapWithOptions(e, func(o *attributevalue.EncoderOptions) { o.OmitEmptyTime = true })
	if err != nil {
		t.err = fmt.Errorf("marshal license summary: %w", err)
		return
	}
	t.update(summaryKey(orgID), expression.Set(attr(attrLicense+l.ID), expression.Value(&types.AttributeValueMemberM{Value: av})),
		expression.ConditionBuilder{}, nil)
}

// summaryOf is what the summary keeps of license l.
func summaryOf(l licensing.License) tokens.License {
	return tokens.License{ID: l.ID, ProductID: l.ProductID, ProductName: l.ProductName, Type: string(l.Type),
		StartsAt: l.StartsAt, EndsAt: l.EndsAt, NodeLimit: l.NodeLimit, SeatLimit: l.SeatLimit, Revoked: !l.RevokedAt.IsZero()}
}

// summarizeSeat records in the org's summary that userID holds (held) or no longer holds a
// seat of the license.
func (t *txn) summarizeSeat(orgID, licenseID, userID string, held bool) {
	set := &types.AttributeValueMemberSS{Value: []string{userID}}
	upd := expression.Delete(attr(attrSeats+licenseID), expression.Value(set))
	if held {
		upd = expression.Add(attr(attrSeats+licenseID), expression.Value(set))
	}
	t.update(summaryKey(orgID), upd, expression.ConditionBuilder{}, nil)
}

// summarizeSeatsFreed records in the org's summary that userID holds no seat of the licenses
// any more: one update of the item for them all, since a transaction may touch it only once.
func (t *txn) summarizeSeatsFreed(orgID, userID string, licenseIDs []string) {
	if len(licenseIDs) == 0 {
		return
	}
	set := &types.AttributeValueMemberSS{Value: []string{userID}}
	var upd expression.UpdateBuilder
	for _, lic := range licenseIDs {
		upd = upd.Delete(attr(attrSeats+lic), expression.Value(set))
	}
	t.update(summaryKey(orgID), upd, expression.ConditionBuilder{}, nil)
}

// summarizeProduct lists (public) or unlists the product among the public ones.
func (t *txn) summarizeProduct(p tokens.Product, public bool) {
	upd := expression.Remove(attr(attrPublic + p.ID))
	if public {
		upd = expression.Set(attr(attrPublic+p.ID), val(p.Name))
	}
	t.update(key(publicCatalogPK, skPublicCatalog), upd, expression.ConditionBuilder{}, nil)
}

// licensesFrom reads the licenses of a summary item, by license id.
func licensesFrom(av map[string]types.AttributeValue) ([]tokens.License, error) {
	var out []tokens.License
	for name, v := range av {
		id, ok := strings.CutPrefix(name, attrLicense)
		if !ok {
			continue
		}
		var e licenseEntry
		if err := attributevalue.Unmarshal(v, &e); err != nil {
			return nil, fmt.Errorf("license summary %s: %w", id, err)
		}
		l := tokens.License{ID: id, ProductID: e.ProductID, ProductName: e.ProductName, Type: e.Type, StartsAt: e.StartsAt,
			EndsAt: e.EndsAt, NodeLimit: e.NodeLimit, SeatLimit: e.SeatLimit, Revoked: e.Revoked}
		if ss, ok := av[attrSeats+id].(*types.AttributeValueMemberSS); ok {
			l.Seats = ss.Value
		}
		out = append(out, l)
	}
	slices.SortFunc(out, func(a, b tokens.License) int { return strings.Compare(a.ID, b.ID) })
	return out, nil
}

// publicFrom reads the public products of the catalog's summary item.
func publicFrom(av map[string]types.AttributeValue) ([]tokens.Product, error) {
	var out []tokens.Product
	for name, v := range av {
		if id, ok := strings.CutPrefix(name, attrPublic); ok {
			s, ok := v.(*types.AttributeValueMemberS)
			if !ok {
				return nil, fmt.Errorf("public product %s: want a string", id)
			}
			out = append(out, tokens.Product{ID: id, Name: s.Value})
		}
	}
	slices.SortFunc(out, func(a, b tokens.Product) int { return strings.Compare(a.ID, b.ID) })
	return out, nil
}

// PutLicenseSummary writes the licenses ls, seats included, into the org's summary, one
// update per transaction (a transaction may touch the item once). Only tests call it, for
// licenses the routes can't make (ended, starting later); the licensing writes keep the
// summary themselves.
func (s *Store) PutLicenseSummary(ctx context.Context, orgID string, ls []tokens.License) error {
	for _, l := range ls {
		writes := []func(*txn){func(t *txn) { t.summarizeLicense(orgID, l) }}
		for _, u := range l.Seats {
			writes = append(writes, func(t *txn) { t.summarizeSeat(orgID, l.ID, u, true) })
		}
		for _, w := range writes {
			t := s.txn()
			w(t)
			if err := t.run(ctx, s.Client); err != nil {
				return err
			}
		}
	}
	return nil
}

// PutPublicCatalog lists ps among the public products; only tests call it, PutProduct keeps
// the list itself.
func (s *Store) PutPublicCatalog(ctx context.Context, ps []tokens.Product) error {
	for _, p := range ps {
		t := s.txn()
		t.summarizeProduct(p, true)
		if err := t.run(ctx, s.Client); err != nil {
			return err
		}
	}
	return nil
}
