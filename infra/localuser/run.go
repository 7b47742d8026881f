package main

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/vendorportal/orgs/internal/localmode"
	"github.com/vendorportal/orgs/internal/standins"
)

// defaultPassword is the password of the users localuser creates without -password.
const defaultPassword = "Passw0rd!local"

// options are localuser's flags.
type options struct {
	api, ses                           string
	email, password, newPassword, name string
	passwordFromMail, operator         bool
	acceptInvite                       bool
	// prompt asks for a new password when the user has a temporary one and -new-password is
	// empty; nil when there is no terminal to ask on.
	prompt func(question string) (string, error)
}

var (
	temporaryPassword = regexp.MustCompile(`temporary password:\s+(\S+)`)
	inviteLink        = regexp.MustCompile(`/invites/accept\?token=([A-Za-z0-9_-]+)`)
)

// run signs the user in (creating them first when the pool has no such user) and returns
// their tokens; notes for the reader go to log. It signs in once, so the API logs one
// user.signed_in per run.
func run(ctx context.Context, o options, log io.Writer) (standins.Tokens, error) {
	cfg, err := localmode.FetchSignInConfig(ctx, o.api)
	if err != nil {
		return standins.Tokens{}, err
	}
	client := standins.CognitoClient(cfg.CognitoEndpoint)
	pool := standins.Pool{ID: cfg.UserPoolID, ClientID: cfg.UserPoolClientID}
	exists, err := standins.UserExists(ctx, client, pool, o.email)
	if err != nil {
		return standins.Tokens{}, err
	}
	if o.passwordFromMail {
		if !exists {
			return standins.Tokens{}, fmt.Errorf("no user %s in the pool: an admin creates one with POST /v1/orgs/{orgId}/members", o.email)
		}
		if o.password, err = newestMatch(ctx, o.ses, o.email, temporaryPassword); err != nil {
			return standins.Tokens{}, err
		}
	}
	switch {
	case !exists:
		attrs := map[string]string{}
		if o.name != "" {
			attrs["name"] = o.name
		}
		if _, err := standins.CreateUser(ctx, client, pool, o.email, o.password, attrs); err != nil {
			return standins.Tokens{}, err
		}
		fmt.Fprintf(log, "created %s in cognito-local (password %s)\n", o.email, o.password)
	case o.name != "":
		if err := standins.SetName(ctx, client, pool, o.email, o.name); err != nil {
			return standins.Tokens{}, err
		}
	}
	if o.operator {
		// Before signing in: the group shows in the tokens signed in after it.
		if err := standins.AddToGroup(ctx, client, pool, o.email, standins.OperatorsGroup); err != nil {
			return standins.Tokens{}, err
		}
	}
	tokens, err := standins.SignInSettingPassword(ctx, client, pool, o.email, o.password, o.newPassword)
	if errors.Is(err, standins.ErrNewPasswordRequired) && o.prompt != nil {
		if o.newPassword, err = o.prompt(o.email + " has a temporary password; choose a new one: "); err != nil {
			return standins.Tokens{}, err
		}
		tokens, err = standins.SignInSettingPassword(ctx, client, pool, o.email, o.password, o.newPassword)
	}
	switch {
	case errors.Is(err, standins.ErrNewPasswordRequired):
		return standins.Tokens{}, fmt.Errorf("%s has a temporary password (an admin created the user): choose a new one with -new-password '<password>'", o.email)
	case err != nil && exists:
		return standins.Tokens{}, fmt.Errorf("%w\n%s is in the pool already: give the password it has with -password (localuser's default is %s, make demo's is printed by it; a user an admin created has a temporary one in the mail: -password-from-mail)",
			err, o.email, defaultPassword)
	case err != nil:
		return standins.Tokens{}, err
	}
	if o.newPassword != "" {
		fmt.Fprintf(log, "%s's password is now the new one\n", o.email)
	}
	if o.name != "" {
		if err := ensureProfileName(ctx, o.api, tokens.IDToken, o.name); err != nil {
			return standins.Tokens{}, err
		}
	}
	if o.acceptInvite {
		if err := acceptInvite(ctx, o, tokens.IDToken, log); err != nil {
			return standins.Tokens{}, err
		}
	}
	return tokens, nil
}

// newestMatch returns re's first group in the newest mail to address that the SES stand-in
// captured and re matches. The stream processor sends mail a moment after the change that
// wrote it, so it waits for one until ctx ends.
func newestMatch(ctx context.Context, ses, address string, re *regexp.Regexp) (string, error) {
	for {
		mails, err := standins.SESMessages(ctx, ses)
		if err != nil {
			return "", fmt.Errorf("%w (is SES_ENDPOINT the stand-in make run started?)", err)
		}
		for _, m := range slices.Backward(mails) {
			if slices.Contains(m.To, address) {
				if found := re.FindStringSubmatch(m.Text); found != nil {
					return found[1], nil
				}
			}
		}
		select {
		case <-ctx.Done():
			return "", fmt.Errorf("no mail to %s in the SES stand-in at %s matches %s", address, ses, re)
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// ensureProfileName makes the API's profile carry name: GET /v1/me (which creates the account
// on the first call, from the token's name claim), then PATCH /v1/me if the name differs.
func ensureProfileName(ctx context.Context, api, token, name string) error {
	var me struct {
		User struct {
			Name *string `json:"name"`
		} `json:"user"`
	}
	if err := call(ctx, api, token, http.MethodGet, "/v1/me", nil, &me); err != nil {
		return err
	}
	if me.User.Name != nil && *me.User.Name == name {
		return nil
	}
	return call(ctx, api, token, http.MethodPatch, "/v1/me", map[string]any{"name": name}, nil)
}

// acceptInvite accepts the newest invite mailed to the user, as the frontend's page behind the
// mail's link would: POST /v1/invites/accept with the link's token, as the signed-in invitee.
//
// The newest mail may be an older invite's still (the SES stand-in keeps every mail, and the
// stream processor sends the new one a moment after the invite): when the API refuses it, the
// next newer invite mail is tried, for a few seconds.
func acceptInvite(ctx context.Context, o options, token string, log io.Writer) error {
	var member struct {
		OrgID string `json:"orgId"`
		Role  string `json:"role"`
	}
	tried, refused := "", error(nil)
	for {
		invite, err := newestMatch(ctx, o.ses, o.email, inviteLink)
		if err != nil {
			return cmp.Or(refused, err)
		}
		if invite != tried {
			tried = invite
			refused = call(ctx, o.api, token, http.MethodPost, "/v1/invites/accept", map[string]any{"token": invite}, &member)
			if refused == nil {
				fmt.Fprintf(log, "%s accepted the invite: member of org %s as %s\n", o.email, member.OrgID, member.Role)
				return nil
			}
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, 10*time.Second)
			defer cancel()
		}
		select {
		case <-ctx.Done():
			return refused
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// call makes one API request with the ID token and decodes a JSON answer into out (if not
// nil); an answer other than 2xx is an error quoting the API's.
func call(ctx context.Context, api, token, method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimRight(api, "/")+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s %s: %s %s", method, path, resp.Status, bytes.TrimSpace(b))
	}
	if out != nil {
		return json.Unmarshal(b, out)
	}
	return nil
}
