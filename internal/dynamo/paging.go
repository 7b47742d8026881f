package dynamo

import (
	"context"
	"encoding/json"
	"fmt"
	"iter"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/vendorportal/orgs/internal/apperr"
)

// A Query is one Query of the table or of one of its indexes, its key condition written with
// the expression builder: what every store reads a partition, or a range of one, with. The
// helpers below run it as one page from a client's cursor (QueryPage, PageAs), as every page
// (QueryPages, QueryEach, AllAs) or as a count (QueryCount).
type Query struct {
	// What names the read in errors ("query <What>: …").
	What string
	// Index is the index read; "" for the table.
	Index string
	Key   expression.KeyConditionBuilder
	// Filter, when set, drops items after they are read (they still count against Limit and
	// the 1 MB of a page).
	Filter expression.ConditionBuilder
	// Projection, when not empty, is the attributes read.
	Projection []string
	Consistent bool
	// Descending reads the sort key from the highest down.
	Descending bool
	// Limit is the most items one request reads; 0 for DynamoDB's 1 MB only.
	Limit int
}

// input is q as a QueryInput of the table, starting after start (nil for the beginning).
func (s *Store) input(q Query, start map[string]types.AttributeValue) (*dynamodb.QueryInput, error) {
	b := expression.NewBuilder().WithKeyCondition(q.Key)
	if q.Filter.IsSet() {
		b = b.WithFilter(q.Filter)
	}
	if len(q.Projection) > 0 {
		names := make([]expression.NameBuilder, len(q.Projection))
		for i, n := range q.Projection {
			names[i] = expression.Name(n)
		}
		b = b.WithProjection(expression.NamesList(names[0], names[1:]...))
	}
	expr, err := b.Build()
	if err != nil {
		return nil, fmt.Errorf("query %s: %w", q.What, err)
	}
	in := &dynamodb.QueryInput{
		TableName: aws.String(s.Table), KeyConditionExpression: expr.KeyCondition(),
		FilterExpression: expr.Filter(), ProjectionExpression: expr.Projection(),
		ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values(),
		ExclusiveStartKey: start,
	}
	if q.Index != "" {
		in.IndexName = aws.String(q.Index)
	}
	if q.Consistent {
		in.ConsistentRead = aws.Bool(true)
	}
	if q.Descending {
		in.ScanIndexForward = aws.Bool(false)
	}
	if q.Limit > 0 {
		in.Limit = aws.Int32(int32(q.Limit))
	}
	return in, nil
}

// QueryPage reads one page of q from the cursor after ("" for the first page) and returns its
// items and the cursor after them ("" when the query has no more). Cursors are EncodeKey's.
func (s *Store) QueryPage(ctx context.Context, q Query, after string) ([]map[string]types.AttributeValue, string, error) {
	start, err := DecodeKey(after)
	if err != nil {
		return nil, "", err
	}
	in, err := s.input(q, start)
	if err != nil {
		return nil, "", err
	}
	out, err := s.Client.Query(ctx, in)
	if err != nil {
		return nil, "", fmt.Errorf("query %s: %w", q.What, err)
	}
	next, err := EncodeKey(out.LastEvaluatedKey)
	return out.Items, next, err
}

// PageAs is QueryPage with each item decoded as an I and turned into a T by to.
func PageAs[I, T any](ctx context.Context, s *Store, q Query, after string, to func(I) T) ([]T, string, error) {
	items, next, err := s.QueryPage(ctx, q, after)
	if err != nil {
		return nil, "", err
	}
	out := make([]T, 0, len(items))
	for _, av := range items {
		var it I
		if err := attributevalue.UnmarshalMap(av, &it); err != nil {
			return nil, "", fmt.Errorf("decode %s: %w", q.What, err)
		}
		out = append(out, to(it))
	}
	return out, next, nil
}

// QueryPages reads q page by page, yielding each page's output (or the error that ended the
// reading); a consumer that breaks reads no further page.
func (s *Store) QueryPages(ctx context.Context, q Query) iter.Seq2[*dynamodb.QueryOutput, error] {
	return func(yield func(*dynamodb.QueryOutput, error) bool) {
		in, err := s.input(q, nil)
		if err != nil {
			yield(nil, err)
			return
		}
		p := dynamodb.NewQueryPaginator(s.Client, in)
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				yield(nil, fmt.Errorf("query %s: %w", q.What, err))
				return
			}
			if !yield(page, nil) {
				return
			}
		}
	}
}

// QueryEach calls fn with every item of every page of q, in order; fn's error ends the
// reading and is returned.
func (s *Store) QueryEach(ctx context.Context, q Query, fn func(map[string]types.AttributeValue) error) error {
	for page, err := range s.QueryPages(ctx, q) {
		if err != nil {
			return err
		}
		for _, av := range page.Items {
			if err := fn(av); err != nil {
				return err
			}
		}
	}
	return nil
}

// AllAs reads every page of q, each item decoded as an I and turned into a T by to; nil when
// there are none.
func AllAs[I, T any](ctx context.Context, s *Store, q Query, to func(I) T) ([]T, error) {
	var out []T
	err := s.QueryEach(ctx, q, func(av map[string]types.AttributeValue) error {
		var it I
		if err := attributevalue.UnmarshalMap(av, &it); err != nil {
			return fmt.Errorf("decode %s: %w", q.What, err)
		}
		out = append(out, to(it))
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// QueryCount counts the items of q, every page, reading none of them (Select COUNT).
func (s *Store) QueryCount(ctx context.Context, q Query) (int, error) {
	in, err := s.input(q, nil)
	if err != nil {
		return 0, err
	}
	in.Select = types.SelectCount
	p := dynamodb.NewQueryPaginator(s.Client, in)
	n := 0
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return 0, fmt.Errorf("count %s: %w", q.What, err)
		}
		n += int(page.Count)
	}
	return n, nil
}

// KeyIs is the key condition "the partition key named pk is v".
func KeyIs(pk, v string) expression.KeyConditionBuilder {
	return expression.Key(pk).Equal(expression.Value(v))
}

// KeyPrefix is the key condition "partition pk of the table, sort keys starting with prefix".
func KeyPrefix(pk, prefix string) expression.KeyConditionBuilder {
	return KeyIs(AttrPK, pk).And(expression.Key(AttrSK).BeginsWith(prefix))
}

// EncodeKey turns a LastEvaluatedKey (every key attribute of the table is a string) into the
// opaque position a paging.Request carries; "" for none.
func EncodeKey(k map[string]types.AttributeValue) (string, error) {
	if len(k) == 0 {
		return "", nil
	}
	m := make(map[string]string, len(k))
	for name, v := range k {
		s, ok := v.(*types.AttributeValueMemberS)
		if !ok {
			return "", fmt.Errorf("key attribute %s is not a string", name)
		}
		m[name] = s.Value
	}
	b, err := json.Marshal(m)
	return string(b), err
}

// DecodeKey is the inverse of EncodeKey; nil for "".
func DecodeKey(s string) (map[string]types.AttributeValue, error) {
	if s == "" {
		return nil, nil
	}
	var m map[string]string
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		return nil, apperr.New(apperr.Invalid, "cursor is not valid; start again from the first page")
	}
	k := make(map[string]types.AttributeValue, len(m))
	for name, v := range m {
		k[name] = &types.AttributeValueMemberS{Value: v}
	}
	return k, nil
}
