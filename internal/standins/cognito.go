package standins

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/vendorportal/orgs/internal/roles"
)

// OperatorsGroup is the Cognito group whose members may use the operator routes.
const OperatorsGroup = roles.OperatorsGroup

// AppClientName is the name of the app client EnsureUserPool looks for and creates.
const AppClientName = "portal"

// Pool identifies a user pool and the app client that signs users in to it.
type Pool struct {
	ID       string
	ClientID string
}

// Tokens are the tokens of a successful sign-in.
type Tokens struct {
	IDToken      string
	AccessToken  string
	RefreshToken string
}

// EnsureUserPool returns the user pool called poolName, creating it if there is none, set up
// the way the CDK stack sets up the real one: email is the username and is verified
// automatically, MFA is optional and by authenticator app only, the group OperatorsGroup
// exists, and an app client called AppClientName without a secret allows password and
// refresh-token sign-in. Whatever of that is missing is added, so calling it again is
// harmless.
//
// It works against cognito-local, which does not implement everything Cognito does; code
// meant to run against it should not rely on ListUsers paging or filters,
// AdminUserGlobalSignOut, AdminResetUserPassword or AdminSetUserMFAPreference.
func EnsureUserPool(ctx context.Context, client *cognitoidentityprovider.Client, poolName string) (Pool, error) {
	poolID, err := findUserPool(ctx, client, poolName)
	if err != nil {
		return Pool{}, err
	}
	if poolID == "" {
		created, err := client.CreateUserPool(ctx, &cognitoidentityprovider.CreateUserPoolInput{
			PoolName:               aws.String(poolName),
			UsernameAttributes:     []types.UsernameAttributeType{types.UsernameAttributeTypeEmail},
			AutoVerifiedAttributes: []types.VerifiedAttributeType{types.VerifiedAttributeTypeEmail},
		})
		if err != nil {
			return Pool{}, fmt.Errorf("create user pool %s: %w", poolName, err)
		}
		poolID = aws.ToString(created.UserPool.Id)
	}
	if err := ensureOptionalTOTP(ctx, client, poolID); err != nil {
		return Pool{}, err
	}
	if err := ensureGroup(ctx, client, poolID, OperatorsGroup); err != nil {
		return Pool{}, err
	}
	clientID, err := ensureAppClient(ctx, client, poolID)
	if err != nil {
		return Pool{}, err
	}
	return Pool{ID: poolID, ClientID: clientID}, nil
}

// findUserPool returns the ID of the pool called name, or "" if there is none. Cognito allows
// several pools with one name; as the pool is then ambiguous, that is an error.
func findUserPool(ctx context.Context, client *cognitoidentityprovider.Client, name string) (string, error) {
	var ids []string
	pages := cognitoidentityprovider.NewListUserPoolsPaginator(client, &cognitoidentityprovider.ListUserPoolsInput{MaxResults: aws.Int32(60)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return "", fmt.Errorf("list user pools: %w", err)
		}
		for _, pool := range page.UserPools {
			if aws.ToString(pool.Name) == name {
				ids = append(ids, aws.ToString(pool.Id))
			}
		}
	}
	switch len(ids) {
	case 0:
		return "", nil
	case 1:
		return ids[0], nil
	default:
		return "", fmt.Errorf("%d user pools are called %s (%v); delete all but one", len(ids), name, ids)
	}
}

// ensureOptionalTOTP makes MFA optional with authenticator apps. It is a separate call
// because CreateUserPool cannot enable software-token MFA.
func ensureOptionalTOTP(ctx context.Context, client *cognitoidentityprovider.Client, poolID string) error {
	current, err := client.GetUserPoolMfaConfig(ctx, &cognitoidentityprovider.GetUserPoolMfaConfigInput{UserPoolId: aws.String(poolID)})
	if err != nil {
		return fmt.Errorf("get MFA configuration of user pool %s: %w", poolID, err)
	}
	if current.MfaConfiguration == types.UserPoolMfaTypeOptional &&
		current.SoftwareTokenMfaConfiguration != nil && current.SoftwareTokenMfaConfiguration.Enabled {
		return nil
	}
	_, err = client.SetUserPoolMfaConfig(ctx, &cognitoidentityprovider.SetUserPoolMfaConfigInput{
		UserPoolId:                    aws.String(poolID),
		MfaConfiguration:              types.UserPoolMfaTypeOptional,
		SoftwareTokenMfaConfiguration: &types.SoftwareTokenMfaConfigType{Enabled: true},
	})
	if err != nil {
		return fmt.Errorf("enable optional TOTP MFA on user pool %s: %w", poolID, err)
	}
	return nil
}

func ensureGroup(ctx context.Context, client *cognitoidentityprovider.Client, poolID, group string) error {
	// Look first, as cognito-local's CreateGroup silently replaces an existing group. And
	// list rather than GetGroup, which in cognito-local fails with a 500 instead of
	// ResourceNotFoundException while a pool has no groups at all.
	pages := cognitoidentityprovider.NewListGroupsPaginator(client, &cognitoidentityprovider.ListGroupsInput{UserPoolId: aws.String(poolID)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("list groups of user pool %s: %w", poolID, err)
		}
		if slices.ContainsFunc(page.Groups, func(g types.GroupType) bool { return aws.ToString(g.GroupName) == group }) {
			return nil
		}
	}
	_, err := client.CreateGroup(ctx, &cognitoidentityprovider.CreateGroupInput{UserPoolId: aws.String(poolID), GroupName: aws.String(group)})
	var exists *types.GroupExistsException
	if err != nil && !errors.As(err, &exists) {
		return fmt.Errorf("create group %s in user pool %s: %w", group, poolID, err)
	}
	return nil
}

func ensureAppClient(ctx context.Context, client *cognitoidentityprovider.Client, poolID string) (string, error) {
	pages := cognitoidentityprovider.NewListUserPoolClientsPaginator(client, &cognitoidentityprovider.ListUserPoolClientsInput{
		UserPoolId: aws.String(poolID),
		MaxResults: aws.Int32(60),
	})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return "", fmt.Errorf("list app clients of user pool %s: %w", poolID, err)
		}
		for _, c := range page.UserPoolClients {
			if aws.ToString(c.ClientName) == AppClientName {
				return aws.ToString(c.ClientId), nil
			}
		}
	}
	created, err := client.CreateUserPoolClient(ctx, &cognitoidentityprovider.CreateUserPoolClientInput{
		UserPoolId:     aws.String(poolID),
		ClientName:     aws.String(AppClientName),
		GenerateSecret: false,
		ExplicitAuthFlows: []types.ExplicitAuthFlowsType{
			types.ExplicitAuthFlowsTypeAllowUserPasswordAuth,
			types.ExplicitAuthFlowsTypeAllowRefreshTokenAuth,
		},
	})
	if err != nil {
		return "", fmt.Errorf("create app client in user pool %s: %w", poolID, err)
	}
	return aws.ToString(created.UserPoolClient.ClientId), nil
}

// CreateUser creates a confirmed user who can sign in at once with email and password, and
// returns the user's sub. The email counts as verified and no invitation is sent. attrs are
// further user attributes; custom ones need their "custom:" prefix.
func CreateUser(ctx context.Context, client *cognitoidentityprovider.Client, pool Pool, email, password string, attrs map[string]string) (sub string, err error) {
	userAttributes := []types.AttributeType{
		{Name: aws.String("email"), Value: aws.String(email)},
		{Name: aws.String("email_verified"), Value: aws.String("true")},
	}
	for _, name := range slices.Sorted(maps.Keys(attrs)) {
		userAttributes = append(userAttributes, types.AttributeType{Name: aws.String(name), Value: aws.String(attrs[name])})
	}
	created, err := client.AdminCreateUser(ctx, &cognitoidentityprovider.AdminCreateUserInput{
		UserPoolId:     aws.String(pool.ID),
		Username:       aws.String(email),
		UserAttributes: userAttributes,
		MessageAction:  types.MessageActionTypeSuppress,
	})
	if err != nil {
		return "", fmt.Errorf("create user %s: %w", email, err)
	}
	// A permanent password confirms the user, skipping the NEW_PASSWORD_REQUIRED challenge.
	_, err = client.AdminSetUserPassword(ctx, &cognitoidentityprovider.AdminSetUserPasswordInput{
		UserPoolId: aws.String(pool.ID),
		Username:   aws.String(email),
		Password:   aws.String(password),
		Permanent:  true,
	})
	if err != nil {
		return "", fmt.Errorf("set password of user %s: %w", email, err)
	}
	for _, a := range created.User.Attributes {
		if aws.ToString(a.Name) == "sub" {
			return aws.ToString(a.Value), nil
		}
	}
	return "", fmt.Errorf("create user %s: the answer carries no sub attribute", email)
}

// AddToGroup adds the user signed in as email to group.
func AddToGroup(ctx context.Context, client *cognitoidentityprovider.Client, pool Pool, email, group string) error {
	_, err := client.AdminAddUserToGroup(ctx, &cognitoidentityprovider.AdminAddUserToGroupInput{
		UserPoolId: aws.String(pool.ID),
		Username:   aws.String(email),
		GroupName:  aws.String(group),
	})
	if err != nil {
		return fmt.Errorf("add user %s to group %s: %w", email, group, err)
	}
	return nil
}

// SignIn signs in with email and password (USER_PASSWORD_AUTH). A user with MFA set up gets
// a challenge instead of tokens, which SignIn reports as an error.
func SignIn(ctx context.Context, client *cognitoidentityprovider.Client, pool Pool, email, password string) (Tokens, error) {
	out, err := client.InitiateAuth(ctx, &cognitoidentityprovider.InitiateAuthInput{
		AuthFlow:       types.AuthFlowTypeUserPasswordAuth,
		ClientId:       aws.String(pool.ClientID),
		AuthParameters: map[string]string{"USERNAME": email, "PASSWORD": password},
	})
	if err != nil {
		return Tokens{}, fmt.Errorf("sign in as %s: %w", email, err)
	}
	if out.AuthenticationResult == nil {
		return Tokens{}, fmt.Errorf("sign in as %s: got challenge %s instead of tokens", email, out.ChallengeName)
	}
	return Tokens{
		IDToken:      aws.ToString(out.AuthenticationResult.IdToken),
		AccessToken:  aws.ToString(out.AuthenticationResult.AccessToken),
		RefreshToken: aws.ToString(out.AuthenticationResult.RefreshToken),
	}, nil
}

// ErrNewPasswordRequired: the user has a temporary password (an admin created them) and must
// choose a new one before getting tokens (Cognito's NEW_PASSWORD_REQUIRED challenge).
var ErrNewPasswordRequired = errors.New("the user has a temporary password and must choose a new one")

// SignInSettingPassword signs in as SignIn does and answers a NEW_PASSWORD_REQUIRED challenge
// with newPassword, which makes it the user's password; without a newPassword that challenge
// is ErrNewPasswordRequired.
func SignInSettingPassword(ctx context.Context, client *cognitoidentityprovider.Client, pool Pool, email, password, newPassword string) (Tokens, error) {
	out, err := client.InitiateAuth(ctx, &cognitoidentityprovider.InitiateAuthInput{
		AuthFlow:       types.AuthFlowTypeUserPasswordAuth,
		ClientId:       aws.String(pool.ClientID),
		AuthParameters: map[string]string{"USERNAME": email, "PASSWORD": password},
	})
	if err != nil {
		return Tokens{}, fmt.Errorf("sign in as %s: %w", email, err)
	}
	if out.ChallengeName == types.ChallengeNameTypeNewPasswordRequired {
		if newPassword == "" {
			return Tokens{}, fmt.Errorf("sign in as %s: %w", email, ErrNewPasswordRequired)
		}
		answer, err := client.RespondToAuthChallenge(ctx, &cognitoidentityprovider.RespondToAuthChallengeInput{
			ClientId: aws.String(pool.ClientID), ChallengeName: types.ChallengeNameTypeNewPasswordRequired, Session: out.Session,
			ChallengeResponses: map[string]string{"USERNAME": email, "NEW_PASSWORD": newPassword},
		})
		if err != nil {
			return Tokens{}, fmt.Errorf("set the new password of %s: %w", email, err)
		}
		out.AuthenticationResult, out.ChallengeName = answer.AuthenticationResult, answer.ChallengeName
	}
	if out.AuthenticationResult == nil {
		return Tokens{}, fmt.Errorf("sign in as %s: got challenge %s instead of tokens", email, out.ChallengeName)
	}
	return Tokens{
		IDToken:      aws.ToString(out.AuthenticationResult.IdToken),
		AccessToken:  aws.ToString(out.AuthenticationResult.AccessToken),
		RefreshToken: aws.ToString(out.AuthenticationResult.RefreshToken),
	}, nil
}

// UserExists reports whether the pool has a user signing in as email.
func UserExists(ctx context.Context, client *cognitoidentityprovider.Client, pool Pool, email string) (bool, error) {
	_, err := client.AdminGetUser(ctx, &cognitoidentityprovider.AdminGetUserInput{UserPoolId: aws.String(pool.ID), Username: aws.String(email)})
	var notFound *types.UserNotFoundException
	switch {
	case errors.As(err, &notFound):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("look up user %s: %w", email, err)
	}
	return true, nil
}

// SetName sets the user's name attribute (the ID token's name claim from the next sign-in).
func SetName(ctx context.Context, client *cognitoidentityprovider.Client, pool Pool, email, name string) error {
	_, err := client.AdminUpdateUserAttributes(ctx, &cognitoidentityprovider.AdminUpdateUserAttributesInput{
		UserPoolId: aws.String(pool.ID), Username: aws.String(email),
		UserAttributes: []types.AttributeType{{Name: aws.String("name"), Value: aws.String(name)}},
	})
	if err != nil {
		return fmt.Errorf("set the name of %s: %w", email, err)
	}
	return nil
}
