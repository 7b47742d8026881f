package localmode_test

import (
	"context"
	"testing"

	"github.com/vendorportal/orgs/internal/demo"
	"github.com/vendorportal/orgs/internal/standins"
)

func TestDemoDataCanBeSignedInToAndSeedingTwiceAddsNothing(t *testing.T) {
	l := startLocal(t)
	users, err := demo.Seed(context.Background(), demo.Options{API: l.srv.URL, SES: l.ses})
	if err != nil {
		t.Fatal(err)
	}
	admin := l.signIn(users[1].Email, demo.Password)
	var orgs struct {
		Items []struct {
			ID     string `json:"id"`
			Handle string `json:"handle"`
		} `json:"items"`
	}
	l.do("GET", "/v1/orgs", admin, "", 200, &orgs)
	orgID := ""
	for _, o := range orgs.Items {
		if o.Handle == demo.OrgHandle {
			orgID = o.ID
		}
	}
	if orgID == "" {
		t.Fatalf("the demo admin's orgs %+v lack %s", orgs.Items, demo.OrgHandle)
	}
	count := func(path string) int {
		var list struct {
			Items []any `json:"items"`
		}
		l.do("GET", path, admin, "", 200, &list)
		return len(list.Items)
	}
	base := "/v1/orgs/" + orgID
	want := map[string]int{"/members": 5, "/invites": 2, "/licenses": 3, "/tickets": 2}
	for path, n := range want {
		if got := count(base + path); got != n {
			t.Errorf("%s: %d items, want %d", path, got, n)
		}
	}
	for _, u := range users {
		l.signIn(u.Email, demo.Password)
	}
	events := count(base + "/events?limit=200")
	if _, err := demo.Seed(context.Background(), demo.Options{API: l.srv.URL, SES: l.ses}); err != nil {
		t.Fatalf("seeding again: %v", err)
	}
	if again := count(base + "/events?limit=200"); again != events {
		t.Errorf("seeding again wrote %d events", again-events)
	}
}

// signIn signs in an existing user with a password and returns the ID token.
func (l *local) signIn(email, password string) string {
	l.t.Helper()
	tokens, err := standins.SignIn(context.Background(), l.cognito, l.api.Pool, email, password)
	if err != nil {
		l.t.Fatal(err)
	}
	return tokens.IDToken
}
