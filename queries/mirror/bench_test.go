package mirror

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/todai-dev/todai/queries"
	"github.com/todai-dev/todai/queries/demo"
	"github.com/todai-dev/todai/queries/elementary"
	"github.com/todai-dev/todai/queries/localdb"
	"github.com/todai-dev/todai/queries/localdb/localdbtest"
	"github.com/todai-dev/todai/queries/source"
	"github.com/todai-dev/todai/queries/statedb"
	"github.com/todai-dev/todai/queries/statedb/statedbtest"
)

var benchNow = time.Date(2026, 7, 10, 0, 0, 0, 0, time.UTC)

var benchOpts = demo.Options{Models: 10000, Days: 30, Now: benchNow}

// benchWarehouse returns the demo warehouse for benchOpts, built once and cached under os.TempDir().
func benchWarehouse(b *testing.B) string {
	b.Helper()
	path := filepath.Join(os.TempDir(), fmt.Sprintf("todai-mirror-bench-m%d-d%d-%d.db", benchOpts.Models,
		benchOpts.Days, benchOpts.Now.Unix()))
	if _, err := os.Stat(path); err == nil {
		return path
	}
	tmp := path + ".building"
	if err := demo.Build(context.Background(), tmp, benchOpts); err != nil {
		b.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		b.Fatal(err)
	}
	return path
}

// loaded is one table's rows as the sync would write them.
type loaded struct {
	p    *plan
	rows []source.Row
}

// preload reads and normalises every table the first sync reads, for the bare insert loop.
func preload(b *testing.B, src Source, since time.Time) ([]loaded, int64) {
	b.Helper()
	ctx := context.Background()
	cat, err := src.Discover(ctx)
	if err != nil {
		b.Fatal(err)
	}
	var out []loaded
	var n int64
	for _, t := range elementary.Tables() {
		if cat[t.Name] == nil {
			continue
		}
		p := newPlan(t, cat[t.Name])
		req := source.ScanRequest{Table: t.Name, Columns: p.cols}
		if t.Kind == elementary.History {
			req.SinceColumn, req.Since = t.Watermark, since
		}
		l := loaded{p: p}
		if err := src.Scan(ctx, req, func(r source.Row) error {
			p.normalise(r)
			l.rows = append(l.rows, r)
			return nil
		}); err != nil {
			b.Fatal(err)
		}
		n += int64(len(l.rows))
		out = append(out, l)
	}
	return out, n
}

// bareInsert is the yardstick: the same rows, one transaction per table, one prepared single-row INSERT each.
func bareInsert(b *testing.B, db *localdb.DB, tables []loaded) {
	b.Helper()
	ctx := context.Background()
	for _, l := range tables {
		tx, err := db.Write.BeginTx(ctx, nil)
		if err != nil {
			b.Fatal(err)
		}
		marks := strings.TrimSuffix(strings.Repeat("?,", len(l.p.cols)), ",")
		stmt, err := tx.PrepareContext(ctx, "INSERT OR IGNORE INTO "+l.p.table.Name+" ("+
			strings.Join(l.p.cols, ",")+") VALUES ("+marks+")")
		if err != nil {
			b.Fatal(err)
		}
		for _, r := range l.rows {
			if _, err := stmt.ExecContext(ctx, r...); err != nil {
				b.Fatal(err)
			}
		}
		stmt.Close()
		if err := tx.Commit(); err != nil {
			b.Fatal(err)
		}
	}
}

func openBenchMirror(b *testing.B, dir string) *localdb.DB {
	b.Helper()
	os.RemoveAll(dir)
	db, err := localdb.Open(context.Background(), filepath.Join(dir, "mirror.db"))
	if err != nil {
		b.Fatal(err)
	}
	return db
}

// BenchmarkFirstSync syncs the 10,000-model, 30-day demo warehouse into an empty mirror and, in the same
// benchmark, inserts the same rows with a bare insert loop: sync_rows/s against bare_rows/s. The bare loop's rows
// are read into memory only after the sync, so that the sync is not measured under their garbage-collection load.
func BenchmarkFirstSync(b *testing.B) {
	path := benchWarehouse(b)
	src := openSQLiteSource(b, path)
	opts := Options{BackfillDays: benchOpts.Days + 1, RetentionDays: 365, Now: func() time.Time { return benchNow },
		Logger: quietLogger(), Deriver: &queries.Derived{}}
	dir := b.TempDir()
	var syncDur, bareDur time.Duration
	var rows, bareRows int64
	for b.Loop() {
		b.StopTimer()
		db := openBenchMirror(b, filepath.Join(dir, "sync"))
		b.StartTimer()
		start := time.Now()
		rep, err := New(db, src, opts).Sync(context.Background())
		syncDur += time.Since(start)
		b.StopTimer()
		if err != nil {
			b.Fatal(err)
		}
		rows += rep.RowsRead
		db.Close()
		tables, n := preload(b, src, benchNow.AddDate(0, 0, -opts.BackfillDays))
		bare := openBenchMirror(b, filepath.Join(dir, "bare"))
		start = time.Now()
		bareInsert(b, bare, tables)
		bareDur += time.Since(start)
		bareRows += n
		bare.Close()
		runtime.GC()
		b.StartTimer()
	}
	syncRate := float64(rows) / syncDur.Seconds()
	bareRate := float64(bareRows) / bareDur.Seconds()
	b.ReportMetric(float64(rows)/float64(b.N), "rows/op")
	b.ReportMetric(syncRate, "sync_rows/s")
	b.ReportMetric(bareRate, "bare_rows/s")
	b.ReportMetric(syncRate/bareRate, "sync/bare")
}

// BenchmarkIncrementalSync adds one dbt run to a copy of the demo warehouse — a copy of its newest hourly
// `dbt run` (about 1,200 models) or of its newest daily `dbt build` (every model and test: about 64,000 rows), with new
// keys and created_at — then syncs it, derived tables included, into a mirror that already holds the rest. Also
// checked: a sync with nothing new sends no data query.
func BenchmarkIncrementalSync(b *testing.B) {
	for _, bc := range []struct{ name, command string }{{"hourly_run", "run"}, {"daily_build", "build"}} {
		b.Run(bc.name, func(b *testing.B) {
			dir := b.TempDir()
			whPath, wh := benchWarehouseCopy(b, dir)
			src := openSQLiteSource(b, whPath)
			clock := newClock(benchNow)
			db := openBenchMirror(b, filepath.Join(dir, "mirror"))
			defer db.Close()
			sy := New(db, src, Options{BackfillDays: benchOpts.Days + 1, RetentionDays: 365, Now: clock.now,
				Logger: quietLogger(), Deriver: &queries.Derived{}})
			if _, err := sy.Sync(context.Background()); err != nil {
				b.Fatal(err)
			}
			rep, err := sy.Sync(context.Background())
			if err != nil || rep.DataQueries != 0 {
				b.Fatalf("a sync with nothing new sent %d data queries (%v)", rep.DataQueries, err)
			}
			var rows int64
			i := 0
			for b.Loop() {
				b.StopTimer()
				i++
				clock.add(24 * time.Hour)
				addRun(b, wh, bc.command, fmt.Sprintf("bench%d", i), clock.now())
				b.StartTimer()
				rep, err := sy.Sync(context.Background())
				if err != nil {
					b.Fatal(err)
				}
				rows += rep.RowsRead
			}
			b.ReportMetric(float64(rows)/float64(b.N), "rows/op")
		})
	}
}

// benchWarehouseCopy copies the demo warehouse into dir, for a benchmark that adds runs to it, and opens it (closed
// when the benchmark ends).
func benchWarehouseCopy(b *testing.B, dir string) (string, *sql.DB) {
	b.Helper()
	path := filepath.Join(dir, "warehouse.db")
	copyFile(b, benchWarehouse(b), path)
	wh, err := sql.Open("sqlite3", "file:"+path+"?_journal_mode=WAL&_busy_timeout=10000")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { wh.Close() })
	return path, wh
}

// addRun copies the newest invocation of a dbt command and its results with new keys, created at now.
func addRun(b *testing.B, wh *sql.DB, command, suffix string, now time.Time) {
	b.Helper()
	var inv string
	if err := wh.QueryRow(`SELECT invocation_id FROM dbt_invocations WHERE command = ? ORDER BY created_at DESC LIMIT 1`,
		command).Scan(&inv); err != nil {
		b.Fatal(err)
	}
	ts := now.UTC().Format(demo.SQLiteTimeLayout)
	for _, t := range []string{"dbt_invocations", "dbt_run_results", "elementary_test_results"} {
		tab, _ := elementary.Lookup(t)
		var sel []string
		for _, c := range tab.ColumnNames() {
			switch {
			case tab.IsKey(c), c == "invocation_id":
				sel = append(sel, c+" || '"+suffix+"'")
			case c == "created_at", c == "detected_at":
				sel = append(sel, "'"+ts+"'")
			default:
				sel = append(sel, c)
			}
		}
		q := "INSERT INTO " + t + " (" + strings.Join(tab.ColumnNames(), ", ") + ") SELECT " + strings.Join(sel, ", ") +
			" FROM " + t + " WHERE invocation_id = ?"
		if _, err := wh.Exec(q, inv); err != nil {
			b.Fatal(err)
		}
	}
}

func copyFile(b *testing.B, from, to string) {
	b.Helper()
	in, err := os.Open(from)
	if err != nil {
		b.Fatal(err)
	}
	defer in.Close()
	out, err := os.Create(to)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		b.Fatal(err)
	}
	if err := out.Close(); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkFollowDbtRun is BenchmarkIncrementalSync's dbt run seen by a second replica: one replica syncs it and
// publishes what it read to the feed (its time is holder-ms/op), and the other applies the entry to its own mirror,
// derived tables included (the benchmark's time per op), without a query to the warehouse. Both mirrors start
// from their own first sync of the demo warehouse; the feed is in a state file or, with TODAI_TEST_POSTGRES_URL,
// in PostgreSQL.
func BenchmarkFollowDbtRun(b *testing.B) {
	for _, bc := range []struct{ name, command string }{{"hourly_run", "run"}, {"daily_build", "build"}} {
		for _, engine := range []string{"sqlite", "postgres"} {
			b.Run(bc.name+"/state="+engine, func(b *testing.B) {
				dir := b.TempDir()
				whPath, wh := benchWarehouseCopy(b, dir)
				state := statedb.FromLocal(localdbtest.Open(b, ""))
				if engine == "postgres" {
					state = statedbtest.Postgres(b)
				}
				clock := newClock(benchNow)
				feed := NewFeed(state, FeedOptions{Now: clock.now})
				opts := Options{BackfillDays: benchOpts.Days + 1, RetentionDays: 365, Now: clock.now,
					Logger: quietLogger(), Deriver: &queries.Derived{}}
				replicas := make([]*Syncer, 2)
				followers := make([]*Follower, 2)
				for i := range replicas {
					db := openBenchMirror(b, filepath.Join(dir, fmt.Sprint("mirror", i)))
					defer db.Close()
					src := openSQLiteSource(b, whPath)
					ro := opts
					ro.Feed, ro.Holder = feed, fmt.Sprint("r", i)
					replicas[i] = New(db, src, ro)
					followers[i] = NewFollower(db, feed, opts)
					if _, err := followers[i].CatchUp(context.Background(), New(db, src, opts).Sync); err != nil {
						b.Fatal(err)
					}
				}
				noRead := func(context.Context) (Report, error) { return Report{}, errors.New("read the warehouse") }
				var rows int64
				var holder time.Duration
				i := 0
				for b.Loop() {
					b.StopTimer()
					i++
					clock.add(24 * time.Hour)
					addRun(b, wh, bc.command, fmt.Sprintf("bench%d", i), clock.now())
					started := time.Now()
					rep, err := replicas[0].Sync(context.Background())
					if err != nil {
						b.Fatal(err)
					}
					holder += time.Since(started)
					rows += rep.RowsRead
					b.StartTimer()
					fr, err := followers[1].CatchUp(context.Background(), noRead)
					if err != nil || fr.Applied != 1 {
						b.Fatalf("follow: %+v, %v", fr, err)
					}
				}
				var size int64
				if err := state.Reader().QueryRowContext(context.Background(),
					`SELECT length(body) FROM mirror_feed ORDER BY seq DESC LIMIT 1`).Scan(&size); err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(float64(rows)/float64(b.N), "rows/op")
				b.ReportMetric(float64(holder.Milliseconds())/float64(b.N), "holder-ms/op")
				b.ReportMetric(float64(size)/1024, "entry-KiB")
			})
		}
	}
}
