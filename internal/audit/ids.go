package audit

import (
	"encoding/binary"
	"strings"
	"sync/atomic"
	"time"

	"github.com/oklog/ulid/v2"
)

// Event ids are lower-case ULIDs whose time part is the event's occurredAt, to the
// millisecond: Stamp makes it so. Ids therefore sort by time, and a time range is a range of
// ids, which is what lets the store answer a date filter with a key condition.

// idAlphabet is Crockford's base32 in lower case, in ascending order.
const idAlphabet = "0123456789abcdefghjkmnpqrstvwxyz"

const idLen = ulid.EncodedSize

// ValidID reports whether id has the form of an event id (a canonical lower-case ULID).
func ValidID(id string) bool {
	if len(id) != idLen || id[0] > '7' {
		return false
	}
	for i := 0; i < len(id); i++ {
		if strings.IndexByte(idAlphabet, id[i]) < 0 {
			return false
		}
	}
	return true
}

// idAt returns id with its time part replaced by at's millisecond, keeping its 80 random
// bits; an id that is not a ULID is returned as it is.
//
// The first 32 of the random bits are replaced by a counter of this process, so that events
// stamped with the same millisecond by one process (one request's bulk work, or a test's
// fixed clock) sort in the order they were stamped; 48 random bits keep ids of different
// processes apart.
func idAt(id string, at time.Time) string {
	u, err := ulid.ParseStrict(strings.ToUpper(id))
	if err != nil {
		return id
	}
	if err := u.SetTime(ulidMillis(at)); err != nil {
		return id
	}
	binary.BigEndian.PutUint32(u[6:10], stampSeq.Add(1))
	return strings.ToLower(u.String())
}

// stampSeq orders the ids this process stamps within one millisecond.
var stampSeq atomic.Uint32

// FirstIDAt returns the smallest event id of any event that occurred at or after t. Since
// occurredAt is kept to the millisecond, that is the id of t's next whole millisecond (t's
// own when t is whole) with zero randomness: an event occurred at or after t exactly when its
// id is not below FirstIDAt(t).
func FirstIDAt(t time.Time) string {
	ms := ulidMillis(t)
	if time.UnixMilli(int64(ms)).Before(t) {
		ms++
	}
	var u ulid.ULID
	if err := u.SetTime(min(ms, ulid.MaxTime())); err != nil {
		return strings.Repeat("0", idLen)
	}
	return strings.ToLower(u.String())
}

// ulidMillis is t in milliseconds since the epoch, clamped to what a ULID can hold.
func ulidMillis(t time.Time) uint64 {
	ms := t.UnixMilli()
	switch {
	case ms < 0:
		return 0
	case uint64(ms) > ulid.MaxTime():
		return ulid.MaxTime()
	}
	return uint64(ms)
}

// PrevID returns the greatest id-shaped string below id (ids all have the same length, so
// that is id minus one in base 32), and false when id is the smallest id of all.
func PrevID(id string) (string, bool) {
	b := []byte(id)
	for i := len(b) - 1; i >= 0; i-- {
		d := strings.IndexByte(idAlphabet, b[i])
		if d > 0 {
			b[i] = idAlphabet[d-1]
			return string(b), true
		}
		b[i] = idAlphabet[len(idAlphabet)-1]
	}
	return "", false
}

// MaxID is above every event id.
var MaxID = strings.Repeat(idAlphabet[len(idAlphabet)-1:], idLen)
