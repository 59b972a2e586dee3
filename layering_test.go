// The repository root holds no code; this test holds the line DESIGN.md draws
// between packages, so that a stray import fails the build's tests instead
// of slowly tangling the layers.
package layering_test

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/kioi/maildesk/"

// allowed lists, for each package, the project packages it may import.
// A package not listed here must be added deliberately.
var allowed = map[string][]string{
	"cmd/maildesk": {"config", "desk", "examples", "localmail", "mailbox", "message", "metrics", "oauth", "rules", "store", "templates"},
	// The benchmark command wires the same packages as the daemon, to drive
	// them under load; nothing imports it.
	"cmd/maildesk-bench": {"desk", "examples", "internal/dovecot", "internal/postgres", "localmail", "mailbox", "message", "store", "templates"},
	// Fault-injection tests drive the built binary and read its database.
	"faulttest": {"desk", "examples", "localmail", "mailbox", "message", "store"},
	"desk":      {"config", "mailbox", "message", "rules", "store", "templates"},
	// maildesk.toml; it shares the TOML problem code with rules.
	"config": {"internal/tomlcheck"},
	// message's charset decoders are a package of their own that only
	// message can import (Go's internal rule).
	"message":                  {"message/internal/charset"},
	"message/internal/charset": {},
	// mailbox moves raw bytes and knows nothing of mail's structure.
	"mailbox":   {},
	"rules":     {"internal/tomlcheck"},
	"store":     {},
	"templates": {},
	// Prometheus metrics, health and readiness: fed by the wiring and
	// called by desk through an interface desk declares.
	"metrics":   {},
	"localmail": {},
	"examples":  {},
	// OAuth 2.0 tokens for SASL XOAUTH2 and OAUTHBEARER (x/oauth2); mailbox
	// takes them through an interface of its own.
	"oauth": {},
	// A loopback OAuth 2.0 authorization server for the tests.
	"internal/oauthtest": {},
	// A throwaway Dovecot for tests and the benchmark; it does not
	// import testing, so a binary may use it.
	"internal/dovecot": {},
	// A throwaway PostgreSQL cluster for the tests (and, later, the
	// benchmark); like internal/dovecot it does not import testing.
	"internal/postgres": {},
	// What the tests share (Dovecot that skips or fails the test, the
	// corpus, mail builders, waits). It imports testing: only tests may
	// import it.
	"internal/maildesktest": {"internal/dovecot", "internal/postgres", "store"},
	// The line-indexed TOML problem code config and rules share.
	"internal/tomlcheck": {},
}

// forbidden lists, for each package, outside import paths (prefixes) it
// must not import: desk tells the metrics what happened through an
// interface of its own, so the helpdesk never depends on the exporter.
var forbidden = map[string][]string{
	"desk": {"github.com/prometheus/", "github.com/coreos/go-systemd/"},
}

// testOnly may be imported by any package's tests: fixtures, not layers.
var testOnly = []string{"localmail", "examples", "internal/dovecot", "internal/maildesktest", "internal/oauthtest", "internal/postgres"}

// testingAllowed are the packages whose non-test files may import
// "testing": test support that only tests import. Any other importer
// would link the testing package (and its flags) into a binary.
var testingAllowed = []string{"internal/maildesktest"}

func TestLayering(t *testing.T) {
	found := map[string]bool{}
	err := filepath.WalkDir(".", func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata") && path != "." {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || filepath.Dir(path) == "." {
			return nil
		}
		pkg := filepath.ToSlash(filepath.Dir(path))
		found[pkg] = true
		ok, known := allowed[pkg]
		if !known {
			t.Errorf("%s: package %s is not in the layering table of layering_test.go", path, pkg)
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		test := strings.HasSuffix(path, "_test.go")
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			if p == "testing" && !test && !contains(testingAllowed, pkg) {
				t.Errorf("%s imports testing outside a _test.go file: a binary that imports %s would link it", path, pkg)
			}
			for _, f := range forbidden[pkg] {
				if strings.HasPrefix(p, f) {
					t.Errorf("%s imports %s: %s must not import %s…", path, p, pkg, f)
				}
			}
			dep, ours := strings.CutPrefix(p, module)
			if !ours {
				continue
			}
			if test && contains(testOnly, dep) {
				continue
			}
			if !test && contains(testingAllowed, dep) {
				t.Errorf("%s imports %s, which only tests may import", path, p)
				continue
			}
			if !contains(ok, dep) {
				t.Errorf("%s imports %s: %s may import only %v", path, p, pkg, ok)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var missing []string
	for pkg := range allowed {
		if !found[pkg] {
			missing = append(missing, pkg)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("packages in the table but not in the tree: %v", missing)
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
