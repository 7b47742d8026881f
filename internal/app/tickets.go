package app

import "github.com/vendorportal/orgs/internal/tickets"

// Tickets returns the support ticket service.
func (e *Env) Tickets() *tickets.Service {
	return get(&e.tickets, func() *tickets.Service {
		return &tickets.Service{Store: e.TicketsStore(), AppURL: e.Config.AppURL, Now: e.Now, NewID: e.NewID}
	})
}
