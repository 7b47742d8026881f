package invitesapi_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/vendorportal/orgs/internal/apitest"
	"github.com/vendorportal/orgs/internal/httpapi/invitesapi"
	"github.com/vendorportal/orgs/internal/mail"
)

func TestBulkInvitesHonourIdempotencyKey(t *testing.T) {
	a := apitest.NewAPI(t)
	// The key's record lives a day from its request: on the real clock, so that the
	// authorization step finds it as it would.
	a.Env.Now = func() time.Time { return time.Now().UTC() }
	rec := &mail.Recorder{}
	a.Env.UseMail(rec)
	ada := a.Caller("ada")
	orgID := a.Org(ada, "Acme")
	org := map[string]string{"orgId": orgID}
	body := fmt.Sprintf(`{"invites":[{"email":"taken.%s@example.com","role":"owner"},{"email":%q,"role":"user"},{"email":%q,"role":"user"}]}`,
		a.Run, a.Address("bob"), a.Address("cy"))
	send := func(key, body string) (int, string, int) {
		ev := a.Request(invitesapi.CreateInvitesBulk, &ada, org, nil, body)
		ev.Headers["idempotency-key"] = key
		resp, calls := a.Invoke(invitesapi.CreateInvitesBulk, ev)
		return resp.StatusCode, resp.Body, calls
	}
	status, first, _ := send("bulk-1", body)
	if status != 200 || strings.Count(first, `"status":"created"`) != 2 {
		t.Fatalf("first: %d %s", status, first)
	}
	status, again, calls := send("bulk-1", body)
	if status != 200 || again != first {
		t.Errorf("replay: %d %s\nwant the first response %s", status, again, first)
	}
	if calls > 2 {
		t.Errorf("the replay made %d DynamoDB calls, want at most 2", calls)
	}
	if got := a.Do(invitesapi.ListInvites, &ada, org, nil, ""); strings.Count(got.Body, `"status":"pending"`) != 2 {
		t.Errorf("invites after the replay: %s", got.Body)
	}
	a.Deliver()
	if len(rec.Sent) != 2 {
		t.Errorf("%d emails after a request and its replay, want 2", len(rec.Sent))
	}
	if status, _, _ := send("bulk-1", strings.Replace(body, "cy", "dee", 1)); status != 409 {
		t.Errorf("the same key with another body: %d, want 409", status)
	}
	// Without the key, the same request is a new one: the addresses are taken now.
	if got := a.Do(invitesapi.CreateInvitesBulk, &ada, org, nil, body); strings.Count(got.Body, `"status":"created"`) != 0 {
		t.Errorf("without the key: %s", got.Body)
	}
}

func TestPreviewingAnInviteLinkIsOneDynamoDBCall(t *testing.T) {
	a := apitest.NewAPI(t)
	rec := &mail.Recorder{}
	a.Env.UseMail(rec)
	ada := a.Caller("ada")
	orgID := a.Org(ada, "Acme")
	if got := a.Do(invitesapi.CreateInvite, &ada, map[string]string{"orgId": orgID}, nil, fmt.Sprintf(`{"email":%q,"role":"user"}`, a.Address("bob"))); got.Status != 201 {
		t.Fatal(got.Body)
	}
	a.Deliver()
	token := apitest.LinkToken.FindStringSubmatch(rec.Sent[0].Text)[1]
	got := a.Do(invitesapi.PreviewInvite, nil, map[string]string{"token": token}, nil, "")
	if got.Status != 200 || !strings.Contains(got.Body, `"orgName":"Acme"`) {
		t.Fatalf("preview: %d %s", got.Status, got.Body)
	}
	if got.Calls != 1 {
		t.Errorf("preview made %d DynamoDB calls; a public read's budget is 1", got.Calls)
	}
	// A token naming another invite, or of the right shape with a wrong secret, is unknown.
	for _, bad := range []string{token[:len(token)-2] + "xx", strings.Repeat("a", 3000), orgID + "_" + orgID + "_" + token[len(token)-43:]} {
		if got := a.Do(invitesapi.PreviewInvite, nil, map[string]string{"token": bad}, nil, ""); got.Status != 404 {
			t.Errorf("token %.40q…: %d %s", bad, got.Status, got.Body)
		}
	}
}

func TestTheDailyEmailBudgetAnswers429WithRetryAfter(t *testing.T) {
	a := apitest.NewAPI(t)
	a.Env.Config.DailyEmailLimit = 1
	ada := a.Caller("ada")
	orgID := a.Org(ada, "Acme")
	org := map[string]string{"orgId": orgID}
	if got := a.Do(invitesapi.CreateInvite, &ada, org, nil, fmt.Sprintf(`{"email":%q,"role":"user"}`, a.Address("bob"))); got.Status != 201 {
		t.Fatalf("first: %d %s", got.Status, got.Body)
	}
	resp := a.Call(invitesapi.CreateInvite, a.Request(invitesapi.CreateInvite, &ada, org, nil, fmt.Sprintf(`{"email":%q,"role":"user"}`, a.Address("cy"))))
	if resp.StatusCode != 429 || !strings.Contains(resp.Body, `"code":"rate_limited"`) || resp.Headers["Retry-After"] == "" {
		t.Fatalf("past the budget: %d %v %s", resp.StatusCode, resp.Headers, resp.Body)
	}
	// harnessNow is 10:00 UTC: the budget starts again at midnight, 14 hours on.
	if got := resp.Headers["Retry-After"]; got != "50400" {
		t.Errorf("Retry-After %s, want 50400", got)
	}
	if got := a.Do(invitesapi.ListInvites, &ada, org, nil, ""); strings.Count(got.Body, `"status":"pending"`) != 1 {
		t.Errorf("the refused invite was written: %s", got.Body)
	}
}

func TestTheRequestLogNeverHoldsAnInviteLinksToken(t *testing.T) {
	a := apitest.NewAPI(t)
	rec := &mail.Recorder{}
	a.Env.UseMail(rec)
	ada := a.Caller("ada")
	orgID := a.Org(ada, "Acme")
	if got := a.Do(invitesapi.CreateInvite, &ada, map[string]string{"orgId": orgID}, nil, fmt.Sprintf(`{"email":%q,"role":"user"}`, a.Address("bob"))); got.Status != 201 {
		t.Fatal(got.Body)
	}
	a.Deliver()
	token := apitest.LinkToken.FindStringSubmatch(rec.Sent[0].Text)[1]
	for _, tok := range []string{token, token[:len(token)-2] + "xx"} {
		a.Logs.Take()
		a.Call(invitesapi.PreviewInvite, a.Request(invitesapi.PreviewInvite, nil, map[string]string{"token": tok}, nil, ""))
		lines := strings.Join(a.Logs.Take(), "\n")
		if secret := tok[len(tok)-20:]; strings.Contains(lines, secret) {
			t.Errorf("the request log holds the invite link's token:\n%s", lines)
		}
		if !strings.Contains(lines, `"path":"/v1/invites/[redacted]"`) {
			t.Errorf("the log line does not show the path with the token redacted:\n%s", lines)
		}
	}
}
