// Package statedbtest gives tests a state database in PostgreSQL: a fresh schema on the test server
// (TODAI_TEST_POSTGRES_URL), migrated, dropped when the test ends. Without the variable the test is skipped loudly.
package statedbtest

import (
	"context"
	"testing"
	"time"

	"github.com/todai-dev/todai/queries/localdb/localdbtest"
	"github.com/todai-dev/todai/queries/source/sourcetest"
	"github.com/todai-dev/todai/queries/statedb"
)

// Postgres opens the state in a new schema of the test server.
func Postgres(t testing.TB) *statedb.DB {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	db, err := statedb.OpenPostgres(ctx, URL(t))
	if err != nil {
		t.Fatalf("statedbtest: %v", err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// URL is the URL of a new schema of the test server (postgres://…?schema=todai_test_…), dropped when the test ends.
func URL(t testing.TB) string {
	t.Helper()
	return sourcetest.Postgres(t)
}

// Each runs test on each state engine: a new SQLite state file ("sqlite") and a new PostgreSQL schema ("postgres"),
// so that one test proves a store on both.
func Each(t *testing.T, test func(t *testing.T, db *statedb.DB)) {
	t.Helper()
	for _, engine := range []struct {
		name string
		open func(t *testing.T) *statedb.DB
	}{
		{"sqlite", func(t *testing.T) *statedb.DB { return statedb.FromLocal(localdbtest.Open(t, "")) }},
		{"postgres", func(t *testing.T) *statedb.DB { return Postgres(t) }},
	} {
		t.Run(engine.name, func(t *testing.T) { test(t, engine.open(t)) })
	}
}
