package dynamo

import (
	"fmt"
	"reflect"
	"sync"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/vendorportal/orgs/internal/orgs"
)

// maxIDLength bounds the ids a read may name.
const MaxIDLength = 128

// ReadPlan is how the authorization step reads one orgs.Read in its BatchGetItem: the items
// at keys (a zero key is not read: an id no one issued), and decode, which makes the read's
// result from the items read at keys, in the same order (nil where absent or not read).
type ReadPlan struct {
	Keys   []Keys
	Decode func(items []map[string]types.AttributeValue) (any, error)
}

// The authorization step's registry of the kinds of orgs.Read is the kernel store's own: each
// capability's store package registers its reads, whose keys and decoding stand in that
// package, on the kernel store it is made over (its New). So a function can plan only the
// reads of the stores its route made (Bind checks, at the cold start, that its route's are
// there), its binary links no others, and this package imports no capability.
type readRegistry struct {
	mu    sync.RWMutex
	plans map[reflect.Type]func(orgID string, r orgs.Read) ReadPlan
}

// RegisterRead makes the authorization step over s able to read an R: plan says how.
func RegisterRead[R orgs.Read](s *Store, plan func(orgID string, r R) ReadPlan) {
	s.reads.mu.Lock()
	defer s.reads.mu.Unlock()
	s.reads.plans[reflect.TypeFor[R]()] = func(orgID string, r orgs.Read) ReadPlan { return plan(orgID, r.(R)) }
}

// PlanRead plans r with its registered kind. A kind missing here is a programming error
// (its store was not made over s, or does not register it), never a request's.
func (s *Store) PlanRead(orgID string, r orgs.Read) (ReadPlan, error) {
	s.reads.mu.RLock()
	plan, ok := s.reads.plans[reflect.TypeOf(r)]
	s.reads.mu.RUnlock()
	if !ok {
		return ReadPlan{}, fmt.Errorf("dynamo: the authorization step has no read of %T: its store was not made", r)
	}
	return plan(orgID, r), nil
}

// IdKey is the key pk/sk(id), or none (zero, not read) when id is empty or too long to be
// one the server issued (it would name nothing, and could pass DynamoDB's key limit).
func IdKey(pk string, sk func(id string) string, id string) Keys {
	if id == "" || len(id) > MaxIDLength {
		return Keys{}
	}
	return Keys{PK: pk, SK: sk(id)}
}

// DecodeAs decodes the item av, an I, into what to makes of it; nil when av is (the item is
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
