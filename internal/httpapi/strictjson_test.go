package httpapi

import (
	"testing"

	"github.com/vendorportal/orgs/internal/apperr"
)

// contactJSON is the shape of a billing contact in an org's settings (orgsapi), a list of
// objects inside an optional field.
type contactJSON struct {
	Name  string `json:"name"`
	Email string `json:"email"`
}

// encoding/json matches keys case-insensitively and lets the last duplicate win, so
// {"role":"user","ROLE":"admin"} would decode as admin. The contract: keys match exactly, and
// a key twice in one object is refused, at any depth.
func TestDecodeMatchesKeysExactlyAndRefusesDuplicatesAtAnyDepth(t *testing.T) {
	type in struct {
		Email           string                  `json:"email"`
		Role            string                  `json:"role"`
		BillingContacts Optional[[]contactJSON] `json:"billingContacts"`
		Name            Optional[string]        `json:"name"`
		Labels          map[string]string       `json:"labels"`
		Skipped         string                  `json:"-"`
		Untagged        string
	}
	for body, wantOK := range map[string]bool{
		`{"email":"a@x.io","role":"user"}`:                                      true,
		`{"role":"user","ROLE":"admin"}`:                                        false,
		`{"Role":"admin"}`:                                                      false,
		`{"role":"user","role":"admin"}`:                                        false,
		`{"billingContacts":[{"name":"a","email":"a@x.io"}]}`:                   true,
		`{"billingContacts":[{"name":"a","EMAIL":"a@x.io"}]}`:                   false,
		`{"billingContacts":[{"name":"a","name":"b","email":"a@x.io"}]}`:        false,
		`{"billingContacts":[{"name":"a","email":"a@x.io","extra":1}]}`:         false,
		`{"billingContacts":null,"name":null}`:                                  true,
		`{"name":"x","NAME":"y"}`:                                               false,
		`{"labels":{"a":"1","A":"2"}}`:                                          true,
		`{"labels":{"a":"1","a":"2"}}`:                                          false,
		`{"Untagged":"x"}`:                                                      true,
		`{"untagged":"x"}`:                                                      false,
		`{"-":"x"}`:                                                             false,
		`{"email":"a@x.io","role":"user","billingContacts":[],"labels":{}}`:     true,
		`{"email":"a@x.io","role":"user","billingContacts":[{}],"labels":null}`: true,
	} {
		var v in
		err := (&Request{body: []byte(body)}).Decode(&v)
		if (err == nil) != wantOK {
			t.Errorf("%s: Decode error %v, want ok=%v", body, err, wantOK)
		}
		if err != nil && apperr.KindOf(err) != apperr.Invalid {
			t.Errorf("%s: error kind %s, want invalid", body, apperr.KindOf(err))
		}
	}
}
