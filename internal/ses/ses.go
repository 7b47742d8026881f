// Package ses sends mail.Message values with Amazon SES (the v1 API's SendEmail, which the
// local stand-in supports too).
//
// Package app does not link this package or the SES SDK: Install puts SES into an Env, and
// only the functions whose Actions include an ses: action call it, from their generated main
// (mainsrc.InstallsFor), so the others link neither.
package ses

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ses"
	"github.com/aws/aws-sdk-go-v2/service/ses/types"

	"github.com/vendorportal/orgs/internal/app"
	"github.com/vendorportal/orgs/internal/mail"
)

// Install makes env send mail through SES, from the configured sender address.
func Install(env *app.Env) {
	env.UseMail(&Mailer{Client: NewClient(env.AWSConfig(), env.Config.SESEndpoint), From: env.Config.MailFrom})
}

// Mailer sends through SES from one sender address.
type Mailer struct {
	Client *ses.Client
	From   string
}

var _ mail.Sender = (*Mailer)(nil)

// NewClient returns an SES client; a non-empty endpoint points it at the local stand-in.
func NewClient(cfg aws.Config, endpoint string) *ses.Client {
	return ses.NewFromConfig(cfg, func(o *ses.Options) {
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
		}
	})
}

// Send sends m with a text and an HTML part, both UTF-8.
func (m *Mailer) Send(ctx context.Context, msg mail.Message) error {
	utf8 := func(s string) *types.Content {
		return &types.Content{Data: aws.String(s), Charset: aws.String("UTF-8")}
	}
	_, err := m.Client.SendEmail(ctx, &ses.SendEmailInput{
		Source:      aws.String(m.From),
		Destination: &types.Destination{ToAddresses: []string{msg.To}},
		Message: &types.Message{
			Subject: utf8(msg.Subject),
			Body:    &types.Body{Text: utf8(msg.Text), Html: utf8(msg.HTML)},
		},
	})
	if err != nil {
		return fmt.Errorf("ses send to %s: %w", msg.To, err)
	}
	return nil
}
