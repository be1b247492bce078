package queries

import (
	"context"
	"fmt"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/todai-dev/todai/queries/demo"
	"github.com/todai-dev/todai/queries/localdb/localdbtest"
)

// BenchmarkIntentsDemo measures every intent on a mirror synced from the demo warehouse, with the demo's story
// names: set TODAI_BENCH_DEMO_MIRROR to the state file of `todai demo --models 10000` (or of a `todai sync` of a
// warehouse built with `todai demo --models 10000 --out FILE`). Skipped when unset.
func BenchmarkIntentsDemo(b *testing.B) {
	ctx := context.Background()
	db := localdbtest.OpenDemoMirror(b)
	now := time.Now()
	r := NewReader(db, ReaderOptions{Now: func() time.Time { return now }})
	if _, err := r.Resolve(ctx, demo.StoryFailingModel); err != nil {
		b.Fatal(err)
	}
	intents := []struct {
		name string
		ask  func() error
	}{
		{"status", func() error { _, err := r.Status(ctx, demo.StoryFailingModel); return err }},
		{"owner", func() error { _, err := r.Owner(ctx, demo.StoryFailingModel); return err }},
		{"last_runs", func() error { _, err := r.LastRuns(ctx, demo.StoryErroredModel, 5); return err }},
		{"failures_everyone_24h", func() error {
			_, err := r.Failures(ctx, FailuresQuery{Since: now.Add(-24 * time.Hour)})
			return err
		}},
		{"failures_team_7d", func() error {
			_, err := r.Failures(ctx, FailuresQuery{Team: "finance", Since: now.Add(-7 * 24 * time.Hour)})
			return err
		}},
		{"failures_node_7d", func() error {
			_, err := r.Failures(ctx, FailuresQuery{Node: demo.StoryFailingModel, Since: now.Add(-7 * 24 * time.Hour)})
			return err
		}},
		{"freshness_all", func() error { _, err := r.Freshness(ctx, ""); return err }},
		{"upstream", func() error { _, err := r.Upstream(ctx, demo.StoryFailingModel); return err }},
		{"downstream", func() error { _, err := r.Downstream(ctx, demo.StoryErroredModel); return err }},
		{"describe", func() error { _, err := r.Describe(ctx, demo.StoryHealthyModel); return err }},
		{"why", func() error { _, err := r.Why(ctx, demo.StoryFailingModel); return err }},
		{"urgency", func() error { _, err := r.Urgency(ctx, demo.StoryFailingModel); return err }},
		{"tests", func() error { _, err := r.Tests(ctx, demo.StoryFailingModel); return err }},
		{"not_found", func() error {
			if _, err := r.Status(ctx, "fct_ordrs"); err == nil {
				return os.ErrInvalid
			}
			return nil
		}},
	}
	for _, in := range intents {
		b.Run(in.name, func(b *testing.B) {
			for b.Loop() {
				if err := in.ask(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	// The first why and urgent after a sync that changed rows: nothing of the diagnosis is remembered yet.
	for _, in := range intents {
		if in.name != "why" && in.name != "urgency" {
			continue
		}
		b.Run(in.name+"_after_sync", func(b *testing.B) {
			for b.Loop() {
				b.StopTimer()
				localdbtest.NewDataGeneration(b, db)
				b.StartTimer()
				if err := in.ask(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkDiagnosisDemo asks why of every model whose newest run was skipped or errored on the demo mirror
// (TODAI_BENCH_DEMO_MIRROR, as BenchmarkIntentsDemo) and reports how true the answers are: skipped_with_root (the
// share of skipped models whose first cause naming another node is a root of the skip in the invocation that
// skipped it), on_chain (the share of causes naming another node that are such roots) and errored_own_first (the
// share of errored models whose first cause is their own error), besides the time per why.
func BenchmarkDiagnosisDemo(b *testing.B) {
	ctx := context.Background()
	db := localdbtest.OpenDemoMirror(b)
	now := time.Now()
	r := NewReader(db, ReaderOptions{Now: func() time.Time { return now }})
	rows, err := db.Read.QueryContext(ctx, `SELECT l.unique_id, l.status FROM node_last_run l
		JOIN nodes n ON n.unique_id = l.unique_id WHERE l.status IN ('skipped', 'error') ORDER BY l.unique_id`)
	if err != nil {
		b.Fatal(err)
	}
	var ids, statuses []string
	for rows.Next() {
		var id, st string
		if err := rows.Scan(&id, &st); err != nil {
			b.Fatal(err)
		}
		ids, statuses = append(ids, id), append(statuses, st)
	}
	rows.Close()
	if len(ids) == 0 {
		b.Skip("no skipped or errored model in the demo mirror")
	}
	var skipped, skippedRoot, errored, ownFirst, others, onChain float64
	for i := 0; b.Loop(); i++ {
		id, st := ids[i%len(ids)], statuses[i%len(ids)]
		a, err := r.Why(ctx, id)
		if err != nil {
			b.Fatal(err)
		}
		if i >= len(ids) {
			continue // count each model once
		}
		if st == "error" {
			errored++
			if len(a.LikelyCauses) > 0 && a.LikelyCauses[0].Kind == "run_error" {
				ownFirst++
			}
			continue
		}
		skipped++
		first := true
		for _, c := range a.LikelyCauses {
			if c.UniqueID == id {
				continue
			}
			others++
			root := slices.Contains(a.RootCauses, c.UniqueID)
			if root {
				onChain++
			}
			if first && root {
				skippedRoot++
			}
			first = false
		}
	}
	share := func(n, d float64) float64 {
		if d == 0 {
			return 1
		}
		return n / d
	}
	b.ReportMetric(share(skippedRoot, skipped), "skipped_with_root")
	b.ReportMetric(share(onChain, others), "on_chain")
	b.ReportMetric(share(ownFirst, errored), "errored_own_first")
}

// BenchmarkDataAsOfDemo measures, on the demo mirror (TODAI_BENCH_DEMO_MIRROR, as BenchmarkIntentsDemo), what the
// data-as-of costs: every_node_after_sync computes it for every node of the project after a sync changed rows (once
// per sync: the catalog is warm, nothing of the data is remembered); safe_exposure and safe_by_label ask "safe" of
// the critical exposure, by unique_id and by its label in words, with the graph remembered.
func BenchmarkDataAsOfDemo(b *testing.B) {
	ctx := context.Background()
	db := localdbtest.OpenDemoMirror(b)
	now := time.Now()
	r := NewReader(db, ReaderOptions{Now: func() time.Time { return now }})
	c, err := r.catalog(ctx)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("every_node_after_sync", func(b *testing.B) {
		nodes := 0
		for b.Loop() {
			b.StopTimer()
			localdbtest.NewDataGeneration(b, db)
			b.StartTimer()
			g, err := r.dataGraph(ctx, c)
			if err != nil {
				b.Fatal(err)
			}
			nodes = len(g)
		}
		b.ReportMetric(float64(nodes), "nodes")
	})
	exposure, err := r.Safe(ctx, demo.StoryCriticalExposureID)
	if err != nil {
		b.Fatal(err)
	}
	question := "is the " + exposure.Exposure.Label + " safe to use?"
	for _, tc := range []struct {
		name string
		ask  func() error
	}{
		{"safe_exposure", func() error { _, err := r.Safe(ctx, demo.StoryCriticalExposureID); return err }},
		{"safe_by_label", func() error {
			n, err := r.NodeIn(ctx, question, "")
			if err != nil || n.UniqueID != demo.StoryCriticalExposureID {
				return fmt.Errorf("%q names %q: %w", question, n.UniqueID, err)
			}
			_, err = r.Safe(ctx, n.UniqueID)
			return err
		}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			for b.Loop() {
				if err := tc.ask(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkChartsDemo measures building each chart's data on the demo mirror (TODAI_BENCH_DEMO_MIRROR, as
// BenchmarkIntentsDemo), the catalog read: the anomaly story's buckets, the flaky test's 14 days, a model's run
// times. (A team's trend is built with its digest: BenchmarkDigestDemo.)
func BenchmarkChartsDemo(b *testing.B) {
	ctx := context.Background()
	db := localdbtest.OpenDemoMirror(b)
	now := time.Now()
	r := NewReader(db, ReaderOptions{Now: func() time.Time { return now }})
	for _, tc := range []struct {
		name string
		draw func() (*Chart, error)
	}{
		{"anomaly", func() (*Chart, error) { return r.TestChart(ctx, demo.StoryAnomalyTestID) }},
		{"test_history", func() (*Chart, error) { return r.testHistory(ctx, []string{demo.StoryFlakyTestID}, time.UTC) }},
		{"run_times", func() (*Chart, error) { return r.runTimes(ctx, demo.StoryFailingModelID) }},
	} {
		if _, err := tc.draw(); err != nil { // the catalog and the tests' index, read once per sync
			b.Fatal(err)
		}
		b.Run(tc.name, func(b *testing.B) {
			for b.Loop() {
				if c, err := tc.draw(); err != nil || c == nil {
					b.Fatalf("chart %v: %v", c, err)
				}
			}
		})
	}
}

// BenchmarkHealthDemo measures health on the demo mirror (TODAI_BENCH_DEMO_MIRROR, as BenchmarkIntentsDemo): of the
// largest team and of the whole project, warm (what a sync reads is remembered) and right after a sync.
func BenchmarkHealthDemo(b *testing.B) {
	ctx := context.Background()
	db := localdbtest.OpenDemoMirror(b)
	now := time.Now()
	r := NewReader(db, ReaderOptions{Now: func() time.Time { return now }})
	teams, err := r.Teams(ctx)
	if err != nil || len(teams) == 0 {
		b.Fatalf("teams %v: %v", teams, err)
	}
	largest, size := "", 0
	for _, t := range teams {
		nodes, err := r.TeamNodes(ctx, t)
		if err != nil {
			b.Fatal(err)
		}
		if len(nodes) > size {
			largest, size = t, len(nodes)
		}
	}
	for _, tc := range []struct {
		name string
		q    HealthQuery
	}{{"team", HealthQuery{Team: largest}}, {"project", HealthQuery{}}} {
		if _, err := r.Health(ctx, tc.q); err != nil {
			b.Fatal(err)
		}
		b.Run(tc.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := r.Health(ctx, tc.q); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(tc.name+"_after_sync", func(b *testing.B) {
			for b.Loop() {
				b.StopTimer()
				localdbtest.NewDataGeneration(b, db)
				b.StartTimer()
				if _, err := r.Health(ctx, tc.q); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
