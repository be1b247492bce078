package queries

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/todai-dev/todai/queries/demo"
	"github.com/todai-dev/todai/queries/localdb"
)

// BenchmarkIntentsDemo measures every intent on a mirror synced from the demo warehouse, with the demo's story
// names: set TODAI_BENCH_DEMO_MIRROR to the state file of `todai demo --models 10000` (or of a `todai sync` of a
// warehouse built with `todai demo --models 10000 --out FILE`). Skipped when unset.
func BenchmarkIntentsDemo(b *testing.B) {
	ctx := context.Background()
	db := openDemoMirror(b)
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
}

// openDemoMirror opens the mirror named by TODAI_BENCH_DEMO_MIRROR (a state file synced from a 10,000-model demo
// warehouse), closed when the benchmark ends; the benchmark is skipped when the variable is unset.
func openDemoMirror(b *testing.B) *localdb.DB {
	b.Helper()
	path := os.Getenv("TODAI_BENCH_DEMO_MIRROR")
	if path == "" {
		b.Skip("set TODAI_BENCH_DEMO_MIRROR to a mirror synced from a 10,000-model demo warehouse")
	}
	db, err := localdb.Open(context.Background(), path)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	return db
}
