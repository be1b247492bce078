package queries

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/todai-dev/todai/queries/localdb"
	"github.com/todai-dev/todai/queries/mirror"
	"github.com/todai-dev/todai/queries/source"
	"github.com/todai-dev/todai/queries/source/sourcetest"
)

// sqliteDDL translates Elementary's PostgreSQL DDL to SQLite: the same CREATE TABLE … AS SELECT of a typed empty
// row, without the schema.
func sqliteDDL(pg string) string {
	return regexp.MustCompile(`\{schema\}\.`).ReplaceAllString(pg, "")
}

// zoneWriter writes run results the way Elementary's insert_rows does: a plain INSERT whose created_at is the
// warehouse clock in the writer's session zone, and UTC text in generated_at.
type zoneWriter interface {
	insertRun(ctx context.Context, t *testing.T, zone, id, model string, at time.Time)
}

type pgWriter struct {
	db     *sql.DB
	schema string
}

func (w pgWriter) insertRun(ctx context.Context, t *testing.T, zone, id, model string, at time.Time) {
	t.Helper()
	conn, err := w.db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "SET TIME ZONE '"+zone+"'"); err != nil {
		t.Fatal(err)
	}
	gen := at.UTC().Format("2006-01-02 15:04:05")
	if _, err := conn.ExecContext(ctx, `INSERT INTO `+w.schema+`.dbt_run_results (model_execution_id, unique_id,
		invocation_id, generated_at, created_at, name, status, resource_type, execute_completed_at, execution_time)
		VALUES ($1, $2, $3, $4, current_timestamp::timestamp, $5, 'success', 'model', $6, 1.5)`,
		id+"."+model, model, id, gen, strings.TrimPrefix(model, "model.shop."),
		at.UTC().Format("2006-01-02T15:04:05.000000Z")); err != nil {
		t.Fatal(err)
	}
	// Make the insert visible to the statistics the sync's change detection reads now, not a second later.
	if _, err := conn.ExecContext(ctx, "SELECT pg_stat_force_next_flush()"); err != nil {
		t.Fatal(err)
	}
}

type sqliteWriter struct{ db *sql.DB }

func (w sqliteWriter) insertRun(ctx context.Context, t *testing.T, zone, id, model string, at time.Time) {
	t.Helper()
	loc, err := time.LoadLocation(zone)
	if err != nil {
		t.Fatal(err)
	}
	created := time.Now().In(loc).Format("2006-01-02 15:04:05.000000") // the writer's wall clock, no zone
	if _, err := w.db.ExecContext(ctx, `INSERT INTO dbt_run_results (model_execution_id, unique_id, invocation_id,
		generated_at, created_at, name, status, resource_type, execute_completed_at, execution_time)
		VALUES (?, ?, ?, ?, ?, ?, 'success', 'model', ?, 1.5)`,
		id+"."+model, model, id, at.UTC().Format("2006-01-02 15:04:05"), created,
		strings.TrimPrefix(model, "model.shop."), at.UTC().Format("2006-01-02T15:04:05.000000Z")); err != nil {
		t.Fatal(err)
	}
}

// TestRealElementaryWritersInManyZones: on a warehouse built from Elementary's own DDL, writers in UTC, Los Angeles
// (8 h behind), Kiritimati (14 h ahead) and Pago Pago (11 h behind) write run results between syncs. Every row
// reaches the mirror, the newest run by its UTC times is the last run, and a sync with nothing new sends only
// metadata queries.
func TestRealElementaryWritersInManyZones(t *testing.T) {
	ddl := sourcetest.ElementaryDDL(t)
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			ctx := context.Background()
			var url string
			var w zoneWriter
			switch backend {
			case "sqlite":
				path := filepath.Join(t.TempDir(), "warehouse.db")
				db, err := sql.Open("sqlite3", "file:"+path)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { db.Close() })
				if _, err := db.ExecContext(ctx, sqliteDDL(ddl)); err != nil {
					t.Fatalf("Elementary's DDL on SQLite: %v", err)
				}
				url, w = "sqlite://"+path, sqliteWriter{db}
			case "postgres":
				var schema string
				var db *sql.DB
				url, schema, db = sourcetest.OpenPostgres(t)
				if _, err := db.ExecContext(ctx, strings.ReplaceAll(ddl, "{schema}", schema)); err != nil {
					t.Fatalf("Elementary's DDL on PostgreSQL: %v", err)
				}
				w = pgWriter{db, schema}
			}
			quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
			src, err := source.Open(ctx, url, source.Options{Logger: quiet})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { src.Close() })
			state := openMirror(t)
			sy := mirror.New(state, src, mirror.Options{Logger: quiet, Deriver: &Derived{}})
			r := NewReader(state, ReaderOptions{})
			sync := func(what string) mirror.Report {
				t.Helper()
				rep, err := sy.Sync(ctx)
				if err != nil {
					t.Fatalf("sync after %s: %v", what, err)
				}
				return rep
			}

			base := time.Now().UTC().Truncate(time.Second)
			const model = "model.shop.orders"
			steps := []struct{ zone, inv string }{
				{"UTC", "inv-utc-1"},
				{"America/Los_Angeles", "inv-la-2"},  // created_at 8 h behind the watermark
				{"Pacific/Kiritimati", "inv-kiri-3"}, // moves the watermark 14 h ahead
				{"UTC", "inv-utc-4"},                 // 14 h behind it
				{"Pacific/Pago_Pago", "inv-pago-5"},  // 25 h behind it
			}
			for i, st := range steps {
				w.insertRun(ctx, t, st.zone, st.inv, model, base.Add(time.Duration(i)*time.Minute))
				sync(st.zone + " writer")
				var n int
				if err := state.Read.QueryRow(`SELECT count(*) FROM dbt_run_results`).Scan(&n); err != nil {
					t.Fatal(err)
				}
				if n != i+1 {
					t.Fatalf("after the %s writer's run: %d runs in the mirror, want %d", st.zone, n, i+1)
				}
			}
			// The newest run (by its UTC times) is the last run, whatever its created_at.
			ensureNodeInCatalog(t, state, model)
			lr, err := r.LastRuns(ctx, model, 1)
			if err != nil {
				t.Fatal(err)
			}
			if len(lr.Runs) != 1 || lr.Runs[0].InvocationID != "inv-pago-5" {
				t.Errorf("last run = %+v, want inv-pago-5", lr.Runs)
			}
			before := src.Counts()
			rep := sync("nothing new")
			after := src.Counts()
			if after.Data != before.Data || rep.TablesRead != 0 {
				t.Errorf("a sync with nothing new sent %d data queries and read %d tables; want none",
					after.Data-before.Data, rep.TablesRead)
			}
		})
	}
}

// ensureNodeInCatalog adds a dbt_models row for id to the mirror when the warehouse had none, so that the read
// model can name it (these tests write run results only).
func ensureNodeInCatalog(t *testing.T, db *localdb.DB, id string) {
	t.Helper()
	name := id[strings.LastIndex(id, ".")+1:]
	if _, err := db.Write.Exec(`INSERT OR IGNORE INTO dbt_models (unique_id, name, package_name, generated_at)
		VALUES (?, ?, 'shop', '2026-01-01T00:00:00.000000Z')`, id, name); err != nil {
		t.Fatal(err)
	}
	if err := RefreshAll(context.Background(), db); err != nil {
		t.Fatal(fmt.Errorf("refresh: %w", err))
	}
}

// TestRealAnomalyRows: on warehouses built from Elementary's own DDL (and its test_result_rows), an anomaly test's
// result and its buckets, written as Elementary's on-run-end writes them, reach the mirror and chart; the failing
// rows a dbt test sampled do not.
func TestRealAnomalyRows(t *testing.T) {
	ddl := sourcetest.ElementaryDDL(t)
	extra, err := os.ReadFile(filepath.Join("testdata", "dr-anomaly-tables.sql"))
	if err != nil {
		t.Fatal(err)
	}
	ddl += "\n" + string(extra)
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			ctx := context.Background()
			var url, prefix string
			var db *sql.DB
			switch backend {
			case "sqlite":
				path := filepath.Join(t.TempDir(), "warehouse.db")
				if db, err = sql.Open("sqlite3", "file:"+path); err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { db.Close() })
				if _, err := db.ExecContext(ctx, sqliteDDL(ddl)); err != nil {
					t.Fatalf("Elementary's DDL on SQLite: %v", err)
				}
				url = "sqlite://" + path
			case "postgres":
				var schema string
				url, schema, db = sourcetest.OpenPostgres(t)
				if _, err := db.ExecContext(ctx, strings.ReplaceAll(ddl, "{schema}", schema)); err != nil {
					t.Fatalf("Elementary's DDL on PostgreSQL: %v", err)
				}
				prefix = schema + "."
			}
			exec := func(q string, args ...any) {
				t.Helper()
				if backend == "postgres" {
					for i := 1; strings.Contains(q, "?"); i++ {
						q = strings.Replace(q, "?", fmt.Sprintf("$%d", i), 1)
					}
				}
				if _, err := db.ExecContext(ctx, strings.ReplaceAll(q, "{s}", prefix), args...); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
			}
			at := time.Now().UTC().Add(-time.Hour).Truncate(time.Second)
			stamp := at.Format("2006-01-02 15:04:05")
			for _, r := range []struct{ id, test, typ, sub, status string }{
				{"r-vol", "test.shop.volume_anomalies_orders", "anomaly_detection", "row_count", "fail"},
				{"r-nn", "test.shop.not_null_orders_id", "dbt_test", "generic", "fail"},
			} {
				exec(`INSERT INTO {s}elementary_test_results (id, test_unique_id, model_unique_id, invocation_id,
					detected_at, created_at, test_type, test_sub_type, status, severity, result_rows)
					VALUES (?, ?, 'model.shop.orders', 'inv-1', ?, ?, ?, ?, ?, 'ERROR', ?)`,
					r.id, r.test, stamp, stamp, r.typ, r.sub, r.status, `[{"email": "jane@example.com"}]`)
			}
			exec(`INSERT INTO {s}test_result_rows (elementary_test_results_id, result_row, detected_at, created_at,
				row_index, test_type) VALUES ('r-nn', '{"email": "jane@example.com"}', ?, ?, 1, 'dbt_test')`, stamp, stamp)
			for k := range 3 {
				end := at.Truncate(24*time.Hour).AddDate(0, 0, k-2)
				exec(`INSERT INTO {s}test_result_rows (elementary_test_results_id, result_row, detected_at, created_at,
					row_index, test_type) VALUES ('r-vol', ?, ?, ?, ?, 'anomaly_detection')`,
					bucketRow(end, float64(1000+k), 900, 1100, k == 2), stamp, stamp, k+1)
			}
			quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
			src, err := source.Open(ctx, url, source.Options{Logger: quiet})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { src.Close() })
			state := openMirror(t)
			if _, err := mirror.New(state, src, mirror.Options{Logger: quiet, Deriver: &Derived{}}).Sync(ctx); err != nil {
				t.Fatal(err)
			}
			for _, id := range []string{"test.shop.volume_anomalies_orders", "test.shop.not_null_orders_id"} {
				if _, err := state.Write.Exec(`INSERT INTO dbt_tests (unique_id, name, package_name, parent_model_unique_id,
					generated_at) VALUES (?, ?, 'shop', 'model.shop.orders', '2026-01-01T00:00:00.000000Z')`, id,
					strings.TrimPrefix(id, "test.shop.")); err != nil {
					t.Fatal(err)
				}
			}
			ensureNodeInCatalog(t, state, "model.shop.orders")
			st, err := NewReader(state, ReaderOptions{}).Status(ctx, "test.shop.volume_anomalies_orders")
			if err != nil {
				t.Fatal(err)
			}
			if c := st.Chart; c == nil || c.Subject != ChartAnomaly || len(c.Categories) != 3 || fmt.Sprint(c.Anomalous) != "[2]" {
				t.Errorf("anomaly chart %+v, want 3 buckets, the last anomalous", st.Chart)
			}
			var samples int
			var inline *string
			if err := state.Read.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM test_result_rows
				WHERE elementary_test_results_id = 'r-nn'), (SELECT result_rows FROM elementary_test_results
				WHERE id = 'r-nn')`).Scan(&samples, &inline); err != nil {
				t.Fatal(err)
			}
			if samples != 0 || inline != nil {
				t.Errorf("a dbt test's failing rows reached the mirror: %d rows, inline %v", samples, inline)
			}
		})
	}
}
