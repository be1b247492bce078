package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/todai-dev/todai/bot/slacktest"
)

// More Elementary alert layouts (elementary-schema.md §4.2), beside those of alert_test.go.
const (
	// A test alert in the current layout on another table of the same schema.
	alertCustomersBlocks = `[
 {"type":"header","text":{"type":"plain_text","text":"Failure: \"not_null\" test failed on analytics.prod.customers.customer_id"}},
 {"type":"context","elements":[{"type":"mrkdwn","text":"Powered by <https://www.elementary-data.com/|Elementary>"}]},
 {"type":"section","text":{"type":"mrkdwn","text":"*Test:* not_null | *Status:* fail | *Time:* 2024-05-01 13:05:22 UTC"}},
 {"type":"divider"}]`
	// A test alert on orders without a report link or column (a table-level test).
	alertOrdersUniqueBlocks = `[
 {"type":"header","text":{"type":"plain_text","text":"Warning: \"unique_combination_of_columns\" test failed on analytics.prod.orders"}},
 {"type":"context","elements":[{"type":"mrkdwn","text":"Powered by <https://www.elementary-data.com/|Elementary>"}]}]`
	// A source freshness runtime error.
	alertFreshErrorBlocks = `[
 {"type":"header","text":{"type":"plain_text","text":"Error: Failed to calculate the source freshness of \"stripe.charges\""}},
 {"type":"section","text":{"type":"mrkdwn","text":"*Source:* stripe.charges | *Status:* error"}}]`
	// A test alert whose report link names the test run (elementary_unique_id = test id.column.sub_type).
	alertVolumeBlocks = `[
 {"type":"header","text":{"type":"plain_text","text":"Warning: \"volume_anomalies - Row Count\" test failed on analytics.prod.orders"}},
 {"type":"section","text":{"type":"mrkdwn","text":"*Test:* volume_anomalies | <https://r.example.com/report/test-runs/test.shop.volume_anomalies_orders.9f1.None.row_count/|View test runs>"}}]`
)

func TestAlertMatchMatches(t *testing.T) {
	msg := func(blocks, atts string) AlertMessage {
		m := AlertMessage{Blocks: json.RawMessage(blocks)}
		if atts != "" {
			m.Attachments = json.RawMessage(atts)
		}
		return m
	}
	notNullOrders := AlertMatch{Kind: "test", Table: "ANALYTICS.PROD.ORDERS", Column: "ORDER_ID", Test: "not_null"}
	tests := []struct {
		name  string
		msg   AlertMessage
		match AlertMatch
		want  bool
	}{
		// Tests.
		{"test: table, test and column", msg(alertTestNewBlocks, alertTestNewAttachments), notNullOrders, true},
		{"test: report link names the elementary_unique_id", msg(alertTestNewBlocks, alertTestNewAttachments),
			AlertMatch{Kind: "test", UniqueIDs: []string{"test.shop.not_null_orders_order_id.abc123.order_id.generic"}}, true},
		{"test: report link extends the test unique_id", msg(alertTestNewBlocks, alertTestNewAttachments),
			AlertMatch{Kind: "test", UniqueIDs: []string{"test.shop.not_null_orders_order_id.abc123"}}, true},
		{"test: report link names another test", msg(alertTestNewBlocks, alertTestNewAttachments),
			AlertMatch{Kind: "test", Table: "analytics.prod.orders", Column: "order_id", Test: "not_null",
				UniqueIDs: []string{"test.shop.not_null_orders_order_id.zzz999"}}, false},
		{"test: another column", msg(alertTestNewBlocks, alertTestNewAttachments),
			AlertMatch{Kind: "test", Table: "analytics.prod.orders", Column: "customer_id", Test: "not_null"}, false},
		{"test: another test", msg(alertTestNewBlocks, alertTestNewAttachments),
			AlertMatch{Kind: "test", Table: "analytics.prod.orders", Column: "order_id", Test: "unique"}, false},
		{"test: another table", msg(alertCustomersBlocks, ""), notNullOrders, false},
		{"test: no column on the message", msg(alertOrdersUniqueBlocks, ""),
			AlertMatch{Kind: "test", Table: "analytics.prod.orders", Test: "unique_combination_of_columns"}, true},
		{"test: no column on the match", msg(alertTestNewBlocks, alertTestNewAttachments),
			AlertMatch{Kind: "test", Table: "analytics.prod.orders", Test: "not_null"}, true},
		{"test: sub type header", msg(alertVolumeBlocks, ""),
			AlertMatch{Kind: "test", Table: "analytics.prod.orders", Test: "volume_anomalies"}, true},
		{"test: sub type by link", msg(alertVolumeBlocks, ""),
			AlertMatch{Kind: "test", UniqueIDs: []string{"test.shop.volume_anomalies_orders.9f1"}}, true},
		{"test: legacy text-only attachment", AlertMessage{Attachments: json.RawMessage(`[{"fallback":"Failure: \"unique\" test failed on db.sch.customers","text":"*Test:* unique"}]`)},
			AlertMatch{Kind: "test", Table: "db.sch.customers", Test: "unique"}, true},
		{"test: legacy layout in attachments", msg(`[]`, stagingAlertAttachments),
			AlertMatch{Kind: "test", Table: "analytics.staging.stg_stripe__payments", Column: "payment_id", Test: "not_null"}, true},
		{"test: schema change", msg(alertSchemaBlocks, ""),
			AlertMatch{Kind: "test", Table: "analytics.prod.orders", Column: "discount", Test: "schema_changes"}, true},
		{"test: schema change is not a not_null", msg(alertSchemaBlocks, ""), notNullOrders, false},
		{"test: no table to compare", msg(alertTestNewBlocks, alertTestNewAttachments), AlertMatch{Kind: "test", Test: "not_null"}, false},
		{"test: a model alert is not a test's", msg(alertModelLegacyBlocks, alertModelLegacyAttachments),
			AlertMatch{Kind: "test", Table: "analytics.prod.fct_orders", Test: "not_null"}, false},
		// Table groups.
		{"group: test of the group's model by id", msg(alertGroupBlocks, ""),
			AlertMatch{Kind: "test", Table: "analytics.prod.fct_revenue", Test: "not_null",
				UniqueIDs: []string{"test.kumo.not_null_fct_revenue_id.1", "model.kumo.fct_revenue"}}, true},
		{"group: test of the group's table", msg(`[{"type":"header","text":{"type":"plain_text","text":"Failure: fct_revenue: 3 issues detected"}}]`, ""),
			AlertMatch{Kind: "test", Table: "analytics.prod.fct_revenue", Test: "not_null"}, true},
		{"group: another model's test", msg(alertGroupBlocks, ""),
			AlertMatch{Kind: "test", Table: "analytics.prod.orders", Test: "not_null", UniqueIDs: []string{"model.kumo.orders"}}, false},
		{"group: model by name", msg(alertGroupBlocks, ""), AlertMatch{Kind: "model", Name: "fct_revenue"}, true},
		{"group: freshness never", msg(alertGroupBlocks, ""), AlertMatch{Kind: "source_freshness", Name: "fct_revenue"}, false},
		// Models.
		{"model: by report link", msg(alertModelLegacyBlocks, alertModelLegacyAttachments),
			AlertMatch{Kind: "model", UniqueIDs: []string{"model.kumo.fct_orders"}}, true},
		{"model: link names another model", msg(alertModelLegacyBlocks, alertModelLegacyAttachments),
			AlertMatch{Kind: "model", Name: "fct_orders", UniqueIDs: []string{"model.other.fct_orders"}}, false},
		{"model: by name, attachments only", AlertMessage{Attachments: json.RawMessage(`[{"color":"#ff0000","blocks":` + alertModelLegacyBlocks + `}]`)},
			AlertMatch{Kind: "model", Name: "FCT_ORDERS"}, true},
		{"model: another name", msg(alertModelLegacyBlocks, ""), AlertMatch{Kind: "model", Name: "fct_orders_v2"}, false},
		{"model: snapshot", msg(alertSnapshotBlocks, ""), AlertMatch{Kind: "model", Name: "orders_snapshot"}, true},
		{"model: cut header, subtitle name", msg(alertCutHeaderBlocks, ""), AlertMatch{Kind: "model", Name: "dim_customers"}, true},
		{"model: no name to compare", msg(alertModelLegacyBlocks, ""), AlertMatch{Kind: "model"}, false},
		// Sources.
		{"source: freshness exceeded", msg(alertFreshBlocks, ""), AlertMatch{Kind: "source_freshness", Name: "stripe.payments"}, true},
		{"source: runtime error", msg(alertFreshErrorBlocks, ""), AlertMatch{Kind: "source_freshness", Name: "stripe.charges"}, true},
		{"source: another source", msg(alertFreshBlocks, ""), AlertMatch{Kind: "source_freshness", Name: "stripe.charges"}, false},
		{"source: a bare identifier is not enough", msg(alertFreshBlocks, ""), AlertMatch{Kind: "source_freshness", Name: "ayments"}, false},
		{"source: execution id link", msg(`[{"type":"header","text":{"type":"plain_text","text":"Warning: Freshness exceeded the acceptable times on source \"raw.stripe.payments\""}},
 {"type":"section","text":{"type":"mrkdwn","text":"*Source:* stripe.payments | <https://r.example.com/report/test-runs/9e1c.source.shop.stripe.payments/|View test runs>"}}]`, ""),
			AlertMatch{Kind: "source_freshness", UniqueIDs: []string{"source.shop.stripe.payments"}}, true},
		{"source: a model alert is not a source's", msg(alertModelLegacyBlocks, ""), AlertMatch{Kind: "source_freshness", Name: "fct_orders"}, false},
		{"unknown kind", msg(alertTestNewBlocks, alertTestNewAttachments), AlertMatch{Kind: "exposure", Table: "analytics.prod.orders"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, ok := RecognizeAlert(tt.msg)
			if !ok {
				t.Fatalf("not recognised as an alert")
			}
			if got := tt.match.Matches(a); got != tt.want {
				t.Errorf("Matches(%+v) = %v, want %v", a, got, tt.want)
			}
		})
	}
}

// newSearchBot returns a bot over fake's Web API (not connected: the calls under test need no socket).
func newSearchBot(t *testing.T, fake *slacktest.Slack, now func() time.Time) *Bot {
	t.Helper()
	return New(Config{APIURL: fake.APIURL(), BotToken: fake.BotToken(), AppToken: fake.AppToken(), PostInterval: time.Millisecond},
		Deps{Mentioner: &mapMentioner{}, Now: now})
}

func TestFindAlertMessage(t *testing.T) {
	fake := slacktest.New(t)
	ctx := webTestCtx(t)
	b := newSearchBot(t, fake, nil)
	bot := fake.BotUserID()
	fake.AddChannel(slacktest.Channel{ID: "C0ALERTS", Name: "data-alerts", Members: []string{"U1", bot}})
	fake.AddChannel(slacktest.Channel{ID: "C0SECRET", Name: "secret", Members: []string{"U1"}})
	fake.AddChannel(slacktest.Channel{ID: "G0PRIV", Name: "data-private", IsPrivate: true, Members: []string{bot}})

	sentAt := time.Date(2026, 11, 24, 5, 0, 30, 0, time.UTC)
	elementary := func(at time.Time, blocks, atts string) slacktest.Message {
		m := slacktest.Message{TS: slackTS(at), BotID: "BELEM", Username: "Elementary", Subtype: "bot_message",
			Blocks: json.RawMessage(blocks)}
		if atts != "" {
			m.Attachments = json.RawMessage(atts)
		}
		return m
	}
	add := func(channel string, m slacktest.Message) string { return fake.AddMessage(channel, m) }
	// The batch edr posted at one a second, sent_at set after the last: the orders alert, then others.
	ordersTS := add("C0ALERTS", elementary(sentAt.Add(-4*time.Second), alertTestNewBlocks, alertTestNewAttachments))
	add("C0ALERTS", elementary(sentAt.Add(-3*time.Second), alertCustomersBlocks, ""))
	modelTS := add("C0ALERTS", elementary(sentAt.Add(-2*time.Second), alertModelLegacyBlocks, alertModelLegacyAttachments))
	freshTS := add("C0ALERTS", elementary(sentAt.Add(-1*time.Second), alertFreshBlocks, ""))
	// Yesterday's alert on the same test, outside the window, and one two hours after.
	add("C0ALERTS", elementary(sentAt.Add(-26*time.Hour), alertTestNewBlocks, alertTestNewAttachments))
	add("C0ALERTS", elementary(sentAt.Add(2*time.Hour), alertTestNewBlocks, alertTestNewAttachments))
	// People talking, a reply quoting the alert (thread replies are not candidates), and an older same-test alert
	// inside the window: the closest to sent_at wins.
	add("C0ALERTS", slacktest.Message{TS: slackTS(sentAt.Add(time.Minute)), User: "U1", Text: "looking at orders"})
	add("C0ALERTS", slacktest.Message{TS: slackTS(sentAt.Add(2 * time.Minute)), ThreadTS: ordersTS, User: "U1",
		Blocks: json.RawMessage(alertTestNewBlocks)})
	add("C0ALERTS", elementary(sentAt.Add(-50*time.Minute), alertTestNewBlocks, alertTestNewAttachments))
	privTS := add("G0PRIV", elementary(sentAt.Add(-time.Second), alertSnapshotBlocks, ""))

	notNullOrders := AlertMatch{Kind: "test", Table: "analytics.prod.orders", Column: "order_id", Test: "not_null"}
	tests := []struct {
		name, channel string
		sentAt        time.Time
		match         AlertMatch
		wantChannel   string
		wantTS        string
		wantErr       string
	}{
		{name: "test alert by ID", channel: "C0ALERTS", sentAt: sentAt, match: notNullOrders, wantChannel: "C0ALERTS", wantTS: ordersTS},
		{name: "test alert by #name", channel: "#data-alerts", sentAt: sentAt, match: notNullOrders, wantChannel: "C0ALERTS", wantTS: ordersTS},
		{name: "model alert by report link", channel: "data-alerts", sentAt: sentAt,
			match: AlertMatch{Kind: "model", UniqueIDs: []string{"model.kumo.fct_orders"}}, wantChannel: "C0ALERTS", wantTS: modelTS},
		{name: "freshness", channel: "C0ALERTS", sentAt: sentAt, match: AlertMatch{Kind: "source_freshness", Name: "stripe.payments"},
			wantChannel: "C0ALERTS", wantTS: freshTS},
		{name: "sent_at minutes after the post", channel: "C0ALERTS", sentAt: sentAt.Add(8 * time.Minute), match: notNullOrders,
			wantChannel: "C0ALERTS", wantTS: ordersTS},
		{name: "nothing for this alert", channel: "C0ALERTS", sentAt: sentAt,
			match: AlertMatch{Kind: "test", Table: "analytics.prod.payments", Test: "not_null"}, wantChannel: "C0ALERTS"},
		{name: "only outside the window", channel: "C0ALERTS", sentAt: sentAt.Add(-12 * time.Hour), match: notNullOrders, wantChannel: "C0ALERTS"},
		{name: "private channel by name", channel: "data-private", sentAt: sentAt, match: AlertMatch{Kind: "model", Name: "orders_snapshot"},
			wantChannel: "G0PRIV", wantTS: privTS},
		{name: "not in channel", channel: "C0SECRET", sentAt: sentAt, match: notNullOrders, wantErr: "not_in_channel"},
		{name: "unknown name", channel: "#nope", sentAt: sentAt, match: notNullOrders, wantErr: ErrUnknownChannel.Error()},
		{name: "no sent_at", channel: "C0ALERTS", match: notNullOrders, wantErr: "no sent_at"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ch, ts, err := b.FindAlertMessage(ctx, tt.channel, tt.sentAt, tt.match)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || ts != "" {
					t.Fatalf("= %q %q %v, want an error with %q", ch, ts, err, tt.wantErr)
				}
				return
			}
			if err != nil || ch != tt.wantChannel || ts != tt.wantTS {
				t.Errorf("= %q %q %v, want %q %q", ch, ts, err, tt.wantChannel, tt.wantTS)
			}
		})
	}
	calls := fake.Calls("conversations.history")
	if len(calls) == 0 {
		t.Fatal("no conversations.history call")
	}
	if f := calls[0].Form; f.Get("oldest") != slackTS(sentAt.Add(-time.Hour)) || f.Get("latest") != slackTS(sentAt.Add(10*time.Minute)) ||
		f.Get("inclusive") != "1" || f.Get("limit") != "200" {
		t.Errorf("history window: %v", f)
	}
	// Slack's errors stay recognisable through the wrapping, for the caller's log.
	_, _, err := b.FindAlertMessage(ctx, "C0SECRET", sentAt, notNullOrders)
	if !isSlackError(err, "not_in_channel") {
		t.Errorf("not_in_channel not wrapped: %v", err)
	}
	fake.FailNext("conversations.history", "missing_scope")
	if _, _, err := b.FindAlertMessage(ctx, "C0ALERTS", sentAt, notNullOrders); !isSlackError(err, "missing_scope") {
		t.Errorf("missing_scope: %v", err)
	}
}

// TestFindAlertMessagePages reads at most five pages of 200 and stops early once the messages left are farther
// from sent_at than the best match.
func TestFindAlertMessagePages(t *testing.T) {
	fake := slacktest.New(t)
	ctx := webTestCtx(t)
	b := newSearchBot(t, fake, nil)
	fake.AddChannel(slacktest.Channel{ID: "C0BUSY", Name: "busy"})
	sentAt := time.Date(2026, 11, 24, 5, 0, 0, 0, time.UTC)
	// 1,500 chat messages a second apart from sent_at−1h to sent_at−35min.
	for i := range 1500 {
		fake.AddMessage("C0BUSY", slacktest.Message{TS: slackTS(sentAt.Add(-time.Hour + time.Duration(i)*time.Second)), User: "U1", Text: fmt.Sprint("chat ", i)})
	}
	// The only alert is the oldest message, beyond the five pages.
	fake.AddMessage("C0BUSY", slacktest.Message{TS: slackTS(sentAt.Add(-time.Hour + 500*time.Millisecond)), BotID: "BELEM",
		Blocks: json.RawMessage(alertFreshBlocks)})
	m := AlertMatch{Kind: "source_freshness", Name: "stripe.payments"}
	_, ts, err := b.FindAlertMessage(ctx, "C0BUSY", sentAt, m)
	if err != nil || ts != "" {
		t.Errorf("alert beyond five pages: %q %v", ts, err)
	}
	if n := len(fake.Calls("conversations.history")); n != alertSearchPages {
		t.Errorf("%d pages read, want %d", n, alertSearchPages)
	}

	near := fake.AddMessage("C0BUSY", slacktest.Message{TS: slackTS(sentAt.Add(-2 * time.Second)), BotID: "BELEM",
		Blocks: json.RawMessage(alertFreshBlocks)})
	before := len(fake.Calls("conversations.history"))
	_, ts, err = b.FindAlertMessage(ctx, "C0BUSY", sentAt, m)
	if err != nil || ts != near {
		t.Errorf("near alert: %q %v, want %q", ts, err, near)
	}
	if n := len(fake.Calls("conversations.history")) - before; n != 1 {
		t.Errorf("%d pages read after a near match, want 1", n)
	}
}

func TestChannelID(t *testing.T) {
	fake := slacktest.New(t)
	ctx := webTestCtx(t)
	clock, advance := testClock(time.Date(2026, 11, 24, 5, 0, 0, 0, time.UTC))
	b := newSearchBot(t, fake, clock)
	bot := fake.BotUserID()
	for i := range 450 { // three pages of 200
		fake.AddChannel(slacktest.Channel{ID: fmt.Sprintf("C%04d", i), Name: fmt.Sprintf("chan-%d", i)})
	}
	fake.AddChannel(slacktest.Channel{ID: "C9FIN", Name: "data-finance"})
	fake.AddChannel(slacktest.Channel{ID: "G9PRIV", Name: "data-private", IsPrivate: true, Members: []string{bot}})
	fake.AddChannel(slacktest.Channel{ID: "G9HIDDEN", Name: "hidden", IsPrivate: true, Members: []string{"U1"}})
	fake.AddChannel(slacktest.Channel{ID: "C9OLD", Name: "old", IsArchived: true})

	lists := func() int { return len(fake.Calls("conversations.list")) }
	tests := []struct {
		in, want, err string
	}{
		{in: "C0123ABCD", want: "C0123ABCD"},
		{in: "G0123ABCD", want: "G0123ABCD"},
		{in: "#data-finance", want: "C9FIN"},
		{in: "data-finance", want: "C9FIN"},
		{in: "Data-Finance", want: "C9FIN"},
		{in: "#data-private", want: "G9PRIV"},
		{in: "chan-449", want: "C0449"},
		{in: "#hidden", err: "no such channel"},
		{in: "#old", err: "no such channel"},
		{in: "#", err: "empty channel"},
	}
	for _, tt := range tests {
		got, err := b.ChannelID(ctx, tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("ChannelID(%q) = %q, %v; want an error with %q", tt.in, got, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ChannelID(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
	// One listing of three pages served every name: misses within a minute do not list again.
	if n := lists(); n != 3 {
		t.Errorf("conversations.list calls = %d, want 3 (one listing)", n)
	}
	if _, err := b.ChannelID(ctx, "#hidden"); !errors.Is(err, ErrUnknownChannel) {
		t.Errorf("unknown name: %v", err)
	}
	// A channel created later is found once the miss may list again; a cached name is not listed again within the
	// TTL, and is after it.
	fake.AddChannel(slacktest.Channel{ID: "C9NEW", Name: "new-team"})
	advance(2 * time.Minute)
	if got, err := b.ChannelID(ctx, "#new-team"); err != nil || got != "C9NEW" {
		t.Errorf("new channel: %q %v", got, err)
	}
	if n := lists(); n != 6 {
		t.Errorf("conversations.list calls = %d, want 6", n)
	}
	advance(30 * time.Minute)
	if got, _ := b.ChannelID(ctx, "#data-finance"); got != "C9FIN" || lists() != 6 {
		t.Errorf("cached: %q, %d listings", got, lists())
	}
	advance(time.Hour)
	fake.FailNext("conversations.list", "ratelimited_internal")
	if got, err := b.ChannelID(ctx, "#data-finance"); err != nil || got != "C9FIN" {
		t.Errorf("a failed refresh keeps the cached ID: %q %v", got, err)
	}
	advance(2 * time.Minute)
	fake.FailNext("conversations.list", "missing_scope")
	if _, err := b.ChannelID(ctx, "#nope"); !isSlackError(err, "missing_scope") {
		t.Errorf("a failed listing: %v", err)
	}
}

// BenchmarkRecognizeAndMatch is the per-message cost of the history search: reading a message as an alert and
// matching it.
func BenchmarkRecognizeAndMatch(b *testing.B) {
	msg := AlertMessage{Blocks: json.RawMessage(alertTestNewBlocks), Attachments: json.RawMessage(alertTestNewAttachments)}
	m := AlertMatch{Kind: "test", Table: "analytics.prod.orders", Column: "order_id", Test: "not_null"}
	b.ReportAllocs()
	for b.Loop() {
		a, ok := RecognizeAlert(msg)
		if !ok || !m.Matches(a) {
			b.Fatal("no match")
		}
	}
}

// BenchmarkFindAlertMessage searches a busy channel through the fake: 1,000 messages in the window, every fifth
// an Elementary alert on another table, the match the oldest (all five pages read).
func BenchmarkFindAlertMessage(b *testing.B) {
	fake := slacktest.New(b)
	bot := New(Config{APIURL: fake.APIURL(), BotToken: fake.BotToken(), AppToken: fake.AppToken()}, Deps{Mentioner: &mapMentioner{}})
	fake.AddChannel(slacktest.Channel{ID: "C0BUSY", Name: "busy"})
	sentAt := time.Date(2026, 11, 24, 5, 0, 0, 0, time.UTC)
	want := fake.AddMessage("C0BUSY", slacktest.Message{TS: slackTS(sentAt.Add(-59 * time.Minute)), BotID: "BELEM",
		Blocks: json.RawMessage(alertTestNewBlocks), Attachments: json.RawMessage(alertTestNewAttachments)})
	for i := range 999 {
		m := slacktest.Message{TS: slackTS(sentAt.Add(-58*time.Minute + time.Duration(i)*3*time.Second)), User: "U1", Text: "chat"}
		if i%5 == 0 {
			m = slacktest.Message{TS: m.TS, BotID: "BELEM", Blocks: json.RawMessage(alertCustomersBlocks)}
		}
		fake.AddMessage("C0BUSY", m)
	}
	match := AlertMatch{Kind: "test", Table: "analytics.prod.orders", Column: "order_id", Test: "not_null"}
	ctx := context.Background()
	for b.Loop() {
		_, ts, err := bot.FindAlertMessage(ctx, "C0BUSY", sentAt, match)
		if err != nil || ts != want {
			b.Fatalf("= %q %v", ts, err)
		}
	}
}
