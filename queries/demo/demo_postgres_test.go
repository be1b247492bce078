package demo

import (
	"context"
	"database/sql"
	"strings"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/todai-dev/todai/queries/elementary"
	"github.com/todai-dev/todai/queries/source/sourcetest"
)

// TestFixturePostgres writes a fixture and a small generated warehouse to a fresh schema on the test PostgreSQL
// server (sourcetest.Postgres; skipped loudly when there is none).
func TestFixturePostgres(t *testing.T) {
	conn, schema, err := sourcetest.ConnString(sourcetest.Postgres(t))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	db, err := sql.Open("pgx", conn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
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
