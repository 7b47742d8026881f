package orgsdb

import (
	"context"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/vendorportal/orgs/internal/apperr"
	"github.com/vendorportal/orgs/internal/dynamo"
	"github.com/vendorportal/orgs/internal/orgs"
)

// readAt is where an item of a read stands: the read's index in Subject.Reads, and the
// item's among its plan's keys.
type readAt struct{ read, item int }

// Access implements orgs.Store: the org, the caller's membership, the member the route names, and the route's other reads (subj.Reads), in one BatchGetItem. That one
// round trip is the authorization step's share of the budget of two per API call (the
// operation has the other): whatever a route must look at before it writes comes here, each
// kind through dynamo.PlanRead, so that the operation follows at once.
func (s *Store) Access(ctx context.Context, orgID, userID string, subj orgs.Subject) (orgs.Access, error) {
	// The caller's tombstone too: a deleted account's tokens stay valid for a while, and no
	// membership of it, had one survived, may act.
	ks := []map[string]types.AttributeValue{dynamo.Key(dynamo.OrgPK(orgID), dynamo.SkMeta), dynamo.Key(dynamo.OrgPK(orgID), dynamo.MemberSK(userID)), dynamo.Key(dynamo.UserPK(userID), dynamo.SkDeleted)}
	if subj.UserID != "" && subj.UserID != userID {
		ks = append(ks, dynamo.Key(dynamo.OrgPK(orgID), dynamo.MemberSK(subj.UserID)))
	}
	plans := make([]dynamo.ReadPlan, len(subj.Reads))
	reads := map[dynamo.Keys][]readAt{}
	for i, r := range subj.Reads {
		var err error
		if plans[i], err = s.Store.PlanRead(orgID, r); err != nil {
			return orgs.Access{}, err
		}
		for j, k := range plans[i].Keys {
			if k.PK == "" {
				continue
			}
			if reads[k] == nil {
				// Two reads of one item ask for it once: BatchGetItem refuses a key twice.
				ks = append(ks, dynamo.Key(k.PK, k.SK))
			}
			reads[k] = append(reads[k], readAt{i, j})
		}
	}
	if k := dynamo.IdempotencyKey(ctx); k != nil {
		ks = append(ks, k)
	}
	items, err := s.BatchGet(ctx, ks)
	if err != nil {
		return orgs.Access{}, err
	}
	var a orgs.Access
	var org OrgItem
	var replay error
	deleted := false
	members := map[string]orgs.Member{}
	read := make([][]map[string]types.AttributeValue, len(plans))
	for i, p := range plans {
		read[i] = make([]map[string]types.AttributeValue, len(p.Keys))
	}
	for _, av := range items {
		var k dynamo.Keys
		if err := attributevalue.UnmarshalMap(av, &k); err != nil {
			return orgs.Access{}, err
		}
		if at, ok := reads[dynamo.Keys{PK: k.PK, SK: k.SK}]; ok {
			for _, at := range at {
				read[at.read][at.item] = av
			}
			continue
		}
		switch {
		case k.SK == dynamo.SkDeleted:
			deleted = true
		case k.SK == dynamo.SkIdempotency:
			// The store has no clock of its own; a record's day is long next to the skew.
			replay = dynamo.ReplayFrom(av, time.Now())
		case k.SK == dynamo.SkMeta:
			if err := attributevalue.UnmarshalMap(av, &org); err != nil {
				return orgs.Access{}, err
			}
		case strings.HasPrefix(k.SK, "MEMBER#"):
			var m dynamo.MemberItem
			if err := attributevalue.UnmarshalMap(av, &m); err != nil {
				return orgs.Access{}, err
			}
			members[m.UserID] = m.Member()
		}
	}
	if deleted {
		return orgs.Access{}, orgs.ErrAccountDeleted
	}
	caller, ok := members[userID]
	if org.ID == "" || !ok {
		return orgs.Access{}, apperr.New(apperr.NotFound, "organization not found")
	}
	a.Org, a.Member = org.Org(), caller
	if t, ok := members[subj.UserID]; ok {
		a.Target = &t
	}
	for i, p := range plans {
		v, err := p.Decode(read[i])
		if err != nil {
			return orgs.Access{}, err
		}
		a.Reads = append(a.Reads, orgs.Result{Read: subj.Reads[i], Value: v})
	}
	// A replay: the request was made before. The access is returned so that it is checked
	// before the request is answered again.
	return a, replay
}
