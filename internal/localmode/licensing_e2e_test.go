package localmode_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vendorportal/orgs/internal/testenv"
	"github.com/vendorportal/orgs/internal/triggers"
)

// invitedMember has admin invite email to the org as a user and accepts with a new account;
// it returns the member's token and user id.
func (l *local) invitedMember(admin, orgID, email string) (string, string) {
	l.t.Helper()
	l.do("POST", "/v1/orgs/"+orgID+"/invites", admin, `{"email":"`+email+`","role":"user"}`, 201, nil)
	mails := waitMails(l.t, l.ses, email, 1)
	if len(mails) == 0 {
		l.t.Fatalf("no invite email for %s", email)
	}
	link := acceptLink.FindStringSubmatch(mails[0].Text)
	if link == nil {
		l.t.Fatalf("no link in %q", mails[0].Text)
	}
	token := l.user(email)
	var m member
	l.do("POST", "/v1/invites/accept", token, `{"token":"`+link[2]+`"}`, 200, &m)
	return token, m.UserID
}

type licenseOut struct {
	ID        string `json:"id"`
	ProductID string `json:"productId"`
	Type      string `json:"type"`
	Status    string `json:"status"`
	SeatLimit *int   `json:"seatLimit"`
	SeatsUsed int    `json:"seatsUsed"`
}

func TestLicensingEndToEnd(t *testing.T) {
	l := startLocal(t)
	op := l.operator("op-" + testenv.UniqueAddress(t))
	adminEmail := testenv.UniqueAddress(t)
	admin := l.user(adminEmail)

	// A fresh local mode has a demo catalog, with trials.
	var catalog struct {
		Items []struct {
			ID    string `json:"id"`
			Trial *struct {
				Days int `json:"days"`
			} `json:"trial"`
			AgreementVersion *string `json:"agreementVersion"`
		} `json:"items"`
	}
	l.do("GET", "/v1/catalog/products", "", "", 200, &catalog)
	if len(catalog.Items) < 3 {
		t.Fatalf("demo catalog %+v", catalog.Items)
	}

	// The operator puts a product, finds the org by handle and grants it a license with seats.
	l.do("PUT", "/v1/operator/products/e2e-widget", admin, `{"name":"E2E Widget","availability":"commercial"}`, 403, nil)
	l.do("PUT", "/v1/operator/products/e2e-widget", op, `{"name":"E2E Widget","availability":"commercial","trial":null}`, 200, nil)
	var org struct {
		ID     string `json:"id"`
		Handle string `json:"handle"`
	}
	l.do("POST", "/v1/orgs", admin, `{"name":"Licensed Inc"}`, 201, &org)
	var found struct {
		Items []struct {
			ID string `json:"id"`
		} `json:"items"`
	}
	l.do("GET", "/v1/operator/orgs?handle="+org.Handle, op, "", 200, &found)
	if len(found.Items) != 1 || found.Items[0].ID != org.ID {
		t.Fatalf("find by handle: %+v", found)
	}
	var granted licenseOut
	l.do("POST", "/v1/operator/orgs/"+org.ID+"/licenses", op, `{"productId":"e2e-widget","type":"enterprise","seatLimit":1}`, 201, &granted)

	// The admin lists it.
	var list struct {
		Items []licenseOut `json:"items"`
	}
	l.do("GET", "/v1/orgs/"+org.ID+"/licenses", admin, "", 200, &list)
	if len(list.Items) != 1 || list.Items[0].ID != granted.ID || list.Items[0].Status != "active" {
		t.Fatalf("licenses %+v", list.Items)
	}

	// A trial from the catalog, with the product's agreement version.
	var trialProduct string
	var version string
	for _, p := range catalog.Items {
		if p.Trial != nil && p.AgreementVersion != nil {
			trialProduct, version = p.ID, *p.AgreementVersion
		}
	}
	var trial licenseOut
	l.do("POST", "/v1/orgs/"+org.ID+"/trials", admin, `{"productId":"`+trialProduct+`","agreementVersion":"`+version+`"}`, 201, &trial)
	if trial.Type != "trial" || trial.Status != "active" {
		t.Errorf("trial %+v", trial)
	}
	l.do("POST", "/v1/orgs/"+org.ID+"/trials", admin, `{"productId":"`+trialProduct+`","agreementVersion":"`+version+`"}`, 409, nil)

	// Seats fill up and free.
	_, bobID := l.invitedMember(admin, org.ID, "bob-"+testenv.UniqueAddress(t))
	var me struct {
		User struct {
			ID string `json:"id"`
		} `json:"user"`
	}
	l.do("GET", "/v1/me", admin, "", 200, &me)
	seats := "/v1/orgs/" + org.ID + "/licenses/" + granted.ID + "/seats/"
	l.do("PUT", seats+me.User.ID, admin, "", 200, nil)
	l.do("PUT", seats+bobID, admin, "", 409, nil)
	l.do("DELETE", seats+me.User.ID, admin, "", 204, nil)
	l.do("PUT", seats+bobID, admin, "", 200, nil)
	var seatList struct {
		Items []struct {
			UserID string `json:"userId"`
		} `json:"items"`
	}
	l.do("GET", "/v1/orgs/"+org.ID+"/licenses/"+granted.ID+"/seats", admin, "", 200, &seatList)
	if len(seatList.Items) != 1 || seatList.Items[0].UserID != bobID {
		t.Errorf("seats %+v", seatList.Items)
	}

	// A license ending in a few seconds is expired on the next read, and gets its event when
	// the job runs.
	ends := time.Now().UTC().Add(2 * time.Second).Format(time.RFC3339)
	var short licenseOut
	l.do("POST", "/v1/operator/orgs/"+org.ID+"/licenses", op, `{"productId":"e2e-widget","type":"developer","endsAt":"`+ends+`"}`, 201, &short)
	testenv.Await(t, 30*time.Second, "the license ending in 2 s listed as expired, before the job ran", func() (struct{}, bool) {
		l.do("GET", "/v1/orgs/"+org.ID+"/licenses?status=expired", admin, "", 200, &list)
		return struct{}{}, len(list.Items) == 1 && list.Items[0].ID == short.ID
	})
	// A license ending in 20 h: the job's first look sends the 1-day notice only, once.
	soon := time.Now().UTC().Add(20 * time.Hour).Format(time.RFC3339)
	l.do("POST", "/v1/operator/orgs/"+org.ID+"/licenses", op, `{"productId":"e2e-widget","type":"enterprise","endsAt":"`+soon+`"}`, 201, nil)
	for range 2 {
		if err := triggers.RunScheduled(context.Background(), l.api.Env, triggers.Tasks(l.api.Env)); err != nil {
			t.Fatal(err)
		}
	}
	got := l.actions(org.ID)
	for _, want := range []string{"license.granted", "license.trial_started", "license.seat_assigned", "license.seat_released", "license.expired"} {
		if !slices.Contains(got, want) {
			t.Errorf("events %v lack %s", got, want)
		}
	}
	expired := 0
	for _, a := range got {
		if a == "license.expired" {
			expired++
		}
	}
	if expired != 1 || strings.Count(strings.Join(got, " "), "license.granted") != 3 || strings.Count(strings.Join(got, " "), "license.expiry_notice") != 1 {
		t.Errorf("events %v: want one license.expired, three grants, one expiry notice", got)
	}
}
