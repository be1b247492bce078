package bot

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/todai-dev/todai/bot/slacktest"
	"github.com/todai-dev/todai/bot/slackui"
	"github.com/todai-dev/todai/queries"
	"github.com/todai-dev/todai/queries/localdb"
	"github.com/todai-dev/todai/scheduler/escalation"
)

// BenchmarkIncidentClicks sends batches of 200 incident clicks at once (200 in flight) through the real protocol:
// for 200 open incidents of one team (on 200 of the mirror's models), each batch sets every incident's severity from its menu (each click a change:
// the store's, the message rewritten in place, one thread line), and the first batch's clicks also take them. It
// reports the p99 of the ack (also past the first batch, which loads the catalog) and of the change's thread line,
// posted. The state is TODAI_BENCH_DEMO_MIRROR's copy
// when set, else a 300-model demo's, with the incidents in its SQLite store.
func BenchmarkIncidentClicks(b *testing.B) {
	const inFlight = 200
	template := os.Getenv("TODAI_BENCH_DEMO_MIRROR")
	if template == "" {
		template = benchMirror.build(b, 300)
	}
	ctx := context.Background()
	fake := slacktest.New(b, slacktest.WithPingInterval(time.Second))
	fake.AddChannel(slacktest.Channel{ID: "C0BENCH", Name: "data-bench"})
	db := copyMirror(b, template)
	store := escalation.NewStore(db)
	models, err := localdb.Collect(ctx, db.Read, "bench models", `SELECT unique_id FROM nodes
		WHERE resource_type = 'model' ORDER BY unique_id LIMIT ?`, []any{inFlight},
		func(rows *sql.Rows) (string, error) {
			var id string
			return id, rows.Scan(&id)
		})
	if err != nil || len(models) < inFlight {
		b.Fatalf("%d models in the mirror (need %d): %v", len(models), inFlight, err)
	}
	incidents := make([]escalation.Incident, inFlight)
	opened := time.Now().UTC().Add(-time.Hour)
	for i, model := range models {
		inc, _, err := store.Open(ctx, escalation.Incident{Key: model, Team: "bench", Kind: escalation.KindModel,
			NodeID: model, InvocationID: "inv", DetectedAt: opened, OpenedAt: opened})
		if err != nil {
			b.Fatal(err)
		}
		ts := fake.AddMessage("C0BENCH", slacktest.Message{Text: fmt.Sprintf("incident %d", i)})
		if err := store.SetMessages(ctx, []escalation.SendKey{{Incident: inc.ID, Level: 1}}, escalation.MessageRef{Channel: "C0BENCH", TS: ts}); err != nil {
			b.Fatal(err)
		}
		inc.Message = escalation.MessageRef{Channel: "C0BENCH", TS: ts}
		incidents[i] = inc
	}
	r := queries.NewReader(db, queries.ReaderOptions{})
	bot := New(Config{APIURL: fake.APIURL(), AppToken: fake.AppToken(), BotToken: fake.BotToken(),
		PingInterval: 30 * time.Second, PostInterval: time.Nanosecond, Workers: 4, Queue: 2 * inFlight},
		Deps{Reader: r, DB: db, Incidents: store, Mentioner: &mapMentioner{},
			Teams: Teams{{Name: "bench", Channel: "C0BENCH", Members: []string{"U0BENCH"}}}})
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- bot.Run(runCtx) }()
	wait, stop := context.WithTimeout(runCtx, 10*time.Minute)
	defer stop()
	if err := fake.WaitConnections(wait, 1); err != nil {
		b.Fatal(err)
	}
	runtime.GC()
	var acks, applied []time.Duration
	b.ResetTimer()
	for n := range b.N {
		severity := escalation.Priorities()[n%len(escalation.Priorities())]
		sent, byEnv := map[string]time.Time{}, map[string]time.Time{}
		start := time.Now()
		for _, inc := range incidents {
			id := strconv.FormatInt(inc.ID, 10)
			act := slacktest.Action{ActionID: slackui.ActionIncidentSeverity + "_" + id, Type: "static_select",
				BlockID: "todai_inc_actions_" + id, SelectedOption: id + ":" + string(severity)}
			if n == 0 {
				act = slacktest.Action{ActionID: slackui.ActionIncidentTake, Value: id}
			}
			now := time.Now()
			env := fake.SendBlockAction(slacktest.BlockAction{UserID: "U0BENCH", ChannelID: "C0BENCH", MessageTS: inc.Message.TS,
				Actions: []slacktest.Action{act}})
			sent[inc.Message.TS], byEnv[env] = now, now
		}
		got := 0
		if _, err := fake.WaitPost(wait, func(p slacktest.Post) bool {
			if t0, ok := sent[p.ThreadTS]; ok && p.Method == "chat.postMessage" && p.Time.After(start) {
				applied = append(applied, p.Time.Sub(t0))
				delete(sent, p.ThreadTS)
				got++
			}
			return got == inFlight
		}); err != nil {
			b.Fatalf("batch %d: %d of %d changes said: %v", n, got, inFlight, err)
		}
		all := fake.Acks()
		for _, a := range all[max(0, len(all)-inFlight-10):] {
			if t0, ok := byEnv[a.EnvelopeID]; ok {
				acks = append(acks, a.Time.Sub(t0))
			}
		}
	}
	b.StopTimer()
	cancel()
	if err := <-done; err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(p99(acks).Seconds()*1000, "ack_p99_ms")
	b.ReportMetric(p99(acks[min(len(acks), inFlight):]).Seconds()*1000, "ack_p99_after_first_batch_ms")
	b.ReportMetric(p99(applied).Seconds()*1000, "applied_p99_ms")
	b.ReportMetric(quantile(applied, 50).Seconds()*1000, "applied_p50_ms")
	b.ReportMetric(float64(b.N*inFlight), "clicks")
	if len(acks) != b.N*inFlight {
		b.Errorf("%d acks measured for %d clicks", len(acks), b.N*inFlight)
	}
	for _, inc := range incidents {
		got, err := store.Get(ctx, inc.ID)
		if err != nil || got.Assignee != "U0BENCH" || (b.N > 1 && got.Priority == "") {
			b.Errorf("incident %d after the clicks: %+v, %v", inc.ID, got, err)
		}
	}
}
