package app

import (
	"context"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/vendorportal/orgs/internal/githuboidc"
)

// Settings of the GitHub OIDC provider (package githuboidc), read from the environment by its
// functions only: the CDK stack sets them on those functions alone.
const (
	// EnvGitHubClientID is the GitHub OAuth app's client id, the one client served.
	EnvGitHubClientID = "GITHUB_CLIENT_ID"
	// EnvGitHubOIDCIssuer is the provider's issuer URL: <API URL>/oidc/github.
	EnvGitHubOIDCIssuer = "GITHUB_OIDC_ISSUER"
	// EnvGitHubOIDCRedirectURIs are the allowed redirect URIs, comma-separated (Cognito's
	// <hosted-UI domain>/oauth2/idpresponse).
	EnvGitHubOIDCRedirectURIs = "GITHUB_OIDC_REDIRECT_URIS"
	// EnvGitHubOIDCKeySecret names the Secrets Manager secret of the signing keys (PEM), by
	// name or ARN, read once per cold start.
	EnvGitHubOIDCKeySecret = "GITHUB_OIDC_KEY_SECRET"
	// EnvGitHubOIDCSigningKey holds the signing keys' PEM itself: local mode and tests only.
	// Without it or the secret, a key is generated per process.
	EnvGitHubOIDCSigningKey = "GITHUB_OIDC_SIGNING_KEY"
	// EnvGitHubURL and EnvGitHubAPIURL point at a fake GitHub (tests); unset in AWS.
	EnvGitHubURL    = "GITHUB_URL"
	EnvGitHubAPIURL = "GITHUB_API_URL"
	// EnvSecretsManagerEndpoint points the secret reads at a stand-in (tests); unset in AWS.
	EnvSecretsManagerEndpoint = "SECRETSMANAGER_ENDPOINT"
)

// gitHubSlots are the GitHub OIDC provider, without and with its signing keys.
type gitHubSlots struct {
	oidc    slot[*githuboidc.Provider]
	signing slot[*githuboidc.Provider]
}

// GitHubOIDC returns the GitHub OIDC provider without its signing keys: what the discovery,
// authorize and userinfo endpoints need.
func (e *Env) GitHubOIDC() *githuboidc.Provider {
	return get(&e.gitHub.oidc, func() *githuboidc.Provider {
		var redirects []string
		for _, u := range strings.Split(os.Getenv(EnvGitHubOIDCRedirectURIs), ",") {
			if u = strings.TrimSpace(u); u != "" {
				redirects = append(redirects, u)
			}
		}
		return &githuboidc.Provider{
			Issuer:       strings.TrimRight(os.Getenv(EnvGitHubOIDCIssuer), "/"),
			ClientID:     os.Getenv(EnvGitHubClientID),
			RedirectURIs: redirects,
			GitHubURL:    envOr(EnvGitHubURL, githuboidc.DefaultGitHubURL),
			GitHubAPIURL: envOr(EnvGitHubAPIURL, githuboidc.DefaultGitHubAPIURL),
			HTTP:         &http.Client{Timeout: 5 * time.Second},
			Now:          e.Now,
		}
	})
}

// GitHubOIDCSigning returns the provider with its signing keys: what the token and JWKS
// endpoints need. The keys are read once, at the cold start; a key that can't be read fails
// the cold start rather than a sign-in later.
func (e *Env) GitHubOIDCSigning() *githuboidc.Provider {
	return get(&e.gitHub.signing, func() *githuboidc.Provider {
		p := *e.GitHubOIDC()
		p.Keys = e.gitHubOIDCKeys()
		return &p
	})
}

func (e *Env) gitHubOIDCKeys() *githuboidc.KeySet {
	pemText := os.Getenv(EnvGitHubOIDCSigningKey)
	if id := os.Getenv(EnvGitHubOIDCKeySecret); id != "" {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		v, err := e.readSecret(ctx, id)
		if err != nil {
			panic("app: GitHub OIDC signing keys: " + err.Error())
		}
		pemText = string(v)
	}
	if pemText == "" {
		e.Log.Warn("GitHub OIDC: no signing key configured; using a key generated for this process")
		return githuboidc.GenerateKeys()
	}
	ks, err := githuboidc.ParseKeys([]byte(pemText))
	if err != nil {
		panic("app: " + err.Error())
	}
	return ks
}
