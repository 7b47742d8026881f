package dynamo

import (
	"context"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/vendorportal/orgs/internal/apperr"
	"github.com/vendorportal/orgs/internal/orgs"
)

// maxIDLength bounds the ids a subject item may have.
const maxIDLength = 128

// subjectItem is a kind of item an org route may name as its subject (orgs.SubjectItem): its
// sort key in the org's partition and how to decode it.
type subjectItem struct {
	sk     func(id string) string
	decode func(map[string]types.AttributeValue) (any, error)
}

// subjectItems are the kinds of orgs.SubjectItem, by name.
var subjectItems = map[string]subjectItem{
	"ticket": {sk: ticketSK, decode: ticketSubject},
}

// Access implements orgs.Store: the org, the caller's membership and the route's subject
// (another member, an invite) in one BatchGetItem.
func (s *Store) Access(ctx context.Context, orgID, userID string, subj orgs.Subject) (orgs.Access, error) {
	ks := []map[string]types.AttributeValue{key(orgPK(orgID), skMeta), key(orgPK(orgID), memberSK(userID))}
	if subj.UserID != "" && subj.UserID != userID {
		ks = append(ks, key(orgPK(orgID), memberSK(subj.UserID)))
	}
	if subj.InviteID != "" {
		ks = append(ks, key(orgPK(orgID), inviteSK(subj.InviteID)))
	}
	item, itemSK := subjectItems[subj.Item.Kind], ""
	// An id too long to be one the server issued names nothing (and would pass DynamoDB's key
	// limit): the item is absent.
	if item.sk != nil && subj.Item.ID != "" && len(subj.Item.ID) <= maxIDLength {
		itemSK = item.sk(subj.Item.ID)
		ks = append(ks, key(orgPK(orgID), itemSK))
	}
	if k := idempotencyKey(ctx); k != nil {
		ks = append(ks, k)
	}
	items, err := s.batchGet(ctx, ks)
	if err != nil {
		return orgs.Access{}, err
	}
	var a orgs.Access
	var org orgItem
	var replay error
	members := map[string]orgs.Member{}
	for _, av := range items {
		var k keys
		if err := attributevalue.UnmarshalMap(av, &k); err != nil {
			return orgs.Access{}, err
		}
		switch {
		case itemSK != "" && k.SK == itemSK:
			if a.Item, err = item.decode(av); err != nil {
				return orgs.Access{}, err
			}
		case k.SK == skIdempotency:
			// The store has no clock of its own; a record's day is long next to the skew.
			replay = replayFrom(av, time.Now())
		case k.SK == skMeta:
			if err := attributevalue.UnmarshalMap(av, &org); err != nil {
				return orgs.Access{}, err
			}
		case strings.HasPrefix(k.SK, "MEMBER#"):
			var m memberItem
			if err := attributevalue.UnmarshalMap(av, &m); err != nil {
				return orgs.Access{}, err
			}
			members[m.UserID] = m.member()
		case strings.HasPrefix(k.SK, "INVITE#"):
			var it inviteItem
			if err := attributevalue.UnmarshalMap(av, &it); err != nil {
				return orgs.Access{}, err
			}
			inv := it.invite()
			a.Invite = &inv
		}
	}
	caller, ok := members[userID]
	if org.ID == "" || !ok {
		return orgs.Access{}, apperr.New(apperr.NotFound, "organization not found")
	}
	a.Org, a.Member = org.org(), caller
	if t, ok := members[subj.UserID]; ok {
		a.Target = &t
	}
	// A replay: the request was made before. The access is returned so that it is checked
	// before the request is answered again.
	return a, replay
}
