package dynamo

// TableSchema describes the single table: its key, its global secondary indexes, its TTL
// attribute and its stream. It is written once here and used by the CDK stack, by local mode and by the
// tests, so the three can never disagree.
type TableSchema struct {
	PartitionKey string
	SortKey      string
	Indexes      []IndexSchema
	// TTLAttribute holds an epoch-seconds number after which DynamoDB may delete the item.
	// It is garbage collection only: expiry is always decided from the item's own times.
	TTLAttribute string
	// StreamView is what the table's stream carries of each change (NEW_AND_OLD_IMAGES): the
	// stream processor reads new outbox messages and events from it.
	StreamView string
}

// IndexSchema is one global secondary index with string keys and all attributes projected.
type IndexSchema struct {
	Name         string
	PartitionKey string
	SortKey      string
}

// Key attribute names shared by every item.
const (
	AttrPK    = "PK"
	AttrSK    = "SK"
	AttrGSI1P = "GSI1PK"
	AttrGSI1S = "GSI1SK"
	AttrGSI2P = "GSI2PK"
	AttrGSI2S = "GSI2SK"
	AttrGSI3P = "GSI3PK"
	AttrGSI3S = "GSI3SK"
	AttrTTL   = "ttl"
)

// Index names.
const (
	IndexGSI1 = "GSI1"
	IndexGSI2 = "GSI2"
	IndexGSI3 = "GSI3"
)

// Schema is the table's definition. The indexes are generic: what each item puts in them is
// documented where the item is defined (items.go).
var Schema = TableSchema{
	PartitionKey: AttrPK,
	SortKey:      AttrSK,
	Indexes: []IndexSchema{
		{Name: IndexGSI1, PartitionKey: AttrGSI1P, SortKey: AttrGSI1S},
		{Name: IndexGSI2, PartitionKey: AttrGSI2P, SortKey: AttrGSI2S},
		{Name: IndexGSI3, PartitionKey: AttrGSI3P, SortKey: AttrGSI3S},
	},
	TTLAttribute: AttrTTL,
	StreamView:   "NEW_AND_OLD_IMAGES",
}
