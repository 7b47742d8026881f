package stack_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
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

// tmpl is the synthesized template as generic JSON.
type tmpl struct {
	resources map[string]map[string]any
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
func synth(t *testing.T) (assertions.Template, tmpl) {
	t.Helper()
	build := buildDir(t)
	app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(t.TempDir())})
	s := stack.NewOrgsStack(app, "Orgs", &stack.OrgsStackProps{
		BuildDir: build,
		AppURL:   "https://app.example.com/",
		MailFrom: "no-reply@example.com",
	})
	template := assertions.Template_FromStack(s, nil)
	return template, parse(t, template)
}

// parse returns the template as generic JSON.
func parse(t *testing.T, template assertions.Template) tmpl {
	t.Helper()
	raw, err := json.Marshal(template.ToJSON())
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Resources map[string]map[string]any
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	return tmpl{resources: doc.Resources}
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
	if len(httpapi.Routes) == 0 {
		t.Fatal("httpapi.Routes is empty")
	}
	template, tp := synth(t)
	routes := httpapi.Routes

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
	ids := templateIDs{table: table, pool: pool, client: client, identity: identity}

	t.Run("Functions", func(t *testing.T) {
		want := len(routes) + len(triggers.Functions)
		template.ResourceCountIs(jsii.String("AWS::Lambda::Function"), jsii.Number(want))
		if len(byName) != want || len(stack.FunctionNames()) != want {
			t.Errorf("functions by name %v, FunctionNames %v; want %d", byName, stack.FunctionNames(), want)
		}
		for _, name := range stack.FunctionNames() {
			if byName[name] == "" {
				t.Errorf("no function %s", name)
			}
		}
		template.AllResourcesProperties(jsii.String("AWS::Lambda::Function"), map[string]any{
			"Runtime":       "provided.al2023",
			"Architectures": []string{"arm64"},
			"Handler":       "bootstrap",
			"MemorySize":    stack.FunctionMemoryMB,
		})
		for name, id := range byName {
			want := stack.FunctionTimeoutSeconds
			if name == triggers.ScheduledJob.Name {
				want = stack.JobTimeoutSeconds
			}
			if got := tp.resources[id]["Properties"].(map[string]any)["Timeout"]; got != float64(want) {
				t.Errorf("function %s: timeout %v, want %d", name, got, want)
			}
		}
		for name, id := range byName {
			vars := tp.envVars(id)
			for _, v := range []string{"TABLE_NAME", "APP_URL", "MAIL_FROM", "ALLOWED_ORIGINS", "APP_SECRET"} {
				if _, ok := vars[v]; !ok {
					t.Errorf("function %s: no %s", name, v)
				}
			}
			if refID(vars["TABLE_NAME"]) != table {
				t.Errorf("function %s: TABLE_NAME = %v", name, vars["TABLE_NAME"])
			}
			// Webhooks to loopback addresses are for local development only.
			if v, ok := vars["ALLOW_LOOPBACK_WEBHOOKS"]; ok {
				t.Errorf("function %s: ALLOW_LOOPBACK_WEBHOOKS = %v; the deployed stack never allows loopback webhooks", name, v)
			}
			if vars["APP_URL"] != "https://app.example.com" || vars["ALLOWED_ORIGINS"] != "https://app.example.com" || vars["MAIL_FROM"] != "no-reply@example.com" {
				t.Errorf("function %s: APP_URL/ALLOWED_ORIGINS/MAIL_FROM = %v %v %v", name, vars["APP_URL"], vars["ALLOWED_ORIGINS"], vars["MAIL_FROM"])
			}
			if name == triggers.PostConfirmation.Name {
				// The pool depends on its trigger: the trigger may not depend on the pool.
				if _, ok := vars["USER_POOL_ID"]; ok {
					t.Errorf("function %s (the pool's trigger) has USER_POOL_ID", name)
				}
				if _, ok := vars["USER_POOL_CLIENT_ID"]; ok {
					t.Errorf("function %s (the pool's trigger) has USER_POOL_CLIENT_ID", name)
				}
				role := refID(tp.props(id)["Role"])
				for _, r := range []string{id, role} {
					if mentions(tp.resources[r], pool) || mentions(tp.resources[r], client) {
						t.Errorf("function %s (the pool's trigger): %s refers to the user pool or its client", name, r)
					}
				}
				continue
			}
			if refID(vars["USER_POOL_ID"]) != pool || refID(vars["USER_POOL_CLIENT_ID"]) != client {
				t.Errorf("function %s: USER_POOL_ID/USER_POOL_CLIENT_ID = %v %v", name, vars["USER_POOL_ID"], vars["USER_POOL_CLIENT_ID"])
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
			checkFunctionPolicy(t, tp, ids, "route "+r.Name, fn, r.Actions)

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
			checkFunctionPolicy(t, tp, ids, "trigger "+f.Name, fn, f.Actions)
			switch f.Kind {
			case triggers.KindSchedule:
				checkScheduled(t, tp, f.Name, fn)
			case triggers.KindPostConfirmation:
				lc, _ := tp.props(pool)["LambdaConfig"].(map[string]any)
				if got := lc["PostConfirmation"]; refID(got) != fn || !strings.Contains(string(must(json.Marshal(got))), `"Arn"`) {
					t.Errorf("user pool LambdaConfig.PostConfirmation = %v; want the ARN of %s (%s)", got, fn, f.Name)
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
		for name, id := range byName {
			v := tp.envVars(id)["APP_SECRET"]
			raw := string(must(json.Marshal(v)))
			if !mentions(v, secret) || !strings.Contains(raw, "{{resolve:secretsmanager:") || !strings.Contains(raw, ":SecretString:") {
				t.Errorf("function %s: APP_SECRET = %s; want a deploy-time reference to secret %s", name, raw, secret)
			}
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
		})
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
		flows := strs(cp["ExplicitAuthFlows"])
		slices.Sort(flows)
		if !slices.Equal(flows, []string{"ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_USER_PASSWORD_AUTH", "ALLOW_USER_SRP_AUTH"}) {
			t.Errorf("client auth flows %v", flows)
		}
		if n := len(tp.ofType("AWS::Cognito::UserPoolIdentityProvider")); n != 0 {
			t.Errorf("%d identity providers without Google configured", n)
		}
	})

	t.Run("Outputs", func(t *testing.T) {
		for _, name := range []string{stack.OutputAPIURL, stack.OutputUserPoolID, stack.OutputClientID, stack.OutputTableName} {
			template.HasOutput(jsii.String(name), map[string]any{})
		}
	})
}

// templateIDs are the logical ids of the resources policies refer to.
type templateIDs struct {
	table, pool, client, identity string
}

// checkFunctionPolicy checks that function fn logs to its own log group with retention, and
// that its role allows writing to that log group and exactly actions, each on its service's
// resources: the table and its indexes, the SES identity, the user pool.
func checkFunctionPolicy(t *testing.T, tp tmpl, ids templateIDs, what, fn string, actions []string) {
	t.Helper()
	role := refID(tp.props(fn)["Role"])
	lc, _ := tp.props(fn)["LoggingConfig"].(map[string]any)
	logGroup := refID(lc["LogGroup"])
	if tp.resources[logGroup]["Type"] != "AWS::Logs::LogGroup" || tp.props(logGroup)["RetentionInDays"] == nil {
		t.Errorf("%s: function logs to %q, not a log group with retention", what, logGroup)
	}

	var got []string
	logsOK := false
	policies, _ := tp.props(role)["Policies"].([]any)
	for _, pol := range policies {
		for _, st := range statements(pol.(map[string]any)["PolicyDocument"]) {
			actions := strs(st["Action"])
			res := st["Resource"]
			if st["Sid"] == "Logs" {
				slices.Sort(actions)
				logsOK = slices.Equal(actions, []string{"logs:CreateLogStream", "logs:PutLogEvents"}) && refID(res) == logGroup
				continue
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
	want := slices.Clone(actions)
	slices.Sort(want)
	want = slices.Compact(want)
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("%s: role allows %v; want exactly %v", what, got, want)
	}
}

// checkScheduled checks that an enabled EventBridge rule runs function fn every five minutes,
// with Lambda's own retries of the asynchronous invocation off.
func checkScheduled(t *testing.T, tp tmpl, name, fn string) {
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

// TestOrgsStackOptions synthesizes the optional parts: Google federation with its hosted-UI
// domain, extra CORS origins, and a domain SES identity. Its triggers also send email, and the
// scheduled job acts on the user pool.
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
	})
	template := assertions.Template_FromStack(s, nil)

	template.HasResourceProperties(jsii.String("AWS::SES::EmailIdentity"), map[string]any{
		"EmailIdentity": "mail.example.com",
	})
	template.HasResourceProperties(jsii.String("AWS::Cognito::UserPoolIdentityProvider"), map[string]any{
		"ProviderName": "Google",
		"ProviderType": "Google",
	})
	template.ResourceCountIs(jsii.String("AWS::Cognito::UserPoolDomain"), jsii.Number(1))
	template.HasResourceProperties(jsii.String("AWS::Cognito::UserPoolClient"), map[string]any{
		"SupportedIdentityProviders": []string{"COGNITO", "Google"},
		"AllowedOAuthFlows":          []string{"code"},
		"CallbackURLs":               []string{"https://app.example.com"},
	})
	template.HasResourceProperties(jsii.String("AWS::ApiGatewayV2::Api"), map[string]any{
		"CorsConfiguration": map[string]any{
			"AllowOrigins": []string{"https://app.example.com", "https://admin.example.com"},
		},
	})
	template.AllResourcesProperties(jsii.String("AWS::Lambda::Function"), map[string]any{
		"Environment": map[string]any{"Variables": map[string]any{
			"ALLOWED_ORIGINS": "https://app.example.com,https://admin.example.com",
		}},
	})
	template.HasOutput(jsii.String("DkimRecord1"), map[string]any{})
	// The Google secret is a deploy-time reference, never the secret itself.
	raw, _ := json.Marshal(template.ToJSON())
	if !strings.Contains(string(raw), "{{resolve:secretsmanager:orgs/google-client-secret") {
		t.Error("the Google client secret is not a Secrets Manager reference")
	}

	tp := parse(t, template)
	ids := templateIDs{
		table:    tp.ofType("AWS::DynamoDB::Table")[0],
		pool:     tp.ofType("AWS::Cognito::UserPool")[0],
		client:   tp.ofType("AWS::Cognito::UserPoolClient")[0],
		identity: tp.ofType("AWS::SES::EmailIdentity")[0],
	}
	byName := tp.functions(t)
	for _, f := range triggers.Functions {
		checkFunctionPolicy(t, tp, ids, "trigger "+f.Name, byName[f.Name], f.Actions)
	}
}
