package standins

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"
)

// Mail is one message captured by the SES stand-in.
type Mail struct {
	MessageID string
	From      string
	To        []string
	Cc        []string
	Bcc       []string
	ReplyTo   []string
	Subject   string
	HTML      string
	Text      string
	// SentAt has a resolution of one second, as the stand-in records it.
	SentAt time.Time
}

// sesStore is the body of aws-ses-v2-local's GET /store (dist/index.js; the email type is in
// dist/store.d.ts). Attachments, headers and templates are left out.
type sesStore struct {
	Emails []struct {
		MessageID   string   `json:"messageId"`
		From        string   `json:"from"`
		ReplyTo     []string `json:"replyTo"`
		Destination struct {
			To  []string `json:"to"`
			Cc  []string `json:"cc"`
			Bcc []string `json:"bcc"`
		} `json:"destination"`
		Subject string `json:"subject"`
		Body    struct {
			HTML string `json:"html"`
			Text string `json:"text"`
		} `json:"body"`
		// At is in epoch seconds.
		At int64 `json:"at"`
	} `json:"emails"`
}

// SESMessages returns every message the SES stand-in at sesEndpoint has captured since it
// started, oldest first. The store is shared by everyone using that stand-in and lives only
// in its memory.
func SESMessages(ctx context.Context, sesEndpoint string) ([]Mail, error) {
	return SESMessagesSince(ctx, sesEndpoint, time.Time{})
}

// SESMessagesSince is SESMessages for the messages captured at since or later, to the second
// (the zero time: all of them). The stand-in filters them, so that a store shared by many
// tests does not cross the wire whole on every look.
func SESMessagesSince(ctx context.Context, sesEndpoint string, since time.Time) ([]Mail, error) {
	url := trimSlash(sesEndpoint) + "/store"
	if !since.IsZero() {
		url += "?since=" + strconv.FormatInt(since.Unix(), 10)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("read SES stand-in store: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return nil, fmt.Errorf("read SES stand-in store: %s: %s", resp.Status, body)
	}
	var store sesStore
	if err := json.NewDecoder(resp.Body).Decode(&store); err != nil {
		return nil, fmt.Errorf("read SES stand-in store: %w", err)
	}
	mails := make([]Mail, 0, len(store.Emails))
	for _, e := range store.Emails {
		mails = append(mails, Mail{
			MessageID: e.MessageID,
			From:      e.From,
			To:        e.Destination.To,
			Cc:        e.Destination.Cc,
			Bcc:       e.Destination.Bcc,
			ReplyTo:   e.ReplyTo,
			Subject:   e.Subject,
			HTML:      e.Body.HTML,
			Text:      e.Body.Text,
			SentAt:    time.Unix(e.At, 0).UTC(),
		})
	}
	return mails, nil
}
