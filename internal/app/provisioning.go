package app

import (
	"net"

	"github.com/vendorportal/orgs/internal/domains"
	"github.com/vendorportal/orgs/internal/outbox"
	"github.com/vendorportal/orgs/internal/provisioning"
	"github.com/vendorportal/orgs/internal/provisioning/maildomains"
	"github.com/vendorportal/orgs/internal/seal"
)

// provisioningSlots are provisioning's and the domains' services and what they are given:
// the DNS resolver (a test sets a fake: UseResolver) and the spreadsheets (sheets.Install).
type provisioningSlots struct {
	settings           slot[*provisioning.Service]
	sealing            slot[*provisioning.Service]
	directory          slot[*provisioning.Service]
	domains            slot[*domains.Service]
	domainClaims       slot[*domains.Service]
	domainVerification slot[*domains.Service]
	mailDomains        slot[*maildomains.Table]
	resolver           slot[domains.TXTResolver]
	sheets             slot[provisioning.Spreadsheets]
	handlers           slot[outbox.Handlers]
}

// ProvisioningSettings returns the provisioning service without a directory or the server's
// secret: what the user property routes and the import need.
func (e *Env) ProvisioningSettings() *provisioning.Service {
	return get(&e.provisioning.settings, func() *provisioning.Service {
		return &provisioning.Service{
			Store: e.ProvisioningStore(), Accounts: e.Orgs(),
			AppURL: e.Config.AppURL, DailyEmailLimit: e.Config.DailyEmailLimit, UserDailyEmailLimit: e.Config.UserDailyEmailLimit, Now: e.Now, NewID: e.NewID,
		}
	})
}

// SealingProvisioning returns the provisioning service with the key derived from the sealing
// key (KeySealing) that seals the emails it puts in the outbox (a password): what a member's
// password reset needs.
func (e *Env) SealingProvisioning() *provisioning.Service {
	return get(&e.provisioning.sealing, func() *provisioning.Service {
		s := *e.ProvisioningSettings()
		s.Sealer = seal.Derive(e.Key(KeySealing), provisioning.SealPurpose)
		return &s
	})
}

// Domains returns the domain service without the server's secret: what the routes that add,
// list, update and remove domains, suggest orgs and join one need.
func (e *Env) Domains() *domains.Service {
	return get(&e.provisioning.domains, func() *domains.Service {
		return &domains.Service{
			Store: e.ProvisioningStore(), Accounts: e.Orgs(), Resolver: e.resolver(),
			AppURL: e.Config.AppURL, DailyEmailLimit: e.Config.DailyEmailLimit, UserDailyEmailLimit: e.Config.UserDailyEmailLimit, Now: e.Now, NewID: e.NewID,
		}
	})
}

// MailDomains returns the table of free, public and disposable mail domains, from the file
// Config.MailDomainsFile names. A function without it panics at its cold start: its route
// needs Route.MailDomains, for which the stack gives it the table's layer.
func (e *Env) MailDomains() *maildomains.Table {
	return get(&e.provisioning.mailDomains, func() *maildomains.Table {
		t, err := maildomains.Open(e.Config.MailDomainsFile)
		if err != nil {
			panic("app: " + err.Error() + ": a function that refuses public mail domains needs Route.MailDomains, for which the stack gives it the table")
		}
		return t
	})
}

// DomainClaims returns the domain service that refuses public mail domains (MailDomains):
// what adding a domain needs.
func (e *Env) DomainClaims() *domains.Service {
	return get(&e.provisioning.domainClaims, func() *domains.Service {
		s := *e.Domains()
		s.PublicMail = e.MailDomains()
		return &s
	})
}

// DomainVerification returns the domain service with the keys derived from the sealing key
// (KeySealing): it seals the codes it puts in the outbox and MACs the codes it keeps, and it
// refuses public mail domains (MailDomains).
func (e *Env) DomainVerification() *domains.Service {
	return get(&e.provisioning.domainVerification, func() *domains.Service {
		s := *e.DomainClaims()
		s.Sealer = seal.Derive(e.Key(KeySealing), provisioning.SealPurpose)
		s.CodeKey = seal.Derive(e.Key(KeySealing), "domain-code")
		return &s
	})
}

// Provisioning returns the provisioning service that creates users in the directory: the
// user pool installed with UseDirectory must also be a provisioning.Directory (cognito's is).
func (e *Env) Provisioning() *provisioning.Service {
	return get(&e.provisioning.directory, func() *provisioning.Service {
		s := *e.SealingProvisioning()
		d, ok := e.Directory().(provisioning.Directory)
		if !ok {
			panic("app: the installed directory can't create users (it is no provisioning.Directory)")
		}
		s.Directory = d
		return &s
	})
}

// UseResolver makes e look DNS TXT records up with r (tests: a fake zone).
func (e *Env) UseResolver(r domains.TXTResolver) { set(&e.provisioning.resolver, r) }

func (e *Env) resolver() domains.TXTResolver {
	return get(&e.provisioning.resolver, func() domains.TXTResolver { return net.DefaultResolver })
}

// UseSpreadsheets makes e read and write XLSX with s (sheets.Install). Call it before
// anything asks for it.
func (e *Env) UseSpreadsheets(s provisioning.Spreadsheets) { set(&e.provisioning.sheets, s) }

// Spreadsheets returns what sheets.Install installed.
func (e *Env) Spreadsheets() provisioning.Spreadsheets {
	return get(&e.provisioning.sheets, func() provisioning.Spreadsheets {
		panic("app: no spreadsheet reader installed: a function whose route reads or writes spreadsheets (Route.Spreadsheets) has a main that calls sheets.Install")
	})
}

// ProvisioningHandlers are provisioning's outbox handlers, for the stream processor and the
// scheduled job: the sealed emails (credentials, codes) and the import's chunks. They need
// the mail sender and the directory installed.
func (e *Env) ProvisioningHandlers() outbox.Handlers {
	return get(&e.provisioning.handlers, func() outbox.Handlers {
		p := e.Provisioning()
		return outbox.Handlers{
			provisioning.KindSealedEmail: provisioning.SealedEmailHandler(p.Sealer, e.Mail(), p.Directory),
			provisioning.KindImportChunk: p.ImportChunk(e.ProvisioningStore()),
		}
	})
}
