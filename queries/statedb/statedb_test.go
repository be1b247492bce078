package statedb_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/todai-dev/todai/queries/localdb/localdbtest"
	"github.com/todai-dev/todai/queries/source/sourcetest"
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
		{"postgres://todai@127.0.0.1:1/todai?password=s3cret", "127.0.0.1:1"},
	} {
		_, err := statedb.OpenPostgres(short, tc.url)
		if err == nil || !strings.Contains(err.Error(), tc.says) || strings.Contains(err.Error(), "s3cret") {
			t.Errorf("OpenPostgres(%s): %v, want an error saying %q without the password", tc.url, err, tc.says)
		}
	}
}

// TestOpenPostgresTogether: replicas starting at once on a new schema create and migrate it once, all of them
// opening it; a schema named by a reserved word (user) is quoted.
func TestOpenPostgresTogether(t *testing.T) {
	ctx := context.Background()
	for round := range 3 {
		base := statedbtest.URL(t)
		_, schema, err := sourcetest.ConnString(base)
		if err != nil {
			t.Fatal(err)
		}
		url := withSchema(t, base, fmt.Sprintf("%s_r%d", schema, round)) // a schema nobody created yet
		errs := make(chan error, 3)
		var wg sync.WaitGroup
		for range 3 {
			wg.Go(func() {
				db, err := statedb.OpenPostgres(ctx, url)
				if err == nil {
					db.Close()
				}
				errs <- err
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Errorf("round %d: %v", round, err)
			}
		}
		dropSchema(t, url)
	}
	reserved := withSchema(t, statedbtest.URL(t), "user")
	db, err := statedb.OpenPostgres(ctx, reserved)
	if err != nil {
		t.Fatalf("schema user: %v", err)
	}
	db.Close()
	dropSchema(t, reserved)
}

// dropSchema drops the schema rawURL names when the test ends.
func dropSchema(t *testing.T, rawURL string) {
	t.Helper()
	conn, schema, err := sourcetest.ConnString(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c, err := pgx.Connect(context.Background(), conn)
		if err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
			return
		}
		defer c.Close(context.Background())
		if _, err := c.Exec(context.Background(), "DROP SCHEMA IF EXISTS "+pgx.Identifier{schema}.Sanitize()+" CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
}
