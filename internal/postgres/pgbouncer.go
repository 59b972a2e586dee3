package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

// FindPgBouncer returns the path of pgbouncer (Debian's pgbouncer package
// puts it in /usr/sbin).
func FindPgBouncer() (string, error) {
	for _, p := range []string{"/usr/sbin/pgbouncer", "/usr/bin/pgbouncer"} {
		if isExec(p) {
			return p, nil
		}
	}
	if p, err := exec.LookPath("pgbouncer"); err == nil {
		return p, nil
	}
	return "", errors.New("pgbouncer not found (apt-get install pgbouncer)")
}

// Bouncer is a throwaway PgBouncer in transaction mode in front of a
// Server: each transaction of a client may run on another server
// connection, so anything a client leaves in its session (a prepared
// statement, a session lock, a SET, LISTEN) is lost or seen by others.
type Bouncer struct {
	proc
	port int
}

// StartBouncer starts PgBouncer on a free loopback port, in transaction
// mode with a pool of poolSize server connections per database and user
// (small, so that clients share them), trusting local connections to
// every database of s.
func StartBouncer(s *Server, poolSize int) (*Bouncer, error) {
	bin, err := FindPgBouncer()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "maildesk-pgbouncer-")
	if err != nil {
		return nil, err
	}
	b := &Bouncer{proc: proc{dir: dir, done: make(chan struct{}), log: filepath.Join(dir, "pgbouncer.log")}}
	ok := false
	defer func() {
		if !ok {
			b.Stop()
		}
	}()
	if b.port, err = freePort(); err != nil {
		return nil, err
	}
	users := filepath.Join(dir, "users.txt")
	if err := os.WriteFile(users, []byte(`"postgres" ""`+"\n"), 0o644); err != nil {
		return nil, err
	}
	ini := filepath.Join(dir, "pgbouncer.ini")
	conf := fmt.Sprintf(`[databases]
* = host=127.0.0.1 port=%d

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = %d
unix_socket_dir =
auth_type = trust
auth_file = %s
pool_mode = transaction
default_pool_size = %d
max_client_conn = 500
server_reset_query =
logfile = %s
`, s.port, b.port, users, poolSize, b.log)
	if err := os.WriteFile(ini, []byte(conf), 0o644); err != nil {
		return nil, err
	}
	cred, err := credential()
	if err != nil {
		return nil, err
	}
	if cred != nil {
		// PgBouncer refuses to run as root, like PostgreSQL; its log is
		// written in dir.
		if err := os.Chown(dir, int(cred.Uid), int(cred.Gid)); err != nil {
			return nil, err
		}
	}
	b.cmd = exec.Command(bin, ini)
	b.cmd.Dir = dir
	b.cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred, Setpgid: true}
	out, err := os.Create(filepath.Join(dir, "stderr"))
	if err != nil {
		return nil, err
	}
	defer out.Close()
	b.cmd.Stdout, b.cmd.Stderr = out, out
	if err := b.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start pgbouncer: %w", err)
	}
	go func() { b.cmd.Wait(); close(b.done) }()
	if err := b.waitReady(20 * time.Second); err != nil {
		errOut, _ := os.ReadFile(filepath.Join(dir, "stderr"))
		return nil, fmt.Errorf("pgbouncer did not start: %w\n%s%s", err, errOut, b.Logs(2000))
	}
	ok = true
	return b, nil
}

func (b *Bouncer) waitReady(limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		select {
		case <-b.done:
			return errors.New("pgbouncer exited")
		default:
		}
		c, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(b.port)), time.Second)
		if err == nil {
			c.Close()
			return nil
		}
		if time.Now().After(deadline) {
			return err
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// URL is the URL of database through the bouncer.
func (b *Bouncer) URL(database string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", b.port, url.PathEscape(database))
}

// Stop shuts PgBouncer down and removes its directory.
func (b *Bouncer) Stop() { b.stop(10 * time.Second) }

// NewDatabase creates an empty database on the server at baseURL and
// returns its name and a function that drops it. Behind PgBouncer a
// schema per test will not do: PgBouncer does not pass search_path on
// from the URL.
func NewDatabase(ctx context.Context, baseURL string) (name string, drop func() error, err error) {
	db, err := sql.Open("pgx", baseURL)
	if err != nil {
		return "", nil, err
	}
	name = fmt.Sprintf("maildesk_test_db_%d_%d_%d", os.Getpid(), time.Now().UnixNano()%1e9, schemaSeq.Add(1))
	if _, err := db.ExecContext(ctx, `CREATE DATABASE `+name); err != nil {
		db.Close()
		return "", nil, fmt.Errorf("create database: %w", err)
	}
	return name, func() error {
		defer db.Close()
		_, err := db.ExecContext(context.Background(), `DROP DATABASE `+name+` WITH (FORCE)`)
		return err
	}, nil
}

// StartBehindBouncer starts a throwaway cluster, a new database in it and
// PgBouncer in transaction mode in front of it with poolSize server
// connections, and returns the bouncer and the database's URL through
// it. stop stops PgBouncer, drops the database and stops the cluster, in
// that order; it reports the first failure.
func StartBehindBouncer(poolSize int) (b *Bouncer, url string, stop func() error, err error) {
	srv, err := Start()
	if err != nil {
		return nil, "", nil, err
	}
	name, drop, err := NewDatabase(context.Background(), srv.URL())
	if err != nil {
		srv.Stop()
		return nil, "", nil, err
	}
	if b, err = StartBouncer(srv, poolSize); err != nil {
		drop()
		srv.Stop()
		return nil, "", nil, err
	}
	return b, b.URL(name), func() error {
		b.Stop()
		err := drop()
		srv.Stop()
		if err != nil {
			return fmt.Errorf("drop database: %w", err)
		}
		return nil
	}, nil
}
