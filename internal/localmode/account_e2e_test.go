package localmode_test

import (
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vendorportal/orgs/internal/orgs"
	"github.com/vendorportal/orgs/internal/standins"
	"github.com/vendorportal/orgs/internal/testenv"
)

type userJSON struct {
	ID    string  `json:"id"`
	Email string  `json:"email"`
	Name  *string `json:"name"`
	Phone *string `json:"phone"`
}

func TestProfileUpdateValidatesAndCopiesTheName(t *testing.T) {
	s := startStack(t)
	u := s.newUser()
	created := decode[org](t, s.do("POST", "/v1/orgs", u.tokens.IDToken, `{"name":"Acme"}`), 201)

	got := decode[userJSON](t, s.do("PATCH", "/v1/me", u.tokens.IDToken, `{"name":"Ada Lovelace","phone":"+14155550123"}`), 200)
	if got.Name == nil || *got.Name != "Ada Lovelace" || got.Phone == nil || *got.Phone != "+14155550123" {
		t.Errorf("PATCH /v1/me = %+v", got)
	}
	for body, field := range map[string]string{
		`{"phone":"0155 5501"}`:                       "phone",
		`{"phone":"+0123456789"}`:                     "phone",
		`{"name":"` + strings.Repeat("x", 201) + `"}`: "name",
		`{"email":"x@y.io"}`:                          "email",
		`{"id":"me"}`:                                 "id",
	} {
		msg := apiError(t, s.do("PATCH", "/v1/me", u.tokens.IDToken, body), 400, "invalid_request")
		if !strings.Contains(msg, field) {
			t.Errorf("%s: message %q does not name %s", body, msg, field)
		}
	}
	cleared := decode[userJSON](t, s.do("PATCH", "/v1/me", u.tokens.IDToken, `{"phone":null}`), 200)
	if cleared.Phone != nil || cleared.Name == nil {
		t.Errorf("clearing the phone: %+v", cleared)
	}
	me := decode[meJSON](t, s.do("GET", "/v1/me", u.tokens.IDToken, ""), 200)
	if me.User.Name == nil || *me.User.Name != "Ada Lovelace" {
		t.Errorf("GET /v1/me after PATCH: %+v", me.User)
	}
	_ = created
}

var confirmLink = regexp.MustCompile(`/account/email/confirm\?token=([A-Za-z0-9_-]+)`)

func TestEmailChangeIsConfirmedByTheLinkSentToTheNewAddress(t *testing.T) {
	s := startStack(t)
	sesEndpoint := testenv.SES(t)
	u := s.newUser()
	created := decode[org](t, s.do("POST", "/v1/orgs", u.tokens.IDToken, `{"name":"Acme"}`), 201)
	newEmail := testenv.UniqueAddress(t)

	apiError(t, s.do("POST", "/v1/me/email", u.tokens.IDToken, `{"email":"`+u.email+`"}`), 400, "invalid_request")
	apiError(t, s.do("POST", "/v1/me/email", u.tokens.IDToken, `{"email":"nope"}`), 400, "invalid_request")
	decode[map[string]any](t, s.do("POST", "/v1/me/email", u.tokens.IDToken, `{"email":"`+strings.ToUpper(newEmail)+`"}`), 202)

	mails := waitMails(t, sesEndpoint, newEmail, 1)
	if len(mails) != 1 {
		t.Fatalf("%d mails to the new address, want 1", len(mails))
	}
	m := confirmLink.FindStringSubmatch(mails[0].Text)
	if m == nil || !strings.Contains(mails[0].HTML, m[1]) || !strings.HasPrefix(mails[0].Text[strings.Index(mails[0].Text, "http"):], appOrigin) {
		t.Fatalf("no confirmation link in %q", mails[0].Text)
	}
	token := m[1]

	apiError(t, s.do("POST", "/v1/me/email/confirm", u.tokens.IDToken, `{"token":"forged"}`), 410, "gone")
	other := s.newUser()
	apiError(t, s.do("POST", "/v1/me/email/confirm", other.tokens.IDToken, `{"token":"`+token+`"}`), 410, "gone")

	got := decode[userJSON](t, s.do("POST", "/v1/me/email/confirm", u.tokens.IDToken, `{"token":"`+token+`"}`), 200)
	if got.Email != newEmail {
		t.Errorf("email after confirm = %s, want %s", got.Email, newEmail)
	}
	apiError(t, s.do("POST", "/v1/me/email/confirm", u.tokens.IDToken, `{"token":"`+token+`"}`), 410, "gone")

	// The identity provider has the new address: signing in with it works, with the old one not.
	tokens, err := standins.SignIn(t.Context(), s.cognito, s.api.Pool, newEmail, password)
	if err != nil {
		t.Fatalf("sign in with the new email: %v", err)
	}
	if c := claimsOf(t, tokens.IDToken); c["email"] != newEmail || c["email_verified"] != true {
		t.Errorf("new token's email claims: %v %v", c["email"], c["email_verified"])
	}
	if _, err := standins.SignIn(t.Context(), s.cognito, s.api.Pool, u.email, password); err == nil {
		t.Error("the old email still signs in")
	}
	// The profile and the membership copies show it.
	me := decode[meJSON](t, s.do("GET", "/v1/me", tokens.IDToken, ""), 200)
	if me.User.Email != newEmail {
		t.Errorf("profile email %s", me.User.Email)
	}
	acc, err := s.api.Env.Orgs().Authorize(t.Context(), callerOf(u), created.str("id"))
	if err != nil || acc.Member.Email != newEmail {
		t.Errorf("membership copy: %+v %v", acc.Member, err)
	}
	notices := waitMails(t, sesEndpoint, u.email, 1)
	if len(notices) != 1 || !strings.Contains(notices[0].Text, newEmail) {
		t.Errorf("notice to the old address: %+v", notices)
	}
}

func TestANewerEmailChangeReplacesTheOlderLink(t *testing.T) {
	s := startStack(t)
	sesEndpoint := testenv.SES(t)
	u := s.newUser()
	first, second := testenv.UniqueAddress(t), testenv.UniqueAddress(t)
	decode[map[string]any](t, s.do("POST", "/v1/me/email", u.tokens.IDToken, `{"email":"`+first+`"}`), 202)
	decode[map[string]any](t, s.do("POST", "/v1/me/email", u.tokens.IDToken, `{"email":"`+second+`"}`), 202)
	newToken := confirmLink.FindStringSubmatch(waitMails(t, sesEndpoint, second, 1)[0].Text)[1]
	// The first link goes out only if the stream processor got to it before the second
	// request replaced it; either way it does not work.
	for _, m := range testenv.Mails(t, sesEndpoint, first) {
		oldToken := confirmLink.FindStringSubmatch(m.Text)[1]
		apiError(t, s.do("POST", "/v1/me/email/confirm", u.tokens.IDToken, `{"token":"`+oldToken+`"}`), 410, "gone")
	}
	got := decode[userJSON](t, s.do("POST", "/v1/me/email/confirm", u.tokens.IDToken, `{"token":"`+newToken+`"}`), 200)
	if got.Email != second {
		t.Errorf("email %s, want %s", got.Email, second)
	}
}

func callerOf(u user) orgs.Caller {
	return orgs.Caller{ID: u.sub, Email: u.email, EmailVerified: true}
}

var inviteLink = regexp.MustCompile(`/invites/accept\?token=([A-Za-z0-9_-]+)`)

// join has admin invite u into the org over HTTP and u accept it.
func (s *stack) join(admin, u user, orgID, role string) {
	s.t.Helper()
	decode[map[string]any](s.t, s.do("POST", "/v1/orgs/"+orgID+"/invites", admin.tokens.IDToken, `{"email":"`+u.email+`","role":"`+role+`"}`), 201)
	mails := waitMails(s.t, testenv.SES(s.t), u.email, 1)
	m := inviteLink.FindStringSubmatch(mails[len(mails)-1].Text)
	if m == nil {
		s.t.Fatalf("no invite link in %q", mails[len(mails)-1].Text)
	}
	decode[map[string]any](s.t, s.do("POST", "/v1/invites/accept", u.tokens.IDToken, `{"token":"`+m[1]+`"}`), 200)
}

func TestDeletingTheAccountLeavesOrgsAndRemovesIdentity(t *testing.T) {
	s := startStack(t)
	ada, bob := s.newUser(), s.newUser()
	shared := decode[org](t, s.do("POST", "/v1/orgs", ada.tokens.IDToken, `{"name":"Shared"}`), 201).str("id")
	alone := decode[org](t, s.do("POST", "/v1/orgs", ada.tokens.IDToken, `{"name":"Alone"}`), 201)
	s.join(ada, bob, shared, "user")

	// Ada is the only admin of an org with another member: refused, nothing changed.
	msg := apiError(t, s.do("DELETE", "/v1/me", ada.tokens.IDToken, ""), 409, "conflict")
	if !strings.Contains(msg, "Shared") {
		t.Errorf("message %q does not name the org", msg)
	}
	decode[org](t, s.do("GET", "/v1/orgs/"+alone.str("id"), ada.tokens.IDToken, ""), 200)

	// With Bob an admin too, Ada may go.
	decode[map[string]any](t, s.do("PATCH", "/v1/orgs/"+shared+"/members/"+bob.sub, ada.tokens.IDToken, `{"role":"admin"}`), 200)
	if r := s.do("DELETE", "/v1/me", ada.tokens.IDToken, ""); r.status != 204 {
		t.Fatalf("DELETE /v1/me: %s", r)
	}
	// Her still-valid token no longer works, and doesn't bring the account back.
	apiError(t, s.do("GET", "/v1/me", ada.tokens.IDToken, ""), 401, "unauthenticated")
	// The authorization step refuses the deleted account itself, as /v1/me does.
	apiError(t, s.do("GET", "/v1/orgs/"+shared, ada.tokens.IDToken, ""), 401, "unauthenticated")
	if _, err := standins.SignIn(t.Context(), s.cognito, s.api.Pool, ada.email, password); err == nil {
		t.Error("the deleted user can still sign in")
	}
	// Bob's org lost her; the org she was alone in is gone and its handle free.
	members := decode[struct {
		Items []struct {
			UserID string `json:"userId"`
		} `json:"items"`
	}](t, s.do("GET", "/v1/orgs/"+shared+"/members", bob.tokens.IDToken, ""), 200)
	if len(members.Items) != 1 || members.Items[0].UserID != bob.sub {
		t.Errorf("members after Ada left: %+v", members.Items)
	}
	o := decode[org](t, s.do("GET", "/v1/orgs/"+shared, bob.tokens.IDToken, ""), 200)
	if o["role"] != "admin" {
		t.Errorf("bob's org: %v", o)
	}
	decode[org](t, s.do("POST", "/v1/orgs", bob.tokens.IDToken, `{"name":"Taken?","handle":"`+alone.str("handle")+`"}`), 201)
	acts := eventActions(t, s, bob, shared)
	if !slices.Contains(acts, "member.left") {
		t.Errorf("events of the shared org: %v", acts)
	}
}

// eventActions reads the org's event log through the API, as its admin would.
func eventActions(t *testing.T, s *stack, admin user, orgID string) []string {
	t.Helper()
	page := decode[struct {
		Items []struct {
			Action string `json:"action"`
		} `json:"items"`
	}](t, s.do("GET", "/v1/orgs/"+orgID+"/events?limit=200", admin.tokens.IDToken, ""), 200)
	var out []string
	for _, e := range page.Items {
		out = append(out, e.Action)
	}
	return out
}

// waitMails waits up to a minute for at least n mails to address to land in the SES
// stand-in (the stream processor sends them seconds after the change; on a loaded machine,
// later) and returns those there then: the caller checks how many it got.
func waitMails(t testing.TB, endpoint, to string, n int) []standins.Mail {
	t.Helper()
	mails, _ := testenv.Eventually(60*time.Second, func() ([]standins.Mail, bool) {
		mails := testenv.Mails(t, endpoint, to)
		return mails, len(mails) >= n
	})
	return mails
}
