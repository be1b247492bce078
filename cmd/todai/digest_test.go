package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/todai-dev/todai/bot/slacktest"
	"github.com/todai-dev/todai/queries/demo"
	"github.com/todai-dev/todai/queries/localdb"
	"github.com/todai-dev/todai/scheduler"
)

// digestConfig writes a config naming the demo warehouse and two teams, one with a scheduled digest.
func digestConfig(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "todai.yaml")
	body := "warehouse:\n  url: sqlite://" + demoWarehouse(t) + "\nstate:\n  path: " + filepath.Join(dir, "state.db") + `
teams:
  - name: product
    channel: "#data-product"
    groups: [product]
    digest: {schedule: "0 9 * * 1-5", timezone: Asia/Tokyo}
  - name: finance
    channel: "#data-finance"
    groups: [finance]
`
	if err := os.WriteFile(cfg, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return cfg
}

func TestDigestCommand(t *testing.T) {
	cfg := digestConfig(t)
	code, out, errOut := cli(t, "--config", cfg, "digest", "--team", "product")
	if code != 0 || strings.TrimSpace(out) == "" {
		t.Fatalf("digest: exit %d\n%s\n%s", code, out, errOut)
	}
	if !strings.Contains(out, "product") {
		t.Errorf("the text digest does not name the team:\n%s", out)
	}

	code, out, errOut = cli(t, "--config", cfg, "digest", "--team", "product", "--json")
	if code != 0 {
		t.Fatalf("digest --json: exit %d %s", code, errOut)
	}
	var got map[string]any
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("digest --json is not JSON: %v\n%s", err, out)
	}
	if len(got) == 0 {
		t.Errorf("empty digest JSON")
	}

	code, _, errOut = cli(t, "--config", cfg, "digest", "--team", "no-such-team")
	if code == 0 || errOut == "" {
		t.Errorf("an unknown team must fail with a message: exit %d %q", code, errOut)
	}
	code, _, errOut = cli(t, "--config", cfg, "digest")
	if code == 0 || !strings.Contains(errOut, "team") {
		t.Errorf("digest without --team must say so: exit %d %q", code, errOut)
	}
}

func TestScheduleCommand(t *testing.T) {
	cfg := digestConfig(t)
	code, out, errOut := cli(t, "--config", cfg, "schedule", "--next", "2")
	if code != 0 {
		t.Fatalf("schedule: exit %d\n%s\n%s", code, out, errOut)
	}
	for _, want := range []string{"sync", "product", "Asia/Tokyo"} {
		if !strings.Contains(out, want) {
			t.Errorf("schedule output lacks %q:\n%s", want, out)
		}
	}
}

// TestScheduledDigestThroughThePoster: the scheduled digest goes through the bot's one Poster, as /todai digest
// does: owners named by email and by @handle are mentioned as Slack users, and a first post answered 429 is
// retried after Retry-After and delivered once.
func TestScheduledDigestThroughThePoster(t *testing.T) {
	ctx := context.Background()
	now := time.Now().UTC()
	f := demo.NewFixture("shop")
	orders := f.Model("orders", demo.Values{"owner": `["@jane", "ana@acme.com"]`})
	notNull := f.Test("not_null_orders_id", "not_null", orders, nil)
	inv := f.Invocation("test", now.Add(-10*time.Minute), nil)
	f.TestResult(inv, notNull, orders, "fail", now.Add(-10*time.Minute), demo.Values{"column_name": "id"})
	wh := newFixtureWarehouse(t, f)

	fake := slacktest.New(t)
	fake.AddUser(slacktest.User{ID: "U0JANE", Name: "jane"})
	fake.AddUser(slacktest.User{ID: "U0ANA", Name: "ana", Email: "ana@acme.com"})
	fake.AddChannel(slacktest.Channel{ID: "C0FINANCE", Name: "data-finance", Members: []string{"U0ANA", "U0JANE"}})
	logs := &syncBuffer{}
	a := escalationApp(t, fake, wh.path, t.TempDir(), time.Now, logs)
	db, err := a.openState(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := a.syncOnce(ctx, db); err != nil {
		t.Fatal(err)
	}
	fake.RateLimitNext("chat.postMessage", 1, time.Second)
	post := a.digestPoster(func() *localdb.DB { return db }, a.newBot(db))
	ch, ts, err := post(ctx, scheduler.DigestRequest{Team: "finance", Slot: now})
	if err != nil || ch != "C0FINANCE" || ts == "" {
		t.Fatalf("post = %q %q %v\nlogs:\n%s", ch, ts, err, logs.String())
	}
	var posted []slacktest.Post
	for _, p := range fake.Posts() {
		if p.Method == "chat.postMessage" {
			posted = append(posted, p)
		}
	}
	if len(posted) != 1 {
		t.Fatalf("%d digests posted, want 1 (the 429'd attempt retried once)", len(posted))
	}
	if calls := fake.Calls("chat.postMessage"); len(calls) != 2 {
		t.Errorf("chat.postMessage called %d times, want 2 (429, then delivered)", len(calls))
	}
	text := posted[0].AllText()
	for _, want := range []string{"<@U0JANE>", "<@U0ANA>"} {
		if !strings.Contains(text, want) {
			t.Errorf("digest lacks the mention %s:\n%s", want, text)
		}
	}
	if strings.Contains(text, "ana@acme.com") || strings.Contains(text, "@jane") {
		t.Errorf("digest names an owner as plain text:\n%s", text)
	}
}
