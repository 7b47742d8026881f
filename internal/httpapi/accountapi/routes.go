package accountapi

import (
	"github.com/vendorportal/orgs/internal/httpapi"
)

var GetMe = &httpapi.Route{
	Name: "get-me", Method: "GET", Path: "/v1/me", Auth: httpapi.JWT,
	ReadsAccount: true,
	Summary:      "The caller's profile and orgs; the first call creates the personal account",
	Build:        buildGetMe,
}

var UpdateMe = &httpapi.Route{
	Name: "update-me", Method: "PATCH", Path: "/v1/me", Auth: httpapi.JWT,
	ReadsAccount: true,
	Summary:      "Change the caller's name and phone",
	Build:        buildUpdateMe,
}

var RequestEmailChange = &httpapi.Route{
	Name: "request-email-change", Method: "POST", Path: "/v1/me/email", Auth: httpapi.JWT,
	ReadsAccount: true,
	Summary:      "Start a change of the caller's email: a confirmation link goes to the new address",
	Build:        buildRequestEmailChange,
}

var ConfirmEmailChange = &httpapi.Route{
	Name: "confirm-email-change", Method: "POST", Path: "/v1/me/email/confirm", Auth: httpapi.JWT,
	ReadsAccount: true, Actions: []string{httpapi.CognitoUpdateAttributes},
	Summary: "Complete the email change with the token from the link",
	Build:   buildConfirmEmailChange,
}

var DeleteMe = &httpapi.Route{
	Name: "delete-me", Method: "DELETE", Path: "/v1/me", Auth: httpapi.JWT,
	ReadsAccount: true, Actions: []string{httpapi.DDBBatchWrite, httpapi.CognitoDeleteUser},
	Summary: "Delete the caller's account: identity, profile, personal account, memberships",
	Build:   buildDeleteMe,
}
