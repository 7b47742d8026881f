package dynamo

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/vendorportal/orgs/internal/apperr"
	"github.com/vendorportal/orgs/internal/orgs"
)

// maxIDLength bounds the ids a read may name.
const MaxIDLength = 128

// readPlan is how the authorization step reads one orgs.Read in its BatchGetItem: the items
// at keys (a zero key is not read: an id no one issued), and decode, which makes the read's
// result from the items read at keys, in the same order (nil where absent or not read).
type ReadPlan struct {
	Keys   []Keys
	Decode func(items []map[string]types.AttributeValue) (any, error)
}

// The authorization step's registry of the kinds of orgs.Read: each capability's store
// package registers its own reads, whose keys and decoding stand in that package, when a
// store of it is made (its New). So a binary links the reads of the stores it uses and no
// others, and this package imports no capability.
var (
	readsMu sync.RWMutex
	reads   = map[reflect.Type]func(orgID string, r orgs.Read) ReadPlan{}
)

// registerRead makes the authorization step able to read an R: plan says how.
func RegisterRead[R orgs.Read](plan func(orgID string, r R) ReadPlan) {
	readsMu.Lock()
	defer readsMu.Unlock()
	reads[reflect.TypeFor[R]()] = func(orgID string, r orgs.Read) ReadPlan { return plan(orgID, r.(R)) }
}

// planRead plans r with its registered kind. A kind missing here is a programming error
// (its store was not made, or does not register it), never a request's.
func planRead(orgID string, r orgs.Read) (ReadPlan, error) {
	readsMu.RLock()
	plan, ok := reads[reflect.TypeOf(r)]
	readsMu.RUnlock()
	if !ok {
		return ReadPlan{}, fmt.Errorf("dynamo: the authorization step has no read of %T", r)
	}
	return plan(orgID, r), nil
}

// idKey is the key pk/sk(id), or none (zero, not read) when id is empty or too long to be
// one the server issued (it would name nothing, and could pass DynamoDB's key limit).
func IdKey(pk string, sk func(id string) string, id string) Keys {
	if id == "" || len(id) > MaxIDLength {
		return Keys{}
	}
	return Keys{PK: pk, SK: sk(id)}
}

// decodeAs decodes the item av, an I, into what to makes of it; nil when av is (the item is
// absent).
func DecodeAs[I, V any](what string, av map[string]types.AttributeValue, to func(I) V) (*V, error) {
	if av == nil {
		return nil, nil
	}
	var it I
	if err := attributevalue.UnmarshalMap(av, &it); err != nil {
		return nil, fmt.Errorf("decode %s: %w", what, err)
	}
	v := to(it)
	return &v, nil
}

// readAt is where an item of a read stands: the read's index in Subject.Reads, and the
// item's among its plan's keys.
type readAt struct{ read, item int }

// Access implements orgs.Store: the org, the caller's membership, the member and the invite
// the route names, and the route's other reads (subj.Reads), in one BatchGetItem. That one
// round trip is the authorization step's share of the budget of two per API call (the
// operation has the other): whatever a route must look at before it writes comes here, each
// kind through planRead, so that the operation follows at once.
func (s *Store) Access(ctx context.Context, orgID, userID string, subj orgs.Subject) (orgs.Access, error) {
	// The caller's tombstone too: a deleted account's tokens stay valid for a while, and no
	// membership of it, had one survived, may act.
	ks := []map[string]types.AttributeValue{Key(OrgPK(orgID), SkMeta), Key(OrgPK(orgID), MemberSK(userID)), Key(UserPK(userID), SkDeleted)}
	if subj.UserID != "" && subj.UserID != userID {
		ks = append(ks, Key(OrgPK(orgID), MemberSK(subj.UserID)))
	}
	if subj.InviteID != "" {
		ks = append(ks, Key(OrgPK(orgID), InviteSK(subj.InviteID)))
	}
	plans := make([]ReadPlan, len(subj.Reads))
	reads := map[Keys][]readAt{}
	for i, r := range subj.Reads {
		var err error
		if plans[i], err = planRead(orgID, r); err != nil {
			return orgs.Access{}, err
		}
		for j, k := range plans[i].Keys {
			if k.PK == "" {
				continue
			}
			if reads[k] == nil {
				// Two reads of one item ask for it once: BatchGetItem refuses a key twice.
				ks = append(ks, Key(k.PK, k.SK))
			}
			reads[k] = append(reads[k], readAt{i, j})
		}
	}
	if k := idempotencyKey(ctx); k != nil {
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
		var k Keys
		if err := attributevalue.UnmarshalMap(av, &k); err != nil {
			return orgs.Access{}, err
		}
		if at, ok := reads[Keys{PK: k.PK, SK: k.SK}]; ok {
			for _, at := range at {
				read[at.read][at.item] = av
			}
			continue
		}
		switch {
		case k.SK == SkDeleted:
			deleted = true
		case k.SK == skIdempotency:
			// The store has no clock of its own; a record's day is long next to the skew.
			replay = replayFrom(av, time.Now())
		case k.SK == SkMeta:
			if err := attributevalue.UnmarshalMap(av, &org); err != nil {
				return orgs.Access{}, err
			}
		case strings.HasPrefix(k.SK, "MEMBER#"):
			var m MemberItem
			if err := attributevalue.UnmarshalMap(av, &m); err != nil {
				return orgs.Access{}, err
			}
			members[m.UserID] = m.Member()
		case strings.HasPrefix(k.SK, "INVITE#"):
			var it InviteItem
			if err := attributevalue.UnmarshalMap(av, &it); err != nil {
				return orgs.Access{}, err
			}
			inv := it.Invite()
			a.Invite = &inv
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
