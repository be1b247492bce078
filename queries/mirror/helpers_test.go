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

// sqliteSource reads a SQLite warehouse file. It stands in for queries/source's SQLite source until that lands;
// it follows the same contract (time.Time for TIMESTAMP columns, counted metadata and data queries).
type sqliteSource struct {
	db       *sql.DB
	metadata atomic.Int64
	data     atomic.Int64
}

func openSQLiteSource(t testing.TB, path string) *sqliteSource {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+path+"?mode=ro&_busy_timeout=10000")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return &sqliteSource{db: db}
}

func (s *sqliteSource) Kind() string { return "sqlite" }

func (s *sqliteSource) Counts() source.Counts {
	return source.Counts{Metadata: s.metadata.Load(), Data: s.data.Load()}
}

func (s *sqliteSource) Discover(ctx context.Context) (source.Catalog, error) {
	s.metadata.Add(1)
	cat := source.Catalog{}
	for _, t := range elementary.Tables() {
		rows, err := s.db.QueryContext(ctx, `SELECT name FROM pragma_table_info(?)`, t.Name)
		if err != nil {
			return nil, err
		}
		cols := map[string]bool{}
		for rows.Next() {
			var c string
			if err := rows.Scan(&c); err != nil {
				rows.Close()
				return nil, err
			}
			cols[strings.ToLower(c)] = true
		}
		rows.Close()
		if len(cols) > 0 {
			cat[t.Name] = cols
		}
	}
	return cat, nil
}

func (s *sqliteSource) Fingerprints(ctx context.Context) (map[string]source.Fingerprint, error) {
	s.metadata.Add(1)
	out := map[string]source.Fingerprint{}
	for _, t := range elementary.Tables() {
		var exists int
		if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?`,
			t.Name).Scan(&exists); err != nil {
			return nil, err
		}
		if exists == 0 {
			continue
		}
		// Row count, newest rowid, newest watermark or generated_at (alerts_v2 rows change in place) and key lengths.
		newest := t.Watermark
		if newest == "" {
			newest = "generated_at"
		}
		wm := "COALESCE(max(" + newest + "), '') || '/' || total(length(" + t.Key + "))"
		var n, maxID int64
		var maxWM string
		q := `SELECT count(*), COALESCE(max(rowid), 0), ` + wm + ` FROM ` + t.Name
		if err := s.db.QueryRowContext(ctx, q).Scan(&n, &maxID, &maxWM); err != nil {
			return nil, err
		}
		out[t.Name] = source.Fingerprint(fmt.Sprintf("%d/%d/%s", n, maxID, maxWM))
	}
	return out, nil
}

func (s *sqliteSource) Scan(ctx context.Context, req source.ScanRequest, fn func(source.Row) error) error {
	s.data.Add(1)
	q := "SELECT " + strings.Join(req.Columns, ", ") + " FROM " + req.Table
	var args []any
	if !req.Since.IsZero() {
		q += " WHERE " + req.SinceColumn + " >= ?"
		args = append(args, req.Since.UTC().Format("2006-01-02 15:04:05.000000"))
	}
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	n := len(req.Columns)
	ptrs := make([]any, n)
	for rows.Next() {
		r := make(source.Row, n)
		for i := range r {
			ptrs[i] = &r[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return err
		}
		for i, v := range r {
			switch x := v.(type) {
			case []byte:
				r[i] = string(x)
			case time.Time:
				r[i] = x.UTC()
			}
		}
		if err := fn(r); err != nil {
			return err
		}
	}
	return rows.Err()
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
	db, err := localdb.Open(context.Background(), filepath.Join(dir, "mirror.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
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
