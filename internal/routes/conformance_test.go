package routes_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/vendorportal/orgs/internal/apitest"
	"github.com/vendorportal/orgs/internal/httpapi"
	"github.com/vendorportal/orgs/internal/httpapi/accountapi"
	"github.com/vendorportal/orgs/internal/httpapi/orgsapi"
	"github.com/vendorportal/orgs/internal/httpapi/provisioningapi"
	"github.com/vendorportal/orgs/internal/routes"
)

// A JSON null (or any body that is not an object) is no body a route takes: decoding it into
// the route's struct changed nothing, so PATCH /v1/me and PATCH /v1/orgs/{orgId} answered 200.
func TestABodyThatIsNotAJSONObjectIs400(t *testing.T) {
	a := apitest.NewAPI(t)
	ada := apitest.Person("ada")
	org := map[string]string{"orgId": a.Org(ada, "Acme")}
	for _, body := range []string{"null", " null ", "[]", `"x"`, "1", "true"} {
		if r := a.Do(accountapi.UpdateMe, &ada, nil, nil, body); r.Status != 400 {
			t.Errorf("PATCH /v1/me with %s: %d %s; want 400", body, r.Status, r.Body)
		}
		if r := a.Do(orgsapi.UpdateOrg, &ada, org, nil, body); r.Status != 400 {
			t.Errorf("PATCH /v1/orgs/{orgId} with %s: %d %s; want 400", body, r.Status, r.Body)
		}
	}
}

// /members/{userId}/… and /members/imports/{importId} (and the other literal segments after
// /members/) must not be ambiguous: a user id is never one of those words, and the list of
// them is the route table's.
func TestMemberPathWordsAreNoUserIDs(t *testing.T) {
	var words []string
	for _, r := range routes.All() {
		rest, ok := strings.CutPrefix(r.Path, "/v1/orgs/{orgId}/members/")
		if !ok {
			continue
		}
		if w, _, _ := strings.Cut(rest, "/"); !strings.HasPrefix(w, "{") && !slices.Contains(words, w) {
			words = append(words, w)
		}
	}
	for _, w := range words {
		if !slices.Contains(httpapi.MemberPathWords, w) {
			t.Errorf("/members/%s/… is a literal segment of the route table missing from memberPathWords", w)
		}
		if httpapi.UserParam.Valid(w) {
			t.Errorf("%q is a valid user id, so /members/%s/… is ambiguous with /members/{userId}/…", w, w)
		}
	}
	a := apitest.NewAPI(t)
	ada := apitest.Person("ada")
	org := a.Org(ada, "Acme")
	if r := a.Do(provisioningapi.ResetMemberPassword, &ada, map[string]string{"orgId": org, "userId": "imports"}, nil, ""); r.Status != 404 {
		t.Errorf("password reset of user \"imports\": %d %s; want 404", r.Status, r.Body)
	}
}
