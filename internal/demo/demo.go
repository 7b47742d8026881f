// Package demo fills a running local API (`make run`) with data a frontend developer can sign
// in to: an operator, an org admin and a member of every other built-in role in one shared
// org, a custom role, a few pending invites, licenses, a trial, support tickets and so an event
// log. It talks to the API over HTTP exactly as a client would (and to the local stand-ins of
// Cognito and SES to make users and read their invite links), so it shows the API working, and
// running it twice changes nothing the second time.
package demo

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"

	"github.com/vendorportal/orgs/internal/localmode"
	"github.com/vendorportal/orgs/internal/standins"
)

// Password is every demo user's password.
const Password = "Demo-passw0rd!"

// OrgName is the demo org's name, and OrgHandle the handle it asks for. The handle may be
// taken already (the README's first example makes an org of that name), so the org is found
// again as the demo admin's shared org of that name, and made with a derived handle when the
// one it asks for is taken: see Org.Handle for the one it got.
const (
	OrgName   = "Acme Robotics"
	OrgHandle = "acme-robotics"
)

// Org is the demo org as Seed found or made it.
type Org struct {
	ID, Handle string
}

// User is one demo user.
type User struct {
	Email string
	Role  string // in the demo org; "operator" for the vendor's support person
	// PersonalToken is the member's personal tool token in the demo org, made when the org
	// is (shown once, as the API shows it once): "" for a role without products.access, the
	// operator, and on a later run that finds the org made.
	PersonalToken string
	token         string
}

// Users are the demo's users, in the order they are listed.
var Users = []User{
	{Email: "olga.operator@demo.example", Role: "operator"},
	{Email: "ada.admin@demo.example", Role: "admin"},
	{Email: "vic.viewer@demo.example", Role: "viewer_admin"},
	{Email: "bill.billing@demo.example", Role: "billing_admin"},
	{Email: "uma.user@demo.example", Role: "user"},
	{Email: "sam.support@demo.example", Role: "support_only"},
}

// Options say where the API and the SES stand-in are.
type Options struct {
	API string // e.g. http://127.0.0.1:8080
	SES string // e.g. http://127.0.0.1:8005
	Log io.Writer
}

type seeder struct {
	o       Options
	cognito *cognitoidentityprovider.Client
	pool    standins.Pool
	users   map[string]*User
}

// Seed creates what is missing of the demo and returns the users and the org.
func Seed(ctx context.Context, o Options) ([]User, Org, error) {
	cfg, err := localmode.FetchSignInConfig(ctx, o.API)
	if err != nil {
		return nil, Org{}, err
	}
	s := &seeder{o: o, cognito: standins.CognitoClient(cfg.CognitoEndpoint),
		pool: standins.Pool{ID: cfg.UserPoolID, ClientID: cfg.UserPoolClientID}, users: map[string]*User{}}
	out := slices.Clone(Users)
	for i := range out {
		if err := s.signIn(ctx, &out[i]); err != nil {
			return nil, Org{}, err
		}
		s.users[out[i].Role] = &out[i]
	}
	org, err := s.seed(ctx)
	if err != nil {
		return nil, Org{}, err
	}
	return out, org, nil
}

func (s *seeder) logf(format string, args ...any) {
	if s.o.Log != nil {
		fmt.Fprintf(s.o.Log, format+"\n", args...)
	}
}

// signIn signs the user in, creating them in the pool first when they are new.
func (s *seeder) signIn(ctx context.Context, u *User) error {
	tokens, err := standins.SignIn(ctx, s.cognito, s.pool, u.Email, Password)
	if err != nil {
		if _, err := standins.CreateUser(ctx, s.cognito, s.pool, u.Email, Password, nil); err != nil {
			return err
		}
		if u.Role == "operator" {
			if err := standins.AddToGroup(ctx, s.cognito, s.pool, u.Email, standins.OperatorsGroup); err != nil {
				return err
			}
		}
		if tokens, err = standins.SignIn(ctx, s.cognito, s.pool, u.Email, Password); err != nil {
			return err
		}
		s.logf("user %s created", u.Email)
	}
	u.token = tokens.IDToken
	return nil
}

// findOrg returns the demo org: the demo admin's shared org called OrgName (the demo admin is
// the demo's own user, so no one else's org can be in that list), or a zero Org.
func (s *seeder) findOrg(ctx context.Context) (Org, error) {
	var orgs struct {
		Items []struct {
			ID     string `json:"id"`
			Handle string `json:"handle"`
			Kind   string `json:"kind"`
			Name   string `json:"name"`
		} `json:"items"`
	}
	if err := s.call(ctx, s.users["admin"], "GET", "/v1/orgs?limit=200", nil, 200, &orgs); err != nil {
		return Org{}, err
	}
	for _, o := range orgs.Items {
		if o.Kind == "shared" && o.Name == OrgName {
			return Org{ID: o.ID, Handle: o.Handle}, nil
		}
	}
	return Org{}, nil
}

// createOrg makes the demo org with the handle OrgHandle or, when someone else's org has it,
// with the handle the API derives from the name.
func (s *seeder) createOrg(ctx context.Context) (Org, error) {
	admin := s.users["admin"]
	body := map[string]any{
		"name": OrgName, "handle": OrgHandle, "companyName": "Acme Robotics Ltd",
		"contactName": "Ada Admin", "contactEmail": admin.Email,
	}
	var org Org
	err := s.call(ctx, admin, "POST", "/v1/orgs", body, 201, &org)
	var status *statusError
	if errors.As(err, &status) && status.got == http.StatusConflict {
		s.logf("the handle %s is taken by another org: the demo org gets one derived from its name", OrgHandle)
		delete(body, "handle")
		err = s.call(ctx, admin, "POST", "/v1/orgs", body, 201, &org)
	}
	return org, err
}

func (s *seeder) seed(ctx context.Context) (Org, error) {
	admin, op := s.users["admin"], s.users["operator"]
	if org, err := s.findOrg(ctx); err != nil || org.ID != "" {
		if org.ID != "" {
			s.logf("the demo org exists already (%s, handle %s): nothing to add", org.ID, org.Handle)
		}
		return org, err
	}
	org, err := s.createOrg(ctx)
	if err != nil {
		return Org{}, err
	}
	base := "/v1/orgs/" + org.ID
	s.logf("org %s (%s, handle %s)", OrgName, org.ID, org.Handle)
	return org, s.fill(ctx, base, org, admin, op)
}

// fill adds the demo's members, invites, role, licenses, trial and tickets to a new demo org.
func (s *seeder) fill(ctx context.Context, base string, org Org, admin, op *User) error {

	// Everyone else joins through an invite, as a real member would.
	for _, role := range []string{"viewer_admin", "billing_admin", "user", "support_only"} {
		if err := s.join(ctx, base, admin, s.users[role], role); err != nil {
			return err
		}
	}
	for _, email := range []string{"pending.one@demo.example", "pending.two@demo.example"} {
		if err := s.call(ctx, admin, "POST", base+"/invites", map[string]any{"email": email, "role": "user"}, 201, nil); err != nil {
			return err
		}
	}
	if err := s.call(ctx, admin, "POST", base+"/roles", map[string]any{
		"name": "Release manager", "description": "Token and licenses, nothing else",
		"permissions": []string{"org.read", "token.view", "token.regenerate", "licenses.read"},
	}, 201, nil); err != nil {
		return err
	}

	// The vendor's side: a license with seats and one without; the admin starts a trial.
	var catalog struct {
		Items []struct {
			ID           string `json:"id"`
			Availability string `json:"availability"`
			Trial        *struct {
				Days int `json:"days"`
			} `json:"trial"`
			AgreementVersion *string `json:"agreementVersion"`
		} `json:"items"`
	}
	if err := s.call(ctx, nil, "GET", "/v1/catalog/products", nil, 200, &catalog); err != nil {
		return err
	}
	var commercial []string
	trial, trialAgreement := "", "2026-01"
	for _, p := range catalog.Items {
		if p.Availability != "commercial" {
			continue
		}
		if p.Trial != nil && trial == "" {
			trial = p.ID
			if p.AgreementVersion != nil {
				trialAgreement = *p.AgreementVersion
			}
			continue
		}
		commercial = append(commercial, p.ID)
	}
	now := time.Now().UTC()
	for i, product := range commercial {
		if i == 2 {
			break
		}
		grant := map[string]any{"productId": product, "type": "enterprise", "startsAt": now.Format(time.RFC3339),
			"endsAt": now.AddDate(1, 0, 0).Format(time.RFC3339), "nodeLimit": 50, "seatLimit": 3}
		if i == 1 {
			grant["type"], grant["seatLimit"], grant["endsAt"] = "developer", nil, now.AddDate(0, 0, 10).Format(time.RFC3339)
		}
		var lic struct {
			ID string `json:"id"`
		}
		if err := s.call(ctx, op, "POST", "/v1/operator/orgs/"+org.ID+"/licenses", grant, 201, &lic); err != nil {
			return err
		}
		if i == 0 {
			for _, role := range []string{"admin", "user"} {
				id, err := s.userID(ctx, s.users[role])
				if err != nil {
					return err
				}
				if err := s.call(ctx, admin, "PUT", base+"/licenses/"+lic.ID+"/seats/"+id, nil, 200, nil); err != nil {
					return err
				}
			}
		}
	}
	if trial != "" {
		if err := s.call(ctx, admin, "POST", base+"/trials", map[string]any{"productId": trial, "agreementVersion": trialAgreement}, 201, nil); err != nil {
			return err
		}
	}

	// Support: two tickets, one answered by the operator.
	var tk struct {
		ID string `json:"id"`
	}
	if err := s.call(ctx, s.users["support_only"], "POST", base+"/tickets", map[string]any{
		"subject": "The installer rejects our licence key", "body": "Step 2 of the installer says: error 17, key not valid.",
	}, 201, &tk); err != nil {
		return err
	}
	if err := s.call(ctx, op, "POST", "/v1/operator/orgs/"+org.ID+"/tickets/"+tk.ID+"/comments", map[string]any{
		"body": "Version 2 of the installer fixes this: please download it from the portal and try again.",
	}, 201, nil); err != nil {
		return err
	}
	if err := s.call(ctx, s.users["user"], "POST", base+"/tickets", map[string]any{
		"subject": "How many nodes may we run?", "body": "We plan a cluster of 40 nodes.",
	}, 201, nil); err != nil {
		return err
	}
	// Each member who may download gets a personal tool token, as a tool of theirs would use.
	for _, u := range s.users {
		if u.Role == "operator" || u.Role == "support_only" {
			continue
		}
		var made struct {
			Token string `json:"token"`
		}
		if err := s.call(ctx, u, "POST", base+"/me/tokens", map[string]any{"name": "demo", "expiresInDays": 30}, 201, &made); err != nil {
			return err
		}
		u.PersonalToken = made.Token
	}
	s.logf("members, invites, a custom role, licenses, a trial, tickets and personal tool tokens added")
	return nil
}

var acceptLink = regexp.MustCompile(`/invites/accept\?token=([A-Za-z0-9_-]+)`)

// join invites u as role and accepts with the link from the invite's email: the first mail to
// u after the invite, since the SES stand-in may hold older invites to the same address (an
// earlier demo on another table, or a test's).
func (s *seeder) join(ctx context.Context, base string, admin, u *User, role string) error {
	before, err := s.mailsTo(ctx, u.Email)
	if err != nil {
		return err
	}
	if err := s.call(ctx, admin, "POST", base+"/invites", map[string]any{"email": u.Email, "role": role}, 201, nil); err != nil {
		return err
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		mails, err := s.mailsTo(ctx, u.Email)
		if err != nil {
			return err
		}
		for _, m := range mails[len(before):] {
			if found := acceptLink.FindStringSubmatch(m.Text); found != nil {
				return s.call(ctx, u, "POST", "/v1/invites/accept", map[string]any{"token": found[1]}, 200, nil)
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("no invite email for %s reached the SES stand-in at %s", u.Email, s.o.SES)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// mailsTo returns the mail the SES stand-in holds for address, oldest first.
func (s *seeder) mailsTo(ctx context.Context, address string) ([]standins.Mail, error) {
	all, err := standins.SESMessages(ctx, s.o.SES)
	if err != nil {
		return nil, err
	}
	var to []standins.Mail
	for _, m := range all {
		if slices.Contains(m.To, address) {
			to = append(to, m)
		}
	}
	return to, nil
}

// userID returns u's user id, from GET /v1/me.
func (s *seeder) userID(ctx context.Context, u *User) (string, error) {
	var me struct {
		User struct {
			ID string `json:"id"`
		} `json:"user"`
	}
	err := s.call(ctx, u, "GET", "/v1/me", nil, 200, &me)
	return me.User.ID, err
}

// call makes one API request as u (nil: no token) and decodes a JSON answer into out.
func (s *seeder) call(ctx context.Context, u *User, method, path string, body any, want int, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimRight(s.o.API, "/")+path, rd)
	if err != nil {
		return err
	}
	if u != nil {
		req.Header.Set("Authorization", "Bearer "+u.token)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		return &statusError{method: method, path: path, got: resp.StatusCode, want: want, body: b}
	}
	if out != nil {
		return json.Unmarshal(b, out)
	}
	return nil
}

// statusError is an answer with another status than the call wanted.
type statusError struct {
	method, path string
	got, want    int
	body         []byte
}

func (e *statusError) Error() string {
	return fmt.Sprintf("%s %s: %d %s (want %d)", e.method, e.path, e.got, e.body, e.want)
}
