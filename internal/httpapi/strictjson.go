package httpapi

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"

	"github.com/vendorportal/orgs/internal/apperr"
)

// encoding/json matches object keys to fields case-insensitively and lets the last of two
// equal keys win, so {"role":"user","ROLE":"admin"} decodes as admin. checkKeys walks a body
// that decoded without error once more, against the type it decoded into: every key must be
// a field's exact name, and no object may hold a key twice, at any depth.

// valueTyper is implemented by wrappers with their own UnmarshalJSON (optional[T]) whose
// value is decoded into another type: the walk goes on with that type.
type valueTyper interface{ jsonValueType() reflect.Type }

var (
	unmarshalerType = reflect.TypeFor[json.Unmarshaler]()
	valueTyperType  = reflect.TypeFor[valueTyper]()
)

func checkKeys(body []byte, into any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	return walkValue(dec, reflect.TypeOf(into), "")
}

// walkValue reads one value from dec; t is the Go type it decodes into, nil when unknown
// (then only duplicates are checked).
func walkValue(dec *json.Decoder, t reflect.Type, path string) error {
	t = valueType(t)
	tok, err := dec.Token()
	if err != nil {
		return nil // the decoder already accepted the body; nothing more to check
	}
	switch tok {
	case json.Delim('{'):
		fields, elem := objectShape(t)
		seen := map[string]bool{}
		for dec.More() {
			kt, err := dec.Token()
			if err != nil {
				return nil
			}
			key, _ := kt.(string)
			name := path + key
			if seen[key] {
				return apperr.New(apperr.Invalid, "field %q is given twice", name)
			}
			seen[key] = true
			next := elem
			if fields != nil {
				ft, ok := fields[key]
				if !ok {
					return apperr.New(apperr.Invalid, "field %q is not accepted here (field names are case-sensitive)", name)
				}
				next = ft
			}
			if err := walkValue(dec, next, name+"."); err != nil {
				return err
			}
		}
		_, _ = dec.Token() // '}'
	case json.Delim('['):
		var elem reflect.Type
		if t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
			elem = t.Elem()
		}
		for i := 0; dec.More(); i++ {
			if err := walkValue(dec, elem, strings.TrimSuffix(path, ".")+"[]."); err != nil {
				return err
			}
		}
		_, _ = dec.Token() // ']'
	}
	return nil
}

// valueType strips pointers and optional wrappers; nil for a type with its own decoding.
func valueType(t reflect.Type) reflect.Type {
	for t != nil {
		switch {
		case t.Implements(valueTyperType):
			t = reflect.Zero(t).Interface().(valueTyper).jsonValueType()
		case reflect.PointerTo(t).Implements(valueTyperType):
			t = reflect.Zero(reflect.PointerTo(t)).Interface().(valueTyper).jsonValueType()
		case t.Kind() == reflect.Pointer:
			t = t.Elem()
		case t.Implements(unmarshalerType) || reflect.PointerTo(t).Implements(unmarshalerType):
			return nil
		default:
			return t
		}
	}
	return nil
}

// objectShape returns the exact key names of a struct with their types, or the element type
// of a map (any key); both nil when the type is unknown.
func objectShape(t reflect.Type) (map[string]reflect.Type, reflect.Type) {
	if t == nil {
		return nil, nil
	}
	switch t.Kind() {
	case reflect.Map:
		return nil, t.Elem()
	case reflect.Struct:
		fields := map[string]reflect.Type{}
		addFields(fields, t)
		return fields, nil
	}
	return nil, nil
}

// addFields names a struct's fields as encoding/json does: the tag's name, else the field's;
// "-" skips it; an untagged embedded struct's fields are promoted.
func addFields(fields map[string]reflect.Type, t reflect.Type) {
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			et := f.Type
			if et.Kind() == reflect.Pointer {
				et = et.Elem()
			}
			if et.Kind() == reflect.Struct {
				addFields(fields, et)
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		if _, dup := fields[name]; !dup {
			fields[name] = f.Type
		}
	}
}
