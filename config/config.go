// Package config reads maildesk.toml: where the database, the rules and the
// templates are, the mail servers and the mailboxes to watch. Load checks it
// whole and reports every problem as file:line: message; passwords are
// resolved from the environment or a file into Secrets, which never print.
//
// The rules directory the file names is read by package rules; the two meet
// in package desk (desk.Load), which checks one against the other.
package config

import (
	"cmp"
	"errors"
	"io/fs"
	"net"
	"net/mail"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/kioi/maildesk/internal/tomlcheck"

	// The deadlines are computed in the configured zone; embedding the zone
	// database makes that independent of the host (distroless images,
	// Windows) at a cost of about 450 kB.
	_ "time/tzdata"
)

// Config is maildesk.toml: where things are and how to reach the mail servers.
// Paths are absolute and passwords are resolved, so nothing downstream depends
// on the working directory or the environment.
type Config struct {
	Path string // absolute path of the file
	// File is the path as given to Load, which problems name (as the
	// admin typed it); "" in a Config built by hand, whose problems name
	// Path.
	File string
	// Database is the SQLite file (absolute; default "maildesk.db" next
	// to the file), or a postgres:// or postgresql:// URL, which selects
	// PostgreSQL. A URL never holds a password (Load refuses one), so it
	// can be logged as it is; the password is DatabasePassword.
	Database string
	// DatabasePassword (keys database_password_env or
	// database_password_file) is PostgreSQL's password; empty when unset,
	// and then PGPASSWORD or ~/.pgpass may give it. LoadNoSecrets still
	// resolves it: a command that reads the database needs it.
	DatabasePassword Secret
	Rules            string // absolute directory of rule files; default "rules"
	Templates        string // absolute directory of template overrides, "" when unset
	Timezone         string // default "Asia/Seoul"
	// LogFormat (key log_format) is how the daemon writes its log:
	// LogText (default: slog's key=value lines, for journald and a
	// terminal) or LogJSON (one object a line, for a log collector).
	LogFormat string
	// TrustedAuthServID is the authserv-id of the institute's own mail
	// server (key trusted_authserv_id). Its Authentication-Results header,
	// topmost in a mail, showing DKIM or DMARC pass for a handler's domain
	// makes that handler's direct answer to a customer count; "" trusts none.
	TrustedAuthServID string
	// MaxMessageSize (key max_message_size, e.g. "25MB") is the largest
	// mail stored whole, in bytes; a larger one is stored as its header,
	// quarantined with the reason, and its handler told. Default
	// DefaultMaxMessageSize.
	MaxMessageSize int64
	// StaffAttachmentsMax (key staff_attachments_max, e.g. "10MB") is the
	// largest total size of a customer's files a handler's notice carries;
	// above it the notice lists them with the command that extracts them.
	// 0 ("0") attaches nothing, only lists. Default
	// DefaultStaffAttachmentsMax.
	StaffAttachmentsMax int64
	Location            *time.Location
	SMTP                SMTP
	Mailboxes           []Mailbox
	// HTTP is the optional listener of /metrics, /healthz and /readyz.
	HTTP HTTP
}

// HTTP is the [http] table: the operators' listener. Listen "" (the table
// or the key absent) serves nothing.
type HTTP struct {
	Listen string // host:port, e.g. "127.0.0.1:9465"
	// AllowRemote silences the warning about a Listen address other
	// machines can reach: /metrics has no authentication, and it tells
	// how busy and how late the helpdesk is.
	AllowRemote bool
}

// Remote reports whether Listen can be reached from other machines: a
// host that is not loopback, or none (every interface).
func (h HTTP) Remote() bool {
	host, _, err := net.SplitHostPort(h.Listen)
	if err != nil || host == "" {
		return h.Listen != ""
	}
	if strings.EqualFold(host, "localhost") {
		return false
	}
	ip := net.ParseIP(host)
	return ip == nil || !ip.IsLoopback()
}

// The values of log_format.
const (
	LogText = "text"
	LogJSON = "json"
)

// SMTP is the submission server every outgoing mail goes through.
type SMTP struct {
	Host     string
	Port     int
	Security string // "tls" | "starttls" | "none"
	Username string // "" means no authentication
	Password Secret
	Helo     string // name announced in EHLO; "" lets the client choose
	// Auth is AuthPassword (the default) or AuthOAuth2, with OAuth2 set:
	// AUTH XOAUTH2 with an access token.
	Auth   string
	OAuth2 *OAuth2
}

// The values of auth in [smtp] and [[mailbox]].
const (
	AuthPassword = "password"
	AuthOAuth2   = "oauth2"
)

// OAuth2 is a [mailbox.oauth2] or [smtp.oauth2] table: the OAuth 2.0
// client that gets the access tokens an account signs in with.
type OAuth2 struct {
	Provider string // "microsoft" | "google" | "generic"
	Tenant   string // Microsoft Entra tenant: id, domain or "organizations"
	ClientID string
	// ClientSecret (client_secret_env or client_secret_file) is empty for
	// a public client.
	ClientSecret  Secret
	TokenURL      string // overrides the provider's; required for generic
	DeviceAuthURL string // overrides the provider's; generic needs it or AuthURL
	// AuthURL is the authorization endpoint of `oauth login -browser`;
	// overrides the provider's.
	AuthURL string
	Scopes  []string
	// TokenFile (absolute) holds the refresh token; `maildesk oauth
	// login` writes it first, the daemon on every rotation.
	TokenFile string
	// Mechanism is the SASL mechanism for IMAP: "xoauth2" (default) or
	// "oauthbearer". SMTP always uses XOAUTH2.
	Mechanism string
	// Grant is "device" (default: a person signs in once with `maildesk
	// oauth login`) or "client_credentials" (Microsoft's app-only access).
	Grant string
	// Line is the line of the table, for problems found elsewhere.
	Line int
}

// The values of oauth2 keys.
const (
	ProviderMicrosoft = "microsoft"
	ProviderGoogle    = "google"
	ProviderGeneric   = "generic"
	MechXOAUTH2       = "xoauth2"
	MechOAuthBearer   = "oauthbearer"
	GrantDevice       = "device"
	GrantClientCreds  = "client_credentials"
)

// Mailbox is one published address and the IMAP account that receives it.
type Mailbox struct {
	Name     string // referred to by the rules; [a-z0-9-]+
	Address  string // the published address, e.g. fta-pass@origin.or.kr
	Host     string
	Port     int
	Security string // "tls" | "starttls" | "none"
	Username string
	Password Secret
	// Auth is AuthPassword (the default) or AuthOAuth2, with OAuth2 set.
	Auth    string
	OAuth2  *OAuth2
	Folder  string // default "INBOX"
	After   string // what to do with a stored message: "seen" (default) | "keep" | "move:FOLDER"
	History History
	// Line is the line of the mailbox's name in the file, for problems
	// found elsewhere (a mailbox without a rule); 0 when built by hand.
	Line int
}

// History says which mail already in a mailbox when maildesk first reads it
// (no cursor in the database: a new deployment, or a lost database) is
// stored as history: kept, threaded, closed, never acknowledged and never
// sent to a handler. Without it, a first start on a folder with years of
// mail answers all of it.
type History struct {
	// Age: mail that arrived more than Age before the first start is
	// history ("24h", the default).
	Age time.Duration
	All bool // "all": everything in the folder at the first start is history
	// None ("none"): nothing is history; every mail is answered.
	None bool
}

// DefaultHistory is history when unset: mail older than a day at the
// first start was surely seen to by someone already.
var DefaultHistory = History{Age: 24 * time.Hour}

// Cutoff returns the time before which mail is history for a mailbox first
// read at start, and false when none is.
func (h History) Cutoff(start time.Time) (time.Time, bool) {
	switch {
	case h.None:
		return time.Time{}, false
	case h.All:
		return start, true
	}
	return start.Add(-h.Age), true
}

// String is the setting as written in maildesk.toml.
func (h History) String() string {
	switch {
	case h.None:
		return "none"
	case h.All:
		return "all"
	}
	return h.Age.String()
}

// Security values of the smtp and mailbox tables.
const (
	SecurityTLS      = "tls"
	SecurityStartTLS = "starttls"
	SecurityNone     = "none"
)

// The file's own shape. Pointers tell an omitted port or flag from a zero one.
type configFile struct {
	Database          string        `toml:"database"`
	DatabasePwEnv     string        `toml:"database_password_env"`
	DatabasePwFile    string        `toml:"database_password_file"`
	Rules             string        `toml:"rules"`
	Templates         string        `toml:"templates"`
	Timezone          string        `toml:"timezone"`
	LogFormat         string        `toml:"log_format"`
	TrustedAuthServID string        `toml:"trusted_authserv_id"`
	MaxMessageSize    string        `toml:"max_message_size"`
	StaffAttachments  string        `toml:"staff_attachments_max"`
	SMTP              *smtpFile     `toml:"smtp"`
	Mailbox           []mailboxFile `toml:"mailbox"`
	HTTP              *httpFile     `toml:"http"`
}

type httpFile struct {
	Listen      string `toml:"listen"`
	AllowRemote bool   `toml:"allow_remote"`
}

type smtpFile struct {
	Host         string      `toml:"host"`
	Port         *int        `toml:"port"`
	Security     string      `toml:"security"`
	Username     string      `toml:"username"`
	PasswordEnv  string      `toml:"password_env"`
	PasswordFile string      `toml:"password_file"`
	Helo         string      `toml:"helo"`
	Auth         string      `toml:"auth"`
	OAuth2       *oauth2File `toml:"oauth2"`
}

type oauth2File struct {
	Provider         string   `toml:"provider"`
	Tenant           string   `toml:"tenant"`
	ClientID         string   `toml:"client_id"`
	ClientSecretEnv  string   `toml:"client_secret_env"`
	ClientSecretFile string   `toml:"client_secret_file"`
	TokenURL         string   `toml:"token_url"`
	DeviceAuthURL    string   `toml:"device_auth_url"`
	AuthURL          string   `toml:"auth_url"`
	Scopes           []string `toml:"scopes"`
	TokenFile        string   `toml:"token_file"`
	Mechanism        string   `toml:"mechanism"`
	Grant            string   `toml:"grant"`
}

type mailboxFile struct {
	Name         string      `toml:"name"`
	Address      string      `toml:"address"`
	Host         string      `toml:"host"`
	Port         *int        `toml:"port"`
	Security     string      `toml:"security"`
	Username     string      `toml:"username"`
	PasswordEnv  string      `toml:"password_env"`
	PasswordFile string      `toml:"password_file"`
	Folder       string      `toml:"folder"`
	After        string      `toml:"after"`
	History      string      `toml:"history"`
	Auth         string      `toml:"auth"`
	OAuth2       *oauth2File `toml:"oauth2"`
}

var authservRE = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$`)

// Problem is one thing wrong in the file; its Error is file:line: message.
type Problem = tomlcheck.Problem

// Problems is the error Load returns: every problem, one per line, sorted by
// line.
type Problems = tomlcheck.Problems

// file is maildesk.toml being decoded; the checks of this package are its
// methods.
type file struct {
	*tomlcheck.File
	// noSecrets skips resolving passwords: for commands that only read
	// the database and must not need the daemon's environment.
	noSecrets bool
}

// Load reads and checks maildesk.toml. On failure the error is Problems
// listing everything wrong, each with the file and line.
func Load(path string) (*Config, error) { return load(path, false) }

// LoadNoSecrets is Load without resolving passwords, for commands that only
// read the database (maildesk tickets): an admin can run them without the
// daemon's environment. Every Password is empty.
func LoadNoSecrets(path string) (*Config, error) { return load(path, true) }

func load(path string, noSecrets bool) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, Problems{{File: path, Msg: err.Error()}}
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, Problems{{File: path, Msg: err.Error()}}
	}
	var raw configFile
	tf, ok := tomlcheck.Decode(path, data, &raw)
	if !ok {
		return nil, tf.Problems.Err()
	}
	f := &file{File: tf, noSecrets: noSecrets}
	dir := filepath.Dir(abs)
	cfg := &Config{
		Path:              abs,
		File:              path,
		Database:          f.database(dir, raw.Database),
		Rules:             resolvePath(dir, cmp.Or(raw.Rules, "rules")),
		Timezone:          cmp.Or(raw.Timezone, "Asia/Seoul"),
		LogFormat:         cmp.Or(raw.LogFormat, LogText),
		TrustedAuthServID: strings.ToLower(strings.TrimSpace(raw.TrustedAuthServID)),
	}
	if raw.Templates != "" {
		cfg.Templates = resolvePath(dir, raw.Templates)
	}
	if raw.DatabasePwEnv != "" || raw.DatabasePwFile != "" {
		if !IsPostgres(cfg.Database) {
			key := "database_password_file"
			if raw.DatabasePwEnv != "" {
				key = "database_password_env"
			}
			f.Addf(key, "%s: only a PostgreSQL database (database = \"postgres://…\") has a password", key)
		} else {
			// Resolved even for LoadNoSecrets: without it no command can
			// read a PostgreSQL database.
			cfg.DatabasePassword = f.secret(dir, "", "database_password", raw.DatabasePwEnv, raw.DatabasePwFile)
		}
	}
	cfg.StaffAttachmentsMax = DefaultStaffAttachmentsMax
	if v := strings.TrimSpace(raw.StaffAttachments); v == "0" {
		cfg.StaffAttachmentsMax = 0
	} else if v != "" {
		n, err := ParseSize(v)
		if err != nil {
			f.Addf("staff_attachments_max", "staff_attachments_max: %v (or \"0\" to attach nothing)", err)
		} else {
			cfg.StaffAttachmentsMax = n
		}
	}
	cfg.MaxMessageSize = DefaultMaxMessageSize
	if raw.MaxMessageSize != "" {
		n, err := ParseSize(raw.MaxMessageSize)
		switch {
		case err != nil:
			f.Addf("max_message_size", "max_message_size: %v", err)
		case n < minMaxMessageSize:
			f.Addf("max_message_size", "max_message_size %q is below the minimum of 64KB", raw.MaxMessageSize)
		default:
			cfg.MaxMessageSize = n
		}
	}
	if cfg.LogFormat != LogText && cfg.LogFormat != LogJSON {
		f.Addf("log_format", "log_format %q: want %q or %q", raw.LogFormat, LogText, LogJSON)
	}
	if id := cfg.TrustedAuthServID; id != "" && !authservRE.MatchString(id) {
		f.Addf("trusted_authserv_id", "trusted_authserv_id %q is not a host name", raw.TrustedAuthServID)
	}
	if !f.Bad("timezone") {
		loc, err := time.LoadLocation(cfg.Timezone)
		if err != nil {
			f.Addf("timezone", "unknown timezone %q", cfg.Timezone)
		}
		cfg.Location = loc
	}

	if raw.SMTP == nil {
		if !f.Bad("smtp") {
			f.Add(0, "missing [smtp] table")
		}
	} else {
		cfg.SMTP = f.smtp(dir, raw.SMTP)
	}

	if raw.HTTP != nil {
		cfg.HTTP = f.http(raw.HTTP)
	}

	if len(raw.Mailbox) == 0 && !f.Bad("mailbox") {
		f.Add(0, "no [[mailbox]] tables: maildesk needs at least one mailbox to watch")
	}
	names := map[string]string{}     // name -> key of its first definition
	addresses := map[string]string{} // lower-cased address -> key
	for i := range raw.Mailbox {
		key := "mailbox." + strconv.Itoa(i+1)
		mb := f.mailbox(dir, key, &raw.Mailbox[i])
		if mb.Name != "" {
			if first, dup := names[mb.Name]; dup {
				f.Addf(key+".name", "duplicate mailbox name %q (first at line %d)", mb.Name, f.Line(first))
			} else {
				names[mb.Name] = key + ".name"
			}
		}
		if mb.Address != "" {
			la := strings.ToLower(mb.Address)
			if first, dup := addresses[la]; dup {
				f.Addf(key+".address", "duplicate mailbox address %q (first at line %d)", mb.Address, f.Line(first))
			} else {
				addresses[la] = key + ".address"
			}
		}
		cfg.Mailboxes = append(cfg.Mailboxes, mb)
	}
	if err := f.Problems.Err(); err != nil {
		return nil, err
	}
	return cfg, nil
}

func (f *file) smtp(dir string, raw *smtpFile) SMTP {
	const key = "smtp"
	s := SMTP{
		Host:     raw.Host,
		Security: raw.Security,
		Username: raw.Username,
		Helo:     raw.Helo,
	}
	f.Required(key, "host", raw.Host)
	f.security(key, raw.Security)
	s.Port = f.port(key, raw.Port, map[string]int{SecurityTLS: 465, SecurityStartTLS: 587, SecurityNone: 25}[raw.Security])
	s.Auth, s.OAuth2 = f.auth(dir, key, raw.Auth, raw.OAuth2, false)
	if s.Auth == AuthOAuth2 {
		f.Required(key, "username", raw.Username)
		f.noPassword(key, raw.PasswordEnv, raw.PasswordFile)
		return s
	}
	s.Password = f.password(dir, key, raw.PasswordEnv, raw.PasswordFile, raw.Username != "")
	return s
}

func (f *file) http(raw *httpFile) HTTP {
	h := HTTP{Listen: strings.TrimSpace(raw.Listen), AllowRemote: raw.AllowRemote}
	if h.Listen == "" {
		return h
	}
	_, port, err := net.SplitHostPort(h.Listen)
	if n, perr := strconv.Atoi(port); err != nil || perr != nil || n < 0 || n > 65535 {
		f.Addf("http.listen", "listen = %q: want host:port, like \"127.0.0.1:9465\"", raw.Listen)
	}
	return h
}

func (f *file) mailbox(dir, key string, raw *mailboxFile) Mailbox {
	mb := Mailbox{
		Line:     f.Line(key + ".name"),
		Name:     raw.Name,
		Address:  raw.Address,
		Host:     raw.Host,
		Security: raw.Security,
		Username: raw.Username,
		Folder:   cmp.Or(raw.Folder, "INBOX"),
		After:    cmp.Or(raw.After, "seen"),
	}
	if f.Required(key, "name", raw.Name) && !tomlcheck.IsName(raw.Name) {
		f.Addf(key+".name", "mailbox name %q: use lower-case letters, digits and '-'", raw.Name)
	}
	if f.Required(key, "address", raw.Address) {
		if a, err := mail.ParseAddress(raw.Address); err != nil || a.Address != raw.Address {
			f.Addf(key+".address", "address %q is not an email address like name@example.org", raw.Address)
		}
	}
	f.Required(key, "host", raw.Host)
	def := 143
	if raw.Security == SecurityTLS {
		def = 993
	}
	f.security(key, raw.Security)
	mb.Port = f.port(key, raw.Port, def)
	f.Required(key, "username", raw.Username)
	mb.Auth, mb.OAuth2 = f.auth(dir, key, raw.Auth, raw.OAuth2, true)
	if mb.Auth == AuthOAuth2 {
		f.noPassword(key, raw.PasswordEnv, raw.PasswordFile)
	} else {
		mb.Password = f.password(dir, key, raw.PasswordEnv, raw.PasswordFile, true)
	}
	mb.History = DefaultHistory
	switch h := strings.TrimSpace(raw.History); h {
	case "":
	case "all":
		mb.History = History{All: true}
	case "none":
		mb.History = History{None: true}
	default:
		if d, err := tomlcheck.ParseDuration(h); err != nil || d <= 0 {
			f.Addf(key+".history", "history = %q: want a duration like \"24h\" or \"7d\", \"all\" or \"none\"", raw.History)
		} else {
			mb.History = History{Age: d}
		}
	}
	switch folder, isMove := strings.CutPrefix(mb.After, "move:"); {
	case mb.After == "seen" || mb.After == "keep":
	case isMove && strings.TrimSpace(folder) != "":
	default:
		f.Addf(key+".after", "after = %q: want \"seen\", \"keep\" or \"move:FOLDER\"", mb.After)
	}
	return mb
}

func (f *file) security(table, value string) bool {
	if !f.Required(table, "security", value) {
		return false
	}
	switch value {
	case SecurityTLS, SecurityStartTLS, SecurityNone:
		return true
	}
	f.Addf(table+".security", "security = %q: want \"tls\", \"starttls\" or \"none\"", value)
	return false
}

// port returns the configured port, or the conventional one for the security
// mode when the key is omitted.
func (f *file) port(table string, value *int, def int) int {
	key := table + ".port"
	if value == nil {
		return def
	}
	if *value < 1 || *value > 65535 {
		f.Addf(key, "port %d out of range 1-65535", *value)
		return 0
	}
	return *value
}

// password resolves password_env or password_file. Error messages name the
// variable or file, never the value.
func (f *file) password(dir, table, env, file string, needed bool) Secret {
	if f.noSecrets {
		return Secret{}
	}
	switch {
	case env != "" || file != "":
		return f.secret(dir, table, "password", env, file)
	case needed && !f.Bad(table+".password_env") && !f.Bad(table+".password_file") && !f.Has(table+".password"):
		// A password written in the file was reported as an unknown key
		// that names both alternatives.
		f.Addf(table, "missing password_env or password_file in %s", f.TableName(table))
	}
	return Secret{}
}

// secret resolves NAME_env or NAME_file (password, client_secret) of
// table, "" for the top level.
func (f *file) secret(dir, table, name, env, file string) Secret {
	envKey, fileKey := name+"_env", name+"_file"
	if table != "" {
		table += "."
	}
	switch {
	case env != "" && file != "":
		f.Addf(table+fileKey, "set %s or %s, not both", envKey, fileKey)
	case env != "":
		v, err := SecretFromEnv(env)
		if err != nil {
			f.Addf(table+envKey, "%s: %v", envKey, err)
		}
		return Secret{value: v.value, source: envKey + " " + env}
	case file != "":
		path := resolvePath(dir, file)
		v, err := SecretFromFile(path)
		switch {
		case errors.Is(err, errEmptySecret):
			f.Addf(table+fileKey, "%s %q is empty", fileKey, file)
		case err != nil:
			// Name the file as written; the reason is all that is needed
			// of the error.
			var pe *fs.PathError
			if errors.As(err, &pe) {
				err = pe.Err
			}
			f.Addf(table+fileKey, "%s %q: %v", fileKey, file, err)
			return Secret{}
		}
		return Secret{value: v.value, source: fileKey + " " + path}
	}
	return Secret{}
}

// errEmptySecret is SecretFromFile's error for a file with no password.
var errEmptySecret = errors.New("the file is empty")

// SecretFromEnv reads a password from the environment variable name, as
// a *_password_env key does: for a command's flag that names one (the
// error then reads "environment variable NAME is not set", never the
// value). An empty variable is an error too.
func SecretFromEnv(name string) (Secret, error) {
	v, ok := os.LookupEnv(name)
	switch {
	case !ok:
		return Secret{}, errors.New("environment variable " + name + " is not set")
	case v == "":
		return Secret{}, errors.New("environment variable " + name + " is empty")
	}
	return Secret{value: v, source: "environment variable " + name}, nil
}

// SecretFromFile reads a password from the file at path, as a
// *_password_file key does: the file's content without its trailing line
// break. An empty file is an error, as is one that cannot be read (the
// error names the path, never the content).
func SecretFromFile(path string) (Secret, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Secret{}, err
	}
	v := strings.TrimRight(string(b), "\r\n")
	if v == "" {
		return Secret{}, &fs.PathError{Op: "read", Path: path, Err: errEmptySecret}
	}
	return Secret{value: v, source: "file " + path}, nil
}

// noPassword reports a password set for an account that signs in with
// OAuth 2.0, where it would silently not be used.
func (f *file) noPassword(table, env, file string) {
	for _, k := range []string{"password_env", "password_file"} {
		if (k == "password_env" && env != "") || (k == "password_file" && file != "") {
			f.Addf(table+"."+k, "%s is not used with auth = %q: remove it", k, AuthOAuth2)
		}
	}
}

// auth checks auth and its oauth2 table. imap: the table is a mailbox's,
// which may choose the SASL mechanism.
func (f *file) auth(dir, table, auth string, raw *oauth2File, imap bool) (string, *OAuth2) {
	key := table + ".oauth2"
	switch auth {
	case "", AuthPassword:
		if raw != nil {
			f.Addf(key, "%s needs auth = %q in %s", f.TableName(key), AuthOAuth2, f.TableName(table))
		}
		return AuthPassword, nil
	case AuthOAuth2:
	default:
		f.Addf(table+".auth", "auth = %q: want %q or %q", auth, AuthPassword, AuthOAuth2)
		return AuthPassword, nil
	}
	if raw == nil {
		if !f.Bad(key) {
			f.Addf(table+".auth", "auth = %q needs a %s table", AuthOAuth2, f.TableName(key))
		}
		return AuthOAuth2, &OAuth2{}
	}
	o := &OAuth2{
		Line: f.Line(key), Provider: raw.Provider, Tenant: strings.TrimSpace(raw.Tenant), ClientID: strings.TrimSpace(raw.ClientID),
		TokenURL: strings.TrimSpace(raw.TokenURL), DeviceAuthURL: strings.TrimSpace(raw.DeviceAuthURL), AuthURL: strings.TrimSpace(raw.AuthURL), Scopes: raw.Scopes,
		Mechanism: cmp.Or(raw.Mechanism, MechXOAUTH2), Grant: cmp.Or(raw.Grant, GrantDevice),
	}
	if raw.TokenFile != "" {
		o.TokenFile = resolvePath(dir, raw.TokenFile)
	}
	if f.Required(key, "provider", raw.Provider) {
		switch raw.Provider {
		case ProviderMicrosoft:
			f.Required(key, "tenant", o.Tenant)
		case ProviderGoogle, ProviderGeneric:
			if o.Tenant != "" {
				f.Addf(key+".tenant", "tenant is for provider %q only", ProviderMicrosoft)
			}
		default:
			f.Addf(key+".provider", "provider = %q: want %q, %q or %q", raw.Provider, ProviderMicrosoft, ProviderGoogle, ProviderGeneric)
		}
	}
	f.Required(key, "client_id", o.ClientID)
	if raw.Provider == ProviderGeneric {
		if o.TokenURL == "" {
			f.Addf(key, "missing %q in %s: provider %q has no default", "token_url", f.TableName(key), ProviderGeneric)
		}
		if o.Grant == GrantDevice && o.DeviceAuthURL == "" && o.AuthURL == "" {
			f.Addf(key, "missing %q (or %q, for oauth login -browser) in %s: provider %q has no default", "device_auth_url", "auth_url", f.TableName(key), ProviderGeneric)
		}
	}
	for _, u := range []struct{ name, v string }{{"token_url", o.TokenURL}, {"device_auth_url", o.DeviceAuthURL}, {"auth_url", o.AuthURL}} {
		if u.v == "" {
			continue
		}
		if pu, err := url.Parse(u.v); err != nil || (pu.Scheme != "https" && pu.Scheme != "http") || pu.Host == "" {
			f.Addf(key+"."+u.name, "%s = %q is not an http(s) URL", u.name, u.v)
		} else if pu.Scheme == "http" && !isLoopbackHost(pu.Hostname()) {
			f.Addf(key+"."+u.name, "%s = %q: tokens must not cross a network unencrypted; use https", u.name, u.v)
		}
	}
	for _, sc := range raw.Scopes {
		if strings.TrimSpace(sc) == "" || strings.ContainsAny(sc, " \t") {
			f.Addf(key+".scopes", "scopes: %q is not one scope", sc)
		}
	}
	if raw.Provider == ProviderGeneric && len(raw.Scopes) == 0 && !f.Has(key+".scopes") {
		f.Addf(key, "missing \"scopes\" in %s: provider %q has no default", f.TableName(key), ProviderGeneric)
	}
	switch o.Mechanism {
	case MechXOAUTH2:
	case MechOAuthBearer:
		if !imap {
			f.Addf(key+".mechanism", "mechanism = %q: SMTP signs in with %q only", raw.Mechanism, MechXOAUTH2)
		}
	default:
		f.Addf(key+".mechanism", "mechanism = %q: want %q or %q", raw.Mechanism, MechXOAUTH2, MechOAuthBearer)
	}
	switch o.Grant {
	case GrantDevice:
		if raw.TokenFile == "" {
			f.Addf(key, "missing \"token_file\" in %s: where the refresh token lives (maildesk oauth login writes it)", f.TableName(key))
		}
	case GrantClientCreds:
		if raw.ClientSecretEnv == "" && raw.ClientSecretFile == "" {
			f.Addf(key, "missing client_secret_env or client_secret_file in %s: the %q grant needs the client secret", f.TableName(key), GrantClientCreds)
		}
		if raw.TokenFile != "" {
			f.Addf(key+".token_file", "token_file is not used with grant = %q: there is no refresh token", GrantClientCreds)
		}
	default:
		f.Addf(key+".grant", "grant = %q: want %q or %q", raw.Grant, GrantDevice, GrantClientCreds)
	}
	if raw.Provider == ProviderGoogle && raw.ClientSecretEnv == "" && raw.ClientSecretFile == "" {
		f.Addf(key, "missing client_secret_env or client_secret_file in %s: Google requires the client secret", f.TableName(key))
	}
	if !f.noSecrets {
		o.ClientSecret = f.secret(dir, key, "client_secret", raw.ClientSecretEnv, raw.ClientSecretFile)
	}
	return AuthOAuth2, o
}

func isLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func resolvePath(dir, p string) string {
	if filepath.IsAbs(p) {
		return filepath.Clean(p)
	}
	return filepath.Join(dir, p)
}

// IsPostgres reports whether database (Config.Database) is a PostgreSQL
// URL rather than an SQLite file. store.IsPostgres says the same; config
// imports no store.
func IsPostgres(database string) bool {
	l := strings.ToLower(database)
	return strings.HasPrefix(l, "postgres://") || strings.HasPrefix(l, "postgresql://")
}

// URLHasPassword reports whether the PostgreSQL URL v holds a password, in
// its user part or as a password parameter: the database key refuses such
// a URL (a URL is shown and logged as it is), and so do commands that take
// one on their command line, where other users see it in ps. An
// unparsable URL reports false; opening it says what is wrong.
func URLHasPassword(v string) bool {
	u, err := url.Parse(v)
	return err == nil && urlHasPassword(u)
}

func urlHasPassword(u *url.URL) bool {
	_, set := u.User.Password()
	return set || u.Query().Has("password")
}

// database checks the database key: a PostgreSQL URL as it is, anything
// else a path resolved against dir.
func (f *file) database(dir, v string) string {
	if IsPostgres(v) {
		u, err := url.Parse(v)
		switch {
		case err != nil:
			// url's error quotes the URL, which may hold a password.
			f.Addf("database", "database: not a valid PostgreSQL URL")
			return ""
		case u.Host == "" && !u.Query().Has("host"):
			f.Addf("database", "database: the PostgreSQL URL names no host")
		}
		if urlHasPassword(u) {
			f.Addf("database", "database: passwords do not belong in configuration files; use database_password_env (an environment variable) or database_password_file")
			return ""
		}
		return v
	}
	if i := strings.Index(v, "://"); i > 0 && !strings.ContainsAny(v[:i], "/\\.") {
		f.Addf("database", "database: %s:// is not supported: a postgres:// URL selects PostgreSQL, a path SQLite", v[:i])
		return ""
	}
	return resolvePath(dir, cmp.Or(v, "maildesk.db"))
}
