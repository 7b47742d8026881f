package orgsdb

import (
	"time"

	"github.com/vendorportal/orgs/internal/dynamo"
	"github.com/vendorportal/orgs/internal/orgs"
)

// Provisioning's items:
//
//	ORG#<orgId>       META      the org item also holds autoJoin, userProperties (the
//	                            definitions) and domains (each with its TXT value and, while a
//	                            code is under way, the code's MAC and tries left): small, and
//	                            read by the authorization step with the org
//	DOMAIN#<domain>   DOMAIN    the guard: the domain is verified by this org (→ orgId); one
//	                            org per verified domain, and what /v1/me/suggested-orgs and
//	                            /join look up (a GetItem by the caller's email domain)
//	ORG#<orgId>       IMPORT#<importId>         an import job: its counters and status
//	ORG#<orgId>       IMPORT#<importId>#ROW#<n> one row's outcome (written with the row's member)
const (
	SkDomain    = "DOMAIN"
	SkImport    = "IMPORT#"
	SkImportRow = "#ROW#"
)

func DomainPK(d string) string { return "DOMAIN#" + d }

type userPropertyItem struct {
	Key      string `dynamodbav:"key"`
	Label    string `dynamodbav:"label"`
	Type     string `dynamodbav:"type"`
	Required bool   `dynamodbav:"required"`
}

type domainItem struct {
	Name          string    `dynamodbav:"name"`
	Status        string    `dynamodbav:"status"`
	Primary       bool      `dynamodbav:"primary"`
	VerifiedBy    string    `dynamodbav:"verifiedBy,omitempty"`
	TXTValue      string    `dynamodbav:"txt"`
	CreatedAt     time.Time `dynamodbav:"createdAt"`
	VerifiedAt    time.Time `dynamodbav:"verifiedAt,omitempty"`
	CodeHash      string    `dynamodbav:"codeHash,omitempty"`
	CodeExpiresAt time.Time `dynamodbav:"codeExpiresAt,omitempty"`
	CodeTries     int       `dynamodbav:"codeTries,omitempty"`
}

// provisioning copies provisioning's settings of o onto the org item.
func (it *OrgItem) provisioning(o orgs.Org) {
	if o.AutoJoin != "" && o.AutoJoin != orgs.AutoJoinOff {
		it.AutoJoin = string(o.AutoJoin)
	}
	for _, p := range o.UserProperties {
		it.UserProperties = append(it.UserProperties, userPropertyItem{Key: p.Key, Label: p.Label, Type: string(p.Type), Required: p.Required})
	}
	for _, d := range o.Domains {
		it.Domains = append(it.Domains, domainItem{
			Name: d.Name, Status: string(d.Status), Primary: d.Primary, VerifiedBy: d.VerifiedBy, TXTValue: d.TXTValue,
			CreatedAt: d.CreatedAt, VerifiedAt: d.VerifiedAt,
			CodeHash: d.CodeHash, CodeExpiresAt: d.CodeExpiresAt, CodeTries: d.CodeTries,
		})
	}
}

// provisioningOf reads provisioning's settings from the org item into o.
func (it OrgItem) provisioningOf(o *orgs.Org) {
	o.AutoJoin = orgs.AutoJoin(it.AutoJoin).Or()
	for _, p := range it.UserProperties {
		o.UserProperties = append(o.UserProperties, orgs.UserProperty{Key: p.Key, Label: p.Label, Type: orgs.PropertyType(p.Type), Required: p.Required})
	}
	for _, d := range it.Domains {
		by := d.VerifiedBy
		if d.Status == string(orgs.DomainVerified) && by == "" {
			// Verified before the method was recorded: nothing proves it was DNS.
			by = orgs.VerifiedByEmail
		}
		o.Domains = append(o.Domains, orgs.Domain{
			Name: d.Name, Status: orgs.DomainStatus(d.Status), Primary: d.Primary, VerifiedBy: by, TXTValue: d.TXTValue,
			CreatedAt: d.CreatedAt, VerifiedAt: d.VerifiedAt,
			CodeHash: d.CodeHash, CodeExpiresAt: d.CodeExpiresAt, CodeTries: d.CodeTries,
		})
	}
}

// CreatedBy makes the write hold only while the user's account records orgID as the org
// that created it (orgs.Profile.CreatedByOrg): the provisioned-member rule, decided in the
// transaction that acts on the member's sign-in or details.
func CreatedBy(t *dynamo.Txn, orgID, userID string) {
	t.Check(dynamo.Key(dynamo.UserPK(userID), dynamo.SkProfile), dynamo.Attr("createdByOrg").Equal(dynamo.Val(orgID)), orgs.ErrNotProvisioned)
}
