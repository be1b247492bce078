package bot

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/todai-dev/todai/bot/slacktest"
	"github.com/todai-dev/todai/queries"
)

// BenchmarkSlashCommands sends batches of 200 slash commands at once (200 in flight) through the real protocol and
// reports the p99 of ack latency and of answer-posted latency, and the goroutines before and after. Run it with
// -benchtime=50x for 10,000 commands. The mirror is TODAI_BENCH_DEMO_MIRROR (a synced mirror file, e.g. of the
// 10,000-model demo) when set, else a 300-model demo.
func BenchmarkSlashCommands(b *testing.B) {
	const inFlight = 200
	template := os.Getenv("TODAI_BENCH_DEMO_MIRROR")
	if template == "" {
		template = benchMirror.build(b, 300)
	}
	fake := slacktest.New(b, slacktest.WithPingInterval(time.Second))
	db := copyMirror(b, template)
	r := queries.NewReader(db, queries.ReaderOptions{})
	if _, err := r.Status(context.Background(), "fct_orders"); err != nil { // warm the catalog
		b.Fatal(err)
	}
	bot := New(Config{APIURL: fake.APIURL(), AppToken: fake.AppToken(), BotToken: fake.BotToken(),
		PingInterval: 30 * time.Second, PostInterval: time.Nanosecond, Workers: 8, Queue: 2 * inFlight},
		Deps{Reader: r, DB: db, Mentioner: &mapMentioner{}})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- bot.Run(ctx) }()
	wait, stop := context.WithTimeout(ctx, 10*time.Minute)
	defer stop()
	if err := fake.WaitConnections(wait, 1); err != nil {
		b.Fatal(err)
	}
	runtime.GC()
	before := runtime.NumGoroutine()
	var acks, answers []time.Duration
	seq := 0
	b.ResetTimer()
	for range b.N {
		sent := map[string]time.Time{}
		byEnv := map[string]time.Time{}
		for range inFlight {
			seq++
			rid := fmt.Sprintf("b%d", seq)
			now := time.Now()
			env := fake.SendSlashCommand(slacktest.SlashCommand{Text: "status fct_orders", UserID: "U1",
				ChannelID: fmt.Sprintf("C%d", seq%50), ResponseURL: fake.ResponseURL(rid)})
			sent[rid], byEnv[env] = now, now
		}
		got := 0
		if _, err := fake.WaitPost(wait, func(p slacktest.Post) bool {
			if t0, ok := sent[p.ResponseID]; ok {
				answers = append(answers, p.Time.Sub(t0))
				got++
			}
			return got == inFlight
		}); err != nil {
			b.Fatal(err)
		}
		all := fake.Acks()
		for _, a := range all[max(0, len(all)-inFlight-10):] {
			if t0, ok := byEnv[a.EnvelopeID]; ok {
				acks = append(acks, a.Time.Sub(t0))
			}
		}
	}
	b.StopTimer()
	runtime.GC()
	after := runtime.NumGoroutine()
	cancel()
	if err := <-done; err != nil {
		b.Fatal(err)
	}
	stopped := runtime.NumGoroutine()
	b.ReportMetric(p99(acks).Seconds()*1000, "ack_p99_ms")
	b.ReportMetric(p99(answers).Seconds()*1000, "answer_p99_ms")
	b.ReportMetric(quantile(answers, 50).Seconds()*1000, "answer_p50_ms")
	b.ReportMetric(quantile(answers[min(len(answers), inFlight):], 99).Seconds()*1000, "answer_p99_after_first_batch_ms")
	b.ReportMetric(float64(before), "goroutines_before")
	b.ReportMetric(float64(after), "goroutines_after")
	b.ReportMetric(float64(stopped), "goroutines_stopped")
	b.ReportMetric(float64(b.N*inFlight), "commands")
	if len(acks) != b.N*inFlight {
		b.Errorf("%d acks measured for %d commands", len(acks), b.N*inFlight)
	}
}

func p99(d []time.Duration) time.Duration { return quantile(d, 99) }

// quantile returns the q-th percentile of d.
func quantile(d []time.Duration, q int) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	return s[(len(s)*q)/100]
}
