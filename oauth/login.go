package oauth

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"
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
