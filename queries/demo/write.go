package demo

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	// The SQLite driver registers itself as "sqlite3".
	_ "github.com/mattn/go-sqlite3"

	"github.com/todai-dev/todai/queries/elementary"
)

// SQLiteTimeLayout is how real timestamp columns are stored in a SQLite warehouse: go-sqlite3 reads this text back
// as a time.Time for TIMESTAMP columns.
const SQLiteTimeLayout = "2006-01-02 15:04:05.000000"

// Streamer is anything that can stream Elementary rows: a generated Dataset or a hand-made Fixture.
type Streamer interface {
	// Stream calls fn for every row, in the column order of the table's elementary.Table. fn may keep the row.
	Stream(ctx context.Context, fn func(table string, row []any) error) error
}

// WriteOption changes what Write creates.
type WriteOption func(*writeConfig)

type writeConfig struct {
	omitColumns map[string]map[string]bool
	omitTables  map[string]bool
}

// OlderVersion makes Write create the tables an older Elementary version had: without group_name, access,
// failed_row_count, test_alias and the job / orchestrator columns of dbt_invocations. Todai must discover that
// they are missing and read them as NULL.
func OlderVersion() WriteOption {
	return func(c *writeConfig) {
		older := map[string][]string{
			"dbt_models":              {"group_name", "access"},
			"dbt_snapshots":           {"group_name", "access"},
			"dbt_seeds":               {"group_name"},
			"dbt_tests":               {"group_name"},
			"dbt_run_results":         {"group_name"},
			"elementary_test_results": {"failed_row_count", "test_alias"},
			"dbt_invocations": {"job_id", "job_name", "job_run_id", "job_url", "job_run_url", "orchestrator", "env",
				"dbt_user", "git_sha", "cause_category", "cause", "pull_request_id"},
		}
		for t, cols := range older {
			OmitColumns(t, cols...)(c)
		}
	}
}

// OmitColumns leaves the named columns of table out of the created table (their values are dropped).
func OmitColumns(table string, columns ...string) WriteOption {
	return func(c *writeConfig) {
		if c.omitColumns[table] == nil {
			c.omitColumns[table] = map[string]bool{}
		}
		for _, col := range columns {
			c.omitColumns[table][col] = true
		}
	}
}

// OmitTables leaves whole tables out (e.g. alerts_v2, which exists only where `edr monitor` ran).
func OmitTables(tables ...string) WriteOption {
	return func(c *writeConfig) {
		for _, t := range tables {
			c.omitTables[t] = true
		}
	}
}

// tableWriter batches one table's rows into multi-row INSERTs.
type tableWriter struct {
	name    string
	keep    []int // indexes of the table's columns that are written
	insert  func(n int) string
	perStmt int
	buf     []any // flattened pending values
	pending int
	stmts   map[int]*sql.Stmt
}

// Write creates the Elementary tables in schema (empty for SQLite's main schema) and inserts every row of ds, in
// transactions of multi-row prepared INSERTs. d is elementary.SQLite or elementary.Postgres. The tables must not
// exist yet. Values are converted for the dialect: on SQLite, times become text in SQLiteTimeLayout and booleans 0/1.
func Write(ctx context.Context, db *sql.DB, d elementary.Dialect, schema string, ds Streamer, opts ...WriteOption) error {
	if d != elementary.SQLite && d != elementary.Postgres {
		return fmt.Errorf("write demo warehouse: dialect %q not supported", d)
	}
	if schema != "" && !elementary.ValidIdentifier(schema) {
		return fmt.Errorf("write demo warehouse: invalid schema name %q", schema)
	}
	cfg := writeConfig{omitColumns: map[string]map[string]bool{}, omitTables: map[string]bool{}}
	for _, o := range opts {
		o(&cfg)
	}
	writers := map[string]*tableWriter{}
	var order []*tableWriter
	for _, t := range elementary.Tables() {
		if cfg.omitTables[t.Name] {
			continue
		}
		w := &tableWriter{name: t.Name, stmts: map[int]*sql.Stmt{}}
		var names []string
		for i, c := range t.Columns {
			if cfg.omitColumns[t.Name][c.Name] {
				continue
			}
			w.keep = append(w.keep, i)
			names = append(names, c.Name)
		}
		if _, err := db.ExecContext(ctx, elementary.CreateTableSQL(d, schema, t, names...)); err != nil {
			return fmt.Errorf("write demo warehouse: create %s: %w", t.Name, err)
		}
		w.perStmt = max(1, min(500, 30000/len(names)))
		w.insert = insertSQL(d, elementary.QualifiedName(d, schema, t.Name), names)
		writers[t.Name] = w
		order = append(order, w)
	}

	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("write demo warehouse: begin: %w", err)
	}
	defer func() {
		_ = tx.Rollback() // no-op after Commit
	}()
	inTx := 0
	flush := func(w *tableWriter) error {
		if w.pending == 0 {
			return nil
		}
		st, ok := w.stmts[w.pending]
		if !ok {
			st, err = tx.PrepareContext(ctx, w.insert(w.pending))
			if err != nil {
				return fmt.Errorf("write demo warehouse: prepare insert into %s: %w", w.name, err)
			}
			w.stmts[w.pending] = st
		}
		if _, err := st.ExecContext(ctx, w.buf...); err != nil {
			return fmt.Errorf("write demo warehouse: insert into %s: %w", w.name, err)
		}
		inTx += w.pending
		w.buf = w.buf[:0]
		w.pending = 0
		return nil
	}
	commit := func() error {
		for _, w := range order {
			for _, st := range w.stmts {
				_ = st.Close()
			}
			w.stmts = map[int]*sql.Stmt{}
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("write demo warehouse: commit: %w", err)
		}
		inTx = 0
		return nil
	}
	err = ds.Stream(ctx, func(table string, row []any) error {
		w, ok := writers[table]
		if !ok {
			if cfg.omitTables[table] {
				return nil
			}
			return fmt.Errorf("write demo warehouse: unknown table %q", table)
		}
		for _, i := range w.keep {
			if i >= len(row) {
				return fmt.Errorf("write demo warehouse: %s row has %d values", table, len(row))
			}
			w.buf = append(w.buf, convert(d, row[i]))
		}
		w.pending++
		if w.pending < w.perStmt {
			return nil
		}
		if err := flush(w); err != nil {
			return err
		}
		if inTx >= 100000 {
			for _, o := range order {
				if err := flush(o); err != nil {
					return err
				}
			}
			if err := commit(); err != nil {
				return err
			}
			if tx, err = db.BeginTx(ctx, nil); err != nil {
				return fmt.Errorf("write demo warehouse: begin: %w", err)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, w := range order {
		if err := flush(w); err != nil {
			return err
		}
	}
	return commit()
}

// insertSQL returns a builder of "INSERT INTO t (cols) VALUES (…),(…)" for n rows, with the dialect's placeholders.
func insertSQL(d elementary.Dialect, table string, cols []string) func(n int) string {
	head := "INSERT INTO " + table + " (" + strings.Join(cols, ", ") + ") VALUES "
	return func(n int) string {
		var b strings.Builder
		b.WriteString(head)
		p := 1
		for r := range n {
			if r > 0 {
				b.WriteByte(',')
			}
			b.WriteByte('(')
			for c := range cols {
				if c > 0 {
					b.WriteByte(',')
				}
				if d == elementary.Postgres {
					b.WriteByte('$')
					b.WriteString(strconv.Itoa(p))
					p++
				} else {
					b.WriteByte('?')
				}
			}
			b.WriteByte(')')
		}
		return b.String()
	}
}

// convert adapts one value to the dialect.
func convert(d elementary.Dialect, v any) any {
	switch x := v.(type) {
	case time.Time:
		if d == elementary.SQLite {
			return x.UTC().Format(SQLiteTimeLayout)
		}
		return x.UTC()
	case bool:
		if d == elementary.SQLite {
			if x {
				return int64(1)
			}
			return int64(0)
		}
		return x
	case int:
		return int64(x)
	}
	return v
}

// Build writes the generated warehouse for opts into a new SQLite file at path (an existing file is replaced).
func Build(ctx context.Context, path string, opts Options, wopts ...WriteOption) error {
	for _, p := range []string{path, path + "-wal", path + "-shm", path + "-journal"} {
		if err := os.Remove(p); err != nil && !os.IsNotExist(err) {
			return fmt.Errorf("build demo warehouse: remove %s: %w", p, err)
		}
	}
	db, err := sql.Open("sqlite3", "file:"+path+"?_journal_mode=OFF&_synchronous=OFF")
	if err != nil {
		return fmt.Errorf("build demo warehouse %s: %w", path, err)
	}
	db.SetMaxOpenConns(1)
	if _, err := db.ExecContext(ctx, "PRAGMA cache_size=-65536"); err != nil {
		_ = db.Close()
		return fmt.Errorf("build demo warehouse %s: %w", path, err)
	}
	ds, err := Generate(opts)
	if err != nil {
		_ = db.Close()
		return fmt.Errorf("build demo warehouse %s: %w", path, err)
	}
	if err := Write(ctx, db, elementary.SQLite, "", ds, wopts...); err != nil {
		_ = db.Close()
		return fmt.Errorf("build demo warehouse %s: %w", path, err)
	}
	if err := db.Close(); err != nil {
		return fmt.Errorf("build demo warehouse %s: close: %w", path, err)
	}
	return nil
}
