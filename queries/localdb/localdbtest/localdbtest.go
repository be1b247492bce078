// Package localdbtest opens state databases for tests: the one state-DB opener every package's tests share.
package localdbtest

import (
	"context"
	"path/filepath"
	"testing"

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
