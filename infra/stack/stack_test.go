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

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/vendorportal/orgs/infra/stack"
	"github.com/vendorportal/orgs/internal/dynamo"
	"github.com/vendorportal/orgs/internal/httpapi"
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
	return build
}

// synth synthesizes the stack against a temporary build directory holding a dummy
// bootstrap per function.
func synth(t *testing.T) synthesized {
	t.Helper()
	build := buildDir(t)
	app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(t.TempDir())})
	s := stack.NewOrgsStack(app, "Orgs", &stack.OrgsStackProps{
		BuildDir: build,
		AppURL:   "https://app.example.com/",
		MailFrom: "no-reply@example.com",
	})
	return load(t, s)
}

// load reads the templates of stack s and of each of its nested stacks.
// assertions.Template_FromStack checks each for circular dependencies; the root's check
// covers those across stacks too, since the root template holds the nested stacks as
// resources with the parameters they take.
func load(t *testing.T, s awscdk.Stack) synthesized {
	t.Helper()
	out := synthesized{root: assertions.Template_FromStack(s, nil), nested: map[string]assertions.Template{}}
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
	if len(httpapi.Routes()) == 0 {
		t.Fatal("httpapi.Routes is empty")
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
	secrets := tp.ofType("AWS::SecretsManager::Secret")
	if len(secrets) != 1 {
		t.Fatalf("secrets %v; want one (APP_SECRET)", secrets)
	}
	secret := secrets[0]
	queues := tp.ofType("AWS::SQS::Queue")
	if len(queues) != 2 {
		t.Fatalf("queues %v; want two, the scheduled job's and the stream processor's failure queues", queues)
	}
	jobQueue := ""
	for _, q := range queues {
		if strings.HasPrefix(q, strings.ReplaceAll(triggers.ScheduledJob.Name, "-", "")) {
			jobQueue = q
		}
	}
	ids := templateIDs{table: table, pool: pool, client: client, identity: identity, appSecret: secret, queue: jobQueue}

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
			checkFunctionPolicy(t, tp, ids, "route "+r.Name, fn, r.Actions, extras{appSecret: r.Secret})

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
			checkFunctionPolicy(t, tp, ids, "trigger "+f.Name, fn, f.Actions, extras{failureQueue: f.Kind == triggers.KindSchedule, ownQueue: f.Kind == triggers.KindStream, appSecret: f.Secret})
			switch f.Kind {
			case triggers.KindSchedule:
				checkScheduled(t, tp, f.Name, fn, ids.queue)
			case triggers.KindStream:
				checkStream(t, tp, f.Name, fn, table)
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

	t.Run("AppSecret", func(t *testing.T) {
		res := tp.resources[secret]
		if res["DeletionPolicy"] != "Retain" || res["UpdateReplacePolicy"] != "Retain" {
			t.Errorf("secret DeletionPolicy %v UpdateReplacePolicy %v", res["DeletionPolicy"], res["UpdateReplacePolicy"])
		}
		gen, _ := tp.props(secret)["GenerateSecretString"].(map[string]any)
		if gen["PasswordLength"] != float64(64) || gen["ExcludePunctuation"] != true {
			t.Errorf("secret GenerateSecretString %v; want 64 characters without punctuation", gen)
		}
		if _, named := tp.props(secret)["Name"]; named {
			t.Error("secret has a hard-coded name")
		}
		// Principle 9: the secret's value is in no function's configuration; the functions
		// marked Secret get its ARN (checkEnvironments) and may read it (checkFunctionPolicy).
		users := 0
		for name, id := range byName {
			vars := tp.envVars(id)
			if v, ok := vars["APP_SECRET"]; ok {
				t.Errorf("function %s: APP_SECRET = %s in its configuration", name, must(json.Marshal(v)))
			}
			if _, ok := vars["APP_SECRET_ARN"]; ok {
				users++
			}
		}
		if users == 0 {
			t.Error("no function reads the server secret; the paged lists should")
		}
		template.HasOutput(jsii.String(stack.OutputAppSecretARN), map[string]any{"Value": map[string]any{"Ref": secret}})
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
		methods := strs(cors["AllowMethods"])
		for _, r := range routes {
			if !slices.Contains(methods, strings.ToUpper(r.Method)) {
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
		// Cognito's own mail (sign-up codes, password resets) goes through SES, from the
		// product's sender identity.
		ec, _ := tp.props(pool)["EmailConfiguration"].(map[string]any)
		if ec["EmailSendingAccount"] != "DEVELOPER" || ec["From"] != "no-reply@example.com" ||
			!strings.Contains(string(must(json.Marshal(ec["SourceArn"]))), ":identity/no-reply@example.com") {
			t.Errorf("user pool EmailConfiguration %v; want SES (DEVELOPER) from no-reply@example.com", ec)
		}
		if deps := strs(res["DependsOn"]); !slices.Contains(deps, identity) {
			t.Errorf("user pool DependsOn %v; want the SES identity %s", deps, identity)
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
	table, pool, client, identity, appSecret string
	// queue is the scheduled job's failure queue.
	queue string
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
	// appSecret: secretsmanager:GetSecretValue on the server secret (ids.appSecret).
	appSecret bool
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
	var queueOK, tracingOK, appSecretOK bool
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
			case "AppSecret":
				appSecretOK = slices.Equal(actions, []string{"secretsmanager:GetSecretValue"}) && refID(res) == ids.appSecret
				if !x.appSecret || !appSecretOK {
					t.Errorf("%s: unexpected server secret statement %v", what, st)
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
	if x.appSecret && !appSecretOK {
		t.Errorf("%s: role may not read the server secret", what)
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
	app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(t.TempDir())})
	s := stack.NewOrgsStack(app, "Orgs", &stack.OrgsStackProps{
		BuildDir:               build,
		AppURL:                 "https://app.example.com",
		AllowedOrigins:         []string{"https://app.example.com", "https://admin.example.com"},
		MailFrom:               "no-reply@mail.example.com",
		MailFromDomainIdentity: true,
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
	template, tp := syn.root, syn.tp

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
	client := tp.ofType("AWS::Cognito::UserPoolClient")[0]
	cp := tp.props(client)
	if got := strs(cp["SupportedIdentityProviders"]); !slices.Equal(got, []string{"COGNITO", "Google", "Microsoft", "GitHub"}) {
		t.Errorf("client providers %v", got)
	}
	if !slices.Equal(strs(cp["AllowedOAuthFlows"]), []string{"code"}) || !slices.Equal(strs(cp["CallbackURLs"]), []string{"https://app.example.com"}) {
		t.Errorf("client OAuth %v %v", cp["AllowedOAuthFlows"], cp["CallbackURLs"])
	}
	for _, id := range tp.ofType("AWS::Cognito::UserPoolIdentityProvider") {
		if !slices.Contains(strs(tp.resources[client]["DependsOn"]), id) {
			t.Errorf("the client does not wait for provider %s", id)
		}
	}

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

	queues := tp.ofType("AWS::SQS::Queue")
	if len(queues) != 2 {
		t.Fatalf("queues %v; want the two scheduled functions' failure queues", queues)
	}
	byName := tp.functions(t)
	ids := templateIDs{
		table:     tp.ofType("AWS::DynamoDB::Table")[0],
		pool:      pool,
		client:    client,
		identity:  tp.ofType("AWS::SES::EmailIdentity")[0],
		appSecret: tp.ofType("AWS::SecretsManager::Secret")[0],
	}
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
		checkFunctionPolicy(t, tp, ids, "route "+r.Name, fn, r.Actions, extras{secrets: secrets, tracing: true, retentionDays: 90, appSecret: r.Secret})
		if mode := tp.props(fn)["TracingConfig"]; mode == nil || mode.(map[string]any)["Mode"] != "Active" {
			t.Errorf("route %s: tracing %v", r.Name, mode)
		}
	}
	for _, f := range triggers.Functions {
		x := extras{tracing: true, retentionDays: 90, ownQueue: f.Kind == triggers.KindStream, appSecret: f.Secret}
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
	checkEnvironments(t, tp, ids, byName, envWant{mailFrom: "no-reply@mail.example.com", github: true, keySecret: "orgs/github-oidc-keys"})
	// The issuer Cognito expects in the ID token is the one the provider puts there.
	if want, got := string(must(json.Marshal(gh["oidc_issuer"]))), string(must(json.Marshal(tp.envVars(byName["github-oidc-token"])["GITHUB_OIDC_ISSUER"]))); want != got {
		t.Errorf("Cognito expects issuer %s; the provider issues %s", want, got)
	}
	checkThrottles(t, tp, routes)
	checkAlarms(t, tp, byName, queues, true)
	checkDashboard(t, tp, byName, queues)
	checkNesting(t, tp, byName, routes)
	checkBudget(t, tp, len(byName))
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
		if r.Feature == "" || (r.Feature == httpapi.FeatureGitHubOIDC && github) {
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
	secret := false
	for _, r := range stack.RouteTable() {
		if r.Name == name {
			route, actions, secret = r, r.Actions, r.Secret
		}
	}
	for _, f := range triggers.Functions {
		if f.Name == name {
			actions, secret = f.Actions, f.Secret
		}
	}
	has := func(prefix string) bool {
		return slices.ContainsFunc(actions, func(a string) bool { return strings.HasPrefix(a, prefix) })
	}
	writes := slices.ContainsFunc(actions, func(a string) bool {
		return slices.Contains([]string{"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem"}, a)
	})
	var want []string
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
	add(secret, "APP_SECRET_ARN")
	if route != nil && route.Feature == httpapi.FeatureGitHubOIDC {
		want = append(want, "GITHUB_CLIENT_ID", "GITHUB_OIDC_ISSUER", "GITHUB_OIDC_REDIRECT_URIS")
		add(slices.Contains(route.ReadsSecrets, httpapi.SecretGitHubOIDCKeys), "GITHUB_OIDC_KEY_SECRET")
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
		if want := wantEnv(name); !slices.Equal(got, want) {
			t.Errorf("function %s: environment %v; want exactly %v", name, got, want)
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
			case "APP_SECRET_ARN":
				ok = refID(v) == ids.appSecret
			case "GITHUB_CLIENT_ID":
				ok = v == "Iv1.github-client"
			case "GITHUB_OIDC_ISSUER":
				ok = strings.Contains(raw, `"/oidc/github"`) && strings.Contains(raw, `"ApiEndpoint"`)
			case "GITHUB_OIDC_REDIRECT_URIS":
				ok = strings.Contains(raw, "/oauth2/idpresponse") && strings.Contains(raw, "UserPoolDomain")
			case "GITHUB_OIDC_KEY_SECRET":
				ok = v == w.keySecret
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
				if mentions(p, fn) {
					byFunction[name]++
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
	routes := slices.Clone(httpapi.Routes())
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
		table:     tp.ofType("AWS::DynamoDB::Table")[0],
		pool:      tp.ofType("AWS::Cognito::UserPool")[0],
		client:    tp.ofType("AWS::Cognito::UserPoolClient")[0],
		identity:  tp.ofType("AWS::SES::EmailIdentity")[0],
		appSecret: tp.ofType("AWS::SecretsManager::Secret")[0],
	}
	checkEnvironments(t, tp, ids, byName, envWant{mailFrom: "no-reply@example.com"})
	for _, r := range routes {
		checkFunctionPolicy(t, tp, ids, "route "+r.Name, byName[r.Name], r.Actions, extras{appSecret: r.Secret})
	}
	queues := tp.ofType("AWS::SQS::Queue")
	checkThrottles(t, tp, routes)
	checkAlarms(t, tp, byName, queues, true)
	checkDashboard(t, tp, byName, queues)
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

	before, _ := stack.RouteGroups(httpapi.Routes())
	added := []*httpapi.Route{
		{Name: "new-ticket-route", Method: "GET", Path: "/v1/orgs/{orgId}/tickets/{ticketId}/history"},
		{Name: "new-capability", Method: "GET", Path: "/v1/orgs/{orgId}/webhooks"},
	}
	for _, at := range []int{0, len(httpapi.Routes()) / 2, len(httpapi.Routes())} {
		routes := slices.Concat(httpapi.Routes()[:at], added, httpapi.Routes()[at:])
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
