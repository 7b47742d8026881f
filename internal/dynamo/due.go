package dynamo

import (
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
)

// The due index: what the scheduled job must look at (pending invites, licenses, outbox
// messages) carries sparse GSI3 keys, a day shard and the due time:
//
//	GSI3PK DUE#<what>#<yyyy-mm-dd>   the UTC date of the due time
//	GSI3SK <sortTime of due>#…
//
// so that the job Queries the shards of the days it reads, up to now, and nothing else.

// DueQuery reads what is due at or before now in the day shard pk.
func DueQuery(what, pk string, now time.Time) Query {
	return Query{
		What: "due " + what, Index: IndexGSI3,
		// Every due time at or before now sorts below SortTime(now)+"$".
		Key: KeyIs(AttrGSI3P, pk).And(expression.Key(AttrGSI3S).LessThan(expression.Value(SortTime(now) + "$"))),
	}
}

// UTCDay is the start of t's UTC date: the day whose shard holds what is due at t.
func UTCDay(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}
