package bot

import (
	"context"
	"testing"
	"time"

	"github.com/todai-dev/todai/bot/slackui"
	"github.com/todai-dev/todai/handlers"
	"github.com/todai-dev/todai/queries"
	"github.com/todai-dev/todai/queries/demo"
	"github.com/todai-dev/todai/queries/localdb/localdbtest"
)

// BenchmarkAnswerUnderAlertDemo answers "is this urgent?" under an alert of two days ago, as the bot does — the
// answer in one snapshot, the alert's run and what happened since, rendered for Slack — for the demo's failing
// test, anomaly test, flaky test, errored model and stale source; "after_sync" makes each answer the first after a
// sync (nothing the read model remembers of the rows holds). TODAI_BENCH_DEMO_MIRROR is the mirror (10,000-model
// demo).
func BenchmarkAnswerUnderAlertDemo(b *testing.B) {
	ctx := context.Background()
	db := localdbtest.OpenDemoMirror(b)
	now := time.Now()
	r := queries.NewReader(db, queries.ReaderOptions{Now: func() time.Time { return now }})
	alert := &handlers.AlertAt{At: now.Add(-48 * time.Hour), Failing: true}
	for _, node := range []string{demo.StoryFailingTestID, demo.StoryAnomalyTestID, demo.StoryFlakyTestID,
		demo.StoryErroredModelID, demo.StoryStaleSourceID} {
		ask := func(b *testing.B) {
			q := handlers.Question{Intent: handlers.IntentUrgent, Node: node, Lang: handlers.LangEN, Alert: alert,
				Limit: handlers.DefaultLimit}
			res := handlers.Ask(ctx, r, q, now)
			if res.Err != nil || res.Alert == nil {
				b.Fatalf("%s: %+v", node, res.Err)
			}
			if msg := slackui.Answer(res, slackui.Options{Now: now}); len(msg.Blocks) == 0 {
				b.Fatalf("%s: no blocks", node)
			}
		}
		ask(b) // the catalog, read once per definition change
		b.Run(node+"/remembered", func(b *testing.B) {
			for b.Loop() {
				ask(b)
			}
		})
		b.Run(node+"/after_sync", func(b *testing.B) {
			for b.Loop() {
				b.StopTimer()
				localdbtest.NewDataGeneration(b, db)
				b.StartTimer()
				ask(b)
			}
		})
	}
}
