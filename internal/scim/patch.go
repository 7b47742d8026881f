package scim

import (
	"encoding/json"
	"strings"

	filter "github.com/scim2/filter-parser/v2"
	"github.com/vendorportal/orgs/internal/apperr"
)

// PatchRequest is a PATCH body (RFC 7644 §3.5.2).
type PatchRequest struct {
	Schemas    []string    `json:"schemas"`
	Operations []Operation `json:"Operations"`
}

// Operation is one PATCH operation. Op is add, replace or remove in any case (Entra sends
// "Replace"); Path is optional for add and replace, whose Value is then an object of attributes.
type Operation struct {
	Op    string          `json:"op"`
	Path  string          `json:"path,omitempty"`
	Value json.RawMessage `json:"value,omitempty"`
}

// UserChange is what a PUT or PATCH changes of a user; nil fields stay as they are, "" clears.
type UserChange struct {
	Active     *bool
	GivenName  *string
	FamilyName *string
	Formatted  *string
	Display    *string
	ExternalID *string
	Phone      *string
	UserName   *string
}

func strPtr(s string) *string { return &s }

// ParseUserPatch turns a PATCH request into a change. Attributes the product keeps nothing of
// (title, the enterprise extension, ...) are ignored, as identity providers send many by
// default; a malformed operation is invalidValue or invalidPath.
func ParseUserPatch(req PatchRequest) (UserChange, error) {
	var ch UserChange
	if len(req.Operations) == 0 {
		return ch, Errorf(apperr.Invalid, "invalidValue", "Operations is required: at least one operation")
	}
	for _, op := range req.Operations {
		kind := strings.ToLower(op.Op)
		switch kind {
		case "add", "replace", "remove":
		default:
			return ch, Errorf(apperr.Invalid, "invalidValue", "op %q is not add, replace or remove", op.Op)
		}
		if op.Path == "" {
			if kind == "remove" {
				return ch, Errorf(apperr.Invalid, "noTarget", "remove needs a path")
			}
			var attrs map[string]json.RawMessage
			if err := json.Unmarshal(op.Value, &attrs); err != nil {
				return ch, Errorf(apperr.Invalid, "invalidValue", "without a path, value must be an object of attributes")
			}
			for name, v := range attrs {
				if err := ch.set(name, v, false); err != nil {
					return ch, err
				}
			}
			continue
		}
		if err := ch.set(op.Path, op.Value, kind == "remove"); err != nil {
			return ch, err
		}
	}
	return ch, nil
}

// set applies one attribute by its path; remove clears it.
func (ch *UserChange) set(path string, raw json.RawMessage, remove bool) error {
	p, err := filter.ParsePath([]byte(path))
	if err != nil {
		return Errorf(apperr.Invalid, "invalidPath", "path %q is not a valid SCIM path", path)
	}
	name := strings.ToLower(p.AttributePath.AttributeName)
	sub := strings.ToLower(p.AttributePath.SubAttributeName())
	if sub == "" {
		sub = strings.ToLower(p.SubAttributeName())
	}
	if uri := p.AttributePath.URI(); uri != "" && !strings.EqualFold(uri, SchemaUser) {
		return nil // an extension's attribute: nothing is kept of it
	}
	str := func() (*string, error) {
		if remove {
			return strPtr(""), nil
		}
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, Errorf(apperr.Invalid, "invalidValue", "%s must be a string", path)
		}
		return &s, nil
	}
	switch {
	case name == "active":
		if remove {
			return Errorf(apperr.Invalid, "mutability", "active can't be removed; set it to false")
		}
		b, err := boolValue(raw)
		if err != nil {
			return err
		}
		ch.Active = &b
	case name == "externalid":
		v, err := str()
		if err != nil {
			return err
		}
		ch.ExternalID = v
	case name == "displayname":
		v, err := str()
		if err != nil {
			return err
		}
		ch.Display = v
	case name == "username":
		v, err := str()
		if err != nil || remove {
			return Errorf(apperr.Invalid, "mutability", "userName is the sign-in address; it can't be removed")
		}
		ch.UserName = v
	case name == "name" && sub == "":
		if remove {
			ch.GivenName, ch.FamilyName, ch.Formatted = strPtr(""), strPtr(""), strPtr("")
			return nil
		}
		var n Name
		if err := json.Unmarshal(raw, &n); err != nil {
			return Errorf(apperr.Invalid, "invalidValue", "name must be an object")
		}
		ch.GivenName, ch.FamilyName, ch.Formatted = &n.GivenName, &n.FamilyName, &n.Formatted
	case name == "name":
		v, err := str()
		if err != nil {
			return err
		}
		switch sub {
		case "givenname":
			ch.GivenName = v
		case "familyname":
			ch.FamilyName = v
		case "formatted":
			ch.Formatted = v
		}
	case name == "phonenumbers":
		if remove {
			ch.Phone = strPtr("")
			return nil
		}
		if p.ValueExpression != nil || sub == "value" {
			v, err := str()
			if err != nil {
				return err
			}
			ch.Phone = v
			return nil
		}
		var vals []MultiValue
		if err := json.Unmarshal(raw, &vals); err != nil {
			return Errorf(apperr.Invalid, "invalidValue", "phoneNumbers must be a list of {value, type}")
		}
		ch.Phone = strPtr("")
		if len(vals) > 0 {
			ch.Phone = &vals[0].Value
		}
	case name == "emails":
		// The sign-in address is userName; an email that differs can't be taken from here.
		if remove {
			return nil
		}
		var v string
		if p.ValueExpression != nil || sub == "value" {
			if err := json.Unmarshal(raw, &v); err != nil {
				return Errorf(apperr.Invalid, "invalidValue", "%s must be a string", path)
			}
		} else {
			var vals []MultiValue
			if err := json.Unmarshal(raw, &vals); err != nil {
				return Errorf(apperr.Invalid, "invalidValue", "emails must be a list of {value, type, primary}")
			}
			if len(vals) > 0 {
				v = vals[0].Value
			}
		}
		if v != "" {
			ch.UserName = &v
		}
	}
	return nil
}

// boolValue reads a SCIM boolean: true/false, or the strings "True"/"False" Entra sends.
func boolValue(raw json.RawMessage) (bool, error) {
	var b bool
	if err := json.Unmarshal(raw, &b); err == nil {
		return b, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		switch strings.ToLower(strings.TrimSpace(s)) {
		case "true":
			return true, nil
		case "false":
			return false, nil
		}
	}
	return false, Errorf(apperr.Invalid, "invalidValue", "active must be true or false")
}

// GroupChange is what a PATCH of a group does to its members: user ids to add and remove, or,
// with Replace set, the whole list.
type GroupChange struct {
	Add     []string
	Remove  []string
	Replace bool
	Set     []string
	// DisplayName, when set, is a rename, which groups (the org's roles) don't take here.
	DisplayName *string
}

// ParseGroupPatch turns a group PATCH into a change of its members.
func ParseGroupPatch(req PatchRequest) (GroupChange, error) {
	var ch GroupChange
	if len(req.Operations) == 0 {
		return ch, Errorf(apperr.Invalid, "invalidValue", "Operations is required: at least one operation")
	}
	for _, op := range req.Operations {
		kind := strings.ToLower(op.Op)
		path := strings.TrimSpace(op.Path)
		if path == "" && kind != "remove" {
			var attrs map[string]json.RawMessage
			if err := json.Unmarshal(op.Value, &attrs); err != nil {
				return ch, Errorf(apperr.Invalid, "invalidValue", "without a path, value must be an object of attributes")
			}
			for name, v := range attrs {
				if err := ch.apply(kind, name, v); err != nil {
					return ch, err
				}
			}
			continue
		}
		if err := ch.apply(kind, path, op.Value); err != nil {
			return ch, err
		}
	}
	return ch, nil
}

func (ch *GroupChange) apply(kind, path string, raw json.RawMessage) error {
	p, err := filter.ParsePath([]byte(path))
	if err != nil {
		return Errorf(apperr.Invalid, "invalidPath", "path %q is not a valid SCIM path", path)
	}
	switch strings.ToLower(p.AttributePath.AttributeName) {
	case "displayname":
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return Errorf(apperr.Invalid, "invalidValue", "displayName must be a string")
		}
		ch.DisplayName = &s
		return nil
	case "members":
	default:
		return nil // externalId and the like: nothing is kept
	}
	var ids []string
	if p.ValueExpression != nil {
		// members[value eq "<id>"]
		ae, ok := p.ValueExpression.(*filter.AttributeExpression)
		v, isStr := "", false
		if ok {
			v, isStr = ae.CompareValue.(string)
		}
		if !ok || !isStr || !strings.EqualFold(ae.AttributePath.AttributeName, "value") || ae.Operator != filter.EQ {
			return Errorf(apperr.Invalid, "invalidFilter", "members[...] must be members[value eq \"<id>\"]")
		}
		ids = append(ids, v)
	} else if len(raw) > 0 && string(raw) != "null" {
		var vals []MultiValue
		if err := json.Unmarshal(raw, &vals); err != nil {
			var one MultiValue
			if err := json.Unmarshal(raw, &one); err != nil {
				return Errorf(apperr.Invalid, "invalidValue", "members must be a list of {value}")
			}
			vals = []MultiValue{one}
		}
		for _, v := range vals {
			ids = append(ids, v.Value)
		}
	}
	switch kind {
	case "add":
		ch.Add = append(ch.Add, ids...)
	case "remove":
		if p.ValueExpression == nil && len(ids) == 0 {
			// remove of "members" with no value: everyone
			ch.Replace, ch.Set = true, nil
			return nil
		}
		ch.Remove = append(ch.Remove, ids...)
	case "replace":
		ch.Replace, ch.Set = true, ids
	default:
		return Errorf(apperr.Invalid, "invalidValue", "op %q is not add, replace or remove", kind)
	}
	return nil
}
