package postgres

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
)

// EnvEngine is set to "postgres" in the second run of a test binary
// under RunBoth: the run in which the package's tests use PostgreSQL.
const EnvEngine = "MAILDESK_TEST_STORE_ENGINE"

// base is the URL in which the tests of this PostgreSQL run make their
// schemas; empty in the SQLite run.
var base string

// Base returns the URL of the server this test run's databases live in
// when the run is RunBoth's PostgreSQL run, or "" in the SQLite run.
func Base() string { return base }

// RunBoth runs a package's tests on both engines, as a TestMain does
// with os.Exit(postgres.RunBoth("desk", m)): first as they are (SQLite),
// then this test binary again, with the same flags, with EnvEngine set,
// where Base names a PostgreSQL server (MAILDESK_TEST_POSTGRES's, or a
// throwaway cluster for the whole run) and the package's helpers give
// PostgreSQL databases. A rerun rather than a subtest per engine keeps
// the tests as they read.
//
// Without PostgreSQL the second run is skipped with a line saying so, or
// fails when CI is set, like the Dovecot tests. A benchmark, a fuzz run
// or a profile is of one run (the second would write over its output),
// so those run on SQLite only.
//
// m is a *testing.M; the interface keeps testing out of this package,
// which binaries link.
func RunBoth(pkg string, m interface{ Run() int }) int {
	if !flag.Parsed() {
		flag.Parse()
	}
	if os.Getenv(EnvEngine) == "postgres" {
		return runOnPostgres(pkg, m)
	}
	if code := m.Run(); code != 0 {
		return code
	}
	return rerun(pkg)
}

func runOnPostgres(pkg string, m interface{ Run() int }) int {
	base = os.Getenv(EnvURL)
	if base == "" {
		srv, err := Start()
		if err != nil {
			fmt.Fprintf(os.Stderr, "%s: start PostgreSQL: %v\n", pkg, err)
			return 1
		}
		defer srv.Stop()
		base = srv.URL()
	}
	return m.Run()
}

func rerun(pkg string) int {
	if _, err := Find(); err != nil && os.Getenv(EnvURL) == "" {
		if os.Getenv("CI") != "" {
			fmt.Fprintf(os.Stderr, "%s: CI must run the tests on PostgreSQL too: %v\n", pkg, err)
			return 1
		}
		fmt.Printf("%s: the tests did not run on PostgreSQL: %v\n", pkg, err)
		return 0
	}
	for _, f := range []string{"test.bench", "test.fuzz", "test.coverprofile", "test.cpuprofile", "test.memprofile", "test.trace"} {
		if fl := flag.Lookup(f); fl != nil && fl.Value.String() != "" {
			return 0
		}
	}
	cmd := exec.Command(os.Args[0], os.Args[1:]...)
	cmd.Env = append(os.Environ(), EnvEngine+"=postgres")
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if fl := flag.Lookup("test.v"); fl != nil && fl.Value.String() != "false" {
		fmt.Printf("=== %s: the same tests on PostgreSQL\n", pkg)
	}
	if err := cmd.Run(); err != nil {
		fmt.Fprintf(os.Stderr, "%s: on PostgreSQL: %v\n", pkg, err)
		return 1
	}
	return 0
}
