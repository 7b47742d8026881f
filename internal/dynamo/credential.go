package dynamo

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// AttrSCIMTokenHash is the attribute of an org's SCIM token item (SkSCIMToken) holding the
// token's hash (scimdb).
const AttrSCIMTokenHash = "hash"

// A credential is what a request was authenticated with, when the authentication is an item
// of the table that a revocation deletes or replaces (an org's SCIM token): every transaction
// the request runs holds only while that item is still as the authentication read it.
type credential struct {
	key    map[string]types.AttributeValue
	cond   expression.ConditionBuilder
	onFail error
}

type credentialKey struct{}

// WithSCIMToken makes every transaction run with the returned context check that the org's
// SCIM token is still the one whose hash the request was signed in with: a token revoked,
// replaced, or ended by an authentication reset between the sign-in and a write makes that
// write fail with onFail, having written nothing.
func WithSCIMToken(ctx context.Context, orgID, hash string, onFail error) context.Context {
	return context.WithValue(ctx, credentialKey{}, &credential{
		key:    Key(OrgPK(orgID), SkSCIMToken),
		cond:   Attr(AttrSCIMTokenHash).Equal(Val(hash)),
		onFail: onFail,
	})
}

// checkCredential adds the request's credential check (WithSCIMToken), if any, to t.
func (t *Txn) checkCredential(ctx context.Context) {
	c, _ := ctx.Value(credentialKey{}).(*credential)
	if c == nil {
		return
	}
	t.Check(c.key, c.cond, c.onFail)
}
