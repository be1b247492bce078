package escalation

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/todai-dev/todai/queries"
	"github.com/todai-dev/todai/queries/localdb/localdbtest"
	"github.com/todai-dev/todai/queries/statedb"
)

// BenchmarkSweep is the escalation sweep over 5,000 open incidents of 50 teams at various stages, with 100 silences
// and the incidents of 500 nodes caused by another node's failure (diagnosed in constant time here; the diagnosis'
// own cost is BenchmarkDiagnosedCauseDemo's): the store reads, the grouping by root plus Decide for each. Target:
// ≤200 ms per sweep.
func BenchmarkSweep(b *testing.B) {
	ctx := context.Background()
	store := NewStore(localdbtest.Open(b, ""))
	const n = 5000
	err := store.inTx(ctx, "seed", func(tx *statedb.Tx) error {
		for i := range n {
			inc := Incident{Key: fmt.Sprintf("test.p.t%d.id.generic", i), Team: fmt.Sprintf("team%d", i%50), Kind: KindTest,
				NodeID: fmt.Sprintf("model.p.m%d", i%2000), TestID: fmt.Sprintf("test.p.t%d", i), Severity: SeverityError,
				Owners: []string{fmt.Sprintf("o%d@x.io", i%300)}, Tags: []string{"finance", "daily"}, OpenedAt: t0.Add(-time.Duration(i) * time.Minute)}
			got, _, err := openTx(ctx, tx, inc)
			if err != nil {
				return err
			}
			if i%3 == 0 {
				if _, err := tx.ExecContext(ctx, `INSERT INTO sends (incident_id, level, loop, sent_at) VALUES (?, 1, 0, ?)`, got.ID, "2026-03-10T08:00:00.000000Z"); err != nil {
					return err
				}
				if _, err := tx.ExecContext(ctx, `UPDATE incidents SET notified_level = 1, notified_at = '2026-03-10T08:00:00.000000Z' WHERE id = ?`, got.ID); err != nil {
					return err
				}
			}
		}
		for i := range 100 {
			if _, err := insertSilence(ctx, tx, Silence{Matchers: []Matcher{{Field: "owner", Value: fmt.Sprintf("o%d@*", i), Glob: true}},
				StartsAt: t0.Add(-time.Hour), EndsAt: t0.Add(time.Hour)}, t0); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	caused := map[string]bool{}
	for i := range 500 {
		caused[fmt.Sprintf("model.p.m%d", i)] = true
	}
	causeOf := func(_ context.Context, inc Incident) (Cause, bool, error) {
		return Cause{Node: "model.p.root", Kind: queries.CauseUpstreamError}, caused[inc.NodeID], nil
	}
	pol := testPolicy()
	pol.QuietHours = &QuietHours{Start: "22:00", End: "07:00", Location: time.UTC}
	policyFor := func(string) (Policy, bool) { return pol, true }
	b.ResetTimer()
	var decided int
	for b.Loop() {
		ds, err := Engine{Store: store}.Sweep(ctx, t0.Add(3*time.Hour), policyFor, Conditions{CauseOf: causeOf})
		if err != nil {
			b.Fatal(err)
		}
		decided = len(ds)
	}
	if decided == 0 {
		b.Fatal("the sweep decided nothing")
	}
	b.ReportMetric(float64(decided), "decisions/sweep")
}

// BenchmarkMirrorReadsDemo is what one escalation run reads of a 10,000-model demo mirror
// (TODAI_BENCH_DEMO_MIRROR): the current problems, edr monitor's alerts for all of them, whether edr monitor is in
// use.
func BenchmarkMirrorReadsDemo(b *testing.B) {
	ctx := context.Background()
	db := localdbtest.OpenDemoMirror(b)
	m := queries.NewReader(db, queries.ReaderOptions{})
	problems, alerts := 0, 0
	for b.Loop() {
		ps, err := m.Problems(ctx)
		if err != nil {
			b.Fatal(err)
		}
		since := make(map[string]time.Time, len(ps))
		for _, p := range ps {
			since[p.Key] = p.DetectedAt
		}
		found, err := m.ElementaryAlerts(ctx, since)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := m.ElementaryInUse(ctx, time.Now()); err != nil {
			b.Fatal(err)
		}
		problems, alerts = len(ps), len(found)
	}
	b.ReportMetric(float64(problems), "problems")
	b.ReportMetric(float64(alerts), "edr-alerts")
}

// BenchmarkDiagnosedCauseDemo is what grouping by root cause costs a sweep on a 10,000-model demo mirror
// (TODAI_BENCH_DEMO_MIRROR): the diagnosis of every current problem, as an open incident of it is diagnosed, in one
// snapshot of the mirror — after-sync diagnoses them all (the first sweep after a sync that brought new rows: the
// mirror's data generation moved on, the catalog of the definitions stays), after-deploy also loads the catalog (a
// sync that brought new definitions), tick finds them remembered (the minute ticks between syncs). Metrics:
// problems, and those whose cause is another node's failure.
func BenchmarkDiagnosedCauseDemo(b *testing.B) {
	ctx := context.Background()
	db := localdbtest.OpenDemoMirror(b)
	problems, err := queries.NewReader(db, queries.ReaderOptions{}).Problems(ctx)
	if err != nil {
		b.Fatal(err)
	}
	sweep := func(b *testing.B, reader *queries.Reader) (caused int) {
		mirror, release, err := reader.Snapshot(ctx)
		if err != nil {
			b.Fatal(err)
		}
		defer release()
		causeOf := DiagnosedCause(mirror)
		for _, p := range problems {
			_, ok, err := causeOf(ctx, Incident{Kind: Kind(p.Kind), NodeID: p.NodeID, TestID: p.TestID})
			if err != nil {
				b.Fatal(err)
			}
			if ok {
				caused++
			}
		}
		return caused
	}
	b.Run("after-sync", func(b *testing.B) {
		reader := queries.NewReader(db, queries.ReaderOptions{})
		sweep(b, reader)
		caused := 0
		for b.Loop() {
			b.StopTimer()
			localdbtest.NewDataGeneration(b, db) // what a sync that changed rows does to the read model
			b.StartTimer()
			caused = sweep(b, reader)
		}
		b.ReportMetric(float64(len(problems)), "problems")
		b.ReportMetric(float64(caused), "caused")
	})
	b.Run("after-deploy", func(b *testing.B) {
		for b.Loop() {
			sweep(b, queries.NewReader(db, queries.ReaderOptions{}))
		}
	})
	b.Run("tick", func(b *testing.B) {
		reader := queries.NewReader(db, queries.ReaderOptions{})
		sweep(b, reader)
		for b.Loop() {
			sweep(b, reader)
		}
	})
}
