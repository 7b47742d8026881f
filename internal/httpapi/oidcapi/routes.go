// Package oidcapi is the HTTP edge of the GitHub OIDC provider (a Cognito identity provider in
// front of GitHub's OAuth): its routes (each a package-level Route that its function's main
// names), their handlers and replays, over the kernel of package httpapi.
package oidcapi

import (
	"github.com/vendorportal/orgs/internal/httpapi"
)

// FeatureGitHubOIDC is the optional part of the deployment that lets people sign in with
// GitHub: the OpenID Connect provider of package githuboidc, which the user pool federates.
const FeatureGitHubOIDC = "github-oidc"

// SecretGitHubOIDCKeys is the Secrets Manager secret holding the provider's signing keys.
const SecretGitHubOIDCKeys = "github-oidc-keys"

// GitHubOIDCBasePath is the base of the provider's endpoints, under the API's URL: the issuer
// is <API URL>/oidc/github. They are not under /v1: they are OpenID Connect's, not the
// product's API, and follow OAuth's conventions (form bodies, {"error": "..."} answers).
const GitHubOIDCBasePath = "/oidc/github"

// The GitHub OIDC provider's routes (named as genmains derives a variable from a function
// name). Cognito calls discovery, JWKS, token and userinfo from its servers; authorize and
// callback are the browser's. None takes a Cognito token.
var (
	GitHubOIDCDiscovery = &httpapi.Route{
		Name: "github-oidc-discovery", Method: "GET", Path: GitHubOIDCBasePath + "/.well-known/openid-configuration", Auth: httpapi.Public,
		Feature: FeatureGitHubOIDC,
		Summary: "GitHub sign-in's OpenID Connect discovery document",
		Build:   buildGitHubOIDCDiscovery,
	}
	GitHubOIDCJWKS = &httpapi.Route{
		Name: "github-oidc-jwks", Method: "GET", Path: GitHubOIDCBasePath + "/jwks", Auth: httpapi.Public,
		Feature: FeatureGitHubOIDC, ReadsSecrets: []string{SecretGitHubOIDCKeys},
		Summary: "The public keys of GitHub sign-in's ID tokens",
		Build:   buildGitHubOIDCJWKS,
	}
	GitHubOIDCAuthorize = &httpapi.Route{
		Name: "github-oidc-authorize", Method: "GET", Path: GitHubOIDCBasePath + "/authorize", Auth: httpapi.Public,
		Feature: FeatureGitHubOIDC, ReadsSecrets: []string{SecretGitHubOIDCKeys},
		Summary: "Sends the browser on to GitHub's authorization page",
		Build:   buildGitHubOIDCAuthorize,
	}
	GitHubOIDCCallback = &httpapi.Route{
		Name: "github-oidc-callback", Method: "GET", Path: GitHubOIDCBasePath + "/callback", Auth: httpapi.Public,
		Feature: FeatureGitHubOIDC, ReadsSecrets: []string{SecretGitHubOIDCKeys},
		Summary: "Takes GitHub's redirect back and sends the browser on to Cognito with a code",
		Build:   buildGitHubOIDCCallback,
	}
	GitHubOIDCToken = &httpapi.Route{
		Name: "github-oidc-token", Method: "POST", Path: GitHubOIDCBasePath + "/token", Auth: httpapi.Public,
		Feature: FeatureGitHubOIDC, ReadsSecrets: []string{SecretGitHubOIDCKeys}, ReadOnly: true,
		Summary: "Exchanges GitHub's code for GitHub's access token and an ID token",
		Build:   buildGitHubOIDCToken,
	}
	GitHubOIDCUserinfo = &httpapi.Route{
		Name: "github-oidc-userinfo", Method: "GET", Path: GitHubOIDCBasePath + "/userinfo", Auth: httpapi.Public,
		Feature: FeatureGitHubOIDC,
		Summary: "The GitHub user's claims: id, verified primary email, name",
		Build:   buildGitHubOIDCUserInfo,
	}
)
