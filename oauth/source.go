package oauth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"golang.org/x/oauth2"
)

// requestTimeout bounds one request to the token endpoint.
const requestTimeout = 30 * time.Second

// maxEarly is how long before its expiry an access token is replaced at
// most; a short-lived token is replaced when a quarter of its life is left.
const maxEarly = 2 * time.Minute

// ErrNoToken means the token file is missing: nobody has run `maildesk
// oauth login` for the account yet.
var ErrNoToken = errors.New("no refresh token")

// Source hands out access tokens for one account: cached while fresh,
// refreshed before expiry, the refresh token written back to the token
// file whenever the provider rotates it. It is safe for concurrent use.
type Source struct {
	cfg Config
	log *slog.Logger
	// Failed, when set, is told of every failed refresh (the daemon
	// counts them); Refreshed of every successful one.
	Failed    func(account string, err error)
	Refreshed func(account string)
	now       func() time.Time

	mu        sync.Mutex
	access    *oauth2.Token
	renewAt   time.Time
	refresh   string // the refresh token in use; "" until read
	rereadDue bool   // read the token file again before the next refresh
}

// NewSource returns the token source of cfg; log gets one line per
// refresh failure and per rotation, never a token.
func NewSource(cfg Config, log *slog.Logger) *Source {
	if log == nil {
		log = slog.Default()
	}
	return &Source{cfg: cfg, log: log.With("account", cfg.Account), now: time.Now}
}

// Token returns an access token valid for a while yet, refreshing it if
// needed. A failed refresh is logged, reported to Failed and returned; the
// caller retries later.
func (s *Source) Token(ctx context.Context) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.access != nil && s.now().Before(s.renewAt) {
		return s.access.AccessToken, nil
	}
	tok, err := s.fetch(ctx)
	if err != nil {
		s.log.Error("oauth2 token refresh failed; the account retries with backoff",
			"provider", s.cfg.Provider, "token_url", s.cfg.endpoint().TokenURL, "err", err)
		if s.Failed != nil {
			s.Failed(s.cfg.Account, err)
		}
		return "", fmt.Errorf("oauth2 token for %s: %w", s.cfg.Account, err)
	}
	if tok.AccessToken == "" {
		return "", fmt.Errorf("oauth2 token for %s: the token endpoint sent no access token", s.cfg.Account)
	}
	s.access = tok
	s.renewAt = renewAt(s.now(), tok.Expiry)
	if s.Refreshed != nil {
		s.Refreshed(s.cfg.Account)
	}
	s.log.Debug("oauth2 access token obtained", "expires", tok.Expiry.UTC().Format(time.RFC3339))
	return tok.AccessToken, nil
}

// Invalidate drops the cached access token, so that the next Token gets a
// new one: for a server that refused it before its expiry.
func (s *Source) Invalidate() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.access = nil
}

func renewAt(now, expiry time.Time) time.Time {
	if expiry.IsZero() {
		// No expires_in: use it for a while, then ask again.
		return now.Add(30 * time.Minute)
	}
	early := min(maxEarly, expiry.Sub(now)/4)
	return expiry.Add(-max(early, 0))
}

func (s *Source) fetch(ctx context.Context) (*oauth2.Token, error) {
	ctx = s.cfg.httpContext(ctx)
	if s.cfg.grant() == ClientCredentials {
		tok, err := s.cfg.clientCredentials().Token(ctx)
		return tok, safeError(err)
	}
	if s.refresh == "" || s.rereadDue {
		rt, err := ReadTokenFile(s.cfg.TokenFile)
		if err != nil {
			return nil, err
		}
		if rt != s.refresh && s.refresh != "" {
			s.log.Info("oauth2 token file changed; using its refresh token", "token_file", s.cfg.TokenFile)
		}
		s.refresh, s.rereadDue = rt, false
	}
	tok, err := s.cfg.oauth2Config().TokenSource(ctx, &oauth2.Token{RefreshToken: s.refresh}).Token()
	if err != nil {
		// A refresh token refused outright may have been replaced by a
		// new login meanwhile: read the file again next time.
		s.rereadDue = true
		return nil, safeError(err)
	}
	if tok.RefreshToken != "" && tok.RefreshToken != s.refresh {
		// Rotated: the old one may be dead already, so the new one must
		// survive a crash. A file that cannot be written keeps the
		// token in memory, and says so.
		s.refresh = tok.RefreshToken
		if err := WriteTokenFile(s.cfg.TokenFile, tok.RefreshToken); err != nil {
			s.log.Error("oauth2 refresh token rotated but not saved; it lives in memory until the next rotation",
				"token_file", s.cfg.TokenFile, "err", err)
		} else {
			s.log.Info("oauth2 refresh token rotated and saved", "token_file", s.cfg.TokenFile)
		}
	}
	return tok, nil
}

// tokenFile is the token file's content.
type tokenFile struct {
	RefreshToken string    `json:"refresh_token"`
	Saved        time.Time `json:"saved"`
}

// ReadTokenFile returns the refresh token in path; ErrNoToken when the
// file does not exist.
func ReadTokenFile(path string) (string, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("token_file %s: %w: run maildesk oauth login first", path, ErrNoToken)
	}
	if err != nil {
		return "", fmt.Errorf("token_file: %w", err)
	}
	var f tokenFile
	if err := json.Unmarshal(b, &f); err != nil {
		// Never quote the content.
		return "", fmt.Errorf("token_file %s: not a maildesk token file", path)
	}
	if f.RefreshToken == "" {
		return "", fmt.Errorf("token_file %s: %w in it: run maildesk oauth login again", path, ErrNoToken)
	}
	return f.RefreshToken, nil
}

// WriteTokenFile stores refresh in path, mode 0600, atomically: a new file
// beside it, synced, renamed over the old one, the directory synced.
func WriteTokenFile(path, refresh string) error {
	b, err := json.MarshalIndent(tokenFile{RefreshToken: refresh, Saved: time.Now().UTC().Truncate(time.Second)}, "", "  ")
	if err != nil {
		return err
	}
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("write token file: %w", err)
	}
	tmp := f.Name()
	defer os.Remove(tmp) // after the rename, a no-op
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return fmt.Errorf("write token file: %w", err)
	}
	if _, err := f.Write(append(b, '\n')); err != nil {
		f.Close()
		return fmt.Errorf("write token file: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("write token file: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write token file: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("write token file: %w", err)
	}
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
	return nil
}
