package app

import (
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/vendorportal/orgs/internal/audit"
)

// EventLog returns the reader of org event logs.
func (e *Env) EventLog() *audit.Log {
	return once(e, "eventlog", func() *audit.Log { return &audit.Log{Store: e.Store()} })
}

// UseDynamoDB makes e use client instead of building its own. Call it before anything asks
// for the client: tests use it to watch the calls a route makes (an SDK middleware on the
// client) while the handlers run exactly as in Lambda.
func (e *Env) UseDynamoDB(client *dynamodb.Client) {
	l := &lazy{v: client}
	l.once.Do(func() {})
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.cache == nil {
		e.cache = map[string]*lazy{}
	}
	e.cache["dynamodb"] = l
}
