package triggers

import (
	"context"
	"encoding/json"
	"os"
	"testing"

	"github.com/vendorportal/orgs/internal/audit"
	"github.com/vendorportal/orgs/internal/orgs"
	"github.com/vendorportal/orgs/internal/paging"
)

func TestPostAuthenticationLogsTheSignInInEachOrgWithTheSourceIP(t *testing.T) {
	env := newEnv(t)
	ctx := context.Background()
	grace := orgs.Caller{ID: "6c1f1b2e-7d7a-4c2b-9a55-3f1f0a9d2b11", Email: "grace@example.com", EmailVerified: true}
	shared, err := env.Orgs().Create(ctx, grace, orgs.CreateInput{Name: "Navy"})
	if err != nil {
		t.Fatal(err)
	}
	me, err := env.Orgs().Me(ctx, grace)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile("../../events/post-authentication.json")
	if err != nil {
		t.Fatal(err)
	}
	handler := PostAuthentication.Build(env).(func(context.Context, json.RawMessage) (json.RawMessage, error))
	out, err := handler(ctx, raw)
	if err != nil || string(out) != string(raw) {
		t.Fatalf("handler: %s %v; want the event answered back unchanged", out, err)
	}
	for _, orgID := range []string{shared.ID, me.Profile.PersonalOrgID} {
		page, err := env.EventsStore().Events(ctx, orgID, audit.Filter{}, paging.Request{Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, e := range page.Events {
			if e.Action == "user.signed_in" {
				found = true
				if e.IP != "203.0.113.10" || e.Actor.ID != grace.ID || e.Category != audit.Authentication {
					t.Errorf("event %+v: want grace's sign-in from 203.0.113.10 in authentication", e)
				}
			}
		}
		if !found {
			t.Errorf("org %s: no user.signed_in", orgID)
		}
	}
}

func TestPostAuthenticationOfAUserWithoutAnAccountWritesNothing(t *testing.T) {
	env := newEnv(t)
	raw, _ := os.ReadFile("../../events/post-authentication.json")
	handler := PostAuthentication.Build(env).(func(context.Context, json.RawMessage) (json.RawMessage, error))
	if _, err := handler(context.Background(), raw); err != nil {
		t.Fatal(err)
	}
}
