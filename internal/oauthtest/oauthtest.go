// Package oauthtest is a small OAuth 2.0 authorization server on loopback
// for the tests: a token endpoint (refresh token grant with rotation, the
// device code grant, client credentials), a device authorization endpoint
// (RFC 8628) and token introspection (RFC 7662) for Dovecot's oauth2
// passdb. Refresh tokens are single-use: a rotated one is refused, as
// Microsoft and Google may do. It does not import testing.
package oauthtest

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"time"
)

// Server is a running authorization server.
type Server struct {
	srv *httptest.Server
	// ClientID is the only client it knows; ClientSecret, when set, is
	// required of it.
	ClientID, ClientSecret string

	mu       sync.Mutex
	lifetime time.Duration
	refresh  map[string]string // live refresh token -> user
	used     map[string]bool   // rotated refresh tokens
	access   map[string]grant
	devices  map[string]*device
	codes    map[string]authCode
	browser  string // the user the authorization endpoint signs in
	appUser  string
	failing  bool
	counts   map[string]int
	issued   []string // every token handed out, for the log checks
}

type grant struct {
	user    string
	expires time.Time
}

type authCode struct {
	user, redirect, challenge string
}

type device struct {
	user  string
	polls int
}

// Start serves on a free loopback port. Access tokens live lifetime.
func Start(clientID, clientSecret string, lifetime time.Duration) *Server {
	s := &Server{
		ClientID: clientID, ClientSecret: clientSecret, lifetime: lifetime,
		refresh: map[string]string{}, used: map[string]bool{}, access: map[string]grant{},
		devices: map[string]*device{}, codes: map[string]authCode{}, counts: map[string]int{},
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /token", s.token)
	mux.HandleFunc("POST /device", s.device)
	mux.HandleFunc("POST /introspect", s.introspect)
	mux.HandleFunc("GET /authorize", s.authorize)
	s.srv = httptest.NewServer(mux)
	return s
}

// Close stops the server.
func (s *Server) Close() { s.srv.Close() }

// AuthURL is the authorization endpoint: it signs in BrowserUser at once
// and redirects back with a code.
func (s *Server) AuthURL() string { return s.srv.URL + "/authorize" }

// BrowserUser makes the authorization endpoint sign in as user.
func (s *Server) BrowserUser(user string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.browser = user
}

// TokenURL, DeviceURL and IntrospectionURL are the endpoints.
func (s *Server) TokenURL() string         { return s.srv.URL + "/token" }
func (s *Server) DeviceURL() string        { return s.srv.URL + "/device" }
func (s *Server) IntrospectionURL() string { return s.srv.URL + "/introspect" }

// VerificationURI is what the device endpoint tells the person to open.
const VerificationURI = "https://login.example.test/device"

// DeviceUser makes the next device authorization sign in as user, after
// one "authorization_pending" poll.
func (s *Server) DeviceUser(user string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.devices[""] = &device{user: user}
}

// AppUser is the user a client-credentials token acts for.
func (s *Server) AppUser(user string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.appUser = user
}

// Issue returns a new refresh token for user, as a past login would have.
func (s *Server) Issue(user string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	rt := s.newToken("rt-")
	s.refresh[rt] = user
	return rt
}

// SetLifetime changes the lifetime of access tokens issued from now on.
func (s *Server) SetLifetime(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lifetime = d
}

// ExpireAll makes every access token issued so far expired.
func (s *Server) ExpireAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, g := range s.access {
		g.expires = time.Now().Add(-time.Second)
		s.access[k] = g
	}
}

// Fail makes the token endpoint answer 503 (true) or work again (false).
func (s *Server) Fail(failing bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failing = failing
}

// Count is how often what happened: "refresh", "rotated-refused",
// "device", "client_credentials", "introspect", "introspect-inactive".
func (s *Server) Count(what string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.counts[what]
}

// Live reports whether rt is a refresh token that would be accepted.
func (s *Server) Live(rt string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.refresh[rt]
	return ok
}

// Issued lists every token the server handed out (access and refresh),
// for tests that make sure none reached a log.
func (s *Server) Issued() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.issued...)
}

func (s *Server) newToken(prefix string) string {
	b := make([]byte, 16)
	rand.Read(b)
	t := prefix + hex.EncodeToString(b)
	s.issued = append(s.issued, t)
	return t
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(v)
}

func oauthError(w http.ResponseWriter, code int, e string) {
	writeJSON(w, code, map[string]string{"error": e, "error_description": "oauthtest: " + e})
}

func (s *Server) clientOK(r *http.Request) bool {
	id, secret, basic := r.BasicAuth()
	if !basic {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	return id == s.ClientID && (s.ClientSecret == "" || secret == s.ClientSecret)
}

func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		oauthError(w, 400, "invalid_request")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failing {
		oauthError(w, 503, "temporarily_unavailable")
		return
	}
	if !s.clientOK(r) {
		oauthError(w, 401, "invalid_client")
		return
	}
	var user string
	var refresh bool
	switch r.PostForm.Get("grant_type") {
	case "refresh_token":
		rt := r.PostForm.Get("refresh_token")
		u, ok := s.refresh[rt]
		if !ok {
			if s.used[rt] {
				s.counts["rotated-refused"]++
			}
			oauthError(w, 400, "invalid_grant")
			return
		}
		delete(s.refresh, rt)
		s.used[rt] = true
		s.counts["refresh"]++
		user, refresh = u, true
	case "urn:ietf:params:oauth:grant-type:device_code":
		d, ok := s.devices[r.PostForm.Get("device_code")]
		if !ok {
			oauthError(w, 400, "expired_token")
			return
		}
		if d.polls++; d.polls == 1 {
			oauthError(w, 400, "authorization_pending")
			return
		}
		delete(s.devices, r.PostForm.Get("device_code"))
		s.counts["device"]++
		user, refresh = d.user, true
	case "authorization_code":
		c, ok := s.codes[r.PostForm.Get("code")]
		delete(s.codes, r.PostForm.Get("code"))
		sum := sha256.Sum256([]byte(r.PostForm.Get("code_verifier")))
		if !ok || c.redirect != r.PostForm.Get("redirect_uri") || base64.RawURLEncoding.EncodeToString(sum[:]) != c.challenge {
			oauthError(w, 400, "invalid_grant")
			return
		}
		s.counts["authorization_code"]++
		user, refresh = c.user, true
	case "client_credentials":
		if s.ClientSecret == "" || s.appUser == "" {
			oauthError(w, 400, "unauthorized_client")
			return
		}
		s.counts["client_credentials"]++
		user = s.appUser
	default:
		oauthError(w, 400, "unsupported_grant_type")
		return
	}
	at := s.newToken("at-")
	s.access[at] = grant{user: user, expires: time.Now().Add(s.lifetime)}
	resp := map[string]any{"access_token": at, "token_type": "Bearer", "expires_in": int(s.lifetime / time.Second)}
	if refresh {
		rt := s.newToken("rt-")
		s.refresh[rt] = user
		resp["refresh_token"] = rt
	}
	writeJSON(w, 200, resp)
}

func (s *Server) device(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		oauthError(w, 400, "invalid_request")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	// RFC 8628 clients send their id only, as a public client does.
	if r.PostForm.Get("client_id") != s.ClientID {
		oauthError(w, 401, "invalid_client")
		return
	}
	d, ok := s.devices[""]
	if !ok {
		oauthError(w, 400, "access_denied")
		return
	}
	delete(s.devices, "")
	code := s.newToken("dc-")
	s.devices[code] = d
	writeJSON(w, 200, map[string]any{
		"device_code": code, "user_code": "WDJB-MJHT", "verification_uri": VerificationURI,
		"expires_in": 600, "interval": 1,
	})
}

func (s *Server) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	s.mu.Lock()
	defer s.mu.Unlock()
	redirect, err := url.Parse(q.Get("redirect_uri"))
	if err != nil || redirect.Hostname() != "127.0.0.1" || q.Get("client_id") != s.ClientID ||
		q.Get("response_type") != "code" || q.Get("code_challenge_method") != "S256" || s.browser == "" {
		http.Error(w, "oauthtest: bad authorization request", http.StatusBadRequest)
		return
	}
	code := s.newToken("ac-")
	s.codes[code] = authCode{user: s.browser, redirect: q.Get("redirect_uri"), challenge: q.Get("code_challenge")}
	v := redirect.Query()
	v.Set("code", code)
	v.Set("state", q.Get("state"))
	redirect.RawQuery = v.Encode()
	http.Redirect(w, r, redirect.String(), http.StatusFound)
}

func (s *Server) introspect(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		oauthError(w, 400, "invalid_request")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.counts["introspect"]++
	g, ok := s.access[r.PostForm.Get("token")]
	if !ok || time.Now().After(g.expires) {
		s.counts["introspect-inactive"]++
		writeJSON(w, 200, map[string]any{"active": false})
		return
	}
	writeJSON(w, 200, map[string]any{"active": true, "username": g.user, "exp": g.expires.Unix()})
}

// Check is introspection as a function, for an in-process server that
// takes bearer tokens (localmail's SMTP): nil when token is a live access
// token of user.
func (s *Server) Check(user, token string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	g, ok := s.access[token]
	switch {
	case !ok:
		return errors.New("unknown access token")
	case time.Now().After(g.expires):
		s.counts["introspect-inactive"]++
		return errors.New("access token expired")
	case g.user != user:
		return errors.New("access token of another user")
	}
	return nil
}
