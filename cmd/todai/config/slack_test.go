package config

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestSlackSection(t *testing.T) {
	t.Setenv("SLACK_APP_TOKEN", "xapp-from-env")
	t.Setenv("SLACK_BOT_TOKEN", "xoxb-from-env")
	t.Setenv("TODAI_SLACK_API_URL", "")
	t.Setenv("MY_BOT", "xoxb-expanded")
	tests := []struct {
		name    string
		yaml    string
		check   func(t *testing.T, c *Config)
		problem string // substring of the error; "" for none
	}{
		{name: "defaults and env", yaml: "locale: en\n", check: func(t *testing.T, c *Config) {
			s := c.Slack
			if s.AppToken != "xapp-from-env" || s.BotToken != "xoxb-from-env" || s.Command != "/todai" ||
				s.Workers != DefaultSlackWorkers || s.Queue != DefaultSlackQueue || c.Sync.Interval.Duration != 10*time.Minute {
				t.Errorf("defaults: %+v interval %v", s, c.Sync.Interval)
			}
		}},
		{name: "file values", yaml: "sync: {interval: 5m}\nslack:\n  bot_token: ${MY_BOT}\n  command: /lighthouse\n  admins: [U0ADMIN1]\n  report_url: https://report.example.com\n  workers: 8\n  queue: 50\n  mentions: {finance-team: \"<!subteam^S1>\"}\n",
			check: func(t *testing.T, c *Config) {
				s := c.Slack
				if s.BotToken != "xoxb-expanded" || s.Command != "/lighthouse" || len(s.Admins) != 1 || s.Workers != 8 ||
					s.Queue != 50 || s.Mentions["finance-team"] != "<!subteam^S1>" || c.Sync.Interval.Duration != 5*time.Minute {
					t.Errorf("values: %+v", s)
				}
				if err := s.CheckTokens(); err != nil {
					t.Errorf("CheckTokens: %v", err)
				}
			}},
		{name: "bot token prefix", yaml: "slack: {bot_token: xoxp-user-token}\n", problem: "$.slack.bot_token: the bot token must start with xoxb-"},
		{name: "app token prefix", yaml: "slack: {app_token: xoxb-swapped}\n", problem: "$.slack.app_token"},
		{name: "command", yaml: "slack: {command: todai}\n", problem: "$.slack.command"},
		{name: "admin id", yaml: "slack: {admins: [alice]}\n", problem: "$.slack.admins[0]"},
		{name: "api url", yaml: "slack: {api_url: \"ftp://x\"}\n", problem: "$.slack.api_url"},
		{name: "interval", yaml: "sync: {interval: soon}\n", problem: "$.sync.interval"},
		{name: "unknown key", yaml: "slack: {tokn: x}\n", problem: "tokn"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse("todai.yaml", []byte(tt.yaml))
			if tt.problem != "" {
				if err == nil || !strings.Contains(err.Error(), tt.problem) {
					t.Fatalf("error = %v, want %q", err, tt.problem)
				}
				if strings.Contains(err.Error(), "xoxp-user-token") || strings.Contains(err.Error(), "xoxb-swapped") {
					t.Errorf("a token is echoed: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, c)
		})
	}
}

func TestSlackCheckTokens(t *testing.T) {
	tests := []struct {
		s    Slack
		want string
	}{
		{Slack{AppToken: "xapp-1", BotToken: "xoxb-1"}, ""},
		{Slack{BotToken: "xoxb-1"}, "SLACK_APP_TOKEN"},
		{Slack{AppToken: "xapp-1"}, "SLACK_BOT_TOKEN"},
		{Slack{AppToken: "xoxb-1", BotToken: "xapp-1"}, "must start with xapp-"},
	}
	for _, tt := range tests {
		err := tt.s.CheckTokens()
		if (tt.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tt.want)) {
			t.Errorf("CheckTokens(%+v) = %v, want %q", tt.s, err, tt.want)
		}
		if err != nil && errors.Unwrap(err) != nil {
			t.Errorf("unexpected wrapping: %v", err)
		}
	}
}
