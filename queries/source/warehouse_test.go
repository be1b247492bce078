package source

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/todai-dev/todai/queries/elementary"
	"github.com/todai-dev/todai/queries/source/sourcetest"
)

// fixture writes an Elementary warehouse the way Elementary's dbt package would, in one dialect.
type fixture struct {
	d      elementary.Dialect
	schema string
	exec   func(query string, args ...any) error
	// settle makes the writes so far visible to Fingerprints (PostgreSQL flushes statistics lazily).
	settle func()
}

func (f fixture) must(t testing.TB, query string, args ...any) {
	t.Helper()
	if err := f.exec(query, args...); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}

// insert writes one row; column names are test constants.
func (f fixture) insert(t testing.TB, table string, row map[string]any) {
	t.Helper()
	cols := make([]string, 0, len(row))
	for c := range row {
		cols = append(cols, c)
	}
	sort.Strings(cols)
	ph := make([]string, len(cols))
	args := make([]any, len(cols))
	for i, c := range cols {
		ph[i] = "?"
		if f.d == elementary.Postgres {
			ph[i] = fmt.Sprintf("$%d", i+1)
		}
		args[i] = row[c]
	}
	f.must(t, fmt.Sprintf("INSERT INTO %s (%s) VALUES (%s)", elementary.QualifiedName(f.d, f.schema, table),
		strings.Join(cols, ", "), strings.Join(ph, ", ")), args...)
}

var (
	t1 = time.Date(2024, 5, 1, 13, 5, 22, 0, time.UTC)
	t2 = time.Date(2024, 5, 2, 8, 0, 0, 250000000, time.UTC)
	t3 = time.Date(2024, 5, 3, 9, 30, 0, 0, time.UTC)
)

// build creates the tables (dbt_models as an older Elementary version without group_name and access; no
// dbt_groups, which is optional) and the rows of the scenario.
func (f fixture) build(t testing.TB) {
	t.Helper()
	for _, tab := range elementary.Tables() {
		switch tab.Name {
		case "dbt_groups":
			continue
		case "dbt_models":
			var old []string
			for _, c := range tab.ColumnNames() {
				if c != "group_name" && c != "access" {
					old = append(old, c)
				}
			}
			f.must(t, elementary.CreateTableSQL(f.d, f.schema, tab, old...))
		default:
			f.must(t, elementary.CreateTableSQL(f.d, f.schema, tab))
		}
	}
	f.insert(t, "dbt_models", map[string]any{"unique_id": "model.shop.orders", "name": "orders",
		"owner": `["alice@example.com"]`, "materialization": "TABLE", "generated_at": "2024-05-01 13:00:00"})
	f.insert(t, "dbt_models", map[string]any{"unique_id": "model.shop.customers", "name": "customers", "owner": nil})
	// History: a real duplicate (same model_execution_id twice), NULL failures.
	ts2 := any(t2)
	if f.d == elementary.SQLite {
		// Elementary-style text in one row; go-sqlite3's own time.Time text ("…+00:00") in the others.
		f.insert(t, "dbt_run_results", map[string]any{"model_execution_id": "e1", "unique_id": "model.shop.orders",
			"invocation_id": "i1", "created_at": "2024-05-01 13:05:22", "status": "success", "execution_time": 1.5,
			"rows_affected": int64(10), "full_refresh": true, "failures": nil})
	} else {
		f.insert(t, "dbt_run_results", map[string]any{"model_execution_id": "e1", "unique_id": "model.shop.orders",
			"invocation_id": "i1", "created_at": t1, "status": "success", "execution_time": 1.5,
			"rows_affected": int64(10), "full_refresh": true, "failures": nil})
	}
	for range 2 {
		f.insert(t, "dbt_run_results", map[string]any{"model_execution_id": "e2", "unique_id": "model.shop.customers",
			"invocation_id": "i2", "created_at": ts2, "status": "error", "execution_time": 0.25,
			"rows_affected": int64(0), "full_refresh": false, "failures": int64(3), "message": "boom"})
	}
	f.insert(t, "elementary_test_results", map[string]any{"id": "r1", "test_unique_id": "test.shop.not_null",
		"detected_at": t2, "created_at": t2, "status": "fail", "failures": int64(7), "severity": "ERROR"})
	f.settle()
}

// scenario runs the Source contract against a warehouse built by f.
func scenario(t *testing.T, src Source, f fixture) {
	ctx := context.Background()
	counts := func(meta, data int64) {
		t.Helper()
		got := src.Counts()
		if got.Metadata != meta || got.Data != data {
			t.Fatalf("Counts = %+v, want metadata %d data %d", got, meta, data)
		}
		if (meta+data > 0) != (got.Elapsed > 0) {
			t.Fatalf("Counts = %+v: time is spent exactly when queries were sent", got)
		}
	}
	counts(0, 0)

	cat, err := src.Discover(ctx)
	if err != nil {
		t.Fatalf("Discover: %v", err)
	}
	counts(1, 0)
	if !cat.Has("dbt_models", "unique_id") || cat.Has("dbt_models", "group_name") || !cat.Has("dbt_run_results", "failures") {
		t.Errorf("catalog wrong: dbt_models = %v", cat["dbt_models"])
	}
	if _, ok := cat["dbt_groups"]; ok {
		t.Error("dbt_groups reported but not created")
	}
	if len(cat) != len(elementary.Tables())-1 {
		t.Errorf("catalog has %d tables, want %d", len(cat), len(elementary.Tables())-1)
	}

	fp1, err := src.Fingerprints(ctx)
	if err != nil {
		t.Fatalf("Fingerprints: %v", err)
	}
	counts(2, 0)
	if len(fp1) != len(cat) || fp1["dbt_models"] == "" || fp1["dbt_run_results"] == "" {
		t.Fatalf("fingerprints %v", fp1)
	}
	fp2, err := src.Fingerprints(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(fp1) != fmt.Sprint(fp2) {
		t.Errorf("fingerprints changed without writes:\n%v\n%v", fp1, fp2)
	}
	meta := src.Counts().Metadata

	// Scan everything of the history table: duplicates kept, values typed.
	cols := []string{"model_execution_id", "created_at", "execution_time", "rows_affected", "full_refresh", "failures", "message"}
	rows := scanAll(t, src, ScanRequest{Table: "dbt_run_results", Columns: cols})
	counts(meta, 1)
	if len(rows) != 3 {
		t.Fatalf("got %d rows, want 3 (duplicates kept)", len(rows))
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i][0].(string) < rows[j][0].(string) })
	r := rows[0]
	if r[0] != "e1" || !r[1].(time.Time).Equal(t1) || r[1].(time.Time).Location() != time.UTC || r[2] != 1.5 ||
		r[3] != int64(10) || r[4] != true || r[5] != nil || r[6] != nil {
		t.Errorf("row e1 = %#v", r)
	}
	r = rows[1]
	if r[0] != "e2" || !r[1].(time.Time).Equal(t2) || r[2] != 0.25 || r[3] != int64(0) || r[4] != false || r[5] != int64(3) ||
		r[6] != "boom" {
		t.Errorf("row e2 = %#v", r)
	}

	// Watermark reads: >= keeps the boundary rows, and fn may keep each Row.
	if got := scanAll(t, src, ScanRequest{Table: "dbt_run_results", Columns: []string{"model_execution_id"},
		SinceColumn: "created_at", Since: t2}); len(got) != 2 || got[0][0] != "e2" || got[1][0] != "e2" {
		t.Errorf("since t2: %v", got)
	}
	if got := scanAll(t, src, ScanRequest{Table: "dbt_run_results", Columns: []string{"model_execution_id"},
		SinceColumn: "created_at", Since: t2.Add(time.Microsecond)}); len(got) != 0 {
		t.Errorf("since t2+1µs: %v", got)
	}
	if got := scanAll(t, src, ScanRequest{Table: "dbt_run_results", Columns: []string{"model_execution_id"},
		SinceColumn: "created_at", Since: t1.Add(-time.Hour)}); len(got) != 3 {
		t.Errorf("since before all: %d rows", len(got))
	}
	counts(meta, 4)

	models := scanAll(t, src, ScanRequest{Table: "dbt_models", Columns: []string{"unique_id", "owner", "generated_at"}})
	if len(models) != 2 {
		t.Fatalf("models: %v", models)
	}
	for _, m := range models {
		if m[0] == "model.shop.orders" && (m[1] != `["alice@example.com"]` || m[2] != "2024-05-01 13:00:00") {
			t.Errorf("orders = %#v", m)
		}
		if m[0] == "model.shop.customers" && m[1] != nil {
			t.Errorf("customers owner = %#v, want nil", m[1])
		}
	}
	tr := scanAll(t, src, ScanRequest{Table: "elementary_test_results", Columns: []string{"id", "detected_at", "failures", "severity"}})
	if len(tr) != 1 || !tr[0][1].(time.Time).Equal(t2) || tr[0][2] != int64(7) || tr[0][3] != "ERROR" {
		t.Errorf("test results = %#v", tr)
	}
	counts(meta, 6)

	// A column the older table lacks is the caller's business: an error, no panic.
	if err := src.Scan(ctx, ScanRequest{Table: "dbt_models", Columns: []string{"group_name"}}, func(Row) error { return nil }); err == nil {
		t.Error("scanning a missing column succeeded")
	}
	// Names with quotes and semicolons never reach SQL.
	evil := `dbt_models"; DROP TABLE dbt_models; --`
	for _, req := range []ScanRequest{{Table: evil, Columns: []string{"unique_id"}}, {Table: "dbt_models", Columns: []string{evil}}} {
		if err := src.Scan(ctx, req, func(Row) error { return nil }); err == nil || !strings.Contains(err.Error(), "source: scan") {
			t.Errorf("evil scan err = %v", err)
		}
	}
	counts(meta, 7) // the evil scans sent nothing
	// fn's error stops the scan and comes back.
	stop := errors.New("stop")
	if err := src.Scan(ctx, ScanRequest{Table: "dbt_run_results", Columns: []string{"model_execution_id"}},
		func(Row) error { return stop }); !errors.Is(err, stop) {
		t.Errorf("fn error = %v", err)
	}

	// An insert changes only that table's fingerprint; a delete changes it again.
	f.insert(t, "dbt_run_results", map[string]any{"model_execution_id": "e3", "unique_id": "model.shop.orders",
		"invocation_id": "i3", "created_at": t3, "status": "success"})
	f.settle()
	fp3, err := src.Fingerprints(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if fp3["dbt_run_results"] == fp2["dbt_run_results"] {
		t.Errorf("dbt_run_results fingerprint unchanged after insert: %s", fp3["dbt_run_results"])
	}
	if fp3["dbt_models"] != fp2["dbt_models"] {
		t.Errorf("dbt_models fingerprint changed without writes: %s -> %s", fp2["dbt_models"], fp3["dbt_models"])
	}
	f.must(t, fmt.Sprintf("DELETE FROM %s WHERE unique_id = 'model.shop.customers'",
		elementary.QualifiedName(f.d, f.schema, "dbt_models")))
	f.settle()
	fp4, err := src.Fingerprints(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if fp4["dbt_models"] == fp3["dbt_models"] {
		t.Errorf("dbt_models fingerprint unchanged after delete: %s", fp4["dbt_models"])
	}
	if fp4["dbt_run_results"] != fp3["dbt_run_results"] {
		t.Errorf("dbt_run_results fingerprint changed without writes")
	}
	if got := scanAll(t, src, ScanRequest{Table: "dbt_models", Columns: []string{"unique_id"}}); len(got) != 1 {
		t.Errorf("dbt_models after delete: %v", got)
	}

	// A table lacking a Required column is reported and left out.
	f.must(t, "DROP TABLE "+elementary.QualifiedName(f.d, f.schema, "dbt_tests"))
	f.must(t, elementary.CreateTableSQL(f.d, f.schema, mustLookup(t, "dbt_tests"), "unique_id", "severity"))
	f.settle()
	cat, err = src.Discover(ctx)
	var se *SchemaError
	if !errors.As(err, &se) || len(se.Missing) != 1 || se.Missing[0] != (MissingColumn{"dbt_tests", "name"}) {
		t.Fatalf("Discover err = %v, want dbt_tests lacks name", err)
	}
	if !strings.Contains(err.Error(), "dbt_tests lacks name") {
		t.Errorf("message: %v", err)
	}
	if _, ok := cat["dbt_tests"]; ok || !cat.Has("dbt_models", "unique_id") {
		t.Errorf("catalog after schema error: %v", cat)
	}
}

func mustLookup(t testing.TB, name string) elementary.Table {
	tab, ok := elementary.Lookup(name)
	if !ok {
		t.Fatalf("no table %s", name)
	}
	return tab
}

func scanAll(t testing.TB, src Source, req ScanRequest) []Row {
	t.Helper()
	var out []Row
	if err := src.Scan(context.Background(), req, func(r Row) error { out = append(out, r); return nil }); err != nil {
		t.Fatalf("Scan %s: %v", req.Table, err)
	}
	return out
}

// sqliteFixture creates an Elementary SQLite file written through a WAL-mode connection kept open, so the -wal
// file exists as it would next to a live writer.
func sqliteFixture(t testing.TB) (string, fixture) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "elementary.db")
	db, err := sql.Open("sqlite3", "file:"+path+"?_journal_mode=WAL&_busy_timeout=5000")
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { _ = db.Close() })
	return path, fixture{
		d: elementary.SQLite,
		exec: func(q string, args ...any) error {
			_, err := db.Exec(q, args...)
			return err
		},
		settle: func() {},
	}
}

func TestSQLiteSource(t *testing.T) {
	path, f := sqliteFixture(t)
	f.build(t)
	var logs bytes.Buffer
	src, err := Open(context.Background(), "sqlite://"+path, Options{
		Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = src.Close() }()
	if src.Kind() != "sqlite" || src.Describe() != "sqlite file "+path {
		t.Errorf("Kind %q Describe %q", src.Kind(), src.Describe())
	}
	scenario(t, src, f)
	if !strings.Contains(logs.String(), "source query") {
		t.Error("no debug log of queries")
	}
	// The source cannot write.
	if _, err := src.(*warehouse).db.Exec("DELETE FROM dbt_models"); err == nil || !strings.Contains(err.Error(), "readonly") {
		t.Errorf("write through the source: %v", err)
	}
}

// TestSQLiteFingerprintsMemo: with the files untouched since well before the previous query, Fingerprints sends
// nothing; a recent modification time (a write in the same clock tick) or a new write makes it query again.
func TestSQLiteFingerprintsMemo(t *testing.T) {
	path, f := sqliteFixture(t)
	f.build(t)
	ctx := context.Background()
	src, err := Open(ctx, "sqlite://"+path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = src.Close() }()
	w := src.(*warehouse)
	past := time.Now().Add(-time.Hour)
	age := func() {
		for _, p := range []string{path, path + "-wal"} {
			if err := osChtimes(p, past); err != nil {
				t.Fatal(err)
			}
		}
	}
	step := func(name string, wantQueries int64) map[string]Fingerprint {
		t.Helper()
		before := src.Counts().Metadata
		fp, err := src.Fingerprints(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if got := src.Counts().Metadata - before; got != wantQueries {
			t.Fatalf("%s: %d metadata queries, want %d", name, got, wantQueries)
		}
		return fp
	}
	age()
	first := step("first call discovers and queries", 2)
	again := step("files old and unchanged", 0)
	if fmt.Sprint(first) != fmt.Sprint(again) {
		t.Errorf("memo returned different fingerprints")
	}
	again["dbt_models"] = "mutated by caller"
	if fp := step("memo is a copy", 0); fp["dbt_models"] == "mutated by caller" {
		t.Error("caller mutation leaked into the memo")
	}
	// A query made within racyWindow of the files' mtime (a write could follow in the same clock tick with the
	// same size) is not trusted by the next call, even with an identical stat.
	touched := past.Add(time.Minute)
	for _, p := range []string{path, path + "-wal"} {
		if err := osChtimes(p, touched); err != nil {
			t.Fatal(err)
		}
	}
	w.now = func() time.Time { return touched.Add(time.Second) }
	step("stat changed", 1)
	w.now = time.Now
	step("racy memo not trusted", 1)
	step("now trusted", 0)
	f.insert(t, "dbt_run_results", map[string]any{"model_execution_id": "e9", "unique_id": "m", "invocation_id": "i",
		"created_at": t3, "status": "success"})
	changed := step("after a write", 1)
	if changed["dbt_run_results"] == first["dbt_run_results"] || changed["dbt_models"] != first["dbt_models"] {
		t.Errorf("after insert: %v vs %v", changed, first)
	}
}

func TestPostgresSource(t *testing.T) {
	srcURL := sourcetest.Postgres(t)
	conn, schema, err := sourcetest.ConnString(srcURL)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	wc, err := pgx.Connect(ctx, conn)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = wc.Close(ctx) }()
	f := fixture{
		d:      elementary.Postgres,
		schema: schema,
		exec: func(q string, args ...any) error {
			_, err := wc.Exec(ctx, q, args...)
			return err
		},
		settle: func() {
			// PostgreSQL ≥ 15 flushes a backend's statistics lazily; force it, then let the backend go idle.
			if _, err := wc.Exec(ctx, "SELECT pg_stat_force_next_flush()"); err != nil {
				t.Fatal(err)
			}
			if _, err := wc.Exec(ctx, "SELECT 1"); err != nil {
				t.Fatal(err)
			}
		},
	}
	f.build(t)
	var logs bytes.Buffer
	src, err := Open(ctx, srcURL, Options{QueryTimeout: 20 * time.Second,
		Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = src.Close() }()
	if src.Kind() != "postgres" || src.Describe() != "postgres 127.0.0.1:5432/todai_test schema "+schema+" (user todai)" {
		t.Errorf("Kind %q Describe %q", src.Kind(), src.Describe())
	}
	scenario(t, src, f)
	// Read-only sessions, bounded statements.
	w := src.(*warehouse)
	if _, err := w.db.ExecContext(ctx, "CREATE TABLE "+schema+".x (a int)"); err == nil || !strings.Contains(err.Error(), "read-only") {
		t.Errorf("write through the source: %v", err)
	}
	var timeout, app string
	if err := w.db.QueryRowContext(ctx, "SELECT current_setting('statement_timeout'), current_setting('application_name')").
		Scan(&timeout, &app); err != nil || timeout != "20s" || app != "todai" {
		t.Errorf("statement_timeout %q application_name %q (%v)", timeout, app, err)
	}
	if strings.Contains(logs.String(), "todai:todai") {
		t.Error("log contains the password")
	}
	// TRUNCATE changes relfilenode, hence the fingerprint, even at equal counters.
	before, err := src.Fingerprints(ctx)
	if err != nil {
		t.Fatal(err)
	}
	f.must(t, "TRUNCATE "+schema+".elementary_test_results")
	f.settle()
	after, err := src.Fingerprints(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if before["elementary_test_results"] == after["elementary_test_results"] {
		t.Errorf("fingerprint unchanged after TRUNCATE: %s", after["elementary_test_results"])
	}
}

func TestPostgresSchemaIsolationAndEmpty(t *testing.T) {
	srcURL := sourcetest.Postgres(t)
	ctx := context.Background()
	src, err := Open(ctx, srcURL, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = src.Close() }()
	cat, err := src.Discover(ctx)
	var se *SchemaError
	if !errors.As(err, &se) || !se.NoTables || len(cat) != 0 {
		t.Fatalf("empty schema: %v %v", cat, err)
	}
	fps, err := src.Fingerprints(ctx)
	if err != nil || len(fps) != 0 {
		t.Fatalf("empty schema fingerprints: %v %v", fps, err)
	}
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	tests := []struct{ name, url, want string }{
		{"no scheme", "/tmp/x.db", "needs a scheme"},
		{"unknown scheme", "mysql://u:pw@h/db", `unsupported warehouse "mysql"`},
		{"relative sqlite", "sqlite://relative/x.db", "absolute path"},
		{"sqlite query", "sqlite:///" + dir + "/x.db?mode=rwc", "no query parameters"},
		{"sqlite missing file", "sqlite://" + dir + "/missing.db", "no such file"},
		{"sqlite directory", "sqlite://" + dir, "is a directory"},
		{"unparsable URL with a password", "postgres://u:s3cr3t/PW@host:5432/db", "cannot parse the warehouse URL"},
		{"control character", "postgres://u:s3cr3t\x7f@host/db", "cannot parse"},
		{"bad postgres schema", "postgres://u:s3cr3t@127.0.0.1/db?schema=a%22b", "plain identifier"},
		{"bad postgres param", "postgres://u:s3cr3t@127.0.0.1/db?connect_timeout=abc", "cannot parse the postgres URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src, err := Open(context.Background(), tt.url, Options{QueryTimeout: 5 * time.Second})
			if err == nil {
				_ = src.Close()
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want %q", err, tt.want)
			}
			assertNoSecret(t, "error", err.Error())
		})
	}
}

func TestPostgresWrongPasswordHidden(t *testing.T) {
	srcURL := sourcetest.Postgres(t)
	u, err := url.Parse(srcURL)
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.UserPassword(u.User.Username(), testPassword)
	_, err = Open(context.Background(), u.String(), Options{QueryTimeout: 10 * time.Second})
	if err == nil {
		t.Fatal("wrong password accepted")
	}
	assertNoSecret(t, "error", err.Error())
	if !strings.Contains(err.Error(), "password authentication failed") {
		t.Errorf("err = %v", err)
	}
}

// osChtimes sets both times of a file; a missing file (no -wal yet) is fine.
func osChtimes(path string, t time.Time) error {
	err := os.Chtimes(path, t, t)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}
