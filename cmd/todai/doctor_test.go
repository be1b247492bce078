package main

import (
	"context"
	"database/sql"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/todai-dev/todai/bot"
	"github.com/todai-dev/todai/bot/slacktest"
	"github.com/todai-dev/todai/queries/elementary"
)

// scopedSlack puts a proxy in front of the fake Slack that answers auth.test with the X-OAuth-Scopes header
// Slack sends, listing scopes.
func scopedSlack(t *testing.T, fake *slacktest.Slack, scopes []string) string {
	t.Helper()
	target, err := url.Parse(fake.URL())
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(target)
	proxy.ModifyResponse = func(r *http.Response) error {
		if strings.HasSuffix(r.Request.URL.Path, "/auth.test") {
			r.Header.Set("X-OAuth-Scopes", strings.Join(scopes, ","))
		}
		return nil
	}
	srv := httptest.NewServer(proxy)
	t.Cleanup(srv.Close)
	return srv.URL + "/api/"
}

// doctorSetup is one doctor run's world: a config file, a synced state, the demo warehouse and a fake Slack.
type doctorSetup struct {
	dir, warehouse, state, apiURL, botToken, appToken, channel, schedule string
	fake                                                                 *slacktest.Slack
}

func newDoctorSetup(t *testing.T, wh string) *doctorSetup {
	t.Helper()
	fake := slacktest.New(t)
	fake.AddChannel(slacktest.Channel{ID: "C0FINANCE1", Name: "data-finance", Members: []string{"U0ALICE", fake.BotUserID()}})
	s := &doctorSetup{dir: t.TempDir(), warehouse: "sqlite://" + wh, fake: fake,
		apiURL: scopedSlack(t, fake, bot.ManifestScopes()), botToken: fake.BotToken(), appToken: fake.AppToken(),
		channel: "C0FINANCE1", schedule: "0 9 * * 1-5"}
	s.state = filepath.Join(s.dir, "state.db")
	t.Setenv("SLACK_APP_TOKEN", "")
	t.Setenv("SLACK_BOT_TOKEN", "")
	t.Setenv("TODAI_SLACK_API_URL", "")
	t.Setenv("TODAI_CONFIG", "")
	t.Setenv("TODAI_WAREHOUSE", "")
	t.Setenv("TODAI_STATE", "")
	return s
}

func (s *doctorSetup) write(t *testing.T) string {
	t.Helper()
	y := `warehouse:
  url: "` + s.warehouse + `"
state:
  path: "` + s.state + `"
slack:
  api_url: "` + s.apiURL + `"
  bot_token: "` + s.botToken + `"
  app_token: "` + s.appToken + `"
teams:
  - name: finance
    channel: "` + s.channel + `"
    owners: ["@alice"]
    digest:
      schedule: "` + s.schedule + `"
      timezone: Asia/Tokyo
`
	path := filepath.Join(s.dir, "todai.yaml")
	if err := os.WriteFile(path, []byte(y), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestDoctor(t *testing.T) {
	wh := demoWarehouse(t)
	tests := []struct {
		name  string
		setup func(t *testing.T, s *doctorSetup)
		ok    bool
		want  []string // in the output
		check func(t *testing.T, s *doctorSetup)
	}{
		{name: "healthy", ok: true, want: []string{"✓ ", "schema current", "Elementary tables with every column",
			"newest data is", "bot token has the", "exists and the bot is a member", "digest \"0 9 * * 1-5\" (Asia/Tokyo), next", "0 failed",
			"every meta.runbook in the project is a link"}},
		{name: "runbook that is not a link", ok: true, setup: func(t *testing.T, s *doctorSetup) {
			s.warehouse = "sqlite://" + alteredWarehouse(t, wh, `UPDATE dbt_models SET meta = '{"runbook": "call Bob"}'
				WHERE rowid = (SELECT min(rowid) FROM dbt_models)`)
			s.state = filepath.Join(t.TempDir(), "state.db")
			if code, out, errOut := cli(t, "--warehouse", s.warehouse, "--state", s.state, "sync"); code != 0 {
				t.Fatalf("sync: %s %s", out, errOut)
			}
		}, want: []string{`meta.runbook "call Bob" is not a link, so it is not shown`, "fix: write an http(s) URL", "0 failed"}},
		{name: "bad config", setup: func(t *testing.T, s *doctorSetup) { s.channel = "not a channel!" },
			want: []string{"✗ ", "teams[0].channel", "fix: edit the file", "need a valid configuration"}},
		{name: "bad cron spec", setup: func(t *testing.T, s *doctorSetup) { s.schedule = "0 25 * * *" },
			want: []string{"✗ ", "digest.schedule", "fix:"}},
		{name: "unwritable state", setup: func(t *testing.T, s *doctorSetup) {
			blocker := filepath.Join(s.dir, "a-file")
			if err := os.WriteFile(blocker, nil, 0o600); err != nil {
				t.Fatal(err)
			}
			s.state = filepath.Join(blocker, "state.db")
		}, want: []string{"is not writable", "fix: make the directory writable"}},
		{name: "missing warehouse", setup: func(t *testing.T, s *doctorSetup) {
			s.warehouse = "postgres://todai@127.0.0.1:1/nowhere?connect_timeout=2"
		}, want: []string{"✗ ", "fix: check"}},
		{name: "missing table", setup: func(t *testing.T, s *doctorSetup) {
			s.warehouse = "sqlite://" + alteredWarehouse(t, wh, `DROP TABLE dbt_invocations`)
		}, want: []string{"dbt_invocations was synced before, but sqlite file", "no longer shows it to Todai",
			"fix: the table dbt_invocations is gone from"}},
		{name: "missing column", setup: func(t *testing.T, s *doctorSetup) {
			s.warehouse = "sqlite://" + alteredWarehouse(t, wh, `ALTER TABLE dbt_models DROP COLUMN unique_id`)
		}, want: []string{"dbt_models lacks column unique_id"}},
		{name: "revoked token", setup: func(t *testing.T, s *doctorSetup) { s.fake.RevokeTokens() },
			want: []string{"bot token: auth.test: invalid_auth", "app token: auth.test: invalid_auth", "fix: the token was revoked"}},
		{name: "missing scope", setup: func(t *testing.T, s *doctorSetup) {
			s.apiURL = scopedSlack(t, s.fake, []string{"chat:write", "commands"})
		}, want: []string{"bot token lacks scopes: app_mentions:read", "reinstall it"}},
		{name: "channel missing", setup: func(t *testing.T, s *doctorSetup) { s.channel = "C0NOWHERE1" },
			want: []string{"conversations.info: channel_not_found"}},
		{name: "bot not a member", setup: func(t *testing.T, s *doctorSetup) {
			s.fake.AddChannel(slacktest.Channel{ID: "C0OTHER01", Name: "other", Members: []string{"U0ALICE"}})
			s.channel = "C0OTHER01"
		}, want: []string{"(#other): the bot is not a member", "/invite @todai"}},
		{name: "channel by name", setup: func(t *testing.T, s *doctorSetup) { s.channel = "#data-finance" }, ok: true,
			want: []string{"✓ team finance: channel #data-finance (C0FINANCE1) exists and the bot is a member", "0 failed"},
			check: func(t *testing.T, s *doctorSetup) {
				calls := s.fake.Calls("conversations.list")
				if len(calls) != 1 {
					t.Fatalf("conversations.list calls = %d, want 1", len(calls))
				}
				f := calls[0].Form
				if f.Get("types") != "public_channel,private_channel" || f.Get("exclude_archived") != "true" {
					t.Errorf("conversations.list form = %v", f)
				}
				if info := s.fake.Calls("conversations.info"); len(info) != 1 || info[0].Form.Get("channel") != "C0FINANCE1" {
					t.Errorf("conversations.info calls = %+v, want one for C0FINANCE1", info)
				}
			}},
		{name: "unknown channel name", setup: func(t *testing.T, s *doctorSetup) { s.channel = "#nowhere" },
			want: []string{"✗ team finance: channel #nowhere: no channel of that name is visible to the bot",
				"fix: create the channel or fix teams[].channel"},
			check: func(t *testing.T, s *doctorSetup) {
				if n := len(s.fake.Calls("conversations.info")); n != 0 {
					t.Errorf("conversations.info called %d times for an unknown name", n)
				}
			}},
		{name: "private channel name", setup: func(t *testing.T, s *doctorSetup) {
			s.fake.AddChannel(slacktest.Channel{ID: "G0PRIVFIN1", Name: "data-private", IsPrivate: true,
				Members: []string{"U0ALICE", s.fake.BotUserID()}})
			s.channel = "#data-private"
		}, ok: true, want: []string{"✓ team finance: channel #data-private (G0PRIVFIN1) exists and the bot is a member"}},
		{name: "private channel name without the bot", setup: func(t *testing.T, s *doctorSetup) {
			s.fake.AddChannel(slacktest.Channel{ID: "G0PRIVFIN2", Name: "data-secret", IsPrivate: true,
				Members: []string{"U0ALICE"}})
			s.channel = "#data-secret"
		}, want: []string{"channel #data-secret: no channel of that name is visible", "invite the bot first (/invite @todai)"}},
		{name: "archived channel name", setup: func(t *testing.T, s *doctorSetup) {
			s.fake.AddChannel(slacktest.Channel{ID: "C0OLDFIN1", Name: "old-finance", IsArchived: true,
				Members: []string{s.fake.BotUserID()}})
			s.channel = "#old-finance"
		}, want: []string{"channel #old-finance: no channel of that name is visible", "archived channels do not count"}},
		{name: "channel list refused", setup: func(t *testing.T, s *doctorSetup) {
			s.channel = "#data-finance"
			s.fake.FailNext("conversations.list", "missing_scope")
		}, want: []string{"channel #data-finance: cannot resolve the name:", "conversations.list: missing_scope",
			"fix: grant channels:read and groups:read"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newDoctorSetup(t, wh)
			if tt.name != "missing warehouse" {
				// A synced mirror, so that the data age passes.
				if code, out, errOut := cli(t, "--warehouse", "sqlite://"+wh, "--state", s.state, "sync"); code != 0 {
					t.Fatalf("sync: %s %s", out, errOut)
				}
			}
			if tt.setup != nil {
				tt.setup(t, s)
			}
			cfgFile := s.write(t)
			code, out, errOut := cli(t, "--config", cfgFile, "doctor")
			if (code == 0) != tt.ok {
				t.Errorf("exit %d, want ok=%v\n%s\n%s", code, tt.ok, out, errOut)
			}
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
			if tt.ok && strings.Contains(out, "✗") {
				t.Errorf("a passing run shows a failure:\n%s", out)
			}
			if strings.Contains(out, "given by name") {
				t.Errorf("a channel name is no longer only warned about:\n%s", out)
			}
			if tt.check != nil {
				tt.check(t, s)
			}
		})
	}
}

// alteredWarehouse copies the demo warehouse and runs stmt on the copy.
func alteredWarehouse(t *testing.T, wh, stmt string) string {
	t.Helper()
	data, err := os.ReadFile(wh)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "altered.db")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite3", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.ExecContext(context.Background(), stmt); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestDoctorTableAppearingLater: before edr monitor's first run there is no alerts_v2; doctor says so without
// failing, and once the table appears the next sync picks it up and doctor counts it.
func TestDoctorTableAppearingLater(t *testing.T) {
	wh := alteredWarehouse(t, demoWarehouse(t), `DROP TABLE alerts_v2`)
	s := newDoctorSetup(t, wh)
	if code, out, errOut := cli(t, "--warehouse", "sqlite://"+wh, "--state", s.state, "sync"); code != 0 {
		t.Fatalf("sync: %s %s", out, errOut)
	}
	cfg := s.write(t)
	code, out, _ := cli(t, "--config", cfg, "doctor")
	if code != 0 || !strings.Contains(out, "alerts_v2 is not there yet") {
		t.Fatalf("doctor before edr monitor ran (exit %d):\n%s", code, out)
	}
	db, err := sql.Open("sqlite3", wh)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	tab, _ := elementary.Lookup("alerts_v2")
	if _, err := db.Exec(elementary.CreateTableSQL(elementary.SQLite, "", tab)); err != nil {
		t.Fatal(err)
	}
	if code, out, errOut := cli(t, "--warehouse", "sqlite://"+wh, "--state", s.state, "sync"); code != 0 {
		t.Fatalf("sync after alerts_v2 appeared: %s %s", out, errOut)
	}
	code, out, _ = cli(t, "--config", cfg, "doctor")
	if code != 0 || strings.Contains(out, "alerts_v2 is not there yet") {
		t.Fatalf("doctor after alerts_v2 appeared (exit %d):\n%s", code, out)
	}
	if code, out, _ := cli(t, "--state", s.state, "sync", "--status"); code != 0 || !strings.Contains(out, "alerts_v2") {
		t.Errorf("sync --status does not list alerts_v2:\n%s", out)
	}
}
