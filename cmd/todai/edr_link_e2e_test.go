package main

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/todai-dev/todai/bot/slacktest"
	"github.com/todai-dev/todai/bot/slackui"
	"github.com/todai-dev/todai/handlers/handlerstest"
	"github.com/todai-dev/todai/queries/demo"
	"github.com/todai-dev/todai/scheduler/escalation"
)

// edrAlertBlocks is edr monitor's message for a failing not_null test on analytics.prod.<table>.id, in its current
// block layout (elementary-schema.md §4.2).
func edrAlertBlocks(table string) []byte {
	return []byte(fmt.Sprintf(`[
 {"type":"header","text":{"type":"plain_text","text":"Failure: \"not_null\" test failed on analytics.prod.%s.id","emoji":true}},
 {"type":"context","elements":[{"type":"mrkdwn","text":"Powered by <https://www.elementary-data.com/|Elementary>"}]},
 {"type":"section","text":{"type":"mrkdwn","text":"*Test:* not_null | *Status:* fail | *Time:* 2026-03-02 08:55:00 UTC"}},
 {"type":"divider"}]`, table))
}

func slackTSOf(t time.Time) string { return fmt.Sprintf("%d.%06d", t.Unix(), t.Nanosecond()/1000) }

// TestEscalationRepliesUnderEdrMonitorsAlert: with edr monitor in use, a new incident's first notice waits for its
// alert; once edr monitor has posted and alerts_v2 says so, Todai replies under that message (buttons and all)
// instead of posting a second alert, and its later levels and resolution stay in that thread.
func TestEscalationRepliesUnderEdrMonitorsAlert(t *testing.T) {
	one := oneFailingTest(t)
	ctx, t0, wh, orders, notNull := one.ctx, one.t0, one.wh, one.orders, one.notNull
	key := notNull + ".id.generic"

	// edr monitor alerted on another model two days ago: it is in use.
	f0 := demo.NewFixture("shop")
	f0.Alert("edr-old", "model.shop.customers", "model", t0.Add(-48*time.Hour), nil)
	wh.add(t, f0)

	fake := slacktest.New(t)
	seedWorkspace(fake)
	fake.AddChannel(slacktest.Channel{ID: "C0FINANCE", Name: "data-finance", Members: []string{"U0ANA", "U0JANE", fake.BotUserID()}})
	db, escalate := one.escalation(t, fake)
	run := func(at time.Duration, sync bool) {
		t.Helper()
		if err := escalate(at, sync); err != nil {
			t.Fatalf("+%s: %v", at, err)
		}
	}
	todaiPosts := func() []slacktest.Post {
		var out []slacktest.Post
		for _, p := range fake.Posts() {
			if p.Channel == "C0FINANCE" && (p.Method == "chat.postMessage" || p.Method == "chat.update") {
				out = append(out, p)
			}
		}
		return out
	}

	run(0, true)
	if ps := todaiPosts(); len(ps) != 0 {
		t.Fatalf("the first notice must wait for edr monitor's alert: %+v", ps)
	}

	// edr monitor runs: a message for another table, then ours; alerts_v2 is marked sent a little later.
	sentAt := t0.Add(3*time.Minute + 5*time.Second)
	fake.AddMessage("C0FINANCE", slacktest.Message{TS: slackTSOf(t0.Add(3*time.Minute - time.Second)), BotID: "B0EDR",
		Blocks: edrAlertBlocks("customers")})
	edrTS := fake.AddMessage("C0FINANCE", slacktest.Message{TS: slackTSOf(t0.Add(3 * time.Minute)), BotID: "B0EDR",
		Blocks: edrAlertBlocks("orders")})
	f1 := demo.NewFixture("shop")
	f1.Alert("edr-1", key, "test", t0.Add(-5*time.Minute), demo.Values{"sent_at": sentAt, "updated_at": sentAt})
	wh.add(t, f1)
	run(10*time.Minute, true)

	ps := todaiPosts()
	if len(ps) != 1 || ps[0].ThreadTS != edrTS || !strings.Contains(string(ps[0].Blocks), slackui.ActionIncidentAck) ||
		!strings.Contains(ps[0].AllText(), "not_null_orders_id") {
		t.Fatalf("one reply under edr monitor's alert, with buttons: %+v", ps)
	}
	if strings.Contains(ps[0].AllText(), "Elementary already alerted") {
		t.Errorf("the reply is under the alert; it need not say so:\n%s", ps[0].AllText())
	}
	reply := ps[0].TS
	store := escalation.NewStore(db)
	incs, err := store.Pending(ctx)
	if err != nil || len(incs) != 1 {
		t.Fatalf("pending: %+v %v", incs, err)
	}
	if m := incs[0].Message; m.Channel != "C0FINANCE" || m.TS != reply || m.ThreadTS != edrTS || incs[0].ElementaryAlertID != "edr-1" {
		t.Fatalf("incident: %+v", incs[0])
	}

	// Level 2, two hours after the first notice: in the same thread, pinging the on-call.
	run(2*time.Hour+10*time.Minute, false)
	ps = todaiPosts()
	if len(ps) != 2 || ps[1].ThreadTS != edrTS || !strings.Contains(ps[1].AllText(), "<@U0ONCALL>") {
		t.Fatalf("level 2 in edr monitor's thread: %+v", ps)
	}

	// The test passes: Todai's reply is rewritten in place and the thread hears of it.
	f2 := demo.NewFixture("shop")
	inv2 := "00000000-0000-4000-8000-000000000402"
	f2.Invocation("test", t0.Add(3*time.Hour), demo.Values{"invocation_id": inv2})
	f2.TestResult(inv2, notNull, orders, "pass", t0.Add(3*time.Hour), demo.Values{"column_name": "id"})
	wh.add(t, f2)
	run(3*time.Hour+5*time.Minute, true)
	ps = todaiPosts()
	var updated, resolved bool
	for _, p := range ps[2:] {
		switch {
		case p.Method == "chat.update" && p.TS == reply:
			updated = true
		case p.Method == "chat.postMessage" && p.ThreadTS == edrTS && strings.Contains(p.AllText(), "Resolved"):
			resolved = true
		default:
			t.Errorf("unexpected post: %+v", p)
		}
	}
	if !updated || !resolved {
		t.Fatalf("resolution: updated %v, thread reply %v: %+v", updated, resolved, ps[2:])
	}
	for _, p := range fake.Posts() {
		if p.Method == "chat.postMessage" && p.ThreadTS == "" {
			t.Errorf("Todai posted a top-level message: %+v", p)
		}
	}
	tl, err := store.Timeline(ctx, incs[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	var events []string
	for _, e := range tl {
		events = append(events, e.Event)
	}
	if want := []string{"opened", "elementary_alert", "notified", "notified", "resolved", "resolve_announced"}; !slices.Equal(events, want) {
		t.Errorf("timeline %v, want %v", events, want)
	}
}

// TestEscalationEdrAlertNotFoundPostsOwnMessage: edr monitor's alert is in alerts_v2 but its message is nowhere
// Todai can read (another channel, no access): Todai posts its own message, which names the alert.
func TestEscalationEdrAlertNotFoundPostsOwnMessage(t *testing.T) {
	one := oneFailingTest(t)
	t0, wh, notNull := one.t0, one.wh, one.notNull
	f1 := demo.NewFixture("shop")
	f1.Alert("edr-9", notNull+".id.generic", "test", t0.Add(-5*time.Minute), demo.Values{"sent_at": t0.Add(-time.Minute)})
	wh.add(t, f1)

	fake := slacktest.New(t)
	seedWorkspace(fake) // the bot is not a member of C0FINANCE: conversations.history answers not_in_channel
	_, run := one.escalation(t, fake)
	if err := run(0, true); err != nil {
		t.Fatal(err)
	}
	ps := channelPosts(fake, "C0FINANCE")
	if len(ps) != 1 || ps[0].ThreadTS != "" || !strings.Contains(ps[0].AllText(), "edr-9") ||
		!strings.Contains(string(ps[0].Blocks), slackui.ActionIncidentAck) {
		t.Fatalf("Todai's own message naming edr monitor's alert: %+v", ps)
	}
	if len(fake.Calls("conversations.history")) == 0 {
		t.Error("Todai did not look for edr monitor's message")
	}
	if !strings.Contains(one.logs.String(), "could not search for edr monitor's alert") {
		t.Errorf("the failed search is not logged:\n%s", one.logs.String())
	}
}

// TestEscalationGroupedMessageFailure: two incidents of one dbt invocation share one message, and its failure: a
// refusal gives both back and the next sweep posts them together once; a 502, which may hide a posted message,
// keeps both claimed rather than post the second again on its own.
func TestEscalationGroupedMessageFailure(t *testing.T) {
	tests := []struct {
		name      string
		fail      func(fake *slacktest.Slack)
		wantPosts int // after the second sweep
	}{
		{name: "refused: retried together", fail: func(fake *slacktest.Slack) { fake.FailNext("chat.postMessage", "not_in_channel") }, wantPosts: 1},
		{name: "502: never posted twice", fail: func(fake *slacktest.Slack) { fake.FailNextStatus("chat.postMessage", 502) }, wantPosts: 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			one := oneFailingTest(t)
			f := demo.NewFixture("shop")
			unique := f.Test("unique_orders_id", "unique", one.orders, nil)
			inv := f.Invocation("test", one.t0.Add(-4*time.Minute), nil)
			f.TestResult(inv, one.notNull, one.orders, "fail", one.t0.Add(-4*time.Minute), demo.Values{"column_name": "id"})
			f.TestResult(inv, unique, one.orders, "fail", one.t0.Add(-4*time.Minute), demo.Values{"column_name": "id"})
			one.wh.add(t, f)

			fake := slacktest.New(t)
			seedWorkspace(fake)
			_, run := one.escalation(t, fake)
			tc.fail(fake)
			if err := run(0, true); err == nil {
				t.Fatal("the failed post is not reported")
			}
			if ps := channelPosts(fake, "C0FINANCE"); len(ps) != 0 {
				t.Fatalf("after the failure: %+v", ps)
			}
			if err := run(time.Minute, false); err != nil {
				t.Fatal(err)
			}
			ps := channelPosts(fake, "C0FINANCE")
			if len(ps) != tc.wantPosts {
				t.Fatalf("%d posts after the next sweep, want %d: %+v", len(ps), tc.wantPosts, ps)
			}
			if tc.wantPosts == 1 && (!strings.Contains(ps[0].AllText(), "not_null_orders_id") || !strings.Contains(ps[0].AllText(), "unique_orders_id")) {
				t.Errorf("the retried message must hold both incidents:\n%s", ps[0].AllText())
			}
		})
	}
}

// TestEscalationLinksASchemaChangeAlert: a schema-change test is keyed by the test alone, while edr's
// alert_class_id for it is <test_unique_id>.<column>.<sub_type>. Its incident still links to edr monitor's alert (the
// real payload edr posts) and replies in its thread instead of posting a second notice.
func TestEscalationLinksASchemaChangeAlert(t *testing.T) {
	schemaAlert := slacktest.EdrMessages(t)["test_schema_change"]
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	one := failingTest{ctx: context.Background(), t0: t0, logs: &handlerstest.LogBuffer{}, clock: &fakeClock{t: t0}}
	f := demo.NewFixture("shop")
	one.orders = f.Model("orders", demo.Values{"owner": `["@jane"]`, "database_name": "analytics"})
	schemaTest := "test.shop.elementary_schema_changes_orders_.1a2b3c4d5e"
	f.Test("elementary_schema_changes_orders_", "schema_changes", one.orders, demo.Values{"unique_id": schemaTest,
		"test_namespace": "elementary", "type": "generic"})
	inv := f.Invocation("test", t0.Add(-5*time.Minute), nil)
	f.TestResult(inv, schemaTest, one.orders, "fail", t0.Add(-5*time.Minute), demo.Values{"test_type": "schema_change",
		"test_sub_type": "column_added", "column_name": "discount", "test_short_name": "schema_changes"})
	f.Alert("edr-old", "model.shop.customers", "model", t0.Add(-48*time.Hour), nil) // edr monitor is in use
	one.wh = newFixtureWarehouse(t, f)

	fake := slacktest.New(t)
	seedWorkspace(fake)
	fake.AddChannel(slacktest.Channel{ID: "C0FINANCE", Name: "data-finance", Members: []string{"U0ANA", "U0JANE", fake.BotUserID()}})
	_, escalate := one.escalation(t, fake)
	if err := escalate(0, true); err != nil {
		t.Fatal(err)
	}
	sentAt := t0.Add(3*time.Minute + 5*time.Second)
	schemaAlert.TS = slackTSOf(t0.Add(3 * time.Minute))
	edrTS := fake.AddMessage("C0FINANCE", schemaAlert)
	f1 := demo.NewFixture("shop")
	f1.Alert("edr-schema", schemaTest+".discount.column_added", "test", t0.Add(-5*time.Minute),
		demo.Values{"sent_at": sentAt, "updated_at": sentAt})
	one.wh.add(t, f1)
	if err := escalate(10*time.Minute, true); err != nil {
		t.Fatal(err)
	}
	var posts []slacktest.Post
	for _, p := range fake.Posts() {
		if p.Channel == "C0FINANCE" && p.Method == "chat.postMessage" {
			posts = append(posts, p)
		}
	}
	if len(posts) != 1 || posts[0].ThreadTS != edrTS {
		t.Fatalf("want one reply in the schema-change alert's thread, got %+v\nlogs:\n%s", posts, one.logs.String())
	}
}
