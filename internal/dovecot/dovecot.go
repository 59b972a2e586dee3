// Package dovecot runs a throwaway Dovecot IMAP server on a loopback
// port: the real IMAP server of maildesk's end-to-end tests, fault tests
// and benchmark. It does not import testing, so the benchmark binary can
// use it; the tests' wrapper (skip or fail where Dovecot cannot run) is
// maildesktest.Dovecot.
//
// The instance lives in a directory of its own (configuration, maildirs,
// state, log) with one passwd-file account per user, delivers with
// dovecot-lda as an MTA would, and listens on a free port on 127.0.0.1
// only. Dovecot drops privileges, so it needs root and the Debian package
// dovecot-imapd.
package dovecot

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Config says what instance to start.
type Config struct {
	// Dir holds everything of the instance. Dovecot's unprivileged
	// processes must reach it: Start makes it world-readable.
	Dir string
	// Users get one maildir account each.
	Users []string
	// Password is every account's password (loopback only).
	Password string
	// Name is the instance_name, told apart in ps and logs.
	Name string
	// NoFsync turns Dovecot's fsyncs off, for benchmarks that seed a
	// backlog before their clock starts.
	NoFsync bool
	// OAuth2IntrospectionURL, when set, adds Dovecot's oauth2 passdb for
	// the SASL mechanisms XOAUTH2 and OAUTHBEARER: Dovecot posts the
	// access token to this URL (token introspection, RFC 7662) and takes
	// the user from the answer's "username", when "active" is true.
	// Passwords keep working for every account.
	OAuth2IntrospectionURL string
}

// Server is a running (or stopped) instance.
type Server struct {
	cfg       Config
	bin, conf string
	addr      string

	mu  sync.Mutex
	cmd *exec.Cmd
	out *bytes.Buffer
}

// mailUID is the owner of the maildirs: nobody.
const mailUID = 65534

// Find returns the dovecot binary, or why the instance cannot run here.
func Find() (string, error) {
	bin, err := exec.LookPath("dovecot")
	if err != nil {
		if _, serr := os.Stat("/usr/sbin/dovecot"); serr == nil {
			bin, err = "/usr/sbin/dovecot", nil
		}
	}
	switch {
	case err != nil:
		return "", errors.New("dovecot is not installed (apt-get install dovecot-imapd)")
	case os.Geteuid() != 0:
		return "", errors.New("the throwaway dovecot instance needs root")
	}
	return bin, nil
}

// Start writes the instance's configuration and accounts into cfg.Dir and
// starts Dovecot in the foreground, returning once it accepts connections.
func Start(cfg Config) (*Server, error) {
	bin, err := Find()
	if err != nil {
		return nil, err
	}
	if cfg.Name == "" {
		cfg.Name = "maildesk-test"
	}
	if err := os.Chmod(cfg.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("dovecot dir: %w", err)
	}
	var passwd strings.Builder
	for _, u := range cfg.Users {
		home := filepath.Join(cfg.Dir, "mail", u)
		// The maildir is made up front so that a benchmark can seed it
		// before Dovecot first opens it.
		for _, sub := range []string{"", "Maildir", "Maildir/new", "Maildir/cur", "Maildir/tmp"} {
			p := filepath.Join(home, sub)
			if err := os.MkdirAll(p, 0o755); err != nil {
				return nil, fmt.Errorf("maildir of %s: %w", u, err)
			}
			if err := os.Chown(p, mailUID, mailUID); err != nil {
				return nil, fmt.Errorf("maildir of %s: %w", u, err)
			}
		}
		fmt.Fprintf(&passwd, "%s:{PLAIN}%s:%d:%d::%s::\n", u, cfg.Password, mailUID, mailUID, home)
	}
	if err := os.WriteFile(filepath.Join(cfg.Dir, "users"), []byte(passwd.String()), 0o644); err != nil {
		return nil, fmt.Errorf("dovecot users: %w", err)
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	fsync := "optimized"
	if cfg.NoFsync {
		fsync = "never"
	}
	conf := filepath.Join(cfg.Dir, "dovecot.conf")
	tmpl := configTemplate
	if cfg.OAuth2IntrospectionURL != "" {
		ext := filepath.Join(cfg.Dir, "dovecot-oauth2.conf.ext")
		if err := os.WriteFile(ext, []byte(strings.ReplaceAll(oauth2Template, "URL", cfg.OAuth2IntrospectionURL)), 0o644); err != nil {
			return nil, fmt.Errorf("dovecot oauth2 config: %w", err)
		}
		// A refused token is answered at once: the tests refuse some.
		tmpl = strings.Replace(tmpl, "auth_mechanisms = plain login\n", "auth_mechanisms = plain login xoauth2 oauthbearer\nauth_failure_delay = 0\n", 1)
		tmpl = strings.Replace(tmpl, "passdb {\n", oauth2Passdb+"passdb {\n  mechanisms = plain login\n", 1)
	}
	text := strings.NewReplacer("NAME", cfg.Name, "DIR", cfg.Dir, "PORT", strconv.Itoa(port), "FSYNC", fsync).Replace(tmpl)
	if err := os.WriteFile(conf, []byte(text), 0o644); err != nil {
		return nil, fmt.Errorf("dovecot config: %w", err)
	}
	s := &Server{cfg: cfg, bin: bin, conf: conf, addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port))}
	if err := s.Restart(); err != nil {
		return nil, err
	}
	return s, nil
}

// Addr is the IMAP listener's host:port.
func (s *Server) Addr() string { return s.addr }

// Conf is the path of the instance's dovecot.conf.
func (s *Server) Conf() string { return s.conf }

// Maildir returns user's Maildir, for seeding mail without the LDA.
func (s *Server) Maildir(user string) string {
	return filepath.Join(s.cfg.Dir, "mail", user, "Maildir")
}

// Restart starts Dovecot again after Stop (Start calls it the first time),
// on the same port, and returns once it accepts connections.
func (s *Server) Restart() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd != nil {
		return errors.New("dovecot is running")
	}
	cmd := exec.Command(s.bin, "-c", s.conf, "-F")
	out := &bytes.Buffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start dovecot: %w", err)
	}
	s.cmd, s.out = cmd, out
	deadline := time.Now().Add(30 * time.Second)
	for {
		c, err := net.Dial("tcp", s.addr)
		if err == nil {
			c.Close()
			return nil
		}
		if time.Now().After(deadline) {
			s.stopLocked()
			return fmt.Errorf("dovecot did not listen on %s: %v\n%s", s.addr, err, s.logsLocked(4000))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Stop ends Dovecot and waits until its port is free again, so that
// Restart can take it.
func (s *Server) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stopLocked()
}

func (s *Server) stopLocked() {
	if s.cmd == nil {
		return
	}
	s.cmd.Process.Signal(syscall.SIGTERM)
	s.cmd.Wait()
	s.cmd = nil
	for range 500 {
		c, err := net.Dial("tcp", s.addr)
		if err != nil {
			return
		}
		c.Close()
		time.Sleep(10 * time.Millisecond)
	}
}

// Deliver hands raw to Dovecot's LDA for user, as the institute's MTA
// would.
func (s *Server) Deliver(user, from string, raw []byte) error {
	cmd := exec.Command("/usr/lib/dovecot/dovecot-lda", "-c", s.conf, "-d", user, "-f", from)
	cmd.Stdin = bytes.NewReader(raw)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("dovecot-lda to %s: %v\n%s", user, err, out)
	}
	return nil
}

// Doveadm runs a doveadm command against this instance.
func (s *Server) Doveadm(args ...string) error {
	cmd := exec.Command("doveadm", append([]string{"-c", s.conf}, args...)...)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("doveadm %v: %v\n%s", args, err, out)
	}
	return nil
}

// Logs returns Dovecot's own output and the end of its log file, at most
// max bytes of the latter.
func (s *Server) Logs(max int) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.logsLocked(max)
}

func (s *Server) logsLocked(max int) string {
	log, _ := os.ReadFile(filepath.Join(s.cfg.Dir, "dovecot.log"))
	if len(log) > max {
		log = log[len(log)-max:]
	}
	out := ""
	if s.out != nil {
		out = s.out.String()
	}
	return fmt.Sprintf("output:\n%s\ndovecot.log:\n%s", out, log)
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// configTemplate is a minimal Dovecot 2.3 configuration: IMAP on one
// loopback port without TLS, plain logins against a passwd file, maildirs.
const configTemplate = `instance_name = NAME
base_dir = DIR/run
state_dir = DIR/state
log_path = DIR/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = dovecot
default_login_user = dovenull
mail_fsync = FSYNC
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u DIR/users
}
userdb {
  driver = passwd-file
  args = username_format=%u DIR/users
}
mail_location = maildir:~/Maildir
namespace inbox {
  inbox = yes
  separator = /
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = PORT
  }
  inet_listener imaps {
    port = 0
  }
}
`

// oauth2Passdb checks the bearer tokens of XOAUTH2 and OAUTHBEARER; the
// passwd-file passdb then takes only the password mechanisms.
const oauth2Passdb = `passdb {
  driver = oauth2
  mechanisms = xoauth2 oauthbearer
  args = DIR/dovecot-oauth2.conf.ext
}
`

// oauth2Template is dovecot-oauth2.conf.ext: introspection by POST of the
// token to a loopback URL.
const oauth2Template = `introspection_mode = post
introspection_url = URL
username_attribute = username
active_attribute = active
active_value = true
`
