package mirror

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/todai-dev/todai/queries/elementary"
	"github.com/todai-dev/todai/queries/localdb"
	"github.com/todai-dev/todai/queries/localdb/localdbtest"
	"github.com/todai-dev/todai/queries/source"
)

// warehouse is an Elementary warehouse in a temporary SQLite file, built with elementary.CreateTableSQL and plain
// INSERTs.
type warehouse struct {
	t    testing.TB
	path string
	db   *sql.DB
}

func newWarehouse(t testing.TB, dir string) *warehouse {
	t.Helper()
	path := filepath.Join(dir, "warehouse.db")
	db, err := sql.Open("sqlite3", "file:"+path+"?_journal_mode=WAL&_busy_timeout=10000")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return &warehouse{t: t, path: path, db: db}
}

// create creates tables (all columns), or one table with only the named columns when only is given.
func (w *warehouse) create(table string, only ...string) {
	w.t.Helper()
	tab, ok := elementary.Lookup(table)
	if !ok {
		w.t.Fatalf("no table %s", table)
	}
	if _, err := w.db.Exec(elementary.CreateTableSQL(elementary.SQLite, "", tab, only...)); err != nil {
		w.t.Fatal(err)
	}
}

// createAll creates every Elementary table except the named ones.
func (w *warehouse) createAll(except ...string) {
	w.t.Helper()
	skip := map[string]bool{}
	for _, e := range except {
		skip[e] = true
	}
	for _, tab := range elementary.Tables() {
		if !skip[tab.Name] {
			w.create(tab.Name)
		}
	}
}

// insert adds one row given as column/value pairs.
func (w *warehouse) insert(table string, kv ...any) {
	w.t.Helper()
	var cols, marks []string
	var args []any
	for i := 0; i+1 < len(kv); i += 2 {
		cols = append(cols, kv[i].(string))
		marks = append(marks, "?")
		args = append(args, kv[i+1])
	}
	q := fmt.Sprintf("INSERT INTO %s (%s) VALUES (%s)", table, strings.Join(cols, ", "), strings.Join(marks, ", "))
	if _, err := w.db.Exec(q, args...); err != nil {
		w.t.Fatalf("%s: %v", q, err)
	}
}

func (w *warehouse) exec(q string, args ...any) {
	w.t.Helper()
	if _, err := w.db.Exec(q, args...); err != nil {
		w.t.Fatalf("%s: %v", q, err)
	}
}

// openSQLiteSource opens the warehouse file with queries/source's real SQLite source.
func openSQLiteSource(t testing.TB, path string) source.Source {
	t.Helper()
	src, err := source.Open(context.Background(), "sqlite://"+path, source.Options{Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { src.Close() })
	return src
}

// failingSource wraps a source; its Scan of table fails after after rows.
type failingSource struct {
	Source
	table string
	after int
}

var errInjected = errors.New("injected scan failure")

func (f *failingSource) Scan(ctx context.Context, req source.ScanRequest, fn func(source.Row) error) error {
	if req.Table != f.table {
		return f.Source.Scan(ctx, req, fn)
	}
	n := 0
	return f.Source.Scan(ctx, req, func(r source.Row) error {
		if n == f.after {
			return errInjected
		}
		n++
		return fn(r)
	})
}

func openMirror(t testing.TB, dir string) *localdb.DB {
	t.Helper()
	db := localdbtest.Open(t, filepath.Join(dir, "mirror.db"))
	return db
}

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// fixedClock is a settable clock.
type fixedClock struct{ t atomic.Pointer[time.Time] }

func newClock(t time.Time) *fixedClock {
	c := &fixedClock{}
	c.set(t)
	return c
}
func (c *fixedClock) set(t time.Time)     { c.t.Store(&t) }
func (c *fixedClock) now() time.Time      { return *c.t.Load() }
func (c *fixedClock) add(d time.Duration) { c.set(c.now().Add(d)) }

// queryStrings reads one string column (NULL as "<nil>") of a mirror query.
func queryStrings(t testing.TB, db *localdb.DB, q string, args ...any) []string {
	t.Helper()
	rows, err := db.Read.Query(q, args...)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s sql.NullString
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		if s.Valid {
			out = append(out, s.String)
		} else {
			out = append(out, "<nil>")
		}
	}
	return out
}

func queryInt(t testing.TB, db *localdb.DB, q string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := db.Read.QueryRow(q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}
