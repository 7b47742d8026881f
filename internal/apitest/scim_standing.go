package apitest

import (
	"context"

	"github.com/vendorportal/orgs/internal/orgs"
)

// OrgCounts is the org item's admin count, as the authorization step reads it.
func (a *API) OrgCounts(orgID string) orgs.Org {
	a.T.Helper()
	list, err := a.Store.Orgs(context.Background(), []string{orgID})
	if err != nil || len(list) != 1 {
		a.T.Fatalf("org %s: %v", orgID, err)
	}
	return list[0]
}

func (a *API) MemberOf(orgID string, c orgs.Caller) orgs.Member {
	a.T.Helper()
	acc, err := a.Store.Access(context.Background(), orgID, c.ID, orgs.Subject{})
	if err != nil {
		a.T.Fatalf("member %s: %v", c.ID, err)
	}
	return acc.Member
}
