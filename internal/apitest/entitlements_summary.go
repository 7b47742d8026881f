package apitest

import (
	"net/http"
)

// Entitled returns the product ids (and names) the member's sign-in with tok lists, failing
// the test unless it answers 200 in 2 calls.
func (a *API) Entitled(email, tok string) map[string]string {
	a.T.Helper()
	r := a.SignIn(email, tok)
	if r.Status != http.StatusOK || r.Calls != 2 {
		a.T.Fatalf("sign-in of %s: %d in %d calls (want 200 in 2): %s", email, r.Status, r.Calls, r.Body)
	}
	out := map[string]string{}
	for _, p := range r.JSON(a.T)["products"].([]any) {
		m := p.(map[string]any)
		out[m["id"].(string)] = m["name"].(string)
	}
	return out
}
