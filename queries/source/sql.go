package source

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/todai-dev/todai/queries/elementary"
)

// The SQL builders are pure functions so that the exact text sent to each warehouse, Snowflake included, is
// tested. Identifiers never come from users: table and column names must be in elementary.Tables(), schema names
// pass elementary.ValidIdentifier; the only values (schema name in catalog filters, watermarks) are parameters.

// dialect is the SQL flavour of a warehouse.
type dialect int

const (
	dialectSQLite dialect = iota
	dialectPostgres
	dialectSnowflake
)

// watermarkLayout is how the watermark is sent: the text form SQLite stores timestamps in, which PostgreSQL and
// Snowflake also cast to a timestamp.
const watermarkLayout = "2006-01-02 15:04:05.999999"

// ident quotes a validated identifier. Snowflake folds unquoted identifiers to upper case and Elementary never
// quotes, so on Snowflake the quoted form is upper-cased. SQLite gets [brackets]: a "double-quoted" name that
// matches no column silently becomes a string literal there (SQLite's DQS quirk), brackets fail loudly.
func (d dialect) ident(s string) string {
	switch d {
	case dialectSnowflake:
		return `"` + strings.ToUpper(s) + `"`
	case dialectSQLite:
		return "[" + s + "]"
	}
	return `"` + s + `"`
}

// names are the real spellings of the tables and columns a Discover found, keyed by the lower-cased table name and
// by "table.column". Snowflake keeps the case of a quoted identifier: with dbt's `quoting: true` Elementary's tables
// are created lower-case ("dbt_models"), and upper-casing them names another, missing, object. A name Discover did
// not see is spelled as ident spells it.
type names map[string]string

// exact quotes a name exactly as the warehouse spells it (its own output, never user text).
func (d dialect) exact(s string) string {
	if d == dialectSQLite {
		return "[" + strings.ReplaceAll(s, "]", "]]") + "]"
	}
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

// table is the quoted table name as the warehouse spells it.
func (d dialect) table(n names, table string) string {
	if real, ok := n[table]; ok {
		return d.exact(real)
	}
	return d.ident(table)
}

// column is the quoted column name as the warehouse spells it.
func (d dialect) column(n names, table, column string) string {
	if real, ok := n[table+"."+column]; ok {
		return d.exact(real)
	}
	return d.ident(column)
}

// qualified returns the quoted "schema"."table" (or "db"."schema"."table"), the table spelled as n says; schema may
// be empty (SQLite) or dotted (Snowflake database.schema, its parts already in the case to use).
func (d dialect) qualified(schema string, n names, table string) string {
	if schema == "" {
		return d.table(n, table)
	}
	return d.qualifiedSchema(schema) + "." + d.table(n, table)
}

// param returns the n-th (1-based) placeholder.
func (d dialect) param(n int) string {
	if d == dialectPostgres {
		return fmt.Sprintf("$%d", n)
	}
	return "?"
}

// timestampParam returns the n-th placeholder as a timestamp: SQLite compares the stored text directly, the
// others cast the text parameter.
func (d dialect) timestampParam(n int) string {
	switch d {
	case dialectPostgres:
		return fmt.Sprintf("CAST(%s AS timestamp)", d.param(n))
	case dialectSnowflake:
		return fmt.Sprintf("CAST(%s AS TIMESTAMP_NTZ)", d.param(n))
	}
	return d.param(n)
}

// formatWatermark renders a watermark as UTC text, "2006-01-02 15:04:05.999999": fixed-width up to the seconds,
// so it compares correctly with SQLite's stored text ("…15:04:05", "…15:04:05.123", "…15:04:05+00:00"). Text
// stored with a 'T' separator or a non-UTC offset would not compare correctly; Elementary and go-sqlite3 write
// neither.
func formatWatermark(t time.Time) string {
	return t.UTC().Format(watermarkLayout)
}

// scanSQL builds the SELECT of a ScanRequest and its arguments. It returns the table description so the caller
// can convert values by logical type.
func scanSQL(d dialect, schema string, n names, req ScanRequest) (query string, args []any, cols []elementary.Column, err error) {
	t, ok := elementary.Lookup(req.Table)
	if !ok {
		return "", nil, nil, fmt.Errorf("source: scan: %q is not an Elementary table Todai reads", req.Table)
	}
	if len(req.Columns) == 0 {
		return "", nil, nil, fmt.Errorf("source: scan %s: no columns requested", t.Name)
	}
	if req.CountDistinct {
		if len(req.Columns) != 1 && !slices.Equal(req.Columns, t.Key) {
			return "", nil, nil, fmt.Errorf("source: count %s: one column or the table's key, not %v", t.Name, req.Columns)
		}
		inner := req
		inner.CountDistinct = false
		q, args, _, err := scanSQL(d, schema, n, inner)
		if err != nil {
			return "", nil, nil, err
		}
		if len(req.Columns) == 1 {
			col := d.column(n, t.Name, req.Columns[0])
			q = "SELECT count(DISTINCT " + col + ")" + strings.TrimPrefix(q, "SELECT "+col)
		} else { // a key of several columns: count the distinct tuples, which every dialect can
			q = "SELECT count(*) FROM (" + strings.Replace(q, "SELECT ", "SELECT DISTINCT ", 1) + ") distinct_keys"
		}
		return q, args, []elementary.Column{{Name: "count", Type: elementary.Int}}, nil
	}
	var b strings.Builder
	b.WriteString("SELECT ")
	seen := map[string]bool{}
	for i, name := range req.Columns {
		c, ok := t.Column(name)
		if !ok {
			return "", nil, nil, fmt.Errorf("source: scan %s: unknown column %q", t.Name, name)
		}
		if seen[name] {
			return "", nil, nil, fmt.Errorf("source: scan %s: column %s requested twice", t.Name, name)
		}
		seen[name] = true
		if i > 0 {
			b.WriteString(", ")
		}
		if m := c.KeepWhen; m != nil {
			fmt.Fprintf(&b, "CASE WHEN %s THEN %s END AS %s", d.matches(n, t.Name, m), d.column(n, t.Name, c.Name),
				d.column(n, t.Name, c.Name))
		} else {
			b.WriteString(d.column(n, t.Name, c.Name))
		}
		cols = append(cols, c)
	}
	b.WriteString(" FROM ")
	b.WriteString(d.qualified(schema, n, t.Name))
	where := " WHERE "
	if t.Only != nil {
		b.WriteString(where + d.matches(n, t.Name, t.Only))
		where = " AND "
	}
	if !req.Since.IsZero() {
		c, ok := t.Column(req.SinceColumn)
		if !ok {
			return "", nil, nil, fmt.Errorf("source: scan %s: unknown watermark column %q", t.Name, req.SinceColumn)
		}
		if c.Type != elementary.Timestamp {
			return "", nil, nil, fmt.Errorf("source: scan %s: watermark column %s is %s, not timestamp", t.Name, c.Name, c.Type)
		}
		fmt.Fprintf(&b, "%s%s >= %s", where, d.column(n, t.Name, c.Name), d.timestampParam(1))
		args = append(args, formatWatermark(req.Since))
		if !req.Before.IsZero() {
			fmt.Fprintf(&b, " AND %s < %s", d.column(n, t.Name, c.Name), d.timestampParam(2))
			args = append(args, formatWatermark(req.Before))
		}
	} else if !req.Before.IsZero() {
		return "", nil, nil, fmt.Errorf("source: scan %s: Before needs Since", t.Name)
	}
	return b.String(), args, cols, nil
}

// matches is the condition of a Match: the column's value, lower-cased, equals the constant (lower-case letters
// and underscores, checked where the tables are described).
func (d dialect) matches(n names, table string, m *elementary.Match) string {
	return "lower(" + d.column(n, table, m.Column) + ") = '" + m.Value + "'"
}

// discoverSQL returns the metadata query listing (table, column) pairs, and its arguments. Snowflake's SHOW COLUMNS
// is served by the cloud services layer (no warehouse); its result is read by column name.
func discoverSQL(d dialect, schema string) (string, []any) {
	switch d {
	case dialectPostgres:
		return "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = $1 " +
			"ORDER BY table_name, ordinal_position", []any{schema}
	case dialectSnowflake:
		return "SHOW COLUMNS IN SCHEMA " + d.qualifiedSchema(schema), nil
	}
	return "SELECT m.name, p.name FROM sqlite_master AS m JOIN pragma_table_info(m.name) AS p " +
		"WHERE m.type = 'table' ORDER BY m.name, p.cid", nil
}

// qualifiedSchema quotes a (possibly dotted) schema name.
func (d dialect) qualifiedSchema(schema string) string {
	parts := strings.Split(schema, ".")
	for i, p := range parts {
		parts[i] = d.exact(p)
	}
	return strings.Join(parts, ".")
}

// sqliteFingerprintSQL builds the one statement that fingerprints the given tables of a SQLite warehouse. Each
// row is (table, max(rowid), count, marker):
//   - history tables are append-only logs: a new row always raises max(rowid) (one B-tree descent), and a
//     deletion there (a retention job) need not reach the mirror; a table whose rows change in place (alerts_v2,
//     read by updated_at) adds max(watermark) as its marker;
//   - definition tables are small (thousands of rows) and change by delete and insert (Elementary's diff upload),
//     which can leave count and max(rowid) as they were when SQLite reuses the highest rowid: their marker is every
//     row's rowid, unique_id and generated_at, concatenated (hashed by the caller).
//
// A last row, named ”, lists the file's tables and views.
//
// tables must be Elementary table names (checked by the caller): they are placed in the text as quoted identifiers
// and string literals. has tells whether a table has a column (its key, generated_at).
func sqliteFingerprintSQL(tables []string, has func(table, column string) bool) string {
	parts := make([]string, len(tables))
	for i, t := range tables {
		count, marker := "NULL", "NULL"
		if spec, ok := elementary.Lookup(t); ok {
			switch {
			case spec.Kind == elementary.Definition:
				row := "rowid"
				for _, k := range spec.Key {
					if has(t, k) { // an old install's table may lack it (an early dbt_columns view)
						row += " || ':' || " + dialectSQLite.ident(k)
					}
				}
				if has(t, "generated_at") {
					row += " || ':' || coalesce(generated_at, '')"
				}
				count, marker = "count(*)", "group_concat("+row+", ',')"
			case spec.Watermark != "created_at":
				marker = "max(" + dialectSQLite.ident(spec.Watermark) + ")"
			}
		}
		parts[i] = fmt.Sprintf("SELECT '%s', max(rowid), %s, %s FROM %s", t, count, marker, dialectSQLite.ident(t))
	}
	// Last, the file's table names (a row named ''), so that a table created since the latest Discover is seen.
	parts = append(parts, "SELECT '', NULL, NULL, (SELECT group_concat(name, ',') FROM sqlite_master "+
		"WHERE type IN ('table', 'view'))")
	return strings.Join(parts, " UNION ALL ")
}

// postgresFingerprintSQL reads the write counters and the storage file of every table in the schema ($1).
const postgresFingerprintSQL = `SELECT c.relname, c.relfilenode,
	coalesce(s.n_tup_ins, 0), coalesce(s.n_tup_upd, 0), coalesce(s.n_tup_del, 0), coalesce(s.n_live_tup, 0),
	current_setting('track_counts')
FROM pg_catalog.pg_class AS c
JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
LEFT JOIN pg_catalog.pg_stat_user_tables AS s ON s.relid = c.oid
WHERE n.nspname = $1 AND c.relkind IN ('r', 'p')`

// snowflakeFingerprintSQL lists the schema's tables with their row and byte counts, from the cloud services layer.
func snowflakeFingerprintSQL(schema string) string {
	return "SHOW TABLES IN SCHEMA " + dialectSnowflake.qualifiedSchema(schema)
}
