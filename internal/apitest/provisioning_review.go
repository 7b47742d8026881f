package apitest

import (
	"fmt"
	"strings"

	"github.com/vendorportal/orgs/internal/httpapi/provisioningapi"
	"github.com/vendorportal/orgs/internal/orgs"
)

// WideCSV is an import of rows rows (addresses prefix0@example.com, ...), each with 50 string
// properties of 990 characters.
func (a *API) WideCSV(ada orgs.Caller, orgID, prefix string, rows int) []byte {
	a.T.Helper()
	var defs, cols []string
	for i := 0; i < 50; i++ {
		defs = append(defs, fmt.Sprintf(`{"key":"p%d","label":"P%d","type":"string","required":false}`, i, i))
		cols = append(cols, fmt.Sprintf("p%d", i))
	}
	if r := a.Do(provisioningapi.PutUserProperties, &ada, map[string]string{"orgId": orgID}, nil, `{"items":[`+strings.Join(defs, ",")+`]}`); r.Status != 200 {
		a.T.Fatalf("%d %s", r.Status, r.Body)
	}
	var b strings.Builder
	b.WriteString("email," + strings.Join(cols, ",") + "\n")
	v := strings.Repeat("x", 990)
	for i := 0; i < rows; i++ {
		fmt.Fprintf(&b, "%s%d@example.com", prefix, i)
		for range cols {
			b.WriteString("," + v)
		}
		b.WriteString("\n")
	}
	return []byte(b.String())
}
