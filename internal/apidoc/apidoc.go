// Package apidoc is the API's OpenAPI document (openapi.yaml at the module root) as a checker:
// tests hold every answer a handler gives to the document (its status must be documented, its
// body must match the documented schema), and note which routes were seen answering with
// success, so that a route no test has shown working as documented is noticed. Local mode
// serves the same file. Only tests and local mode link this package, never a Lambda function.
package apidoc

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"mime"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
)

// FileName is the document's file at the module root.
const FileName = "openapi.yaml"

// Doc is a loaded, valid document.
type Doc struct {
	Spec *openapi3.T
	// Raw is the file as it is on disk, for serving.
	Raw []byte

	// anyMethod are the operations written under AnyMethodKey, by path.
	anyMethod map[string]*openapi3.Operation

	mu   sync.Mutex
	seen map[string]bool // "<METHOD> <path>" answered with a documented 2xx
}

// AnyMethodKey is where a path item writes its operation for every method (the route table's
// method "ANY", a catch-all), as API Gateway's OpenAPI export does: OpenAPI itself has no
// such method.
const AnyMethodKey = "x-amazon-apigateway-any-method"

// Load reads and validates the document at path.
func Load(path string) (*Doc, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	loader := openapi3.NewLoader()
	spec, err := loader.LoadFromData(raw)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if err := spec.Validate(context.Background(), openapi3.EnableMultiError()); err != nil {
		return nil, fmt.Errorf("%s is not a valid OpenAPI document: %w", path, err)
	}
	anyMethod, err := anyMethodOperations(spec)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &Doc{Spec: spec, Raw: raw, anyMethod: anyMethod, seen: map[string]bool{}}, nil
}

// anyMethodOperations decodes the operations written under AnyMethodKey. An extension is not
// resolved by the loader: its responses may only refer to the document's components.responses.
func anyMethodOperations(spec *openapi3.T) (map[string]*openapi3.Operation, error) {
	out := map[string]*openapi3.Operation{}
	for path, item := range spec.Paths.Map() {
		ext, ok := item.Extensions[AnyMethodKey]
		if !ok {
			continue
		}
		raw, err := json.Marshal(ext)
		if err != nil {
			return nil, err
		}
		op := &openapi3.Operation{}
		if err := json.Unmarshal(raw, op); err != nil {
			return nil, fmt.Errorf("%s %s: %w", AnyMethodKey, path, err)
		}
		if op.Responses == nil {
			return nil, fmt.Errorf("%s %s: no responses", AnyMethodKey, path)
		}
		for status, ref := range op.Responses.Map() {
			name, ok := strings.CutPrefix(ref.Ref, "#/components/responses/")
			if ref.Value == nil && ok && spec.Components.Responses[name] != nil {
				ref.Value = spec.Components.Responses[name].Value
			}
			if ref.Value == nil {
				return nil, fmt.Errorf("%s %s: response %s: only #/components/responses/… references are resolved", AnyMethodKey, path, status)
			}
		}
		out[path] = op
	}
	return out, nil
}

// LoadFromRoot loads the document of the module whose root is at or above the working
// directory.
func LoadFromRoot() (*Doc, error) {
	dir, err := os.Getwd()
	if err != nil {
		return nil, err
	}
	for {
		p := filepath.Join(dir, FileName)
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return Load(p)
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return nil, fmt.Errorf("no go.mod at or above the working directory")
		}
		dir = parent
	}
}

// Operation returns the documented operation of a route: method and the path template as the
// route table writes it.
func (d *Doc) Operation(method, path string) *openapi3.Operation {
	if strings.EqualFold(method, "ANY") {
		return d.anyMethod[path]
	}
	item := d.Spec.Paths.Value(path)
	if item == nil {
		return nil
	}
	return item.GetOperation(strings.ToUpper(method))
}

// Check holds one answer of a route to the document: the status must be documented for the
// operation, and a JSON body must match the documented schema of that status. A documented
// 2xx marks the route as seen working, and so does a documented redirect (3xx), the working
// answer of a route whose job is to send the browser on (an OAuth authorize endpoint), and a
// documented error of an operation that documents nothing else (a catch-all's 404). Method
// "ANY" is the operation under AnyMethodKey.
func (d *Doc) Check(method, path string, status int, contentType string, body []byte) error {
	op := d.Operation(method, path)
	if op == nil {
		return fmt.Errorf("%s %s is not in %s", method, path, FileName)
	}
	ref := op.Responses.Value(strconv.Itoa(status))
	if ref == nil {
		ref = op.Responses.Value(strconv.Itoa(status/100) + "XX")
	}
	if ref == nil || ref.Value == nil {
		return fmt.Errorf("%s %s answered %d, which %s does not document for it (documented: %s)", method, path, status, FileName, strings.Join(slices.Sorted(maps.Keys(op.Responses.Map())), ", "))
	}
	if err := checkBody(ref.Value, contentType, body); err != nil {
		return fmt.Errorf("%s %s answered %d with a body the document does not describe: %w", method, path, status, err)
	}
	if status >= 200 && status < 400 || status >= 400 && !documentsSuccess(op) {
		d.mu.Lock()
		d.seen[strings.ToUpper(method)+" "+path] = true
		d.mu.Unlock()
	}
	return nil
}

// documentsSuccess reports whether op documents a 2xx or 3xx answer. One that does not (a
// catch-all whose job is to answer 404) is seen working when it gives a documented error.
func documentsSuccess(op *openapi3.Operation) bool {
	for status := range op.Responses.Map() {
		if status[0] == '2' || status[0] == '3' {
			return true
		}
	}
	return false
}

func checkBody(resp *openapi3.Response, contentType string, body []byte) error {
	if len(resp.Content) == 0 {
		if len(bytes.TrimSpace(body)) > 0 {
			return fmt.Errorf("no content is documented, but the answer has a body")
		}
		return nil
	}
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return fmt.Errorf("content type %q: %v", contentType, err)
	}
	media := resp.Content.Get(mt)
	if media == nil {
		return fmt.Errorf("content type %s is not documented (documented: %s)", mt, strings.Join(slices.Sorted(maps.Keys(resp.Content)), ", "))
	}
	if media.Schema == nil || media.Schema.Value == nil || !strings.HasSuffix(mt, "json") {
		return nil
	}
	var v any
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return fmt.Errorf("not JSON: %v", err)
	}
	v = numbers(v)
	if err := media.Schema.Value.VisitJSON(v, openapi3.EnableJSONSchema2020(), openapi3.MultiErrors()); err != nil {
		return err
	}
	return nil
}

// numbers turns json.Numbers into float64, as the schema validator expects.
func numbers(v any) any {
	switch x := v.(type) {
	case json.Number:
		f, _ := x.Float64()
		return f
	case map[string]any:
		for k, e := range x {
			x[k] = numbers(e)
		}
	case []any:
		for i, e := range x {
			x[i] = numbers(e)
		}
	}
	return v
}

// Unseen lists the routes ("<METHOD> <path>") among routes that no Check saw answering with a
// documented success.
func (d *Doc) Unseen(routes []string) []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []string
	for _, r := range routes {
		if !d.seen[r] {
			out = append(out, r)
		}
	}
	return out
}
