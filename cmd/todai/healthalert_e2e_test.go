package main

import (
	"strings"
	"testing"
	"time"

	"github.com/todai-dev/todai/bot/slacktest"
	"github.com/todai-dev/todai/queries/demo"
)

// healthAlertConfig is escalationConfig with the health alert on: below 90, or a fall of more than 20 in a day.
const healthAlertConfig = escalationConfig + `health:
  alert_below: 90
  alert_drop: 20
`

// TestHealthAlert runs serve's after-sync jobs with the health alert on over a warehouse where a team's uniqueness
// test starts failing, recovers, and fails again, and restarts Todai between runs: the team's channel hears once per
// fall — its total, the day before, both thresholds crossed, the test that moved it with its owner mentioned — a
// Slack refusal gives the claim back, restarts repeat nothing, and the recovery is recorded silently so that the
// next fall is told.
func TestHealthAlert(t *testing.T) {
	logs := testLogs(t)
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	clock := &fakeClock{t: t0}
	f := demo.NewFixture("shop")
	orders := f.Model("orders", demo.Values{"owner": `["@jane"]`})
	notNull := f.Test("not_null_orders_id", "not_null", orders, nil)
	unique := f.Test("unique_orders_id", "unique", orders, nil)
	// build writes one run of the model and its two tests at `at`, the uniqueness test with status.
	build := func(f *demo.Fixture, at time.Time, status string) {
		inv := f.Invocation("build", at, demo.Values{"invocation_id": "build-" + at.Format("0102-1504")})
		f.RunResult(inv, orders, "success", at, nil)
		f.TestResult(inv, notNull, orders, "pass", at, nil)
		f.TestResult(inv, unique, orders, status, at, nil)
	}
	for h := 30; h >= 1; h-- {
		build(f, t0.Add(-time.Duration(h)*time.Hour), "pass")
	}
	wh := newFixtureWarehouse(t, f)

	fake := slacktest.New(t)
	seedWorkspace(fake)
	dir := t.TempDir()
	todai := restartedTodai{fake: fake, warehouse: wh.path, dir: dir, config: healthAlertConfig, clock: clock, logs: logs}
	// run is one sync and the health alert at t0+at.
	run := func(at time.Duration) error {
		t.Helper()
		clock.Set(t0.Add(at))
		return todai.run(t, func(w watchers) watchers { return watchers{health: w.health} })
	}
	must := func(at time.Duration) {
		t.Helper()
		if err := run(at); err != nil {
			t.Fatalf("+%s: %v", at, err)
		}
	}
	alerts := func() []string {
		var got []string
		for _, p := range channelPosts(fake, "C0FINANCE") {
			if strings.Contains(p.Text, "data health fell") {
				got = append(got, p.AllText())
			}
		}
		return got
	}
	// builds adds a build every hour from t0+from to t0+to, the uniqueness test with status.
	builds := func(from, to int, status string) {
		more := demo.NewFixture("shop")
		for h := from; h <= to; h++ {
			build(more, t0.Add(time.Duration(h)*time.Hour), status)
		}
		wh.add(t, more)
	}

	must(0)
	if got := alerts(); len(got) != 0 {
		t.Fatalf("a healthy team got a health alert: %s", got[0])
	}

	builds(0, 2, "fail") // uniqueness falls to 0: the total to 50 from 100
	fake.FailNext("chat.postMessage", "channel_not_found")
	if err := run(2*time.Hour + time.Minute); err == nil || !strings.Contains(err.Error(), "channel_not_found") {
		t.Fatalf("a refused health alert must be reported, got %v", err)
	}
	must(2*time.Hour + 10*time.Minute)
	must(3 * time.Hour) // restarted: nothing is repeated
	got := alerts()
	if len(got) != 1 {
		t.Fatalf("%d health alerts, want one", len(got))
	}
	for _, want := range []string{"finance's data health fell to 50/100 (100 a day before)",
		"below the alert threshold of 90", "a fall of 50 points in a day (more than 20)",
		"unique_orders_id*: fail (100 → 0) — ask <@U0JANE>", "/todai health finance"} {
		if !strings.Contains(got[0], want) {
			t.Errorf("the health alert lacks %q:\n%s", want, got[0])
		}
	}

	builds(4, 5, "pass") // recovered: recorded, not posted
	must(5*time.Hour + 5*time.Minute)
	if n := len(alerts()); n != 1 {
		t.Fatalf("%d health alerts after the recovery, want still one", n)
	}
	builds(6, 6, "fail") // falls again: told again
	must(6*time.Hour + 5*time.Minute)
	must(7 * time.Hour)
	if got := alerts(); len(got) != 2 {
		t.Fatalf("%d health alerts after the second fall, want two", len(got))
	} else if !strings.Contains(got[1], "fell to 50/100") {
		t.Errorf("second fall: %s", got[1])
	}
}
