package queries

import (
	"context"
	"database/sql"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	// The PostgreSQL driver registers itself as "pgx".
	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/todai-dev/todai/queries/demo"
	"github.com/todai-dev/todai/queries/elementary"
	"github.com/todai-dev/todai/queries/localdb"
	"github.com/todai-dev/todai/queries/mirror"
	"github.com/todai-dev/todai/queries/source"
	"github.com/todai-dev/todai/queries/source/sourcetest"
)

// backend loads the fixture into a new mirror: directly, or through a real warehouse and the sync.
type backend struct {
	name string
	load func(t *testing.T, db *localdb.DB, f Fixture)
}

// backends are the ways the known-answer tests load the fixture. direct inserts the rows into the mirror as the
// sync would; sqlite and postgres write them into a real warehouse and run the real source and sync over it.
func backends() []backend {
	return []backend{
		{"direct", func(t *testing.T, db *localdb.DB, f Fixture) { loadMirror(t, db, f) }},
		{"sqlite", syncFromSQLite},
		{"postgres", syncFromPostgres},
	}
}

// forEachWarehouse runs fn once per backend, as a subtest named by the backend, with a Reader over the fixture
// mirror loaded that way. The postgres subtest is skipped loudly when no test server is configured.
func forEachWarehouse(t *testing.T, teams Teams, fn func(t *testing.T, r *Reader, db *localdb.DB)) {
	t.Helper()
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			db := openMirror(t)
			b.load(t, db, fixture())
			fn(t, NewReader(db, ReaderOptions{Teams: teams, Now: func() time.Time { return fixtureNow }}), db)
		})
	}
}

// Stream sends the fixture's rows to demo.Write, table by table in elementary.Tables() order, each row in the
// table's column order (columns the row does not set are NULL). Values go to the warehouse as they are: the
// warehouse, not the test, decides what a text time in a TIMESTAMP column becomes.
func (f Fixture) Stream(ctx context.Context, fn func(table string, row []any) error) error {
	for _, tab := range elementary.Tables() {
		for _, r := range f[tab.Name] {
			if err := ctx.Err(); err != nil {
				return err
			}
			row := make([]any, len(tab.Columns))
			for i, c := range tab.Columns {
				row[i] = r[c.Name]
			}
			if err := fn(tab.Name, row); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkColumns fails the test when a fixture row names a column Elementary's tables do not have (Stream would
// silently drop it).
func checkColumns(t *testing.T, f Fixture) {
	t.Helper()
	for table, rows := range f {
		spec, ok := elementary.Lookup(table)
		if !ok {
			t.Fatalf("unknown table %s", table)
		}
		for _, r := range rows {
			for k := range r {
				if _, ok := spec.Column(k); !ok {
					t.Fatalf("%s has no column %s", table, k)
				}
			}
		}
	}
}

// syncFromSQLite writes f into a new SQLite warehouse file and syncs it into db.
func syncFromSQLite(t *testing.T, db *localdb.DB, f Fixture) {
	t.Helper()
	checkColumns(t, f)
	path := filepath.Join(t.TempDir(), "warehouse.db")
	wh, err := sql.Open("sqlite3", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	if err := demo.Write(context.Background(), wh, elementary.SQLite, "", f); err != nil {
		_ = wh.Close()
		t.Fatal(err)
	}
	if err := wh.Close(); err != nil {
		t.Fatal(err)
	}
	syncFrom(t, db, "sqlite://"+path)
}

// syncFromPostgres writes f into a fresh schema on the test PostgreSQL server and syncs it into db.
func syncFromPostgres(t *testing.T, db *localdb.DB, f Fixture) {
	t.Helper()
	checkColumns(t, f)
	url := sourcetest.Postgres(t)
	conn, schema, err := sourcetest.ConnString(url)
	if err != nil {
		t.Fatal(err)
	}
	wh, err := sql.Open("pgx", conn)
	if err != nil {
		t.Fatal(err)
	}
	defer wh.Close()
	if err := demo.Write(context.Background(), wh, elementary.Postgres, schema, f); err != nil {
		t.Fatal(err)
	}
	syncFrom(t, db, url)
}

// syncFrom opens the warehouse at url and runs one full sync into db at fixtureNow, with backfill and retention
// long enough to keep every fixture row, and the read model's Derived tables refreshed.
func syncFrom(t *testing.T, db *localdb.DB, url string) {
	t.Helper()
	ctx := context.Background()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	src, err := source.Open(ctx, url, source.Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	s := mirror.New(db, src, mirror.Options{Now: func() time.Time { return fixtureNow }, BackfillDays: 3650,
		RetentionDays: 3650, Logger: quiet, Deriver: &Derived{}})
	rep, err := s.Sync(ctx)
	if err != nil {
		t.Fatalf("sync: %v", err)
	}
	if !rep.Derived {
		t.Fatalf("sync did not refresh the derived tables: %+v", rep)
	}
	for _, tr := range rep.Tables {
		if tr.Err != nil {
			t.Fatalf("sync %s: %v", tr.Table, tr.Err)
		}
	}
}

// TestWarehouseRowCounts checks that every fixture row reaches the mirror through each real warehouse: the row
// counts per table equal those of the direct load (duplicates collapse the same way).
func TestWarehouseRowCounts(t *testing.T) {
	count := func(t *testing.T, db *localdb.DB) map[string]int {
		t.Helper()
		out := map[string]int{}
		for table := range fixture() {
			var n int
			// table is a fixture key checked against elementary.Lookup by the loaders: safe in SQL text.
			if err := db.Read.QueryRow(`SELECT count(*) FROM ` + table).Scan(&n); err != nil {
				t.Fatal(err)
			}
			out[table] = n
		}
		return out
	}
	direct := openMirror(t)
	loadMirror(t, direct, fixture())
	want := count(t, direct)
	for _, b := range backends()[1:] {
		t.Run(b.name, func(t *testing.T) {
			db := openMirror(t)
			b.load(t, db, fixture())
			eq(t, "rows per table", count(t, db), want)
		})
	}
}
