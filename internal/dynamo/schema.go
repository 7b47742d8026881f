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
	attrPK    = "PK"
	attrSK    = "SK"
	attrGSI1P = "GSI1PK"
	attrGSI1S = "GSI1SK"
	attrGSI2P = "GSI2PK"
	attrGSI2S = "GSI2SK"
	attrGSI3P = "GSI3PK"
	attrGSI3S = "GSI3SK"
	attrTTL   = "ttl"
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
	PartitionKey: attrPK,
	SortKey:      attrSK,
	Indexes: []IndexSchema{
		{Name: IndexGSI1, PartitionKey: attrGSI1P, SortKey: attrGSI1S},
		{Name: IndexGSI2, PartitionKey: attrGSI2P, SortKey: attrGSI2S},
		{Name: IndexGSI3, PartitionKey: attrGSI3P, SortKey: attrGSI3S},
	},
	TTLAttribute: attrTTL,
	StreamView:   "NEW_AND_OLD_IMAGES",
}
