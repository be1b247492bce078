package source

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// warehouse implements Source over database/sql for all three dialects; the per-dialect parts are the SQL
// builders and fingerprints.
type warehouse struct {
	kind     string
	dialect  dialect
	describe string
	db       *sql.DB
	// schema qualifies table names in SQL text: "" (SQLite), "prod_elementary" (PostgreSQL) or
	// "ANALYTICS.PROD_ELEMENTARY" (Snowflake). Validated by elementary.ValidIdentifier.
	schema  string
	timeout time.Duration
	log     *slog.Logger
	// grantee is who reads: the Snowflake role of the URL, the PostgreSQL user ("" when unknown).
	grantee string

	metadata atomic.Int64
	data     atomic.Int64
	elapsed  atomic.Int64 // nanoseconds spent in queries

	// SQLite only: the file path, and the clock deciding when a file stat can be trusted.
	path string
	now  func() time.Time

	mu      sync.Mutex
	tables  []string // Elementary tables present at the latest Discover, sorted; nil before any
	catalog Catalog  // their columns, as that Discover found them
	names   names    // their tables' and columns' real spellings, as that Discover found them
	// zoned are the Snowflake timestamp columns stored as TIMESTAMP_LTZ or TIMESTAMP_TZ (an account whose
	// TIMESTAMP_TYPE_MAPPING is not NTZ), keyed "table.column", valued "LTZ" or "TZ".
	zoned  map[string]string
	fp     *fileFPMemo // SQLite: fingerprints memoised on the file stats
	warned bool        // PostgreSQL: track_counts=off already logged
}

var _ Source = (*warehouse)(nil)

// ZonedColumns implements Source.
func (w *warehouse) ZonedColumns() map[string]string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return maps.Clone(w.zoned)
}

// GrantFix implements Source.
func (w *warehouse) GrantFix(table string) string {
	w.mu.Lock()
	spelled := w.names
	w.mu.Unlock()
	switch w.dialect {
	case dialectSnowflake:
		role := w.grantee
		if role == "" {
			role = "<Todai's role>"
		} else {
			role = w.dialect.ident(role)
		}
		schema := w.dialect.qualifiedSchema(w.schema)
		return fmt.Sprintf("GRANT SELECT ON TABLE %s TO ROLE %s; GRANT SELECT ON FUTURE TABLES IN SCHEMA %s TO ROLE %s;"+
			" (Elementary's `create or replace table` drops table grants; the future grant keeps new ones readable)",
			w.dialect.qualified(w.schema, spelled, table), role, schema, role)
	case dialectPostgres:
		user := "<Todai's user>"
		if w.grantee != "" {
			user = w.dialect.ident(w.grantee)
		}
		schema := w.dialect.ident(w.schema)
		return fmt.Sprintf("GRANT SELECT ON %s TO %s; ALTER DEFAULT PRIVILEGES FOR ROLE <the role dbt runs as> IN "+
			"SCHEMA %s GRANT SELECT ON TABLES TO %s;", w.dialect.qualified(w.schema, spelled, table), user, schema, user)
	}
	return fmt.Sprintf("the table %s is gone from %s: run dbt with the Elementary package again", table, w.path)
}

// Kind implements Source.
func (w *warehouse) Kind() string { return w.kind }

// Describe implements Source.
func (w *warehouse) Describe() string { return w.describe }

// Counts implements Source.
func (w *warehouse) Counts() Counts {
	return Counts{Metadata: w.metadata.Load(), Data: w.data.Load(), Elapsed: time.Duration(w.elapsed.Load())}
}

// Close implements Source.
func (w *warehouse) Close() error {
	if err := w.db.Close(); err != nil {
		return fmt.Errorf("source: close %s: %w", w.kind, err)
	}
	return nil
}

// Discover implements Source. The Catalog holds the Elementary tables that have all their Required columns; when
// some lack one, or non-optional tables are absent, the error is a *SchemaError and the Catalog is still usable.
func (w *warehouse) Discover(ctx context.Context) (Catalog, error) {
	query, args := discoverSQL(w.dialect, w.schema)
	raw := Catalog{}
	spelled := names{}
	known := knownTables()
	zoned := map[string]string{}
	add := func(table, column string) {
		raw.addColumn(known, table, column)
		if t := strings.ToLower(table); known[t] {
			spelled[t] = table
			spelled[t+"."+strings.ToLower(column)] = column
		}
	}
	err := w.query(ctx, &w.metadata, "discover", query, args, func(rows *sql.Rows) error {
		if w.dialect == dialectSnowflake {
			return readNamed(rows, []string{"table_name", "column_name", "data_type"}, 2, func(v []any) error {
				add(metaText(v[0]), metaText(v[1]))
				if kind := snowflakeTimestampKind(metaText(v[2])); kind != "" {
					zoned[strings.ToLower(metaText(v[0]))+"."+strings.ToLower(metaText(v[1]))] = kind
				}
				return nil
			})
		}
		for rows.Next() {
			var table, column string
			if err := rows.Scan(&table, &column); err != nil {
				return err
			}
			add(table, column)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, err
	}
	present := make([]string, 0, len(raw))
	for t := range raw {
		present = append(present, t)
	}
	sort.Strings(present)
	w.mu.Lock()
	w.tables = present
	w.catalog = raw
	w.names = spelled
	w.zoned = zoned
	w.mu.Unlock()
	return CheckCatalog(raw)
}

// presentTables returns the tables found by the latest Discover, running one when none ran yet.
func (w *warehouse) presentTables(ctx context.Context) ([]string, error) {
	w.mu.Lock()
	tables := w.tables
	w.mu.Unlock()
	if tables != nil {
		return tables, nil
	}
	if _, err := w.Discover(ctx); err != nil {
		var se *SchemaError
		if !errors.As(err, &se) {
			return nil, err
		}
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.tables, nil
}

// Fingerprints implements Source; see the per-dialect functions for what each marker holds.
func (w *warehouse) Fingerprints(ctx context.Context) (map[string]Fingerprint, error) {
	switch w.dialect {
	case dialectPostgres:
		return w.postgresFingerprints(ctx)
	case dialectSnowflake:
		return w.snowflakeFingerprints(ctx)
	}
	return w.sqliteFingerprints(ctx)
}

// Scan implements Source: one SELECT, values converted by the column's logical type.
func (w *warehouse) Scan(ctx context.Context, req ScanRequest, fn func(Row) error) error {
	w.mu.Lock()
	spelled, zoned := w.names, w.zoned
	w.mu.Unlock()
	query, args, cols, err := scanSQL(w.dialect, w.schema, spelled, req)
	if err != nil {
		return err
	}
	// A scan streams: the query timeout bounds the wait for each batch of rows, not the whole read, so a large first
	// sync is not cut off while rows keep coming.
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	idle := time.AfterFunc(w.timeout, func() {
		cancel(fmt.Errorf("no rows from %s for %s: %w", req.Table, w.timeout, context.DeadlineExceeded))
	})
	defer idle.Stop()
	return w.stream(ctx, &w.data, "scan "+req.Table, query, args, func(rows *sql.Rows) error {
		raw := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range raw {
			ptrs[i] = &raw[i]
		}
		n := 0
		for rows.Next() {
			if n++; n%1024 == 0 {
				idle.Reset(w.timeout)
			}
			if err := rows.Scan(ptrs...); err != nil {
				return err
			}
			row := make(Row, len(cols))
			for i, c := range cols {
				v, err := convertValue(c.Type, raw[i])
				if err != nil {
					return fmt.Errorf("%s.%s: %w", req.Table, c.Name, err)
				}
				if zoned[req.Table+"."+c.Name] == "TZ" && !InsertTime(c.Name) {
					v = wallClockUTC(raw[i], v)
				}
				row[i] = v
			}
			if err := fn(row); err != nil {
				return err
			}
		}
		return rows.Err()
	})
}

// query runs one counted query under the source's timeout and hands the rows to read.
func (w *warehouse) query(ctx context.Context, counter *atomic.Int64, what, query string, args []any,
	read func(*sql.Rows) error) error {
	ctx, cancel := context.WithTimeout(ctx, w.timeout)
	defer cancel()
	return w.stream(ctx, counter, what, query, args, read)
}

// stream runs one counted query under the caller's context and hands the rows to read.
func (w *warehouse) stream(ctx context.Context, counter *atomic.Int64, what, query string, args []any,
	read func(*sql.Rows) error) error {
	counter.Add(1)
	start := time.Now()
	defer func() { w.elapsed.Add(int64(time.Since(start))) }()
	rows, err := w.db.QueryContext(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("source: %s %s: %w", w.kind, what, withCause(ctx, err))
	}
	defer rows.Close()
	if err := read(rows); err != nil {
		return fmt.Errorf("source: %s %s: %w", w.kind, what, withCause(ctx, err))
	}
	if err := rows.Close(); err != nil {
		return fmt.Errorf("source: %s %s: %w", w.kind, what, err)
	}
	w.log.DebugContext(ctx, "source query", "kind", w.kind, "what", what, "elapsed", time.Since(start))
	return nil
}

// readNamed reads result columns by name, case-insensitively (SHOW output), calling fn with the wanted values in
// order. The first need columns must be in the result (an account can trim SHOW output with
// SYSTEM$SET_DEFAULT_COLUMNS_OVERRIDE_FOR_SHOW_COMMAND); the others are nil when absent.
func readNamed(rows *sql.Rows, want []string, need int, fn func([]any) error) error {
	names, err := rows.Columns()
	if err != nil {
		return err
	}
	idx := make([]int, len(want))
	for i, w := range want {
		idx[i] = -1
		for j, n := range names {
			if strings.EqualFold(n, w) {
				idx[i] = j
				break
			}
		}
		if idx[i] < 0 && i < need {
			return fmt.Errorf("result lacks column %s (has %s)", w, strings.Join(names, ", "))
		}
	}
	raw := make([]any, len(names))
	ptrs := make([]any, len(names))
	for i := range raw {
		ptrs[i] = &raw[i]
	}
	out := make([]any, len(want))
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return err
		}
		for i, j := range idx {
			out[i] = nil
			if j >= 0 {
				out[i] = raw[j]
			}
		}
		if err := fn(out); err != nil {
			return err
		}
	}
	return rows.Err()
}

// withCause adds the context's cancellation cause (such as an idle scan) to err when the context ended it.
func withCause(ctx context.Context, err error) error {
	if cause := context.Cause(ctx); cause != nil && cause != ctx.Err() && errors.Is(err, ctx.Err()) {
		return fmt.Errorf("%w (%w)", err, cause)
	}
	return err
}
