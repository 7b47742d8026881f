package orgsdb

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/vendorportal/orgs/internal/dynamo"
	"github.com/vendorportal/orgs/internal/orgs"
)

// Account adds the items of a new account, unless the user's account was deleted (its
// tombstone: the user's tokens outlive it).
func Account(t *dynamo.Txn, a orgs.NewAccount) {
	t.Check(dynamo.Key(dynamo.UserPK(a.Profile.ID), dynamo.SkDeleted), dynamo.Absent(), orgs.ErrAccountDeleted)
	t.PutNew(dynamo.NewProfileItem(a.Profile), orgs.ErrAccountExists)
	t.PutNew(NewHandleItem(a.Org.Handle, a.Org.ID), orgs.ErrPersonalHandleTaken)
	// The personal org and its one member, written with the profile they belong to.
	t.PutNew(NewOrgItem(a.Org), fmt.Errorf("org %s exists", a.Org.ID))
	memberItems(t, a.Member, a.Org.Kind, fmt.Errorf("member %s of %s exists", a.Member.UserID, a.Org.ID))
	t.Event(a.Event)
}

// Membership is the one way a membership is added to a user's account, whatever brings it
// (an org's creation, an invite's acceptance, provisioning's creates, bulk and import rows,
// auto-join, SCIM, the legacy migration): the member on both sides with its search entries
// and email guard, with the account itself when it is new (acc), or else on condition that
// the account exists, counting the membership in the profile's joins (joining). The account's
// deletion is conditioned on those joins, so an add racing a deletion ends one way only:
// the add fails (noAccount) or the deletion does, never a member left without an account.
// exists is the error when the user or the address is a member already.
func Membership(t *dynamo.Txn, m orgs.Member, kind orgs.Kind, acc *orgs.NewAccount, noAccount, exists error) {
	if acc != nil {
		Account(t, *acc)
	} else {
		joining(t, m.UserID, noAccount)
	}
	memberItems(t, m, kind, exists)
}

// memberItems adds a membership's own items. Only membership and a new account's first
// membership (its personal org, written with the profile) use it.
func memberItems(t *dynamo.Txn, m orgs.Member, kind orgs.Kind, exists error) {
	t.PutNew(dynamo.NewMemberItem(m), exists)
	t.PutNew(dynamo.NewUserOrgItem(m, kind), exists)
	MemberEntries(t, m, exists)
}

// joining makes a write that adds a membership to the user's existing account hold only
// while the account exists (noAccount otherwise), and counts the membership in the profile's
// joins, on which the account's deletion is conditioned: a join and a deletion never both
// succeed unseen.
func joining(t *dynamo.Txn, userID string, noAccount error) {
	t.Update(dynamo.Key(dynamo.UserPK(userID), dynamo.SkProfile), expression.Add(dynamo.Attr("joins"), dynamo.Val(1)), dynamo.Exists(), noAccount)
}

// Orgs implements orgs.Store: ReadOrgs.
func (s *Store) Orgs(ctx context.Context, ids []string) ([]orgs.Org, error) {
	return ReadOrgs(ctx, s.Store, ids)
}

// ReadOrgs reads the live and deleted orgs among ids with consistent BatchGetItem calls of
// up to 100 keys; unknown ids are left out.
func ReadOrgs(ctx context.Context, s *dynamo.Store, ids []string) ([]orgs.Org, error) {
	var out []orgs.Org
	for start := 0; start < len(ids); start += 100 {
		chunk := ids[start:min(start+100, len(ids))]
		ks := make([]map[string]types.AttributeValue, len(chunk))
		for i, id := range chunk {
			ks[i] = dynamo.Key(dynamo.OrgPK(id), dynamo.SkMeta)
		}
		items, err := s.BatchGet(ctx, ks)
		if err != nil {
			return nil, err
		}
		for _, av := range items {
			var it OrgItem
			if err := attributevalue.UnmarshalMap(av, &it); err != nil {
				return nil, err
			}
			out = append(out, it.Org())
		}
	}
	return out, nil
}
