package oauth

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"golang.org/x/oauth2"
)

// Login runs the device authorization grant (RFC 8628) for cfg: it asks
// the provider for a code, prints the address to open and the code to
// enter there, one line each, polls until the person signed in, and writes
// the refresh token to cfg.TokenFile. It returns once the file is written.
func Login(ctx context.Context, cfg Config, out io.Writer) error {
	if cfg.grant() != Device {
		return fmt.Errorf("%s uses the %s grant, which needs no login: the application signs in as itself", cfg.Account, cfg.grant())
	}
	oc := cfg.oauth2Config()
	if oc.Endpoint.DeviceAuthURL == "" {
		return errors.New("the provider has no device authorization endpoint: set device_auth_url")
	}
	ctx = cfg.httpContext(ctx)
	da, err := oc.DeviceAuth(ctx)
	if err != nil {
		return fmt.Errorf("device authorization: %w", safeError(err))
	}
	fmt.Fprintf(out, "open: %s\n", da.VerificationURI)
	fmt.Fprintf(out, "code: %s\n", da.UserCode)
	if !da.Expiry.IsZero() {
		fmt.Fprintf(out, "waiting for the sign-in as the mailbox's user, until %s\n", da.Expiry.UTC().Format(time.TimeOnly+" UTC"))
	}
	tok, err := oc.DeviceAccessToken(ctx, da)
	if err != nil {
		return fmt.Errorf("device sign-in: %w", safeError(err))
	}
	if tok.RefreshToken == "" {
		return errors.New("the provider sent no refresh token (Microsoft needs the offline_access scope)")
	}
	if err := WriteTokenFile(cfg.TokenFile, tok.RefreshToken); err != nil {
		return err
	}
	fmt.Fprintf(out, "signed in; refresh token written to %s\n", cfg.TokenFile)
	return nil
}

// LoginBrowser gets the first refresh token with the authorization code
// grant and PKCE (RFC 7636), redirected to a listener on loopback (RFC
// 8252): for providers whose device grant does not offer the mail scopes
// (Google). It listens on listen (host:port on loopback; port 0 picks
// one), prints the address to open, one line, and waits for the provider
// to redirect the browser back. On a server without a browser, forward the
// port: ssh -L PORT:127.0.0.1:PORT server.
func LoginBrowser(ctx context.Context, cfg Config, listen string, out io.Writer) error {
	if cfg.grant() != Device {
		return fmt.Errorf("%s uses the %s grant, which needs no login: the application signs in as itself", cfg.Account, cfg.grant())
	}
	oc := cfg.oauth2Config()
	if oc.Endpoint.AuthURL == "" {
		return errors.New("the provider has no authorization endpoint: set auth_url")
	}
	host, _, err := net.SplitHostPort(listen)
	if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("listen %q: want a loopback address like 127.0.0.1:8765", listen)
	}
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return fmt.Errorf("listen for the redirect: %w", err)
	}
	defer ln.Close()
	oc.RedirectURL = "http://" + ln.Addr().String() + "/"
	verifier := oauth2.GenerateVerifier()
	state := oauth2.GenerateVerifier()
	type result struct {
		code string
		err  error
	}
	done := make(chan result, 1)
	srv := &http.Server{ReadHeaderTimeout: 10 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		var res result
		switch {
		case q.Get("state") != state:
			http.Error(w, "maildesk: this is not the sign-in maildesk started", http.StatusBadRequest)
			return
		case q.Get("error") != "":
			res.err = fmt.Errorf("the provider refused: %s %s", q.Get("error"), q.Get("error_description"))
		case q.Get("code") == "":
			res.err = errors.New("the provider sent no code")
		default:
			res.code = q.Get("code")
		}
		if res.err != nil {
			http.Error(w, "maildesk: "+res.err.Error(), http.StatusBadRequest)
		} else {
			fmt.Fprintln(w, "maildesk: signed in; you may close this window.")
		}
		select {
		case done <- res:
		default:
		}
	})}
	go srv.Serve(ln)
	defer srv.Close()
	// access_type and prompt are Google's way to be sure of a refresh
	// token; other providers ignore them.
	u := oc.AuthCodeURL(state, oauth2.AccessTypeOffline, oauth2.ApprovalForce, oauth2.S256ChallengeOption(verifier))
	fmt.Fprintf(out, "open: %s\n", u)
	var res result
	select {
	case <-ctx.Done():
		return ctx.Err()
	case res = <-done:
	}
	if res.err != nil {
		return res.err
	}
	tok, err := oc.Exchange(cfg.httpContext(ctx), res.code, oauth2.VerifierOption(verifier))
	if err != nil {
		return fmt.Errorf("exchange the code: %w", safeError(err))
	}
	if tok.RefreshToken == "" {
		return errors.New("the provider sent no refresh token")
	}
	if err := WriteTokenFile(cfg.TokenFile, tok.RefreshToken); err != nil {
		return err
	}
	fmt.Fprintf(out, "signed in; refresh token written to %s\n", cfg.TokenFile)
	return nil
}
