package orgsapi_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/google/go-cmp/cmp"

	"github.com/vendorportal/orgs/internal/apitest"
	"github.com/vendorportal/orgs/internal/httpapi"
	"github.com/vendorportal/orgs/internal/httpapi/accountapi"
	"github.com/vendorportal/orgs/internal/httpapi/orgsapi"
)

// getOrgEvent is get-org.json asking for orgID.
func getOrgEvent(t *testing.T, orgID string) events.APIGatewayV2HTTPRequest {
	ev := apitest.LoadEvent(t, "get-org.json")
	ev.PathParameters["orgId"] = orgID
	ev.RawPath = "/v1/orgs/" + orgID
	ev.RequestContext.HTTP.Path = ev.RawPath
	return ev
}

// asNewUser makes a sample event come from another user, with an address of their own.
func asNewUser(ev events.APIGatewayV2HTTPRequest, name string) events.APIGatewayV2HTTPRequest {
	claims := ev.RequestContext.Authorizer.JWT.Claims
	claims["sub"], claims["cognito:username"], claims["email"] = "user-"+name, "user-"+name, name+"@example.com"
	return ev
}

func TestGetConfigAnswersTheConfigWithoutTheTable(t *testing.T) {
	h := apitest.NewAPI(t)
	resp, calls := h.Invoke(orgsapi.GetConfig, apitest.LoadEvent(t, "get-config.json"))
	got := apitest.DecodeBody[map[string]any](t, resp, 200)
	want := map[string]any{"region": "eu-west-1", "userPoolId": apitest.SamplePool, "userPoolClientId": apitest.SampleClient, "issuer": apitest.SampleIssuer}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("config (-want +got):\n%s", diff)
	}
	if calls != 0 {
		t.Errorf("GET /v1/config made %d DynamoDB calls, want 0", calls)
	}
}

// answer drops the call count where a test does not look at it.
func TestCreateOrgFromSampleEventAndDuplicateHandleIs409(t *testing.T) {
	h := apitest.NewAPI(t)
	resp, _ := h.Invoke(orgsapi.CreateOrg, apitest.LoadEvent(t, "create-org.json"))
	got := apitest.DecodeBody[map[string]any](t, resp, 201)
	id, _ := got["id"].(string)
	createdAt, _ := got["createdAt"].(string)
	if id == "" || !strings.HasSuffix(createdAt, "Z") {
		t.Errorf("id %v, createdAt %v", got["id"], got["createdAt"])
	}
	delete(got, "id")
	delete(got, "createdAt")
	want := map[string]any{
		"kind": "shared", "handle": "acme-robotics", "name": "Acme Robotics", "displayName": nil, "avatarUrl": nil,
		"contactName": "Ada Lovelace", "contactEmail": "ada@example.com", "companyName": "Acme Robotics Ltd",
		"supportTicketVisibility": "all", "membersCanInvite": false, "autoJoin": "off", "billingContacts": []any{}, "role": "admin",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("created org (-want +got):\n%s", diff)
	}

	resp, _ = h.Invoke(orgsapi.CreateOrg, apitest.LoadEvent(t, "create-org.json"))
	if code, msg := apitest.ErrorCode(t, resp); resp.StatusCode != 409 || code != "conflict" || !strings.Contains(msg, "handle") {
		t.Errorf("second create-org.json: %d %s %q, want 409 conflict about the handle", resp.StatusCode, code, msg)
	}
}

func TestCreateOrgAsFirstCallAlsoCreatesThePersonalAccount(t *testing.T) {
	h := apitest.NewAPI(t)
	created := apitest.DecodeBody[map[string]any](t, apitest.Answer(h.Invoke(orgsapi.CreateOrg, apitest.LoadEvent(t, "create-org.json"))), 201)
	me := apitest.DecodeBody[apitest.MeOut](t, apitest.Answer(h.Invoke(accountapi.GetMe, apitest.LoadEvent(t, "get-me.json"))), 200)
	if len(me.Orgs) != 2 || me.Orgs[0].Kind != "personal" || me.Orgs[0].ID != me.PersonalOrgID || me.Orgs[1].ID != created["id"] || me.Orgs[1].Role != "admin" {
		t.Errorf("GET /v1/me after a first call that created an org = %+v", me)
	}
}

func TestListOrgsPutsThePersonalAccountFirst(t *testing.T) {
	h := apitest.NewAPI(t)
	created := apitest.DecodeBody[map[string]any](t, apitest.Answer(h.Invoke(orgsapi.CreateOrg, apitest.LoadEvent(t, "create-org.json"))), 201)
	list := apitest.DecodeBody[struct {
		Items []map[string]any `json:"items"`
	}](t, apitest.Answer(h.Invoke(orgsapi.ListOrgs, apitest.LoadEvent(t, "list-orgs.json"))), 200)
	if len(list.Items) != 2 || list.Items[0]["kind"] != "personal" || list.Items[1]["id"] != created["id"] || list.Items[1]["name"] != "Acme Robotics" {
		t.Fatalf("list = %+v, want the personal account then Acme Robotics", list.Items)
	}
	if _, ok := list.Items[0]["displayName"]; !ok {
		t.Errorf("listed orgs omit unset fields: %v", list.Items[0])
	}
}

func TestGetOrgIsForMembersOnly(t *testing.T) {
	h := apitest.NewAPI(t)
	created := apitest.DecodeBody[map[string]any](t, apitest.Answer(h.Invoke(orgsapi.CreateOrg, apitest.LoadEvent(t, "create-org.json"))), 201)
	id := created["id"].(string)

	got := apitest.DecodeBody[map[string]any](t, apitest.Answer(h.Invoke(orgsapi.GetOrg, getOrgEvent(t, id))), 200)
	if diff := cmp.Diff(created, got); diff != "" {
		t.Errorf("GET /v1/orgs/{orgId} (-created +got):\n%s", diff)
	}
	if got["role"] != "admin" {
		t.Errorf("role %v, want admin", got["role"])
	}

	ev := getOrgEvent(t, id)
	ev.RequestContext.Authorizer.JWT.Claims["sub"] = "someone-else"
	ev.RequestContext.Authorizer.JWT.Claims["email"] = "someone@example.com"
	resp, _ := h.Invoke(orgsapi.GetOrg, ev)
	if code, _ := apitest.ErrorCode(t, resp); resp.StatusCode != 404 || code != "not_found" {
		t.Errorf("a non-member: %d %s", resp.StatusCode, resp.Body)
	}
	resp, _ = h.Invoke(orgsapi.GetOrg, getOrgEvent(t, "01jd0000000000000000000000"))
	if code, _ := apitest.ErrorCode(t, resp); resp.StatusCode != 404 || code != "not_found" {
		t.Errorf("an unknown org: %d %s", resp.StatusCode, resp.Body)
	}
}

// TestRoutesStayWithinTwoDynamoDBCalls measures the round trips of each route, as the glue
// logs them, along the path a new user takes.
func TestRoutesStayWithinTwoDynamoDBCalls(t *testing.T) {
	h := apitest.NewAPI(t)
	var orgID string
	steps := []struct {
		name   string
		route  *httpapi.Route
		event  func() events.APIGatewayV2HTTPRequest
		status int
		max    int
	}{
		{"get-config", orgsapi.GetConfig, func() events.APIGatewayV2HTTPRequest { return apitest.LoadEvent(t, "get-config.json") }, 200, 0},
		{"get-me, first call", accountapi.GetMe, func() events.APIGatewayV2HTTPRequest { return apitest.LoadEvent(t, "get-me.json") }, 200, 2},
		{"get-me, later call", accountapi.GetMe, func() events.APIGatewayV2HTTPRequest { return apitest.LoadEvent(t, "get-me.json") }, 200, 2},
		{"create-org", orgsapi.CreateOrg, func() events.APIGatewayV2HTTPRequest { return apitest.LoadEvent(t, "create-org.json") }, 201, 2},
		{"create-org, handle taken", orgsapi.CreateOrg, func() events.APIGatewayV2HTTPRequest { return apitest.LoadEvent(t, "create-org.json") }, 409, 2},
		{"list-orgs", orgsapi.ListOrgs, func() events.APIGatewayV2HTTPRequest { return apitest.LoadEvent(t, "list-orgs.json") }, 200, 2},
		{"get-org", orgsapi.GetOrg, func() events.APIGatewayV2HTTPRequest { return getOrgEvent(t, orgID) }, 200, 1},
		{"get-org, not a member", orgsapi.GetOrg, func() events.APIGatewayV2HTTPRequest {
			ev := getOrgEvent(t, orgID)
			ev.RequestContext.Authorizer.JWT.Claims["sub"] = "someone-else"
			return ev
		}, 404, 1},
		{"create-org, the caller's first call", orgsapi.CreateOrg, func() events.APIGatewayV2HTTPRequest {
			ev := asNewUser(apitest.LoadEvent(t, "create-org.json"), "grace")
			ev.Body = `{"name":"Grace Labs"}`
			return ev
		}, 201, 2},
		{"list-orgs, the caller's first call", orgsapi.ListOrgs, func() events.APIGatewayV2HTTPRequest {
			return asNewUser(apitest.LoadEvent(t, "list-orgs.json"), "linus")
		}, 200, 2},
		{"get-me, after creating an org on the first call", accountapi.GetMe, func() events.APIGatewayV2HTTPRequest {
			return asNewUser(apitest.LoadEvent(t, "get-me.json"), "grace")
		}, 200, 2},
	}
	var report strings.Builder
	for _, s := range steps {
		resp, calls := h.Invoke(s.route, s.event())
		if resp.StatusCode != s.status {
			t.Fatalf("%s: status %d, want %d: %s", s.name, resp.StatusCode, s.status, resp.Body)
		}
		if s.name == "create-org" {
			var o struct{ ID string }
			_ = json.Unmarshal([]byte(resp.Body), &o)
			orgID = o.ID
		}
		fmt.Fprintf(&report, "\n  %s: %d", s.name, calls)
		if calls > s.max {
			t.Errorf("%s made %d DynamoDB calls, want at most %d", s.name, calls, s.max)
		}
	}
	t.Logf("DynamoDB calls per request:%s", report.String())
}
