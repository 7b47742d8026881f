package tokens

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/vendorportal/orgs/internal/apperr"
	"github.com/vendorportal/orgs/internal/audit"
	"github.com/vendorportal/orgs/internal/orgs"
	"github.com/vendorportal/orgs/internal/ratelimit"
	"github.com/vendorportal/orgs/internal/roles"
)

// The CLI's sign-in: the OAuth 2.0 device authorization grant (RFC 8628). A tool asks for a
// device code for an org (StartDevice), shows the user code, and polls (PollDevice) while the
// user, signed in to the portal, approves or declines it (ApproveDevice, DenyDevice). The
// approval makes a personal token for the approving member, named after the tool; the poll
// that follows hands its text out exactly once, made again from its ids under the server's
// key, so that the device's item never holds a secret.
//
// A device code carries 256 random bits and the table keeps only its SHA-256; a user code is
// 8 letters of DeviceAlphabet (about 34.6 bits), single-use, dead after DeviceLife. Wrong user
// codes count toward the caller's DeviceCodeFailures, device codes toward DeviceCodes per org
// handle and client address.
const (
	// DeviceLife is how long a device code and its user code live.
	DeviceLife = 10 * time.Minute
	// DeviceInterval is the least time between two polls of one device code.
	DeviceInterval = 5 * time.Second
	// DeviceAlphabet has no vowels (no words) and no letters that read like digits.
	DeviceAlphabet = "BCDFGHJKLMNPQRSTVWXZ"
	userCodeLen    = 8
	maxClientName  = 100
)

// The device flow's rate limits.
var (
	DeviceCodes        = ratelimit.Rule{Name: "device-codes", Max: 10, Window: time.Minute, What: "device codes a minute for this organization from this address"}
	DeviceCodeFailures = ratelimit.Rule{Name: "device-code-failures", Max: 10, Window: time.Minute, What: "wrong device codes a minute"}
)

// DeviceStatus is where a device grant stands.
type DeviceStatus string

// The device grant's states: pending until the user decides; approved (the token exists)
// until the poll hands it out (issued); or denied.
const (
	DevicePending  DeviceStatus = "pending"
	DeviceApproved DeviceStatus = "approved"
	DeviceDenied   DeviceStatus = "denied"
	DeviceIssued   DeviceStatus = "issued"
)

// DeviceGrant is one device code and what became of it.
type DeviceGrant struct {
	// Hash is the SHA-256 of the device code, in hex: the grant's key.
	Hash string
	// UserCode is the user code's 8 letters, without the dash.
	UserCode  string
	OrgID     string
	OrgHandle string
	ClientID  string
	CreatedAt time.Time
	ExpiresAt time.Time
	Status    DeviceStatus
	// LastPolledAt is the last poll's time; zero before the first.
	LastPolledAt time.Time
	// Approver and TokenID are the approving member and the token the approval made.
	Approver orgs.Person
	TokenID  string
	// TokenExpiresAt is when the approval's token expires.
	TokenExpiresAt time.Time
}

// DeviceStore is what the device flow needs of the table.
type DeviceStore interface {
	// DeviceOrg reads, in one round trip, the id of the org with the handle ("" when none)
	// and the count of limit's window.
	DeviceOrg(ctx context.Context, handle string, limit ratelimit.Use) (orgID string, used int, err error)
	// PutDevice writes a new grant and its user code with the use of the limit, in one
	// transaction; ErrUserCodeTaken when a live grant has the same user code.
	PutDevice(ctx context.Context, g DeviceGrant, limit ratelimit.Use) error
	// Device reads the grant of the hash; nil when there is none.
	Device(ctx context.Context, hash string) (*DeviceGrant, error)
	// Polled records a poll at, on condition that the last poll is still prev (a concurrent
	// poll: ErrPolledMeanwhile).
	Polled(ctx context.Context, hash string, prev, at time.Time) error
	// Issue marks an approved grant issued, on condition that it is still approved
	// (ErrDeviceIssued otherwise: another poll had it).
	Issue(ctx context.Context, hash string) error
	// UserCode reads, in one round trip, the live pending grant of a user code (nil when
	// none, used or expired at now) and the count of failures' window.
	UserCode(ctx context.Context, code string, now time.Time, failures ratelimit.Use) (*DeviceGrant, int, error)
	// Org reads the org (an org whose ID is "" when there is none).
	Org(ctx context.Context, orgID string) (orgs.Org, error)
	// CountFailure adds a use of failures (its Exceeded error when past the limit).
	CountFailure(ctx context.Context, failures ratelimit.Use) error
	// Approve makes the token (as CreatePersonal does) and marks the grant approved with it,
	// deleting its user code, with the event; on condition that the grant is still pending.
	Approve(ctx context.Context, g DeviceGrant, tok PersonalToken, live []PersonalToken, version int, actor orgs.Acting, ev audit.Event) error
	// Deny marks the grant denied and deletes its user code, with the event, on condition
	// that it is still pending.
	Deny(ctx context.Context, g DeviceGrant, actor orgs.Member, ev audit.Event) error
}

// Errors of the device store's conditions.
var (
	ErrUserCodeTaken   = apperr.New(apperr.Conflict, "the user code is taken")
	ErrPolledMeanwhile = apperr.New(apperr.Conflict, "polled meanwhile")
	ErrDeviceIssued    = apperr.New(apperr.Conflict, "the token was handed out already")
	// ErrDeviceDecided: the user code names no live pending grant.
	ErrDeviceDecided = apperr.New(apperr.NotFound, "device code not found, used or expired")
)

// DeviceError is an answer of the two RFC 8628 routes in the RFC's shape: error is one of
// its codes (authorization_pending, slow_down, access_denied, expired_token, invalid_request,
// invalid_grant, unsupported_grant_type).
type DeviceError struct {
	Code        string
	Description string
}

func (e *DeviceError) Error() string { return e.Code + ": " + e.Description }

func deviceErr(code, desc string) error { return &DeviceError{Code: code, Description: desc} }

// Device runs the device flow.
type Device struct {
	Store    DeviceStore
	Personal *Personal
	// Keys are the personal tokens' keys: only the poll, which hands a token's text out, needs
	// them.
	Keys  Keys
	Orgs  *orgs.Service
	Now   func() time.Time
	NewID func() string
}

// DeviceStart is a device code just made, as the tool is told it.
type DeviceStart struct {
	DeviceCode string
	UserCode   string
	ExpiresIn  time.Duration
	Interval   time.Duration
}

// FormatUserCode writes a user code as people read it: XXXX-XXXX.
func FormatUserCode(code string) string { return code[:4] + "-" + code[4:] }

// NormalizeUserCode reads a user code as typed: any case, with or without the dash or spaces.
// It reports false when the text can't be a user code.
func NormalizeUserCode(s string) (string, bool) {
	s = strings.ToUpper(strings.NewReplacer("-", "", " ", "").Replace(s))
	if len(s) != userCodeLen || strings.ContainsFunc(s, func(r rune) bool { return !strings.ContainsRune(DeviceAlphabet, r) }) {
		return "", false
	}
	return s, true
}

// Start makes a device code for the org with the handle, for the tool clientID, asked from
// address ip.
func (d *Device) Start(ctx context.Context, clientID, handle, ip string) (DeviceStart, error) {
	name, err := orgs.CleanText("client_id", clientID, maxClientName, true)
	if err != nil {
		return DeviceStart{}, deviceErr("invalid_request", apperr.MessageOf(err))
	}
	handle = strings.ToLower(strings.TrimSpace(handle))
	if handle == "" || len(handle) > 39 {
		return DeviceStart{}, deviceErr("invalid_request", "org must be an organization's handle")
	}
	now := d.Now().UTC()
	limit := ratelimit.Use{Rule: DeviceCodes, Scope: handle + "#" + ip, N: 1, At: now}
	orgID, used, err := d.Store.DeviceOrg(ctx, handle, limit)
	if err != nil {
		return DeviceStart{}, err
	}
	if used >= DeviceCodes.Max {
		return DeviceStart{}, limit.Exceeded()
	}
	if orgID == "" {
		return DeviceStart{}, deviceErr("invalid_request", "there is no organization with that handle")
	}
	for range 3 {
		code, hash, err := newDeviceCode()
		if err != nil {
			return DeviceStart{}, err
		}
		user, err := newUserCode()
		if err != nil {
			return DeviceStart{}, err
		}
		g := DeviceGrant{Hash: hash, UserCode: user, OrgID: orgID, OrgHandle: handle, ClientID: name,
			CreatedAt: now, ExpiresAt: now.Add(DeviceLife), Status: DevicePending}
		err = d.Store.PutDevice(ctx, g, limit)
		if err == ErrUserCodeTaken {
			continue
		}
		if err != nil {
			return DeviceStart{}, err
		}
		return DeviceStart{DeviceCode: code, UserCode: user, ExpiresIn: DeviceLife, Interval: DeviceInterval}, nil
	}
	return DeviceStart{}, apperr.New(apperr.Unavailable, "no free user code; try again")
}

// Issued is what a successful poll hands out.
type Issued struct {
	Token     string
	ExpiresAt time.Time
	OrgID     string
	Email     string
}

// Poll is the tool's poll with its device code (RFC 8628 §3.4–3.5).
func (d *Device) Poll(ctx context.Context, grantType, deviceCode, clientID string) (Issued, error) {
	if grantType != "urn:ietf:params:oauth:grant-type:device_code" {
		return Issued{}, deviceErr("unsupported_grant_type", "grant_type must be urn:ietf:params:oauth:grant-type:device_code")
	}
	if deviceCode == "" || len(deviceCode) > 100 {
		return Issued{}, deviceErr("invalid_request", "device_code is required")
	}
	g, err := d.Store.Device(ctx, hashDeviceCode(deviceCode))
	if err != nil {
		return Issued{}, err
	}
	if g == nil || g.ClientID != clientID {
		return Issued{}, deviceErr("invalid_grant", "unknown device_code")
	}
	now := d.Now().UTC()
	if g.Status != DeviceIssued && g.Status != DeviceDenied && !now.Before(g.ExpiresAt) {
		// An approved code is collected within the code's life too, never after it.
		return Issued{}, deviceErr("expired_token", "the device code expired; start again")
	}
	switch g.Status {
	case DeviceIssued:
		return Issued{}, deviceErr("expired_token", "the token was handed out already; start again")
	case DeviceDenied:
		return Issued{}, deviceErr("access_denied", "the user declined")
	case DeviceApproved:
		if err := d.Store.Issue(ctx, g.Hash); err == ErrDeviceIssued {
			return Issued{}, deviceErr("expired_token", "the token was handed out already; start again")
		} else if err != nil {
			return Issued{}, err
		}
		text, err := d.Keys.FormatPersonal(g.OrgID, g.TokenID)
		if err != nil {
			return Issued{}, err
		}
		return Issued{Token: text, ExpiresAt: g.TokenExpiresAt, OrgID: g.OrgID, Email: g.Approver.Email}, nil
	}
	early := !g.LastPolledAt.IsZero() && now.Sub(g.LastPolledAt) < DeviceInterval
	if err := d.Store.Polled(ctx, g.Hash, g.LastPolledAt, now); err == ErrPolledMeanwhile {
		early = true
	} else if err != nil {
		return Issued{}, err
	}
	if early {
		return Issued{}, deviceErr("slow_down", fmt.Sprintf("poll at most every %d seconds", int(DeviceInterval.Seconds())))
	}
	return Issued{}, deviceErr("authorization_pending", "waiting for the user to approve")
}

// DeviceView is what the approval page shows.
type DeviceView struct {
	OrgName, OrgHandle, ClientName string
	CreatedAt, ExpiresAt           time.Time
}

// lookUp finds the live grant of a typed user code; a wrong one counts toward the caller's
// failures and answers 404.
func (d *Device) lookUp(ctx context.Context, c orgs.Caller, typed string) (DeviceGrant, error) {
	now := d.Now().UTC()
	failures := ratelimit.Use{Rule: DeviceCodeFailures, Scope: c.ID, N: 1, At: now}
	code, ok := NormalizeUserCode(typed)
	var g *DeviceGrant
	used := 0
	if ok {
		var err error
		if g, used, err = d.Store.UserCode(ctx, code, now, failures); err != nil {
			return DeviceGrant{}, err
		}
	}
	if used >= DeviceCodeFailures.Max {
		return DeviceGrant{}, failures.Exceeded()
	}
	if g == nil {
		if err := d.Store.CountFailure(ctx, failures); err != nil {
			return DeviceGrant{}, err
		}
		return DeviceGrant{}, ErrDeviceDecided
	}
	return *g, nil
}

// View is the approval page's look at a user code: two round trips, the code's and the org's.
func (d *Device) View(ctx context.Context, c orgs.Caller, typed string) (DeviceView, error) {
	g, err := d.lookUp(ctx, c, typed)
	if err != nil {
		return DeviceView{}, err
	}
	o, err := d.Store.Org(ctx, g.OrgID)
	if err != nil && !apperr.Is(err, apperr.NotFound) {
		return DeviceView{}, err
	}
	if o.ID == "" || o.Deleted() {
		return DeviceView{}, ErrDeviceDecided
	}
	return DeviceView{OrgName: o.Name, OrgHandle: o.Handle, ClientName: g.ClientID, CreatedAt: g.CreatedAt, ExpiresAt: g.ExpiresAt}, nil
}

// Decide approves (the token is made for the caller, a member of the grant's org with
// products.access) or declines a user code.
func (d *Device) Decide(ctx context.Context, c orgs.Caller, typed string, approve bool) error {
	g, err := d.lookUp(ctx, c, typed)
	if err != nil {
		return err
	}
	a, err := d.Orgs.AuthorizeFor(ctx, c, g.OrgID, orgs.Subject{Reads: []orgs.Read{MineRead{OwnerID: c.ID}}}, roles.ProductsAccess)
	if err != nil {
		return err
	}
	actor := audit.Actor{Type: audit.ActorUser, ID: a.Member.UserID, Email: a.Member.Email}
	details := map[string]any{"clientId": g.ClientID, "userCode": FormatUserCode(g.UserCode)}
	if !approve {
		ev := deviceEvent(a, actor, "device.denied", fmt.Sprintf("%s declined the sign-in of %s", a.Member.Email, g.ClientID), details)
		ev.Stamp(ctx, d.NewID(), d.Now())
		return d.Store.Deny(ctx, g, a.Member, ev)
	}
	live := d.Personal.live(a)
	if len(live) >= MaxPersonalTokens {
		return apperr.New(apperr.Conflict, "you already hold %d live tokens in this organization; revoke one first", MaxPersonalTokens)
	}
	name := uniqueName(g.ClientID, live)
	// The approval's one event names the token it makes (a change writes one event).
	created, _, err := d.Personal.mint(ctx, a.Org, a.Member, name, DefaultPersonalDays, actor, nil)
	if err != nil {
		return err
	}
	details["tokenId"], details["tokenName"] = created.ID, created.Name
	details["expiresAt"] = created.ExpiresAt.Format(time.RFC3339)
	ev := deviceEvent(a, actor, "device.approved", fmt.Sprintf("%s approved the sign-in of %s: the personal token %q", a.Member.Email, g.ClientID, name), details)
	ev.Stamp(ctx, d.NewID(), d.Now())
	g.Approver, g.TokenID, g.TokenExpiresAt = orgs.Person{ID: a.Member.UserID, Email: a.Member.Email}, created.ID, created.ExpiresAt
	_, mine, _ := orgs.ResultOf[MineRead, Mine](a)
	return d.Store.Approve(ctx, g, created.PersonalToken, append(live, created.PersonalToken), mine.Version, a.Acting(), ev)
}

// uniqueName is the client's name, numbered when the member already has a token of that name.
func uniqueName(name string, live []PersonalToken) string {
	taken := func(n string) bool {
		for _, t := range live {
			if strings.EqualFold(t.Name, n) {
				return true
			}
		}
		return false
	}
	out := name
	for i := 2; taken(out); i++ {
		suffix := fmt.Sprintf(" (%d)", i)
		out = name[:min(len(name), maxTokenName-len(suffix))] + suffix
	}
	return out
}

func deviceEvent(a orgs.Access, actor audit.Actor, action, summary string, details map[string]any) audit.Event {
	return audit.Event{
		OrgID: a.Org.ID, Category: audit.Authentication, Action: action, Actor: actor,
		Target:  audit.Target{Type: "device", ID: fmt.Sprint(details["userCode"]), Label: fmt.Sprint(details["clientId"])},
		Summary: summary, Details: details,
	}
}

func newDeviceCode() (code, hash string, err error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", "", err
	}
	code = base64.RawURLEncoding.EncodeToString(b)
	return code, hashDeviceCode(code), nil
}

func hashDeviceCode(code string) string {
	h := sha256.Sum256([]byte(code))
	return hex.EncodeToString(h[:])
}

func newUserCode() (string, error) {
	b := make([]byte, userCodeLen)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	out := make([]byte, userCodeLen)
	for i, v := range b {
		// 256 = 12×20 + 16: drawing again above 240 keeps every letter equally likely.
		for v >= 240 {
			var one [1]byte
			if _, err := rand.Read(one[:]); err != nil {
				return "", err
			}
			v = one[0]
		}
		out[i] = DeviceAlphabet[int(v)%len(DeviceAlphabet)]
	}
	return string(out), nil
}
