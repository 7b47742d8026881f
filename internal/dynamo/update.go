package dynamo

import (
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// The diff-based update that writes only what changed.

// UpdateDiff adds an update of the item whose key before holds, from before to after (two values
// of the same item type): only attributes that differ are written, each on condition that it
// still holds its before value, so a concurrent change to the same attribute cancels the
// transaction instead of being overwritten unseen. cond, if set, must hold as well. An update
// with no difference adds nothing and reports false.
func (t *Txn) UpdateDiff(before, after any, cond expression.ConditionBuilder, onFail error) bool {
	b, err1 := MarshalMap(before)
	a, err2 := MarshalMap(after)
	if err := errors.Join(err1, err2); err != nil {
		t.Err = errors.Join(t.Err, err)
		return false
	}
	var ub expression.UpdateBuilder
	changed := false
	conds := []expression.ConditionBuilder{expression.AttributeExists(expression.Name(AttrPK))}
	if cond.IsSet() {
		conds = append(conds, cond)
	}
	names := slices.Sorted(maps.Keys(a))
	for name := range b {
		if _, ok := a[name]; !ok {
			names = append(names, name)
		}
	}
	for _, name := range names {
		if name == AttrPK || name == AttrSK {
			continue
		}
		old, had := b[name]
		nu, has := a[name]
		if had && has && reflect.DeepEqual(old, nu) {
			continue
		}
		changed = true
		n := expression.Name(name)
		if has {
			ub = ub.Set(n, expression.Value(plain(nu)))
		} else {
			ub = ub.Remove(n)
		}
		if had {
			conds = append(conds, n.Equal(expression.Value(plain(old))))
		} else {
			conds = append(conds, expression.AttributeNotExists(n))
		}
	}
	if !changed {
		return false
	}
	t.Update(Key(b[AttrPK].(*types.AttributeValueMemberS).Value, b[AttrSK].(*types.AttributeValueMemberS).Value), ub, and(conds), onFail)
	return true
}

// and joins conditions; one condition is returned as it is.
func and(conds []expression.ConditionBuilder) expression.ConditionBuilder {
	switch len(conds) {
	case 0:
		return expression.ConditionBuilder{}
	case 1:
		return conds[0]
	}
	return expression.And(conds[0], conds[1], conds[2:]...)
}

// plain turns an attribute value back into the Go value expression.Value marshals again.
func plain(av types.AttributeValue) any {
	var v any
	if err := attributevalue.Unmarshal(av, &v); err != nil {
		panic(fmt.Sprintf("unmarshal attribute value: %v", err))
	}
	return v
}
