package localmode_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/vendorportal/orgs/internal/demo"
	"github.com/vendorportal/orgs/internal/standins"
	"github.com/vendorportal/orgs/internal/testenv"
)

func TestDemoDataCanBeSignedInToAndSeedingTwiceAddsNothing(t *testing.T) {
	l := startLocal(t)
	// The README's first example makes an org of the demo's name, with the handle the demo
	// asks for: the demo still works, with a handle of its own.
	reader := l.user(strings.TrimSuffix(testenv.UniqueAddress(t), "@example.com") + "@reader.example")
	var readers struct {
		Handle string `json:"handle"`
	}
	l.do("POST", "/v1/orgs", reader, `{"name":"Acme Robotics"}`, 201, &readers)
	if readers.Handle != demo.OrgHandle {
		t.Fatalf("the reader's org got handle %q, not the demo's %q: the clash is not tested", readers.Handle, demo.OrgHandle)
	}
	users, seeded, err := demo.Seed(context.Background(), demo.Options{API: l.srv.URL, SES: l.ses})
	if err != nil {
		t.Fatal(err)
	}
	if seeded.ID == "" || seeded.Handle == demo.OrgHandle {
		t.Fatalf("demo org %+v: want one of its own, not the reader's handle", seeded)
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
		if o.Handle == seeded.Handle {
			orgID = o.ID
		}
	}
	if orgID != seeded.ID {
		t.Fatalf("the demo admin's orgs %+v lack the demo org %+v", orgs.Items, seeded)
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
		// Every member who may download holds a personal tool token that tools take.
		wantToken := u.Role != "operator" && u.Role != "support_only"
		if (u.PersonalToken != "") != wantToken {
			t.Errorf("%s (%s): personal token %q", u.Email, u.Role, u.PersonalToken)
			continue
		}
		if !wantToken {
			continue
		}
		req, _ := http.NewRequest("GET", l.srv.URL+"/v1/entitlements", nil)
		req.SetBasicAuth(u.Email, u.PersonalToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Errorf("%s's personal token on /v1/entitlements: %d", u.Email, resp.StatusCode)
		}
	}
	events := count(base + "/events?limit=200")
	_, again, err := demo.Seed(context.Background(), demo.Options{API: l.srv.URL, SES: l.ses})
	if err != nil {
		t.Fatalf("seeding again: %v", err)
	}
	if again != seeded {
		t.Errorf("seeding again found %+v, want %+v", again, seeded)
	}
	if n := count(base + "/events?limit=200"); n != events {
		t.Errorf("seeding again wrote %d events", n-events)
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
