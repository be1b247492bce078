package source

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/todai-dev/todai/queries/elementary"
	"github.com/todai-dev/todai/queries/source/sourcetest"
)

const benchRows = 10_000

// runResultsRequest reads every column of dbt_run_results.
func runResultsRequest() ScanRequest {
	tab, _ := elementary.Lookup("dbt_run_results")
	return ScanRequest{Table: tab.Name, Columns: tab.ColumnNames()}
}

func benchRow(i int) []any {
	created := time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Second)
	return []any{fmt.Sprintf("exec-%d", i), fmt.Sprintf("model.shop.m%d", i%500), fmt.Sprintf("inv-%d", i/500),
		created, "success", 1.25, int64(i), i%7 == 0, `{"message": "SELECT 1"}`}
}

const benchInsertCols = "model_execution_id, unique_id, invocation_id, created_at, status, execution_time, rows_affected, full_refresh, message"

func benchSQLite(b testing.TB) string {
	path := filepath.Join(b.TempDir(), "bench.db")
	db, err := sql.Open("sqlite3", "file:"+path+"?_journal_mode=WAL")
	if err != nil {
		b.Fatal(err)
	}
	defer func() { _ = db.Close() }()
	if _, err := db.Exec(elementary.CreateTableSQL(elementary.SQLite, "", mustLookup(b, "dbt_run_results"))); err != nil {
		b.Fatal(err)
	}
	tx, err := db.Begin()
	if err != nil {
		b.Fatal(err)
	}
	stmt, err := tx.Prepare("INSERT INTO dbt_run_results (" + benchInsertCols + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")
	if err != nil {
		b.Fatal(err)
	}
	for i := range benchRows {
		if _, err := stmt.Exec(benchRow(i)...); err != nil {
			b.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
	return path
}

func benchScan(b *testing.B, src Source) {
	req := runResultsRequest()
	ctx := context.Background()
	b.ResetTimer()
	for b.Loop() {
		n := 0
		if err := src.Scan(ctx, req, func(Row) error { n++; return nil }); err != nil {
			b.Fatal(err)
		}
		if n != benchRows {
			b.Fatalf("scanned %d rows", n)
		}
	}
	b.ReportMetric(float64(benchRows*b.N)/b.Elapsed().Seconds(), "rows/s")
}

func BenchmarkSQLiteScan(b *testing.B) {
	src, err := Open(context.Background(), "sqlite://"+benchSQLite(b), Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer func() { _ = src.Close() }()
	benchScan(b, src)
}

func BenchmarkSQLiteFingerprints(b *testing.B) {
	path := benchSQLite(b)
	for _, memo := range []bool{false, true} {
		b.Run(fmt.Sprintf("memo=%v", memo), func(b *testing.B) {
			src, err := Open(context.Background(), "sqlite://"+path, Options{})
			if err != nil {
				b.Fatal(err)
			}
			defer func() { _ = src.Close() }()
			w := src.(*warehouse)
			if !memo {
				// Every call sees a clock inside racyWindow of the mtime: always queries.
				w.now = func() time.Time { return time.Unix(0, 0) }
			} else if err := osChtimes(path, time.Now().Add(-time.Hour)); err != nil {
				b.Fatal(err)
			} else if err := osChtimes(path+"-wal", time.Now().Add(-time.Hour)); err != nil {
				b.Fatal(err)
			}
			ctx := context.Background()
			for b.Loop() {
				if _, err := src.Fingerprints(ctx); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(src.Counts().Metadata)/float64(b.N), "queries/op")
		})
	}
}

func BenchmarkPostgresScan(b *testing.B) {
	srcURL := sourcetest.Postgres(b)
	conn, schema, err := sourcetest.ConnString(srcURL)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	wc, err := pgx.Connect(ctx, conn)
	if err != nil {
		b.Fatal(err)
	}
	defer func() { _ = wc.Close(ctx) }()
	if _, err := wc.Exec(ctx, elementary.CreateTableSQL(elementary.Postgres, schema, mustLookup(b, "dbt_run_results"))); err != nil {
		b.Fatal(err)
	}
	rows := make([][]any, benchRows)
	for i := range rows {
		rows[i] = benchRow(i)
	}
	if _, err := wc.CopyFrom(ctx, pgx.Identifier{schema, "dbt_run_results"},
		[]string{"model_execution_id", "unique_id", "invocation_id", "created_at", "status", "execution_time",
			"rows_affected", "full_refresh", "message"}, pgx.CopyFromRows(rows)); err != nil {
		b.Fatal(err)
	}
	src, err := Open(ctx, srcURL, Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer func() { _ = src.Close() }()
	benchScan(b, src)
}

func BenchmarkScanSQL(b *testing.B) {
	req := runResultsRequest()
	req.SinceColumn, req.Since = "created_at", time.Now()
	for b.Loop() {
		if _, _, _, err := scanSQL(dialectSnowflake, "ANALYTICS.PROD_ELEMENTARY", nil, req); err != nil {
			b.Fatal(err)
		}
	}
}
