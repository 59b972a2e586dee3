// Package postgres runs a throwaway PostgreSQL cluster on a loopback port
// for the tests (and anything else that wants one, such as a benchmark):
// initdb into a temporary directory, then the postgres server with its
// socket in that directory. It imports no testing, so a binary may link
// it; internal/maildesktest wraps it for tests.
package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx", for creating schemas
)

// EnvURL names the variable that points the tests at a PostgreSQL server
// of one's own instead of a throwaway cluster: a postgres:// URL of a
// database the tests may create schemas in.
const EnvURL = "MAILDESK_TEST_POSTGRES"

// Find returns the directory of initdb and postgres: Debian's postgresql
// package puts them in /usr/lib/postgresql/VERSION/bin (the newest wins),
// other systems on PATH.
func Find() (string, error) {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return version(dirs[i]) > version(dirs[j]) })
	for _, d := range dirs {
		if isExec(filepath.Join(d, "initdb")) && isExec(filepath.Join(d, "postgres")) {
			return d, nil
		}
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		if d := filepath.Dir(p); isExec(filepath.Join(d, "postgres")) {
			return d, nil
		}
	}
	return "", errors.New("postgresql not found (apt-get install postgresql, or set " + EnvURL + ")")
}

func version(binDir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return n
}

func isExec(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0
}

// Server is a running throwaway cluster.
type Server struct {
	proc
	port int
	url  string
}

// proc is a server process of this package's: its command, a channel
// closed when it has exited, the temporary directory it lives in and its
// log file there.
type proc struct {
	dir  string
	cmd  *exec.Cmd
	done chan struct{}
	log  string
}

// Logs returns the end of the process's log, at most n bytes.
func (p *proc) Logs(n int) string {
	b, _ := os.ReadFile(p.log)
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(b)
}

// stop asks the process to shut down (SIGINT is a fast shutdown to both
// postgres and pgbouncer), kills it after grace, and removes its
// directory.
func (p *proc) stop(grace time.Duration) {
	if p.cmd != nil && p.cmd.Process != nil {
		p.cmd.Process.Signal(syscall.SIGINT)
		select {
		case <-p.done:
		case <-time.After(grace):
			p.cmd.Process.Kill()
			<-p.done
		}
	}
	os.RemoveAll(p.dir)
}

// Start initialises a cluster in a new temporary directory and starts it
// on a free loopback port, trusting local connections (it is reachable
// from this machine only, and lives as long as the tests). As root it
// runs as nobody: PostgreSQL refuses to run as root.
func Start() (*Server, error) {
	bin, err := Find()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "maildesk-postgres-")
	if err != nil {
		return nil, err
	}
	s := &Server{proc: proc{dir: dir, done: make(chan struct{}), log: filepath.Join(dir, "postgres.log")}}
	ok := false
	defer func() {
		if !ok {
			s.Stop()
		}
	}()
	cred, err := credential()
	if err != nil {
		return nil, err
	}
	if cred != nil {
		// The cluster's user must own its directory; /tmp lets it reach it.
		if err := os.Chown(dir, int(cred.Uid), int(cred.Gid)); err != nil {
			return nil, err
		}
	}
	data := filepath.Join(dir, "data")
	initdb := exec.Command(filepath.Join(bin, "initdb"), "-D", data, "-U", "postgres", "--auth=trust",
		"--encoding=UTF8", "--locale=C", "--no-sync")
	initdb.Dir = dir // nobody may not reach the working directory
	initdb.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	if out, err := initdb.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("initdb: %w\n%s", err, out)
	}
	if s.port, err = freePort(); err != nil {
		return nil, err
	}
	logf, err := os.Create(s.log)
	if err != nil {
		return nil, err
	}
	defer logf.Close()
	// Durability off: the cluster is thrown away, and fsync would be most
	// of each test's time.
	s.cmd = exec.Command(filepath.Join(bin, "postgres"), "-D", data, "-p", strconv.Itoa(s.port),
		"-k", dir, "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off",
		"-c", "synchronous_commit=off", "-c", "full_page_writes=off", "-c", "max_connections=200")
	s.cmd.Stdout, s.cmd.Stderr = logf, logf
	// Its own process group, so that a ^C to the tests does not reach it
	// before Stop shuts it down cleanly.
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred, Setpgid: true}
	if err := s.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start postgres: %w", err)
	}
	go func() { s.cmd.Wait(); close(s.done) }()
	s.url = fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", s.port)
	if err := s.waitReady(30 * time.Second); err != nil {
		return nil, fmt.Errorf("postgres did not start: %w\n%s", err, s.Logs(2000))
	}
	ok = true
	return s, nil
}

// credential is nobody's when running as root, nil (this user) otherwise.
func credential() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("nobody")
	if err != nil {
		return nil, fmt.Errorf("postgres cannot run as root and there is no user nobody: %w", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func (s *Server) waitReady(limit time.Duration) error {
	db, err := sql.Open("pgx", s.url)
	if err != nil {
		return err
	}
	defer db.Close()
	deadline := time.Now().Add(limit)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		err := db.PingContext(ctx)
		cancel()
		if err == nil {
			return nil
		}
		select {
		case <-s.done:
			return errors.New("postgres exited")
		default:
		}
		if time.Now().After(deadline) {
			return err
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// URL is the cluster's postgres database, as its superuser.
func (s *Server) URL() string { return s.url }

// Stop shuts the server down (fast shutdown) and removes its directory.
func (s *Server) Stop() { s.stop(20 * time.Second) }

var schemaSeq atomic.Int64

// NewSchema creates an empty schema in the database at baseURL and
// returns a URL whose connections use it (search_path), and a function
// that drops it. A schema per test is much cheaper than a database per
// test (CREATE DATABASE copies a template and checkpoints), and works on a
// server of one's own (EnvURL) where the tests may not create databases.
func NewSchema(ctx context.Context, baseURL string) (url string, drop func() error, err error) {
	db, err := sql.Open("pgx", baseURL)
	if err != nil {
		return "", nil, err
	}
	name := fmt.Sprintf("maildesk_test_%d_%d_%d", os.Getpid(), time.Now().UnixNano()%1e9, schemaSeq.Add(1))
	if _, err := db.ExecContext(ctx, `CREATE SCHEMA `+name); err != nil {
		db.Close()
		return "", nil, fmt.Errorf("create schema: %w", err)
	}
	sep := "?"
	if strings.Contains(baseURL, "?") {
		sep = "&"
	}
	drop = func() error {
		defer db.Close()
		_, err := db.ExecContext(context.Background(), `DROP SCHEMA `+name+` CASCADE`)
		return err
	}
	return baseURL + sep + "search_path=" + name, drop, nil
}
