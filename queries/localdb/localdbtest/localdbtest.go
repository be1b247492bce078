// Package localdbtest opens state databases for tests: the one state-DB opener every package's tests share.
package localdbtest

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"testing"

	"github.com/pressly/goose/v3"

	"github.com/todai-dev/todai/migrations"
	"github.com/todai-dev/todai/queries/localdb"
)

// Open opens (creating and migrating it when needed) the state database at path, closed when the test ends; ""
// opens a new one in the test's temporary directory.
func Open(tb testing.TB, path string) *localdb.DB {
	tb.Helper()
	if path == "" {
		path = filepath.Join(tb.TempDir(), "state.db")
	}
	db, err := localdb.Open(context.Background(), path)
	if err != nil {
		tb.Fatalf("open state database %s: %v", path, err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

// DemoMirrorEnv names the state file the demo benchmarks read: a mirror synced from a large demo warehouse, e.g.
// `todai demo --models 10000 --dir /tmp/demo10k` then TODAI_BENCH_DEMO_MIRROR=/tmp/demo10k/state.db.
const DemoMirrorEnv = "TODAI_BENCH_DEMO_MIRROR"

// OpenDemoMirror opens the mirror DemoMirrorEnv names, closed when the benchmark ends. The benchmark is skipped
// when the variable is unset, and fails when the file is missing (opening would create an empty mirror and measure
// nothing).
func OpenDemoMirror(b *testing.B) *localdb.DB {
	b.Helper()
	path := os.Getenv(DemoMirrorEnv)
	if path == "" {
		b.Skip("set " + DemoMirrorEnv + " to a mirror synced from a 10,000-model demo warehouse")
	}
	if _, err := os.Stat(path); err != nil {
		b.Fatalf("%s: %v", DemoMirrorEnv, err)
	}
	return Open(b, path)
}

// NewDataGeneration does to the mirror in db what a sync that changed rows does to the read model's memory: it
// moves the mirror's data generation on, so that what the read model remembers of the rows is computed anew.
func NewDataGeneration(tb testing.TB, db *localdb.DB) {
	tb.Helper()
	if _, err := db.Write.ExecContext(context.Background(), `INSERT INTO derived_state (key, value)
		VALUES ('data_generation', 1) ON CONFLICT (key) DO UPDATE SET value = value + 1`); err != nil {
		tb.Fatal(err)
	}
}

// AtVersion creates a state file at path migrated only up to version, as an earlier release left it, and returns it
// opened without Todai's store: write rows as that release did, close it, and open it with localdb.Open to test the
// upgrade.
func AtVersion(tb testing.TB, path string, version int64) *sql.DB {
	tb.Helper()
	db, err := sql.Open("sqlite3", path)
	if err != nil {
		tb.Fatal(err)
	}
	p, err := goose.NewProvider(goose.DialectSQLite3, db, migrations.FS())
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := p.UpTo(context.Background(), version); err != nil {
		tb.Fatal(err)
	}
	return db
}
