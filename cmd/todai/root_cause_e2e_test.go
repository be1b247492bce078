package main

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/todai-dev/todai/bot/slacktest"
	"github.com/todai-dev/todai/bot/slackui"
	"github.com/todai-dev/todai/queries"
	"github.com/todai-dev/todai/queries/demo"
	"github.com/todai-dev/todai/scheduler/escalation"
)

// TestOneIncidentPerRootCause: stg_orders errors in the nightly run; the test run after it fails three tests
// downstream, which the diagnosis traces to that error. Escalation opens one incident for the root that lists the
// three (its blast radius) instead of four notices; when one is split out it gets a notice of its own, when another
// passes again the root's message says so in place, and when the root is fixed the one still failing escalates on
// its own.
func TestOneIncidentPerRootCause(t *testing.T) {
	logs := testLogs(t)
	ctx := context.Background()
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	clock := &fakeClock{t: t0}

	// stg_orders → fct_orders → orders_mart, all finance's (@jane), with two tests on each mart model.
	f := demo.NewFixture("shop")
	owner := `["@jane"]`
	stg := f.Model("stg_orders", demo.Values{"owner": owner})
	fct := f.Model("fct_orders", demo.Values{"owner": owner, "depends_on_nodes": `["` + stg + `"]`})
	mart := f.Model("orders_mart", demo.Values{"owner": owner, "depends_on_nodes": `["` + fct + `"]`})
	type test struct{ id, model, column string }
	tests := map[string]test{}
	for _, tc := range []struct{ name, short, model, column string }{
		{"not_null_fct_orders_id", "not_null", fct, "id"}, {"unique_fct_orders_id", "unique", fct, "id"},
		{"accepted_values_mart_status", "accepted_values", mart, "status"}, {"not_null_mart_revenue", "not_null", mart, "revenue"},
	} {
		tests[tc.name] = test{f.Test(tc.name, tc.short, tc.model, nil), tc.model, tc.column}
	}
	// testRun records a dbt test invocation at `at` in which the tests named fail and the others pass.
	testRun := func(f *demo.Fixture, inv string, at time.Time, failing ...string) {
		f.Invocation("test", at, demo.Values{"invocation_id": inv})
		for name, tc := range tests {
			status := "pass"
			if slices.Contains(failing, name) {
				status = "fail"
			}
			f.TestResult(inv, tc.id, tc.model, status, at, demo.Values{"column_name": tc.column, "failures": 2})
		}
	}
	good := f.Invocation("run", t0.Add(-26*time.Hour), nil)
	for _, m := range []string{stg, fct, mart} {
		f.RunResult(good, m, "success", t0.Add(-26*time.Hour), nil)
	}
	nightly := f.Invocation("run", t0.Add(-30*time.Minute), nil)
	f.RunResult(nightly, stg, "error", t0.Add(-30*time.Minute),
		demo.Values{"message": "Database Error in model stg_orders: relation raw.orders does not exist"})
	testRun(f, "00000000-0000-4000-8000-000000000301", t0.Add(-10*time.Minute),
		"not_null_fct_orders_id", "unique_fct_orders_id", "accepted_values_mart_status")
	wh := newFixtureWarehouse(t, f)

	fake := slacktest.New(t)
	seedWorkspace(fake)
	a := escalationApp(t, fake, wh.path, t.TempDir(), clock.Now, logs)
	st := startStack(t, a, fake, 1)
	defer func() { st.close(t) }()
	store := escalation.NewStore(st.db)
	run := func(at time.Duration, sync bool) { t.Helper(); st.sweep(t, a, clock, t0.Add(at), sync) }
	byName := func() map[string]escalation.Incident {
		t.Helper()
		out := map[string]escalation.Incident{}
		for id := int64(1); id <= 20; id++ {
			inc, err := store.Get(ctx, id)
			if err != nil {
				break
			}
			subject := inc.TestID
			if subject == "" {
				subject = inc.NodeID
			}
			out[queries.NameOf(subject)] = inc
		}
		return out
	}

	// +0: one message, for stg_orders, listing the three tests it broke; no notice of their own.
	run(0, true)
	posts := channelPosts(fake, "C0FINANCE")
	if len(posts) != 1 {
		t.Fatalf("%d posts, want 1 (the root's incident): %+v", len(posts), posts)
	}
	incs := byName()
	root := incs["stg_orders"]
	if root.ID == 0 || root.Kind != escalation.KindModel {
		t.Fatalf("no incident for stg_orders' error: %+v", incs)
	}
	text := posts[0].AllText()
	for _, name := range []string{"not_null_fct_orders_id", "unique_fct_orders_id", "accepted_values_mart_status"} {
		inc := incs[name]
		if inc.ParentID != root.ID {
			t.Errorf("%s: parent %d, want the root's incident %d", name, inc.ParentID, root.ID)
		}
		if inc.LastNotified.Level != 0 {
			t.Errorf("%s got a notice of its own", name)
		}
		if !strings.Contains(text, name) {
			t.Errorf("the root's message does not list %s:\n%s", name, text)
		}
	}
	if !strings.Contains(text, "Caused downstream* (3, 3 still failing)") || !strings.Contains(text, "stg_orders") {
		t.Errorf("the root's message lacks its blast radius:\n%s", text)
	}
	if _, ok := incs["not_null_mart_revenue"]; ok {
		t.Error("a passing test opened an incident")
	}

	// Split one out: it gets its own notice at the next sweep; the root's message no longer lists it.
	split := incs["accepted_values_mart_status"]
	fake.SendBlockAction(slacktest.BlockAction{UserID: "U0ANA", ChannelID: "C0FINANCE", MessageTS: posts[0].TS,
		ResponseURL: fake.ResponseURL("split"), Actions: []slacktest.Action{{ActionID: slackui.ActionIncidentSplit + "_" +
			strconv.FormatInt(split.ID, 10), BlockID: "todai_inc_split_" + strconv.FormatInt(root.ID, 10), Value: strconv.FormatInt(split.ID, 10)}}})
	w, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	up, err := fake.WaitPost(w, func(p slacktest.Post) bool { return p.Method == "chat.update" && p.TS == posts[0].TS })
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(up.AllText(), "accepted_values_mart_status") || !strings.Contains(up.AllText(), "(2, 2 still failing)") {
		t.Errorf("after the split, the root's message:\n%s", up.AllText())
	}
	run(time.Minute, false)
	posts = channelPosts(fake, "C0FINANCE")
	if len(posts) != 2 || !strings.Contains(posts[1].AllText(), "accepted_values_mart_status") {
		t.Fatalf("the split incident's own notice: %d posts", len(posts))
	}
	if got, _ := store.Get(ctx, split.ID); !got.Split || got.ParentID != 0 || got.LastNotified.Level != 1 {
		t.Errorf("split incident = %+v", got)
	}

	// unique_fct_orders_id passes again: the root's message says so in place.
	f2 := demo.NewFixture("shop")
	testRun(f2, "00000000-0000-4000-8000-000000000302", t0.Add(9*time.Minute), "not_null_fct_orders_id",
		"accepted_values_mart_status")
	wh.add(t, f2)
	updates := len(fake.Calls("chat.update"))
	run(10*time.Minute, true)
	if calls := fake.Calls("chat.update"); len(calls) <= updates {
		t.Fatal("the root's message was not rewritten when a grouped test passed")
	}
	last := lastUpdate(t, fake, posts[0].TS)
	if !strings.Contains(last, "(2, 1 still failing)") {
		t.Errorf("the root's message after a grouped test passed:\n%s", last)
	}

	// stg_orders is fixed, not_null_fct_orders_id still fails: it is on its own now, and gets its first notice.
	f3 := demo.NewFixture("shop")
	fixed := "00000000-0000-4000-8000-000000000303"
	f3.Invocation("run", t0.Add(15*time.Minute), demo.Values{"invocation_id": fixed})
	for _, m := range []string{stg, fct, mart} {
		f3.RunResult(fixed, m, "success", t0.Add(15*time.Minute), nil)
	}
	testRun(f3, "00000000-0000-4000-8000-000000000304", t0.Add(18*time.Minute), "not_null_fct_orders_id",
		"accepted_values_mart_status")
	wh.add(t, f3)
	run(20*time.Minute, true)
	incs = byName()
	if inc := incs["not_null_fct_orders_id"]; inc.ParentID != 0 || inc.LastNotified.Level != 1 {
		t.Errorf("once its root resolved, not_null_fct_orders_id = %+v", inc)
	}
	if incs["stg_orders"].Status != escalation.StatusResolved {
		t.Errorf("stg_orders' incident = %+v", incs["stg_orders"])
	}
}

// lastUpdate is the text of the newest chat.update of the message ts.
func lastUpdate(t *testing.T, fake *slacktest.Slack, ts string) string {
	t.Helper()
	text := ""
	for _, p := range fake.Posts() {
		if p.Method == "chat.update" && p.TS == ts {
			text = p.AllText()
		}
	}
	if text == "" {
		t.Fatalf("no chat.update of %s", ts)
	}
	return text
}
