package apitest

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/vendorportal/orgs/internal/app"
	"github.com/vendorportal/orgs/internal/domains"
	"github.com/vendorportal/orgs/internal/orgs"
	"github.com/vendorportal/orgs/internal/outbox"
	"github.com/vendorportal/orgs/internal/provisioning"
	"github.com/vendorportal/orgs/internal/seal"
)

// FakeDirectory is an identity provider in memory that keeps the passwords it is given, so
// that tests can look for them where they must not be.
type FakeDirectory struct {
	Mu      sync.Mutex
	ByEmail map[string]*FakeUser
	ByID    map[string]*FakeUser
}

type FakeUser struct {
	ID, Email, Password string
	Verified, Temporary bool
	SignedIn            bool
	CreatedAt           time.Time
}

func NewFakeDirectory() *FakeDirectory {
	return &FakeDirectory{ByEmail: map[string]*FakeUser{}, ByID: map[string]*FakeUser{}}
}

func (d *FakeDirectory) CreateUser(_ context.Context, email string, verified bool, pw string) (provisioning.DirectoryUser, error) {
	d.Mu.Lock()
	defer d.Mu.Unlock()
	if u, ok := d.ByEmail[email]; ok {
		return provisioning.DirectoryUser{ID: u.ID, Existing: true, AwaitingFirstSignIn: !u.SignedIn, CreatedAt: u.CreatedAt, EmailVerified: u.Verified}, nil
	}
	u := &FakeUser{ID: "user-" + strings.ReplaceAll(email, "@", "-at-"), Email: email, Verified: verified, CreatedAt: HarnessNow, Password: pw, Temporary: true}
	d.ByEmail[email], d.ByID[u.ID] = u, u
	return provisioning.DirectoryUser{ID: u.ID}, nil
}

func (d *FakeDirectory) SetTemporaryPassword(_ context.Context, id, pw string) error {
	d.Mu.Lock()
	defer d.Mu.Unlock()
	u, ok := d.ByID[id]
	if !ok {
		return fmt.Errorf("no user %s", id)
	}
	u.Password, u.Temporary = pw, true
	return nil
}

func (d *FakeDirectory) SetEmail(context.Context, string, string) error { return nil }

func (d *FakeDirectory) DeleteUser(_ context.Context, id string) error {
	d.Mu.Lock()
	defer d.Mu.Unlock()
	if u, ok := d.ByID[id]; ok {
		delete(d.ByID, id)
		delete(d.ByEmail, u.Email)
	}
	return nil
}

func (d *FakeDirectory) LookupUser(_ context.Context, email string) (provisioning.DirectoryUser, bool, error) {
	d.Mu.Lock()
	defer d.Mu.Unlock()
	u, ok := d.ByEmail[email]
	if !ok {
		return provisioning.DirectoryUser{}, false, nil
	}
	return provisioning.DirectoryUser{ID: u.ID, Existing: true, AwaitingFirstSignIn: !u.SignedIn, CreatedAt: u.CreatedAt, EmailVerified: u.Verified}, true, nil
}

// SignedUp is a user who signed up and signed in on their own.
func (d *FakeDirectory) SignedUp(c orgs.Caller) {
	d.Mu.Lock()
	defer d.Mu.Unlock()
	u := &FakeUser{ID: c.ID, Email: c.Email, Verified: true, SignedIn: true, Password: "their own"}
	d.ByEmail[c.Email], d.ByID[c.ID] = u, u
}

func (d *FakeDirectory) User(email string) *FakeUser {
	d.Mu.Lock()
	defer d.Mu.Unlock()
	return d.ByEmail[email]
}

// ProvisioningAPI is an api whose routes create users in a fake directory.
func ProvisioningAPI(t *testing.T) (*API, *FakeDirectory) {
	a := NewAPI(t)
	dir := NewFakeDirectory()
	a.Env.UseDirectory(dir)
	return a, dir
}

// SealedMails opens the sealed emails the calls since the last reset wrote to the outbox.
func (a *API) SealedMails() []outbox.Email {
	a.T.Helper()
	k := seal.Derive(a.Env.Key(app.KeySealing), provisioning.SealPurpose)
	var out []outbox.Email
	for _, w := range a.Writes.All() {
		for _, it := range w.Items {
			if !strings.HasPrefix(it.PK, "OUTBOX#") || it.Put == nil {
				continue
			}
			var m struct {
				ID   string `dynamodbav:"id"`
				Kind string `dynamodbav:"kind"`
				Body []byte `dynamodbav:"body"`
			}
			if err := attributevalue.UnmarshalMap(it.Put, &m); err != nil {
				a.T.Fatal(err)
			}
			if m.Kind != string(provisioning.KindSealedEmail) {
				continue
			}
			e, err := provisioning.OpenEmail(k, outbox.Message{ID: m.ID, Kind: outbox.Kind(m.Kind), Body: m.Body})
			if err != nil {
				a.T.Fatal(err)
			}
			out = append(out, e)
		}
	}
	return out
}

// TableDump is every item of the test's table as text (a test-only Scan of a fresh table).
func (a *API) TableDump() string {
	a.T.Helper()
	var b strings.Builder
	p := dynamodb.NewScanPaginator(a.Env.DynamoDB(), &dynamodb.ScanInput{TableName: aws.String(a.Env.Config.TableName)})
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			a.T.Fatal(err)
		}
		for _, it := range page.Items {
			var m map[string]any
			if err := attributevalue.UnmarshalMap(it, &m); err != nil {
				a.T.Fatal(err)
			}
			j, _ := json.Marshal(m)
			b.Write(j)
			b.WriteString(fmt.Sprintf("%v\n", m))
		}
	}
	return b.String()
}

// VerifiedDomain gives the org a verified domain straight through the service (DNS).
func (a *API) VerifiedDomain(admin orgs.Caller, orgID, domain string) {
	a.T.Helper()
	ctx := context.Background()
	svc := a.Env.DomainVerification()
	access, err := a.Env.Orgs().Authorize(ctx, admin, orgID)
	if err != nil {
		a.T.Fatal(err)
	}
	d, err := svc.AddDomain(ctx, access, domain)
	if err != nil {
		a.T.Fatal(err)
	}
	s := *svc
	s.Resolver = Zone{domains.TXTLabel + "." + d.Name: {d.TXTValue}}
	access, _ = a.Env.Orgs().Authorize(ctx, admin, orgID)
	if _, err := s.Verify(ctx, access, domain, domains.VerifyInput{}); err != nil {
		a.T.Fatal(err)
	}
}

// Zone is a DNS zone of TXT records.
type Zone map[string][]string

func (z Zone) LookupTXT(_ context.Context, name string) ([]string, error) {
	if r, ok := z[name]; ok {
		return r, nil
	}
	return nil, fmt.Errorf("no such host %s", name)
}
