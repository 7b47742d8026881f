package tokensdb

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/vendorportal/orgs/internal/dynamo"
	"github.com/vendorportal/orgs/internal/licensing"
	"github.com/vendorportal/orgs/internal/tokens"
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

// SummarizeLicense writes license l's terms into the org's summary (seats aside).
func SummarizeLicense(t *dynamo.Txn, orgID string, l tokens.License) {
	e := licenseEntry{ProductID: l.ProductID, ProductName: l.ProductName, Type: l.Type, StartsAt: l.StartsAt,
		EndsAt: l.EndsAt, NodeLimit: l.NodeLimit, SeatLimit: l.SeatLimit, Revoked: l.Revoked}
	av, err := attributevalue.MarshalMapWithOptions(e, func(o *attributevalue.EncoderOptions) { o.OmitEmptyTime = true })
	if err != nil {
		t.Err = fmt.Errorf("marshal license summary: %w", err)
		return
	}
	t.Update(dynamo.SummaryKey(orgID), expression.Set(dynamo.Attr(dynamo.AttrLicense+l.ID), expression.Value(&types.AttributeValueMemberM{Value: av})),
		expression.ConditionBuilder{}, nil)
}

// SummaryOf is what the summary keeps of license l.
func SummaryOf(l licensing.License) tokens.License {
	return tokens.License{ID: l.ID, ProductID: l.ProductID, ProductName: l.ProductName, Type: string(l.Type),
		StartsAt: l.StartsAt, EndsAt: l.EndsAt, NodeLimit: l.NodeLimit, SeatLimit: l.SeatLimit, Revoked: !l.RevokedAt.IsZero()}
}

// SummarizeSeat records in the org's summary that userID holds (held) or no longer holds a
// seat of the license.
func SummarizeSeat(t *dynamo.Txn, orgID, licenseID, userID string, held bool) {
	set := &types.AttributeValueMemberSS{Value: []string{userID}}
	upd := expression.Delete(dynamo.Attr(dynamo.AttrSeats+licenseID), expression.Value(set))
	if held {
		upd = expression.Add(dynamo.Attr(dynamo.AttrSeats+licenseID), expression.Value(set))
	}
	t.Update(dynamo.SummaryKey(orgID), upd, expression.ConditionBuilder{}, nil)
}

// SummarizeProduct lists (public) or unlists the product among the public ones.
func SummarizeProduct(t *dynamo.Txn, p tokens.Product, public bool) {
	upd := expression.Remove(dynamo.Attr(dynamo.AttrPublic + p.ID))
	if public {
		upd = expression.Set(dynamo.Attr(dynamo.AttrPublic+p.ID), dynamo.Val(p.Name))
	}
	t.Update(dynamo.Key(dynamo.PublicCatalogPK, dynamo.SkPublicCatalog), upd, expression.ConditionBuilder{}, nil)
}

// licensesFrom reads the licenses of a summary item, by license id.
func licensesFrom(av map[string]types.AttributeValue) ([]tokens.License, error) {
	var out []tokens.License
	for name, v := range av {
		id, ok := strings.CutPrefix(name, dynamo.AttrLicense)
		if !ok {
			continue
		}
		var e licenseEntry
		if err := attributevalue.Unmarshal(v, &e); err != nil {
			return nil, fmt.Errorf("license summary %s: %w", id, err)
		}
		l := tokens.License{ID: id, ProductID: e.ProductID, ProductName: e.ProductName, Type: e.Type, StartsAt: e.StartsAt,
			EndsAt: e.EndsAt, NodeLimit: e.NodeLimit, SeatLimit: e.SeatLimit, Revoked: e.Revoked}
		if ss, ok := av[dynamo.AttrSeats+id].(*types.AttributeValueMemberSS); ok {
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
		if id, ok := strings.CutPrefix(name, dynamo.AttrPublic); ok {
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
		writes := []func(*dynamo.Txn){func(t *dynamo.Txn) { SummarizeLicense(t, orgID, l) }}
		for _, u := range l.Seats {
			writes = append(writes, func(t *dynamo.Txn) { SummarizeSeat(t, orgID, l.ID, u, true) })
		}
		for _, w := range writes {
			t := s.Txn()
			w(t)
			if err := t.Run(ctx, s.Client); err != nil {
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
		t := s.Txn()
		SummarizeProduct(t, p, true)
		if err := t.Run(ctx, s.Client); err != nil {
			return err
		}
	}
	return nil
}
