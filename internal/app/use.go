package app

import (
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/vendorportal/orgs/internal/account"
	"github.com/vendorportal/orgs/internal/mail"
)

// Installing parts into an Env: a function's main installs the SES and Cognito clients its
// route needs (ses.Install, cognito.Install), and tests install fakes or watched clients.

// UseDynamoDB makes e use client instead of building its own. Call it before anything asks
// for the client: tests use it to watch the calls a route makes (an SDK middleware on the
// client) while the handlers run exactly as in Lambda.
func (e *Env) UseDynamoDB(client *dynamodb.Client) { set(&e.clients.dynamoDB, client) }

// UseMail makes e send mail with m: SES (ses.Install), or in tests a mail.Recorder. Call it
// before anything asks for the sender.
func (e *Env) UseMail(m mail.Sender) { set(&e.clients.mail, m) }

// UseDirectory makes e use d as the identity provider: the Cognito user pool
// (cognito.Install), or in tests a fake. Call it before anything asks for the directory.
func (e *Env) UseDirectory(d account.Directory) { set(&e.clients.directory, d) }
