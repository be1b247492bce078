package bot

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/todai-dev/todai/bot/slacktest"
	"github.com/todai-dev/todai/queries/demo"
	"github.com/todai-dev/todai/queries/localdb"
	"github.com/todai-dev/todai/scheduler/escalation"
)

// readLate is when the owner reads edr monitor's alerts of Jul 1 13:05:22 UTC (the time the real payloads show).
var readLate = time.Date(2026, 7, 4, 9, 0, 0, 0, time.UTC)

// alertPosted is when edr monitor posted the alerts of the real payloads, detected at 13:05:22.
var alertPosted = time.Date(2026, 7, 1, 13, 6, 0, 0, time.UTC)

// alertHistoryMirror holds what happened after the alerts of edr's real payloads (all detected Jul 1 13:05:22):
//
//	not_null on orders      failed (12 rows), passed Jul 2 and Jul 3        — recovered
//	orders                  errored, built Jul 2 and Jul 3                  — recovered
//	volume_anomalies        warned at a drop to 412 rows, passed Jul 2     — recovered; both runs' buckets
//	stripe.payments         freshness error since Jun 30, checked each day — still failing
//	orders_snapshot         errored, not run since                          — not run again
func alertHistoryMirror(t testing.TB) *demo.Fixture {
	t.Helper()
	alert := time.Date(2026, 7, 1, 13, 5, 22, 0, time.UTC)
	day := func(d int) time.Time { return time.Date(2026, 7, d, 13, 0, 0, 0, time.UTC) }
	f := demo.NewFixture("shop")
	orders := f.Model("orders", demo.Values{"database_name": "analytics", "schema_name": "prod",
		"owner": `["jane@acme.com"]`})
	f.Row("dbt_snapshots", demo.Values{"unique_id": "snapshot.shop.orders_snapshot", "name": "orders_snapshot",
		"alias": "orders_snapshot", "package_name": "shop", "materialization": "snapshot", "tags": "[]", "meta": "{}",
		"owner": "[]", "database_name": "analytics", "schema_name": "snapshots", "depends_on_nodes": `["` + orders + `"]`,
		"path": "orders_snapshot.sql", "original_path": "snapshots/orders_snapshot.sql",
		"generated_at": "2024-01-01 00:00:00"}, nil)
	payments := f.Source("stripe", "payments", demo.Values{"identifier": "PAYMENTS_V2", "schema_name": "STRIPE_V2"})
	notNull := "test.shop.not_null_orders_order_id.abc1234567"
	volume := "test.shop.elementary_volume_anomalies_orders_.9a8b7c6d5e"
	f.Test("not_null_orders_order_id", "not_null", orders, demo.Values{"unique_id": notNull, "test_column_name": "order_id"})
	f.Test("elementary_volume_anomalies_orders_", "volume_anomalies", orders, demo.Values{"unique_id": volume,
		"severity": "WARN"})

	anomaly := demo.Values{"test_type": "anomaly_detection", "test_sub_type": "row_count", "severity": "WARN"}

	inv := f.Invocation("build", alert, nil)
	f.RunResult(inv, orders, "error", alert, demo.Values{"message": "Database Error in model orders"})
	f.RunResult(inv, "snapshot.shop.orders_snapshot", "error", alert, demo.Values{"message": "Snapshot target is not a snapshot table"})
	f.TestResult(inv, notNull, orders, "fail", alert, demo.Values{"failures": 12, "column_name": "order_id",
		"test_results_description": "Got 12 results, configured to fail if != 0"})
	anomaly["failures"], anomaly["test_results_description"] = 1, "The last row_count value is too low."
	anomalyBuckets(f, f.TestResult(inv, volume, orders, "warn", alert, anomaly), alert, 19)
	for _, d := range []int{2, 3} {
		inv := f.Invocation("build", day(d), nil)
		f.RunResult(inv, orders, "success", day(d), nil)
		f.TestResult(inv, notNull, orders, "pass", day(d), demo.Values{"column_name": "order_id"})
		if d == 2 {
			anomaly["failures"], anomaly["test_results_description"] = 0, nil
			anomalyBuckets(f, f.TestResult(inv, volume, orders, "pass", day(d), anomaly), day(d), -1)
		}
	}
	// edr monitor marked the not_null alert sent at 13:06:01, a second after posting it (alertPosted).
	f.Alert("alert-nn", notNull+".order_id.generic", "test", alert, demo.Values{"sent_at": alertPosted.Add(time.Second),
		"data": `{"test_unique_id": "` + notNull + `", "model_unique_id": "` + orders + `", "test_short_name": "not_null",
			"column_name": "ORDER_ID", "database_name": "analytics", "schema_name": "prod", "table_name": "orders"}`})
	for _, at := range []time.Time{day(30).AddDate(0, -1, 0), alert, day(2), day(3)} {
		fresh := f.Invocation("freshness", at, nil)
		f.FreshnessResult(fresh, payments, "error", time.Date(2026, 6, 29, 8, 0, 0, 0, time.UTC), at, nil)
	}
	return f
}

// TestAnswerUnderAlertNamesItsOccurrence: asked "is this urgent?" under edr monitor's real alerts read days later,
// Todai first says what the alert reported and what has happened since — a test that has passed since, a model
// built since, an anomaly whose test passed since (its drop and both runs' buckets), a source still stale — then
// today's urgency: low, recovered, for the three that recovered. In English and Japanese (goldens).
func TestAnswerUnderAlertNamesItsOccurrence(t *testing.T) {
	msgs := slacktest.EdrMessages(t)
	h := startAlertHistoryBot(t, harnessOpts{})
	for _, tc := range []struct {
		payload, since string
		want           []string
	}{
		{"test_dbt", "recovered", []string{"not_null_orders_order_id", "12 failing rows", "Got 12 results",
			"recovered — no action needed: passed on", "Urgency*: *low*", "the alert has recovered since"}},
		{"model", "recovered", []string{"Database Error in model orders", "recovered — no action needed: built on",
			"Urgency*: *low*"}},
		{"test_anomaly", "recovered", []string{"value 412 (expected 950–1,450)", "At the alert: ", "Latest: ",
			"recovered — no action needed: passed on", "Urgency*: *low*"}},
		{"source_freshness", "still failing", []string{"still failing — 4 in a row", "since ", "2 runs since the alert"}},
	} {
		for _, lang := range []string{"en", "ja"} {
			t.Run(tc.payload+"_"+lang, func(t *testing.T) {
				question := "is this urgent?"
				if lang == "ja" {
					question = "これは緊急？"
				}
				p, _ := askUnder(t, h, msgs[tc.payload], question)
				all := p.AllText()
				if lang == "en" {
					for _, w := range tc.want {
						if !strings.Contains(all, w) {
							t.Errorf("reply lacks %q:\n%s", w, all)
						}
					}
					if i, j := strings.Index(all, "*Alert*"), strings.Index(all, "*Urgency*"); i < 0 || j < i {
						t.Errorf("the alert's occurrence does not come first:\n%s", all)
					}
				}
				checkGolden(t, "alert_"+tc.payload+"."+lang+".json", postJSON(t, p))
			})
		}
	}
}

// TestNamedNodeUnderAlert: under an alert, a question naming the alert's node is about the alert's run first; one
// naming another node is about that node now; one not about a node's state (owner) does not read the thread.
func TestNamedNodeUnderAlert(t *testing.T) {
	msgs := slacktest.EdrMessages(t)
	h := startAlertHistoryBot(t, harnessOpts{})
	parent := h.fake.AddMessage("C9", msgs["test_dbt"])
	for _, tc := range []struct {
		question string
		alert    bool
	}{
		{"is not_null_orders_order_id urgent?", true},
		{"is orders_snapshot urgent?", false},
		{"who owns not_null_orders_order_id?", false},
	} {
		replies := len(h.fake.Calls("conversations.replies"))
		all := askUnderTS(t, h, parent, tc.question).AllText()
		if got := strings.Contains(all, "*Alert*"); got != tc.alert {
			t.Errorf("%q: the alert's run first = %v, want %v:\n%s", tc.question, got, tc.alert, all)
		}
		if read := len(h.fake.Calls("conversations.replies")) > replies; read != (tc.question != "who owns not_null_orders_order_id?") {
			t.Errorf("%q: read the thread = %v", tc.question, read)
		}
	}
}

// startAlertHistoryBot starts a bot over alertHistoryMirror, read on Jul 4 (readLate), with channel C9 where edr
// monitor posts; o says the rest.
func startAlertHistoryBot(t *testing.T, o harnessOpts) *harness {
	t.Helper()
	o.now = func() time.Time { return readLate }
	o.mirror = func(t testing.TB) *localdb.DB { return syncFixture(t, alertHistoryMirror(t), readLate) }
	h := startBot(t, o)
	h.fake.AddChannel(slacktest.Channel{ID: "C9", Name: "data-alerts"})
	return h
}

// askUnder asks question in the thread of the alert message, as a mention, and returns Todai's reply.
func askUnder(t *testing.T, h *harness, alert slacktest.Message, question string) (slacktest.Post, string) {
	t.Helper()
	parent := h.fake.AddMessage("C9", alert)
	return askUnderTS(t, h, parent, question), parent
}

// askUnderTS asks question in the thread of channel C9's message parent, as a mention, and returns Todai's reply.
func askUnderTS(t *testing.T, h *harness, parent, question string) slacktest.Post {
	t.Helper()
	ctx := testCtx(t)
	sent := time.Now()
	text := "<@U0BOT> " + question
	ts := h.fake.AddMessage("C9", slacktest.Message{User: "U1", Text: text, ThreadTS: parent})
	h.fake.SendEvent(slacktest.AppMention{User: "U1", Text: text, TS: ts, ThreadTS: parent, Channel: "C9"}, "", 0)
	p, err := h.fake.WaitPost(ctx, func(p slacktest.Post) bool {
		return p.Method == "chat.postMessage" && p.ThreadTS == parent && !p.Time.Before(sent)
	})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestAnswerUnderAlertWithoutReportLink: edr's alert without a report link names only the test's table, and an
// alert without a time names none: the alert edr monitor marked sent when the message was posted (alerts_v2) names
// the test and when its failure was detected, so the answer is about the test's failure, not about orders now.
func TestAnswerUnderAlertWithoutReportLink(t *testing.T) {
	msgs := slacktest.EdrMessages(t)
	h := startAlertHistoryBot(t, harnessOpts{})
	posted := slackTS(alertPosted)
	for name, msg := range map[string]slacktest.Message{
		"no report link": msgs["test_dbt_no_report_url"],
		"no time either": {Blocks: json.RawMessage(strings.ReplaceAll(string(msgs["test_dbt_no_report_url"].Blocks),
			"| *Time:* 2026-07-01 13:05:22 UTC", "")), Attachments: msgs["test_dbt_no_report_url"].Attachments},
	} {
		t.Run(name, func(t *testing.T) {
			if a, ok := RecognizeAlert(AlertMessage{Blocks: msg.Blocks, Attachments: msg.Attachments}); !ok ||
				(name == "no time either") != (a.Time == "") {
				t.Fatalf("the alert as posted: %+v", a)
			}
			msg.TS = posted
			posted = slackTS(alertPosted.Add(time.Millisecond)) // the next message another ts
			parent := h.fake.AddMessage("C9", msg)
			p := askUnderTS(t, h, parent, "is this urgent?")
			all := p.AllText()
			for _, want := range []string{"not_null_orders_order_id", "*Alert*", "12 failing rows",
				"recovered — no action needed: passed on", "the alert has recovered since"} {
				if !strings.Contains(all, want) {
					t.Errorf("reply lacks %q:\n%s", want, all)
				}
			}
		})
	}
}

// TestAlertDetectedAt: an alert's *Time:* is read in UTC, with an offset, or in a team's zone whose abbreviation it
// shows; without a zone, or in a zone no team has, it is not read (the message's own time is used instead).
func TestAlertDetectedAt(t *testing.T) {
	tokyo, _ := time.LoadLocation("Asia/Tokyo")
	la, _ := time.LoadLocation("America/Los_Angeles")
	chicago, _ := time.LoadLocation("America/Chicago")
	shanghai, _ := time.LoadLocation("Asia/Shanghai")
	zones := []*time.Location{la, tokyo, chicago, shanghai, tokyo}
	for _, tc := range []struct{ text, want string }{
		{"2026-07-01 13:05:22 UTC", "2026-07-01T13:05:22Z"},
		{"2026-07-01 13:05:22 GMT", "2026-07-01T13:05:22Z"},
		{"2026-07-01 22:05:22 JST", "2026-07-01T13:05:22Z"},
		{"2026-07-01 06:05:22 PDT", "2026-07-01T13:05:22Z"},
		{"2026-01-01 05:05:22 PST", "2026-01-01T13:05:22Z"},
		{"2026-07-01T13:05:22.123+00:00", "2026-07-01T13:05:22.123Z"}, // a workflow alert's detected_at
		{"2026-07-01 15:05:22 +0200", "2026-07-01T13:05:22Z"},
		{"2026-07-01 13:05:22 CEST", ""},                    // no team in Europe/Berlin
		{"2026-07-01 21:05:22 CST", "2026-07-01T13:05:22Z"}, // Shanghai's: Chicago shows CDT in July
		{"2026-07-01 08:05:22 CDT", "2026-07-01T13:05:22Z"},
		{"2026-01-01 07:05:22 CST", ""}, // Chicago's and Shanghai's in January
		{"2026-07-01 06:05:22 PST", ""}, // Los Angeles shows PDT in July
		{"2026-07-01 13:05:22", ""},
		{"", ""},
		{"yesterday UTC", ""},
	} {
		got := ""
		if at, ok := (Alert{Time: tc.text}).DetectedAt(zones); ok {
			got = at.Format(time.RFC3339Nano)
		}
		if got != tc.want {
			t.Errorf("DetectedAt(%q) = %q, want %q", tc.text, got, tc.want)
		}
	}
	for payload, want := range map[string]string{"test_dbt": "2026-07-01 13:05:22 UTC", "model": "2026-07-01 13:05:22 UTC",
		"group_all": ""} {
		a, ok := RecognizeAlert(edrMessages(t)[payload])
		if !ok || a.Time != want {
			t.Errorf("%s: Time %q, want %q", payload, a.Time, want)
		}
	}
}

// TestAnswerUnderIncidentNotice: under Todai's own notice of an incident read late, "why?" answers about the
// failure the incident opened for first: the not_null test failed (12 rows) and has passed since.
func TestAnswerUnderIncidentNotice(t *testing.T) {
	desk := &memDesk{incs: map[int64]escalation.Incident{}}
	h := startAlertHistoryBot(t, harnessOpts{incidents: desk})
	notice := h.fake.AddMessage("C9", slacktest.Message{BotID: "B0TODAI", Text: "Incident #7: not_null on orders failed"})
	desk.incs[7] = escalation.Incident{ID: 7, Kind: escalation.KindTest, Team: "finance", NodeID: "model.shop.orders",
		TestID: "test.shop.not_null_orders_order_id.abc1234567", Status: escalation.StatusOpen,
		DetectedAt: time.Date(2026, 7, 1, 13, 5, 22, 0, time.UTC), OpenedAt: time.Date(2026, 7, 1, 13, 10, 0, 0, time.UTC),
		Message: escalation.MessageRef{Channel: "C9", TS: notice}}
	p := askUnderTS(t, h, notice, "why?")
	all := p.AllText()
	for _, want := range []string{"*Alert*", "fail", "12 failing rows", "recovered — no action needed: passed on", "not_null_orders_order_id"} {
		if !strings.Contains(all, want) {
			t.Errorf("reply lacks %q:\n%s", want, all)
		}
	}
}
