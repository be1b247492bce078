package queries

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"sort"
	"strings"
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
	forEachFixture(t, fixture(), ReaderOptions{Teams: teams, Now: func() time.Time { return fixtureNow }}, fn)
}

// forEachFixture is forEachWarehouse over the fixture f, with a Reader of opts.
func forEachFixture(t *testing.T, f Fixture, opts ReaderOptions, fn func(t *testing.T, r *Reader, db *localdb.DB)) {
	t.Helper()
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			db := openMirror(t)
			b.load(t, db, f)
			fn(t, NewReader(db, opts), db)
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
	url, schema, wh := sourcetest.OpenPostgres(t)
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

// reversed streams a fixture with each table's rows in reverse order, so a test can tell whether the mirror
// depends on which of two duplicate rows the warehouse returns first (a SELECT without ORDER BY promises no order).
type reversed Fixture

// Stream sends the rows of every table last first.
func (f reversed) Stream(ctx context.Context, fn func(table string, row []any) error) error {
	rev := Fixture{}
	for table, rows := range f {
		for i := len(rows) - 1; i >= 0; i-- {
			rev[table] = append(rev[table], rows[i])
		}
	}
	return rev.Stream(ctx, fn)
}

// dumpMirror returns every row of the named mirror tables as sorted text, each value with its stored type.
func dumpMirror(t *testing.T, db *localdb.DB, tables []string) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, table := range tables {
		// table names come from the fixture and the migration, not from input: safe in SQL text.
		rows, err := db.Read.Query(`SELECT * FROM ` + table)
		if err != nil {
			t.Fatal(err)
		}
		cols, err := rows.Columns()
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			var b strings.Builder
			for i, c := range cols {
				v := vals[i]
				if raw, ok := v.([]byte); ok {
					v = string(raw)
				}
				fmt.Fprintf(&b, "%s=%T:%v | ", c, v, v)
			}
			out[table] = append(out[table], b.String())
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		_ = rows.Close()
		sort.Strings(out[table])
	}
	return out
}

// TestWarehouseMirror checks that the real path (warehouse → source → sync → Derived) leaves the same mirror as
// the direct load, value by value and type by type: every Elementary table of the fixture and every derived table.
// Only the sync's own bookkeeping (sync_runs, sync_state, sync_derived) differs. The reversed variant writes each
// table's rows last first: duplicates must not make the mirror depend on the warehouse's row order.
func TestWarehouseMirror(t *testing.T) {
	tables := []string{"nodes", "node_edges", "test_nodes", "node_last_run", "test_latest", "source_freshness_latest",
		"derived_state"}
	for table := range fixture() {
		tables = append(tables, table)
	}
	direct := openMirror(t)
	loadMirror(t, direct, fixture())
	want := dumpMirror(t, direct, tables)
	if len(want["nodes"]) == 0 || len(want["elementary_test_results"]) == 0 {
		t.Fatalf("direct mirror is empty: %v", want)
	}
	reversedSQLite := func(t *testing.T, db *localdb.DB, f Fixture) {
		t.Helper()
		path := filepath.Join(t.TempDir(), "warehouse.db")
		wh, err := sql.Open("sqlite3", "file:"+path)
		if err != nil {
			t.Fatal(err)
		}
		if err := demo.Write(context.Background(), wh, elementary.SQLite, "", reversed(f)); err != nil {
			_ = wh.Close()
			t.Fatal(err)
		}
		if err := wh.Close(); err != nil {
			t.Fatal(err)
		}
		syncFrom(t, db, "sqlite://"+path)
	}
	for _, b := range append(backends()[1:], backend{"sqlite-reversed", reversedSQLite}) {
		t.Run(b.name, func(t *testing.T) {
			db := openMirror(t)
			b.load(t, db, fixture())
			got := dumpMirror(t, db, tables)
			for _, table := range tables {
				eq(t, table, got[table], want[table])
			}
		})
	}
}
