package main

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/todai-dev/todai/bot/slacktest"
	"github.com/todai-dev/todai/handlers/handlerstest"
	"github.com/todai-dev/todai/queries/demo"
)

// headsUpConfig is escalationConfig with the heads-up to exposures' audiences turned on.
const headsUpConfig = escalationConfig + `exposures:
  heads_up: true
`

// restartedTodai is a Todai started afresh for each run over one state file, with config, at clock's time.
type restartedTodai struct {
	fake                   *slacktest.Slack
	warehouse, dir, config string
	clock                  *fakeClock
	logs                   *handlerstest.LogBuffer
}

// run syncs the mirror and runs the after-sync jobs of serve that pick keeps of those the config turns on.
func (r restartedTodai) run(t *testing.T, pick func(watchers) watchers) error {
	t.Helper()
	ctx := context.Background()
	a := configuredApp(t, r.fake, r.warehouse, r.dir, r.config, r.clock.Now, r.logs, slog.LevelInfo)
	db, err := a.openState(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := a.syncOnce(ctx, db); err != nil {
		t.Fatal(err)
	}
	reader := a.reader(db)
	return pick(a.newWatchers(db, reader, a.newBot(db, reader))).afterSync("test")(ctx, r.clock.Now())
}

// TestExposureHeadsUp runs serve's after-sync jobs (escalation, then the heads-up) over a warehouse whose source
// stops loading and then recovers, and restarts Todai in between: the revenue dashboard's audience hears once, in
// the channel its meta.channel names, with its owner mentioned, that it is unsafe (the source, and escalation's
// incident); a Slack refusal gives the claim back; a restart does not repeat the post; and recovery is said once.
// The board without meta.channel is told in its team's channel.
func TestExposureHeadsUp(t *testing.T) {
	logs := testLogs(t)
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	clock := &fakeClock{t: t0}
	f := demo.NewFixture("shop")
	payments := f.Source("stripe", "payments", demo.Values{"owner": `["@jane"]`})
	orders := f.Model("orders", demo.Values{"owner": `["@jane"]`,
		"depends_on_nodes": `["` + payments + `"]`})
	f.Exposure("revenue", []string{orders}, demo.Values{"label": "Revenue dashboard",
		"owner_email": "mara@acme.com", "owner_name": "Mara", "meta": `{"channel": "C0DASH", "freshness": "1d"}`})
	f.Exposure("ops", []string{orders}, demo.Values{"label": "Ops board", "owner_name": "jane",
		"meta": `{"team": "finance"}`})
	loadedRecently := func(f *demo.Fixture, at time.Time, status string, loaded time.Time) {
		inv := f.Invocation("build", at, demo.Values{"invocation_id": "build-" + at.Format("0102-1504")})
		f.FreshnessResult(inv, payments, status, loaded, at, nil)
		f.RunResult(inv, orders, "success", at, nil)
	}
	for h := 6; h >= 1; h-- { // built and loaded every hour until 08:00
		at := t0.Add(-time.Duration(h) * time.Hour)
		loadedRecently(f, at, "pass", at.Add(-10*time.Minute))
	}
	wh := newFixtureWarehouse(t, f)

	fake := slacktest.New(t)
	seedWorkspace(fake)
	fake.AddUser(slacktest.User{ID: "U0MARA", Name: "mara", Email: "mara@acme.com"})
	fake.AddChannel(slacktest.Channel{ID: "C0DASH", Name: "revenue-dashboard", Members: []string{"U0MARA"}})
	dir := t.TempDir()
	todai := restartedTodai{fake: fake, warehouse: wh.path, dir: dir, config: headsUpConfig, clock: clock, logs: logs}
	// run is one sync and serve's after-sync jobs at t0+at (escalation alone unless headsUp).
	run := func(at time.Duration, headsUp bool) error {
		t.Helper()
		clock.Set(t0.Add(at))
		return todai.run(t, func(w watchers) watchers {
			if !headsUp {
				return watchers{esc: w.esc}
			}
			return w
		})
	}
	must := func(at time.Duration) {
		t.Helper()
		if err := run(at, true); err != nil {
			t.Fatalf("+%s: %v", at, err)
		}
	}

	must(0)
	if ps := channelPosts(fake, "C0DASH"); len(ps) != 0 {
		t.Fatalf("a safe dashboard got a heads-up: %s", ps[0].AllText())
	}

	// From 08:00 on, stripe.payments stops loading: its last load stays at 07:50.
	stopped := demo.NewFixture("shop")
	for h := 0; h <= 26; h++ {
		at := t0.Add(time.Duration(h) * time.Hour)
		status := "pass"
		if h >= 9 {
			status = "error"
		}
		loadedRecently(stopped, at, status, t0.Add(-70*time.Minute))
	}
	wh.add(t, stopped)
	if err := run(27*time.Hour, false); err != nil { // escalation opens and posts its incident
		t.Fatal(err)
	}
	fake.FailNext("chat.postMessage", "channel_not_found") // Slack refuses the first heads-up: its claim is given back
	if err := run(27*time.Hour+time.Minute, true); err == nil || !strings.Contains(err.Error(), "channel_not_found") {
		t.Fatalf("a refused heads-up must be reported, got %v", err)
	}
	must(27*time.Hour + 10*time.Minute)
	must(28 * time.Hour) // restarted: nothing is repeated
	dash := channelPosts(fake, "C0DASH")
	if len(dash) != 1 {
		t.Fatalf("%d posts in the dashboard's channel, want one heads-up", len(dash))
	}
	text := dash[0].AllText()
	for _, want := range []string{"<@U0MARA>", "Revenue dashboard is not safe to use",
		"its data is older than its audience needs (stripe.payments)", "incident 1"} {
		if !strings.Contains(dash[0].Text, want) {
			t.Errorf("the heads-up's first line lacks %q:\n%s", want, dash[0].Text)
		}
	}
	if !strings.Contains(text, "Tell the audience") || strings.Contains(text, "<@U0JANE>") {
		t.Errorf("the heads-up must carry the safe answer and ping only the exposure's owner:\n%s", text)
	}
	var ops int
	for _, p := range channelPosts(fake, "C0FINANCE") {
		if strings.Contains(p.Text, "Ops board is not safe to use") {
			ops++
		}
	}
	if ops != 1 {
		t.Errorf("%d heads-ups about the ops board in its team's channel, want 1", ops)
	}

	// It loads again.
	back := demo.NewFixture("shop")
	loadedRecently(back, t0.Add(29*time.Hour), "pass", t0.Add(29*time.Hour-5*time.Minute))
	wh.add(t, back)
	must(29*time.Hour + 5*time.Minute)
	must(30 * time.Hour)
	dash = channelPosts(fake, "C0DASH")
	if len(dash) != 2 {
		t.Fatalf("%d posts in the dashboard's channel, want the heads-up and one recovery", len(dash))
	}
	if got := dash[1].Text; !strings.Contains(got, "<@U0MARA>") || !strings.Contains(got, "Revenue dashboard is safe to use again") {
		t.Errorf("recovery: %s", got)
	}
}
