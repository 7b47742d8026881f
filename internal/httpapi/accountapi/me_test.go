package accountapi_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/vendorportal/orgs/internal/apitest"
	"github.com/vendorportal/orgs/internal/httpapi/accountapi"
)

func TestGetMeCreatesThePersonalAccountOnce(t *testing.T) {
	h := apitest.NewAPI(t)
	once := apitest.DecodeBody[apitest.MeOut](t, apitest.Answer(h.Invoke(accountapi.GetMe, apitest.LoadEvent(t, "get-me.json"))), 200)
	if once.User.ID != apitest.SampleSub || once.User.Email != apitest.SampleEmail {
		t.Errorf("user = %+v", once.User)
	}
	if len(once.Orgs) != 1 || once.Orgs[0].Kind != "personal" || once.Orgs[0].Role != "admin" || once.Orgs[0].ID != once.PersonalOrgID || once.PersonalOrgID == "" {
		t.Fatalf("first GET /v1/me = %+v, want the personal account alone", once)
	}
	again := apitest.DecodeBody[apitest.MeOut](t, apitest.Answer(h.Invoke(accountapi.GetMe, apitest.LoadEvent(t, "get-me.json"))), 200)
	if diff := cmp.Diff(once, again); diff != "" {
		t.Errorf("second GET /v1/me differs (-first +second):\n%s", diff)
	}

	// A first call with an access token has no email to create the profile with.
	ev := apitest.LoadEvent(t, "get-me.json")
	claims := ev.RequestContext.Authorizer.JWT.Claims
	claims["sub"], claims["token_use"], claims["client_id"] = "a-user-not-seen-before", "access", apitest.SampleClient
	delete(claims, "email")
	delete(claims, "aud")
	resp, _ := h.Invoke(accountapi.GetMe, ev)
	if code, msg := apitest.ErrorCode(t, resp); resp.StatusCode != 401 || code != "unauthenticated" || !strings.Contains(msg, "ID token") {
		t.Errorf("first call with an access token: %d %s %q", resp.StatusCode, code, msg)
	}
}
