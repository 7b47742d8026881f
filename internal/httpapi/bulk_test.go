package httpapi

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/vendorportal/orgs/internal/mail"
)

func TestBulkInvitesHonourIdempotencyKey(t *testing.T) {
	a := newAPI(t)
	// The key's record lives a day from its request: on the real clock, so that the
	// authorization step finds it as it would.
	a.env.Now = func() time.Time { return time.Now().UTC() }
	rec := &mail.Recorder{}
	a.env.UseMail(rec)
	ada := a.caller("ada")
	orgID := a.org(ada, "Acme")
	org := map[string]string{"orgId": orgID}
	body := fmt.Sprintf(`{"invites":[{"email":"taken.%s@example.com","role":"owner"},{"email":%q,"role":"user"},{"email":%q,"role":"user"}]}`,
		a.run, a.address("bob"), a.address("cy"))
	send := func(key, body string) (int, string, int) {
		ev := a.request(CreateInvitesBulk, &ada, org, nil, body)
		ev.Headers["idempotency-key"] = key
		resp, calls := a.invoke(CreateInvitesBulk, ev)
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
	if got := a.do(ListInvites, &ada, org, nil, ""); strings.Count(got.body, `"status":"pending"`) != 2 {
		t.Errorf("invites after the replay: %s", got.body)
	}
	a.deliver()
	if len(rec.Sent) != 2 {
		t.Errorf("%d emails after a request and its replay, want 2", len(rec.Sent))
	}
	if status, _, _ := send("bulk-1", strings.Replace(body, "cy", "dee", 1)); status != 409 {
		t.Errorf("the same key with another body: %d, want 409", status)
	}
	// Without the key, the same request is a new one: the addresses are taken now.
	if got := a.do(CreateInvitesBulk, &ada, org, nil, body); strings.Count(got.body, `"status":"created"`) != 0 {
		t.Errorf("without the key: %s", got.body)
	}
}

func TestPreviewingAnInviteLinkIsOneDynamoDBCall(t *testing.T) {
	a := newAPI(t)
	rec := &mail.Recorder{}
	a.env.UseMail(rec)
	ada := a.caller("ada")
	orgID := a.org(ada, "Acme")
	if got := a.do(CreateInvite, &ada, map[string]string{"orgId": orgID}, nil, fmt.Sprintf(`{"email":%q,"role":"user"}`, a.address("bob"))); got.status != 201 {
		t.Fatal(got.body)
	}
	a.deliver()
	token := linkToken.FindStringSubmatch(rec.Sent[0].Text)[1]
	got := a.do(PreviewInvite, nil, map[string]string{"token": token}, nil, "")
	if got.status != 200 || !strings.Contains(got.body, `"orgName":"Acme"`) {
		t.Fatalf("preview: %d %s", got.status, got.body)
	}
	if got.calls != 1 {
		t.Errorf("preview made %d DynamoDB calls; a public read's budget is 1", got.calls)
	}
	// A token naming another invite, or of the right shape with a wrong secret, is unknown.
	for _, bad := range []string{token[:len(token)-2] + "xx", strings.Repeat("a", 3000), orgID + "_" + orgID + "_" + token[len(token)-43:]} {
		if got := a.do(PreviewInvite, nil, map[string]string{"token": bad}, nil, ""); got.status != 404 {
			t.Errorf("token %.40q…: %d %s", bad, got.status, got.body)
		}
	}
}

func TestTheDailyEmailBudgetAnswers429WithRetryAfter(t *testing.T) {
	a := newAPI(t)
	a.env.Config.DailyEmailLimit = 1
	ada := a.caller("ada")
	orgID := a.org(ada, "Acme")
	org := map[string]string{"orgId": orgID}
	if got := a.do(CreateInvite, &ada, org, nil, fmt.Sprintf(`{"email":%q,"role":"user"}`, a.address("bob"))); got.status != 201 {
		t.Fatalf("first: %d %s", got.status, got.body)
	}
	resp := a.call(CreateInvite, a.request(CreateInvite, &ada, org, nil, fmt.Sprintf(`{"email":%q,"role":"user"}`, a.address("cy"))))
	if resp.StatusCode != 429 || !strings.Contains(resp.Body, `"code":"rate_limited"`) || resp.Headers["Retry-After"] == "" {
		t.Fatalf("past the budget: %d %v %s", resp.StatusCode, resp.Headers, resp.Body)
	}
	// harnessNow is 10:00 UTC: the budget starts again at midnight, 14 hours on.
	if got := resp.Headers["Retry-After"]; got != "50400" {
		t.Errorf("Retry-After %s, want 50400", got)
	}
	if got := a.do(ListInvites, &ada, org, nil, ""); strings.Count(got.body, `"status":"pending"`) != 1 {
		t.Errorf("the refused invite was written: %s", got.body)
	}
}

func TestTheRequestLogNeverHoldsAnInviteLinksToken(t *testing.T) {
	a := newAPI(t)
	rec := &mail.Recorder{}
	a.env.UseMail(rec)
	ada := a.caller("ada")
	orgID := a.org(ada, "Acme")
	if got := a.do(CreateInvite, &ada, map[string]string{"orgId": orgID}, nil, fmt.Sprintf(`{"email":%q,"role":"user"}`, a.address("bob"))); got.status != 201 {
		t.Fatal(got.body)
	}
	a.deliver()
	token := linkToken.FindStringSubmatch(rec.Sent[0].Text)[1]
	for _, tok := range []string{token, token[:len(token)-2] + "xx"} {
		a.logs.take()
		a.call(PreviewInvite, a.request(PreviewInvite, nil, map[string]string{"token": tok}, nil, ""))
		lines := strings.Join(a.logs.take(), "\n")
		if secret := tok[len(tok)-20:]; strings.Contains(lines, secret) {
			t.Errorf("the request log holds the invite link's token:\n%s", lines)
		}
		if !strings.Contains(lines, `"path":"/v1/invites/[redacted]"`) {
			t.Errorf("the log line does not show the path with the token redacted:\n%s", lines)
		}
	}
}
