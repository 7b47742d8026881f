package stack_test

import (
	"slices"
	"testing"

	"github.com/vendorportal/orgs/internal/httpapi"
	"github.com/vendorportal/orgs/internal/iam"
	"github.com/vendorportal/orgs/internal/triggers"
)

// checkEnforcedStatements checks that every function's role allows exactly the statements
// that local mode and the tests enforce on its AWS calls (iam.Statements of its grant, package
// iam/enforce): the same statement ids, the same actions, on the same resources of the
// template. What the role allows beyond them is for the Lambda service, not the function's
// code: its logs (a policy of its own), its failure queue and X-Ray.
func checkEnforcedStatements(t *testing.T, tp tmpl, byName map[string]string, ids templateIDs, routes []*httpapi.Route) {
	var grants []iam.Grant
	for _, r := range routes {
		grants = append(grants, r.Grant())
	}
	for _, f := range triggers.Functions {
		grants = append(grants, f.Grant())
	}
	// The template's logical ids stand for the resources: the stream is an attribute of the
	// table.
	symbols := iam.Resources{Table: ids.table, Stream: ids.table, MailIdentity: ids.identity, UserPool: ids.pool, Keys: ids.keys, WebhookQueue: ids.webhookQueue}
	serviceSide := []string{"FailureQueue", "Tracing"}
	for _, g := range grants {
		fn := byName[g.Function]
		if fn == "" {
			t.Errorf("%s: no function", g.Function)
			continue
		}
		if len(g.Secrets) > 0 {
			continue // none deployed without their feature
		}
		want := iam.Statements(g, symbols)
		var got []map[string]any
		policies, _ := tp.props(refID(tp.props(fn)["Role"]))["Policies"].([]any)
		for _, pol := range policies {
			p := pol.(map[string]any)
			if p["PolicyName"] != "Function" {
				continue
			}
			for _, st := range statements(p["PolicyDocument"]) {
				if sid, _ := st["Sid"].(string); !slices.Contains(serviceSide, sid) {
					got = append(got, st)
				}
			}
		}
		if len(got) != len(want) {
			t.Errorf("%s: role allows %d statements, the checker %d: %v", g.Function, len(got), len(want), got)
			continue
		}
		for i, w := range want {
			st := got[i]
			actions := strs(st["Action"])
			wantActions := slices.Clone(w.Actions)
			slices.Sort(actions)
			slices.Sort(wantActions)
			if st["Sid"] != w.Sid || !slices.Equal(actions, wantActions) {
				t.Errorf("%s: role's statement %v %v; the checker's %s %v", g.Function, st["Sid"], actions, w.Sid, wantActions)
			}
			res, ok := st["Resource"].([]any)
			if !ok {
				res = []any{st["Resource"]}
			}
			if len(res) != len(w.Resources) {
				t.Errorf("%s: statement %s on %v; the checker's on %v", g.Function, w.Sid, res, w.Resources)
				continue
			}
			for j, id := range w.Resources {
				if !mentions(res[j], id) && !(w.Sid == iam.SidTable && j == 1 && mentions(res[j], ids.table)) {
					t.Errorf("%s: statement %s resource %d is %v; the checker's %s", g.Function, w.Sid, j, res[j], id)
				}
			}
		}
	}
}
