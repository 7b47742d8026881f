package httpapi

import (
	"bytes"
	"encoding/json"
	"reflect"
)

// Optional is a PATCH field: it tells a field that is absent (leave it) from one that is null
// (clear it) from one with a value.
type Optional[T any] struct {
	Set   bool
	Null  bool
	Value T
}

func (o *Optional[T]) UnmarshalJSON(b []byte) error {
	o.Set = true
	if bytes.Equal(bytes.TrimSpace(b), []byte("null")) {
		o.Null = true
		return nil
	}
	return json.Unmarshal(b, &o.Value)
}

// jsonValueType lets the strict key check (checkKeys) see the wrapped value's fields.
func (Optional[T]) jsonValueType() reflect.Type { return reflect.TypeFor[T]() }

// Ptr returns nil for an absent field, a pointer to the zero value for null, and a pointer
// to the value otherwise: the domain's "nil = unchanged, empty = cleared".
func (o Optional[T]) Ptr() *T {
	if !o.Set {
		return nil
	}
	v := o.Value
	return &v
}
