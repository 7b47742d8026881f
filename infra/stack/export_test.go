package stack

import "github.com/vendorportal/orgs/internal/httpapi"

// SetRouteTable makes the stack deploy routes instead of routes.All, until the returned
// function restores it.
func SetRouteTable(routes []*httpapi.Route) (restore func()) {
	saved := routeTable
	routeTable = func() []*httpapi.Route { return routes }
	return func() { routeTable = saved }
}

// RouteTable is the route table the stack deploys: routes.All, or what SetRouteTable set.
func RouteTable() []*httpapi.Route { return routeTable() }
