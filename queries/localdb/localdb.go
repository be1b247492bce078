// Package localdb opens Todai's local SQLite database (the mirror and Todai's own state) and keeps its schema
// current with the embedded goose migrations.
package localdb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"time"

	// The SQLite driver registers itself as "sqlite3".
	_ "github.com/mattn/go-sqlite3"
	"github.com/pressly/goose/v3"

	"github.com/todai-dev/todai/migrations"
)

// TimeLayout is how the mirror stores every time: UTC, fixed width, so that text order is time order.
const TimeLayout = "2006-01-02T15:04:05.000000Z"

// FormatTime renders t in the mirror's time layout.
func FormatTime(t time.Time) string { return t.UTC().Format(TimeLayout) }

// ParseTime reads a time stored in the mirror's layout, and nothing else: the one reader of the mirror's and the
// state's own times (the sync normalises every warehouse timestamp to TimeLayout on its way in).
func ParseTime(s string) (time.Time, error) {
	t, err := time.Parse(TimeLayout, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("mirror time %q: %w", s, err)
	}
	return t, nil
}

// DB is the local database: one writer connection (SQLite allows one writer at a time; a single connection with
// immediate transactions avoids lock-upgrade failures) and a pool of readers that WAL lets run beside it.
type DB struct {
	// Write is the single writer. Use it for every statement that changes data.
	Write *sql.DB
	// Read is a pool of read-only connections.
	Read *sql.DB
	// Path is the database file.
	Path string
}

// Open opens (creating if needed) the database file at path and applies pending migrations.
func Open(ctx context.Context, path string) (*DB, error) {
	if path == "" {
		return nil, errors.New("open local database: no state file path")
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("open local database %s: %w", path, err)
	}
	if err := os.MkdirAll(filepath.Dir(abs), 0o755); err != nil {
		return nil, fmt.Errorf("open local database %s: %w", path, err)
	}
	if err := create(ctx, abs); err != nil {
		return nil, fmt.Errorf("open local database %s: %w", path, err)
	}
	write, err := sql.Open("sqlite3", dsn(abs, false))
	if err != nil {
		return nil, fmt.Errorf("open local database %s: %w", path, err)
	}
	write.SetMaxOpenConns(1)
	write.SetConnMaxLifetime(0)
	if err := write.PingContext(ctx); err != nil {
		write.Close()
		return nil, fmt.Errorf("open local database %s: %w", path, err)
	}
	if _, err := Migrate(ctx, write); err != nil {
		write.Close()
		return nil, fmt.Errorf("open local database %s: %w", path, err)
	}
	read, err := sql.Open("sqlite3", dsn(abs, true))
	if err != nil {
		write.Close()
		return nil, fmt.Errorf("open local database %s: %w", path, err)
	}
	read.SetMaxOpenConns(4)
	return &DB{Write: write, Read: read, Path: abs}, nil
}

// OpenReadOnly opens an existing database file at path for reading only: no file is created, no migration applied
// (todai doctor looks without changing). Write is nil.
func OpenReadOnly(ctx context.Context, path string) (*DB, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("open local database %s: %w", path, err)
	}
	if _, err := os.Stat(abs); err != nil {
		return nil, fmt.Errorf("open local database %s: %w", path, err)
	}
	read, err := sql.Open("sqlite3", dsn(abs, true))
	if err != nil {
		return nil, fmt.Errorf("open local database %s: %w", path, err)
	}
	read.SetMaxOpenConns(2)
	if err := read.PingContext(ctx); err != nil {
		read.Close()
		return nil, fmt.Errorf("open local database %s: %w", path, err)
	}
	return &DB{Read: read, Path: abs}, nil
}

// Versions reports the schema version the database is at and the newest this build's migrations reach.
func (db *DB) Versions(ctx context.Context) (current, latest int64, err error) {
	p, err := goose.NewProvider(goose.DialectSQLite3, db.Read, migrations.FS())
	if err != nil {
		return 0, 0, fmt.Errorf("load migrations: %w", err)
	}
	current, latest, err = p.GetVersions(ctx)
	if err != nil {
		return 0, 0, fmt.Errorf("read the schema version: %w", err)
	}
	return current, latest, nil
}

// Close closes both pools (the reader only, for a database opened read-only).
func (db *DB) Close() error {
	if db.Write == nil {
		return db.Read.Close()
	}
	return errors.Join(db.Read.Close(), db.Write.Close())
}

// PageSize is the page size of a new state database. The page size is fixed once the file exists (and a WAL
// database cannot change it at all), so create sets it before anything else.
const PageSize = 32768

// create makes the database file when it does not exist yet, with PageSize pages and WAL journaling.
func create(ctx context.Context, path string) error {
	if _, err := os.Stat(path); err == nil || !errors.Is(err, os.ErrNotExist) {
		return nil
	}
	db, err := sql.Open("sqlite3", "file:"+(&url.URL{Path: path}).EscapedPath())
	if err != nil {
		return fmt.Errorf("create: %w", err)
	}
	defer db.Close()
	for _, pragma := range []string{fmt.Sprintf("PRAGMA page_size = %d", PageSize), "PRAGMA journal_mode = WAL"} {
		if _, err := db.ExecContext(ctx, pragma); err != nil {
			return fmt.Errorf("create: %s: %w", pragma, err)
		}
	}
	return nil
}

func dsn(path string, readOnly bool) string {
	q := url.Values{}
	q.Set("_journal_mode", "WAL")
	q.Set("_busy_timeout", "10000")
	q.Set("_foreign_keys", "on")
	q.Set("_synchronous", "NORMAL")
	if readOnly {
		q.Set("mode", "ro")
		q.Set("_query_only", "1")
	} else {
		q.Set("_txlock", "immediate")
	}
	return "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + q.Encode()
}

// Querier runs a query: a pool of connections (*sql.DB), one connection or a transaction.
type Querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// Collect runs query with args on q and reads every row with scan, in order, into a list (empty, never nil, when
// there are none); what names the read in its errors ("columns of model.x"). The rows are closed whatever happens.
func Collect[T any](ctx context.Context, q Querier, what, query string, args []any,
	scan func(*sql.Rows) (T, error)) ([]T, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	defer rows.Close()
	out := []T{}
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return out, nil
}

// Migrate applies every pending migration and returns the versions it applied.
func Migrate(ctx context.Context, db *sql.DB) ([]int64, error) {
	p, err := goose.NewProvider(goose.DialectSQLite3, db, migrations.FS())
	if err != nil {
		return nil, fmt.Errorf("load migrations: %w", err)
	}
	results, err := p.Up(ctx)
	if err != nil {
		return nil, fmt.Errorf("apply migrations: %w", err)
	}
	applied := make([]int64, 0, len(results))
	for _, r := range results {
		applied = append(applied, r.Source.Version)
	}
	return applied, nil
}
