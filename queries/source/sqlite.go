package source

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"hash/fnv"
	"io/fs"
	"maps"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	// The SQLite driver, registered as "sqlite3".
	_ "github.com/mattn/go-sqlite3"
)

// racyWindow is how long after a file's modification time its stat is trusted as "nothing changed since": a
// write within the same mtime tick (or FAT's 2 s granularity) as the previous check could otherwise keep the
// same size and mtime.
const racyWindow = 2 * time.Second

// openSQLite opens an Elementary SQLite file read-only. u is sqlite:///abs/path; see Open.
func openSQLite(ctx context.Context, u *url.URL, opts Options) (*warehouse, error) {
	if u.Host != "" || u.Opaque != "" || !filepath.IsAbs(u.Path) {
		return nil, errors.New("source: a sqlite URL needs an absolute path with three slashes, " +
			"like sqlite:///var/lib/todai/elementary.db (relative paths are rejected)")
	}
	if u.RawQuery != "" {
		return nil, errors.New("source: a sqlite URL takes no query parameters")
	}
	path := filepath.Clean(u.Path)
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("source: sqlite file: %w", err)
	}
	if st.IsDir() {
		return nil, fmt.Errorf("source: sqlite file %s is a directory", path)
	}
	// file: URI with the path percent-encoded (a '?' or '#' in a file name stays in the name); mode=ro makes
	// every connection read-only.
	dsn := (&url.URL{Scheme: "file", Path: path}).String() + "?mode=ro&_busy_timeout=5000"
	db, err := sql.Open("sqlite3", dsn)
	if err != nil {
		return nil, fmt.Errorf("source: open sqlite %s: %w", path, err)
	}
	db.SetMaxOpenConns(2)
	w := &warehouse{
		kind:     "sqlite",
		dialect:  dialectSQLite,
		describe: "sqlite file " + path,
		db:       db,
		timeout:  opts.QueryTimeout,
		log:      opts.Logger,
		path:     path,
		now:      time.Now,
	}
	if err := w.ping(ctx); err != nil {
		_ = db.Close()
		return nil, err
	}
	return w, nil
}

// ping checks the connection under the query timeout (not counted: it reads no table).
func (w *warehouse) ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, w.timeout)
	defer cancel()
	if err := w.db.PingContext(ctx); err != nil {
		return fmt.Errorf("source: connect to %s: %w", w.describe, err)
	}
	return nil
}

// fileStat is the size and modification time of one file; a missing file is the zero value.
type fileStat struct {
	size  int64
	mtime time.Time
}

// fileFPMemo remembers the fingerprints of the last query and the file stats taken just before it.
type fileFPMemo struct {
	db, wal   fileStat
	tables    []string
	checkedAt time.Time
	fps       map[string]Fingerprint
}

func statFile(path string) (fileStat, error) {
	st, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return fileStat{}, nil
	}
	if err != nil {
		return fileStat{}, err
	}
	return fileStat{size: st.Size(), mtime: st.ModTime()}, nil
}

// errTableVanished says a fingerprint query named a table the file no longer holds.
var errTableVanished = errors.New("an Elementary table vanished")

// sqliteFingerprintQuery fingerprints tables in one query, which also lists the file's tables: one that appeared
// since the latest Discover gets a marker no table can have ("undiscovered"), so the sync discovers again.
func (w *warehouse) sqliteFingerprintQuery(ctx context.Context, tables []string) (map[string]Fingerprint, error) {
	w.mu.Lock()
	cat := w.catalog
	w.mu.Unlock()
	fps := make(map[string]Fingerprint, len(tables))
	query := sqliteFingerprintSQL(tables, cat.Has)
	err := w.query(ctx, &w.metadata, "fingerprints", query, nil, func(rows *sql.Rows) error {
		for rows.Next() {
			var (
				name   string
				maxID  sql.NullInt64
				nRows  sql.NullInt64
				marker sql.NullString
			)
			if err := rows.Scan(&name, &maxID, &nRows, &marker); err != nil {
				return err
			}
			if name == "" { // the file's table names
				for _, n := range strings.Split(marker.String, ",") {
					if n = strings.ToLower(n); knownTables()[n] && !slices.Contains(tables, n) {
						fps[n] = "undiscovered"
					}
				}
				continue
			}
			fp := fmt.Sprintf("max_rowid=%d", maxID.Int64)
			if nRows.Valid {
				fp += fmt.Sprintf(";rows=%d", nRows.Int64)
			}
			if marker.Valid {
				h := fnv.New64a()
				h.Write([]byte(marker.String))
				fp += fmt.Sprintf(";marker=%016x", h.Sum64())
			}
			fps[name] = Fingerprint(fp)
		}
		return rows.Err()
	})
	if err != nil && strings.Contains(err.Error(), "no such table") {
		return nil, fmt.Errorf("%w: %w", errTableVanished, err)
	}
	return fps, err
}

// sqliteTables lists the Elementary tables and views the file holds (one metadata query of sqlite_master).
func (w *warehouse) sqliteTables(ctx context.Context) (map[string]bool, error) {
	known := knownTables()
	out := map[string]bool{}
	err := w.query(ctx, &w.metadata, "list tables", `SELECT name FROM sqlite_master WHERE type IN ('table', 'view')`,
		nil, func(rows *sql.Rows) error {
			for rows.Next() {
				var name string
				if err := rows.Scan(&name); err != nil {
					return err
				}
				if n := strings.ToLower(name); known[n] {
					out[n] = true
				}
			}
			return rows.Err()
		})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// sqliteFingerprints returns "max_rowid=..[;rows=..][;marker=..]" per table present at the latest Discover
// (running one first when none ran), from one query (sqliteFingerprintSQL says what each part covers). When the database file and
// its -wal file have the same size and mtime as at the previous query, and were last modified more than
// racyWindow before it, the previous fingerprints are returned with no query at all.
//
// Limitation: deleting the row with the highest rowid and inserting another in the same interval keeps both
// numbers (SQLite reuses the rowid), so that change goes unseen. This source serves demo and test files, which
// are appended to.
func (w *warehouse) sqliteFingerprints(ctx context.Context) (map[string]Fingerprint, error) {
	tables, err := w.presentTables(ctx)
	if err != nil {
		return nil, err
	}
	dbStat, err := statFile(w.path)
	if err != nil {
		return nil, fmt.Errorf("source: sqlite fingerprints: %w", err)
	}
	walStat, err := statFile(w.path + "-wal")
	if err != nil {
		return nil, fmt.Errorf("source: sqlite fingerprints: %w", err)
	}
	w.mu.Lock()
	memo := w.fp
	w.mu.Unlock()
	if memo != nil && memo.db == dbStat && memo.wal == walStat && slices.Equal(memo.tables, tables) {
		newest := dbStat.mtime
		if walStat.mtime.After(newest) {
			newest = walStat.mtime
		}
		if newest.Before(memo.checkedAt.Add(-racyWindow)) {
			return maps.Clone(memo.fps), nil
		}
	}
	checkedAt := w.now()
	fps, err := w.sqliteFingerprintQuery(ctx, tables)
	if errors.Is(err, errTableVanished) {
		// A discovered table is gone (a query naming it cannot even be prepared): fingerprint the ones left, once
		// the file's tables are listed; the sync then discovers again.
		listed, lerr := w.sqliteTables(ctx)
		if lerr != nil {
			return nil, lerr
		}
		tables = slices.DeleteFunc(slices.Clone(tables), func(name string) bool { return !listed[name] })
		fps, err = w.sqliteFingerprintQuery(ctx, tables)
	}
	if err != nil {
		return nil, err
	}
	w.mu.Lock()
	w.fp = &fileFPMemo{db: dbStat, wal: walStat, tables: tables, checkedAt: checkedAt, fps: maps.Clone(fps)}
	w.mu.Unlock()
	return fps, nil
}
