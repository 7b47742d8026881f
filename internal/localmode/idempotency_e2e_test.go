package localmode_test

import (
	"sync"
	"testing"
)

func TestIdempotencyKeyMakesARepeatedCreateReturnTheFirstResult(t *testing.T) {
	s := startStack(t)
	u := s.newUser()
	first := decode[org](t, s.do("POST", "/v1/orgs", u.tokens.IDToken, `{"name":"Acme"}`, "Idempotency-Key", "k-1"), 201)
	again := decode[org](t, s.do("POST", "/v1/orgs", u.tokens.IDToken, `{"name":"Acme"}`, "Idempotency-Key", "k-1"), 201)
	if again.str("id") != first.str("id") || again.str("handle") != first.str("handle") {
		t.Errorf("replay answered %s, first %s", again.str("id"), first.str("id"))
	}
	apiError(t, s.do("POST", "/v1/orgs", u.tokens.IDToken, `{"name":"Other"}`, "Idempotency-Key", "k-1"), 409, "conflict")
	apiError(t, s.do("POST", "/v1/orgs", u.tokens.IDToken, `{"name":"Acme"}`, "Idempotency-Key", "bad key"), 400, "invalid_request")

	other := s.newUser()
	theirs := decode[org](t, s.do("POST", "/v1/orgs", other.tokens.IDToken, `{"name":"Acme"}`, "Idempotency-Key", "k-1"), 201)
	if theirs.str("id") == first.str("id") {
		t.Error("another caller's key replayed the first caller's request")
	}
	list := decode[orgList](t, s.do("GET", "/v1/orgs", u.tokens.IDToken, ""), 200)
	if len(list.Items) != 2 {
		t.Errorf("%d orgs, want personal + one", len(list.Items))
	}
}

func TestDoubleClickWithOneKeyCreatesOneOrg(t *testing.T) {
	s := startStack(t)
	u := s.newUser()
	decode[meJSON](t, s.do("GET", "/v1/me", u.tokens.IDToken, ""), 200)
	var wg sync.WaitGroup
	statuses := make([]int, 4)
	for i := range statuses {
		wg.Go(func() {
			statuses[i] = s.do("POST", "/v1/orgs", u.tokens.IDToken, `{"name":"Acme"}`, "Idempotency-Key", "click").status
		})
	}
	wg.Wait()
	for _, st := range statuses {
		if st != 201 && st != 409 {
			t.Errorf("status %d", st)
		}
	}
	list := decode[orgList](t, s.do("GET", "/v1/orgs", u.tokens.IDToken, ""), 200)
	if len(list.Items) != 2 {
		t.Errorf("%d orgs after a double click, want personal + one", len(list.Items))
	}
}

func TestIdempotencyKeyMakesARepeatedInviteReturnTheFirstInvite(t *testing.T) {
	s := startStack(t)
	u := s.newUser()
	o := decode[org](t, s.do("POST", "/v1/orgs", u.tokens.IDToken, `{"name":"Acme"}`), 201)
	path := "/v1/orgs/" + o.str("id") + "/invites"
	body := `{"email":"invitee@example.com","role":"user"}`
	first := decode[map[string]any](t, s.do("POST", path, u.tokens.IDToken, body, "Idempotency-Key", "inv-1"), 201)
	again := decode[map[string]any](t, s.do("POST", path, u.tokens.IDToken, body, "Idempotency-Key", "inv-1"), 201)
	if first["id"] != again["id"] {
		t.Errorf("replay answered invite %v, first %v", again["id"], first["id"])
	}
	apiError(t, s.do("POST", path, u.tokens.IDToken, `{"email":"other@example.com","role":"user"}`, "Idempotency-Key", "inv-1"), 409, "conflict")
	// Without a key the same invite again is the contract's 409 for a pending invite.
	apiError(t, s.do("POST", path, u.tokens.IDToken, body), 409, "conflict")
}
