package httpapi

// IAM actions on the table, named once so that routes list what they do.
const (
	DDBGet        = "dynamodb:GetItem"
	DDBBatchGet   = "dynamodb:BatchGetItem"
	DDBQuery      = "dynamodb:Query"
	DDBPut        = "dynamodb:PutItem"
	DDBUpdate     = "dynamodb:UpdateItem"
	DDBDelete     = "dynamodb:DeleteItem"
	DDBCheck      = "dynamodb:ConditionCheckItem"
	DDBBatchWrite = "dynamodb:BatchWriteItem"

	CognitoUpdateAttributes = "cognito-idp:AdminUpdateUserAttributes"
	CognitoDeleteUser       = "cognito-idp:AdminDeleteUser"
)

// accountActions are what reading the caller's account (orgs.Service.Account) may need: the
// Query of it; on first sight the transaction that puts its items on condition that no
// tombstone of a deleted account is there (a ConditionCheck); and when the identity
// provider's address changed, the transaction that catches the profile and its copies on
// the memberships up (updates, and a put and a delete of the email guards).
var accountActions = []string{DDBQuery, DDBBatchGet, DDBPut, DDBCheck, DDBUpdate, DDBDelete}
