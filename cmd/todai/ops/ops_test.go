package ops

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/todai-dev/todai/bot"
	"github.com/todai-dev/todai/bot/slacktest"
	"github.com/todai-dev/todai/queries"
	"github.com/todai-dev/todai/queries/demo"
	"github.com/todai-dev/todai/queries/localdb"
	"github.com/todai-dev/todai/queries/localdb/localdbtest"
	"github.com/todai-dev/todai/queries/mirror"
	"github.com/todai-dev/todai/queries/source"
	"github.com/todai-dev/todai/queries/statedb"
	"github.com/todai-dev/todai/queries/statedb/statedbtest"
)

// syncedState syncs a small demo warehouse into a new state file and opens it.
func syncedState(t *testing.T) *localdb.DB {
	t.Helper()
	ctx := context.Background()
	wh := filepath.Join(t.TempDir(), "elementary.db")
	if err := demo.Build(ctx, wh, demo.Options{Models: 40, Sources: 6, Days: 3, Now: time.Now().UTC().Truncate(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	db := localdbtest.Open(t, "")
	src, err := source.Open(ctx, "sqlite://"+wh, source.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	if _, err := mirror.New(db, src, mirror.Options{Deriver: &queries.Derived{},
		Logger: slog.New(slog.DiscardHandler)}).Sync(ctx); err != nil {
		t.Fatal(err)
	}
	return db
}

func get(t *testing.T, h http.Handler, path string) (int, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	body, _ := io.ReadAll(rec.Body)
	return rec.Code, string(body)
}

// closedState is a PostgreSQL state whose pool is closed: a server gone.
func closedState(t *testing.T) *statedb.DB {
	t.Helper()
	db := statedbtest.Postgres(t)
	db.Close()
	return db
}

func TestReadyz(t *testing.T) {
	db := syncedState(t)
	fake := slacktest.New(t)
	tests := []struct {
		name     string
		slack    func(h *Handler) // what the bot's client did
		now      time.Time
		maxAge   time.Duration
		state    *statedb.DB // Todai's own state, when not the file's
		socket   *bool       // the bot's Socket Mode connection, when watched
		wantCode int
		want     string
	}{
		{name: "no slack yet", now: time.Now(), maxAge: time.Hour, wantCode: 503, want: "slack: no connection to Slack yet"},
		{name: "ready", now: time.Now(), maxAge: time.Hour, wantCode: 200, want: "ready",
			slack: func(h *Handler) { authTest(t, h, fake, fake.BotToken()) }},
		{name: "slack failing", now: time.Now(), maxAge: time.Hour, wantCode: 503, want: "invalid_auth",
			slack: func(h *Handler) {
				authTest(t, h, fake, fake.BotToken())
				authTest(t, h, fake, "xoxb-wrong")
			}},
		{name: "stale sync", now: time.Now().Add(2 * time.Hour), maxAge: time.Hour, wantCode: 503,
			want: "sync: the last successful sync is", slack: func(h *Handler) { authTest(t, h, fake, fake.BotToken()) }},
		{name: "no warehouse: sync not required", now: time.Now().Add(48 * time.Hour), wantCode: 200, want: "ready",
			slack: func(h *Handler) { authTest(t, h, fake, fake.BotToken()) }},
		{name: "socket mode not connected yet", now: time.Now(), maxAge: time.Hour, wantCode: 503,
			want: "slack: no Socket Mode connection open yet", socket: new(false),
			slack: func(h *Handler) { authTest(t, h, fake, fake.BotToken()) }},
		{name: "socket mode connected", now: time.Now(), maxAge: time.Hour, wantCode: 200, want: "ready",
			socket: new(true), slack: func(h *Handler) { authTest(t, h, fake, fake.BotToken()) }},
		{name: "state in PostgreSQL", now: time.Now(), maxAge: time.Hour, wantCode: 200, want: "ready",
			state: statedbtest.Postgres(t), slack: func(h *Handler) { authTest(t, h, fake, fake.BotToken()) }},
		{name: "state in PostgreSQL gone", now: time.Now(), maxAge: time.Hour, wantCode: 503,
			want: "state: PostgreSQL does not answer", state: closedState(t),
			slack: func(h *Handler) { authTest(t, h, fake, fake.BotToken()) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := New(Options{DB: db, State: tt.state, MaxSyncAge: tt.maxAge, Now: func() time.Time { return tt.now }})
			if tt.slack != nil {
				tt.slack(h)
			}
			if tt.socket != nil {
				h.WatchConnection(func() bool { return *tt.socket })
			}
			code, body := get(t, h, "/readyz")
			if code != tt.wantCode || !strings.Contains(body, tt.want) {
				t.Errorf("/readyz = %d %q, want %d containing %q", code, body, tt.wantCode, tt.want)
			}
			if code, body := get(t, h, "/healthz"); code != 200 || body != "ok\n" {
				t.Errorf("/healthz = %d %q", code, body)
			}
		})
	}
}

// authTest calls auth.test through the ops handler's Slack client, as the bot does when it starts.
func authTest(t *testing.T, h *Handler, fake *slacktest.Slack, token string) {
	t.Helper()
	api := slack.New(token, slack.OptionAPIURL(fake.APIURL()), slack.OptionHTTPClient(h.SlackClient()))
	_, _ = api.AuthTestContext(context.Background())
}

func TestMetrics(t *testing.T) {
	db := syncedState(t)
	ctx := context.Background()
	if _, err := db.Write.ExecContext(ctx, `INSERT INTO digest_slots (team, slot_key, slot_time, claimed_at, claimed_by, posted_at)
		VALUES ('finance', 'k1', 't', 't', 'me', 't'), ('finance', 'k2', 't', 't', 'me', 't'), ('growth', 'k1', 't', 't', 'me', NULL)`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Write.ExecContext(ctx, `INSERT INTO incidents (id, key, team, kind, node_id, status, opened_at, acked_at, resolved_at)
		VALUES (1, 'k', 'finance', 'model', 'model.x', 'resolved', '2026-03-10T09:00:00.000000Z', '2026-03-10T09:10:00.000000Z', '2026-03-10T11:00:00.000000Z'),
		(2, 'k2', 'finance', 'model', 'model.y', 'open', '2026-03-10T09:00:00.000000Z', NULL, NULL);
		INSERT INTO sends (incident_id, level, loop, sent_at) VALUES (1, 1, 0, 't'), (1, 2, 0, 't'), (1, 2, 1, 't')`); err != nil {
		t.Fatal(err)
	}
	fake := slacktest.New(t)
	h := New(Options{DB: db, MaxSyncAge: time.Hour, Version: "dev", Commit: "unknown"})
	api := slack.New(fake.BotToken(), slack.OptionAPIURL(fake.APIURL()), slack.OptionHTTPClient(h.SlackClient()))
	fake.AddChannel(slacktest.Channel{ID: "C0FINANCE1", Name: "data-finance"})
	if _, _, err := api.PostMessageContext(ctx, "C0FINANCE1", slack.MsgOptionText("hi", false)); err != nil {
		t.Fatal(err)
	}
	fake.RateLimitNext("chat.postMessage", 1, time.Millisecond)
	_, _, _ = api.PostMessageContext(ctx, "C0FINANCE1", slack.MsgOptionText("hi", false))
	fake.FailNext("conversations.info", "channel_not_found")
	_, _ = api.GetConversationInfoContext(ctx, &slack.GetConversationInfoInput{ChannelID: "C0FINANCE1"})
	h.Questions().ObserveQuestion("status", "answered", 40*time.Millisecond, 300*time.Millisecond)
	h.Questions().ObserveQuestion("owner", "not_found", 30*time.Millisecond, 200*time.Millisecond)

	code, body := get(t, h, "/metrics")
	if code != 200 {
		t.Fatalf("/metrics = %d", code)
	}
	for _, want := range []string{
		`todai_sync_table_rows_read{table="dbt_models"} `,
		`todai_sync_table_error{table="dbt_models"} 0`,
		`todai_sync_runs_total{outcome="ok"} 1`,
		`todai_sync_run_duration_seconds_count 1`,
		`todai_warehouse_queries_total{kind="metadata"}`,
		`todai_warehouse_queries_total{kind="data"}`,
		`todai_warehouse_query_seconds_total `,
		`todai_sync_last_success_timestamp_seconds`,
		`todai_digests_posted_total{team="finance"} 2`,
		`todai_digests_posted_total{team="growth"} 0`,
		`todai_escalations_sent_total{level="1"} 1`,
		`todai_escalations_sent_total{level="2"} 2`,
		`todai_incident_time_to_acknowledge_seconds_bucket{team="finance",le="900"} 1`,
		`todai_incident_time_to_acknowledge_seconds_bucket{team="finance",le="300"} 0`,
		`todai_incident_time_to_acknowledge_seconds_count{team="finance"} 1`,
		`todai_incident_time_to_resolve_seconds_sum{team="finance"} 7200`,
		`todai_incident_time_to_resolve_seconds_bucket{team="finance",le="14400"} 1`,
		`todai_slack_api_calls_total{code="200",method="chat.postMessage"} 1`,
		`todai_slack_api_calls_total{code="429",method="chat.postMessage"} 1`,
		`todai_slack_api_ratelimited_total{method="chat.postMessage"} 1`,
		`todai_slack_api_errors_total{error="channel_not_found",method="conversations.info"} 1`,
		`todai_questions_total{intent="status",outcome="answered"} 1`,
		`todai_ack_latency_seconds_count 2`,
		`todai_answer_latency_seconds_bucket{le="0.25"} 1`,
		`todai_state_scrape_error 0`,
		`todai_build_info{commit="unknown",version="dev"} 1`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if strings.Contains(body, `todai_sync_table_rows_read{table="dbt_models"} 0`+"\n") {
		t.Error("no rows read for dbt_models")
	}
	if t.Failed() {
		for _, l := range strings.Split(body, "\n") {
			if strings.HasPrefix(l, "todai_") {
				t.Log(l)
			}
		}
	}
}

// TestReadyzProbesSlack: the handler checks Slack itself (auth.test with the bot token) when the bot's own
// connection calls were not seen, so /readyz works whichever HTTP client the bot uses.
func TestReadyzProbesSlack(t *testing.T) {
	db := syncedState(t)
	fake := slacktest.New(t)
	now := time.Now
	handler := func() *Handler {
		cfg := bot.Config{BotToken: fake.BotToken(), APIURL: strings.TrimSuffix(fake.APIURL(), "/")}
		return New(Options{DB: db, MaxSyncAge: time.Hour, Now: now,
			SlackProbe: func(ctx context.Context, c *http.Client) error { return bot.Ping(ctx, cfg, c) }})
	}
	s := handler()
	if code, body := get(t, s, "/readyz"); code != 200 {
		t.Fatalf("/readyz = %d %q", code, body)
	}
	if n := len(fake.Calls("auth.test")); n != 1 {
		t.Errorf("auth.test calls = %d, want 1", n)
	}
	// Seen less than a minute ago: no second probe.
	get(t, s, "/readyz")
	if n := len(fake.Calls("auth.test")); n != 1 {
		t.Errorf("auth.test calls after a second /readyz = %d, want 1", n)
	}
	fake.RevokeTokens()
	now = func() time.Time { return time.Now().Add(2 * time.Minute) }
	s2 := handler()
	if code, body := get(t, s2, "/readyz"); code != 503 || !strings.Contains(body, "invalid_auth") {
		t.Errorf("revoked: /readyz = %d %q", code, body)
	}
}
