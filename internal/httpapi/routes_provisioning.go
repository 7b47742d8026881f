package httpapi

// The Cognito actions of creating users directly.
const (
	cognitoCreateUser  = "cognito-idp:AdminCreateUser"
	cognitoGetUser     = "cognito-idp:AdminGetUser"
	cognitoSetPassword = "cognito-idp:AdminSetUserPassword"
)

// provisionActions are what creating a user (account, membership, outbox) needs.
// A user it made for a write that was refused is deleted again.
var provisionActions = []string{DDBBatchGet, DDBGet, DDBPut, DDBUpdate, DDBCheck, cognitoCreateUser, cognitoGetUser, cognitoSetPassword, CognitoDeleteUser}
