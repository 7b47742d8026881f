package apitest

import (
	"encoding/base64"
	"strings"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"

	"github.com/vendorportal/orgs/internal/httpapi/provisioningapi"
	"github.com/vendorportal/orgs/internal/orgs"
	"github.com/vendorportal/orgs/internal/outbox"
	"github.com/vendorportal/orgs/internal/provisioning"
)

// Upload is a request of the import route carrying body with its content type.
func (a *API) Upload(c *orgs.Caller, orgID, contentType string, body []byte, dryRun bool) Reply {
	a.T.Helper()
	q := map[string]string{}
	if dryRun {
		q["dryRun"] = "true"
	}
	ev := a.Request(provisioningapi.ImportMembers, c, map[string]string{"orgId": orgID}, nil, "")
	if dryRun {
		ev.QueryStringParameters = q
		ev.RawQueryString = "dryRun=true"
	}
	ev.Headers["content-type"] = contentType
	if strings.HasPrefix(contentType, "text/") {
		ev.Body = string(body)
	} else {
		ev.Body, ev.IsBase64Encoded = base64.StdEncoding.EncodeToString(body), true
	}
	resp, calls := a.Invoke(provisioningapi.ImportMembers, ev)
	return Reply{Status: resp.StatusCode, Body: resp.Body, Calls: calls}
}

// OutboxChunks returns the import chunks the calls since the last reset wrote.
func (a *API) OutboxChunks() []outbox.Message {
	a.T.Helper()
	var out []outbox.Message
	for _, w := range a.Writes.All() {
		for _, it := range w.Items {
			if !strings.HasPrefix(it.PK, "OUTBOX#") || it.Put == nil {
				continue
			}
			var m struct {
				ID    string `dynamodbav:"id"`
				OrgID string `dynamodbav:"orgId"`
				Kind  string `dynamodbav:"kind"`
				Body  []byte `dynamodbav:"body"`
			}
			if err := attributevalue.UnmarshalMap(it.Put, &m); err != nil {
				a.T.Fatal(err)
			}
			if m.Kind == string(provisioning.KindImportChunk) {
				out = append(out, outbox.Message{ID: m.ID, OrgID: m.OrgID, Kind: outbox.Kind(m.Kind), Body: m.Body})
			}
		}
	}
	return out
}
