package config

import (
	"encoding/json"
	"log/slog"
)

// Secret holds a password. It never prints: fmt, encoding/json and log/slog
// all see "********" (or "" when empty), so a Config can be logged or dumped
// whole without leaking it. Only Reveal gives the value, at the one place that
// needs it (the login).
type Secret struct {
	value  string
	source string // "password_env NAME" or "password_file PATH"
}

// Source says where the password came from ("password_env
// MAILDESK_IMAP_PASSWORD", "password_file /etc/maildesk/imap.secret"), for
// a log line about a refused login; "" when it was not read from the
// configuration. It never includes the password.
func (s Secret) Source() string { return s.source }

const masked = "********"

// NewSecret wraps a password, for callers that build a Config themselves
// (tests, the demo).
func NewSecret(value string) Secret { return Secret{value: value} }

// Reveal returns the password.
func (s Secret) Reveal() string { return s.value }

// IsZero reports whether no password is set.
func (s Secret) IsZero() bool { return s.value == "" }

func (s Secret) mask() string {
	if s.value == "" {
		return ""
	}
	return masked
}

// String masks the password for %v and %s.
func (s Secret) String() string { return s.mask() }

// GoString masks the password for %#v.
func (s Secret) GoString() string { return s.mask() }

// MarshalJSON masks the password, also when slog's JSON handler logs a
// struct that contains it.
func (s Secret) MarshalJSON() ([]byte, error) { return json.Marshal(s.mask()) }

// MarshalText masks the password for text encoders (and for JSON map keys).
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.mask()), nil }

// LogValue masks the password when the Secret itself is logged.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.mask()) }
