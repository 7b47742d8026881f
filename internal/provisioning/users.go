package provisioning

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/vendorportal/orgs/internal/apperr"
	"github.com/vendorportal/orgs/internal/audit"
	"github.com/vendorportal/orgs/internal/mail"
	"github.com/vendorportal/orgs/internal/orgs"
	"github.com/vendorportal/orgs/internal/outbox"
	"github.com/vendorportal/orgs/internal/provisioning/maildomains"
	"github.com/vendorportal/orgs/internal/roles"
)

// The password modes of a created user.
const (
	ModeGenerate = "generate"
	ModeSpecify  = "specify"
)

// MaxBulk is how many users one bulk request or legacy migration may hold.
const MaxBulk = 100

// ErrHasAccount: the address has an account, which only an invite can bring in.
var ErrHasAccount = apperr.New(apperr.Conflict, "this address already has an account: send an invite")

// PasswordInput is how a created user's first password is made.
type PasswordInput struct {
	Mode      string
	Value     string
	SendEmail bool
}

// UserInput is one user to create, as the contract's "Creating a user directly" gives it.
type UserInput struct {
	Email       string
	Username    string
	Domain      string
	NotifyEmail string
	Name        string
	Phone       string
	Role        string
	Properties  map[string]any
	Password    PasswordInput
}

// reservedColumns are the import's own columns: no property may be named like one.
var reservedColumns = map[string]bool{"email": true, "username": true, "domain": true, "name": true, "role": true, "phone": true, "notifyEmail": true}

// plan is a checked UserInput: what the create will do.
type plan struct {
	email, notify, name, phone string
	role                       roles.Role
	props                      map[string]any
	password                   string
	// mailed: the password goes to notify by email; generated: the service made it, so
	// nobody but whoever reads the email knows it.
	mailed, generated bool
	// inDomain: the address is in one of the org's verified domains; dnsDomain: in one
	// verified by DNS, which the org holds (orgs.Org.DNSVerifiedDomain).
	inDomain, dnsDomain bool
	// credentials: the input named where the credentials go or what the password is, which
	// only an account the org creates has (an existing account's are its owner's).
	credentials bool
	// roles ties the write to the org's custom roles as read.
	roles orgs.RolesCheck
}

// check validates one user as every create does (single, bulk, import, legacy). It calls
// nothing: the dry run of an import is this check.
func (s *Service) check(a orgs.Access, in UserInput, trusted bool) (plan, error) {
	var p plan
	if a.Org.Kind != orgs.Shared {
		return p, apperr.New(apperr.Conflict, "a personal account takes no new members")
	}
	var err error
	switch {
	case in.Email != "" && in.Username != "":
		return p, apperr.New(apperr.Invalid, "give email or username, not both")
	case in.Email != "":
		if in.Domain != "" {
			return p, apperr.New(apperr.Invalid, "domain goes with username only")
		}
		if p.email, err = orgs.NormalizeEmail("email", in.Email); err != nil {
			return p, err
		}
	case in.Username != "":
		domain := a.Org.PrimaryDomain()
		if in.Domain != "" {
			d, err := maildomains.Normalize(in.Domain)
			if err != nil || !a.Org.VerifiedDomain("x@"+d) {
				return p, apperr.New(apperr.Invalid, "domain must be one of the organization's verified domains")
			}
			domain = d
		}
		if domain == "" {
			return p, apperr.New(apperr.Invalid, "a username needs a verified domain: verify one of the organization's domains first, or give email")
		}
		if strings.Contains(in.Username, "@") {
			return p, apperr.New(apperr.Invalid, "username is the part before @; give email for a whole address")
		}
		if p.email, err = orgs.NormalizeEmail("username", in.Username+"@"+domain); err != nil {
			return p, err
		}
	default:
		return p, apperr.New(apperr.Invalid, "email or username is required")
	}
	p.notify = p.email
	if in.NotifyEmail != "" {
		if p.notify, err = orgs.NormalizeEmail("notifyEmail", in.NotifyEmail); err != nil {
			return p, err
		}
	}
	if p.name, err = orgs.CleanText("name", in.Name, orgs.MaxPersonName, false); err != nil {
		return p, err
	}
	if p.phone, err = orgs.ValidPhone(in.Phone); err != nil {
		return p, err
	}
	id := in.Role
	if id == "" {
		id = string(roles.User)
	}
	if trusted {
		// An operator's migration, or an import row its committer was checked for: the role
		// must still be one of the org's.
		d, ok := a.Org.Role(roles.Role(id))
		if !ok {
			return p, apperr.New(apperr.Invalid, "role must be one of %s or the id of one of the organization's custom roles", roleList())
		}
		p.role = d.ID
		p.roles = orgs.RolesCheck{Needed: d.ID.Custom(), Version: a.Org.RolesVersion}
	} else {
		// The one check of what a member may give (orgs.Access.AssignableRole).
		d, err := a.AssignableRole(id)
		if err != nil {
			return p, err
		}
		p.role, p.roles = d.ID, a.RolesCheck(d.ID)
	}
	if p.props, err = orgs.ValidateProperties(a.Org.UserProperties, in.Properties, true); err != nil {
		return p, err
	}
	p.inDomain, p.dnsDomain = a.Org.VerifiedDomain(p.email), a.Org.DNSVerifiedDomain(p.email)
	p.credentials = in.NotifyEmail != "" || in.Password != (PasswordInput{})
	switch in.Password.Mode {
	case "", ModeGenerate:
		if in.Password.Value != "" {
			return p, apperr.New(apperr.Invalid, "password.value goes with mode \"specify\" only")
		}
		p.password, p.mailed, p.generated = GeneratePassword(), true, true
	case ModeSpecify:
		if err := PoolPolicy.Check(in.Password.Value); err != nil {
			return p, err
		}
		if !in.Password.SendEmail && !p.dnsDomain {
			return p, apperr.New(apperr.Forbidden, "a specified password that is not emailed is allowed only for addresses in the organization's domains verified by DNS: nobody else would ever prove the mailbox")
		}
		p.password, p.mailed = in.Password.Value, in.Password.SendEmail
	default:
		return p, apperr.New(apperr.Invalid, "password.mode must be \"generate\" or \"specify\"")
	}
	return p, nil
}

func roleList() string {
	out := make([]string, len(roles.All))
	for i, r := range roles.All {
		out[i] = string(r)
	}
	return strings.Join(out, ", ")
}

// Create makes one user and adds them to the org (source created).
func (s *Service) Create(ctx context.Context, a orgs.Access, in UserInput) (orgs.Member, error) {
	p, err := s.check(a, in, false)
	if err != nil {
		return orgs.Member{}, err
	}
	m, _, err := s.createWith(ctx, a, p, createOpts{actor: actorOf(a), source: orgs.SourceCreated, action: "member.created"})
	return m, err
}

// CreateFromSCIM makes one user for an identity provider (SCIM): the same code and rules as a
// direct creation (the verified-domain and existing-account rules, a generated password
// emailed), with source scim, the token as the actor, and extra's attributes on the member.
// No member acts, so the role is only checked to be one of the org's.
func (s *Service) CreateFromSCIM(ctx context.Context, org orgs.Org, in UserInput, actor audit.Actor, extra func(*orgs.Member)) (orgs.Member, error) {
	a := orgs.Access{Org: org}
	p, err := s.check(a, in, true)
	if err != nil {
		return orgs.Member{}, err
	}
	m, _, err := s.createWith(ctx, a, p, createOpts{actor: actor, source: orgs.SourceSCIM, action: "member.created", extra: extra})
	return m, err
}

// BulkResult is one item's outcome.
type BulkResult struct {
	Member orgs.Member
	Err    error
}

// CreateMany creates up to MaxBulk users, one after the other; one's failure is its result.
// The emails of every valid item are counted in the org's budget before anyone is created: a
// request that would pass it is refused whole.
func (s *Service) CreateMany(ctx context.Context, a orgs.Access, ins []UserInput) ([]BulkResult, error) {
	if len(ins) == 0 || len(ins) > MaxBulk {
		return nil, apperr.New(apperr.Invalid, "members must hold 1 to %d users; you sent %d", MaxBulk, len(ins))
	}
	out := make([]BulkResult, len(ins))
	plans := make([]*plan, len(ins))
	seen := map[string]int{}
	for i, in := range ins {
		p, err := s.check(a, in, false)
		if err == nil {
			if j, dup := seen[p.email]; dup {
				err = apperr.New(apperr.Invalid, "%s is item %d already", p.email, j)
			}
		}
		if err != nil {
			out[i].Err = err
			continue
		}
		seen[p.email] = i
		plans[i] = &p
	}
	return out, s.createAll(ctx, a, plans, out, createOpts{actor: actorOf(a), source: orgs.SourceCreated, action: "member.created"})
}

// createAll creates the users of plans (nil: an item that failed its check) into out. The
// emails of every item are counted in the org's budget by the first write (reservation): a
// request that would pass it is refused whole (nothing of it written, the directory user
// of that first item deleted), and what went unsent is given back at the end.
func (s *Service) createAll(ctx context.Context, a orgs.Access, plans []*plan, out []BulkResult, o createOpts) error {
	remaining := 0
	for _, p := range plans {
		if p != nil && p.mailed {
			remaining++
		}
	}
	res := s.newReservation(a.Org.ID, a.Member.UserID)
	defer s.settle(ctx, res)
	o.res = res
	for i, p := range plans {
		if p == nil {
			continue
		}
		wasCarried := res.carried
		res.carry, o.counted = remaining, p.mailed
		var mailed bool
		out[i].Member, mailed, out[i].Err = s.createWith(ctx, a, *p, o)
		if p.mailed {
			remaining--
		}
		switch {
		case !res.carried && apperr.KindOf(out[i].Err) == apperr.RateLimited:
			return out[i].Err
		case wasCarried && p.mailed && !mailed:
			res.giveBack()
		}
	}
	return nil
}

// createOpts says how create writes: who acts, the member's source and event, whether an
// existing account is added as it is, and for an import the row it records.
type createOpts struct {
	actor   audit.Actor
	roles   orgs.RolesCheck
	source  orgs.Source
	action  string
	addAsIs bool
	imp     *importRec
	// extra adds what the caller keeps of the member beyond the create's input (SCIM's
	// external id and name parts).
	extra func(*orgs.Member)
	// res is the reservation of a request of many the credentials email counts in (nil: the
	// write counts its own); counted says the item is one of the reservation's carry.
	res     *reservation
	counted bool
}

type importRec struct {
	store    ImportStore
	importID string
	outcome  RowOutcome
}

// createImported is create for an import's row: the row's outcome is written with its member.
func (s *Service) createImported(ctx context.Context, a orgs.Access, store ImportStore, p plan, actor audit.Actor, importID string, out RowOutcome, res *reservation) (orgs.Member, bool, error) {
	return s.createWith(ctx, a, p, createOpts{actor: actor, source: orgs.SourceImport, action: "member.imported",
		imp: &importRec{store: store, importID: importID, outcome: out}, res: res})
}

// createWith makes the identity-provider user (or takes over one a half-done earlier attempt
// left), sets the temporary password, and writes the membership with the new account, the
// event and the sealed credentials email in one transaction; mailed reports whether an email
// was written.
//
// An address that has an account already is the account of someone the org did not create:
// it is ErrHasAccount (send an invite), unless the org holds its domain (verified by DNS) or
// an operator migrates it (o.addAsIs). Then it is added as it is, keeping its password
// (source domain for a direct create or an import), and told by email which org added it;
// giving it credentials (notifyEmail, password) is Invalid. An email code proves one mailbox
// at a domain, never power over the domain's other accounts.
//
// The password is set only on a user nobody has signed in as whose profile does not exist:
// never on someone's real account. A user this call made is deleted again when the write is
// refused (the email budget spent, the org changed): no half-made user stays behind.
func (s *Service) createWith(ctx context.Context, a orgs.Access, p plan, o createOpts) (m orgs.Member, mailed bool, err error) {
	source, trusted := o.source, o.addAsIs
	o.roles = p.roles
	// The address is marked verified only when nobody but the mailbox's owner can know the
	// password: one the service generated, mailed to that address itself; or an address
	// in a domain the org holds (verified by DNS). A password the admin chose, or one mailed
	// elsewhere, leaves it unverified until its owner proves it.
	verified := p.dnsDomain || (p.generated && p.mailed && p.notify == p.email)
	u, err := s.Directory.CreateUser(ctx, p.email, verified, p.password)
	if err != nil {
		return orgs.Member{}, false, err
	}
	m = orgs.Member{
		OrgID: a.Org.ID, UserID: u.ID, Email: p.email, Name: p.name, Phone: p.phone, Role: p.role,
		JoinedAt: s.Now(), Source: source, Properties: p.props,
	}
	if p.notify != p.email {
		m.NotifyEmail = p.notify
	}
	if o.extra != nil {
		o.extra(&m)
	}
	if len(m.Properties) == 0 {
		// Not an empty map: the table would hold {"M":{}}, which the stream hands over badly.
		m.Properties = nil
	}
	if u.Existing {
		if !p.dnsDomain && !trusted {
			if !u.AwaitingFirstSignIn {
				return orgs.Member{}, false, ErrHasAccount
			}
			has, err := s.Store.HasProfile(ctx, u.ID)
			if err != nil {
				return orgs.Member{}, false, err
			}
			if has {
				return orgs.Member{}, false, ErrHasAccount
			}
		} else {
			if p.credentials && !trusted {
				// Someone's own account, unless it is a user an earlier attempt of ours left
				// (awaiting its first sign-in, without a profile), which is taken over below.
				owned := !u.AwaitingFirstSignIn
				if !owned {
					if owned, err = s.Store.HasProfile(ctx, u.ID); err != nil {
						return orgs.Member{}, false, err
					}
				}
				if owned {
					return orgs.Member{}, false, ErrCredentialsOfExisting
				}
			}
			asIs := m
			asIs.NotifyEmail = ""
			if source == orgs.SourceCreated || source == orgs.SourceImport {
				asIs.Source = orgs.SourceDomain
			}
			err := s.add(ctx, a, asIs, nil, o, "", false)
			if !errors.Is(err, ErrNoProfile) {
				return asIs, err == nil, err
			}
			if !u.AwaitingFirstSignIn {
				// Someone who signed up but never opened the portal: their account is made
				// now, their password stays theirs, and it is not the org's creation.
				err := s.add(ctx, a, asIs, s.account(ctx, asIs, u.EmailVerified, ""), o, "", false)
				return asIs, err == nil, err
			}
		}
		// A user made by an earlier attempt that failed before its transaction: taken over,
		// unless it is so young that it may be a concurrent request's.
		if s.Now().Sub(u.CreatedAt) < takeoverAfter {
			return orgs.Member{}, false, ErrCreateInProgress
		}
	}
	if u.Existing {
		// Taken over: deleted and made anew, with this create's password and standing of the
		// address in the one call that makes it. Changing the leftover in place would leave a
		// moment (or, after a fault between two calls, for good) where the earlier attempt's
		// password signs in as what this create says of the address, and would keep any
		// session begun with it; a new user has neither. The leftover has no profile, so
		// nothing in the table names it.
		if err := s.Directory.DeleteUser(ctx, u.ID); err != nil {
			return orgs.Member{}, false, err
		}
		if u, err = s.Directory.CreateUser(ctx, p.email, verified, p.password); err != nil {
			return orgs.Member{}, false, err
		}
		if u.Existing {
			// Another request made the address's user between the two calls.
			return orgs.Member{}, false, ErrCreateInProgress
		}
		m.UserID = u.ID
	}
	pw := ""
	if p.mailed {
		pw = p.password
	}
	err = s.add(ctx, a, m, s.account(ctx, m, verified, a.Org.ID), o, pw, p.mailed)
	if err != nil && !u.Existing && refused(err) {
		// The write was refused, so it did not happen: the user made for it goes too.
		// (After an error that leaves the write's outcome unknown, the user stays; a
		// later attempt takes it over.)
		if derr := s.Directory.DeleteUser(ctx, u.ID); derr != nil {
			slog.Default().WarnContext(ctx, "delete the directory user of a refused create", "user", u.ID, "error", derr)
		}
	}
	if errors.Is(err, orgs.ErrAccountExists) {
		// A concurrent request made the account first.
		return orgs.Member{}, false, ErrHasAccount
	}
	if err != nil {
		return orgs.Member{}, false, err
	}
	return m, p.mailed, nil
}

// ErrCredentialsOfExisting: credentials were given for an address whose account exists.
var ErrCredentialsOfExisting = apperr.New(apperr.Invalid, "this address already has an account, which is added as it is: give no notifyEmail or password for it (the organization did not create that account and never holds its credentials)")

// refused reports whether err is a write's definite refusal (a condition, a limit), after
// which nothing of the write exists, unlike a failure of the table or the network.
func refused(err error) bool {
	switch apperr.KindOf(err) {
	case apperr.Internal, apperr.Unavailable:
		return false
	}
	return true
}

// account is the new account of a created member; verified says whether anyone proved the
// address (as the identity provider was told): an unproven one is not the user's identity
// for invites and auto-join (orgs.Profile.EmailUnverified). createdBy is the org whose request
// made the identity ("" for an identity that existed before): only that org may later reset
// its password or change its name and phone (orgs.Profile.CreatedByOrg).
func (s *Service) account(ctx context.Context, m orgs.Member, verified bool, createdBy string) *orgs.NewAccount {
	na := s.Accounts.NewAccountFor(ctx, m.UserID, m.Email, m.Name, m.JoinedAt)
	na.Profile.EmailUnverified = !verified
	na.Profile.CreatedByOrg = createdBy
	return &na
}

// add writes the membership with its event and, when password is set, the credentials email.
func (s *Service) add(ctx context.Context, a orgs.Access, m orgs.Member, acc *orgs.NewAccount, o createOpts, password string, mailed bool) error {
	actor, action := o.actor, o.action
	details := map[string]any{"role": string(m.Role), "source": string(m.Source), "newAccount": acc != nil, "passwordEmailed": mailed}
	if m.NotifyEmail != "" {
		details["notifyEmail"] = m.NotifyEmail
	}
	if len(m.Properties) > 0 {
		details["properties"] = m.Properties
	}
	ev := s.event(ctx, a.Org.ID, actor, action, audit.Target{Type: "member", ID: m.UserID, Label: m.Email},
		fmt.Sprintf("%s added %s as %s (%s)", actorName(actor), m.Email, m.Role, m.Source), details)
	var msgs []outbox.Message
	switch {
	case password != "":
		msg, err := s.credentials(a.Org, m, actorName(actor), password, credentialsMessage())
		if err != nil {
			return err
		}
		msgs = append(msgs, msg)
	case acc == nil || acc.Profile.CreatedByOrg == "":
		// An account the org did not create, added as it is: its owner learns who added
		// them, and that they may leave.
		msg, err := s.addedNotice(a.Org, m, actorName(actor))
		if err != nil {
			return err
		}
		msgs = append(msgs, msg)
	}
	w := MemberWrite{Member: m, Account: acc, Roles: o.roles, Event: ev, Outbox: msgs}
	sender := ""
	if actor.Type == audit.ActorUser {
		sender = actor.ID
	}
	w.Budget = s.writeBudget(a.Org.ID, sender, o.res, o.counted, len(msgs) > 0)
	if actor.Type == audit.ActorUser {
		w.Actor = a.Member
	}
	for attempt := 0; ; attempt++ {
		var err error
		if o.imp != nil {
			out := o.imp.outcome
			out.UserID = m.UserID
			err = o.imp.store.AddImportedMember(ctx, w, o.imp.importID, out)
		} else {
			err = s.Store.AddMember(ctx, w)
		}
		if err == nil && o.res != nil {
			o.res.carried = true
		}
		if err == nil || attempt >= 5 || !errors.Is(err, orgs.ErrPersonalHandleTaken) || w.Account == nil {
			return err
		}
		s.Accounts.RetryWithAccount(err, &w.Account)
	}
}

func actorName(a audit.Actor) string {
	if a.Type == audit.ActorOperator {
		return "The support team"
	}
	return a.Email
}

// credentials returns the sealed email that carries a temporary password to the member.
func (s *Service) credentials(o orgs.Org, m orgs.Member, actor, password string, t *mail.Template) (outbox.Message, error) {
	e, err := s.credentialsEmail(o, m, actor, password, t)
	if err != nil {
		return outbox.Message{}, err
	}
	return s.sealedEmail(o.ID, e)
}

// credentialsEmail is the email of t that tells the member their temporary password.
func (s *Service) credentialsEmail(o orgs.Org, m orgs.Member, actor, password string, t *mail.Template) (outbox.Email, error) {
	to := m.NotifyEmail
	if to == "" {
		to = m.Email
	}
	msg, err := t.Render(to, map[string]string{"Actor": actor, "Org": o.Name, "URL": s.AppURL, "Email": m.Email, "Password": password})
	if err != nil {
		return outbox.Email{}, err
	}
	return outbox.Email{Message: msg, Purpose: "credentials"}, nil
}

// ResetPassword gives a provisioned member a new temporary password, mailed to their
// notifyEmail (or email); their old password stops working. Others manage their own sign-in.
//
// The request writes the event and a sealed outbox message that carries the password, with
// the email counted in the org's budget; the message's handler sets the password in the
// directory and then sends it (SealedEmailHandler). So the password changes only when its
// email is on its way: a refused request (the budget spent, the member changed) changes
// nothing, and a failure of the directory is retried with the email, never leaving a
// password nobody was told.
func (s *Service) ResetPassword(ctx context.Context, a orgs.Access) error {
	if a.Target == nil {
		return apperr.New(apperr.NotFound, "member not found")
	}
	m := *a.Target
	if !a.Org.MayBeProvisioned(m) {
		// What decides is the account's record of its creator, checked in the write
		// (MemberEvent): this only spares it.
		return orgs.NotProvisioned(m.Email)
	}
	// As for a role change or a removal: a custom role that manages members can't lock out
	// the admins above it.
	if err := a.MayActOn(m, "reset the password of"); err != nil {
		return err
	}
	pw := GeneratePassword()
	e, err := s.credentialsEmail(a.Org, m, a.Member.Email, pw, resetMessage())
	if err != nil {
		return err
	}
	msg, err := SealEmailWith(s.Sealer, s.NewID(), a.Org.ID, Sealed{Email: e, SetPassword: &PasswordSet{UserID: m.UserID, Password: pw}})
	if err != nil {
		return err
	}
	ev := s.event(ctx, a.Org.ID, actorOf(a), "member.password_reset", audit.Target{Type: "member", ID: m.UserID, Label: m.Email},
		fmt.Sprintf("%s reset the password of %s", a.Member.Email, m.Email), map[string]any{"emailedTo": firstOf(m.NotifyEmail, m.Email)})
	return s.Store.MemberEvent(ctx, orgs.Acting{Member: a.Member, Roles: a.ActOnCheck(m)}, m, ev, []outbox.Message{msg}, s.oneEmail(a.Org.ID, a.Member.UserID))
}

func firstOf(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// LegacyUser is a support-only user migrated from a legacy system.
type LegacyUser struct {
	Email string
	Name  string
}

// MigrateLegacy makes each user a support_only member with source legacy, by an operator: a
// new address gets an account and a generated password by email; an address that has an
// account is added as it is (operators are trusted); a member already is a conflict item.
func (s *Service) MigrateLegacy(ctx context.Context, o orgs.Org, op orgs.Caller, users []LegacyUser) ([]BulkResult, error) {
	if len(users) == 0 || len(users) > MaxBulk {
		return nil, apperr.New(apperr.Invalid, "users must hold 1 to %d users; you sent %d", MaxBulk, len(users))
	}
	a := orgs.Access{Org: o}
	actor := audit.Actor{Type: audit.ActorOperator, ID: op.ID, Email: op.Email}
	out := make([]BulkResult, len(users))
	plans := make([]*plan, len(users))
	for i, u := range users {
		p, err := s.check(a, UserInput{Email: u.Email, Name: u.Name, Role: string(roles.SupportOnly)}, true)
		if err != nil {
			out[i].Err = err
			continue
		}
		plans[i] = &p
	}
	return out, s.createAll(ctx, a, plans, out, createOpts{actor: actor, source: orgs.SourceLegacy, action: "member.added", addAsIs: true})
}
