//go:build postgres

// The PostgreSQL test needs the pgx database/sql driver, whose pgxpool dependency (github.com/jackc/puddle/v2) is
// not in go.sum yet: run it with `go test -tags postgres` once `go get github.com/jackc/pgx/v5/stdlib` is done.

package demo

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/todai-dev/todai/queries/elementary"
)

// TestFixturePostgres writes a fixture and a small generated warehouse to the PostgreSQL server named by
// TODAI_TEST_POSTGRES_DSN (e.g. postgres://postgres@localhost:5432/postgres?sslmode=disable).
func TestFixturePostgres(t *testing.T) {
	dsn := os.Getenv("TODAI_TEST_POSTGRES_DSN")
	if dsn == "" {
		t.Skip("TODAI_TEST_POSTGRES_DSN not set")
	}
	ctx := context.Background()
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	schema := fmt.Sprintf("demo_test_%d", time.Now().UnixNano())
	if _, err := db.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = db.ExecContext(ctx, "DROP SCHEMA "+schema+" CASCADE") })
	f, ids := fixtureFor(testNow)
	if err := Write(ctx, db, elementary.Postgres, schema, f); err != nil {
		t.Fatal(err)
	}
	checkFixture(t, db, func(s string) string {
		s = strings.Replace(s, "?", "$1", 1)
		for _, tb := range elementary.Tables() {
			s = strings.Replace(s, " from "+tb.Name+" ", " from "+schema+"."+tb.Name+" ", 1)
		}
		return s
	}, ids)

	gen := schema + "_gen"
	if _, err := db.ExecContext(ctx, "CREATE SCHEMA "+gen); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = db.ExecContext(ctx, "DROP SCHEMA "+gen+" CASCADE") })
	ds, err := Generate(Options{Now: testNow, Models: 60, Days: 3})
	if err != nil {
		t.Fatal(err)
	}
	if err := Write(ctx, db, elementary.Postgres, gen, ds); err != nil {
		t.Fatal(err)
	}
	_, want := hashDataset(t, Options{Now: testNow, Models: 60, Days: 3})
	for table, n := range want {
		var got int
		if err := db.QueryRowContext(ctx, "select count(*) from "+gen+"."+table).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != n {
			t.Errorf("%s: %d rows, want %d", table, got, n)
		}
	}
}
