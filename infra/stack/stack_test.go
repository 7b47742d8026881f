package stack_test

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/vendorportal/orgs/infra/stack"
	"github.com/vendorportal/orgs/internal/app"
	"github.com/vendorportal/orgs/internal/dynamo"
	"github.com/vendorportal/orgs/internal/httpapi"
	"github.com/vendorportal/orgs/internal/httpapi/membersapi"
	"github.com/vendorportal/orgs/internal/httpapi/oidcapi"
	"github.com/vendorportal/orgs/internal/httpapi/tokensapi"
	"github.com/vendorportal/orgs/internal/provisioning/maildomains"
	"github.com/vendorportal/orgs/internal/routes"
	"github.com/vendorportal/orgs/internal/triggers"
)

// All tests of this package share one jsii node process (started on the first call), so
// keep every CDK test in this package.
//
// assertions.Template_FromStack rejects a template with a circular dependency between its
// resources (such as the user pool and a trigger that refers to it), which CloudFormation
// would only reject at deploy time; every synthesis here is checked for that.

// tmpl is the synthesized stack as generic JSON: the root template's resources and those of
// every nested stack in one map, each nested template's parameters replaced by the values
// the root passes in and each root reference to a nested stack's output by the output's
// value, so that a reference reads as if the whole stack were one template (a function's
// TABLE_NAME is {"Ref": <the table>} wherever the function is).
type tmpl struct {
	resources map[string]map[string]any
	// nestedIn maps the id of each resource of a nested stack to the root's logical id of
	// that nested stack (AWS::CloudFormation::Stack); root resources are absent.
	nestedIn map[string]string
	// counts are the resource counts of the templates, by the root's id of each nested
	// stack ("" for the root).
	counts map[string]int
	// outputs and params are the templates' output and parameter counts, keyed as counts.
	outputs, params map[string]int
}

// synthesized is a synthesis: the root template, the nested stacks' templates by the root's
// logical id of each, and the merged JSON.
type synthesized struct {
	root   assertions.Template
	nested map[string]assertions.Template
	tp     tmpl
	// stack is the root stack; outdir the cloud assembly's directory (its *.template.json).
	stack  awscdk.Stack
	outdir string
}

// all returns the root template and every nested one.
func (s synthesized) all() []assertions.Template {
	out := []assertions.Template{s.root}
	for _, id := range slices.Sorted(maps.Keys(s.nested)) {
		out = append(out, s.nested[id])
	}
	return out
}

// buildDir returns a temporary build directory with a dummy bootstrap per function.
func buildDir(t *testing.T) string {
	t.Helper()
	build := t.TempDir()
	for _, name := range stack.FunctionNames() {
		dir := filepath.Join(build, name)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "bootstrap"), []byte("dummy "+name), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	layer := filepath.Join(build, stack.MailDomainsLayer)
	if err := os.MkdirAll(layer, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(layer, maildomains.FileName), []byte("# dummy table\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return build
}

// synth synthesizes the stack against a temporary build directory holding a dummy
// bootstrap per function.
func synth(t *testing.T) synthesized {
	t.Helper()
	build := buildDir(t)
	outdir := t.TempDir()
	app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(outdir)})
	stack.AddChecks(app)
	start := time.Now()
	s := stack.NewOrgsStack(app, "Orgs", &stack.OrgsStackProps{
		BuildDir: build,
		AppURL:   "https://app.example.com/",
		MailFrom: "no-reply@example.com",
	})
	syn := load(t, s)
	t.Logf("synthesis of %d functions with cdk-nag: %s", len(stack.FunctionNames()), time.Since(start).Round(time.Millisecond))
	syn.outdir = outdir
	return syn
}

// load reads the templates of stack s and of each of its nested stacks.
// assertions.Template_FromStack checks each for circular dependencies; the root's check
// covers those across stacks too, since the root template holds the nested stacks as
// resources with the parameters they take.
func load(t *testing.T, s awscdk.Stack) synthesized {
	t.Helper()
	out := synthesized{root: assertions.Template_FromStack(s, nil), nested: map[string]assertions.Template{}, stack: s}
	root := toJSON(t, out.root)
	tp := tmpl{resources: map[string]map[string]any{}, nestedIn: map[string]string{}, counts: map[string]int{"": len(root.Resources)},
		outputs: map[string]int{"": len(root.Outputs)}, params: map[string]int{"": len(root.Parameters)}}
	outputs := map[string]map[string]any{}
	for _, c := range *s.Node().FindAll(constructs.ConstructOrder_PREORDER) {
		if !*awscdk.NestedStack_IsNestedStack(c) {
			continue
		}
		ns, ok := c.(awscdk.NestedStack)
		if !ok {
			t.Fatalf("nested stack %s is a %T", *c.Node().Path(), c)
		}
		id := *s.GetLogicalId(ns.NestedStackResource())
		template := assertions.Template_FromStack(ns, nil)
		out.nested[id] = template
		doc := toJSON(t, template)
		params, _ := root.Resources[id]["Properties"].(map[string]any)["Parameters"].(map[string]any)
		for p := range doc.Parameters {
			if _, ok := params[p]; !ok {
				t.Errorf("nested stack %s: parameter %s is not passed in", id, p)
			}
		}
		subst := func(v any) any {
			if m, ok := v.(map[string]any); ok && len(m) == 1 {
				if p, ok := m["Ref"].(string); ok {
					if val, ok := params[p]; ok {
						return val
					}
				}
			}
			return v
		}
		outputs[id] = map[string]any{}
		for name, o := range doc.Outputs {
			outputs[id][name] = walk(o["Value"], subst)
		}
		tp.counts[id], tp.outputs[id], tp.params[id] = len(doc.Resources), len(doc.Outputs), len(doc.Parameters)
		for rid, r := range doc.Resources {
			if _, dup := tp.resources[rid]; dup {
				t.Fatalf("logical id %s is used in two templates", rid)
			}
			tp.resources[rid] = walk(r, subst).(map[string]any)
			tp.nestedIn[rid] = id
		}
	}
	// The root's references to the nested stacks' outputs.
	fromNested := func(v any) any {
		if m, ok := v.(map[string]any); ok && len(m) == 1 {
			if ga, ok := m["Fn::GetAtt"].([]any); ok && len(ga) == 2 {
				id, _ := ga[0].(string)
				attr, _ := ga[1].(string)
				if name, ok := strings.CutPrefix(attr, "Outputs."); ok && outputs[id] != nil {
					val, ok := outputs[id][name]
					if !ok {
						t.Errorf("the root refers to output %s of nested stack %s, which it lacks", name, id)
					}
					return val
				}
			}
		}
		return v
	}
	for rid, r := range root.Resources {
		if _, dup := tp.resources[rid]; dup {
			t.Fatalf("logical id %s is used in two templates", rid)
		}
		tp.resources[rid] = walk(r, fromNested).(map[string]any)
	}
	out.tp = tp
	return out
}

// templateJSON is the part of a template the tests read.
type templateJSON struct {
	Parameters map[string]any
	Resources  map[string]map[string]any
	Outputs    map[string]map[string]any
}

func toJSON(t *testing.T, template assertions.Template) templateJSON {
	t.Helper()
	raw, err := json.Marshal(template.ToJSON())
	if err != nil {
		t.Fatal(err)
	}
	var doc templateJSON
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	return doc
}

// walk returns v with f applied to every value inside it, innermost first.
func walk(v any, f func(any) any) any {
	switch v := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(v))
		for k, e := range v {
			m[k] = walk(e, f)
		}
		return f(m)
	case []any:
		l := make([]any, len(v))
		for i, e := range v {
			l[i] = walk(e, f)
		}
		return f(l)
	}
	return f(v)
}

// functions maps function names to the logical ids of their functions, which the stack
// describes as "<name>: ...".
func (tp tmpl) functions(t *testing.T) map[string]string {
	t.Helper()
	byName := map[string]string{}
	for _, id := range tp.ofType("AWS::Lambda::Function") {
		desc, _ := tp.props(id)["Description"].(string)
		name, _, ok := strings.Cut(desc, ": ")
		if !ok {
			t.Errorf("function %s is described %q", id, desc)
			continue
		}
		if other, dup := byName[name]; dup {
			t.Errorf("functions %s and %s are both described as %s", other, id, name)
		}
		byName[name] = id
	}
	return byName
}

// envVars returns a function's environment variables.
func (tp tmpl) envVars(fn string) map[string]any {
	env, _ := tp.props(fn)["Environment"].(map[string]any)
	vars, _ := env["Variables"].(map[string]any)
	return vars
}

// ofType returns the logical ids of the resources of a type, sorted.
func (tp tmpl) ofType(typ string) []string {
	var ids []string
	for id, r := range tp.resources {
		if r["Type"] == typ {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids
}

// props returns a resource's Properties.
func (tp tmpl) props(id string) map[string]any {
	p, _ := tp.resources[id]["Properties"].(map[string]any)
	return p
}

// refID returns the logical id a {"Ref": id} or {"Fn::GetAtt": [id, attr]} points at.
func refID(v any) string {
	m, ok := v.(map[string]any)
	if !ok {
		return ""
	}
	if id, ok := m["Ref"].(string); ok {
		return id
	}
	if ga, ok := m["Fn::GetAtt"].([]any); ok && len(ga) > 0 {
		id, _ := ga[0].(string)
		return id
	}
	return ""
}

// strs returns a string or a list of strings as a list.
func strs(v any) []string {
	switch v := v.(type) {
	case string:
		return []string{v}
	case []any:
		var out []string
		for _, e := range v {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// mentions reports whether v refers to the logical id anywhere inside it.
func mentions(v any, id string) bool {
	b, _ := json.Marshal(v)
	return strings.Contains(string(b), `"Ref":"`+id+`"`) || strings.Contains(string(b), `"Fn::GetAtt":["`+id+`"`)
}

// statements returns the statements of a policy document.
func statements(doc any) []map[string]any {
	d, _ := doc.(map[string]any)
	list, _ := d["Statement"].([]any)
	var out []map[string]any
	for _, s := range list {
		if m, ok := s.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}

func TestOrgsStack(t *testing.T) {
	if len(routes.All()) == 0 {
		t.Fatal("routes.All is empty")
	}
	syn := synth(t)
	template, tp := syn.root, syn.tp
	routes := deployedRoutes(false)

	tables := tp.ofType("AWS::DynamoDB::Table")
	pools := tp.ofType("AWS::Cognito::UserPool")
	clients := tp.ofType("AWS::Cognito::UserPoolClient")
	identities := tp.ofType("AWS::SES::EmailIdentity")
	if len(tables) != 1 || len(pools) != 1 || len(clients) != 1 || len(identities) != 1 {
		t.Fatalf("want one table, user pool, client and SES identity; got %v %v %v %v", tables, pools, clients, identities)
	}
	table, pool, client, identity := tables[0], pools[0], clients[0], identities[0]

	byName := tp.functions(t)
	keys := keyIDs(t, tp)
	queues := failureQueues(tp)
	if len(queues) != 3 {
		t.Fatalf("failure queues %v; want three, the scheduled job's, the stream processor's and the webhook queue's dead letters", queues)
	}
	webhookQueue := tp.webhookQueue(t)
	jobQueue := ""
	for _, q := range queues {
		if strings.HasPrefix(q, strings.ReplaceAll(triggers.ScheduledJob.Name, "-", "")) {
			jobQueue = q
		}
	}
	ids := templateIDs{table: table, pool: pool, client: client, identity: identity, keys: keys, queue: jobQueue, webhookQueue: webhookQueue}

	t.Run("Functions", func(t *testing.T) {
		want := len(routes) + len(triggers.Functions)
		if n := len(tp.ofType("AWS::Lambda::Function")); n != want {
			t.Errorf("%d functions; want %d", n, want)
		}
		if len(byName) != want {
			t.Errorf("functions by name %v; want %d", byName, want)
		}
		for _, r := range routes {
			if byName[r.Name] == "" {
				t.Errorf("no function %s", r.Name)
			}
		}
		for _, r := range stack.RouteTable() {
			if r.Feature != "" && byName[r.Name] != "" {
				t.Errorf("function %s of feature %s is deployed without the feature's settings", r.Name, r.Feature)
			}
		}
		for _, tm := range syn.all() {
			tm.AllResourcesProperties(jsii.String("AWS::Lambda::Function"), map[string]any{
				"Runtime":       "provided.al2023",
				"Architectures": []string{"arm64"},
				"Handler":       "bootstrap",
				"MemorySize":    stack.FunctionMemoryMB,
			})
		}
		for name, id := range byName {
			want := stack.FunctionTimeoutSeconds
			switch name {
			case triggers.ScheduledJob.Name:
				want = stack.JobTimeoutSeconds
			case triggers.StreamProcessor.Name:
				want = stack.StreamTimeoutSeconds
			case triggers.WebhookDelivery.Name:
				want = triggers.DeliveryTimeoutSeconds
			}
			if got := tp.resources[id]["Properties"].(map[string]any)["Timeout"]; got != float64(want) {
				t.Errorf("function %s: timeout %v, want %d", name, got, want)
			}
			if _, traced := tp.props(id)["TracingConfig"]; traced {
				t.Errorf("function %s is traced with tracing off", name)
			}
		}
	})

	t.Run("EnvironmentHoldsOnlyWhatTheFunctionUses", func(t *testing.T) {
		checkEnvironments(t, tp, ids, byName, envWant{mailFrom: "no-reply@example.com"})
	})

	t.Run("PoolTriggersDoNotReferToThePool", func(t *testing.T) {
		for _, f := range []*triggers.Function{triggers.PostConfirmation, triggers.PostAuthentication} {
			id := byName[f.Name]
			role := refID(tp.props(id)["Role"])
			for _, r := range []string{id, role} {
				if mentions(tp.resources[r], pool) || mentions(tp.resources[r], client) {
					t.Errorf("the pool's trigger %s: %s refers to the user pool or its client", f.Name, r)
				}
			}
		}
	})

	t.Run("OneRolePerFunction", func(t *testing.T) {
		roles := tp.ofType("AWS::IAM::Role")
		if want := len(routes) + len(triggers.Functions); len(roles) != want {
			t.Errorf("%d roles for %d routes and %d triggers: %v", len(roles), len(routes), len(triggers.Functions), roles)
		}
		used := map[string]string{}
		for _, fn := range tp.ofType("AWS::Lambda::Function") {
			role := refID(tp.props(fn)["Role"])
			if tp.resources[role]["Type"] != "AWS::IAM::Role" {
				t.Errorf("function %s: role %q is not a role of the stack", fn, role)
			}
			if other, ok := used[role]; ok {
				t.Errorf("functions %s and %s share role %s", other, fn, role)
			}
			used[role] = fn
		}
		if n := len(tp.ofType("AWS::IAM::Policy")) + len(tp.ofType("AWS::IAM::ManagedPolicy")); n != 0 {
			t.Errorf("%d separate IAM policies; want only the roles' inline policies", n)
		}
	})

	t.Run("NoWildcardsOrManagedPolicies", func(t *testing.T) {
		for _, id := range tp.ofType("AWS::IAM::Role") {
			p := tp.props(id)
			if mp, ok := p["ManagedPolicyArns"]; ok {
				b, _ := json.Marshal(mp)
				if strings.Contains(string(b), "FullAccess") {
					t.Errorf("role %s has a FullAccess managed policy: %s", id, b)
				}
				t.Errorf("role %s has managed policies %s; want inline policies only", id, b)
			}
			policies, _ := p["Policies"].([]any)
			for _, pol := range policies {
				for _, st := range statements(pol.(map[string]any)["PolicyDocument"]) {
					for _, a := range strs(st["Action"]) {
						if strings.Contains(a, "*") {
							t.Errorf("role %s allows wildcard action %q", id, a)
						}
					}
					if st["Effect"] != "Allow" || st["NotAction"] != nil || st["NotResource"] != nil {
						t.Errorf("role %s: unexpected statement %v", id, st)
					}
				}
			}
		}
	})

	t.Run("RoutePolicies", func(t *testing.T) {
		// Route: API route key -> integration -> function -> role, all followed by reference.
		routeByKey := map[string]map[string]any{}
		for _, id := range tp.ofType("AWS::ApiGatewayV2::Route") {
			p := tp.props(id)
			routeByKey[p["RouteKey"].(string)] = p
		}
		for _, r := range routes {
			key := strings.ToUpper(r.Method) + " " + r.Path
			rt, ok := routeByKey[key]
			if !ok {
				t.Errorf("route %s: no API route %q", r.Name, key)
				continue
			}
			target, _ := rt["Target"].(map[string]any)
			integ := ""
			if join, ok := target["Fn::Join"].([]any); ok {
				parts, _ := join[1].([]any)
				for _, part := range parts {
					if id := refID(part); id != "" {
						integ = id
					}
				}
			}
			fn := refID(tp.props(integ)["IntegrationUri"])
			if tp.resources[fn]["Type"] != "AWS::Lambda::Function" {
				t.Errorf("route %s: integration %q does not target a function", r.Name, integ)
				continue
			}
			if fn != byName[r.Name] {
				t.Errorf("route %s is served by function %s described %q", r.Name, fn, tp.props(fn)["Description"])
			}
			checkFunctionPolicy(t, tp, ids, "route "+r.Name, fn, r.AllActions(), extras{keys: r.Keys})

			wantAuth := "NONE"
			if r.Auth == httpapi.JWT || r.Auth == httpapi.Operator {
				wantAuth = "JWT"
			}
			if rt["AuthorizationType"] != wantAuth {
				t.Errorf("route %s (%s): AuthorizationType %v, want %s", r.Name, r.Auth, rt["AuthorizationType"], wantAuth)
			}
			if (wantAuth == "JWT") != (rt["AuthorizerId"] != nil) {
				t.Errorf("route %s (%s): AuthorizerId %v", r.Name, r.Auth, rt["AuthorizerId"])
			}
		}
		if len(routeByKey) != len(routes) {
			t.Errorf("%d API routes for %d table routes", len(routeByKey), len(routes))
		}
	})

	t.Run("Triggers", func(t *testing.T) {
		kinds := map[triggers.Kind]int{}
		for _, f := range triggers.Functions {
			kinds[f.Kind]++
			fn := byName[f.Name]
			if fn == "" {
				t.Errorf("trigger %s: no function", f.Name)
				continue
			}
			checkFunctionPolicy(t, tp, ids, "trigger "+f.Name, fn, f.Actions, extras{failureQueue: f.Kind == triggers.KindSchedule, ownQueue: f.Kind == triggers.KindStream, keys: f.Keys})
			switch f.Kind {
			case triggers.KindSchedule:
				checkScheduled(t, tp, f.Name, fn, ids.queue)
			case triggers.KindStream:
				checkStream(t, tp, f.Name, fn, table)
			case triggers.KindQueue:
				checkDeliveryQueue(t, tp, f.Name, fn, webhookQueue)
			case triggers.KindPostConfirmation:
				lc, _ := tp.props(pool)["LambdaConfig"].(map[string]any)
				if got := lc["PostConfirmation"]; refID(got) != fn || !strings.Contains(string(must(json.Marshal(got))), `"Arn"`) {
					t.Errorf("user pool LambdaConfig.PostConfirmation = %v; want the ARN of %s (%s)", got, fn, f.Name)
				}
				checkInvokePermission(t, tp, f.Name, fn, "cognito-idp.amazonaws.com", pool)
			case triggers.KindPostAuthentication:
				lc, _ := tp.props(pool)["LambdaConfig"].(map[string]any)
				if got := lc["PostAuthentication"]; refID(got) != fn || !strings.Contains(string(must(json.Marshal(got))), `"Arn"`) {
					t.Errorf("user pool LambdaConfig.PostAuthentication = %v; want the ARN of %s (%s)", got, fn, f.Name)
				}
				checkInvokePermission(t, tp, f.Name, fn, "cognito-idp.amazonaws.com", pool)
			default:
				t.Errorf("trigger %s: unknown kind %q", f.Name, f.Kind)
			}
		}
		if kinds[triggers.KindSchedule] == 0 || kinds[triggers.KindPostConfirmation] != 1 {
			t.Errorf("trigger kinds %v; want a scheduled job and one post-confirmation trigger", kinds)
		}
		if n := len(tp.ofType("AWS::Events::Rule")); n != kinds[triggers.KindSchedule] {
			t.Errorf("%d EventBridge rules for %d scheduled functions", n, kinds[triggers.KindSchedule])
		}
	})

	t.Run("Keys", func(t *testing.T) {
		for purpose, secret := range keys {
			res := tp.resources[secret]
			if res["DeletionPolicy"] != "Retain" || res["UpdateReplacePolicy"] != "Retain" {
				t.Errorf("%s: DeletionPolicy %v UpdateReplacePolicy %v", purpose, res["DeletionPolicy"], res["UpdateReplacePolicy"])
			}
			gen, _ := tp.props(secret)["GenerateSecretString"].(map[string]any)
			if gen["PasswordLength"] != float64(64) || gen["ExcludePunctuation"] != true {
				t.Errorf("%s: GenerateSecretString %v; want 64 characters without punctuation", purpose, gen)
			}
			if _, named := tp.props(secret)["Name"]; named {
				t.Errorf("%s has a hard-coded name", purpose)
			}
			template.HasOutput(jsii.String(stack.OutputKeyARN(purpose)), map[string]any{"Value": map[string]any{"Ref": secret}})
		}
		// Principle 9, per purpose: no key's value is in a function's configuration; each
		// function gets the ARNs of its own keys (checkEnvironments) and may read those alone
		// (checkFunctionPolicy).
		users := map[string]int{}
		for name, id := range byName {
			vars := tp.envVars(id)
			for _, v := range []string{"APP_SECRET", "APP_SECRET_ARN"} {
				if _, ok := vars[v]; ok {
					t.Errorf("function %s: %s in its configuration", name, v)
				}
			}
			for purpose, env := range app.KeyEnv {
				if _, ok := vars[env]; ok {
					users[purpose]++
				}
			}
		}
		for _, purpose := range app.Keys() {
			if users[purpose] == 0 {
				t.Errorf("no function reads the %s", purpose)
			}
		}
		// Issue 21, finding 15: a paged list's role may read the cursor key and no other: its
		// function can seal cursors but derive no org token and open nothing sealed.
		readable := keysReadable(tp, byName[membersapi.ListMembers.Name], keys)
		if !slices.Equal(readable, []string{app.KeyCursors}) {
			t.Errorf("list-members' role may read the keys %v; want only the cursor key", readable)
		}
		if got := keysReadable(tp, byName[tokensapi.GetToken.Name], keys); !slices.Equal(got, []string{app.KeyTokens}) {
			t.Errorf("get-token's role may read the keys %v; want only the token key", got)
		}
	})

	t.Run("Authorizer", func(t *testing.T) {
		auths := tp.ofType("AWS::ApiGatewayV2::Authorizer")
		if len(auths) != 1 {
			t.Fatalf("authorizers %v; want one", auths)
		}
		p := tp.props(auths[0])
		jwt, _ := p["JwtConfiguration"].(map[string]any)
		aud, _ := jwt["Audience"].([]any)
		if p["AuthorizerType"] != "JWT" || len(aud) != 1 || refID(aud[0]) != client {
			t.Errorf("authorizer %v; want JWT with audience Ref %s (the app client)", p, client)
		}
		if !mentions(jwt["Issuer"], pool) {
			t.Errorf("issuer %v does not name the user pool", jwt["Issuer"])
		}
		for _, id := range tp.ofType("AWS::ApiGatewayV2::Route") {
			if a := refID(tp.props(id)["AuthorizerId"]); a != "" && a != auths[0] {
				t.Errorf("route %s uses authorizer %s", id, a)
			}
		}
	})

	t.Run("CORS", func(t *testing.T) {
		apis := tp.ofType("AWS::ApiGatewayV2::Api")
		if len(apis) != 1 {
			t.Fatalf("APIs %v", apis)
		}
		cors, _ := tp.props(apis[0])["CorsConfiguration"].(map[string]any)
		if got := strs(cors["AllowOrigins"]); !slices.Equal(got, []string{"https://app.example.com"}) {
			t.Errorf("AllowOrigins %v", got)
		}
		got := strs(cors["AllowHeaders"])
		slices.Sort(got)
		if !slices.Equal(got, []string{"Authorization", "Content-Type", "Idempotency-Key"}) {
			t.Errorf("AllowHeaders %v", got)
		}
		// Browser code reads when to try again, where a created thing is, a download's name.
		exposed := strs(cors["ExposeHeaders"])
		slices.Sort(exposed)
		if !slices.Equal(exposed, []string{"Content-Disposition", "Location", "Retry-After"}) {
			t.Errorf("ExposeHeaders %v; want Retry-After, Location and Content-Disposition", exposed)
		}
		methods := strs(cors["AllowMethods"])
		for _, r := range routes {
			if r.Method != httpapi.AnyMethod && !slices.Contains(methods, strings.ToUpper(r.Method)) {
				t.Errorf("AllowMethods %v lacks %s", methods, r.Method)
			}
		}
	})

	t.Run("Table", func(t *testing.T) {
		s := dynamo.Schema
		res := tp.resources[table]
		if res["DeletionPolicy"] != "Retain" || res["UpdateReplacePolicy"] != "Retain" {
			t.Errorf("table DeletionPolicy %v UpdateReplacePolicy %v", res["DeletionPolicy"], res["UpdateReplacePolicy"])
		}
		p := tp.props(table)
		if _, named := p["TableName"]; named {
			t.Error("table has a hard-coded name")
		}
		template.HasResourceProperties(jsii.String("AWS::DynamoDB::Table"), map[string]any{
			"BillingMode":                      "PAY_PER_REQUEST",
			"PointInTimeRecoverySpecification": map[string]any{"PointInTimeRecoveryEnabled": true},
			"TimeToLiveSpecification":          map[string]any{"AttributeName": s.TTLAttribute, "Enabled": true},
			"DeletionProtectionEnabled":        true,
			"StreamSpecification":              map[string]any{"StreamViewType": s.StreamView},
			"KeySchema": []any{
				map[string]any{"AttributeName": s.PartitionKey, "KeyType": "HASH"},
				map[string]any{"AttributeName": s.SortKey, "KeyType": "RANGE"},
			},
		})
		attrTypes := map[string]any{}
		for _, a := range p["AttributeDefinitions"].([]any) {
			m := a.(map[string]any)
			attrTypes[m["AttributeName"].(string)] = m["AttributeType"]
		}
		gsis := map[string]map[string]any{}
		for _, g := range p["GlobalSecondaryIndexes"].([]any) {
			m := g.(map[string]any)
			gsis[m["IndexName"].(string)] = m
		}
		if len(gsis) != len(s.Indexes) {
			t.Errorf("%d GSIs, schema has %d", len(gsis), len(s.Indexes))
		}
		for _, ix := range s.Indexes {
			g, ok := gsis[ix.Name]
			if !ok {
				t.Errorf("no GSI %s", ix.Name)
				continue
			}
			want := []any{map[string]any{"AttributeName": ix.PartitionKey, "KeyType": "HASH"}}
			if ix.SortKey != "" {
				want = append(want, map[string]any{"AttributeName": ix.SortKey, "KeyType": "RANGE"})
			}
			if got, _ := json.Marshal(g["KeySchema"]); string(got) != string(must(json.Marshal(want))) {
				t.Errorf("GSI %s key schema %s", ix.Name, got)
			}
			if proj, _ := g["Projection"].(map[string]any); proj["ProjectionType"] != "ALL" {
				t.Errorf("GSI %s projection %v", ix.Name, g["Projection"])
			}
			for _, k := range []string{ix.PartitionKey, ix.SortKey} {
				if k != "" && attrTypes[k] != "S" {
					t.Errorf("GSI %s key %s has type %v", ix.Name, k, attrTypes[k])
				}
			}
		}
	})

	t.Run("UserPool", func(t *testing.T) {
		res := tp.resources[pool]
		if res["DeletionPolicy"] != "Retain" {
			t.Errorf("user pool DeletionPolicy %v", res["DeletionPolicy"])
		}
		template.HasResourceProperties(jsii.String("AWS::Cognito::UserPool"), map[string]any{
			"MfaConfiguration":       "OPTIONAL",
			"EnabledMfas":            []string{"SOFTWARE_TOKEN_MFA"},
			"UsernameAttributes":     []string{"email"},
			"AutoVerifiedAttributes": []string{"email"},
			"AdminCreateUserConfig":  map[string]any{"AllowAdminCreateUserOnly": false},
			"AccountRecoverySetting": map[string]any{
				"RecoveryMechanisms": []any{map[string]any{"Name": "verified_email", "Priority": 1}},
			},
			"UserAttributeUpdateSettings": map[string]any{"AttributesRequireVerificationBeforeUpdate": []string{"email"}},
			"DeletionProtection":          "ACTIVE",
		})
		// The mark of the users provisioning makes, set at creation only: what lets a create
		// take over a user only when an earlier create left it.
		template.HasResourceProperties(jsii.String("AWS::Cognito::UserPool"), map[string]any{
			"Schema": assertions.Match_ArrayWith(&[]any{assertions.Match_ObjectLike(&map[string]any{"Name": "provisioned", "AttributeDataType": "String", "Mutable": false})}),
		})
		// The first deploy: Cognito sends its own mail (sign-up codes, password resets) from
		// its own sender, since the SES identity this deploy creates is not verified yet and
		// Cognito would refuse it (COGNITO_SES_EMAIL turns SES on for the second deploy,
		// TestOrgsStackOptions).
		ec, _ := tp.props(pool)["EmailConfiguration"].(map[string]any)
		if ec["EmailSendingAccount"] != "COGNITO_DEFAULT" || ec["SourceArn"] != nil || ec["From"] != nil {
			t.Errorf("user pool EmailConfiguration %v; want Cognito's own sender (COGNITO_DEFAULT) on the first deploy", ec)
		}
		if deps := strs(res["DependsOn"]); slices.Contains(deps, identity) {
			t.Errorf("user pool DependsOn %v: it needs no SES identity without COGNITO_SES_EMAIL", deps)
		}
		if _, sms := tp.props(pool)["SmsConfiguration"]; sms {
			t.Error("user pool has an SMS configuration")
		}
		template.HasResourceProperties(jsii.String("AWS::Cognito::UserPoolGroup"), map[string]any{
			"GroupName":  "operators",
			"UserPoolId": map[string]any{"Ref": pool},
		})
		cp := tp.props(client)
		if cp["GenerateSecret"] != false {
			t.Errorf("client GenerateSecret %v", cp["GenerateSecret"])
		}
		// A user may not change their address behind the product's back (UpdateUserAttributes
		// with their own access token): the app client can't write email; the product's
		// change flow sets it with an admin call once the new address is confirmed.
		writable := strs(cp["WriteAttributes"])
		if len(writable) == 0 || slices.Contains(writable, "email") || slices.Contains(writable, "email_verified") {
			t.Errorf("client WriteAttributes %v; want a list without email", writable)
		}
		flows := strs(cp["ExplicitAuthFlows"])
		slices.Sort(flows)
		if !slices.Equal(flows, []string{"ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_USER_PASSWORD_AUTH", "ALLOW_USER_SRP_AUTH"}) {
			t.Errorf("client auth flows %v", flows)
		}
		if got := strs(cp["SupportedIdentityProviders"]); !slices.Equal(got, []string{"COGNITO"}) {
			t.Errorf("client providers %v; want COGNITO only", got)
		}
		if n := len(tp.ofType("AWS::Cognito::UserPoolIdentityProvider")); n != 0 {
			t.Errorf("%d identity providers without Google configured", n)
		}
	})

	t.Run("Throttles", func(t *testing.T) {
		checkThrottles(t, tp, routes)
	})

	t.Run("Alarms", func(t *testing.T) {
		checkAlarms(t, tp, byName, queues, true)
		topics := tp.ofType("AWS::SNS::Topic")
		if len(topics) != 1 || len(tp.ofType("AWS::SNS::Subscription")) != 0 {
			t.Errorf("topics %v, subscriptions %v; want one topic and no subscription without AlarmEmail", topics, tp.ofType("AWS::SNS::Subscription"))
		}
		template.HasOutput(jsii.String(stack.OutputAlarmTopicARN), map[string]any{"Value": map[string]any{"Ref": topics[0]}})
	})

	t.Run("FailureQueue", func(t *testing.T) {
		p := tp.props(ids.queue)
		if p["MessageRetentionPeriod"] != float64(14*24*3600) || p["SqsManagedSseEnabled"] != true {
			t.Errorf("failure queue %v; want 14 days' retention and SSE", p)
		}
	})

	t.Run("Dashboard", func(t *testing.T) {
		checkDashboard(t, tp, byName, []string{ids.queue})
	})

	t.Run("AccessLog", func(t *testing.T) {
		checkAccessLog(t, tp, 0)
	})

	t.Run("LogGroupNames", func(t *testing.T) {
		checkLogGroupNames(t, tp, byName)
	})

	t.Run("DocumentedLimits", func(t *testing.T) {
		checkLimits(t, syn)
	})

	t.Run("Checkers", func(t *testing.T) {
		checkNag(t, syn)
		checkCfnLint(t, syn)
	})

	t.Run("NestedStacks", func(t *testing.T) {
		checkNesting(t, tp, byName, routes)
	})

	t.Run("ResourceBudget", func(t *testing.T) {
		checkBudget(t, tp, len(byName))
	})

	t.Run("PoliciesAreTheEnforcedStatements", func(t *testing.T) { checkEnforcedStatements(t, tp, byName, ids, routes) })

	t.Run("Outputs", func(t *testing.T) {
		for _, name := range []string{stack.OutputAPIURL, stack.OutputUserPoolID, stack.OutputClientID, stack.OutputTableName} {
			template.HasOutput(jsii.String(name), map[string]any{})
		}
	})
}

// templateIDs are the logical ids of the resources policies and environments refer to.
type templateIDs struct {
	table, pool, client, identity string
	// keys are the logical ids of the server's keys' secrets, by purpose.
	keys map[string]string
	// queue is the scheduled job's failure queue.
	queue string
	// webhookQueue is the webhook delivery queue, on which the sqs: actions apply.
	webhookQueue string
}

// extras are what a function's role may allow beyond its row's actions and its logging.
type extras struct {
	// failureQueue: sqs:SendMessage on the scheduled job's failure queue (ids.queue).
	failureQueue bool
	// ownQueue: sqs:SendMessage on a failure queue of the function's own (the stream
	// processor's on-failure queue, checked by checkStream).
	ownQueue bool
	// secrets: secretsmanager:GetSecretValue on exactly the secrets whose ARNs contain these.
	secrets []string
	// tracing: X-Ray's two write actions.
	tracing bool
	// keys: secretsmanager:GetSecretValue on exactly these keys' secrets (ids.keys).
	keys []string
	// retentionDays of the function's log group (0: the default).
	retentionDays int
}

// checkFunctionPolicy checks that function fn logs to its own log group with its retention,
// and that its role allows writing to that log group, exactly actions, each on its service's
// resources (the table and its indexes, the SES identity, the user pool), and exactly the
// extras.
func checkFunctionPolicy(t *testing.T, tp tmpl, ids templateIDs, what, fn string, actions []string, x extras) {
	t.Helper()
	role := refID(tp.props(fn)["Role"])
	lc, _ := tp.props(fn)["LoggingConfig"].(map[string]any)
	logGroup := refID(lc["LogGroup"])
	days := x.retentionDays
	if days == 0 {
		days = stack.DefaultLogRetentionDays
	}
	if tp.resources[logGroup]["Type"] != "AWS::Logs::LogGroup" || tp.props(logGroup)["RetentionInDays"] != float64(days) {
		t.Errorf("%s: function logs to %q, not a log group with %d days' retention (%v)", what, logGroup, days, tp.props(logGroup)["RetentionInDays"])
	}
	var queueOK, tracingOK bool
	var keysGot []string
	var secretsGot []string

	var got []string
	logsOK := false
	policies, _ := tp.props(role)["Policies"].([]any)
	for _, pol := range policies {
		for _, st := range statements(pol.(map[string]any)["PolicyDocument"]) {
			actions := strs(st["Action"])
			res := st["Resource"]
			switch st["Sid"] {
			case "Logs":
				slices.Sort(actions)
				logsOK = slices.Equal(actions, []string{"logs:CreateLogStream", "logs:PutLogEvents"}) && refID(res) == logGroup
				continue
			case "FailureQueue":
				if x.ownQueue {
					continue
				}
				queueOK = slices.Equal(actions, []string{"sqs:SendMessage"}) && refID(res) == ids.queue && ids.queue != ""
				if !x.failureQueue || !queueOK {
					t.Errorf("%s: unexpected failure queue statement %v", what, st)
				}
				continue
			case "Tracing":
				slices.Sort(actions)
				tracingOK = slices.Equal(actions, []string{"xray:PutTelemetryRecords", "xray:PutTraceSegments"})
				if !x.tracing || !tracingOK {
					t.Errorf("%s: unexpected tracing statement %v", what, st)
				}
				continue
			case "Keys":
				if !slices.Equal(actions, []string{"secretsmanager:GetSecretValue"}) {
					t.Errorf("%s: keys statement allows %v", what, actions)
				}
				list, ok := res.([]any)
				if !ok {
					list = []any{res}
				}
				for _, r := range list {
					keysGot = append(keysGot, purposeOf(ids.keys, refID(r)))
				}
				continue
			case "Secrets":
				if !slices.Equal(actions, []string{"secretsmanager:GetSecretValue"}) {
					t.Errorf("%s: secrets statement allows %v", what, actions)
				}
				list, ok := res.([]any)
				if !ok {
					list = []any{res}
				}
				for _, r := range list {
					secretsGot = append(secretsGot, string(must(json.Marshal(r))))
				}
				continue
			}
			if st["Sid"] == "Stream" || st["Sid"] == "StreamFailures" {
				continue // the stream processor's own, checked by checkStream
			}
			if st["Sid"] == "WebhookQueueConsumer" {
				continue // the delivery function's event source mapping's, checked by checkDeliveryQueue
			}
			for _, a := range actions {
				got = append(got, a)
				switch service, _, _ := strings.Cut(a, ":"); service {
				case "dynamodb":
					list, _ := res.([]any)
					if len(list) != 2 || refID(list[0]) != ids.table || !mentions(list[1], ids.table) || !strings.Contains(string(must(json.Marshal(list[1]))), "/index/*") {
						t.Errorf("%s: %s on %v; want the table and its indexes", what, a, res)
					}
				case "ses":
					if !mentions(res, ids.identity) {
						t.Errorf("%s: %s on %v; want the SES identity", what, a, res)
					}
				case "cognito-idp":
					if refID(res) != ids.pool {
						t.Errorf("%s: %s on %v; want the user pool", what, a, res)
					}
				case "sqs":
					if !mentions(res, ids.webhookQueue) || ids.webhookQueue == "" {
						t.Errorf("%s: %s on %v; want the webhook delivery queue", what, a, res)
					}
				default:
					t.Errorf("%s: unexpected action %s", what, a)
				}
			}
		}
	}
	if !logsOK {
		t.Errorf("%s: role %s lacks the logging statement on log group %s", what, role, logGroup)
	}
	if x.failureQueue && !queueOK {
		t.Errorf("%s: role %s may not send to its failure queue %s", what, role, ids.queue)
	}
	slices.Sort(keysGot)
	if wantKeys := slices.Sorted(slices.Values(x.keys)); !slices.Equal(keysGot, wantKeys) {
		t.Errorf("%s: role may read the keys %v; want exactly %v", what, keysGot, wantKeys)
	}
	if x.tracing && !tracingOK {
		t.Errorf("%s: role %s may not write X-Ray traces", what, role)
	}
	if len(secretsGot) != len(x.secrets) {
		t.Errorf("%s: role reads secrets %v; want %v", what, secretsGot, x.secrets)
	} else {
		for i, want := range x.secrets {
			if !strings.Contains(secretsGot[i], want) {
				t.Errorf("%s: role reads secret %s; want %s", what, secretsGot[i], want)
			}
		}
	}
	want := slices.Clone(actions)
	slices.Sort(want)
	want = slices.Compact(want)
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("%s: role allows %v; want exactly %v", what, got, want)
	}
}

// checkStream checks that an event source mapping feeds function fn from the table's stream
// with batch item failures, bisection, bounded retries and record age and an SQS on-failure
// queue, and that fn's role may read that stream and send to that queue, and nothing more.
func checkStream(t *testing.T, tp tmpl, name, fn, table string) {
	t.Helper()
	var mappings []string
	queue := ""
	for _, id := range tp.ofType("AWS::Lambda::EventSourceMapping") {
		p := tp.props(id)
		if refID(p["FunctionName"]) != fn {
			continue
		}
		mappings = append(mappings, id)
		if !mentions(p["EventSourceArn"], table) || !strings.Contains(string(must(json.Marshal(p["EventSourceArn"]))), "StreamArn") {
			t.Errorf("trigger %s: mapping reads %v; want the table's stream", name, p["EventSourceArn"])
		}
		if !slices.Equal(strs(p["FunctionResponseTypes"]), []string{"ReportBatchItemFailures"}) || p["BisectBatchOnFunctionError"] != true {
			t.Errorf("trigger %s: mapping %v / bisect %v; want ReportBatchItemFailures and bisect on error", name, p["FunctionResponseTypes"], p["BisectBatchOnFunctionError"])
		}
		if p["MaximumRetryAttempts"] != float64(stack.StreamRetryAttempts) || p["MaximumRecordAgeInSeconds"] != float64(stack.StreamMaxRecordAgeHours*3600) {
			t.Errorf("trigger %s: retries %v, record age %v", name, p["MaximumRetryAttempts"], p["MaximumRecordAgeInSeconds"])
		}
		dc, _ := p["DestinationConfig"].(map[string]any)
		of, _ := dc["OnFailure"].(map[string]any)
		queue = refID(of["Destination"])
		if tp.resources[queue]["Type"] != "AWS::SQS::Queue" {
			t.Errorf("trigger %s: on-failure destination %v is not a queue of the stack", name, of["Destination"])
		}
	}
	if len(mappings) != 1 {
		t.Fatalf("trigger %s: %d event source mappings, want 1", name, len(mappings))
	}
	role := refID(tp.props(fn)["Role"])
	var streamActions, queueActions []string
	policies, _ := tp.props(role)["Policies"].([]any)
	for _, pol := range policies {
		for _, st := range statements(pol.(map[string]any)["PolicyDocument"]) {
			switch st["Sid"] {
			case "Stream":
				streamActions = strs(st["Action"])
				if !strings.Contains(string(must(json.Marshal(st["Resource"]))), "StreamArn") {
					t.Errorf("trigger %s: stream actions on %v; want the table's stream only", name, st["Resource"])
				}
			case "FailureQueue":
				queueActions = strs(st["Action"])
				if !mentions(st["Resource"], queue) {
					t.Errorf("trigger %s: queue actions on %v; want its on-failure queue", name, st["Resource"])
				}
			}
		}
	}
	slices.Sort(streamActions)
	if !slices.Equal(streamActions, []string{"dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator", "dynamodb:ListStreams"}) ||
		!slices.Equal(queueActions, []string{"sqs:SendMessage"}) {
		t.Errorf("trigger %s: stream actions %v, queue actions %v", name, streamActions, queueActions)
	}
}

// failureQueues are the stack's queues but the webhook delivery queue (a work queue): each is
// alarmed and shown on the dashboard.
func failureQueues(tp tmpl) []string {
	return slices.DeleteFunc(tp.ofType("AWS::SQS::Queue"), func(id string) bool {
		return strings.HasPrefix(id, stack.WebhookQueueID) && !strings.HasPrefix(id, stack.WebhookQueueID+"Failures")
	})
}

// webhookQueue is the webhook delivery queue's logical id.
func (tp tmpl) webhookQueue(t *testing.T) string {
	t.Helper()
	all := tp.ofType("AWS::SQS::Queue")
	work := slices.DeleteFunc(slices.Clone(all), func(id string) bool { return slices.Contains(failureQueues(tp), id) })
	if len(work) != 1 {
		t.Fatalf("work queues %v; want the webhook delivery queue alone", work)
	}
	return work[0]
}

// checkDeliveryQueue checks that the webhook delivery queue is FIFO, hides a job longer than
// an invocation lasts, sends a job received too often to a FIFO dead-letter queue, and that
// an event source mapping feeds function fn from it one job at a time with batch item
// failures; fn's role may take jobs from that queue and nothing more beyond its row.
func checkDeliveryQueue(t *testing.T, tp tmpl, name, fn, queue string) {
	t.Helper()
	q := tp.props(queue)
	rp, _ := q["RedrivePolicy"].(map[string]any)
	dead := refID(rp["deadLetterTargetArn"])
	if q["FifoQueue"] != true || q["VisibilityTimeout"] != float64(triggers.DeliveryVisibilitySeconds) ||
		triggers.DeliveryVisibilitySeconds <= triggers.DeliveryTimeoutSeconds || rp["maxReceiveCount"] != float64(triggers.DeliveryMaxReceives) ||
		tp.props(dead)["FifoQueue"] != true {
		t.Errorf("trigger %s: queue %v; want FIFO, visibility %d s, dead letters to a FIFO queue after %d receives", name, q, triggers.DeliveryVisibilitySeconds, triggers.DeliveryMaxReceives)
	}
	var mappings int
	for _, id := range tp.ofType("AWS::Lambda::EventSourceMapping") {
		p := tp.props(id)
		if refID(p["FunctionName"]) != fn {
			continue
		}
		mappings++
		if !mentions(p["EventSourceArn"], queue) || p["BatchSize"] != float64(triggers.DeliveryBatchSize) ||
			!slices.Equal(strs(p["FunctionResponseTypes"]), []string{"ReportBatchItemFailures"}) {
			t.Errorf("trigger %s: mapping %v; want the delivery queue, batch size %d, ReportBatchItemFailures", name, p, triggers.DeliveryBatchSize)
		}
	}
	if mappings != 1 {
		t.Errorf("trigger %s: %d event source mappings, want 1", name, mappings)
	}
	var consumer []string
	policies, _ := tp.props(refID(tp.props(fn)["Role"]))["Policies"].([]any)
	for _, pol := range policies {
		for _, st := range statements(pol.(map[string]any)["PolicyDocument"]) {
			if st["Sid"] == "WebhookQueueConsumer" {
				consumer = strs(st["Action"])
				if !mentions(st["Resource"], queue) {
					t.Errorf("trigger %s: consumer actions on %v; want the delivery queue", name, st["Resource"])
				}
			}
		}
	}
	slices.Sort(consumer)
	if !slices.Equal(consumer, []string{"sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ReceiveMessage"}) {
		t.Errorf("trigger %s: consumer actions %v", name, consumer)
	}
}

// checkScheduled checks that an enabled EventBridge rule runs function fn every five minutes,
// with Lambda's own retries of the asynchronous invocation off.
func checkScheduled(t *testing.T, tp tmpl, name, fn, queue string) {
	t.Helper()
	rate := fmt.Sprintf("rate(%d minutes)", stack.ScheduleRateMinutes)
	var rules []string
	for _, id := range tp.ofType("AWS::Events::Rule") {
		p := tp.props(id)
		targets, _ := p["Targets"].([]any)
		for _, tg := range targets {
			tgt, _ := tg.(map[string]any)
			if refID(tgt["Arn"]) != fn {
				continue
			}
			rules = append(rules, id)
			if p["ScheduleExpression"] != rate || p["State"] != "ENABLED" {
				t.Errorf("trigger %s: rule %s has schedule %v, state %v; want %s, ENABLED", name, id, p["ScheduleExpression"], p["State"], rate)
			}
			if rp, _ := tgt["RetryPolicy"].(map[string]any); rp == nil || rp["MaximumRetryAttempts"].(float64) > 2 {
				t.Errorf("trigger %s: rule %s target retry policy %v; want at most 2 attempts", name, id, tgt["RetryPolicy"])
			}
			if dl, _ := tgt["DeadLetterConfig"].(map[string]any); refID(dl["Arn"]) != queue {
				t.Errorf("trigger %s: rule %s target dead letters go to %v; want the failure queue %s", name, id, tgt["DeadLetterConfig"], queue)
			}
		}
	}
	if len(rules) != 1 {
		t.Errorf("trigger %s: targeted by rules %v; want one", name, rules)
		return
	}
	checkInvokePermission(t, tp, name, fn, "events.amazonaws.com", rules[0])

	configs := 0
	for _, id := range tp.ofType("AWS::Lambda::EventInvokeConfig") {
		p := tp.props(id)
		if refID(p["FunctionName"]) == fn {
			configs++
			if p["MaximumRetryAttempts"] != float64(0) {
				t.Errorf("trigger %s: asynchronous invocation retries %v; want 0 (the next run is the retry)", name, p["MaximumRetryAttempts"])
			}
			dc, _ := p["DestinationConfig"].(map[string]any)
			onFailure, _ := dc["OnFailure"].(map[string]any)
			if refID(onFailure["Destination"]) != queue {
				t.Errorf("trigger %s: failed runs go to %v; want the failure queue %s", name, p["DestinationConfig"], queue)
			}
		}
	}
	if configs != 1 {
		t.Errorf("trigger %s: %d event invoke configs; want one", name, configs)
	}
}

// checkInvokePermission checks that principal may invoke function fn, as source.
func checkInvokePermission(t *testing.T, tp tmpl, name, fn, principal, source string) {
	t.Helper()
	for _, id := range tp.ofType("AWS::Lambda::Permission") {
		p := tp.props(id)
		if refID(p["FunctionName"]) == fn && p["Principal"] == principal && p["Action"] == "lambda:InvokeFunction" && mentions(p["SourceArn"], source) {
			return
		}
	}
	t.Errorf("%s: no permission for %s to invoke function %s as %s", name, principal, fn, source)
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// withTriggers replaces triggers.Functions for the rest of the test; change returns the copy
// of a function that is used instead of it.
func withTriggers(t *testing.T, change func(f triggers.Function) triggers.Function) {
	t.Helper()
	saved := triggers.Functions
	t.Cleanup(func() { triggers.Functions = saved })
	var fns []*triggers.Function
	for _, f := range saved {
		c := change(*f)
		c.Actions = slices.Clone(c.Actions)
		fns = append(fns, &c)
	}
	triggers.Functions = fns
}

// TestPostConfirmationPoolActions: a post-confirmation trigger asking for user pool actions
// fails the synthesis with a clear message (the pool depends on its trigger).
func TestPostConfirmationPoolActions(t *testing.T) {
	withTriggers(t, func(f triggers.Function) triggers.Function {
		if f.Kind == triggers.KindPostConfirmation {
			f.Actions = append(slices.Clone(f.Actions), "cognito-idp:AdminAddUserToGroup")
		}
		return f
	})
	defer func() {
		msg, _ := recover().(string)
		if !strings.Contains(msg, triggers.PostConfirmation.Name) || !strings.Contains(msg, "cognito-idp:AdminAddUserToGroup") || !strings.Contains(msg, "circular") {
			t.Errorf("panic %q; want one naming the function, the action and the circular dependency", msg)
		}
	}()
	// The check comes before anything is defined, so no app is needed.
	stack.NewOrgsStack(nil, "Orgs", &stack.OrgsStackProps{BuildDir: "build", AppURL: "https://app.example.com", MailFrom: "no-reply@example.com"})
	t.Error("no panic")
}

// TestOrgsStackOptions synthesizes the optional parts: Google, Microsoft Entra ID and GitHub
// federation with the hosted-UI domain, extra CORS origins, a domain SES identity, an alarm
// email, a longer log retention, X-Ray tracing. Its triggers also send email, the scheduled
// job acts on the user pool, and a second scheduled function is the stream processor (which
// the outbox capability adds): it gets its own failure queue, alarmed like the first, and
// its iterator age alarmed.
func TestOrgsStackOptions(t *testing.T) {
	withTriggers(t, func(f triggers.Function) triggers.Function {
		f.Actions = append(slices.Clone(f.Actions), "ses:SendEmail")
		if f.Kind == triggers.KindSchedule {
			f.Actions = append(f.Actions, "cognito-idp:AdminGetUser")
		}
		return f
	})

	build := buildDir(t)
	outdir := t.TempDir()
	app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(outdir)})
	stack.AddChecks(app)
	s := stack.NewOrgsStack(app, "Orgs", &stack.OrgsStackProps{
		BuildDir:               build,
		AppURL:                 "https://app.example.com",
		AllowedOrigins:         []string{"https://app.example.com", "https://admin.example.com"},
		MailFrom:               "no-reply@mail.example.com",
		MailFromDomainIdentity: true,
		CognitoSESEmail:        true,
		APIURL:                 "https://api.example.com/",
		GoogleClientID:         "google-client-id",
		GoogleClientSecret:     awscdk.SecretValue_SecretsManager(jsii.String("orgs/google-client-secret"), nil),
		AuthDomainPrefix:       "orgs-test",
		EntraTenantID:          "11111111-2222-3333-4444-555555555555",
		EntraClientID:          "entra-client-id",
		EntraClientSecret:      awscdk.SecretValue_SecretsManager(jsii.String("orgs/entra-client-secret"), nil),
		GitHubClientID:         "Iv1.github-client",
		GitHubClientSecret:     awscdk.SecretValue_SecretsManager(jsii.String("orgs/github-client-secret"), nil),
		GitHubKeySecret:        "orgs/github-oidc-keys",
		AlarmEmail:             "ops@example.com",
		LogRetentionDays:       90,
		Tracing:                true,
	})
	syn := load(t, s)
	syn.outdir = outdir
	template, tp := syn.root, syn.tp
	checkNag(t, syn)
	checkCfnLint(t, syn)

	template.HasResourceProperties(jsii.String("AWS::SES::EmailIdentity"), map[string]any{
		"EmailIdentity": "mail.example.com",
	})
	template.HasResourceProperties(jsii.String("AWS::Cognito::UserPool"), map[string]any{
		"EmailConfiguration": map[string]any{"EmailSendingAccount": "DEVELOPER", "From": "no-reply@mail.example.com"},
	})
	pool := tp.ofType("AWS::Cognito::UserPool")[0]
	if arn := string(must(json.Marshal(tp.props(pool)["EmailConfiguration"].(map[string]any)["SourceArn"]))); !strings.Contains(arn, ":identity/mail.example.com") {
		t.Errorf("Cognito sends through SES identity %s; want the domain", arn)
	}
	if deps := strs(tp.resources[pool]["DependsOn"]); !slices.Contains(deps, tp.ofType("AWS::SES::EmailIdentity")[0]) {
		t.Errorf("user pool DependsOn %v; with COGNITO_SES_EMAIL it waits for the SES identity", deps)
	}

	// The three providers, each mapping email and email_verified.
	providers := map[string]map[string]any{}
	for _, id := range tp.ofType("AWS::Cognito::UserPoolIdentityProvider") {
		providers[tp.props(id)["ProviderName"].(string)] = tp.props(id)
	}
	if len(providers) != 3 {
		t.Fatalf("identity providers %v; want Google, Microsoft and GitHub", slices.Sorted(maps.Keys(providers)))
	}
	for name, wantType := range map[string]string{stack.ProviderGoogle: "Google", stack.ProviderMicrosoft: "OIDC", stack.ProviderGitHub: "OIDC"} {
		p := providers[name]
		if p["ProviderType"] != wantType {
			t.Errorf("provider %s: type %v; want %s", name, p["ProviderType"], wantType)
		}
		am, _ := p["AttributeMapping"].(map[string]any)
		if am["email"] == nil || am["email_verified"] == nil {
			t.Errorf("provider %s maps %v; want email and email_verified", name, am)
		}
	}
	ms := providers[stack.ProviderMicrosoft]["ProviderDetails"].(map[string]any)
	if ms["oidc_issuer"] != "https://login.microsoftonline.com/11111111-2222-3333-4444-555555555555/v2.0" || ms["client_id"] != "entra-client-id" ||
		!strings.Contains(string(must(json.Marshal(ms["client_secret"]))), "{{resolve:secretsmanager:orgs/entra-client-secret") {
		t.Errorf("Microsoft provider details %v", ms)
	}
	if am := providers[stack.ProviderMicrosoft]["AttributeMapping"].(map[string]any); am["email_verified"] != "xms_edov" {
		t.Errorf("Microsoft email_verified maps from %v; want xms_edov (Entra ID has no email_verified)", am["email_verified"])
	}
	gh := providers[stack.ProviderGitHub]["ProviderDetails"].(map[string]any)
	ghRaw := string(must(json.Marshal(gh)))
	if gh["client_id"] != "Iv1.github-client" || !strings.Contains(ghRaw, "{{resolve:secretsmanager:orgs/github-client-secret") ||
		!strings.Contains(ghRaw, "/oidc/github/authorize") || !strings.Contains(ghRaw, "/oidc/github/token") ||
		!strings.Contains(ghRaw, "/oidc/github/userinfo") || !strings.Contains(ghRaw, "/oidc/github/jwks") || gh["attributes_request_method"] != "GET" {
		t.Errorf("GitHub provider details %s", ghRaw)
	}
	if am := providers[stack.ProviderGitHub]["AttributeMapping"].(map[string]any); am["email_verified"] != "email_verified" || am["email"] != "email" {
		t.Errorf("GitHub attribute mapping %v", am)
	}
	template.ResourceCountIs(jsii.String("AWS::Cognito::UserPoolDomain"), jsii.Number(1))
	client, federated := checkClients(t, tp, providers)

	template.HasResourceProperties(jsii.String("AWS::ApiGatewayV2::Api"), map[string]any{
		"CorsConfiguration": map[string]any{
			"AllowOrigins": []string{"https://app.example.com", "https://admin.example.com"},
		},
	})
	for _, id := range tp.ofType("AWS::Lambda::Function") {
		if _, ok := tp.envVars(id)["ALLOWED_ORIGINS"]; ok {
			t.Errorf("function %s has ALLOWED_ORIGINS: the HTTP API answers CORS, the functions don't", id)
		}
	}
	template.HasOutput(jsii.String("DkimRecord1"), map[string]any{})
	// Client secrets are deploy-time references, never the secrets themselves.
	raw, _ := json.Marshal(template.ToJSON())
	if !strings.Contains(string(raw), "{{resolve:secretsmanager:orgs/google-client-secret") {
		t.Error("the Google client secret is not a Secrets Manager reference")
	}

	queues := failureQueues(tp)
	if len(queues) != 3 {
		t.Fatalf("failure queues %v; want the two background functions' and the webhook queue's dead letters", queues)
	}
	byName := tp.functions(t)
	ids := templateIDs{
		table:        tp.ofType("AWS::DynamoDB::Table")[0],
		pool:         pool,
		client:       client,
		identity:     tp.ofType("AWS::SES::EmailIdentity")[0],
		keys:         keyIDs(t, tp),
		webhookQueue: tp.webhookQueue(t),
	}
	// Both clients' tokens are accepted; GET /v1/config answers password sign-in's client.
	auth := tp.props(tp.ofType("AWS::ApiGatewayV2::Authorizer")[0])
	var audiences []string
	for _, a := range auth["JwtConfiguration"].(map[string]any)["Audience"].([]any) {
		audiences = append(audiences, refID(a))
	}
	slices.Sort(audiences)
	if want := slices.Sorted(slices.Values([]string{client, federated})); !slices.Equal(audiences, want) {
		t.Errorf("authorizer audiences %v; want both app clients %v", audiences, want)
	}
	template.HasOutput(jsii.String(stack.OutputFederatedClientID), map[string]any{"Value": map[string]any{"Ref": federated}})
	routes := deployedRoutes(true)
	if want := len(routes) + len(triggers.Functions); len(byName) != want {
		t.Errorf("%d functions; want %d", len(byName), want)
	}
	for _, r := range routes {
		fn := byName[r.Name]
		if fn == "" {
			t.Errorf("route %s: no function", r.Name)
			continue
		}
		var secrets []string
		if len(r.ReadsSecrets) > 0 {
			secrets = []string{":secret:orgs/github-oidc-keys-??????"}
		}
		checkFunctionPolicy(t, tp, ids, "route "+r.Name, fn, r.AllActions(), extras{secrets: secrets, tracing: true, retentionDays: 90, keys: r.Keys})
		if mode := tp.props(fn)["TracingConfig"]; mode == nil || mode.(map[string]any)["Mode"] != "Active" {
			t.Errorf("route %s: tracing %v", r.Name, mode)
		}
	}
	for _, f := range triggers.Functions {
		x := extras{tracing: true, retentionDays: 90, ownQueue: f.Kind == triggers.KindStream, keys: f.Keys}
		if f.Kind == triggers.KindSchedule {
			x.failureQueue = true
			for _, q := range queues {
				if strings.HasPrefix(q, strings.ReplaceAll(f.Name, "-", "")) {
					ids.queue = q
				}
			}
		}
		checkFunctionPolicy(t, tp, ids, "trigger "+f.Name, byName[f.Name], f.Actions, x)
	}
	checkEnvironments(t, tp, ids, byName, envWant{mailFrom: "no-reply@mail.example.com", github: true, keySecret: "orgs/github-oidc-keys", apiURL: "https://api.example.com"})
	// The issuer Cognito expects in the ID token is the one the provider puts there.
	if want, got := string(must(json.Marshal(gh["oidc_issuer"]))), string(must(json.Marshal(tp.envVars(byName["github-oidc-token"])["GITHUB_OIDC_ISSUER"]))); want != got {
		t.Errorf("Cognito expects issuer %s; the provider issues %s", want, got)
	}
	checkThrottles(t, tp, routes)
	checkAlarms(t, tp, byName, queues, true)
	checkDashboard(t, tp, byName, queues)
	checkNesting(t, tp, byName, routes)
	checkBudget(t, tp, len(byName))
	checkAccessLog(t, tp, 90)
	checkLogGroupNames(t, tp, byName)
	checkLimits(t, syn)
	template.HasResourceProperties(jsii.String("AWS::SNS::Subscription"), map[string]any{
		"Protocol": "email", "Endpoint": "ops@example.com",
	})
	if n := len(tp.ofType("AWS::IAM::Policy")) + len(tp.ofType("AWS::IAM::ManagedPolicy")); n != 0 {
		t.Errorf("%d separate IAM policies; want only the roles' inline policies", n)
	}
}

// TestFederationSettingsAreComplete: a provider switched on without the rest of its settings
// fails the synthesis, naming what is missing.
func TestFederationSettingsAreComplete(t *testing.T) {
	base := stack.OrgsStackProps{BuildDir: "build", AppURL: "https://app.example.com", MailFrom: "no-reply@example.com"}
	secret := awscdk.SecretValue_UnsafePlainText(jsii.String("x"))
	for name, c := range map[string]struct {
		change func(p *stack.OrgsStackProps)
		want   string
	}{
		"Entra without tenant": {func(p *stack.OrgsStackProps) {
			p.EntraClientID, p.EntraClientSecret, p.AuthDomainPrefix = "id", secret, "orgs"
		}, "EntraTenantID"},
		"GitHub without keys": {func(p *stack.OrgsStackProps) {
			p.GitHubClientID, p.GitHubClientSecret, p.AuthDomainPrefix = "id", secret, "orgs"
		}, "GitHubKeySecret"},
		"GitHub without domain": {func(p *stack.OrgsStackProps) {
			p.GitHubClientID, p.GitHubClientSecret, p.GitHubKeySecret = "id", secret, "keys"
		}, "AuthDomainPrefix"},
	} {
		func() {
			defer func() {
				if msg, _ := recover().(string); !strings.Contains(msg, c.want) {
					t.Errorf("%s: panic %q; want one naming %s", name, msg, c.want)
				}
			}()
			p := base
			c.change(&p)
			stack.NewOrgsStack(nil, "Orgs", &p)
		}()
	}
}

// deployedRoutes are the routes the stack deploys: all but those of features not configured.
func deployedRoutes(github bool) []*httpapi.Route {
	var out []*httpapi.Route
	for _, r := range stack.RouteTable() {
		if r.Feature == "" || (r.Feature == oidcapi.FeatureGitHubOIDC && github) {
			out = append(out, r)
		}
	}
	return out
}

// envWant is what the environments of a synthesis should hold.
type envWant struct {
	mailFrom string
	// github: the GitHub provider is configured, keySecret is its key secret's name.
	github    bool
	keySecret string
	// apiURL is the API_URL the stack was given; empty: the HTTP API's own endpoint.
	apiURL string
}

// wantEnv states, independently of the stack's code, which variables function name uses:
// the table's name where it acts on the table, the sender where it sends mail, the front
// end's URL where it sends mail or writes (an outbox email's links), the pool where it acts
// on the pool, the client only for get-config (which tells the front end), the server secret
// for the functions marked Secret and the routes that list (the glue seals their cursors), a
// feature's settings for that feature's functions, a secret's name for the functions that
// read it.
func wantEnv(name string) []string {
	var actions []string
	var route *httpapi.Route
	var keys []string
	for _, r := range stack.RouteTable() {
		if r.Name == name {
			route, actions, keys = r, r.AllActions(), r.Keys
		}
	}
	for _, f := range triggers.Functions {
		if f.Name == name {
			actions, keys = f.Actions, f.Keys
		}
	}
	has := func(prefix string) bool {
		return slices.ContainsFunc(actions, func(a string) bool { return strings.HasPrefix(a, prefix) })
	}
	writes := slices.ContainsFunc(actions, func(a string) bool {
		return slices.Contains([]string{"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem"}, a)
	})
	want := []string{"GOMEMLIMIT"}
	add := func(ok bool, keys ...string) {
		if ok {
			want = append(want, keys...)
		}
	}
	add(has("dynamodb:"), "TABLE_NAME")
	add(has("ses:"), "MAIL_FROM")
	add(has("ses:") || writes, "APP_URL")
	add(has("cognito-idp:") || name == "get-config", "USER_POOL_ID")
	add(name == "get-config", "USER_POOL_CLIENT_ID")
	for _, k := range keys {
		want = append(want, app.KeyEnv[k])
	}
	add(route != nil && stack.RouteCapability(route) == "scim", "API_URL")
	add(has("sqs:"), "WEBHOOK_QUEUE_URL")
	add(route != nil && route.MailDomains, "MAIL_DOMAINS_FILE")
	if route != nil && route.Feature == oidcapi.FeatureGitHubOIDC {
		want = append(want, "GITHUB_CLIENT_ID", "GITHUB_OIDC_ISSUER", "GITHUB_OIDC_REDIRECT_URIS")
		add(slices.Contains(route.ReadsSecrets, oidcapi.SecretGitHubOIDCKeys), "GITHUB_OIDC_KEY_SECRET")
	}
	slices.Sort(want)
	return want
}

// checkEnvironments walks every function of the template: its environment holds exactly the
// variables wantEnv names, each with the value it must have.
func checkEnvironments(t *testing.T, tp tmpl, ids templateIDs, byName map[string]string, w envWant) {
	t.Helper()
	for name, id := range byName {
		vars := tp.envVars(id)
		// Webhooks to loopback addresses are for local development only.
		if v, ok := vars["ALLOW_LOOPBACK_WEBHOOKS"]; ok {
			t.Errorf("function %s: ALLOW_LOOPBACK_WEBHOOKS = %v; the deployed stack never allows loopback webhooks", name, v)
		}
		got := slices.Sorted(maps.Keys(vars))
		want := wantEnv(name)
		if !slices.Equal(got, want) {
			t.Errorf("function %s: environment %v; want exactly %v", name, got, want)
		}
		// The table of public mail domains comes in its layer, to its functions alone.
		layers, _ := tp.props(id)["Layers"].([]any)
		if wantLayer := slices.Contains(want, "MAIL_DOMAINS_FILE"); (len(layers) == 1) != wantLayer || len(layers) > 1 {
			t.Errorf("function %s: layers %v; want the mail domains' layer: %v", name, layers, wantLayer)
		}
		for k, v := range vars {
			raw := string(must(json.Marshal(v)))
			ok := true
			switch k {
			case "TABLE_NAME":
				ok = refID(v) == ids.table
			case "USER_POOL_ID":
				ok = refID(v) == ids.pool
			case "USER_POOL_CLIENT_ID":
				ok = refID(v) == ids.client
			case "APP_URL":
				ok = v == "https://app.example.com"
			case "MAIL_FROM":
				ok = v == w.mailFrom
			case "CURSOR_KEY_ARN", "TOKEN_KEY_ARN", "SEAL_KEY_ARN", "WEBHOOK_KEY_ARN":
				ok = app.KeyEnv[purposeOf(ids.keys, refID(v))] == k
			case "MAIL_DOMAINS_FILE":
				ok = v == stack.MailDomainsFile
			case "GOMEMLIMIT":
				// 90% of the function's memory (MemorySize is in MiB).
				ok = v == fmt.Sprintf("%dMiB", stack.FunctionMemoryMB*9/10)
			case "WEBHOOK_QUEUE_URL":
				ok = refID(v) == ids.webhookQueue && ids.webhookQueue != ""
			case "GITHUB_CLIENT_ID":
				ok = v == "Iv1.github-client"
			case "GITHUB_OIDC_ISSUER":
				ok = strings.Contains(raw, `"/oidc/github"`) && strings.Contains(raw, `"ApiEndpoint"`)
			case "GITHUB_OIDC_REDIRECT_URIS":
				ok = strings.Contains(raw, "/oauth2/idpresponse") && strings.Contains(raw, "UserPoolDomain")
			case "GITHUB_OIDC_KEY_SECRET":
				ok = v == w.keySecret
			case "API_URL":
				if w.apiURL != "" {
					ok = v == w.apiURL
				} else {
					ok = len(tp.ofType("AWS::ApiGatewayV2::Api")) == 1 && strings.Contains(raw, "ApiEndpoint") && mentions(v, tp.ofType("AWS::ApiGatewayV2::Api")[0])
				}
			}
			if !ok {
				t.Errorf("function %s: %s = %s", name, k, raw)
			}
		}
	}
}

// checkThrottles checks the stage's throttle of every deployed route: the route's own, else
// its auth kind's, public and token routes tighter than signed-in ones.
func checkThrottles(t *testing.T, tp tmpl, routes []*httpapi.Route) {
	t.Helper()
	stages := tp.ofType("AWS::ApiGatewayV2::Stage")
	if len(stages) != 1 {
		t.Fatalf("stages %v", stages)
	}
	p := tp.props(stages[0])
	if p["StageName"] != "$default" || p["AutoDeploy"] != true {
		t.Errorf("stage %v %v", p["StageName"], p["AutoDeploy"])
	}
	settings, _ := p["RouteSettings"].(map[string]any)
	if len(settings) != len(routes) {
		t.Errorf("%d route settings for %d routes", len(settings), len(routes))
	}
	pub, signedIn, token := httpapi.ThrottlePublic, httpapi.ThrottleSignedIn, httpapi.ThrottleToken
	if pub.Rate >= signedIn.Rate || token.Rate >= signedIn.Rate || pub.Burst >= signedIn.Burst || token.Burst >= signedIn.Burst {
		t.Errorf("throttles public %v, token %v, signed in %v: public and token routes must be tighter", pub, token, signedIn)
	}
	routeIDs := map[string]string{}
	for _, id := range tp.ofType("AWS::ApiGatewayV2::Route") {
		routeIDs[tp.props(id)["RouteKey"].(string)] = id
	}
	// A route in a nested stack is waited for by waiting for its nested stack.
	deps := strs(tp.resources[stages[0]]["DependsOn"])
	for _, r := range routes {
		key := r.Method + " " + r.Path
		want := r.DefaultThrottle()
		if r.Throttle == (httpapi.Throttle{}) {
			switch r.Auth {
			case httpapi.Public:
				want = pub
			case httpapi.Token:
				want = token
			default:
				want = signedIn
			}
		}
		s, _ := settings[key].(map[string]any)
		if s["ThrottlingRateLimit"] != want.Rate || s["ThrottlingBurstLimit"] != float64(want.Burst) {
			t.Errorf("route %s (%s): throttle %v; want %+v", key, r.Auth, s, want)
		}
		if id := routeIDs[key]; !slices.Contains(deps, id) && (tp.nestedIn[id] == "" || !slices.Contains(deps, tp.nestedIn[id])) {
			t.Errorf("stage does not wait for route %s (%s): API Gateway refuses settings of a route it lacks", key, routeIDs[key])
		}
	}
}

// checkAlarms checks that every function has its errors-and-throttles alarm, that the API's
// 5xx rate, the failure queues' depth and SES's rates are alarmed, the stream processor's
// iterator age when there is one, and that every alarm notifies the topic.
func checkAlarms(t *testing.T, tp tmpl, byName map[string]string, queues []string, streamProcessor bool) {
	t.Helper()
	topic := tp.ofType("AWS::SNS::Topic")[0]
	byFunction := map[string]int{}
	var api5xx, bounce, complaint, iterator int
	depth := map[string]int{}
	for _, id := range tp.ofType("AWS::CloudWatch::Alarm") {
		p := tp.props(id)
		if refID(firstOf(p["AlarmActions"])) != topic || refID(firstOf(p["OKActions"])) != topic {
			t.Errorf("alarm %s does not notify topic %s: %v %v", id, topic, p["AlarmActions"], p["OKActions"])
		}
		raw := string(must(json.Marshal(p)))
		switch {
		case strings.Contains(raw, `"MetricName":"Errors"`) && strings.Contains(raw, `"MetricName":"Throttles"`):
			for name, fn := range byName {
				if !mentions(p, fn) {
					continue
				}
				byFunction[name]++
				// A route's function answers 5xx without failing in Lambda's eyes: its alarm
				// also watches the glue's count of them (an EMF metric of its own log).
				isTrigger := slices.ContainsFunc(triggers.Functions, func(f *triggers.Function) bool { return f.Name == name })
				counts5xx := false
				for _, m := range p["Metrics"].([]any) {
					stat, _ := m.(map[string]any)["MetricStat"].(map[string]any)
					metric, _ := stat["Metric"].(map[string]any)
					dims, _ := metric["Dimensions"].([]any)
					if metric["Namespace"] == httpapi.MetricNamespace && metric["MetricName"] == httpapi.MetricServerErrors && len(dims) == 1 &&
						dims[0].(map[string]any)["Name"] == httpapi.MetricDimension && refID(dims[0].(map[string]any)["Value"]) == fn {
						counts5xx = true
					}
				}
				if counts5xx == isTrigger {
					t.Errorf("function %s (trigger %v): its alarm watches its 5xx answers: %v", name, isTrigger, counts5xx)
				}
			}
		case strings.Contains(raw, `"MetricName":"5xx"`) && strings.Contains(raw, `"MetricName":"Count"`):
			api5xx++
		case strings.Contains(raw, "Reputation.BounceRate"):
			bounce++
		case strings.Contains(raw, "Reputation.ComplaintRate"):
			complaint++
		case strings.Contains(raw, "IteratorAge"):
			iterator++
			if !mentions(p, byName[stack.StreamProcessorName]) {
				t.Errorf("iterator age alarm %s is not the stream processor's", id)
			}
		case strings.Contains(raw, "ApproximateNumberOfMessagesVisible"):
			for _, q := range queues {
				if mentions(p, q) {
					depth[q]++
				}
			}
		default:
			t.Errorf("alarm %s watches something unexpected: %s", id, raw)
		}
	}
	for name := range byName {
		if byFunction[name] != 1 {
			t.Errorf("function %s has %d errors-and-throttles alarms; want 1", name, byFunction[name])
		}
	}
	for _, q := range queues {
		if depth[q] != 1 {
			t.Errorf("queue %s has %d depth alarms; want 1", q, depth[q])
		}
	}
	want := 0
	if streamProcessor {
		want = 1
	}
	if api5xx != 1 || bounce != 1 || complaint != 1 || iterator != want {
		t.Errorf("alarms: API 5xx %d, SES bounce %d, complaint %d, iterator age %d (want 1, 1, 1, %d)", api5xx, bounce, complaint, iterator, want)
	}
}

// checkDashboard checks that the dashboard shows every function, every queue, the API and SES.
func checkDashboard(t *testing.T, tp tmpl, byName map[string]string, queues []string) {
	t.Helper()
	dashes := tp.ofType("AWS::CloudWatch::Dashboard")
	if len(dashes) != 1 {
		t.Fatalf("dashboards %v", dashes)
	}
	body := tp.props(dashes[0])["DashboardBody"]
	raw := string(must(json.Marshal(body)))
	for name, fn := range byName {
		if !mentions(body, fn) {
			t.Errorf("the dashboard does not show function %s", name)
		}
	}
	for _, q := range queues {
		if !mentions(body, q) {
			t.Errorf("the dashboard does not show queue %s", q)
		}
	}
	for _, m := range []string{`\"5xx\"`, `\"Latency\"`, "Reputation.BounceRate", "Reputation.ComplaintRate", "Errors", "Throttles", "alarm"} {
		if !strings.Contains(raw, m) {
			t.Errorf("the dashboard lacks %s", m)
		}
	}
}

func firstOf(v any) any {
	if l, ok := v.([]any); ok && len(l) > 0 {
		return l[0]
	}
	return nil
}

// checkNesting checks where each function is: the non-HTTP ones in the root stack (the user
// pool names its trigger, which may therefore not be in a stack that takes the pool as a
// parameter), each route's function with its API route, integration and invoke permission
// in the nested stack of its group (stack.RouteGroups), and nothing else in the nested
// stacks but those and the function's role, log group and alarm.
func checkNesting(t *testing.T, tp tmpl, byName map[string]string, routes []*httpapi.Route) {
	t.Helper()
	for _, f := range triggers.Functions {
		if id := byName[f.Name]; tp.nestedIn[id] != "" {
			t.Errorf("trigger %s is in nested stack %s; want the root stack", f.Name, tp.nestedIn[id])
		}
	}
	groupOf, groups := stack.RouteGroups(routes)
	stackOf := map[string]string{} // group -> the root's logical id of its nested stack
	for _, r := range routes {
		fn := byName[r.Name]
		ns := tp.nestedIn[fn]
		if ns == "" {
			t.Errorf("route %s: function %s is in the root stack", r.Name, fn)
			continue
		}
		g := groupOf[r.Name]
		if want, ok := stackOf[g]; ok && want != ns {
			t.Errorf("route %s of group %s is in nested stack %s, others of the group in %s", r.Name, g, ns, want)
		}
		stackOf[g] = ns
		if want := strings.ReplaceAll(strings.ToLower(g), "-", ""); !strings.Contains(strings.ToLower(ns), want) {
			t.Errorf("route %s of group %s is in nested stack %s", r.Name, g, ns)
		}
	}
	if len(stackOf) != len(groups) {
		t.Errorf("%d nested stacks for groups %v", len(stackOf), groups)
	}
	for _, typ := range []string{"AWS::ApiGatewayV2::Route", "AWS::ApiGatewayV2::Integration"} {
		for _, id := range tp.ofType(typ) {
			if tp.nestedIn[id] == "" {
				t.Errorf("%s %s is in the root stack", typ, id)
			}
		}
	}
	for _, id := range tp.ofType("AWS::Lambda::Permission") {
		if fn := refID(tp.props(id)["FunctionName"]); tp.nestedIn[fn] != tp.nestedIn[id] {
			t.Errorf("permission %s is not in the stack of its function %s", id, fn)
		}
	}
	allowed := []string{"AWS::Lambda::Function", "AWS::IAM::Role", "AWS::Logs::LogGroup", "AWS::CloudWatch::Alarm",
		"AWS::ApiGatewayV2::Route", "AWS::ApiGatewayV2::Integration", "AWS::Lambda::Permission"}
	for id, ns := range tp.nestedIn {
		if typ, _ := tp.resources[id]["Type"].(string); !slices.Contains(allowed, typ) {
			t.Errorf("nested stack %s holds %s %s", ns, typ, id)
		}
	}
	for _, id := range tp.ofType("AWS::CloudFormation::Stack") {
		if !slices.Contains(slices.Collect(maps.Values(stackOf)), id) {
			t.Errorf("nested stack %s holds no route", id)
		}
	}
}

// checkBudget checks every template against CloudFormation's limit of 500 resources per
// stack, with room to spare: the root holds what is shared and one resource per nested
// stack, each nested stack about seven per function (function, role, log group, alarm, API
// route, integration, invoke permission).
func checkBudget(t *testing.T, tp tmpl, functions int) {
	t.Helper()
	total := 0
	for _, id := range slices.Sorted(maps.Keys(tp.counts)) {
		n := tp.counts[id]
		total += n
		name := id
		if name == "" {
			name = "root"
		}
		t.Logf("%s: %d resources, %d outputs, %d parameters", name, n, tp.outputs[id], tp.params[id])
		if n >= 450 {
			t.Errorf("%s: %d resources, close to CloudFormation's limit of 500 per stack", name, n)
		}
		// The root's dashboard takes two outputs of each function's nested stack.
		if tp.outputs[id] >= 180 || tp.params[id] >= 180 {
			t.Errorf("%s: %d outputs, %d parameters, close to CloudFormation's limit of 200 each", name, tp.outputs[id], tp.params[id])
		}
	}
	t.Logf("%d resources in %d templates for %d functions", total, len(tp.counts), functions)
}

// withRoutes replaces the stack's route table (stack.RouteTable) for the rest of the test.
func withRoutes(t *testing.T, routes []*httpapi.Route) {
	t.Helper()
	t.Cleanup(stack.SetRouteTable(routes))
}

// paddedRoutes is the route table with fake routes appended until the stack has functions
// functions (routes deployed without a feature, and the triggers): the first 45 in one
// capability, more than a nested stack takes, the others spread over three more, as the
// capabilities still to land (licensing, tokens, provisioning, webhooks) will be.
func paddedRoutes(functions int) []*httpapi.Route {
	routes := slices.Clone(routes.All())
	n := len(deployedRoutes(false)) + len(triggers.Functions)
	others := []string{"licensing", "tokens", "webhooks"}
	for i := 0; n < functions; i++ {
		capability := "provisioning"
		if i >= 45 {
			capability = others[i%len(others)]
		}
		method, actions := "GET", []string{"dynamodb:GetItem"}
		if i%3 == 0 {
			method, actions = "POST", []string{"dynamodb:TransactWriteItems", "ses:SendEmail"}
		}
		routes = append(routes, &httpapi.Route{
			Name:    fmt.Sprintf("pad-%s-%03d", capability, i),
			Method:  method,
			Path:    fmt.Sprintf("/v1/orgs/{orgId}/%s/pad%03d", capability, i),
			Auth:    httpapi.JWT,
			Actions: actions,
			Summary: "Padding",
		})
		n++
	}
	return routes
}

// TestOrgsStackAt160Functions synthesizes the stack with the route table padded to 160
// functions (about what the branches still to land bring, with room to spare): every
// template, root and nested, stays well under CloudFormation's 500 resources, and every
// function still has exactly its environment, role, alarm, dashboard lines and throttle.
func TestOrgsStackAt160Functions(t *testing.T) {
	const functions = 160
	withRoutes(t, paddedRoutes(functions))
	syn := synth(t)
	tp := syn.tp
	byName := tp.functions(t)
	if len(byName) != functions {
		t.Fatalf("%d functions; want %d", len(byName), functions)
	}
	routes := deployedRoutes(false)
	groupOf, groups := stack.RouteGroups(routes)
	if groupOf["pad-provisioning-000"] != "provisioning" || groupOf["pad-provisioning-044"] != "provisioning-2" {
		t.Errorf("groups %v: want provisioning's routes beyond %d in provisioning-2", groups, stack.MaxFunctionsPerNestedStack)
	}
	checkBudget(t, tp, len(byName))
	checkNesting(t, tp, byName, routes)
	ids := templateIDs{
		table:        tp.ofType("AWS::DynamoDB::Table")[0],
		pool:         tp.ofType("AWS::Cognito::UserPool")[0],
		client:       tp.ofType("AWS::Cognito::UserPoolClient")[0],
		identity:     tp.ofType("AWS::SES::EmailIdentity")[0],
		keys:         keyIDs(t, tp),
		webhookQueue: tp.webhookQueue(t),
	}
	checkEnvironments(t, tp, ids, byName, envWant{mailFrom: "no-reply@example.com"})
	for _, r := range routes {
		checkFunctionPolicy(t, tp, ids, "route "+r.Name, byName[r.Name], r.AllActions(), extras{keys: r.Keys})
	}
	queues := failureQueues(tp)
	checkThrottles(t, tp, routes)
	checkAlarms(t, tp, byName, queues, true)
	checkDashboard(t, tp, byName, queues)
	checkLimits(t, syn)
}

// TestRouteGroups: a route's nested stack follows from its path, so adding a route anywhere
// in the table, of an existing capability or a new one, moves no other route's function to
// another nested stack (which would replace it on deploy).
func TestRouteGroups(t *testing.T) {
	for path, want := range map[string]string{
		"/v1/config":                                    "config",
		"/v1/orgs":                                      "orgs",
		"/v1/orgs/{orgId}":                              "orgs",
		"/v1/orgs/{orgId}/tickets/{ticketId}":           "tickets",
		"/v1/operator/orgs/{orgId}/tickets":             "tickets",
		"/v1/operator/tickets":                          "tickets",
		"/v1/invites/{token}":                           "invites",
		"/v1/orgs/{orgId}/scim/token":                   "scim",
		"/v1/scim/v2/Users/{id}":                        "scim",
		"/oidc/github/.well-known/openid-configuration": "oidc",
	} {
		if got := stack.RouteCapability(&httpapi.Route{Name: "x", Path: path}); got != want {
			t.Errorf("capability of %s: %q, want %q", path, got, want)
		}
	}

	before, _ := stack.RouteGroups(routes.All())
	added := []*httpapi.Route{
		{Name: "new-ticket-route", Method: "GET", Path: "/v1/orgs/{orgId}/tickets/{ticketId}/history"},
		{Name: "new-capability", Method: "GET", Path: "/v1/orgs/{orgId}/webhooks"},
	}
	for _, at := range []int{0, len(routes.All()) / 2, len(routes.All())} {
		routes := slices.Concat(routes.All()[:at], added, routes.All()[at:])
		after, _ := stack.RouteGroups(routes)
		for name, g := range before {
			if after[name] != g {
				t.Errorf("routes added at %d move %s from %s to %s", at, name, g, after[name])
			}
		}
		if after["new-ticket-route"] != "tickets" || after["new-capability"] != "webhooks" {
			t.Errorf("new routes in %s and %s", after["new-ticket-route"], after["new-capability"])
		}
	}

	// A capability larger than a nested stack spills into "<capability>-2", in table order.
	var big []*httpapi.Route
	for i := range stack.MaxFunctionsPerNestedStack + 1 {
		big = append(big, &httpapi.Route{Name: fmt.Sprintf("r%d", i), Path: "/v1/orgs/{orgId}/big"})
	}
	groupOf, groups := stack.RouteGroups(big)
	if !slices.Equal(groups, []string{"big", "big-2"}) || groupOf["r0"] != "big" || groupOf[fmt.Sprintf("r%d", stack.MaxFunctionsPerNestedStack)] != "big-2" {
		t.Errorf("groups %v %v", groups, groupOf)
	}
}

// keyIDs are the logical ids of the server's keys' secrets, by purpose: one secret each.
func keyIDs(t *testing.T, tp tmpl) map[string]string {
	t.Helper()
	ids := map[string]string{}
	for _, id := range tp.ofType("AWS::SecretsManager::Secret") {
		for _, purpose := range app.Keys() {
			if strings.HasPrefix(id, stack.OutputKeyARN(purpose)[:len(stack.OutputKeyARN(purpose))-len("Arn")]) {
				ids[purpose] = id
			}
		}
	}
	if len(ids) != len(app.Keys()) || len(tp.ofType("AWS::SecretsManager::Secret")) != len(app.Keys()) {
		t.Fatalf("secrets %v (keys %v); want one per key purpose %v", tp.ofType("AWS::SecretsManager::Secret"), ids, app.Keys())
	}
	return ids
}

// purposeOf is the purpose of the key whose secret has logical id id ("" when none).
func purposeOf(keys map[string]string, id string) string {
	for purpose, k := range keys {
		if k == id {
			return purpose
		}
	}
	return ""
}

// keysReadable lists the purposes of the keys function fn's role may read, sorted.
func keysReadable(tp tmpl, fn string, keys map[string]string) []string {
	var out []string
	policies, _ := tp.props(refID(tp.props(fn)["Role"]))["Policies"].([]any)
	for _, pol := range policies {
		for _, st := range statements(pol.(map[string]any)["PolicyDocument"]) {
			if !slices.Contains(strs(st["Action"]), "secretsmanager:GetSecretValue") {
				continue
			}
			list, ok := st["Resource"].([]any)
			if !ok {
				list = []any{st["Resource"]}
			}
			for _, r := range list {
				if p := purposeOf(keys, refID(r)); p != "" {
					out = append(out, p)
				}
			}
		}
	}
	slices.Sort(out)
	return out
}

// checkClients checks the app clients of a stack with federated providers (by provider name,
// as the template has them): password sign-in's client (COGNITO only, password flows, no
// OAuth) may not write email or email_verified; federated sign-in's (the providers only, the
// hosted UI's code flow, no password flow) may write exactly the attributes the providers
// map, as Cognito requires, and its tokens never carry aws.cognito.signin.user.admin, without
// which no user may write their attributes. It returns the two clients' logical ids.
func checkClients(t *testing.T, tp tmpl, providers map[string]map[string]any) (password, federated string) {
	t.Helper()
	clients := tp.ofType("AWS::Cognito::UserPoolClient")
	if len(clients) != 2 {
		t.Fatalf("app clients %v; want one for password sign-in and one for federated sign-in", clients)
	}
	for _, id := range clients {
		if slices.Contains(strs(tp.props(id)["SupportedIdentityProviders"]), "COGNITO") {
			password = id
		} else {
			federated = id
		}
	}
	if password == "" || federated == "" {
		t.Fatalf("clients %v: want one with COGNITO and one without", clients)
	}
	pc, fc := tp.props(password), tp.props(federated)

	for name, cp := range map[string]map[string]any{"password": pc, "federated": fc} {
		if cp["GenerateSecret"] != false {
			t.Errorf("%s client GenerateSecret %v", name, cp["GenerateSecret"])
		}
		if slices.Contains(strs(cp["AllowedOAuthScopes"]), "aws.cognito.signin.user.admin") {
			t.Errorf("%s client: its tokens may call the user's own attribute APIs", name)
		}
	}
	if w := strs(pc["WriteAttributes"]); len(w) == 0 || slices.Contains(w, "email") || slices.Contains(w, "email_verified") {
		t.Errorf("password client WriteAttributes %v; want a list without email and email_verified", w)
	}
	if got := strs(pc["SupportedIdentityProviders"]); !slices.Equal(got, []string{"COGNITO"}) {
		t.Errorf("password client providers %v; want COGNITO only", got)
	}
	if pc["AllowedOAuthFlows"] != nil || pc["AllowedOAuthFlowsUserPoolClient"] == true {
		t.Errorf("password client has OAuth flows %v", pc["AllowedOAuthFlows"])
	}

	if got := strs(fc["SupportedIdentityProviders"]); !slices.Equal(got, []string{"Google", "Microsoft", "GitHub"}) {
		t.Errorf("federated client providers %v; want the three providers and not COGNITO", got)
	}
	if flows := strs(fc["ExplicitAuthFlows"]); !slices.Equal(flows, []string{"ALLOW_REFRESH_TOKEN_AUTH"}) {
		t.Errorf("federated client auth flows %v; want the refresh token's only (no password sign-in)", flows)
	}
	if !slices.Equal(strs(fc["AllowedOAuthFlows"]), []string{"code"}) || !slices.Equal(strs(fc["CallbackURLs"]), []string{"https://app.example.com"}) {
		t.Errorf("federated client OAuth %v %v", fc["AllowedOAuthFlows"], fc["CallbackURLs"])
	}
	scopes := strs(fc["AllowedOAuthScopes"])
	slices.Sort(scopes)
	if !slices.Equal(scopes, []string{"email", "openid", "profile"}) {
		t.Errorf("federated client scopes %v; want openid, email and profile only", scopes)
	}
	mapped := map[string]bool{}
	for name, p := range providers {
		am, _ := p["AttributeMapping"].(map[string]any)
		for attr := range am {
			mapped[attr] = true
			if !slices.Contains(strs(fc["WriteAttributes"]), attr) {
				t.Errorf("provider %s maps %s, which the federated client may not write: Cognito would fail the sign-in", name, attr)
			}
		}
	}
	for _, attr := range strs(fc["WriteAttributes"]) {
		if !mapped[attr] {
			t.Errorf("the federated client may write %s, which no provider maps", attr)
		}
	}
	for _, id := range tp.ofType("AWS::Cognito::UserPoolIdentityProvider") {
		if !slices.Contains(strs(tp.resources[federated]["DependsOn"]), id) {
			t.Errorf("the federated client does not wait for provider %s", id)
		}
	}
	return password, federated
}

// checkAccessLog checks the stage's access log: JSON lines with what explains a failed
// request, to a log group of its own with the functions' retention (0: the default).
func checkAccessLog(t *testing.T, tp tmpl, days int) {
	t.Helper()
	if days == 0 {
		days = stack.DefaultLogRetentionDays
	}
	stage := tp.props(tp.ofType("AWS::ApiGatewayV2::Stage")[0])
	als, _ := stage["AccessLogSettings"].(map[string]any)
	group := refID(als["DestinationArn"])
	if tp.resources[group]["Type"] != "AWS::Logs::LogGroup" || tp.props(group)["RetentionInDays"] != float64(days) ||
		tp.props(group)["LogGroupName"] != stack.AccessLogGroupName("Orgs") {
		t.Errorf("stage access log to %q %v; want the log group %s with %d days' retention", group, tp.props(group), stack.AccessLogGroupName("Orgs"), days)
	}
	for _, fn := range tp.ofType("AWS::Lambda::Function") {
		lc, _ := tp.props(fn)["LoggingConfig"].(map[string]any)
		if refID(lc["LogGroup"]) == group {
			t.Errorf("function %s logs to the access log group", fn)
		}
	}
	format, _ := als["Format"].(string)
	var fields map[string]string
	if err := json.Unmarshal([]byte(format), &fields); err != nil {
		t.Fatalf("access log format %q is not JSON: %v", format, err)
	}
	vars := slices.Collect(maps.Values(fields))
	for _, v := range []string{"$context.requestId", "$context.routeKey", "$context.status", "$context.responseLatency",
		"$context.integrationErrorMessage", "$context.authorizer.error", "$context.error.message"} {
		if !slices.Contains(vars, v) {
			t.Errorf("access log format %s lacks %s", format, v)
		}
	}
	for _, v := range []string{"$context.path", "$request.path", "$context.requestOverride.path"} {
		if slices.ContainsFunc(vars, func(s string) bool { return strings.Contains(s, v) }) {
			t.Errorf("access log format %s logs the raw path (%s), where secrets travel", format, v)
		}
	}
}

// checkLogGroupNames: every function logs to the log group the runbook names,
// /Orgs/functions/<function>.
func checkLogGroupNames(t *testing.T, tp tmpl, byName map[string]string) {
	t.Helper()
	for name, fn := range byName {
		lc, _ := tp.props(fn)["LoggingConfig"].(map[string]any)
		if got := tp.props(refID(lc["LogGroup"]))["LogGroupName"]; got != stack.LogGroupName("Orgs", name) {
			t.Errorf("function %s logs to %v; want %s", name, got, stack.LogGroupName("Orgs", name))
		}
	}
}

// Documented limits of the services, which the stand-ins and CDK don't enforce and
// CloudFormation only finds at deploy time (in the middle of a rollout, rolled back).
const (
	// CloudFormation quotas (AWS CloudFormation User Guide, "Understand CloudFormation
	// quotas"): per template 500 resources, 200 outputs, 200 parameters, 200 mappings, a
	// 1,024-byte description and a 1 MB body from S3 (where the CDK CLI puts them); a
	// logical id of at most 255 alphanumeric characters.
	cfnMaxResources      = 500
	cfnMaxOutputs        = 200
	cfnMaxParameters     = 200
	cfnMaxMappings       = 200
	cfnMaxDescription    = 1024
	cfnMaxTemplateBytes  = 1_000_000
	cfnMaxLogicalIDBytes = 255
	// CloudWatch (Dashboard Body Structure and Syntax; PutMetricAlarm): up to 500 widgets a
	// dashboard, 100 alarm ARNs an alarm status widget, 500 metrics a graph; an alarm name
	// of 255 characters, a description of 1,024.
	cwMaxWidgets          = 500
	cwMaxAlarmsPerWidget  = 100
	cwMaxMetricsPerGraph  = 500
	cwMaxAlarmName        = 255
	cwMaxAlarmDescription = 1024
	// Lambda quotas (Lambda Developer Guide, "Lambda quotas"): memory 128 to 10,240 MB, a
	// timeout of at most 900 s, environment variables of at most 4 KB in all, a description
	// of 256 characters.
	lambdaMinMemory      = 128
	lambdaMaxMemory      = 10240
	lambdaMaxTimeout     = 900
	lambdaMaxEnvBytes    = 4096
	lambdaMaxDescription = 256
	// CloudWatch Logs: a log group name of 1 to 512 characters.
	logsMaxGroupName = 512
	// API Gateway HTTP APIs (API Gateway Developer Guide, "Quotas for HTTP APIs"): 300 routes
	// and 300 integrations an API (adjustable, but a deploy past them fails).
	httpAPIMaxRoutes       = 300
	httpAPIMaxIntegrations = 300
	// tokenBytes is what an unresolved reference counts for in a size estimate: a resolved
	// name or ARN of the stack's own resources is shorter.
	tokenBytes = 256
)

// resolvedSize estimates the length of a value once CloudFormation resolves it: literal
// strings as they are, each reference (Ref, Fn::GetAtt, Fn::ImportValue, ...) as tokenBytes.
func resolvedSize(v any) int {
	switch v := v.(type) {
	case string:
		return len(v)
	case []any:
		n := 0
		for _, e := range v {
			n += resolvedSize(e)
		}
		return n
	case map[string]any:
		if join, ok := v["Fn::Join"].([]any); ok && len(join) == 2 {
			sep, _ := join[0].(string)
			parts, _ := join[1].([]any)
			n := 0
			for i, p := range parts {
				if i > 0 {
					n += len(sep)
				}
				n += resolvedSize(p)
			}
			return n
		}
		return tokenBytes
	}
	return len(fmt.Sprint(v))
}

// dashboardBody resolves a dashboard body (a string, or an Fn::Join of strings and
// references, each reference inside a JSON string) to its JSON with every reference as a
// placeholder, and decodes it.
func dashboardBody(t *testing.T, v any) map[string]any {
	t.Helper()
	var text string
	switch v := v.(type) {
	case string:
		text = v
	case map[string]any:
		join, _ := v["Fn::Join"].([]any)
		if len(join) != 2 {
			t.Fatalf("dashboard body %v", v)
		}
		var b strings.Builder
		for i, p := range join[1].([]any) {
			if i > 0 {
				b.WriteString(join[0].(string))
			}
			if s, ok := p.(string); ok {
				b.WriteString(s)
			} else {
				b.WriteString("REF")
			}
		}
		text = b.String()
	}
	var body map[string]any
	if err := json.Unmarshal([]byte(text), &body); err != nil {
		t.Fatalf("dashboard body is not JSON once resolved: %v\n%s", err, text)
	}
	return body
}

// checkLimits applies the documented limits above to every template of a synthesis.
func checkLimits(t *testing.T, syn synthesized) {
	t.Helper()
	tp := syn.tp
	templates := map[string]assertions.Template{"root": syn.root}
	for id, tm := range syn.nested {
		templates[id] = tm
	}
	for name, tm := range templates {
		raw := must(json.Marshal(tm.ToJSON()))
		var doc struct {
			Description string
			Resources   map[string]any
			Outputs     map[string]any
			Parameters  map[string]any
			Mappings    map[string]any
		}
		if err := json.Unmarshal(raw, &doc); err != nil {
			t.Fatal(err)
		}
		if len(doc.Resources) > cfnMaxResources || len(doc.Outputs) > cfnMaxOutputs || len(doc.Parameters) > cfnMaxParameters || len(doc.Mappings) > cfnMaxMappings {
			t.Errorf("template %s: %d resources, %d outputs, %d parameters, %d mappings; CloudFormation takes %d, %d, %d, %d",
				name, len(doc.Resources), len(doc.Outputs), len(doc.Parameters), len(doc.Mappings), cfnMaxResources, cfnMaxOutputs, cfnMaxParameters, cfnMaxMappings)
		}
		if len(raw) > cfnMaxTemplateBytes || len(doc.Description) > cfnMaxDescription {
			t.Errorf("template %s: %d bytes, a description of %d; CloudFormation takes %d and %d", name, len(raw), len(doc.Description), cfnMaxTemplateBytes, cfnMaxDescription)
		}
		for _, m := range []map[string]any{doc.Resources, doc.Outputs, doc.Parameters} {
			for id := range m {
				if len(id) > cfnMaxLogicalIDBytes || strings.Trim(id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") != "" {
					t.Errorf("template %s: logical id %q is not up to %d letters and digits", name, id, cfnMaxLogicalIDBytes)
				}
			}
		}
	}

	// The dashboards.
	for _, id := range tp.ofType("AWS::CloudWatch::Dashboard") {
		body := dashboardBody(t, tp.props(id)["DashboardBody"])
		widgets, _ := body["widgets"].([]any)
		if len(widgets) == 0 || len(widgets) > cwMaxWidgets {
			t.Errorf("dashboard %s: %d widgets; CloudWatch takes 1 to %d", id, len(widgets), cwMaxWidgets)
		}
		alarmsShown := 0
		for _, w := range widgets {
			w := w.(map[string]any)
			p, _ := w["properties"].(map[string]any)
			switch w["type"] {
			case "alarm":
				n := len(p["alarms"].([]any))
				alarmsShown += n
				if n == 0 || n > cwMaxAlarmsPerWidget {
					t.Errorf("dashboard %s: alarm status widget %q lists %d alarms; CloudWatch takes 1 to %d", id, p["title"], n, cwMaxAlarmsPerWidget)
				}
			case "metric":
				n := len(p["metrics"].([]any))
				if n == 0 || n > cwMaxMetricsPerGraph || n > stack.MaxMetricsPerGraph {
					t.Errorf("dashboard %s: graph %q has %d metrics; CloudWatch takes 1 to %d (the stack's own bound %d)", id, p["title"], n, cwMaxMetricsPerGraph, stack.MaxMetricsPerGraph)
				}
			}
		}
		if n := len(tp.ofType("AWS::CloudWatch::Alarm")); alarmsShown != n {
			t.Errorf("dashboard %s shows %d alarms of %d", id, alarmsShown, n)
		}
	}
	for _, id := range tp.ofType("AWS::CloudWatch::Alarm") {
		p := tp.props(id)
		if name, ok := p["AlarmName"].(string); ok && len(name) > cwMaxAlarmName {
			t.Errorf("alarm %s: name of %d characters; CloudWatch takes %d", id, len(name), cwMaxAlarmName)
		}
		if n := resolvedSize(p["AlarmDescription"]); n > cwMaxAlarmDescription {
			t.Errorf("alarm %s: description of %d characters; CloudWatch takes %d", id, n, cwMaxAlarmDescription)
		}
	}

	// The functions.
	for _, id := range tp.ofType("AWS::Lambda::Function") {
		p := tp.props(id)
		mem, _ := p["MemorySize"].(float64)
		timeout, _ := p["Timeout"].(float64)
		if mem < lambdaMinMemory || mem > lambdaMaxMemory || timeout < 1 || timeout > lambdaMaxTimeout {
			t.Errorf("function %s: %v MB, %v s; Lambda takes %d to %d MB and up to %d s", id, mem, timeout, lambdaMinMemory, lambdaMaxMemory, lambdaMaxTimeout)
		}
		if d, _ := p["Description"].(string); len(d) > lambdaMaxDescription {
			t.Errorf("function %s: description of %d characters; Lambda takes %d", id, len(d), lambdaMaxDescription)
		}
		size := 0
		for k, v := range tp.envVars(id) {
			size += len(k) + resolvedSize(v)
		}
		if size > lambdaMaxEnvBytes {
			t.Errorf("function %s: environment of about %d bytes; Lambda takes %d", id, size, lambdaMaxEnvBytes)
		}
	}
	for _, id := range tp.ofType("AWS::Logs::LogGroup") {
		if n := resolvedSize(tp.props(id)["LogGroupName"]); n > logsMaxGroupName {
			t.Errorf("log group %s: name of %d characters; CloudWatch Logs takes %d", id, n, logsMaxGroupName)
		}
	}
	if n, m := len(tp.ofType("AWS::ApiGatewayV2::Route")), len(tp.ofType("AWS::ApiGatewayV2::Integration")); n > httpAPIMaxRoutes || m > httpAPIMaxIntegrations {
		t.Errorf("%d routes, %d integrations; an HTTP API takes %d and %d", n, m, httpAPIMaxRoutes, httpAPIMaxIntegrations)
	}
}
