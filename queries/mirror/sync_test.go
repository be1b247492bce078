package mirror

import (
	"context"
	"database/sql"
	"errors"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/todai-dev/todai/queries/localdb"
	"github.com/todai-dev/todai/queries/source"
)

var t0 = time.Date(2026, 7, 10, 12, 0, 0, 0, time.UTC)

// fixture is a warehouse, a mirror and a syncer over them.
type fixture struct {
	wh    *warehouse
	src   source.Source
	db    *localdb.DB
	clock *fixedClock
	sy    *Syncer
}

func newFixture(t *testing.T, build func(w *warehouse), opts Options) *fixture {
	t.Helper()
	dir := t.TempDir()
	f := &fixture{wh: newWarehouse(t, dir), clock: newClock(t0)}
	build(f.wh)
	f.src = openSQLiteSource(t, f.wh.path)
	f.db = openMirror(t, dir)
	opts.Now = f.clock.now
	opts.Logger = quietLogger()
	f.sy = New(f.db, f.src, opts)
	return f
}

func (f *fixture) sync(t *testing.T) Report {
	t.Helper()
	rep, err := f.sy.Sync(context.Background())
	if err != nil {
		t.Fatalf("sync: %v", err)
	}
	return rep
}

func addModel(w *warehouse, id, name, generated string) {
	w.insert("dbt_models", "unique_id", id, "name", name, "materialization", "TABLE", "generated_at", generated,
		"owner", `["alice"]`)
}

func addTestResult(w *warehouse, id, status string, created time.Time) {
	w.insert("elementary_test_results", "id", id, "test_unique_id", "test.p.t1", "model_unique_id", "model.p.a",
		"detected_at", created, "created_at", created, "status", status, "severity", "warn", "failures", "3")
}

func addRunResult(w *warehouse, id, status string, created time.Time) {
	w.insert("dbt_run_results", "model_execution_id", id, "unique_id", "model.p.a", "invocation_id", "inv1",
		"created_at", created, "generated_at", "2026-07-10 11:59:00", "status", status,
		"execute_completed_at", "2026-07-10T11:58:30.123456+00:00", "full_refresh", true, "execution_time", "1.5",
		"rows_affected", 42, "failures", "7", "resource_type", "Model")
}

func TestFirstSyncNormalises(t *testing.T) {
	f := newFixture(t, func(w *warehouse) {
		w.createAll()
		addModel(w, "model.p.a", "a", "2026-07-09 10:00:00")
		addModel(w, "model.p.b", "b", "2026-07-09T10:00:00Z")
		addTestResult(w, "r1", "FAIL", t0.Add(-time.Hour))
		addTestResult(w, "r-old", "pass", t0.AddDate(0, 0, -31)) // before the backfill window
		addRunResult(w, "e1", "Success", t0.Add(-2*time.Hour))
		w.insert("dbt_invocations", "invocation_id", "inv1", "created_at", t0.Add(-2*time.Hour), "full_refresh", true,
			"command", "BUILD")
	}, Options{})
	rep := f.sync(t)
	if rep.TablesRead == 0 || rep.RowsRead != 5 {
		t.Fatalf("report: tables %d rows %d, want rows 5", rep.TablesRead, rep.RowsRead)
	}
	if rep.WarehouseTime <= 0 {
		t.Errorf("the time spent in warehouse queries was not measured: %v", rep.WarehouseTime)
	}
	if ms := queryInt(t, f.db, `SELECT warehouse_ms FROM sync_runs WHERE id = ?`, rep.RunID); ms != rep.WarehouseTime.Milliseconds() {
		t.Errorf("sync_runs.warehouse_ms = %d, want %d", ms, rep.WarehouseTime.Milliseconds())
	}
	tests := []struct {
		query string
		want  []string
	}{
		{`SELECT unique_id || '|' || materialization || '|' || generated_at FROM dbt_models ORDER BY 1`, []string{
			"model.p.a|table|2026-07-09T10:00:00.000000Z", "model.p.b|table|2026-07-09T10:00:00.000000Z"}},
		{`SELECT id || '|' || status || '|' || severity || '|' || created_at || '|' || typeof(failures) FROM elementary_test_results`,
			[]string{"r1|fail|WARN|2026-07-10T11:00:00.000000Z|integer"}},
		// full_refresh and rows_affected are warehouse-only (not mirrored); text numbers become numbers.
		{`SELECT status || '|' || resource_type || '|' || execute_completed_at || '|' ||
			typeof(execution_time) || '|' || failures || '|' || typeof(failures) FROM dbt_run_results`,
			[]string{"success|model|2026-07-10T11:58:30.123456Z|real|7|integer"}},
		{`SELECT full_refresh || '|' || typeof(full_refresh) || '|' || command FROM dbt_invocations`,
			[]string{"1|integer|build"}},
		{`SELECT watermark FROM sync_state WHERE table_name = 'elementary_test_results'`,
			[]string{"2026-07-10T11:00:00Z"}},
		{`SELECT present || '|' || rows_local FROM sync_state WHERE table_name IN ('dbt_models', 'alerts_v2') ORDER BY table_name`,
			[]string{"1|0", "1|2"}},
		{`SELECT ok || '|' || tables_read || '|' || rows_read || '|' || (data_queries > 0) || '|' || (finished_at IS NOT NULL)
			FROM sync_runs`, []string{"1|" + itoa(rep.TablesRead) + "|5|1|1"}},
	}
	for _, tc := range tests {
		if got := queryStrings(t, f.db, tc.query); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s:\n got %q\nwant %q", tc.query, got, tc.want)
		}
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

func TestIncrementalSyncNewAndLateRows(t *testing.T) {
	f := newFixture(t, func(w *warehouse) {
		w.createAll()
		addModel(w, "model.p.a", "a", "2026-07-09 10:00:00")
		addTestResult(w, "r1", "pass", t0.Add(-time.Hour))
	}, Options{Overlap: 2 * time.Hour})
	f.sync(t)
	f.clock.add(time.Hour)
	addTestResult(f.wh, "r2", "fail", t0.Add(30*time.Minute))         // new
	addTestResult(f.wh, "r-late", "warn", t0.Add(-2*time.Hour))       // late, inside the overlap (watermark - 2h = t0-3h)
	addTestResult(f.wh, "r-la", "fail", t0.Add(-8*time.Hour))         // a writer in Los Angeles: created_at 8 h behind
	addTestResult(f.wh, "r-too-late", "error", t0.Add(-30*time.Hour)) // beyond overlap + zone skew: not re-read
	addTestResult(f.wh, "r1", "pass", t0.Add(-time.Hour))             // a duplicate of a row already mirrored
	rep := f.sync(t)
	got := queryStrings(t, f.db, `SELECT id || '|' || status FROM elementary_test_results ORDER BY id`)
	want := []string{"r-la|fail", "r-late|warn", "r1|pass", "r2|fail"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("rows %q, want %q", got, want)
	}
	if rep.TablesRead != 1 {
		t.Errorf("tables read %d, want 1 (only the changed one)", rep.TablesRead)
	}
	wm := queryStrings(t, f.db, `SELECT watermark FROM sync_state WHERE table_name = 'elementary_test_results'`)
	if wm[0] != "2026-07-10T12:30:00Z" {
		t.Errorf("watermark %s", wm[0])
	}
}

func TestDuplicatesCollapse(t *testing.T) {
	f := newFixture(t, func(w *warehouse) {
		w.createAll()
		addModel(w, "model.p.a", "old_name", "2026-07-01 10:00:00")
		addModel(w, "model.p.a", "new_name", "2026-07-05 10:00:00")
		addModel(w, "model.p.a", "older_name", "2026-06-01 10:00:00")
		for range 3 {
			addRunResult(w, "e1", "success", t0.Add(-time.Hour))
		}
	}, Options{})
	f.sync(t)
	if got := queryStrings(t, f.db, `SELECT name FROM dbt_models`); !reflect.DeepEqual(got, []string{"new_name"}) {
		t.Errorf("models %q, want the newest generated_at", got)
	}
	if n := queryInt(t, f.db, `SELECT count(*) FROM dbt_run_results`); n != 1 {
		t.Errorf("run results %d, want 1", n)
	}
}

func TestDefinitionDeletionsPropagate(t *testing.T) {
	f := newFixture(t, func(w *warehouse) {
		w.createAll()
		addModel(w, "model.p.a", "a", "2026-07-01 10:00:00")
		addModel(w, "model.p.b", "b", "2026-07-01 10:00:00")
	}, Options{})
	f.sync(t)
	f.wh.exec(`DELETE FROM dbt_models WHERE unique_id = 'model.p.b'`)
	addModel(f.wh, "model.p.c", "c", "2026-07-02 10:00:00")
	f.sync(t)
	got := queryStrings(t, f.db, `SELECT unique_id FROM dbt_models ORDER BY 1`)
	if want := []string{"model.p.a", "model.p.c"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("models %q, want %q", got, want)
	}
}

func TestNothingNewSendsNoDataQuery(t *testing.T) {
	f := newFixture(t, func(w *warehouse) {
		w.createAll()
		addModel(w, "model.p.a", "a", "2026-07-01 10:00:00")
		addTestResult(w, "r1", "pass", t0.Add(-time.Hour))
	}, Options{})
	f.sync(t)
	before := f.src.Counts()
	rep := f.sync(t)
	after := f.src.Counts()
	if d := after.Data - before.Data; d != 0 || rep.DataQueries != 0 {
		t.Errorf("data queries %d (report %d), want 0", d, rep.DataQueries)
	}
	if rep.MetadataQueries == 0 || rep.TablesRead != 0 {
		t.Errorf("report %+v: want metadata queries and no table read", rep)
	}
	got := queryStrings(t, f.db, `SELECT metadata_queries || '|' || data_queries FROM sync_runs ORDER BY id DESC LIMIT 1`)
	if got[0] != itoa(int(rep.MetadataQueries))+"|0" {
		t.Errorf("sync_runs counts %q", got)
	}
}

func TestMissingTablesAndColumns(t *testing.T) {
	tests := []struct {
		name      string
		build     func(w *warehouse)
		wantErr   string
		absent    []string
		nullQuery string // must return only NULLs
	}{
		{name: "optional tables missing",
			build: func(w *warehouse) {
				w.createAll("alerts_v2", "dbt_groups")
				addModel(w, "model.p.a", "a", "2026-07-01 10:00:00")
			},
			absent: []string{"alerts_v2", "dbt_groups"}},
		{name: "older Elementary lacks newer columns",
			build: func(w *warehouse) {
				w.createAll("dbt_models", "elementary_test_results")
				w.create("dbt_models", "unique_id", "name", "generated_at")
				w.create("elementary_test_results", "id", "test_unique_id", "detected_at", "created_at", "status")
				addModel2 := func(id string) {
					w.insert("dbt_models", "unique_id", id, "name", "x", "generated_at", "2026-07-01 10:00:00")
				}
				addModel2("model.p.a")
				w.insert("elementary_test_results", "id", "r1", "test_unique_id", "t", "detected_at", t0,
					"created_at", t0, "status", "pass")
			},
			nullQuery: `SELECT group_name FROM dbt_models UNION ALL SELECT access FROM dbt_models
				UNION ALL SELECT model_unique_id FROM elementary_test_results UNION ALL SELECT test_short_name FROM elementary_test_results`},
		{name: "an optional table of an old install lacks required columns: left out, the sync succeeds",
			build: func(w *warehouse) {
				w.createAll("dbt_columns")
				w.create("dbt_columns", "name", "data_type") // an early dbt_columns view: no unique_id
				addModel(w, "model.p.a", "a", "2026-07-01 10:00:00")
			}},
		{name: "required column missing fails that table only",
			build: func(w *warehouse) {
				w.createAll("dbt_run_results")
				w.create("dbt_run_results", "model_execution_id", "unique_id", "created_at")
				addModel(w, "model.p.a", "a", "2026-07-01 10:00:00")
			},
			wantErr: "dbt_run_results lacks required column(s) invocation_id, status"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, tc.build, Options{})
			_, err := f.sy.Sync(context.Background())
			if tc.wantErr == "" && err != nil {
				t.Fatal(err)
			}
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err %v, want %q", err, tc.wantErr)
				}
				got := queryStrings(t, f.db, `SELECT last_error FROM sync_state WHERE table_name = 'dbt_run_results'`)
				if !strings.Contains(got[0], tc.wantErr) {
					t.Errorf("sync_state.last_error %q", got[0])
				}
			}
			// Other tables are synced either way.
			if n := queryInt(t, f.db, `SELECT count(*) FROM dbt_models`); n != 1 {
				t.Errorf("models %d, want 1", n)
			}
			for _, a := range tc.absent {
				if p := queryInt(t, f.db, `SELECT present FROM sync_state WHERE table_name = ?`, a); p != 0 {
					t.Errorf("%s present=%d", a, p)
				}
			}
			if tc.nullQuery != "" {
				for _, v := range queryStrings(t, f.db, tc.nullQuery) {
					if v != "<nil>" {
						t.Errorf("got %q, want NULL", v)
					}
				}
			}
		})
	}
}

func TestSourceFailingMidwayLeavesMirrorUnchanged(t *testing.T) {
	for _, table := range []string{"elementary_test_results", "dbt_models"} {
		t.Run(table, func(t *testing.T) {
			f := newFixture(t, func(w *warehouse) {
				w.createAll()
				for i := range 3000 {
					addModel(w, "model.p.m"+itoa(i), "m", "2026-07-01 10:00:00")
					addTestResult(w, "r"+itoa(i), "pass", t0.Add(-time.Duration(i)*time.Second))
				}
			}, Options{})
			f.sync(t)
			snapshot := func() []string {
				return queryStrings(t, f.db, `SELECT (SELECT count(*) FROM dbt_models) || '|' ||
					(SELECT count(*) FROM elementary_test_results) || '|' || (SELECT group_concat(COALESCE(watermark, '')
					|| fingerprint, ';') FROM sync_state)`)
			}
			before := snapshot()
			f.clock.add(time.Minute)
			for i := range 2500 {
				addModel(f.wh, "model.q.m"+itoa(i), "m", "2026-07-02 10:00:00")
				addTestResult(f.wh, "s"+itoa(i), "fail", t0.Add(time.Duration(i)*time.Second))
			}
			f.sy.src = &failingSource{Source: f.src, table: table, after: 2000}
			_, err := f.sy.Sync(context.Background())
			if err == nil || !strings.Contains(err.Error(), table) || !errors.Is(err, errInjected) {
				t.Fatalf("err %v, want one naming %s", err, table)
			}
			after := snapshot()
			// The other table was synced; the failed one is as before.
			n := queryInt(t, f.db, `SELECT count(*) FROM `+table)
			if n != 3000 {
				t.Errorf("%s has %d rows after a failed read, want 3000", table, n)
			}
			if before[0] == after[0] {
				t.Errorf("the other table was not synced")
			}
			got := queryStrings(t, f.db, `SELECT last_error FROM sync_state WHERE table_name = ?`, table)
			if !strings.Contains(got[0], "injected") {
				t.Errorf("last_error %q", got[0])
			}
			runErr := queryStrings(t, f.db, `SELECT ok || '|' || error FROM sync_runs ORDER BY id DESC LIMIT 1`)
			if !strings.HasPrefix(runErr[0], "0|") {
				t.Errorf("sync_runs %q", runErr)
			}
			// The next sync, with a healthy source, catches up.
			f.sy.src = f.src
			f.sync(t)
			if n := queryInt(t, f.db, `SELECT count(*) FROM `+table); n != 5500 {
				t.Errorf("%s has %d rows after recovery, want 5500", table, n)
			}
			if e := queryStrings(t, f.db, `SELECT last_error FROM sync_state WHERE table_name = ?`, table); e[0] != "<nil>" {
				t.Errorf("last_error not cleared: %q", e)
			}
		})
	}
}

func TestRetentionPrunes(t *testing.T) {
	f := newFixture(t, func(w *warehouse) {
		w.createAll()
		addTestResult(w, "r-old", "pass", t0.AddDate(0, 0, -20))
		addTestResult(w, "r-new", "pass", t0.Add(-time.Hour))
	}, Options{RetentionDays: 30})
	f.sync(t)
	if n := queryInt(t, f.db, `SELECT count(*) FROM elementary_test_results`); n != 2 {
		t.Fatalf("rows %d, want 2", n)
	}
	// Nothing changes in the warehouse; time passes: the old row ages out without any data query.
	f.clock.add(15 * 24 * time.Hour)
	rep := f.sync(t)
	got := queryStrings(t, f.db, `SELECT id FROM elementary_test_results`)
	if !reflect.DeepEqual(got, []string{"r-new"}) || rep.DataQueries != 0 {
		t.Fatalf("rows %q data queries %d, want [r-new] and 0", got, rep.DataQueries)
	}
	if n := queryInt(t, f.db, `SELECT rows_local FROM sync_state WHERE table_name = 'elementary_test_results'`); n != 1 {
		t.Errorf("rows_local %d", n)
	}
}

func TestAlertsUpdateInPlace(t *testing.T) {
	f := newFixture(t, func(w *warehouse) {
		w.createAll()
		w.insert("alerts_v2", "alert_id", "a1", "alert_class_id", "c1", "updated_at", t0.Add(-time.Hour),
			"created_at", t0.Add(-time.Hour), "status", "PENDING")
	}, Options{})
	f.sync(t)
	f.wh.exec(`UPDATE alerts_v2 SET status = 'sent', updated_at = ? WHERE alert_id = 'a1'`, t0)
	f.sync(t)
	if got := queryStrings(t, f.db, `SELECT status || '|' || updated_at FROM alerts_v2`); !reflect.DeepEqual(got,
		[]string{"sent|2026-07-10T12:00:00.000000Z"}) {
		t.Fatalf("alerts %q", got)
	}
}

// recordingDeriver records Refresh calls and fails while fail is set.
type recordingDeriver struct {
	calls []map[string]bool
	fail  bool
}

func (d *recordingDeriver) Refresh(ctx context.Context, tx *sql.Tx, changed map[string]bool) error {
	d.calls = append(d.calls, changed)
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM dbt_models`).Scan(&n); err != nil {
		return err
	}
	if d.fail {
		return errors.New("derive broke")
	}
	return nil
}

func TestDeriver(t *testing.T) {
	d := &recordingDeriver{fail: true}
	f := newFixture(t, func(w *warehouse) {
		w.createAll()
		addModel(w, "model.p.a", "a", "2026-07-01 10:00:00")
	}, Options{Deriver: d})
	if _, err := f.sy.Sync(context.Background()); err == nil || !strings.Contains(err.Error(), "derive broke") {
		t.Fatalf("err %v, want the deriver's", err)
	}
	st, err := Status(context.Background(), f.db)
	if err != nil || !st.DerivedDirty {
		t.Fatalf("status %+v %v: want derived dirty", st, err)
	}
	// Nothing new in the warehouse, but the derive is retried with every definition table marked changed.
	d.fail = false
	rep := f.sync(t)
	if !rep.Derived || len(d.calls) != 2 {
		t.Fatalf("derived %v calls %d", rep.Derived, len(d.calls))
	}
	for _, name := range []string{"dbt_models", "dbt_tests", "dbt_sources", "dbt_exposures", "dbt_seeds"} {
		if !d.calls[1][name] {
			t.Errorf("retry changed set lacks %s: %v", name, d.calls[1])
		}
	}
	// Nothing new, nothing dirty: no call.
	rep = f.sync(t)
	if rep.Derived || len(d.calls) != 2 {
		t.Errorf("derived %v calls %d, want no call", rep.Derived, len(d.calls))
	}
	// A history change alone is passed on.
	addTestResult(f.wh, "r1", "fail", t0)
	f.sync(t)
	if len(d.calls) != 3 || !reflect.DeepEqual(sortedKeys(d.calls[2]), []string{"elementary_test_results"}) {
		t.Errorf("calls %v", d.calls)
	}
}

func TestStatus(t *testing.T) {
	f := newFixture(t, func(w *warehouse) {
		w.createAll("alerts_v2")
		addModel(w, "model.p.a", "a", "2026-07-01 10:00:00")
		addTestResult(w, "r1", "pass", t0.Add(-time.Hour))
	}, Options{})
	empty, err := Status(context.Background(), f.db)
	if err != nil || empty.LastRun != nil || len(empty.Tables) == 0 || empty.Tables[0].Known {
		t.Fatalf("status before any sync: %+v %v", empty, err)
	}
	rep := f.sync(t)
	st, err := Status(context.Background(), f.db)
	if err != nil {
		t.Fatal(err)
	}
	if st.LastRun == nil || !st.LastRun.OK || st.LastRun.ID != rep.RunID || st.LastRun.RowsRead != 2 ||
		!st.LastRun.Started.Equal(t0) {
		t.Errorf("last run %+v", st.LastRun)
	}
	by := map[string]TableStatus{}
	for _, ts := range st.Tables {
		by[ts.Table] = ts
	}
	tr := by["elementary_test_results"]
	if !tr.Present || tr.RowsLocal != 1 || tr.RowsRead != 1 || !tr.Watermark.Equal(t0.Add(-time.Hour)) ||
		!tr.LastSuccess.Equal(t0) || tr.LastError != "" {
		t.Errorf("test results status %+v", tr)
	}
	if by["alerts_v2"].Present || !by["alerts_v2"].Known {
		t.Errorf("alerts_v2 status %+v", by["alerts_v2"])
	}
}

// TestFirstSyncKeepsIndexes: filling an empty table suspends its secondary indexes and rebuilds them in the same
// transaction, so after a first sync — successful or failed midway — the mirror has exactly the migrations' indexes.
func TestFirstSyncKeepsIndexes(t *testing.T) {
	f := newFixture(t, func(w *warehouse) {
		w.createAll()
		for i := range 3000 {
			addModel(w, "model.p.m"+itoa(i), "m", "2026-07-01 10:00:00")
			addTestResult(w, "r"+itoa(i), "pass", t0.Add(-time.Duration(i)*time.Second))
		}
	}, Options{})
	indexes := func() []string {
		return queryStrings(t, f.db, `SELECT name || ':' || sql FROM sqlite_schema WHERE type = 'index' AND sql IS NOT NULL ORDER BY name`)
	}
	want := indexes()
	if len(want) == 0 {
		t.Fatal("the migrations create indexes")
	}
	f.sy.src = &failingSource{Source: f.src, table: "elementary_test_results", after: 2000}
	if _, err := f.sy.Sync(context.Background()); !errors.Is(err, errInjected) {
		t.Fatalf("err %v, want the injected failure", err)
	}
	if got := indexes(); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("indexes after a failed first sync:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if n := queryInt(t, f.db, `SELECT count(*) FROM elementary_test_results`); n != 0 {
		t.Errorf("a failed first read left %d rows", n)
	}
	f.sy.src = f.src
	f.sync(t)
	if got := indexes(); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("indexes after the first sync:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if n := queryInt(t, f.db, `SELECT count(*) FROM elementary_test_results`); n != 3000 {
		t.Errorf("rows = %d, want 3000", n)
	}
	// The rebuilt index is used: a lookup by test goes through test_results_test.
	var id, parent, notUsed int
	var detail string
	if err := f.db.Read.QueryRow(`EXPLAIN QUERY PLAN SELECT * FROM elementary_test_results WHERE test_unique_id = 'x' ORDER BY detected_at`).
		Scan(&id, &parent, &notUsed, &detail); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(detail, "test_results_test") {
		t.Errorf("query plan %q does not use the rebuilt index", detail)
	}
}

// TestIncrementalSyncSkipsKnownOverlap: after a sync, the overlap window before the watermark is checked by key;
// rows already mirrored are not read again, so a large batch is read once, not once per following sync.
func TestIncrementalSyncSkipsKnownOverlap(t *testing.T) {
	f := newFixture(t, func(w *warehouse) {
		w.createAll()
		addModel(w, "model.p.a", "a", "2026-07-09 10:00:00")
		for i := range 50 { // a "build": 50 rows inserted within the last minutes
			addTestResult(w, "b"+itoa(i), "pass", t0.Add(-time.Duration(i)*time.Second))
		}
	}, Options{Overlap: 2 * time.Hour})
	f.sync(t)
	f.clock.add(time.Hour)
	addTestResult(f.wh, "n1", "fail", t0.Add(10*time.Minute)) // one new row
	rep := f.sync(t)
	var tr TableReport
	for _, x := range rep.Tables {
		if x.Table == "elementary_test_results" {
			tr = x
		}
	}
	if tr.RowsRead != 1 {
		t.Errorf("rows read %d, want 1: the overlap's known rows must not be read again", tr.RowsRead)
	}
	if rep.DataQueries != 2 {
		t.Errorf("data queries %d, want 2 (the overlap's keys, then the new rows)", rep.DataQueries)
	}
	if n := queryInt(t, f.db, `SELECT count(*) FROM elementary_test_results`); n != 51 {
		t.Errorf("mirror rows %d, want 51", n)
	}
}

// TestIncrementalSyncRowAtTheWatermark: a row stamped with exactly the watermark's time but committed after the last
// read is still found (by the key check of the window, which includes the watermark).
func TestIncrementalSyncRowAtTheWatermark(t *testing.T) {
	f := newFixture(t, func(w *warehouse) {
		w.createAll()
		addModel(w, "model.p.a", "a", "2026-07-09 10:00:00")
		addTestResult(w, "r1", "pass", t0)
	}, Options{Overlap: 2 * time.Hour})
	f.sync(t)
	f.clock.add(time.Hour)
	addTestResult(f.wh, "r1-twin", "fail", t0) // same created_at as the watermark
	f.sync(t)
	got := queryStrings(t, f.db, `SELECT id FROM elementary_test_results ORDER BY id`)
	if !reflect.DeepEqual(got, []string{"r1", "r1-twin"}) {
		t.Errorf("rows %q, want r1 and r1-twin", got)
	}
}

// TestTablesAppearingAndVanishing: alerts_v2 appears only after edr monitor's first run, and a table whose grant a
// `create or replace` dropped vanishes from the role's view: the next sync discovers again, syncs the new table and
// leaves the vanished one out without failing.
func TestTablesAppearingAndVanishing(t *testing.T) {
	f := newFixture(t, func(w *warehouse) {
		w.createAll("alerts_v2")
		addModel(w, "model.p.a", "a", "2026-07-01 10:00:00")
	}, Options{})
	f.sync(t)
	f.wh.create("alerts_v2")
	f.wh.insert("alerts_v2", "alert_id", "a1", "alert_class_id", "model.p.a", "updated_at", t0, "created_at", t0,
		"status", "sent")
	f.clock.add(time.Minute)
	f.sync(t)
	if got := queryStrings(t, f.db, `SELECT alert_id FROM alerts_v2`); !reflect.DeepEqual(got, []string{"a1"}) {
		t.Fatalf("alerts_v2 after it appeared = %q, want [a1]", got)
	}
	f.wh.exec(`DROP TABLE dbt_source_freshness_results`)
	f.clock.add(time.Minute)
	rep := f.sync(t)
	for _, tr := range rep.Tables {
		if tr.Table == "dbt_source_freshness_results" && (tr.Present || tr.Err != nil) {
			t.Errorf("vanished table reported %+v, want absent without error", tr)
		}
	}
	if p := queryInt(t, f.db, `SELECT present FROM sync_state WHERE table_name = 'dbt_source_freshness_results'`); p != 0 {
		t.Errorf("vanished table present = %d in sync_state", p)
	}
}

// TestWindowsWhateverTheWritersZone: created_at is the writer's wall clock in its session zone, so the backfill
// window reads a row of a writer 12 h behind UTC that is inside it by UTC time, and retention keeps a row until it is
// past retention whatever its writer's zone.
func TestWindowsWhateverTheWritersZone(t *testing.T) {
	f := newFixture(t, func(w *warehouse) {
		w.createAll()
		// Written 29 days and 13 h ago by a writer 12 h behind UTC: created_at reads 29 days 25 h ago.
		addTestResult(w, "r-behind", "pass", t0.AddDate(0, 0, -29).Add(-25*time.Hour))
		// Written 31 days ago by a UTC writer: outside the 30-day backfill.
		addTestResult(w, "r-old", "pass", t0.AddDate(0, 0, -31))
	}, Options{BackfillDays: 30, RetentionDays: 31})
	f.sync(t)
	got := queryStrings(t, f.db, `SELECT id FROM elementary_test_results`)
	if !reflect.DeepEqual(got, []string{"r-behind"}) {
		t.Fatalf("backfilled %q, want [r-behind]", got)
	}
	// A day later r-behind is 30 days 13 h old by UTC (its created_at reads 31 days 1 h): not past retention yet.
	f.clock.add(24 * time.Hour)
	f.sync(t)
	if got := queryStrings(t, f.db, `SELECT id FROM elementary_test_results`); !reflect.DeepEqual(got, []string{"r-behind"}) {
		t.Fatalf("after a day %q, want [r-behind] kept", got)
	}
	// Two days later it is past retention whatever its writer's zone.
	f.clock.add(48 * time.Hour)
	f.sync(t)
	if got := queryStrings(t, f.db, `SELECT id FROM elementary_test_results`); len(got) != 0 {
		t.Fatalf("after three days %q, want none", got)
	}
}
