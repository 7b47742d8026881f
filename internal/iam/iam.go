// Package iam is the one description of what each function's role allows. The CDK stack
// writes Statements into the role's policy; local mode and the tests enforce the same
// Statements on every AWS call a function makes (package iam/enforce), so a call that the
// role would refuse in AWS fails in every local run and every test too (ARCHITECTURE.md,
// principle 11). Both derive the statements from a Grant, which the route table
// (httpapi.Route.Grant) and the non-HTTP functions (triggers.Function.Grant) declare.
package iam

import (
	"context"
	"fmt"
	"slices"
	"strings"
)

// Grant is what a function's role is given: its row's actions and the secrets and streams it
// reads.
type Grant struct {
	// Function is the function's name.
	Function string
	// Actions are IAM actions such as "dynamodb:GetItem". DynamoDB actions apply to the table
	// and its indexes, "ses:" ones to the sender identity, "cognito-idp:" ones to the user
	// pool.
	Actions []string
	// AppSecret: the function reads the server's secret (SecretAction on that one secret).
	AppSecret bool
	// Secrets names the other secrets the function reads (Resources.Secrets).
	Secrets []string
	// Stream: the function reads the table's stream (the stream processor, through its event
	// source mapping in AWS and through package streamfeed locally).
	Stream bool
	// PoolTrigger: the user pool invokes the function, so it may have no action on the pool
	// (the pool depends on it: a circular dependency).
	PoolTrigger bool
}

// SecretAction reads a secret from Secrets Manager.
const SecretAction = "secretsmanager:GetSecretValue"

// StreamActions are what reading the table's stream needs, granted on the stream alone.
var StreamActions = []string{"dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator", "dynamodb:ListStreams"}

// Resources are the ARNs the statements apply to. The stack fills them with its resources'
// ARNs (CloudFormation tokens); local mode and the tests with the stand-ins' (Local). An empty
// one is one the function may not be granted anything on.
type Resources struct {
	// Table is the table's ARN; its indexes are Table + "/index/*".
	Table string
	// Stream is the table's stream's ARN.
	Stream string
	// MailIdentity is the SES identity mail is sent from.
	MailIdentity string
	// UserPool is the Cognito user pool's ARN.
	UserPool string
	// AppSecret is the server secret's ARN.
	AppSecret string
	// Secrets are the other secrets' ARNs, by Grant.Secrets name.
	Secrets map[string]string
}

// Statement allows Actions on Resources.
type Statement struct {
	Sid       string
	Actions   []string
	Resources []string
}

// The statement ids, one per kind of resource.
const (
	SidTable     = "Table"
	SidMail      = "Mail"
	SidUserPool  = "UserPool"
	SidAppSecret = "AppSecret"
	SidSecrets   = "Secrets"
	SidStream    = "Stream"
)

// Statements are the statements of g's role on res: one per service, each on its service's
// resources, in a fixed order. It panics on an action that is not one IAM action (a
// wildcard), of a service whose resources it does not know, on a pool trigger's user pool
// action, and on a grant whose resource res lacks.
func Statements(g Grant, res Resources) []Statement {
	table := Statement{Sid: SidTable, Resources: []string{res.Table, res.Table + "/index/*"}}
	mail := Statement{Sid: SidMail, Resources: []string{res.MailIdentity}}
	pool := Statement{Sid: SidUserPool, Resources: []string{res.UserPool}}
	for _, a := range g.Actions {
		service, op, ok := strings.Cut(a, ":")
		if !ok || op == "" || strings.ContainsAny(a, "*?") {
			panic(fmt.Sprintf("iam: function %s: action %q is not a single IAM action", g.Function, a))
		}
		var s *Statement
		switch service {
		case "dynamodb":
			s = &table
		case "ses":
			s = &mail
		case "cognito-idp":
			if g.PoolTrigger {
				panic(fmt.Sprintf("iam: function %s: action %q: a user pool trigger cannot be granted actions on "+
					"the user pool, which depends on the trigger (a circular dependency); "+
					"use the user attributes of the event instead", g.Function, a))
			}
			s = &pool
		default:
			panic(fmt.Sprintf("iam: function %s: action %q: no resource known for service %q", g.Function, a, service))
		}
		if !slices.Contains(s.Actions, a) {
			s.Actions = append(s.Actions, a)
		}
	}
	var out []Statement
	for _, s := range []Statement{table, mail, pool} {
		if len(s.Actions) > 0 {
			out = append(out, s)
		}
	}
	if g.AppSecret {
		out = append(out, Statement{Sid: SidAppSecret, Actions: []string{SecretAction}, Resources: []string{res.AppSecret}})
	}
	if len(g.Secrets) > 0 {
		s := Statement{Sid: SidSecrets, Actions: []string{SecretAction}}
		for _, name := range g.Secrets {
			s.Resources = append(s.Resources, res.Secrets[name])
		}
		out = append(out, s)
	}
	if g.Stream {
		out = append(out, Statement{Sid: SidStream, Actions: slices.Clone(StreamActions), Resources: []string{res.Stream}})
	}
	for _, s := range out {
		for _, r := range s.Resources {
			if r == "" || strings.HasPrefix(r, "/index/") {
				panic(fmt.Sprintf("iam: function %s: no resource known for %v (statement %s)", g.Function, s.Actions, s.Sid))
			}
		}
	}
	return out
}

// The ARNs of local mode and the tests, whose stand-ins do not name their resources by ARN.
// Local gives every function the same fixed region and account, and the requests' resources
// are named the same way (iam/enforce).

// LocalAccount is the account id of local ARNs.
const LocalAccount = "000000000000"

// TableARN is the ARN of a table.
func TableARN(region, account, table string) string {
	return "arn:aws:dynamodb:" + region + ":" + account + ":table/" + table
}

// UserPoolARN is the ARN of a user pool.
func UserPoolARN(region, account, poolID string) string {
	return "arn:aws:cognito-idp:" + region + ":" + account + ":userpool/" + poolID
}

// MailIdentityARN is the ARN of the SES identity named name (an address or a domain).
func MailIdentityARN(region, account, name string) string {
	return "arn:aws:ses:" + region + ":" + account + ":identity/" + name
}

// SecretARN is the ARN of a secret given by name or ARN.
func SecretARN(region, account, id string) string {
	if strings.HasPrefix(id, "arn:") {
		return id
	}
	return "arn:aws:secretsmanager:" + region + ":" + account + ":secret:" + id
}

// Allows reports whether statements allow action on resource: an action listed exactly, on a
// resource that one of the statement's resources matches (with IAM's wildcards * and ?).
func Allows(statements []Statement, action, resource string) bool {
	for _, s := range statements {
		if !slices.ContainsFunc(s.Actions, func(a string) bool { return strings.EqualFold(a, action) }) {
			continue
		}
		for _, r := range s.Resources {
			if Match(r, resource) {
				return true
			}
		}
	}
	return false
}

// Match reports whether resource matches pattern, in which * stands for any run of
// characters and ? for one.
func Match(pattern, resource string) bool {
	p, r := 0, 0
	star, mark := -1, 0
	for r < len(resource) {
		switch {
		case p < len(pattern) && (pattern[p] == '?' || pattern[p] == resource[r]):
			p++
			r++
		case p < len(pattern) && pattern[p] == '*':
			star, mark = p, r
			p++
		case star >= 0:
			p = star + 1
			mark++
			r = mark
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}

type functionKey struct{}

// AsFunction returns ctx marked as the work of function name: the HTTP glue and the
// non-HTTP functions' handlers mark each invocation, so that a checker of AWS calls on a
// client that several functions share (the tests' harness) knows whose role to apply.
func AsFunction(ctx context.Context, name string) context.Context {
	return context.WithValue(ctx, functionKey{}, name)
}

// FunctionOf returns the function ctx was marked as the work of (AsFunction).
func FunctionOf(ctx context.Context) (string, bool) {
	name, ok := ctx.Value(functionKey{}).(string)
	return name, ok && name != ""
}
