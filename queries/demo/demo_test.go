package demo

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/todai-dev/todai/queries/elementary"
)

var testNow = time.Date(2026, 5, 1, 13, 0, 0, 0, time.UTC)

// hashDataset hashes every streamed row and counts rows per table.
func hashDataset(t testing.TB, opts Options) (string, map[string]int) {
	t.Helper()
	ds, err := Generate(opts)
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.New()
	counts := map[string]int{}
	err = ds.Stream(context.Background(), func(table string, row []any) error {
		counts[table]++
		fmt.Fprintf(h, "%s%v\n", table, row)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(h.Sum(nil)), counts
}

func TestGenerateDeterministic(t *testing.T) {
	tests := []struct {
		name string
		a, b Options
		same bool
	}{
		{"same options", Options{Now: testNow}, Options{Now: testNow}, true},
		{"other seed", Options{Now: testNow}, Options{Now: testNow, Seed: 2}, false},
		{"other now", Options{Now: testNow}, Options{Now: testNow.Add(time.Hour)}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, _ := hashDataset(t, tc.a)
			b, _ := hashDataset(t, tc.b)
			if (a == b) != tc.same {
				t.Fatalf("hash equal = %v, want %v", a == b, tc.same)
			}
		})
	}
}

func TestGenerateBadOptions(t *testing.T) {
	for _, o := range []Options{{}, {Now: testNow, Models: -1}, {Now: testNow, Days: -3}, {Now: testNow, Models: 1 << 30}} {
		if _, err := Generate(o); err == nil {
			t.Errorf("Generate(%+v) accepted bad options", o)
		}
	}
}

// buildDemo builds the default demo warehouse once per test.
func buildDemo(t *testing.T, opts Options, wopts ...WriteOption) *sql.DB {
	t.Helper()
	path := filepath.Join(t.TempDir(), "warehouse.db")
	if err := Build(context.Background(), path, opts, wopts...); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite3", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

func count(t *testing.T, db *sql.DB, q string, args ...any) int {
	t.Helper()
	var n int
	if err := db.QueryRow(q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

func TestDemoContents(t *testing.T) {
	db := buildDemo(t, Options{Now: testNow})
	checks := []struct {
		name     string
		q        string
		min, max int
	}{
		{"kumo models", `select count(*) from dbt_models where package_name != 'elementary'`, 300, 305},
		{"elementary models", `select count(*) from dbt_models where package_name = 'elementary' and unique_id like 'model.elementary.%'`, 10, 20},
		{"sources", `select count(*) from dbt_sources`, 40, 40},
		{"source names", `select count(distinct source_name) from dbt_sources`, 8, 20},
		{"tests", `select count(*) from dbt_tests`, 1500, 1500},
		{"teams", `select count(*) from dbt_groups where owner_email like '%@kumo.coffee'`, 6, 6},
		{"layers", `select count(distinct substr(name, 1, 4)) from dbt_models where name like 'stg\_%' escape '\' or name like 'int\_%' escape '\' or name like 'fct\_%' escape '\' or name like 'dim\_%' escape '\'`, 4, 4},
		{"seeds", `select count(*) from dbt_seeds`, 2, 10},
		{"snapshots", `select count(*) from dbt_snapshots`, 2, 5},
		{"exposures ml", `select count(*) from dbt_exposures where type = 'ml' and url like 'https://%'`, 1, 100},
		{"owner email list", `select count(*) from dbt_models where owner like '["%@kumo.coffee"]'`, 1, 300},
		{"owner handle", `select count(*) from dbt_models where owner like '["@%"]'`, 1, 300},
		{"owner comma string", `select count(*) from dbt_models where owner not like '[%' and owner like '%, @%' and meta like '%"owner":"%, @%'`, 1, 300},
		{"owner list", `select count(*) from dbt_models where meta like '%"owner":[%' and owner like '[%,%]'`, 1, 300},
		{"owner via group only", `select count(*) from dbt_models where owner = '[]' and group_name is not null and package_name = 'kumo'`, 1, 300},
		{"no owner at all", `select count(*) from dbt_models where owner = '[]' and group_name is null and meta not like '%owner%' and package_name = 'kumo'`, 1, 300},
		{"meta team", `select count(*) from dbt_models where meta like '%"team":%'`, 1, 300},
		{"criticality", `select count(*) from dbt_models where meta like '%"criticality":"high"%' and name like 'fct%'`, 1, 300},
		{"malformed meta", `select count(*) from dbt_models where unique_id = ? and not json_valid(meta)`, 1, 1},
		{"versioned model", `select count(*) from dbt_models where unique_id = ? and name = 'dim_customers'`, 1, 1},
		{"ambiguous name", `select count(distinct package_name || schema_name) from dbt_models where name = ?`, 2, 2},
		{"multi-parent tests", `select count(*) from dbt_tests where short_name = 'relationships' and json_array_length(depends_on_nodes) = 2`, 1, 1500},
		{"source tests", `select count(*) from dbt_tests where parent_model_unique_id like 'source.%'`, 1, 1500},
		{"lower-case warn", `select count(*) from dbt_tests where severity = 'warn'`, 1, 1500},
		{"test meta owners", `select count(*) from dbt_tests where meta like '%"owner"%'`, 1, 1500},
		{"anomaly rows per run", `select count(*) from (select test_execution_id from elementary_test_results where test_type = 'anomaly_detection' group by 1 having count(distinct id) > 1)`, 1, 1 << 30},
		{"schema changes", `select count(*) from elementary_test_results where test_type = 'schema_change' and test_results_description like 'The column%'`, 1, 1 << 30},
		{"dup invocations", `select count(*) from (select invocation_id from dbt_invocations group by 1 having count(*) > 1)`, 1, 100},
		{"dup run results", `select count(*) from (select model_execution_id from dbt_run_results group by 1 having count(*) > 1)`, 1, 1 << 30},
		{"dup test results", `select count(*) from (select id from elementary_test_results group by 1 having count(*) > 1)`, 1, 1 << 30},
		{"dup freshness", `select count(*) from (select source_freshness_execution_id from dbt_source_freshness_results group by 1 having count(*) > 1)`, 1, 1 << 30},
		{"orchestrators", `select count(distinct orchestrator) from dbt_invocations`, 3, 3},
		{"downstream skips", `select count(*) from dbt_run_results where status = 'skipped'`, 1, 1 << 30},
		{"snowflake errors", `select count(*) from dbt_run_results where status = 'error' and message like 'Database Error in model %SQL compilation error%'`, 1, 1 << 30},
		{"iso timings", `select count(*) from dbt_run_results where execute_completed_at like '____-__-__T__:__:__.______Z'`, 1, 1 << 30},
		{"test statuses", `select count(distinct status) from elementary_test_results`, 5, 5},
		{"freshness statuses", `select count(distinct status) from dbt_source_freshness_results`, 4, 4},
		{"alerts sent", `select count(*) from alerts_v2 where status = 'sent' and sent_at is not null`, 1, 1 << 30},
		{"history within Now", `select count(*) from dbt_invocations where run_completed_at > ?`, 0, 0},
	}
	args := map[string][]any{"malformed meta": {StoryMalformedMetaID}, "versioned model": {StoryVersionedModelID},
		"ambiguous name": {StoryAmbiguousName}, "history within Now": {elemTime(testNow)}}
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			if n := count(t, db, c.q, args[c.name]...); n < c.min || n > c.max {
				t.Errorf("got %d, want %d..%d", n, c.min, c.max)
			}
		})
	}
}

// testStatuses returns the statuses of a test's results in the daily builds, oldest first.
func testStatuses(t *testing.T, db *sql.DB, testID string) []string {
	t.Helper()
	return queryStrings(t, db, `select status from (select distinct id, status, detected_at from elementary_test_results
		where test_unique_id = ?) order by detected_at`, testID)
}

// queryStrings reads one string column of a warehouse query.
func queryStrings(t *testing.T, db *sql.DB, q string, args ...any) []string {
	t.Helper()
	rows, err := db.Query(q, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func latestRun(t *testing.T, db *sql.DB, id string) string {
	t.Helper()
	var s string
	if err := db.QueryRow(`select status from dbt_run_results where unique_id = ? order by generated_at desc,
		created_at desc limit 1`, id).Scan(&s); err != nil {
		t.Fatalf("latest run of %s: %v", id, err)
	}
	return s
}

func TestDemoStories(t *testing.T) {
	db := buildDemo(t, Options{Now: testNow})
	t.Run("failing test since days", func(t *testing.T) {
		st := testStatuses(t, db, StoryFailingTestID)
		if len(st) < 10 {
			t.Fatalf("only %d results", len(st))
		}
		for i, s := range st {
			want := "pass"
			if i >= len(st)-StoryFailingDays {
				want = "fail"
			}
			if s != want {
				t.Errorf("result %d of %d = %s, want %s", i, len(st), s, want)
			}
		}
		if n := count(t, db, `select count(*) from dbt_models where unique_id = ? and depends_on_nodes like '%int_orders_enriched%'`, StoryFailingModelID); n != 1 {
			t.Error("fct_orders does not depend on int_orders_enriched")
		}
	})
	t.Run("stale source", func(t *testing.T) {
		var status string
		var age float64
		if err := db.QueryRow(`select status, max_loaded_at_time_ago_in_s from dbt_source_freshness_results where unique_id = ?
			order by snapshotted_at desc limit 1`, StoryStaleSourceID).Scan(&status, &age); err != nil {
			t.Fatal(err)
		}
		if status != "error" || age < 24*3600 {
			t.Errorf("latest freshness = %s age %.0fs, want error older than 24h", status, age)
		}
		// Its data stopped arriving before the failing test's first failure: the story's cause precedes its effect.
		var firstFail string
		if err := db.QueryRow(`select min(detected_at) from elementary_test_results where test_unique_id = ?
			and status = 'fail'`, StoryFailingTestID).Scan(&firstFail); err != nil {
			t.Fatal(err)
		}
		if stopped := testNow.Add(-StoryStaleHours * time.Hour); firstFail <= stopped.UTC().Format("2006-01-02 15:04:05") {
			t.Errorf("the failing test first failed at %s, before the stale source's last load at %s", firstFail, stopped)
		}
		var parents string
		if err := db.QueryRow(`select depends_on_nodes from dbt_models where name = ?`, StoryStaleStaging).Scan(&parents); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(parents, StoryStaleSourceID) {
			t.Errorf("%s parents %s", StoryStaleStaging, parents)
		}
	})
	t.Run("runtime error and warn sources", func(t *testing.T) {
		for id, want := range map[string]string{StoryRuntimeErrorSourceID: "runtime error", StoryWarnSourceID: "warn"} {
			var s string
			if err := db.QueryRow(`select status from dbt_source_freshness_results where unique_id = ? order by snapshotted_at desc limit 1`, id).Scan(&s); err != nil {
				t.Fatal(err)
			}
			if s != want {
				t.Errorf("%s latest freshness %s, want %s", id, s, want)
			}
		}
	})
	t.Run("healthy with critical exposure", func(t *testing.T) {
		if s := latestRun(t, db, StoryHealthyModelID); s != "success" {
			t.Errorf("fct_revenue latest run %s", s)
		}
		if n := count(t, db, `select count(*) from elementary_test_results where model_unique_id = ? and status != 'pass'`, StoryHealthyModelID); n != 0 {
			t.Errorf("fct_revenue has %d non-passing test results", n)
		}
		if n := count(t, db, `select count(*) from dbt_exposures where unique_id = ? and maturity = 'high' and meta like '%"criticality":"high"%' and depends_on_nodes like ?`,
			StoryCriticalExposureID, "%"+StoryHealthyModelID+"%"); n != 1 {
			t.Error("no critical exposure on fct_revenue")
		}
	})
	t.Run("errored with skipped downstream", func(t *testing.T) {
		if s := latestRun(t, db, StoryErroredModelID); s != "error" {
			t.Errorf("%s latest run %s", StoryErroredModelID, s)
		}
		for _, id := range StorySkippedModels() {
			if s := latestRun(t, db, id); s != "skipped" {
				t.Errorf("%s latest run %s, want skipped", id, s)
			}
		}
	})
	t.Run("flaky test flips", func(t *testing.T) {
		st := testStatuses(t, db, StoryFlakyTestID)
		flips := 0
		for i := 1; i < len(st); i++ {
			if st[i] != st[i-1] {
				flips++
			}
		}
		if flips < 10 {
			t.Errorf("flaky test flipped %d times: %v", flips, st)
		}
	})
}

func TestWrittenColumns(t *testing.T) {
	older := olderMissing()
	for _, want := range [][2]string{{"dbt_models", "group_name"}, {"dbt_models", "access"},
		{"elementary_test_results", "failed_row_count"}, {"elementary_test_results", "test_alias"},
		{"dbt_invocations", "job_name"}, {"dbt_invocations", "orchestrator"}, {"dbt_invocations", "job_run_url"}} {
		if !slices.Contains(older[want[0]], want[1]) {
			t.Errorf("OlderVersion keeps %s.%s", want[0], want[1])
		}
	}
	tests := []struct {
		name    string
		opts    []WriteOption
		missing map[string][]string
	}{
		{"current", nil, nil},
		{"older version", []WriteOption{OlderVersion(), OmitTables("alerts_v2")}, older},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			db := buildDemo(t, Options{Now: testNow, Models: 40, Sources: 12, Days: 2}, tc.opts...)
			for _, tb := range elementary.Tables() {
				got := queryStrings(t, db, `select name from pragma_table_info(?)`, tb.Name)
				if tb.Name == "alerts_v2" && tc.missing != nil {
					if len(got) != 0 {
						t.Errorf("alerts_v2 exists")
					}
					continue
				}
				for _, c := range tb.ColumnNames() {
					if slices.Contains(got, c) == slices.Contains(tc.missing[tb.Name], c) {
						t.Errorf("%s.%s present=%v", tb.Name, c, slices.Contains(got, c))
					}
				}
			}
			// Real timestamps come back as time.Time, booleans as bool.
			var created time.Time
			var full bool
			if err := db.QueryRow(`select created_at, full_refresh from dbt_invocations order by created_at desc limit 1`).Scan(&created, &full); err != nil {
				t.Fatal(err)
			}
			if created.Before(testNow.Add(-2*time.Hour)) || created.After(testNow.Add(time.Minute)) || full {
				t.Errorf("latest invocation created %v full_refresh %v", created, full)
			}
		})
	}
}

func olderMissing() map[string][]string {
	c := writeConfig{omitColumns: map[string]map[string]bool{}, omitTables: map[string]bool{}}
	OlderVersion()(&c)
	out := map[string][]string{}
	for tb, cols := range c.omitColumns {
		for col := range cols {
			out[tb] = append(out[tb], col)
		}
	}
	return out
}

func fixtureFor(now time.Time) (*Fixture, map[string]string) {
	f := NewFixture("shop")
	ids := map[string]string{}
	f.Group("finance", "fin@shop.io", "Finance")
	ids["orders"] = f.Model("orders", Values{"owner": `["@jane"]`, "group_name": "finance"})
	ids["payments"] = f.Source("stripe", "payments", nil)
	ids["test"] = f.Test("not_null_orders_id", "not_null", ids["orders"], nil)
	f.Exposure("kpis", []string{ids["orders"]}, Values{"maturity": "high"})
	inv := f.Invocation("build", now, nil)
	f.RunResult(inv, ids["orders"], "error", now, Values{"message": "boom"})
	f.TestResult(inv, ids["test"], ids["orders"], "fail", now, Values{"failures": 3})
	f.TestResult(inv, ids["test"], ids["orders"], "fail", now, Values{"failures": 3}) // a real duplicate
	f.FreshnessResult(inv, ids["payments"], "error", now.Add(-30*time.Hour), now, nil)
	f.Alert(inv+"."+ids["test"], ids["test"]+".None.generic", "test", now, nil)
	return f, ids
}

func checkFixture(t *testing.T, db *sql.DB, q func(string) string, ids map[string]string) {
	t.Helper()
	var status, msg string
	if err := db.QueryRow(q(`select status, message from dbt_run_results where unique_id = ?`), ids["orders"]).Scan(&status, &msg); err != nil {
		t.Fatal(err)
	}
	if status != "error" || msg != "boom" {
		t.Errorf("run result %s %q", status, msg)
	}
	var detected time.Time
	if err := db.QueryRow(q(`select detected_at from elementary_test_results where test_unique_id = ?`), ids["test"]).Scan(&detected); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := db.QueryRow(q(`select count(*) from elementary_test_results where test_unique_id = ?`), ids["test"]).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 2 || !detected.Equal(testNow) {
		t.Errorf("test results %d detected %v", n, detected)
	}
	var age float64
	if err := db.QueryRow(q(`select max_loaded_at_time_ago_in_s from dbt_source_freshness_results where unique_id = ?`), ids["payments"]).Scan(&age); err != nil {
		t.Fatal(err)
	}
	if age != 30*3600 {
		t.Errorf("age %v", age)
	}
}

func TestFixtureSQLite(t *testing.T) {
	db, err := sql.Open("sqlite3", filepath.Join(t.TempDir(), "f.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	f, ids := fixtureFor(testNow)
	if err := Write(context.Background(), db, elementary.SQLite, "", f); err != nil {
		t.Fatal(err)
	}
	checkFixture(t, db, func(s string) string { return s }, ids)
}

func TestFixtureBadColumn(t *testing.T) {
	db, err := sql.Open("sqlite3", filepath.Join(t.TempDir(), "f.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	f := NewFixture("shop")
	f.Model("orders", Values{"no_such_column": 1})
	f.Row("no_such_table", nil, nil)
	err = Write(context.Background(), db, elementary.SQLite, "", f)
	if err == nil || !strings.Contains(err.Error(), "no_such_column") || !strings.Contains(err.Error(), "no_such_table") {
		t.Fatalf("err = %v", err)
	}
	if err := Write(context.Background(), db, elementary.SQLite, "bad schema;", NewFixture("x")); err == nil {
		t.Fatal("bad schema accepted")
	}
}

func benchmarkBuild(b *testing.B, opts Options) {
	dir := b.TempDir()
	var size int64
	for i := 0; b.Loop(); i++ {
		path := filepath.Join(dir, "w.db")
		if err := Build(context.Background(), path, opts); err != nil {
			b.Fatal(err)
		}
		st, err := os.Stat(path)
		if err != nil {
			b.Fatal(err)
		}
		size = st.Size()
	}
	b.ReportMetric(float64(size)/1e6, "MB")
	_, counts := hashDataset(b, opts)
	keys := make([]string, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		b.Logf("%s: %d rows", k, counts[k])
	}
}

// BenchmarkBuild10k builds the 10,000-model, 30-day warehouse the benchmarks of other packages read.
func BenchmarkBuild10k(b *testing.B) {
	benchmarkBuild(b, Options{Now: testNow, Models: 10000, Days: 30})
}

// BenchmarkBuildDemo builds the default 300-model demo warehouse.
func BenchmarkBuildDemo(b *testing.B) {
	benchmarkBuild(b, Options{Now: testNow})
}
