package dynamo

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"

	"github.com/vendorportal/orgs/internal/orgs"
	"github.com/vendorportal/orgs/internal/roles"
)

// AddMemberForTest writes a membership (both sides) and bumps the org's counters, so tests can
// set up orgs with members of every role without going through invitations.
func (s *Store) AddMemberForTest(ctx context.Context, o orgs.Org, m orgs.Member) error {
	t := s.txn()
	t.putNew(newMemberItem(m), fmt.Errorf("member exists"))
	t.putNew(newUserOrgItem(m, o.Kind), fmt.Errorf("membership exists"))
	ub := expression.Add(expression.Name("memberCount"), expression.Value(1))
	if m.Role == roles.Admin {
		ub = ub.Add(expression.Name("adminCount"), expression.Value(1))
	}
	t.updateExpr(key(orgPK(o.ID), skMeta), ub, expression.AttributeExists(expression.Name(attrPK)), fmt.Errorf("no org"))
	return t.run(ctx, s.Client)
}
