package desk

import (
	"os"
	"testing"

	"github.com/kioi/maildesk/internal/postgres"
)

// The desk's tests run on both engines: on SQLite, then again on
// PostgreSQL (postgres.RunBoth), where every fixture's store is a schema
// of its own in one cluster for the whole run.
func TestMain(m *testing.M) { os.Exit(postgres.RunBoth("desk", m)) }
