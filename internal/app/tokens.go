package app

import "github.com/vendorportal/orgs/internal/tokens"

// Tokens returns the org access token service; its functions use the server's secret.
func (e *Env) Tokens() *tokens.Service {
	return once(e, "tokens", func() *tokens.Service {
		return &tokens.Service{Store: e.Store(), Keys: tokens.NewKeys(e.Secret()), Now: e.Now, NewID: e.NewID}
	})
}

// SignIns returns the log of sign-ins at the identity provider (the post-authentication trigger).
func (e *Env) SignIns() *tokens.SignInLog {
	return once(e, "signins", func() *tokens.SignInLog {
		return &tokens.SignInLog{Store: e.Store(), Now: e.Now, NewID: e.NewID}
	})
}
