package orgs

import "github.com/vendorportal/orgs/internal/apperr"

// Errors the stores of every capability return when a write's condition on the org, the
// actor or a member fails.
var (
	// ErrLastAdmin: the change would leave the org without an admin.
	ErrLastAdmin = apperr.New(apperr.Conflict, "an organization must keep at least one admin; make someone else admin first")
	// ErrMemberChanged: the member is gone or holds another role than the one read.
	ErrMemberChanged = apperr.New(apperr.Conflict, "the member was changed or removed meanwhile; reload and try again")
	// ErrActorChanged: the caller's own role changed while the request ran.
	ErrActorChanged = apperr.New(apperr.Conflict, "your role in this organization changed meanwhile; reload and try again")
	// ErrOrgGone: the org was deleted while the request ran.
	ErrOrgGone = apperr.New(apperr.NotFound, "organization not found")
	// ErrAlreadyMember: the person is a member of the org already.
	ErrAlreadyMember = apperr.New(apperr.Conflict, "this person is already a member of the organization")
	// ErrEmailChangeMoved: the pending email change is not the one a link's message is for.
	ErrEmailChangeMoved = apperr.New(apperr.Conflict, "the email change was replaced or completed meanwhile")
	// ErrAccountJoined: a membership was added to the account after the deletion read it
	// (Store.DeleteAccountData), so deleting now would leave that membership behind.
	ErrAccountJoined = apperr.New(apperr.Conflict, "your memberships changed meanwhile; try again")
)
