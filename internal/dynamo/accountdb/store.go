package accountdb

import (
	"context"
	"strings"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/vendorportal/orgs/internal/apperr"
	"github.com/vendorportal/orgs/internal/dynamo"
	"github.com/vendorportal/orgs/internal/dynamo/orgsdb"
	"github.com/vendorportal/orgs/internal/orgs"
	"github.com/vendorportal/orgs/internal/roles"
)

// Account implements orgs.Store: one consistent Query of the user's partition.
func (s *Store) Account(ctx context.Context, userID string) (orgs.Account, error) {
	var acc orgs.Account
	found, deleted := false, false
	q := dynamo.Query{What: "account", Key: dynamo.KeyIs(dynamo.AttrPK, dynamo.UserPK(userID)), Consistent: true}
	err := s.QueryEach(ctx, q, func(av map[string]types.AttributeValue) error {
		var k dynamo.Keys
		if err := attributevalue.UnmarshalMap(av, &k); err != nil {
			return err
		}
		switch {
		case k.SK == dynamo.SkDeleted:
			deleted = true
		case k.SK == skEmailChange:
			var it emailChangeItem
			if err := attributevalue.UnmarshalMap(av, &it); err != nil {
				return err
			}
			acc.EmailChange = it.change()
		case k.SK == dynamo.SkProfile:
			var it dynamo.ProfileItem
			if err := attributevalue.UnmarshalMap(av, &it); err != nil {
				return err
			}
			acc.Profile, found = it.Profile(), true
		case strings.HasPrefix(k.SK, "ORG#"):
			var it dynamo.UserOrgItem
			if err := attributevalue.UnmarshalMap(av, &it); err != nil {
				return err
			}
			acc.Memberships = append(acc.Memberships, orgs.Membership{
				OrgID: it.OrgID, Kind: orgs.Kind(it.Kind), Role: roles.Role(it.Role), JoinedAt: it.JoinedAt,
				Seats:  it.SeatLicenses,
				Status: orgs.Status(it.Status),
			})
		}
		return nil
	})
	if err != nil {
		return acc, err
	}
	if !found && deleted {
		return acc, orgs.ErrAccountDeleted
	}
	if !found {
		return acc, apperr.New(apperr.NotFound, "no profile for user")
	}
	return acc, nil
}

// CreateAccount implements orgs.Store.
func (s *Store) CreateAccount(ctx context.Context, a orgs.NewAccount) error {
	t := s.Txn()
	orgsdb.Account(t, a)
	return t.Run(ctx, s.Client)
}
