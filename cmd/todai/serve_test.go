package main

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/todai-dev/todai/bot"
	"github.com/todai-dev/todai/bot/slacktest"
	"github.com/todai-dev/todai/cmd/todai/config"
	"github.com/todai-dev/todai/handlers/handlerstest"
	"github.com/todai-dev/todai/queries/demo"
	"github.com/todai-dev/todai/queries/localdb/localdbtest"
	"github.com/todai-dev/todai/queries/statedb"
	"github.com/todai-dev/todai/scheduler"
)

// serveApp is an app configured for `todai serve` against a fake Slack.
func serveApp(t *testing.T, fake *slacktest.Slack, warehouse, botToken string) *app {
	t.Helper()
	t.Setenv("SLACK_APP_TOKEN", "")
	t.Setenv("SLACK_BOT_TOKEN", "")
	t.Setenv("TODAI_SLACK_API_URL", "")
	cfg, err := config.Load("", config.Overrides{Warehouse: warehouse, State: filepath.Join(t.TempDir(), "state.db")})
	if err != nil {
		t.Fatal(err)
	}
	cfg.Sync.Interval.Duration = time.Hour
	cfg.Slack.APIURL = fake.APIURL()
	cfg.Slack.AppToken = fake.AppToken()
	cfg.Slack.BotToken = botToken
	var out bytes.Buffer
	return &app{stdout: &out, stderr: &out, now: time.Now, cfg: cfg, logger: slog.New(slog.DiscardHandler)}
}

// startServe runs `todai serve` in the background; the returned stop shuts it down as SIGTERM would and returns
// its error.
func startServe(t *testing.T, a *app) (stop func() error, done <-chan error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cmd := newServeCmd(a)
	cmd.SetArgs([]string{})
	result := make(chan error, 1)
	go func() { result <- cmd.ExecuteContext(ctx) }()
	stop = func() error {
		cancel()
		select {
		case err := <-result:
			return err
		case <-time.After(20 * time.Second):
			t.Fatal("serve did not stop")
			return nil
		}
	}
	t.Cleanup(func() { cancel() })
	return stop, result
}

func TestServe(t *testing.T) {
	fake := slacktest.New(t)
	a := serveApp(t, fake, "sqlite://"+demoWarehouse(t), fake.BotToken())
	stop, _ := startServe(t, a)

	wait, cancelWait := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancelWait()
	// The first sync runs in the background: until it lands the bot says so; then it answers.
	for i := 0; ; i++ {
		rid := "serve" + string(rune('a'+i%26)) + time.Now().Format("150405.000000")
		fake.SendSlashCommand(slacktest.SlashCommand{Text: "status fct_orders", UserID: "U1", ChannelID: "C1",
			ResponseURL: fake.ResponseURL(rid)})
		p, err := fake.WaitPost(wait, func(p slacktest.Post) bool { return p.ResponseID == rid })
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(p.AllText(), "model.kumo.fct_orders") {
			break
		}
		if !strings.Contains(p.AllText(), "No data yet") {
			t.Fatalf("unexpected answer before the first sync:\n%s", p.AllText())
		}
		select {
		case <-wait.Done():
			t.Fatal("the background sync never landed")
		case <-time.After(200 * time.Millisecond):
		}
	}
	if err := stop(); err != nil {
		t.Errorf("serve after SIGTERM = %v", err)
	}
}

func TestServeRefusesBadTokens(t *testing.T) {
	fake := slacktest.New(t)
	tests := []struct {
		name, botToken, want string
		auth                 bool
	}{
		{name: "missing", botToken: "", want: "SLACK_BOT_TOKEN"},
		{name: "wrong kind", botToken: "xoxp-user", want: "must start with xoxb-"},
		{name: "revoked", botToken: "xoxb-revoked", want: "invalid_auth", auth: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := serveApp(t, fake, "", tt.botToken)
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			cmd := newServeCmd(a)
			cmd.SetArgs([]string{})
			err := cmd.ExecuteContext(ctx)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("serve = %v, want %q", err, tt.want)
			}
			if tt.auth != errors.Is(err, bot.ErrAuth) {
				t.Errorf("errors.Is(err, ErrAuth) = %v", !tt.auth)
			}
		})
	}
}

// scheduledDigestConfig gives finance (owned by @jane and ana@acme.com) a digest every day at 09:00 UTC.
const scheduledDigestConfig = `teams:
  - name: finance
    channel: C0FINANCE
    owners: ["@jane", "ana@acme.com"]
    digest: {schedule: "0 9 * * *", timezone: UTC}
`

// TestServePostsTheScheduledDigest runs `todai serve` three times over one state file, as a deployment restarting
// would: before the 09:00 slot, just after it (the first chat.postMessage answered 429), and again a few minutes
// later. The digest goes out once, through the bot's Poster, with both owners mentioned as Slack users.
func TestServePostsTheScheduledDigest(t *testing.T) {
	clock := &fakeClock{t: time.Date(2026, 12, 3, 8, 59, 0, 0, time.UTC)}

	f := demo.NewFixture("shop")
	orders := f.Model("orders", demo.Values{"owner": `["@jane", "ana@acme.com"]`})
	notNull := f.Test("not_null_orders_id", "not_null", orders, nil)
	inv := f.Invocation("test", clock.Now().Add(-30*time.Minute), nil)
	f.TestResult(inv, notNull, orders, "fail", clock.Now().Add(-30*time.Minute), demo.Values{"column_name": "id"})
	wh := newFixtureWarehouse(t, f)

	fake := slacktest.New(t)
	fake.AddUser(slacktest.User{ID: "U0JANE", Name: "jane"})
	fake.AddUser(slacktest.User{ID: "U0ANA", Name: "ana", Email: "ana@acme.com"})
	fake.AddChannel(slacktest.Channel{ID: "C0FINANCE", Name: "data-finance", Members: []string{"U0ANA", "U0JANE"}})
	dir := t.TempDir()
	digests := func() []slacktest.Post {
		var out []slacktest.Post
		for _, p := range fake.Posts() {
			if p.Method == "chat.postMessage" && p.Channel == "C0FINANCE" {
				out = append(out, p)
			}
		}
		return out
	}
	// serveUntil runs `todai serve` until the log shows want, then stops it.
	serveUntil := func(want string) {
		t.Helper()
		logs := &handlerstest.LogBuffer{}
		a := configuredApp(t, fake, wh.path, dir, scheduledDigestConfig, clock.Now, logs, slog.LevelDebug)
		stop, done := startServe(t, a)
		deadline := time.After(60 * time.Second)
		for !strings.Contains(logs.String(), want) {
			select {
			case err := <-done:
				t.Fatalf("serve ended before %q: %v\nlogs:\n%s", want, err, logs.String())
			case <-deadline:
				t.Fatalf("no %q in the logs:\n%s", want, logs.String())
			case <-time.After(20 * time.Millisecond):
			}
		}
		if err := stop(); err != nil {
			t.Fatalf("serve: %v\nlogs:\n%s", err, logs.String())
		}
	}

	// 08:59: the first start syncs and looks after finance's digest from now on; no slot is due.
	serveUntil("serve: synced")
	if n := len(digests()); n != 0 {
		t.Fatalf("%d digests before the slot", n)
	}

	// 09:01: the restart finds the 09:00 slot due and posts it; Slack answers the first attempt 429.
	clock.Set(time.Date(2026, 12, 3, 9, 1, 0, 0, time.UTC))
	fake.RateLimitNext("chat.postMessage", 1, time.Second)
	serveUntil("scheduler: digest posted")
	posted := digests()
	if len(posted) != 1 {
		t.Fatalf("%d digests posted, want 1", len(posted))
	}
	if calls := fake.Calls("chat.postMessage"); len(calls) != 2 {
		t.Errorf("chat.postMessage called %d times, want 2 (429, then delivered)", len(calls))
	}
	text := posted[0].AllText()
	for _, want := range []string{"<@U0JANE>", "<@U0ANA>", "not_null_orders_id"} {
		if !strings.Contains(text, want) {
			t.Errorf("digest lacks %s:\n%s", want, text)
		}
	}
	if strings.Contains(text, "ana@acme.com") || strings.Contains(text, "@jane") {
		t.Errorf("digest names an owner as plain text:\n%s", text)
	}

	// 09:04: another restart sees the slot taken and posts nothing.
	clock.Set(time.Date(2026, 12, 3, 9, 4, 0, 0, time.UTC))
	serveUntil("scheduler: digest slot already taken")
	if n := len(digests()); n != 1 {
		t.Errorf("%d digests after the second restart, want 1", n)
	}

	db := localdbtest.Open(t, filepath.Join(dir, "state.db"))
	totals, err := scheduler.Digests(context.Background(), statedb.FromLocal(db))
	if err != nil || len(totals) != 1 || totals[0].Posted != 1 || totals[0].Failed != 0 {
		t.Errorf("digest slots = %+v, %v; want finance posted once", totals, err)
	}
}
