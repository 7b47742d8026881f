// Package accountapi is the HTTP edge of the caller's own account: profile, email change and
// deletion: its routes (each a package-level Route that its function's main names), their
// handlers and replays, over the kernel of package httpapi.
package accountapi

import (
	"github.com/vendorportal/orgs/internal/httpapi"
)

// The caller's own account: the profile (the first GET /v1/me creates the personal
// account), the change of email and the deletion of the account.
var (
	GetMe = &httpapi.Route{
		Name: "get-me", Method: "GET", Path: "/v1/me", Auth: httpapi.JWT,
		ReadsAccount: true,
		Summary:      "The caller's profile and orgs; the first call creates the personal account",
		Build:        buildGetMe,
	}
	UpdateMe = &httpapi.Route{
		Name: "update-me", Method: "PATCH", Path: "/v1/me", Auth: httpapi.JWT,
		ReadsAccount: true,
		Summary:      "Change the caller's name and phone",
		Build:        buildUpdateMe,
	}
	RequestEmailChange = &httpapi.Route{
		Name: "request-email-change", Method: "POST", Path: "/v1/me/email", Auth: httpapi.JWT,
		ReadsAccount: true,
		Summary:      "Start a change of the caller's email: a confirmation link goes to the new address",
		Build:        buildRequestEmailChange,
	}
	ConfirmEmailChange = &httpapi.Route{
		Name: "confirm-email-change", Method: "POST", Path: "/v1/me/email/confirm", Auth: httpapi.JWT,
		ReadsAccount: true, Actions: []string{httpapi.CognitoUpdateAttributes},
		Summary: "Complete the email change with the token from the link",
		Build:   buildConfirmEmailChange,
	}
	DeleteMe = &httpapi.Route{
		Name: "delete-me", Method: "DELETE", Path: "/v1/me", Auth: httpapi.JWT,
		ReadsAccount: true, Actions: []string{httpapi.DDBBatchWrite, httpapi.CognitoDeleteUser},
		Summary: "Delete the caller's account: identity, profile, personal account, memberships",
		Build:   buildDeleteMe,
	}
)
