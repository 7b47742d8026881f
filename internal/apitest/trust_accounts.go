package apitest

import (
	"regexp"
	"strings"

	"github.com/vendorportal/orgs/internal/httpapi/provisioningapi"
	"github.com/vendorportal/orgs/internal/orgs"
)

var eightDigits = regexp.MustCompile(`\b\d{8}\b`)

// VerifyByCode verifies domain for the org with a code mailed to mailbox, as an attacker who
// holds that one mailbox can.
func (a *API) VerifyByCode(admin orgs.Caller, orgID, domain, mailbox string) {
	a.T.Helper()
	if r := a.Do(provisioningapi.AddDomain, &admin, map[string]string{"orgId": orgID}, nil, `{"domain":"`+domain+`"}`); r.Status != 201 {
		a.T.Fatalf("add %s: %d %s", domain, r.Status, r.Body)
	}
	dp := map[string]string{"orgId": orgID, "domain": domain}
	a.Writes.Reset()
	if r := a.Do(provisioningapi.VerifyDomain, &admin, dp, nil, `{"email":"`+mailbox+`"}`); r.Status != 202 {
		a.T.Fatalf("send code: %d %s", r.Status, r.Body)
	}
	code := ""
	for _, m := range a.SealedMails() {
		if m.Message.To == mailbox {
			code = eightDigits.FindString(m.Message.Text)
		}
	}
	r := a.Do(provisioningapi.VerifyDomain, &admin, dp, nil, `{"code":"`+code+`"}`)
	if r.Status != 200 || !strings.Contains(r.Body, `"verifiedBy":"email"`) {
		a.T.Fatalf("verify by code: %d %s", r.Status, r.Body)
	}
}
