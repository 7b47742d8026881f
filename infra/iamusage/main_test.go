package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/vendorportal/orgs/internal/iam"
	"github.com/vendorportal/orgs/internal/routes"
	"github.com/vendorportal/orgs/internal/triggers"
)

// The report covers every function's grant (the queue's senders and consumer, the stream
// processor, the pool triggers included) and lists exactly the actions no test used.
func TestReportListsTheUnusedActionsOfEveryGrant(t *testing.T) {
	var all bytes.Buffer
	grants := routes.Grants()
	n := report(&all, grants, nil)
	if n == 0 || !strings.Contains(all.String(), triggers.WebhookDeliveryName+": ") ||
		!strings.Contains(all.String(), "sqs:ReceiveMessage") || !strings.Contains(all.String(), "dynamodb:GetRecords") {
		t.Fatalf("with nothing used, %d unused:\n%s", n, all.String())
	}
	used := map[string]bool{}
	for _, g := range grants {
		for _, s := range iam.Statements(g, resources(g)) {
			for _, a := range s.Actions {
				used[g.Function+" "+a] = true
			}
		}
	}
	delete(used, triggers.WebhookDeliveryName+" sqs:DeleteMessage")
	var one bytes.Buffer
	if n := report(&one, grants, used); n != 1 || !strings.HasPrefix(one.String(), triggers.WebhookDeliveryName+": sqs:DeleteMessage\n") {
		t.Errorf("with one action unused, %d unused:\n%s", n, one.String())
	}
}
