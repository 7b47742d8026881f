// Package licensing is what an org may use: the vendor's product catalog, the licenses that
// give an org a product (granted by operators, or a self-service trial), and the named seats
// of a license. It knows nothing of HTTP, JSON or DynamoDB; the Store it needs is declared
// here and implemented in package dynamo.
//
// A license's status is computed from its times at every read (Status): it is expired from
// its endsAt instant on, whatever the scheduled job has done. The job only makes storage catch
// up and sends the expiry notices (due.go).
package licensing

import (
	"time"

	"github.com/vendorportal/orgs/internal/orgs"
)

// Availability says who may use a product without a license.
type Availability string

// The availabilities.
const (
	// Public products are for everyone: entitlements always list them.
	Public Availability = "public"
	// Commercial products need a license.
	Commercial Availability = "commercial"
)

// TrialTerms are what a self-service trial of a product gives.
type TrialTerms struct {
	Days      int
	NodeLimit int
}

// Product is one entry of the catalog.
type Product struct {
	ID           string
	Name         string
	Description  string
	Availability Availability
	// Trial is nil for a product without a self-service trial.
	Trial *TrialTerms
	// AgreementVersion names the Master Service Agreement a trial must accept; "" when the
	// product names none (any version the caller gives is kept).
	AgreementVersion string
	UpdatedAt        time.Time
}

// ValidProductID reports whether id has the shape of the contract's product id,
// ^[a-z0-9][a-z0-9-]{1,62}$. It is written out rather than a package-level regexp, which
// every function importing this package would compile at its cold start.
func ValidProductID(id string) bool {
	if len(id) < 2 || len(id) > 63 || id[0] == '-' {
		return false
	}
	for i := 0; i < len(id); i++ {
		if c := id[i]; !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// Type is the kind of a license.
type Type string

// The license types.
const (
	TypeTrial      Type = "trial"
	TypeFree       Type = "free"
	TypeDeveloper  Type = "developer"
	TypeEnterprise Type = "enterprise"
)

// Valid reports whether t is one of the contract's types.
func (t Type) Valid() bool {
	switch t {
	case TypeTrial, TypeFree, TypeDeveloper, TypeEnterprise:
		return true
	}
	return false
}

// Status is a license's state at one instant.
type Status string

// The statuses.
const (
	Active    Status = "active"
	Scheduled Status = "scheduled"
	Expired   Status = "expired"
	Revoked   Status = "revoked"
)

// Acceptance records that someone accepted the Master Service Agreement: who, when, which
// version.
type Acceptance struct {
	Version    string
	AcceptedAt time.Time
	AcceptedBy orgs.Person
}

// License gives an org a product for a time.
type License struct {
	ID        string
	OrgID     string
	ProductID string
	// ProductName and Availability are copied from the catalog when the license is made, so
	// that reading an org's licenses (entitlements) needs no catalog read.
	ProductName  string
	Availability Availability
	Type         Type
	StartsAt     time.Time
	// EndsAt is the zero time for a license without an end.
	EndsAt time.Time
	// NodeLimit and SeatLimit are nil when unlimited. A nil SeatLimit covers every member
	// with products.access; otherwise only the holders of its seats.
	NodeLimit *int
	SeatLimit *int
	// SeatHolders are the user ids holding a seat; SeatsUsed is their count.
	SeatHolders []string
	SeatsUsed   int
	CreatedAt   time.Time
	CreatedBy   orgs.Person
	RevokedAt   time.Time
	// ExpiredAt is when the scheduled job recorded the expiry (Status does not need it).
	ExpiredAt time.Time
	// Agreement is the acceptance a trial was started with; nil for granted licenses.
	Agreement *Acceptance
	// Notice14For and Notice1For are the endsAt for which the 14-day and the 1-day expiry
	// notices went out: moving endsAt re-arms both.
	Notice14For time.Time
	Notice1For  time.Time
	// DueAt is when the scheduled job must next look at the license; zero when never.
	DueAt time.Time
	// Version counts the license's changes; every update is conditional on it.
	Version int
}

// Status returns the license's status at now: revoked, expired from EndsAt on, scheduled
// before StartsAt, active otherwise.
func (l License) Status(now time.Time) Status {
	switch {
	case !l.RevokedAt.IsZero():
		return Revoked
	case !l.EndsAt.IsZero() && !now.Before(l.EndsAt):
		return Expired
	case now.Before(l.StartsAt):
		return Scheduled
	}
	return Active
}

// HasSeats reports whether the license is limited to named seats.
func (l License) HasSeats() bool { return l.SeatLimit != nil }

// Holds reports whether userID holds one of the license's seats.
func (l License) Holds(userID string) bool {
	for _, u := range l.SeatHolders {
		if u == userID {
			return true
		}
	}
	return false
}

// Seat is one named seat of a license.
type Seat struct {
	LicenseID  string
	UserID     string
	Email      string
	AssignedAt time.Time
}

// TrialGuard is the item that keeps one trial per product per org, ever, with the
// acceptance it was started with. Its twin keyed by UserID, the accepting member, keeps one
// trial per product per user across all their orgs: orgs are free to make, so the org's
// guard alone would give a user a fresh trial with every new org.
type TrialGuard struct {
	OrgID     string
	UserID    string
	ProductID string
	LicenseID string
	Agreement Acceptance
}

// Limits on what one item or one transaction may hold.
const (
	// MaxSeatLimit bounds a license's seats: the license item carries its holders' ids and
	// must stay far below DynamoDB's 400 KB.
	MaxSeatLimit = 5000
	// MaxSeatsPerMember bounds the licenses one member holds seats on: removing the member
	// frees them all in the removal's transaction (two items each, of at most 100).
	MaxSeatsPerMember = 40
	// MaxNodeLimit is a sanity bound.
	MaxNodeLimit = 1_000_000
	// MaxTrialDays is a sanity bound on a catalog trial.
	MaxTrialDays = 366
)
