package routes_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/vendorportal/orgs/internal/apitest"
	"github.com/vendorportal/orgs/internal/httpapi"
	"github.com/vendorportal/orgs/internal/httpapi/orgsapi"
	"github.com/vendorportal/orgs/internal/iam"
)

// withoutAction is the route table's grants with action taken from route's.
func withoutAction(route *httpapi.Route, action string) []iam.Grant {
	grants := apitest.RouteGrants()
	for i, g := range grants {
		if g.Function == route.Name {
			if !slices.Contains(g.Actions, action) {
				panic(route.Name + " is not granted " + action)
			}
			g.Actions = slices.DeleteFunc(slices.Clone(g.Actions), func(a string) bool { return a == action })
			grants[i] = g
		}
	}
	return grants
}

// A route whose role lacks one action its code uses fails as it would in AWS: the call is
// refused with AccessDeniedException before it leaves the process, the route answers 500 and
// logs why. Here: a change of the org's settings checks, in its transaction, that the caller
// is still an active admin (a ConditionCheck item), which only ConditionCheckItem allows.
func TestRouteWithoutAGrantIsDenied(t *testing.T) {
	body := `{"name":"Acme Robotics"}`
	for _, c := range []struct {
		name   string
		grants []iam.Grant
		want   int
	}{
		{"the route table's grants", apitest.RouteGrants(), http.StatusOK},
		{"without ConditionCheckItem", withoutAction(orgsapi.UpdateOrg, httpapi.DDBCheck), http.StatusInternalServerError},
	} {
		t.Run(c.name, func(t *testing.T) {
			a := apitest.NewAPIWithGrants(t, c.grants)
			admin := a.Caller("admin")
			orgID := a.Org(admin, "Acme")
			// Straight through the bound handler: the contract check of a.call would flag the
			// 500, which is the point here.
			resp, err := a.Handler(orgsapi.UpdateOrg)(t.Context(), a.Request(orgsapi.UpdateOrg, &admin, map[string]string{"orgId": orgID}, nil, body))
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != c.want {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, c.want, resp.Body)
			}
			if c.want != http.StatusInternalServerError {
				return
			}
			logs := a.Logs.String()
			for _, want := range []string{"AccessDeniedException", "assumed-role/update-org-role/update-org is not authorized to perform: dynamodb:ConditionCheckItem"} {
				if !strings.Contains(logs, want) {
					t.Errorf("the log does not say %q:\n%s", want, logs)
				}
			}
			if strings.Contains(resp.Body, "AccessDenied") {
				t.Errorf("the answer tells the client why: %s", resp.Body)
			}
			if d := a.IAM.TakeDenied(); len(d) != 1 {
				t.Errorf("denied %q; want the one ConditionCheckItem", d)
			}
		})
	}
}
