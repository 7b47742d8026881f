package app

import (
	"context"
	"errors"

	"github.com/vendorportal/orgs/internal/outbox"
	"github.com/vendorportal/orgs/internal/tokens"
)

// tokenSlots are the token capability's services.
type tokenSlots struct {
	service         slot[*tokens.Service]
	usage           slot[*tokens.Service]
	personal        slot[*tokens.Personal]
	personalMinting slot[*tokens.Personal]
	deviceFlow      slot[*tokens.Device]
	devicePolling   slot[*tokens.Device]
	signIns         slot[*tokens.SignInLog]
}

// Tokens returns the org access token service; its functions use the token key (KeyTokens).
func (e *Env) Tokens() *tokens.Service {
	return get(&e.tokens.service, func() *tokens.Service {
		s := *e.TokenUsage()
		s.Keys = tokens.NewKeys(e.Key(KeyTokens))
		s.PersonalKeys = tokens.NewPersonalKeys(e.Key(KeyTokens))
		return &s
	})
}

// TokenUsage returns the token service without the token keys: what counting the org's
// usage needs, which holds no token, so that its function never reads the token key.
func (e *Env) TokenUsage() *tokens.Service {
	return get(&e.tokens.usage, func() *tokens.Service {
		return &tokens.Service{Store: e.TokensStore(), Now: e.Now, NewID: e.NewID}
	})
}

// PersonalTokens returns the personal tool token service without its keys: what listing and
// revoking need, so that those functions never read the server's secret.
func (e *Env) PersonalTokens() *tokens.Personal {
	return get(&e.tokens.personal, func() *tokens.Personal {
		return &tokens.Personal{Store: e.TokensStore(), Now: e.Now, NewID: e.NewID}
	})
}

// PersonalTokenMinting returns the personal tool token service with its keys: what making a
// token needs.
func (e *Env) PersonalTokenMinting() *tokens.Personal {
	return get(&e.tokens.personalMinting, func() *tokens.Personal {
		s := *e.PersonalTokens()
		s.Keys = tokens.NewPersonalKeys(e.Key(KeyTokens))
		return &s
	})
}

// DeviceFlow returns the CLI's device sign-in without the token keys: starting, showing,
// approving and declining, which never read the server's secret.
func (e *Env) DeviceFlow() *tokens.Device {
	return get(&e.tokens.deviceFlow, func() *tokens.Device {
		return &tokens.Device{Store: e.TokensStore(), Personal: e.PersonalTokens(), Orgs: e.Orgs(), Now: e.Now, NewID: e.NewID}
	})
}

// DevicePolling returns the device sign-in with the personal token keys: the poll, which
// hands a token's text out.
func (e *Env) DevicePolling() *tokens.Device {
	return get(&e.tokens.devicePolling, func() *tokens.Device {
		d := *e.DeviceFlow()
		d.Keys = tokens.NewPersonalKeys(e.Key(KeyTokens))
		return &d
	})
}

// SignIns returns the log of sign-ins at the identity provider (the post-authentication trigger).
func (e *Env) SignIns() *tokens.SignInLog {
	return get(&e.tokens.signIns, func() *tokens.SignInLog {
		return &tokens.SignInLog{Store: signInStore{e.AccountStore(), e.TokensStore()}, Now: e.Now, NewID: e.NewID}
	})
}

// TokenOutboxHandlers are the outbox handlers of the token capability's follow-up work: the
// admins' notices and the members' sign-out after a regeneration or an auth reset. The stream
// processor's and the scheduled job's outbox.Handlers include them; the sign-out needs the
// directory (cognito.Install).
func (e *Env) TokenOutboxHandlers() outbox.Handlers {
	return tokens.Handlers(e.TokensStore(), signOuter{e}, e.Now, e.Log)
}

// signOuter asks for the directory only when a sign-out runs, so that handlers built without
// one (a function that sends mail only) still serve the other kinds.
type signOuter struct{ e *Env }

func (s signOuter) GlobalSignOut(ctx context.Context, userID string) error {
	d, ok := s.e.Directory().(tokens.SignOuter)
	if !ok {
		return outbox.Permanent(errors.New("the directory cannot sign users out"))
	}
	return d.GlobalSignOut(ctx, userID)
}
