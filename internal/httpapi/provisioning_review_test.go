package httpapi

import (
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
)

// The attacks of the provisioning review: each test is one way in that must stay shut.

// asUnverified makes the request's token say that the identity provider has not verified
// its address (an ID token with email_verified false), or, with noEmail, carry no address at
// all (an access token).
func asUnverified(ev events.APIGatewayV2HTTPRequest, noEmail bool) events.APIGatewayV2HTTPRequest {
	claims := ev.RequestContext.Authorizer.JWT.Claims
	claims["email_verified"] = "false"
	if noEmail {
		delete(claims, "email")
		delete(claims, "email_verified")
	}
	return ev
}

func TestAnAddressCreatedWithItsPasswordMailedElsewhereCannotAutoJoinItsDomainsOrg(t *testing.T) {
	a, dir := provisioningAPI(t)
	// Bigcorp verified its domain and lets its people join.
	ada := person("ada")
	bigcorp := a.org(ada, "Bigcorp")
	a.verifiedDomain(ada, bigcorp, "bigcorp.com")
	if r := a.do(UpdateOrg, &ada, map[string]string{"orgId": bigcorp}, nil, `{"autoJoin":"join"}`); r.status != 200 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	// Mallory's org creates an account for Bigcorp's CEO, whose password goes to Mallory.
	mal := person("mallory")
	evil := a.org(mal, "Evil")
	r := a.do(CreateMember, &mal, map[string]string{"orgId": evil}, nil, `{"email":"ceo@bigcorp.com","notifyEmail":"mallory@example.com"}`)
	if r.status != 201 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	u := dir.user("ceo@bigcorp.com")
	if u.verified {
		t.Fatal("the address was marked verified")
	}
	// Mallory signs in as ceo@bigcorp.com: the identity provider vouches for no address.
	ceo := person("ceo")
	ceo.ID, ceo.Email = u.id, "ceo@bigcorp.com"
	for name, noEmail := range map[string]bool{"an ID token with email_verified false": false, "an access token": true} {
		t.Run(name, func(t *testing.T) {
			join := a.call(JoinOrg, asUnverified(a.request(JoinOrg, &ceo, map[string]string{"orgId": bigcorp}, nil, ""), noEmail))
			if join.StatusCode == 200 {
				t.Fatalf("joined Bigcorp by an address nobody proved: %s", join.Body)
			}
			sugg := a.call(SuggestedOrgs, asUnverified(a.request(SuggestedOrgs, &ceo, nil, nil, ""), noEmail))
			if strings.Contains(sugg.Body, bigcorp) {
				t.Errorf("Bigcorp suggested to an address nobody proved: %d %s", sugg.StatusCode, sugg.Body)
			}
		})
	}
	if r := a.do(ListMembers, &ada, map[string]string{"orgId": bigcorp}, nil, ""); strings.Contains(r.body, "ceo@bigcorp.com") {
		t.Fatalf("Bigcorp's members: %s", r.body)
	}
	// Once the identity provider vouches for the address (the CEO verified it), it counts.
	if r := a.do(JoinOrg, &ceo, map[string]string{"orgId": bigcorp}, nil, ""); r.status != 200 {
		t.Fatalf("a verified claim: %d %s", r.status, r.body)
	}
}
