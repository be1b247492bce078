package queries

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/todai-dev/todai/queries/localdb"
	"github.com/todai-dev/todai/queries/localdb/localdbtest"
)

// benchShape is the synthetic mirror of BenchmarkIntents: 10,000 models in four layers (staging on sources,
// intermediate, marts, reports) with one hub model most marts use, 500 sources, 300 exposures, 50,000 tests (one
// in ten on two models), 30 daily build invocations: 300,000 run results and about 1,000,000 test results.
const (
	benchSources   = 500
	benchStaging   = 3000
	benchInter     = 3500
	benchMarts     = 2500
	benchReports   = 1000
	benchModels    = benchStaging + benchInter + benchMarts + benchReports
	benchTests     = 50000
	benchExposures = 300
	benchDays      = 30
)

func benchModelID(i int) string { return fmt.Sprintf("model.bench.model_%05d", i) }

// buildBenchMirror fills db with the synthetic mirror by inserting rows directly, then refreshes the derived
// tables.
func buildBenchMirror(tb testing.TB, db *localdb.DB, now time.Time) {
	tb.Helper()
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(1, 2))
	tx, err := db.Write.BeginTx(ctx, nil)
	if err != nil {
		tb.Fatal(err)
	}
	prep := func(q string) *sql.Stmt {
		s, err := tx.PrepareContext(ctx, q)
		if err != nil {
			tb.Fatal(err)
		}
		return s
	}
	must := func(_ sql.Result, err error) {
		if err != nil {
			tb.Fatal(err)
		}
	}
	teams := []string{"finance", "growth", "ops", "product", "marketing", "risk", "platform", "sales", "hr", "data"}
	insSource := prep(`INSERT INTO dbt_sources (unique_id, source_name, name, schema_name, owner, meta, package_name)
		VALUES (?, ?, ?, ?, ?, ?, 'bench')`)
	for i := 0; i < benchSources; i++ {
		must(insSource.ExecContext(ctx, fmt.Sprintf("source.bench.src_%03d.table_%03d", i/10, i),
			fmt.Sprintf("src_%03d", i/10), fmt.Sprintf("table_%03d", i), "raw", `["@owner`+fmt.Sprint(i%50)+`"]`,
			`{"team": "`+teams[i%10]+`"}`))
	}
	insModel := prep(`INSERT INTO dbt_models (unique_id, name, alias, schema_name, database_name, owner, meta, tags,
		depends_on_nodes, package_name, path, materialization, description, group_name)
		VALUES (?, ?, ?, 'prod', 'ANALYTICS', ?, ?, ?, ?, 'bench', ?, 'table', 'A model.', ?)`)
	pick := func(lo, hi, n int) []string {
		var out []string
		for j := 0; j < n; j++ {
			out = append(out, benchModelID(lo+rng.IntN(hi-lo)))
		}
		return out
	}
	hub := benchStaging + benchInter // the first mart: a dim most marts use
	for i := 0; i < benchModels; i++ {
		var parents []string
		switch {
		case i < benchStaging:
			parents = []string{fmt.Sprintf("source.bench.src_%03d.table_%03d", (i%benchSources)/10, i%benchSources)}
		case i < benchStaging+benchInter:
			parents = pick(0, benchStaging, 2)
		case i < benchStaging+benchInter+benchMarts:
			parents = pick(benchStaging, benchStaging+benchInter, 3)
			if i != hub && rng.IntN(5) == 0 {
				parents = append(parents, benchModelID(hub))
			}
		default:
			parents = pick(benchStaging+benchInter, benchModels, 2)
		}
		must(insModel.ExecContext(ctx, benchModelID(i), fmt.Sprintf("model_%05d", i), fmt.Sprintf("model_%05d", i),
			`["@owner`+fmt.Sprint(i%50)+`"]`, `{"team": "`+teams[i%10]+`", "tier": "`+fmt.Sprint(i%3)+`"}`,
			`["nightly"]`, `["`+strings.Join(parents, `","`)+`"]`, fmt.Sprintf("marts/m_%05d.sql", i),
			teams[i%10]))
	}
	insModel.Close()
	insExp := prep(`INSERT INTO dbt_exposures (unique_id, name, depends_on_nodes, owner_email, package_name)
		VALUES (?, ?, ?, 'bi@acme.com', 'bench')`)
	for i := 0; i < benchExposures; i++ {
		must(insExp.ExecContext(ctx, fmt.Sprintf("exposure.bench.dash_%03d", i), fmt.Sprintf("dash_%03d", i),
			`["`+strings.Join(pick(benchStaging+benchInter, benchModels, 2), `","`)+`"]`))
	}
	insTest := prep(`INSERT INTO dbt_tests (unique_id, name, short_name, severity, depends_on_nodes,
		parent_model_unique_id, model_owners, package_name) VALUES (?, ?, 'not_null', ?, ?, ?, '[]', 'bench')`)
	testModel := make([]string, benchTests)
	for i := 0; i < benchTests; i++ {
		m := benchModelID(i % benchModels)
		testModel[i] = m
		deps := `["` + m + `"]`
		if i%10 == 0 {
			deps = `["` + m + `","` + benchModelID(rng.IntN(benchModels)) + `"]`
		}
		sev := "ERROR"
		if i%4 == 0 {
			sev = "WARN"
		}
		must(insTest.ExecContext(ctx, fmt.Sprintf("test.bench.t_%05d.abc", i), fmt.Sprintf("t_%05d", i), sev, deps, m))
	}
	insInv := prep(`INSERT INTO dbt_invocations (invocation_id, created_at, command, job_name, orchestrator)
		VALUES (?, ?, 'build', 'nightly', 'airflow')`)
	insRun := prep(`INSERT INTO dbt_run_results (model_execution_id, unique_id, invocation_id, generated_at,
		created_at, status, resource_type, execution_time, execute_completed_at, message)
		VALUES (?, ?, ?, ?, ?, ?, 'model', 2.5, ?, ?)`)
	insRes := prep(`INSERT INTO elementary_test_results (id, test_unique_id, model_unique_id, invocation_id,
		detected_at, created_at, status, severity, failures, test_short_name) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'not_null')`)
	insFresh := prep(`INSERT INTO dbt_source_freshness_results (source_freshness_execution_id, unique_id,
		generated_at, created_at, status, max_loaded_at, snapshotted_at) VALUES (?, ?, ?, ?, ?, ?, ?)`)
	for d := benchDays; d >= 1; d-- {
		start := now.Add(-time.Duration(d) * 24 * time.Hour)
		inv := fmt.Sprintf("inv-%02d", d)
		f := localdb.FormatTime
		must(insInv.ExecContext(ctx, inv, f(start)))
		for i := 0; i < benchSources; i++ {
			st := "pass"
			if x := rng.IntN(100); x < 3 {
				st = "error"
			} else if x < 6 {
				st = "warn"
			}
			id := fmt.Sprintf("source.bench.src_%03d.table_%03d", i/10, i)
			must(insFresh.ExecContext(ctx, inv+"."+id, id, f(start), f(start), st, f(start.Add(-time.Hour)), f(start)))
		}
		for i := 0; i < benchModels; i++ {
			st, msg := "success", "SUCCESS 1"
			if x := rng.IntN(100); x < 2 {
				st, msg = "error", "Database Error in model"
			} else if x < 3 {
				st = "skipped"
			}
			at := start.Add(time.Duration(i) * 100 * time.Millisecond)
			must(insRun.ExecContext(ctx, inv+"."+benchModelID(i), benchModelID(i), inv, f(start.Add(3*time.Hour)),
				f(start.Add(3*time.Hour)), st, f(at), msg))
		}
		for i := 0; i < benchTests; i++ {
			if (i+d)%3 == 0 {
				continue
			}
			st := "pass"
			if x := rng.IntN(1000); x < 30 {
				st = "fail"
			} else if x < 50 {
				st = "warn"
			} else if x < 55 {
				st = "error"
			}
			at := start.Add(time.Hour + time.Duration(i)*10*time.Millisecond)
			tid := fmt.Sprintf("test.bench.t_%05d.abc", i)
			must(insRes.ExecContext(ctx, inv+"."+tid, tid, testModel[i], inv, f(at), f(at.Add(time.Hour)), st, "ERROR",
				rng.IntN(10)))
		}
	}
	must(tx.ExecContext(ctx, `INSERT INTO sync_runs (started_at, finished_at, ok) VALUES (?, ?, 1)`,
		localdb.FormatTime(now), localdb.FormatTime(now)))
	if err := tx.Commit(); err != nil {
		tb.Fatal(err)
	}
	if err := RefreshAll(ctx, db); err != nil {
		tb.Fatal(err)
	}
}

// benchMirror returns the synthetic mirror: built in a temporary directory, or kept at $TODAI_BENCH_DB (built
// there when the file does not exist yet) to save the build across runs.
func benchMirror(b *testing.B, now time.Time) *localdb.DB {
	path := os.Getenv("TODAI_BENCH_DB")
	if path == "" {
		path = filepath.Join(b.TempDir(), "bench.db")
	}
	_, statErr := os.Stat(path)
	db := localdbtest.Open(b, path)
	if statErr != nil {
		start := time.Now()
		buildBenchMirror(b, db, now)
		b.Logf("built the synthetic mirror in %s", time.Since(start).Round(time.Millisecond))
	}
	return db
}

// BenchmarkIntents measures every intent on the synthetic 10,000-model, 30-day mirror, and Refresh.
func BenchmarkIntents(b *testing.B) {
	now := time.Date(2024, 6, 1, 12, 0, 0, 0, time.UTC)
	db := benchMirror(b, now)
	ctx := context.Background()
	r := NewReader(db, ReaderOptions{Now: func() time.Time { return now }})
	mid := "model_05000" // an intermediate model: staging parents, marts children
	hub := fmt.Sprintf("model_%05d", benchStaging+benchInter)
	intents := []struct {
		name string
		fn   func() error
	}{
		{"status", func() error { _, err := r.Status(ctx, mid); return err }},
		{"owner", func() error { _, err := r.Owner(ctx, mid); return err }},
		{"last_runs", func() error { _, err := r.LastRuns(ctx, mid, 5); return err }},
		{"failures_all_24h", func() error { _, err := r.Failures(ctx, FailuresQuery{}); return err }},
		{"failures_node_7d", func() error {
			_, err := r.Failures(ctx, FailuresQuery{Node: mid, Since: now.Add(-7 * 24 * time.Hour)})
			return err
		}},
		{"failures_team_24h", func() error { _, err := r.Failures(ctx, FailuresQuery{Team: "finance"}); return err }},
		{"freshness_all", func() error { _, err := r.Freshness(ctx, ""); return err }},
		{"freshness_one", func() error { _, err := r.Freshness(ctx, "src_001.table_010"); return err }},
		{"upstream", func() error { _, err := r.Upstream(ctx, "model_09500"); return err }},
		{"downstream", func() error { _, err := r.Downstream(ctx, "model_00100"); return err }},
		{"downstream_hub", func() error { _, err := r.Downstream(ctx, hub); return err }},
		{"describe", func() error { _, err := r.Describe(ctx, mid); return err }},
		{"why", func() error { _, err := r.Why(ctx, "model_09500"); return err }},
		{"urgency", func() error { _, err := r.Urgency(ctx, "model_00100"); return err }},
		{"resolve", func() error { _, err := r.Resolve(ctx, "MODEL_05000"); return err }},
		{"resolve_not_found", func() error {
			_, err := r.Resolve(ctx, "modl_0500x")
			if _, ok := err.(*NotFoundError); ok {
				return nil
			}
			return fmt.Errorf("want not found, got %v", err)
		}},
		{"sync_info", func() error { _, err := r.SyncInfo(ctx); return err }},
	}
	if _, err := r.Resolve(ctx, mid); err != nil { // load the catalog once, as a running server has
		b.Fatal(err)
	}
	b.Run("catalog_reload", func(b *testing.B) {
		for b.Loop() {
			r := NewReader(db, ReaderOptions{})
			if _, err := r.Resolve(ctx, mid); err != nil {
				b.Fatal(err)
			}
		}
	})
	for _, in := range intents {
		b.Run(in.name, func(b *testing.B) {
			for b.Loop() {
				if err := in.fn(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	refresh := func(b *testing.B, changed map[string]bool) {
		tx, err := db.Write.BeginTx(ctx, nil)
		if err != nil {
			b.Fatal(err)
		}
		var d Derived
		if err := d.Refresh(ctx, tx, changed); err != nil {
			b.Fatal(err)
		}
		if err := tx.Commit(); err != nil {
			b.Fatal(err)
		}
	}
	b.Run("refresh_noop", func(b *testing.B) {
		for b.Loop() {
			refresh(b, map[string]bool{})
		}
	})
	b.Run("refresh_history_nothing_new", func(b *testing.B) {
		for b.Loop() {
			refresh(b, map[string]bool{"elementary_test_results": true, "dbt_run_results": true})
		}
	})
	b.Run("refresh_definitions", func(b *testing.B) {
		for b.Loop() {
			refresh(b, map[string]bool{"dbt_models": true, "dbt_tests": true})
		}
	})
	b.Run("refresh_all_from_scratch", func(b *testing.B) {
		for b.Loop() {
			if err := RefreshAll(ctx, db); err != nil {
				b.Fatal(err)
			}
		}
	})
}
