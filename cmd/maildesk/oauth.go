package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"

	"github.com/kioi/maildesk/config"
	"github.com/kioi/maildesk/mailbox"
	"github.com/kioi/maildesk/oauth"
)

// smtpAccount names the [smtp] relay's account in `oauth login`, the
// logs and the metrics.
const smtpAccount = "smtp"

// oauthConfigOf is the OAuth 2.0 client of an account's oauth2 table.
func oauthConfigOf(account, purpose string, o *config.OAuth2) oauth.Config {
	return oauth.Config{
		Account: account, Provider: o.Provider, Tenant: o.Tenant, ClientID: o.ClientID,
		ClientSecret: o.ClientSecret.Reveal(), TokenURL: o.TokenURL, DeviceAuthURL: o.DeviceAuthURL, AuthURL: o.AuthURL,
		Scopes: o.Scopes, For: purpose, Grant: o.Grant, TokenFile: o.TokenFile,
	}
}

// tokenSources are the token sources of the accounts that sign in with
// OAuth 2.0, by account. Accounts that share a token file (one Microsoft
// login for a mailbox and the relay) share its source, so that a rotation
// by one is not a dead refresh token for the other.
type tokenSources map[string]*oauth.Source

func newTokenSources(cfg *config.Config, log *slog.Logger, failed func(account string)) tokenSources {
	ts := tokenSources{}
	byFile := map[string]*oauth.Source{}
	add := func(account, purpose string, o *config.OAuth2) {
		if o == nil {
			return
		}
		if src, ok := byFile[o.TokenFile]; ok && o.TokenFile != "" {
			ts[account] = src
			return
		}
		src := oauth.NewSource(oauthConfigOf(account, purpose, o), log)
		src.Failed = func(account string, _ error) {
			if failed != nil {
				failed(account)
			}
		}
		byFile[o.TokenFile] = src
		ts[account] = src
	}
	for _, m := range cfg.Mailboxes {
		if m.Auth == config.AuthOAuth2 {
			add(m.Name, oauth.ForIMAP, m.OAuth2)
		}
	}
	if cfg.SMTP.Auth == config.AuthOAuth2 {
		add(smtpAccount, oauth.ForSMTP, cfg.SMTP.OAuth2)
	}
	return ts
}

// oauthAccounts lists the accounts that sign in with OAuth 2.0.
func oauthAccounts(cfg *config.Config) []string {
	var out []string
	for _, m := range cfg.Mailboxes {
		if m.Auth == config.AuthOAuth2 {
			out = append(out, m.Name)
		}
	}
	if cfg.SMTP.Auth == config.AuthOAuth2 {
		out = append(out, smtpAccount)
	}
	return out
}

// source is account's token source, or nil (no interface holding a nil
// pointer) when it signs in with a password.
func (ts tokenSources) source(account string) mailbox.TokenSource {
	if src, ok := ts[account]; ok {
		return src
	}
	return nil
}

// oauthCredentials says where an account's token comes from, for a
// refused login: never the token.
func oauthCredentials(o *config.OAuth2) string {
	if o.Grant == config.GrantClientCreds {
		return "the oauth2 client_credentials grant of client " + o.ClientID
	}
	return "oauth2 token_file " + o.TokenFile
}

// oauthLogin is `maildesk oauth login`: the device sign-in, or with
// browserListen the browser sign-in redirected to that loopback address,
// that writes account's token file.
func oauthLogin(ctx context.Context, configPath, account, browserListen string, out io.Writer) error {
	cfg, err := config.Load(configPath)
	if err != nil {
		return err
	}
	var o *config.OAuth2
	purpose := oauth.ForIMAP
	names := []string{smtpAccount}
	for _, m := range cfg.Mailboxes {
		names = append(names, m.Name)
		if m.Name == account {
			o = m.OAuth2
		}
	}
	if account == smtpAccount {
		o, purpose = cfg.SMTP.OAuth2, oauth.ForSMTP
	}
	switch {
	case !slices.Contains(names, account):
		return &exitError{code: 2, msg: fmt.Sprintf("maildesk oauth login: no mailbox %q in %s (want a mailbox's name or %q)", account, configPath, smtpAccount)}
	case o == nil:
		return fmt.Errorf("%s signs in with a password: set auth = %q and its oauth2 table first", account, config.AuthOAuth2)
	}
	if browserListen != "" {
		return oauth.LoginBrowser(ctx, oauthConfigOf(account, purpose, o), browserListen, out)
	}
	return oauth.Login(ctx, oauthConfigOf(account, purpose, o), out)
}
