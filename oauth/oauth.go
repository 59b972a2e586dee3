// Package oauth gets and keeps the OAuth 2.0 access tokens maildesk signs in
// with over SASL XOAUTH2 or OAUTHBEARER (Exchange Online and Gmail have
// turned password sign-in off): the refresh token lives in a token file,
// written 0600 and atomically on every rotation; access tokens live in
// memory only and are refreshed before they expire. Login runs the device
// authorization grant (RFC 8628) that gets the first refresh token; the
// client-credentials grant serves Microsoft's app-only access, which has no
// refresh token at all.
//
// It imports nothing of maildesk. Tokens never reach a log or an error.
package oauth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
	"golang.org/x/oauth2/endpoints"
)

// The providers.
const (
	Microsoft = "microsoft"
	Google    = "google"
	Generic   = "generic"
)

// The grants a Config can use.
const (
	// Device is the device authorization grant (RFC 8628) for the first
	// refresh token, then the refresh token grant: a person signs in to
	// the mailbox once with `maildesk oauth login`.
	Device = "device"
	// ClientCredentials is the client-credentials grant: the application
	// signs in as itself (Microsoft's app-only IMAP and SMTP access).
	ClientCredentials = "client_credentials"
)

// What the scopes are for, for DefaultScopes.
const (
	ForIMAP = "imap"
	ForSMTP = "smtp"
)

// Config is one account's OAuth 2.0 client.
type Config struct {
	// Account names the account in logs and metrics ("fta-pass",
	// "smtp").
	Account  string
	Provider string // Microsoft, Google or Generic
	// Tenant is the Microsoft Entra tenant: its id, a domain, or
	// "organizations".
	Tenant       string
	ClientID     string
	ClientSecret string // "" for a public client
	// TokenURL, DeviceAuthURL and AuthURL override the provider's
	// endpoints; a Generic provider needs TokenURL, and DeviceAuthURL for
	// Login or AuthURL for LoginBrowser.
	TokenURL      string
	DeviceAuthURL string
	AuthURL       string
	// Scopes default to DefaultScopes(Provider, Grant, For).
	Scopes []string
	// For is ForIMAP or ForSMTP: which default scopes apply.
	For string
	// Grant is Device (the default) or ClientCredentials.
	Grant string
	// TokenFile holds the refresh token (Device only).
	TokenFile string
	// HTTPClient makes the token requests; nil means http.DefaultClient
	// (with a timeout applied per request).
	HTTPClient *http.Client
}

// DefaultScopes are the scopes a provider needs for IMAP or SMTP. With
// Microsoft both are asked for at once, so that one sign-in serves the
// mailbox and the relay; offline_access is what makes it hand out a
// refresh token. App-only access (ClientCredentials) asks for the
// resource's .default scope.
func DefaultScopes(provider, grant, purpose string) []string {
	switch provider {
	case Microsoft:
		if grant == ClientCredentials {
			return []string{"https://outlook.office365.com/.default"}
		}
		return []string{"https://outlook.office.com/IMAP.AccessAsUser.All", "https://outlook.office.com/SMTP.Send", "offline_access"}
	case Google:
		return []string{"https://mail.google.com/"}
	}
	return nil
}

// Check reports what is missing from c for its grant, in the words of
// the configuration file's keys.
func (c Config) Check() error {
	var errs []error
	switch c.Provider {
	case Microsoft:
		if c.Tenant == "" {
			errs = append(errs, errors.New("tenant is required for provider microsoft"))
		}
	case Google:
	case Generic:
		if c.TokenURL == "" {
			errs = append(errs, errors.New("token_url is required for provider generic"))
		}
		if len(c.Scopes) == 0 {
			errs = append(errs, errors.New("scopes are required for provider generic"))
		}
	default:
		errs = append(errs, fmt.Errorf("provider %q: want %q, %q or %q", c.Provider, Microsoft, Google, Generic))
	}
	if c.ClientID == "" {
		errs = append(errs, errors.New("client_id is required"))
	}
	switch c.grant() {
	case Device:
		if c.TokenFile == "" {
			errs = append(errs, errors.New("token_file is required"))
		}
	case ClientCredentials:
		if c.ClientSecret == "" {
			errs = append(errs, errors.New("client_secret_env or client_secret_file is required for the client_credentials grant"))
		}
	default:
		errs = append(errs, fmt.Errorf("grant %q: want %q or %q", c.Grant, Device, ClientCredentials))
	}
	return errors.Join(errs...)
}

func (c Config) grant() string {
	if c.Grant == "" {
		return Device
	}
	return c.Grant
}

func (c Config) scopes() []string {
	if len(c.Scopes) > 0 {
		return c.Scopes
	}
	return DefaultScopes(c.Provider, c.grant(), c.For)
}

// endpoint is the provider's token and device endpoints, with the
// configured overrides.
func (c Config) endpoint() oauth2.Endpoint {
	var e oauth2.Endpoint
	switch c.Provider {
	case Microsoft:
		e = endpoints.AzureAD(c.Tenant)
	case Google:
		e = endpoints.Google
	}
	if c.TokenURL != "" {
		e.TokenURL = c.TokenURL
	}
	if c.DeviceAuthURL != "" {
		e.DeviceAuthURL = c.DeviceAuthURL
	}
	if c.AuthURL != "" {
		e.AuthURL = c.AuthURL
	}
	if c.ClientSecret == "" {
		// A public client sends its id in the form; there is no secret
		// for Basic authentication.
		e.AuthStyle = oauth2.AuthStyleInParams
	}
	return e
}

func (c Config) oauth2Config() *oauth2.Config {
	return &oauth2.Config{ClientID: c.ClientID, ClientSecret: c.ClientSecret, Endpoint: c.endpoint(), Scopes: c.scopes()}
}

func (c Config) clientCredentials() *clientcredentials.Config {
	e := c.endpoint()
	return &clientcredentials.Config{ClientID: c.ClientID, ClientSecret: c.ClientSecret, TokenURL: e.TokenURL, Scopes: c.scopes(), AuthStyle: e.AuthStyle}
}

// httpContext carries the HTTP client to x/oauth2.
func (c Config) httpContext(ctx context.Context) context.Context {
	client := c.HTTPClient
	if client == nil {
		client = &http.Client{Timeout: requestTimeout}
	}
	return context.WithValue(ctx, oauth2.HTTPClient, client)
}

// safeError is err without what a token endpoint may echo back: x/oauth2's
// RetrieveError carries the whole response body, which is not ours to log.
// The OAuth error code and description stay.
func safeError(err error) error {
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) {
		return err
	}
	status := ""
	if re.Response != nil {
		status = re.Response.Status
	}
	msg := strings.TrimSpace(strings.Join([]string{status, re.ErrorCode, re.ErrorDescription}, " "))
	if msg == "" {
		msg = "refused"
	}
	return &TokenError{Code: re.ErrorCode, msg: msg}
}

// TokenError is a refusal by the token endpoint: Code is its OAuth error
// ("invalid_grant" for a refresh token that was revoked or has expired).
type TokenError struct {
	Code string
	msg  string
}

func (e *TokenError) Error() string { return "token endpoint: " + e.msg }
