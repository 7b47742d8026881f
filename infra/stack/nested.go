package stack

import (
	"fmt"
	"strings"

	"github.com/vendorportal/orgs/internal/httpapi"
)

// The routes' functions live in nested stacks, one per capability, so that no stack comes near
// CloudFormation's limit of 500 resources: each route's function costs seven (function, role,
// log group, alarm, API route, integration, invoke permission). The root stack keeps what
// everything shares (table, user pool and client, SES identity, secret, HTTP API with its
// authorizer and stage, alarm topic, dashboard) and the three non-HTTP functions. The user
// pool's post-confirmation trigger must never share a nested stack with a route that acts on
// the pool: the pool takes the trigger's ARN from that stack's outputs while the stack would
// take the pool's ARN as a parameter, a circular dependency (CDK itself defines the trigger's
// invoke permission beside the pool, so the trigger alone in a nested stack would be fine).
// Kept in the root, with the scheduled job and the stream processor beside their queues, rule
// and stream mapping, it cannot.
//
// A route's nested stack is decided by its path alone (RouteGroup), never by its position in
// the route table, so adding, removing or reordering routes never moves another route's
// function to another stack (which would replace it on deploy). The one exception is a
// capability with more than MaxFunctionsPerNestedStack routes: its routes spill, in table
// order, into "<capability>-2", "<capability>-3", ...; append new routes at the end of their
// capability's list and nothing moves.

// MaxFunctionsPerNestedStack bounds the routes of one nested stack: at about seven resources
// and two outputs (function name and alarm ARN, for the root's dashboard) per function, 40
// functions are about 290 resources and 80 outputs, well under CloudFormation's 500 resources
// and 200 outputs per stack.
const MaxFunctionsPerNestedStack = 40

// RouteCapability is the capability a route belongs to, derived from its path: the first
// segment after the version prefix, after an org's prefix /orgs/{orgId} and after /operator
// ("/v1/orgs/{orgId}/tickets/{ticketId}" and "/v1/operator/tickets" are both "tickets",
// "/v1/orgs" and "/v1/orgs/{orgId}" are "orgs", "/oidc/github/token" is "oidc").
func RouteCapability(r *httpapi.Route) string {
	segs := strings.Split(strings.Trim(r.Path, "/"), "/")
	strip := func(prefix ...string) {
		if len(segs) > len(prefix) {
			for i, p := range prefix {
				if segs[i] != p {
					return
				}
			}
			segs = segs[len(prefix):]
		}
	}
	strip("v1")
	strip("operator")
	strip("orgs", "{orgId}")
	c := strings.ToLower(segs[0])
	var b strings.Builder
	for _, r := range c {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	if b.Len() == 0 {
		panic(fmt.Sprintf("stack: route %s: no capability in path %q", r.Name, r.Path))
	}
	return b.String()
}

// RouteGroups maps each route's name to the nested stack that holds its function: its
// capability (RouteCapability), or for the routes of a capability beyond the first
// MaxFunctionsPerNestedStack (in table order) "<capability>-2" and so on. The groups are
// returned in the order they first appear.
func RouteGroups(routes []*httpapi.Route) (byRoute map[string]string, groups []string) {
	byRoute = map[string]string{}
	count := map[string]int{}
	seen := map[string]bool{}
	for _, r := range routes {
		c := RouteCapability(r)
		g := c
		if n := count[c] / MaxFunctionsPerNestedStack; n > 0 {
			g = fmt.Sprintf("%s-%d", c, n+1)
		}
		count[c]++
		if !seen[g] {
			seen[g] = true
			groups = append(groups, g)
		}
		byRoute[r.Name] = g
	}
	return byRoute, groups
}

// nestedStackID is the construct id of a group's nested stack: "Routes" and the group in
// title case ("RoutesTickets", "RoutesScim2").
func nestedStackID(group string) string {
	var b strings.Builder
	b.WriteString("Routes")
	upper := true
	for _, r := range group {
		if r == '-' {
			upper = true
			continue
		}
		if upper && r >= 'a' && r <= 'z' {
			r -= 'a' - 'A'
		}
		upper = false
		b.WriteRune(r)
	}
	return b.String()
}
