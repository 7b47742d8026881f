package cognito_test

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/vendorportal/orgs/internal/cognito"
	"github.com/vendorportal/orgs/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

func TestOnlyUsersProvisioningMadeAwaitTheirFirstSignInForATakeover(t *testing.T) {
	client, pool, _ := testenv.Cognito(t)
	d := &cognito.Directory{Client: client, PoolID: pool.ID, Local: true}
	ctx := t.Context()

	// An operator made by hand (the console, the CLI) with a temporary password, who has
	// not signed in yet: their account, whatever a create names.
	operator := testenv.UniqueAddress(t)
	if _, err := client.AdminCreateUser(ctx, &cip.AdminCreateUserInput{
		UserPoolId: aws.String(pool.ID), Username: aws.String(operator), MessageAction: types.MessageActionTypeSuppress,
		TemporaryPassword: aws.String("Handmade-Temp-Passw0rd"),
		UserAttributes: []types.AttributeType{
			{Name: aws.String("email"), Value: aws.String(operator)},
			{Name: aws.String("email_verified"), Value: aws.String("true")},
		},
	}); err != nil {
		t.Fatal(err)
	}
	u, err := d.CreateUser(ctx, operator, false, "Provisioned-Passw0rd-1")
	if err != nil {
		t.Fatal(err)
	}
	if !u.Existing || u.AwaitingFirstSignIn {
		t.Fatalf("a user made by hand: %+v; want existing and not awaiting (never taken over)", u)
	}

	// A user an earlier create made, then failed before its transaction: taken over.
	left := testenv.UniqueAddress(t)
	first, err := d.CreateUser(ctx, left, false, "Provisioned-Passw0rd-1")
	if err != nil || first.Existing {
		t.Fatalf("%+v %v", first, err)
	}
	again, err := d.CreateUser(ctx, left, false, "Provisioned-Passw0rd-2")
	if err != nil {
		t.Fatal(err)
	}
	if !again.Existing || !again.AwaitingFirstSignIn || again.ID != first.ID {
		t.Fatalf("a user provisioning left: %+v; want existing, awaiting, the same id", again)
	}
}
