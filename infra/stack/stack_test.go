package stack_test

import (
	"encoding/json"
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
)

// All tests of this package share one jsii node process (started on the first call), so
// keep every CDK test in this package.

// tmpl is the synthesized template as generic JSON.
type tmpl struct {
	resources map[string]map[string]any
}

// buildDir returns a temporary build directory with a dummy bootstrap per route.
func buildDir(t *testing.T) string {
	t.Helper()
	build := t.TempDir()
	for _, r := range httpapi.Routes {
		dir := filepath.Join(build, r.Name)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "bootstrap"), []byte("dummy "+r.Name), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return build
}

// synth synthesizes the stack against a temporary build directory holding a dummy
// bootstrap per route.
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
	return template, tmpl{resources: doc.Resources}
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

	t.Run("Functions", func(t *testing.T) {
		template.ResourceCountIs(jsii.String("AWS::Lambda::Function"), jsii.Number(len(routes)))
		template.AllResourcesProperties(jsii.String("AWS::Lambda::Function"), map[string]any{
			"Runtime":       "provided.al2023",
			"Architectures": []string{"arm64"},
			"Handler":       "bootstrap",
			"MemorySize":    stack.FunctionMemoryMB,
		})
		for _, id := range tp.ofType("AWS::Lambda::Function") {
			vars, _ := tp.props(id)["Environment"].(map[string]any)["Variables"].(map[string]any)
			for _, name := range []string{"TABLE_NAME", "USER_POOL_ID", "USER_POOL_CLIENT_ID", "APP_URL", "MAIL_FROM", "ALLOWED_ORIGINS"} {
				if _, ok := vars[name]; !ok {
					t.Errorf("function %s: no %s", id, name)
				}
			}
			if refID(vars["TABLE_NAME"]) != table || refID(vars["USER_POOL_ID"]) != pool || refID(vars["USER_POOL_CLIENT_ID"]) != client {
				t.Errorf("function %s: TABLE_NAME/USER_POOL_ID/USER_POOL_CLIENT_ID = %v %v %v", id, vars["TABLE_NAME"], vars["USER_POOL_ID"], vars["USER_POOL_CLIENT_ID"])
			}
			if vars["APP_URL"] != "https://app.example.com" || vars["ALLOWED_ORIGINS"] != "https://app.example.com" || vars["MAIL_FROM"] != "no-reply@example.com" {
				t.Errorf("function %s: APP_URL/ALLOWED_ORIGINS/MAIL_FROM = %v %v %v", id, vars["APP_URL"], vars["ALLOWED_ORIGINS"], vars["MAIL_FROM"])
			}
		}
	})

	t.Run("OneRolePerFunction", func(t *testing.T) {
		roles := tp.ofType("AWS::IAM::Role")
		if len(roles) != len(routes) {
			t.Errorf("%d roles for %d routes: %v", len(roles), len(routes), roles)
		}
		used := map[string]string{}
		for _, fn := range tp.ofType("AWS::Lambda::Function") {
			role := refID(tp.props(fn)["Role"])
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
			if desc, _ := tp.props(fn)["Description"].(string); !strings.HasPrefix(desc, r.Name+": ") {
				t.Errorf("route %s is served by function %s described %q", r.Name, fn, desc)
			}
			role := refID(tp.props(fn)["Role"])
			logGroup := refID(tp.props(fn)["LoggingConfig"].(map[string]any)["LogGroup"])
			if tp.resources[logGroup]["Type"] != "AWS::Logs::LogGroup" || tp.props(logGroup)["RetentionInDays"] == nil {
				t.Errorf("route %s: function logs to %q, not a log group with retention", r.Name, logGroup)
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
							if len(list) != 2 || refID(list[0]) != table || !mentions(list[1], table) || !strings.Contains(string(must(json.Marshal(list[1]))), "/index/*") {
								t.Errorf("route %s: %s on %v; want the table and its indexes", r.Name, a, res)
							}
						case "ses":
							if !mentions(res, identity) {
								t.Errorf("route %s: %s on %v; want the SES identity", r.Name, a, res)
							}
						case "cognito-idp":
							if refID(res) != pool {
								t.Errorf("route %s: %s on %v; want the user pool", r.Name, a, res)
							}
						default:
							t.Errorf("route %s: unexpected action %s", r.Name, a)
						}
					}
				}
			}
			if !logsOK {
				t.Errorf("route %s: role %s lacks the logging statement on log group %s", r.Name, role, logGroup)
			}
			want := slices.Clone(r.Actions)
			slices.Sort(want)
			want = slices.Compact(want)
			slices.Sort(got)
			if !slices.Equal(got, want) {
				t.Errorf("route %s: role allows %v; want exactly %v", r.Name, got, want)
			}

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

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// TestOrgsStackOptions synthesizes the optional parts: Google federation with its hosted-UI
// domain, extra CORS origins, and a domain SES identity.
func TestOrgsStackOptions(t *testing.T) {
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
}
