// Package cognito is the adapter to the Cognito user pool: the admin calls the account
// self-service needs (change a user's email, delete a user) and provisioning's (create a
// user, set a temporary password).
//
// Package app does not link this package or the Cognito SDK: Install puts the user pool into
// an Env, and only the functions whose Actions include a cognito-idp: action call it, from
// their generated main (mainsrc.InstallsFor), so the others link neither.
package cognito

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/vendorportal/orgs/internal/app"
	"github.com/vendorportal/orgs/internal/apperr"
	"github.com/vendorportal/orgs/internal/provisioning"
)

// Install makes env use the configured user pool as its directory.
func Install(env *app.Env) {
	env.UseDirectory(&Directory{Client: NewClient(env.AWSConfig(), env.Config.CognitoEndpoint), PoolID: env.Config.UserPoolID,
		Local: env.Config.CognitoEndpoint != "", Log: env.Log})
}

// Directory makes admin calls on one user pool. Users are named by their sub, which the Admin
// calls accept as the username in a pool whose users sign in with their email.
type Directory struct {
	Client *cip.Client
	PoolID string
	// Local: the pool is cognito-local's, which lacks some admin calls (GlobalSignOut).
	Local bool
	Log   *slog.Logger
}

// GlobalSignOut signs the user out of every device: their refresh tokens are revoked (ID and
// access tokens live on until they expire; an org's auth reset refuses those by their iat). A
// user already gone is not an error. cognito-local lacks the call: locally it is treated as
// done, and logged so.
func (d *Directory) GlobalSignOut(ctx context.Context, userID string) error {
	if d.Local {
		if d.Log != nil {
			d.Log.InfoContext(ctx, "cognito-local has no AdminUserGlobalSignOut: the sign-out is treated as done", "userId", userID)
		}
		return nil
	}
	_, err := d.Client.AdminUserGlobalSignOut(ctx, &cip.AdminUserGlobalSignOutInput{
		UserPoolId: aws.String(d.PoolID), Username: aws.String(userID),
	})
	var notFound *types.UserNotFoundException
	if err != nil && !errors.As(err, &notFound) {
		return fmt.Errorf("cognito: global sign-out of %s: %w", userID, err)
	}
	return nil
}

// NewClient returns a Cognito client; a non-empty endpoint points it at cognito-local.
func NewClient(cfg aws.Config, endpoint string) *cip.Client {
	return cip.NewFromConfig(cfg, func(o *cip.Options) {
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
		}
	})
}

// SetEmail gives the user a new, verified email address.
func (d *Directory) SetEmail(ctx context.Context, userID, email string) error {
	_, err := d.Client.AdminUpdateUserAttributes(ctx, &cip.AdminUpdateUserAttributesInput{
		UserPoolId: aws.String(d.PoolID),
		Username:   aws.String(userID),
		UserAttributes: []types.AttributeType{
			{Name: aws.String("email"), Value: aws.String(email)},
			{Name: aws.String("email_verified"), Value: aws.String("true")},
		},
	})
	var exists *types.AliasExistsException
	var usernameExists *types.UsernameExistsException
	if errors.As(err, &exists) || errors.As(err, &usernameExists) {
		return apperr.New(apperr.Conflict, "%s already belongs to another account", email)
	}
	if err != nil {
		return fmt.Errorf("cognito: set email of %s: %w", userID, err)
	}
	return nil
}

// DeleteUser deletes the user; a user already gone is not an error.
func (d *Directory) DeleteUser(ctx context.Context, userID string) error {
	_, err := d.Client.AdminDeleteUser(ctx, &cip.AdminDeleteUserInput{
		UserPoolId: aws.String(d.PoolID), Username: aws.String(userID),
	})
	var notFound *types.UserNotFoundException
	if err != nil && !errors.As(err, &notFound) {
		return fmt.Errorf("cognito: delete user %s: %w", userID, err)
	}
	return nil
}

// ProvisionedAttribute marks the users that CreateUser makes (the stack defines it, immutable,
// so nobody sets it later). A user awaiting their first sign-in is taken over by a create
// only when it carries the mark: one made by an earlier attempt of provisioning that failed
// before its transaction. A user created otherwise with a temporary password (an operator
// made in the console, a pool's own admin-created users) never is: their first password is
// theirs to set, and a takeover would mail it to whoever the create names.
const ProvisionedAttribute = "custom:provisioned"

// CreateUser implements provisioning.Directory: AdminCreateUser with the temporary password
// and the provider's own invitation suppressed (the product mails the credentials itself),
// marked with ProvisionedAttribute. A user who exists already is looked up and returned with
// Existing set; AwaitingFirstSignIn only when it never signed in and carries the mark.
func (d *Directory) CreateUser(ctx context.Context, email string, verified bool, temporaryPassword string) (provisioning.DirectoryUser, error) {
	out, err := d.Client.AdminCreateUser(ctx, &cip.AdminCreateUserInput{
		UserPoolId:        aws.String(d.PoolID),
		Username:          aws.String(email),
		MessageAction:     types.MessageActionTypeSuppress,
		TemporaryPassword: aws.String(temporaryPassword),
		UserAttributes: []types.AttributeType{
			{Name: aws.String("email"), Value: aws.String(email)},
			{Name: aws.String("email_verified"), Value: aws.String(fmt.Sprint(verified))},
			{Name: aws.String(ProvisionedAttribute), Value: aws.String("true")},
		},
	})
	var exists *types.UsernameExistsException
	if errors.As(err, &exists) {
		u, found, err := d.LookupUser(ctx, email)
		if err == nil && !found {
			err = errors.New("the user exists and does not")
		}
		if err != nil {
			return provisioning.DirectoryUser{}, fmt.Errorf("cognito: get existing user: %w", err)
		}
		return u, nil
	}
	var invalid *types.InvalidPasswordException
	if errors.As(err, &invalid) {
		return provisioning.DirectoryUser{}, apperr.New(apperr.Invalid, "the identity provider refused the password: %s", aws.ToString(invalid.Message))
	}
	if err != nil {
		return provisioning.DirectoryUser{}, fmt.Errorf("cognito: create user: %w", err)
	}
	u := provisioning.DirectoryUser{ID: subOf(out.User.Attributes)}
	if u.ID == "" {
		return u, errors.New("cognito: the created user has no sub")
	}
	return u, nil
}

// LookupUser returns the user signing in as email (AdminGetUser: the pool's usernames are
// the addresses); found is false when there is none.
func (d *Directory) LookupUser(ctx context.Context, email string) (provisioning.DirectoryUser, bool, error) {
	got, err := d.Client.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: aws.String(d.PoolID), Username: aws.String(email)})
	var notFound *types.UserNotFoundException
	if errors.As(err, &notFound) {
		return provisioning.DirectoryUser{}, false, nil
	}
	if err != nil {
		return provisioning.DirectoryUser{}, false, fmt.Errorf("cognito: get user: %w", err)
	}
	u := provisioning.DirectoryUser{ID: subOf(got.UserAttributes), Existing: true, CreatedAt: aws.ToTime(got.UserCreateDate),
		AwaitingFirstSignIn: got.UserStatus == types.UserStatusTypeForceChangePassword && attrOf(got.UserAttributes, ProvisionedAttribute) == "true",
		EmailVerified:       attrOf(got.UserAttributes, "email_verified") == "true"}
	if u.ID == "" {
		return u, true, errors.New("cognito: the user has no sub")
	}
	return u, true, nil
}

func subOf(attrs []types.AttributeType) string { return attrOf(attrs, "sub") }

func attrOf(attrs []types.AttributeType, name string) string {
	for _, a := range attrs {
		if aws.ToString(a.Name) == name {
			return aws.ToString(a.Value)
		}
	}
	return ""
}

// SetTemporaryPassword implements provisioning.Directory: AdminSetUserPassword with
// Permanent false, so that the next sign-in answers NEW_PASSWORD_REQUIRED. The provider's
// message for a refused password names the rule, never the password.
func (d *Directory) SetTemporaryPassword(ctx context.Context, userID, password string) error {
	_, err := d.Client.AdminSetUserPassword(ctx, &cip.AdminSetUserPasswordInput{
		UserPoolId: aws.String(d.PoolID), Username: aws.String(userID),
		Password: aws.String(password), Permanent: false,
	})
	var invalid *types.InvalidPasswordException
	if errors.As(err, &invalid) {
		return apperr.New(apperr.Invalid, "the identity provider refused the password: %s", aws.ToString(invalid.Message))
	}
	var notFound *types.UserNotFoundException
	if errors.As(err, &notFound) {
		return apperr.New(apperr.NotFound, "the user is not in the identity provider")
	}
	if err != nil {
		// The SDK's error carries the operation and the service's message, not the input.
		return fmt.Errorf("cognito: set temporary password of %s: %w", userID, err)
	}
	return nil
}
