package app

// Secret returns the server's secret (APP_SECRET), from which each use derives its own key
// (package seal): list cursors, the org access tokens, anything sealed. Only the functions that
// call it need the secret.
//
// Today it is read from the environment with the rest of the configuration; the deployed stack
// moves it to Secrets Manager, read once per cold start by the functions that call this.
func (e *Env) Secret() []byte {
	return once(e, "secret", func() []byte { return e.Config.Secret })
}
