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

func TestServe(t *testing.T) {
	fake := slacktest.New(t)
	a := serveApp(t, fake, "sqlite://"+demoWarehouse(t), fake.BotToken())
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cmd := newServeCmd(a)
	cmd.SetArgs([]string{})
	done := make(chan error, 1)
	go func() { done <- cmd.ExecuteContext(ctx) }()

	wait, stop := context.WithTimeout(ctx, 60*time.Second)
	defer stop()
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
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("serve after SIGTERM = %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not stop")
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
