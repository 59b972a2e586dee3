package main

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
	"syscall"
	"time"
)

// dovecot is a throwaway Dovecot instance on a loopback port, started the
// way cmd/maildesk's Dovecot tests start theirs.
type dovecot struct {
	dir, conf string
	addr      string
	cmd       *exec.Cmd
	out       bytes.Buffer
}

// benchPassword is every benchmark account's password, on loopback only.
const benchPassword = "bench"

// findDovecot returns the dovecot binary, or why the benchmarks that need
// it cannot run here.
func findDovecot() (string, error) {
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

// startDovecot runs Dovecot in dir (which must be reachable by its
// unprivileged processes) with one maildir account per user.
func startDovecot(dir string, users []string) (*dovecot, error) {
	bin, err := findDovecot()
	if err != nil {
		return nil, err
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()

	var passwd strings.Builder
	for _, u := range users {
		home := filepath.Join(dir, "mail", u)
		for _, sub := range []string{"", "Maildir", "Maildir/new", "Maildir/cur", "Maildir/tmp"} {
			p := filepath.Join(home, sub)
			if err := os.MkdirAll(p, 0o755); err != nil {
				return nil, err
			}
			if err := os.Chown(p, 65534, 65534); err != nil {
				return nil, err
			}
		}
		fmt.Fprintf(&passwd, "%s:{PLAIN}%s:65534:65534::%s::\n", u, benchPassword, home)
	}
	if err := os.WriteFile(filepath.Join(dir, "users"), []byte(passwd.String()), 0o644); err != nil {
		return nil, err
	}
	conf := filepath.Join(dir, "dovecot.conf")
	cfg := strings.NewReplacer("DIR", dir, "PORT", strconv.Itoa(port)).Replace(dovecotConf)
	if err := os.WriteFile(conf, []byte(cfg), 0o644); err != nil {
		return nil, err
	}
	dv := &dovecot{dir: dir, conf: conf, addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port))}
	dv.cmd = exec.Command(bin, "-c", conf, "-F")
	dv.cmd.Stdout, dv.cmd.Stderr = &dv.out, &dv.out
	if err := dv.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start dovecot: %w", err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		c, err := net.Dial("tcp", dv.addr)
		if err == nil {
			c.Close()
			return dv, nil
		}
		if time.Now().After(deadline) {
			dv.stop()
			log, _ := os.ReadFile(filepath.Join(dir, "dovecot.log"))
			return nil, fmt.Errorf("dovecot did not listen on %s: %v\n%s\n%s", dv.addr, err, dv.out.String(), log)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (dv *dovecot) stop() {
	dv.cmd.Process.Signal(syscall.SIGTERM)
	dv.cmd.Wait()
}

// deliver hands raw to Dovecot's LDA, as the institute's MTA would.
func (dv *dovecot) deliver(user, from string, raw []byte) error {
	cmd := exec.Command("/usr/lib/dovecot/dovecot-lda", "-c", dv.conf, "-d", user, "-f", from)
	cmd.Stdin = bytes.NewReader(raw)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("dovecot-lda to %s: %v\n%s", user, err, out)
	}
	return nil
}

// maildir returns user's Maildir, for seeding a backlog without going
// through the LDA 10,000 times.
func (dv *dovecot) maildir(user string) string {
	return filepath.Join(dv.dir, "mail", user, "Maildir")
}

// Unlike the tests' configuration, fsync is off: the benchmark measures
// maildesk, and the backlog is seeded before the clock starts.
const dovecotConf = `instance_name = maildesk-bench
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
mail_fsync = never
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
