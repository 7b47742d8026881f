package stack

import (
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscognito"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/vendorportal/orgs/internal/app"
	"github.com/vendorportal/orgs/internal/httpapi/oidcapi"
)

// Names of the federated providers in the user pool: what the front end passes as
// identity_provider to the hosted UI's /oauth2/authorize.
const (
	ProviderGoogle    = "Google"
	ProviderMicrosoft = "Microsoft"
	ProviderGitHub    = "GitHub"
)

// checkFederation panics when a provider's settings are incomplete: each provider is on only
// when its client id is given, and then needs the rest.
func checkFederation(props *OrgsStackProps) {
	federated := false
	if props.GoogleClientID != "" {
		federated = true
		if props.GoogleClientSecret == nil {
			panic("stack: GoogleClientSecret is required with GoogleClientID")
		}
	}
	if props.EntraClientID != "" {
		federated = true
		if props.EntraClientSecret == nil || props.EntraTenantID == "" {
			panic("stack: EntraTenantID and EntraClientSecret are required with EntraClientID")
		}
	}
	if props.GitHubClientID != "" {
		federated = true
		if props.GitHubClientSecret == nil || props.GitHubKeySecret == "" {
			panic("stack: GitHubClientSecret and GitHubKeySecret are required with GitHubClientID")
		}
	}
	if federated && props.AuthDomainPrefix == "" {
		panic("stack: AuthDomainPrefix is required with a federated provider (the provider redirects to the Cognito domain)")
	}
}

// enabledFeatures are the optional parts of the deployment (Route.Feature) its settings turn on.
func enabledFeatures(props *OrgsStackProps) map[string]bool {
	return map[string]bool{oidcapi.FeatureGitHubOIDC: props.GitHubClientID != ""}
}

// readableSecret is an existing secret a function reads: the id it asks Secrets Manager for
// and the resource its role's policy names.
type readableSecret struct {
	id             string
	policyResource string
}

// importSecret refers to an existing secret by name or by complete ARN. A name matches the
// secret's ARN only with the six random characters Secrets Manager appends, so the policy
// names <name>-?????? (exactly six: not another secret whose name merely starts the same).
func importSecret(nameOrARN string) readableSecret {
	if strings.HasPrefix(nameOrARN, "arn:") {
		return readableSecret{id: nameOrARN, policyResource: nameOrARN}
	}
	return readableSecret{
		id:             nameOrARN,
		policyResource: "arn:" + *awscdk.Aws_PARTITION() + ":secretsmanager:" + *awscdk.Aws_REGION() + ":" + *awscdk.Aws_ACCOUNT_ID() + ":secret:" + nameOrARN + "-??????",
	}
}

// passwordClientWritable are the standard attributes a user may change with a token
// of password sign-in's app client: their names, never their address.
func passwordClientWritable() *awscognito.StandardAttributesMask {
	return &awscognito.StandardAttributesMask{Fullname: jsii.Bool(true), GivenName: jsii.Bool(true), FamilyName: jsii.Bool(true)}
}

// federatedClientWritable are the standard attributes federated sign-in's app client
// may write: exactly those the providers map (Cognito requires it), which no user's token may
// write (see newFederation).
func federatedClientWritable() *awscognito.StandardAttributesMask {
	return &awscognito.StandardAttributesMask{
		Fullname: jsii.Bool(true), GivenName: jsii.Bool(true), FamilyName: jsii.Bool(true),
		Email: jsii.Bool(true), EmailVerified: jsii.Bool(true), PreferredUsername: jsii.Bool(true),
	}
}

// federation is the pool's app clients and what the providers' functions need.
type federation struct {
	// client is password sign-in's app client; federatedClient federated sign-in's, nil
	// without a federated provider.
	client, federatedClient awscognito.UserPoolClient
	// functionSettings are the environment of each feature's functions (GitHub's provider).
	functionSettings map[string]map[string]*string
}

// newFederation defines the hosted-UI domain, the federated providers whose settings are
// given, and the app client that offers them. Every provider maps email and email_verified,
// so a federated user's first API call creates their personal account from a verified
// address, as for a user who signed up with a password.
func newFederation(stack awscdk.Stack, props *OrgsStackProps, pool awscognito.UserPool, appURL string, api awsapigatewayv2.HttpApi) federation {
	out := federation{functionSettings: map[string]map[string]*string{}}
	var domain awscognito.UserPoolDomain
	if props.AuthDomainPrefix != "" {
		domain = pool.AddDomain(jsii.String("Domain"), &awscognito.UserPoolDomainOptions{
			CognitoDomain: &awscognito.CognitoDomainOptions{DomainPrefix: jsii.String(props.AuthDomainPrefix)},
		})
		awscdk.NewCfnOutput(stack, jsii.String(OutputAuthDomain), &awscdk.CfnOutputProps{
			Description: jsii.String("Cognito hosted-UI base URL"),
			Value:       domain.BaseUrl(nil),
		})
	}

	var providers []constructs.IConstruct
	var federated []awscognito.UserPoolClientIdentityProvider

	if props.GoogleClientID != "" {
		providers = append(providers, awscognito.NewUserPoolIdentityProviderGoogle(stack, jsii.String("Google"), &awscognito.UserPoolIdentityProviderGoogleProps{
			UserPool:          pool,
			ClientId:          jsii.String(props.GoogleClientID),
			ClientSecretValue: props.GoogleClientSecret,
			Scopes:            jsii.Strings("openid", "email", "profile"),
			AttributeMapping: &awscognito.AttributeMapping{
				Email:         awscognito.ProviderAttribute_GOOGLE_EMAIL(),
				EmailVerified: awscognito.ProviderAttribute_GOOGLE_EMAIL_VERIFIED(),
				GivenName:     awscognito.ProviderAttribute_GOOGLE_GIVEN_NAME(),
				FamilyName:    awscognito.ProviderAttribute_GOOGLE_FAMILY_NAME(),
			},
		}))
		federated = append(federated, awscognito.UserPoolClientIdentityProvider_GOOGLE())
	}

	if props.EntraClientID != "" {
		providers = append(providers, awscognito.NewUserPoolIdentityProviderOidc(stack, jsii.String("Microsoft"), &awscognito.UserPoolIdentityProviderOidcProps{
			UserPool:               pool,
			Name:                   jsii.String(ProviderMicrosoft),
			ClientId:               jsii.String(props.EntraClientID),
			ClientSecret:           props.EntraClientSecret.UnsafeUnwrap(),
			IssuerUrl:              jsii.String("https://login.microsoftonline.com/" + props.EntraTenantID + "/v2.0"),
			Scopes:                 jsii.Strings("openid", "email", "profile"),
			AttributeRequestMethod: awscognito.OidcAttributeRequestMethod_GET,
			AttributeMapping: &awscognito.AttributeMapping{
				Email: awscognito.ProviderAttribute_Other(jsii.String("email")),
				// Entra ID has no email_verified claim: its optional claim xms_edov is true
				// when the tenant has verified the address's domain (the app registration
				// must ask for it; see the README). Without it the address counts as
				// unverified and no account is created from it.
				EmailVerified: awscognito.ProviderAttribute_Other(jsii.String("xms_edov")),
				Fullname:      awscognito.ProviderAttribute_Other(jsii.String("name")),
			},
		}))
		federated = append(federated, awscognito.UserPoolClientIdentityProvider_Custom(jsii.String(ProviderMicrosoft)))
	}

	if props.GitHubClientID != "" {
		issuer := awscdk.Fn_Join(jsii.String(""), &[]*string{api.ApiEndpoint(), jsii.String(oidcapi.GitHubOIDCBasePath)})
		endpoint := func(path string) *string {
			return awscdk.Fn_Join(jsii.String(""), &[]*string{issuer, jsii.String(path)})
		}
		providers = append(providers, awscognito.NewUserPoolIdentityProviderOidc(stack, jsii.String("GitHub"), &awscognito.UserPoolIdentityProviderOidcProps{
			UserPool: pool,
			Name:     jsii.String(ProviderGitHub),
			// Cognito presents the GitHub app's own credentials to the stack's provider, which
			// passes them on to GitHub: the provider never stores them.
			ClientId:     jsii.String(props.GitHubClientID),
			ClientSecret: props.GitHubClientSecret.UnsafeUnwrap(),
			IssuerUrl:    issuer,
			// Given explicitly, so that creating the provider does not fetch the discovery
			// document from an API whose routes may not be deployed yet.
			Endpoints: &awscognito.OidcEndpoints{
				Authorization: endpoint("/authorize"),
				Token:         endpoint("/token"),
				UserInfo:      endpoint("/userinfo"),
				JwksUri:       endpoint("/jwks"),
			},
			Scopes:                 jsii.Strings("openid", "email", "profile"),
			AttributeRequestMethod: awscognito.OidcAttributeRequestMethod_GET,
			AttributeMapping: &awscognito.AttributeMapping{
				Email:             awscognito.ProviderAttribute_Other(jsii.String("email")),
				EmailVerified:     awscognito.ProviderAttribute_Other(jsii.String("email_verified")),
				Fullname:          awscognito.ProviderAttribute_Other(jsii.String("name")),
				PreferredUsername: awscognito.ProviderAttribute_Other(jsii.String("preferred_username")),
			},
		}))
		federated = append(federated, awscognito.UserPoolClientIdentityProvider_Custom(jsii.String(ProviderGitHub)))
		out.functionSettings[oidcapi.FeatureGitHubOIDC] = map[string]*string{
			app.EnvGitHubClientID:         jsii.String(props.GitHubClientID),
			app.EnvGitHubOIDCIssuer:       issuer,
			app.EnvGitHubOIDCRedirectURIs: awscdk.Fn_Join(jsii.String(""), &[]*string{domain.BaseUrl(nil), jsii.String("/oauth2/idpresponse")}),
		}
	}

	// Two app clients, so that no token a user can use may change the user's address.
	// Password sign-in's client issues tokens with the aws.cognito.signin.user.admin scope
	// (what UpdateUserAttributes asks of a user's own access token): it may not write email
	// or email_verified, or a password user could mark any address as theirs (a changed
	// address goes through the product's flow instead: a confirmation link, then an admin
	// call that sets it verified).
	out.client = pool.AddClient(jsii.String("AppClient"), &awscognito.UserPoolClientOptions{
		GenerateSecret: jsii.Bool(false),
		// ALLOW_REFRESH_TOKEN_AUTH is always added by CDK.
		AuthFlows: &awscognito.AuthFlow{
			UserPassword: jsii.Bool(true),
			UserSrp:      jsii.Bool(true),
		},
		PreventUserExistenceErrors: jsii.Bool(true),
		EnableTokenRevocation:      jsii.Bool(true),
		DisableOAuth:               jsii.Bool(true),
		SupportedIdentityProviders: &[]awscognito.UserPoolClientIdentityProvider{awscognito.UserPoolClientIdentityProvider_COGNITO()},
		WriteAttributes:            awscognito.NewClientAttributes().WithStandardAttributes(passwordClientWritable()),
	})
	if len(providers) == 0 {
		return out
	}
	// Federated sign-in's client: the hosted UI's authorization-code flow with the federated
	// providers only (not COGNITO, so a password user can't get its tokens), no password
	// flows. Cognito copies each provider's mapped attributes onto the user at every sign-in
	// and requires the client to have write access to every mapped attribute ("If your app
	// client does not have write access to a mapped attribute, Amazon Cognito throws an
	// error", UserPoolClientType.WriteAttributes in the Cognito API reference), email and
	// email_verified included. No user can use that access: its tokens carry only the
	// openid, email and profile scopes, never aws.cognito.signin.user.admin, without which
	// Cognito refuses UpdateUserAttributes; only the provider's word reaches those attributes.
	out.federatedClient = pool.AddClient(jsii.String("FederatedClient"), &awscognito.UserPoolClientOptions{
		GenerateSecret: jsii.Bool(false),
		// Explicitly none but the refresh token's (which CDK adds): without a list Cognito
		// would allow SRP password sign-in by default.
		AuthFlows:                  &awscognito.AuthFlow{UserPassword: jsii.Bool(false), UserSrp: jsii.Bool(false), Custom: jsii.Bool(false)},
		PreventUserExistenceErrors: jsii.Bool(true),
		EnableTokenRevocation:      jsii.Bool(true),
		SupportedIdentityProviders: &federated,
		WriteAttributes:            awscognito.NewClientAttributes().WithStandardAttributes(federatedClientWritable()),
		OAuth: &awscognito.OAuthSettings{
			Flows:        &awscognito.OAuthFlows{AuthorizationCodeGrant: jsii.Bool(true)},
			Scopes:       &[]awscognito.OAuthScope{awscognito.OAuthScope_OPENID(), awscognito.OAuthScope_EMAIL(), awscognito.OAuthScope_PROFILE()},
			CallbackUrls: jsii.Strings(appURL),
			LogoutUrls:   jsii.Strings(appURL),
		},
	})
	for _, p := range providers {
		// The client names the providers, so it must be created after them.
		out.federatedClient.Node().AddDependency(p)
	}
	return out
}
