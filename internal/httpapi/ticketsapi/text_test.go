package ticketsapi_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/vendorportal/orgs/internal/apitest"
	"github.com/vendorportal/orgs/internal/httpapi/scimapi"
	"github.com/vendorportal/orgs/internal/httpapi/ticketsapi"
	"github.com/vendorportal/orgs/internal/roles"
)

// Issue 21, finding 14: ticket text and SCIM names go through the one text cleaner like every
// other free-text field: stored NFC, no control, bidi-override or zero-width characters (400),
// within their lengths.

// decomposed is "Café" spelled with a combining acute accent (e + U+0301): what a black-box
// test saw stored as sent; composed is the NFC spelling that must be stored.
const (
	decomposed = "Cafe\u0301"
	composed   = "Caf\u00e9"
)

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func TestTicketTextIsStoredNFC(t *testing.T) {
	a := apitest.NewAPI(t)
	ada, op := apitest.Person("ada"), apitest.Operator("olga")
	org := a.Org(ada, "Acme")
	r := a.Do(ticketsapi.CreateTicket, &ada, map[string]string{"orgId": org}, nil,
		`{"subject":`+jsonString(decomposed+" menu")+`,"body":`+jsonString("The "+decomposed+"\r\nline two")+`}`)
	if r.Status != 201 {
		t.Fatalf("create: %d %s", r.Status, r.Body)
	}
	id := r.JSON(t)["id"].(string)
	one := map[string]string{"orgId": org, "ticketId": id}
	if r := a.Do(ticketsapi.CommentTicket, &ada, one, nil, `{"body":`+jsonString(decomposed+" again")+`}`); r.Status != 201 {
		t.Fatalf("comment: %d %s", r.Status, r.Body)
	}
	if r := a.Do(ticketsapi.OperatorCommentTicket, &op, one, nil, `{"body":`+jsonString("Re: "+decomposed)+`,"internal":false}`); r.Status != 201 {
		t.Fatalf("operator comment: %d %s", r.Status, r.Body)
	}
	var got struct {
		Subject, Body string
		Comments      []struct{ Body string }
	}
	if err := json.Unmarshal([]byte(a.Do(ticketsapi.GetTicket, &ada, one, nil, "").Body), &got); err != nil {
		t.Fatal(err)
	}
	texts := []string{got.Subject, got.Body}
	for _, c := range got.Comments {
		texts = append(texts, c.Body)
	}
	if len(texts) != 4 {
		t.Fatalf("subject, body and two comments, got %q", texts)
	}
	for _, s := range texts {
		if strings.Contains(s, decomposed) || !strings.Contains(s, composed) {
			t.Errorf("stored %q: want Café composed (NFC)", s)
		}
	}
	if got.Body != "The "+composed+"\nline two" {
		t.Errorf("body %q: a CRLF is stored as LF", got.Body)
	}
	for name, body := range map[string]string{
		"zero-width space in the body": "a\u200bb",
		"word joiner in the body":      "a\u2060b",
		"BOM in the body":              "a\ufeffb",
		"isolate in the body":          "a\u2066b",
		"control in the body":          "a\u0007b",
	} {
		if r := a.Do(ticketsapi.CommentTicket, &ada, one, nil, `{"body":`+jsonString(body)+`}`); r.Status != 400 {
			t.Errorf("%s: %d %s, want 400", name, r.Status, r.Body)
		}
	}
	if r := a.Do(ticketsapi.CreateTicket, &ada, map[string]string{"orgId": org}, nil, `{"subject":`+jsonString("a\u200db")+`,"body":"b"}`); r.Status != 400 {
		t.Errorf("zero-width joiner in the subject: %d %s, want 400", r.Status, r.Body)
	}
}

func TestSCIMNamesGoThroughTheTextCleaner(t *testing.T) {
	a, _ := apitest.ProvisioningAPI(t)
	ada, bob := apitest.Person("ada"), apitest.Person("bob")
	org := a.Org(ada, "Acme")
	a.Member(org, bob, roles.User)
	tok := a.SCIMToken(ada, org)
	bobID := map[string]string{"id": bob.ID}
	patch := func(value string) apitest.Reply {
		return a.SCIM(scimapi.SCIMPatchUser, tok, bobID, nil,
			`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":`+value+`}]}`)
	}
	for name, value := range map[string]string{
		"bidi override in givenName":    `{"name.givenName":"Bob\u202eevil"}`,
		"isolate in familyName":         `{"name.familyName":"B\u2067x"}`,
		"zero-width space in display":   `{"displayName":"Bo\u200bb"}`,
		"zero-width joiner in given":    `{"name.givenName":"Bo\u200db"}`,
		"BOM in familyName":             `{"name.familyName":"\ufeffB"}`,
		"control in givenName":          `{"name.givenName":"Bo\u0000b"}`,
		"givenName of 201 characters":   `{"name.givenName":"` + strings.Repeat("b", 201) + `"}`,
		"displayName of 201 characters": `{"displayName":"` + strings.Repeat("d", 201) + `"}`,
	} {
		if r := patch(value); r.Status != 400 || !strings.Contains(r.Body, "invalidValue") {
			t.Errorf("%s: %d %s, want 400 invalidValue", name, r.Status, r.Body)
		}
	}
	if m := a.MemberOf(org, bob); strings.ContainsAny(m.Name, "\u202e\u2067\u200b\u200d\ufeff") {
		t.Errorf("a refused name was stored: %q", m.Name)
	}
	// 200 characters are a name; a decomposed one is stored composed.
	if r := patch(`{"name.givenName":"` + strings.Repeat("g", 200) + `"}`); r.Status != 200 {
		t.Errorf("givenName of 200 characters: %d %s", r.Status, r.Body)
	}
	if r := patch(`{"name.givenName":` + jsonString(decomposed) + `,"name.familyName":"Owner"}`); r.Status != 200 {
		t.Fatalf("a decomposed givenName: %d %s", r.Status, r.Body)
	}
	if m := a.MemberOf(org, bob); m.GivenName != composed || m.Name != composed+" Owner" {
		t.Errorf("given name %q, name %q: want NFC %q", m.GivenName, m.Name, composed+" Owner")
	}

	// A replace (PUT) and a create take the same cleaner.
	put := `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"` + bob.Email + `","name":{"givenName":"B\u202eob","familyName":"B"},"active":true}`
	if r := a.SCIM(scimapi.SCIMReplaceUser, tok, bobID, nil, put); r.Status != 400 {
		t.Errorf("replace with a bidi override: %d %s, want 400", r.Status, r.Body)
	}
	create := `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"carol@example.com","name":{"givenName":"Ca\u200brol","familyName":"C"}}`
	if r := a.SCIM(scimapi.SCIMCreateUser, tok, nil, nil, create); r.Status != 400 {
		t.Errorf("create with a zero-width space: %d %s, want 400", r.Status, r.Body)
	}
}
