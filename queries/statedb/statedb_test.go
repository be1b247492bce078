package statedb_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/todai-dev/todai/queries/localdb/localdbtest"
	"github.com/todai-dev/todai/queries/statedb"
	"github.com/todai-dev/todai/queries/statedb/statedbtest"
)

// TestRebind: placeholders are numbered for PostgreSQL, numbered ones keep their number, quoted ones are left
// alone; SQLite statements are left as written.
func TestRebind(t *testing.T) {
	pg := statedbtest.Postgres(t)
	sqlite := statedb.FromLocal(localdbtest.Open(t, ""))
	for _, tc := range []struct{ in, want string }{
		{"SELECT 1", "SELECT 1"},
		{"SELECT * FROM t WHERE a = ? AND b IN (?, ?)", "SELECT * FROM t WHERE a = $1 AND b IN ($2, $3)"},
		{"WHERE (?1 = '' OR team = ?1) AND at >= ?2", "WHERE ($1 = '' OR team = $1) AND at >= $2"},
		{"WHERE note = 'why?' AND \"odd?\" = ?", "WHERE note = 'why?' AND \"odd?\" = $1"},
		{"WHERE note = 'it''s?' AND a = ?", "WHERE note = 'it''s?' AND a = $1"},
	} {
		if got := pg.Rebind(tc.in); got != tc.want {
			t.Errorf("postgres Rebind(%q) = %q, want %q", tc.in, got, tc.want)
		}
		if got := sqlite.Rebind(tc.in); got != tc.in {
			t.Errorf("sqlite Rebind(%q) = %q, want it as written", tc.in, got)
		}
	}
	if got := statedb.In(3); got != "?, ?, ?" {
		t.Errorf("In(3) = %q", got)
	}
}

// TestOpenPostgres: the state's schema is created and migrated, opening it again changes nothing, a schema migrated
// by a newer Todai is refused, and bad URLs are refused without echoing a password.
func TestOpenPostgres(t *testing.T) {
	ctx := context.Background()
	url := statedbtest.URL(t)
	db, err := statedb.OpenPostgres(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	var tables int
	if err := db.Read.QueryRowContext(ctx, `SELECT count(*) FROM information_schema.tables
		WHERE table_schema = current_schema() AND table_name IN ('incidents', 'incident_events', 'silences', 'sends')`).
		Scan(&tables); err != nil || tables != 4 {
		t.Fatalf("state tables in the schema: %d, %v", tables, err)
	}
	if db.Dialect() != statedb.Postgres || db.Schema == "" {
		t.Errorf("dialect %q, schema %q", db.Dialect(), db.Schema)
	}
	if _, err := db.Write.ExecContext(ctx, `INSERT INTO goose_db_version (version_id, is_applied) VALUES (9999, true)`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if _, err := statedb.OpenPostgres(ctx, url); err == nil || !strings.Contains(err.Error(), "newer than this Todai") {
		t.Errorf("a newer schema: %v", err)
	}
	short, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	for _, tc := range []struct{ url, says string }{
		{"postgres://todai:s3cret@127.0.0.1:1/todai", "127.0.0.1:1"},
		{"postgres://todai:s3cret@127.0.0.1/todai?schema=Bad-Name", "lower-case letters"},
		{"postgres://todai:s3cret@[::1/todai", "cannot be read"},
	} {
		_, err := statedb.OpenPostgres(short, tc.url)
		if err == nil || !strings.Contains(err.Error(), tc.says) || strings.Contains(err.Error(), "s3cret") {
			t.Errorf("OpenPostgres(%s): %v, want an error saying %q without the password", tc.url, err, tc.says)
		}
	}
}
