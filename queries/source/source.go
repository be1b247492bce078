// Package source reads Elementary's tables from the user's warehouse: a SQLite file, PostgreSQL or Snowflake.
// Every source is read-only, sends parameterised SQL only, bounds each query with a timeout, discovers at start
// which Elementary tables and columns exist, and answers "did anything change?" from metadata that costs no
// warehouse compute, so that a sync with nothing new never wakes a billed warehouse.
package source

import (
	"context"
	"time"
)

// Catalog is what discovery found: for each Elementary table present in the warehouse, the set of its columns
// (lower case).
type Catalog map[string]map[string]bool

// Has reports whether the table exists and has the column.
func (c Catalog) Has(table, column string) bool { return c[table][column] }

// Fingerprint is an opaque, cheap change marker of one table (row and byte counts, last-altered time …). Two equal
// fingerprints mean the table did not change; a different one means it may have.
type Fingerprint string

// Row is one row as the source read it, in the order of ScanRequest.Columns. Values are nil, string, int64,
// float64, bool or time.Time (UTC, for real timestamp columns); each source converts its driver's types to these.
type Row []any

// ScanRequest asks for rows of one table.
type ScanRequest struct {
	Table string
	// Columns to select; every one must exist (see Catalog). Missing columns are the caller's business.
	Columns []string
	// SinceColumn and Since, when Since is not zero, keep only rows with SinceColumn >= Since: the watermark read of
	// an append-only table. The column is a real timestamp column.
	SinceColumn string
	Since       time.Time
	// Before, when not zero (and Since is set), also keeps only rows with SinceColumn < Before: a window.
	Before time.Time
	// CountDistinct asks, instead of the rows, for one row holding the number of distinct values of the one column
	// requested: a cheap check of how many rows a window holds.
	CountDistinct bool
}

// Counts is how many queries a source has sent, by kind: metadata queries are answered without warehouse compute
// (information_schema, SHOW TABLES, catalog statistics); data queries read rows and, on Snowflake, resume a
// billed warehouse.
type Counts struct {
	Metadata int64
	Data     int64
	// Elapsed is the time spent in queries of either kind, from sending each to reading its last row.
	Elapsed time.Duration
}

// Source is one Elementary warehouse.
type Source interface {
	// Kind names the warehouse: "sqlite", "postgres" or "snowflake".
	Kind() string
	// Describe names the warehouse for people (no secrets): "snowflake account xy12345 ANALYTICS.PROD_ELEMENTARY".
	Describe() string
	// Discover lists the Elementary tables present and their columns. A metadata query.
	Discover(ctx context.Context) (Catalog, error)
	// Fingerprints returns a change marker per present table, from metadata only.
	Fingerprints(ctx context.Context) (map[string]Fingerprint, error)
	// Scan streams the requested rows to fn, one data query. fn may keep the Row: each call gets a new one.
	Scan(ctx context.Context, req ScanRequest, fn func(Row) error) error
	// Counts reports the queries sent so far.
	Counts() Counts
	// ZonedColumns lists the timestamp columns a Snowflake account stores zoned ("table.column" → "LTZ" or "TZ",
	// from the latest Discover): TZ values of Elementary's UTC text are read by their wall clock; LTZ ones cannot be
	// recovered (doctor says so).
	ZonedColumns() map[string]string
	// GrantFix says, in the warehouse's own SQL, how to let Todai read table again (a GRANT, and the grant on future
	// tables that keeps it readable when Elementary re-creates it).
	GrantFix(table string) string
	// Close releases the connection pool.
	Close() error
}
