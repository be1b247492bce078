package bot

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/todai-dev/todai/bot/slacktest"
	"github.com/todai-dev/todai/bot/slackui"
	"github.com/todai-dev/todai/handlers"
	"github.com/todai-dev/todai/handlers/handlerstest"
	"github.com/todai-dev/todai/queries"
	"github.com/todai-dev/todai/queries/demo"
	"github.com/todai-dev/todai/queries/localdb"
	"github.com/todai-dev/todai/queries/localdb/localdbtest"
	"github.com/todai-dev/todai/queries/mirror"
	"github.com/todai-dev/todai/queries/source"
)

// mirrorTemplate builds a demo warehouse and syncs it into a local mirror once per models count; tests copy it.
type mirrorTemplate struct {
	once sync.Once
	path string
	err  error
}

var (
	testMirror  mirrorTemplate
	benchMirror mirrorTemplate
)

// escapeDescription is put into fct_orders' description: it must reach Slack escaped.
const escapeDescription = "Orders fact <!channel> ping <@U0EVIL> and <https://evil.example|click>"

func (m *mirrorTemplate) build(tb testing.TB, models int) string {
	tb.Helper()
	m.once.Do(func() {
		dir, err := os.MkdirTemp("", "todai-bot-mirror-")
		if err != nil {
			m.err = err
			return
		}
		m.path, m.err = buildMirror(dir, models)
	})
	if m.err != nil {
		tb.Fatalf("demo mirror: %v", m.err)
	}
	return m.path
}

func buildMirror(dir string, models int) (string, error) {
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Hour)
	wh := filepath.Join(dir, "warehouse.db")
	if err := demo.Build(ctx, wh, demo.Options{Models: models, Sources: 12, Days: 5, Now: now}); err != nil {
		return "", err
	}
	src, err := source.Open(ctx, "sqlite://"+wh, source.Options{})
	if err != nil {
		return "", err
	}
	defer src.Close()
	path := filepath.Join(dir, "state.db")
	db, err := localdb.Open(ctx, path)
	if err != nil {
		return "", err
	}
	quiet := slog.New(slog.DiscardHandler)
	if _, err := mirror.New(db, src, mirror.Options{Logger: quiet, Deriver: &queries.Derived{}}).Sync(ctx); err != nil {
		db.Close()
		return "", err
	}
	if _, err := db.Write.ExecContext(ctx, `UPDATE nodes SET description = ? WHERE unique_id = ?`,
		escapeDescription, demo.StoryFailingModelID); err != nil {
		db.Close()
		return "", err
	}
	return path, db.Close()
}

// copyMirror opens a private copy of a template mirror.
func copyMirror(tb testing.TB, template string) *localdb.DB {
	tb.Helper()
	in, err := os.Open(template)
	if err != nil {
		tb.Fatal(err)
	}
	defer in.Close()
	path := filepath.Join(tb.TempDir(), "state.db")
	out, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	// Synced, so that the copy's write-back is not paid by the first checkpoint of a test or benchmark.
	if _, err := io.Copy(out, in); err != nil {
		tb.Fatal(err)
	}
	if err := errors.Join(out.Sync(), out.Close()); err != nil {
		tb.Fatal(err)
	}
	db := localdbtest.Open(tb, path)
	return db
}

// mapMentioner resolves owners from a fixed map, recording what it was asked.
type mapMentioner struct {
	mu    sync.Mutex
	m     map[string]string
	asked []string
}

func (mm *mapMentioner) Mentions(_ context.Context, owners []string) map[string]string {
	mm.mu.Lock()
	defer mm.mu.Unlock()
	mm.asked = append(mm.asked, owners...)
	out := map[string]string{}
	for _, o := range owners {
		if v, ok := mm.m[o]; ok {
			out[o] = v
		}
	}
	return out
}

// harness is a bot running against a fake Slack and a real demo mirror.
type harness struct {
	fake   *slacktest.Slack
	bot    *Bot
	db     *localdb.DB
	reader *queries.Reader
	cancel context.CancelFunc
	done   chan error
}

type harnessOpts struct {
	cfg       Config
	reader    func(*queries.Reader) ReadModel
	incidents IncidentDesk
	teams     Teams
	mentioner Mentioner
	fakeOpts  []slacktest.Option
	botToken  string
	noMirror  bool
	home      HomePublisher
	questions QuestionObserver
	logger    *slog.Logger
	// mirror, when set, builds the mirror the bot answers from instead of the demo's.
	mirror func(t testing.TB) *localdb.DB
	// charts draws charts as images.
	charts ChartDrawer
	// now, when set, is the bot's and the read model's clock.
	now func() time.Time
}

func startBot(t testing.TB, o harnessOpts) *harness {
	t.Helper()
	fake := slacktest.New(t, o.fakeOpts...)
	var db *localdb.DB
	if o.noMirror {
		db = localdbtest.Open(t, filepath.Join(t.TempDir(), "empty.db"))
	} else if o.mirror != nil {
		db = o.mirror(t)
	} else {
		db = copyMirror(t, testMirror.build(t, 80))
	}
	r := queries.NewReader(db, queries.ReaderOptions{Now: o.now})
	var hr ReadModel = r
	if o.reader != nil {
		hr = o.reader(r)
	}
	cfg := o.cfg
	cfg.APIURL = fake.APIURL()
	cfg.AppToken = fake.AppToken()
	cfg.BotToken = cmp.Or(o.botToken, fake.BotToken())
	if cfg.PingInterval == 0 {
		cfg.PingInterval = 5 * time.Second
	}
	if cfg.PostInterval == 0 {
		cfg.PostInterval = time.Millisecond
	}
	cfg.MinBackoff, cfg.MaxBackoff = 10*time.Millisecond, 100*time.Millisecond
	m := o.mentioner
	if m == nil {
		m = &mapMentioner{}
	}
	logger := slog.New(slog.DiscardHandler)
	if testing.Verbose() {
		logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	if o.logger != nil {
		logger = o.logger
	}
	b := New(cfg, Deps{Reader: hr, Incidents: o.incidents, Teams: o.teams, DB: db, Mentioner: m, Logger: logger,
		Home: o.home, Questions: o.questions, Charts: o.charts, Now: o.now})
	ctx, cancel := context.WithCancel(context.Background())
	h := &harness{fake: fake, bot: b, db: db, reader: r, cancel: cancel, done: make(chan error, 1)}
	go func() { h.done <- b.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-h.done:
		case <-time.After(15 * time.Second):
			t.Error("Run did not return after cancel")
		}
	})
	return h
}

func (h *harness) stop(t testing.TB) error {
	t.Helper()
	h.cancel()
	select {
	case err := <-h.done:
		h.done <- err // for the cleanup
		return err
	case <-time.After(15 * time.Second):
		t.Fatal("Run did not return after cancel")
		return nil
	}
}

func testCtx(t testing.TB) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// buttons returns the action_ids and values of the buttons in blocks.
func buttons(t testing.TB, blocks json.RawMessage) map[string]string {
	t.Helper()
	var bs []struct {
		Type     string `json:"type"`
		Elements []struct {
			Type     string `json:"type"`
			ActionID string `json:"action_id"`
			Value    string `json:"value"`
		} `json:"elements"`
	}
	if err := json.Unmarshal(blocks, &bs); err != nil {
		t.Fatalf("blocks: %v\n%s", err, blocks)
	}
	out := map[string]string{}
	for _, b := range bs {
		if b.Type != "actions" {
			continue
		}
		for _, e := range b.Elements {
			out[e.ActionID] = e.Value
		}
	}
	return out
}

func TestSlashCommand(t *testing.T) {
	tests := []struct {
		name, text, responseType string
		share                    bool
		inText                   []string
	}{
		{name: "ephemeral", text: "status fct_orders", responseType: "ephemeral", share: true, inText: []string{"fct_orders"}},
		{name: "public word", text: "status fct_orders public", responseType: "in_channel", inText: []string{"fct_orders"}},
		{name: "public first", text: "public who owns fct_revenue?", responseType: "in_channel", inText: []string{"fct_revenue"}},
		{name: "--public", text: "fct_ordersの状態 --public", responseType: "in_channel", inText: []string{"fct_orders", "テスト"}},
		{name: "not found", text: "status no_such_model_xyz", responseType: "ephemeral", inText: []string{"no_such_model_xyz"}},
		{name: "help", text: "", responseType: "ephemeral", inText: []string{"status"}},
	}
	h := startBot(t, harnessOpts{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := testCtx(t)
			env, rid := slash(h, tt.text, "C1")
			if _, err := h.fake.WaitAck(ctx, env); err != nil {
				t.Fatal(err)
			}
			p, err := h.fake.WaitPost(ctx, byResponse(rid))
			if err != nil {
				t.Fatal(err)
			}
			if p.ResponseType != tt.responseType {
				t.Errorf("response_type = %q, want %q", p.ResponseType, tt.responseType)
			}
			all := p.AllText()
			for _, s := range tt.inText {
				if !strings.Contains(all, s) {
					t.Errorf("answer lacks %q:\n%s", s, all)
				}
			}
			if len(p.Blocks) == 0 || p.Text == "" {
				t.Errorf("answer needs blocks and fallback text: %+v", p)
			}
			if _, ok := buttons(t, p.Blocks)[slackui.ActionShare]; ok != tt.share {
				t.Errorf("share button present = %v, want %v", ok, tt.share)
			}
		})
	}
}

var responseSeq atomic.Int64

// slash sends a slash command with its own response URL and returns the envelope and response ids.
func slash(h *harness, text, channel string) (env, responseID string) {
	responseID = fmt.Sprintf("r%d", responseSeq.Add(1))
	env = h.fake.SendSlashCommand(slacktest.SlashCommand{Text: text, UserID: "U1", ChannelID: channel,
		ResponseURL: h.fake.ResponseURL(responseID)})
	return env, responseID
}

func byResponse(id string) func(slacktest.Post) bool {
	return func(p slacktest.Post) bool { return p.Method == "response_url" && p.ResponseID == id }
}

// fctOrdersAlert is an Elementary model alert on fct_orders in the current block layout, with a report link.
const fctOrdersAlertBlocks = `[
 {"type":"header","text":{"type":"plain_text","text":"Error: dbt failed to build table \"fct_orders\""}},
 {"type":"context","elements":[{"type":"mrkdwn","text":"Powered by <https://www.elementary-data.com/|Elementary>"}]},
 {"type":"section","text":{"type":"mrkdwn","text":"*Model:* fct_orders | *Status:* error | *Time:* 2026-11-24 05:00:12 UTC\n<https://report.example.com/report/model-runs/model.kumo.fct_orders/|View model runs>"}},
 {"type":"divider"}]`

// A legacy test alert on the staging model: attachments only, no attribution line.
const stagingAlertAttachments = `[{"color":"#ff0000","blocks":[
 {"type":"header","text":{"type":"plain_text","text":"Failure: \"not_null\" test failed on analytics.staging.stg_stripe__payments.payment_id"}},
 {"type":"context","elements":[{"type":"mrkdwn","text":"*Test:* not_null     |  *Status:* fail     |  *2026-11-24 05:00:12 UTC*"}]}]}]`

func TestMentionUnderElementaryAlert(t *testing.T) {
	h := startBot(t, harnessOpts{})
	ctx := testCtx(t)
	owner, err := h.reader.Owner(ctx, demo.StoryFailingModelID)
	if err != nil || len(owner.Owners) == 0 {
		t.Fatalf("owner of fct_orders: %+v %v", owner, err)
	}
	mm := &mapMentioner{m: map[string]string{owner.Owners[0]: "<@UOWNER1>"}}
	h = startBot(t, harnessOpts{mentioner: mm})
	h.fake.AddChannel(slacktest.Channel{ID: "C2", Name: "data-alerts"})
	parent := h.fake.AddMessage("C2", slacktest.Message{BotID: "BELEMENTARY", Username: "Elementary",
		Blocks: json.RawMessage(fctOrdersAlertBlocks)})
	legacy := h.fake.AddMessage("C2", slacktest.Message{BotID: "BELEMENTARY", Attachments: json.RawMessage(stagingAlertAttachments)})
	plain := h.fake.AddMessage("C2", slacktest.Message{User: "U7", Text: "is int_inventory_snapshot broken again?"})

	tests := []struct {
		name, text, parent string
		inText             []string
	}{
		{name: "owner", text: "<@U0BOT> owner?", parent: parent, inText: []string{"fct_orders", "<@UOWNER1>"}},
		{name: "why", text: "<@U0BOT> why?", parent: parent, inText: []string{"fct_orders"}},
		{name: "urgent", text: "<@U0BOT> is this urgent?", parent: parent, inText: []string{"fct_orders"}},
		{name: "history", text: "<@U0BOT> history", parent: parent, inText: []string{"fct_orders"}},
		{name: "ja why", text: "<@U0BOT> なぜ？", parent: parent, inText: []string{"fct_orders"}},
		{name: "ja owner", text: "<@U0BOT> オーナーは？", parent: parent, inText: []string{"<@UOWNER1>", "オーナー"}},
		{name: "ja urgent", text: "<@U0BOT> 緊急？", parent: parent, inText: []string{"fct_orders"}},
		{name: "ja history", text: "<@U0BOT> 履歴", parent: parent, inText: []string{"fct_orders"}},
		{name: "bare mention", text: "<@U0BOT>", parent: parent, inText: []string{"fct_orders"}},
		{name: "legacy alert", text: "<@U0BOT> owner?", parent: legacy, inText: []string{"stg_stripe__payments"}},
		{name: "node in parent text", text: "<@U0BOT> status?", parent: plain, inText: []string{"int_inventory_snapshot"}},
		{name: "explicit node wins", text: "<@U0BOT> status fct_revenue", parent: parent, inText: []string{"fct_revenue"}},
		// The questions Todai was born from, as written.
		{name: "seed describe ja", text: "<@U0BOT> このデータは、どういうデータ?", parent: parent, inText: []string{"fct_orders", "unique_id"}},
		{name: "seed urgent ja", text: "<@U0BOT> このアラートは、緊急度高いやつ?", parent: parent, inText: []string{"fct_orders", "緊急度"}},
		{name: "seed why ja", text: "<@U0BOT> なぜデータ更新されていないのか?", parent: parent, inText: []string{"fct_orders"}},
		{name: "seed describe en", text: "<@U0BOT> What is this data?", parent: parent, inText: []string{"fct_orders", "unique_id"}},
		{name: "seed urgent en", text: "<@U0BOT> Is this alert urgent?", parent: parent, inText: []string{"fct_orders", "Urgency"}},
		{name: "seed why en", text: "<@U0BOT> Why hasn't the data been updated?", parent: parent, inText: []string{"fct_orders"}},
		{name: "seed updated en", text: "<@U0BOT> When was it last updated?", parent: parent, inText: []string{"fct_orders", "successful build"}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sent := time.Now()
			ts := h.fake.AddMessage("C2", slacktest.Message{User: "U1", Text: tt.text, ThreadTS: tt.parent})
			h.fake.SendEvent(slacktest.AppMention{User: "U1", Text: tt.text, TS: ts, ThreadTS: tt.parent, Channel: "C2"},
				"", 0)
			p, err := h.fake.WaitPost(ctx, func(p slacktest.Post) bool {
				return p.Method == "chat.postMessage" && p.ThreadTS == tt.parent && !p.Time.Before(sent)
			})
			if err != nil {
				t.Fatalf("case %d: %v", i, err)
			}
			all := p.AllText()
			for _, s := range tt.inText {
				if !strings.Contains(all, s) {
					t.Errorf("reply lacks %q:\n%s", s, all)
				}
			}
			if strings.Contains(all, "Which model") || strings.Contains(all, "どのモデル") {
				t.Errorf("node not taken from the thread:\n%s", all)
			}
		})
	}
	if calls := h.fake.Calls("conversations.replies"); len(calls) == 0 || calls[0].Form.Get("limit") != "1" {
		t.Errorf("conversations.replies calls: %+v", calls)
	}
}

func TestMentionUnderTodaisMessage(t *testing.T) {
	h := startBot(t, harnessOpts{})
	ctx := testCtx(t)
	// Todai posts a top-level answer about fct_revenue (as the escalation and share paths do) ...
	res, msg := h.bot.answer(ctx, handlers.Parse("status fct_revenue"), false)
	h.bot.reply(ctx, "C3", "", msg, &res)
	top, err := h.fake.WaitPost(ctx, func(p slacktest.Post) bool { return p.Channel == "C3" && p.ThreadTS == "" })
	if err != nil {
		t.Fatal(err)
	}
	// ... and someone asks in its thread.
	ts := h.fake.AddMessage("C3", slacktest.Message{User: "U1", Text: "<@U0BOT> upstream?", ThreadTS: top.TS})
	h.fake.SendEvent(slacktest.AppMention{User: "U1", Text: "<@U0BOT> upstream?", TS: ts, ThreadTS: top.TS, Channel: "C3"}, "", 0)
	p, err := h.fake.WaitPost(ctx, func(p slacktest.Post) bool { return p.ThreadTS == top.TS })
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(p.AllText(), "fct_revenue") {
		t.Errorf("reply is not about fct_revenue:\n%s", p.AllText())
	}
	if n := len(h.fake.Calls("conversations.replies")); n != 0 {
		t.Errorf("Todai's own message should be known locally; conversations.replies called %d times", n)
	}
}

func TestDirectMessage(t *testing.T) {
	h := startBot(t, harnessOpts{})
	ctx := testCtx(t)
	h.fake.SendEvent(slacktest.MessageEvent{User: "U1", Text: "who owns fct_revenue?", TS: "1700000000.000100",
		Channel: "D1", ChannelType: "im"}, "", 0)
	// The bot's own DM messages and other bots are ignored.
	h.fake.SendEvent(slacktest.MessageEvent{User: "U0BOT", Text: "status fct_orders", TS: "1700000000.000200",
		Channel: "D1", ChannelType: "im"}, "", 0)
	p, err := h.fake.WaitPost(ctx, func(p slacktest.Post) bool { return p.Channel == "D1" })
	if err != nil {
		t.Fatal(err)
	}
	if p.ThreadTS != "1700000000.000100" || !strings.Contains(p.AllText(), "fct_revenue") {
		t.Errorf("DM reply: thread %q\n%s", p.ThreadTS, p.AllText())
	}
	// A later event proves the bot's own message was skipped, not queued.
	h.fake.SendEvent(slacktest.MessageEvent{User: "U1", Text: "status fct_orders", TS: "1700000000.000300",
		Channel: "D1", ChannelType: "im"}, "", 0)
	if _, err := h.fake.WaitPost(ctx, func(p slacktest.Post) bool { return p.ThreadTS == "1700000000.000300" }); err != nil {
		t.Fatal(err)
	}
	for _, p := range h.fake.Posts() {
		if p.ThreadTS == "1700000000.000200" {
			t.Errorf("answered the bot's own message")
		}
	}
}

func TestButtons(t *testing.T) {
	h := startBot(t, harnessOpts{})
	ctx := testCtx(t)
	// An ephemeral slash answer; its share button posts the answer in the channel.
	_, rid := slash(h, "status fct_orders", "C4")
	eph, err := h.fake.WaitPost(ctx, byResponse(rid))
	if err != nil {
		t.Fatal(err)
	}
	bs := buttons(t, eph.Blocks)
	share, ok := bs[slackui.ActionShare]
	if !ok {
		t.Fatalf("no share button: %v", bs)
	}
	env := h.fake.SendBlockAction(slacktest.BlockAction{UserID: "U1", ChannelID: "C4", IsEphemeral: true,
		MessageTS: eph.TS, Actions: []slacktest.Action{{ActionID: slackui.ActionShare, Value: share}}})
	if _, err := h.fake.WaitAck(ctx, env); err != nil {
		t.Fatal(err)
	}
	pub, err := h.fake.WaitPost(ctx, func(p slacktest.Post) bool { return p.Method == "response_url" && p.ResponseType == "in_channel" })
	if err != nil {
		t.Fatal(err)
	}
	if pub.ReplaceOriginal || !strings.Contains(pub.AllText(), "fct_orders") {
		t.Errorf("shared answer: replace_original=%v\n%s", pub.ReplaceOriginal, pub.AllText())
	}
	if _, ok := buttons(t, pub.Blocks)[slackui.ActionShare]; ok {
		t.Errorf("a public answer must not offer sharing")
	}

	// An upstream button on a message in the channel answers in its thread.
	msgTS := h.fake.AddMessage("C4", slacktest.Message{BotID: "B0BOT", Text: "fct_orders is failing"})
	value := `{"i":"upstream","n":"` + demo.StoryFailingModelID + `","l":"en"}`
	h.fake.SendBlockAction(slacktest.BlockAction{UserID: "U1", ChannelID: "C4", MessageTS: msgTS,
		Actions: []slacktest.Action{{ActionID: slackui.ActionUpstream, Value: value}}})
	p, err := h.fake.WaitPost(ctx, func(p slacktest.Post) bool { return p.Method == "chat.postMessage" && p.ThreadTS == msgTS })
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(p.AllText(), "fct_orders") {
		t.Errorf("upstream answer:\n%s", p.AllText())
	}

	// A bad value and a link button are acked and ignored.
	for _, a := range []slacktest.Action{{ActionID: slackui.ActionOwner, Value: "not json"},
		{ActionID: slackui.ActionReport, Value: ""}} {
		env := h.fake.SendBlockAction(slacktest.BlockAction{UserID: "U1", ChannelID: "C4", MessageTS: msgTS,
			Actions: []slacktest.Action{a}})
		if _, err := h.fake.WaitAck(ctx, env); err != nil {
			t.Fatal(err)
		}
	}
}

func TestDuplicateDeliveryAnsweredOnce(t *testing.T) {
	h := startBot(t, harnessOpts{cfg: Config{Workers: 1}})
	ctx := testCtx(t)
	ev := slacktest.AppMention{User: "U1", Text: "<@U0BOT> status fct_orders", TS: "1700000001.000100", Channel: "C5"}
	first := h.fake.SendEvent(ev, "EvDUP1", 0)
	retry := h.fake.SendEvent(ev, "EvDUP1", 1)
	for _, env := range []string{first, retry} {
		if _, err := h.fake.WaitAck(ctx, env); err != nil {
			t.Fatal(err)
		}
	}
	// With one worker, jobs run in order: once the marker is answered, the retry has been handled.
	h.fake.SendEvent(slacktest.AppMention{User: "U1", Text: "<@U0BOT> status fct_revenue", TS: "1700000001.000200",
		Channel: "C5"}, "EvMARK", 0)
	if _, err := h.fake.WaitPost(ctx, func(p slacktest.Post) bool { return p.ThreadTS == "1700000001.000200" }); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, p := range h.fake.Posts() {
		if p.ThreadTS == ev.TS {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d answers to one event delivered twice, want 1", n)
	}
	var seen int
	if err := h.db.Read.QueryRowContext(ctx, `SELECT count(*) FROM bot_seen WHERE key = 'ev:EvDUP1'`).Scan(&seen); err != nil || seen != 1 {
		t.Errorf("bot_seen: %d %v", seen, err)
	}
}

func TestReconnects(t *testing.T) {
	h := startBot(t, harnessOpts{})
	ctx := testCtx(t)
	ask := func(text string) {
		t.Helper()
		env := h.fake.SendSlashCommand(slacktest.SlashCommand{Text: text, UserID: "U1", ChannelID: "C6"})
		if _, err := h.fake.WaitAck(ctx, env); err != nil {
			t.Fatal(err)
		}
		if _, err := h.fake.WaitPost(ctx, func(p slacktest.Post) bool {
			return p.Method == "response_url" && strings.Contains(p.AllText(), strings.Fields(text)[1])
		}); err != nil {
			t.Fatal(err)
		}
	}
	if err := h.fake.WaitConnections(ctx, 1); err != nil {
		t.Fatal(err)
	}
	ask("status fct_orders")
	if err := h.fake.SendDisconnect("refresh_requested"); err != nil {
		t.Fatal(err)
	}
	if err := h.fake.WaitConnections(ctx, 2); err != nil {
		t.Fatal(err)
	}
	ask("status fct_revenue")
	if h.fake.DropConnection() == 0 {
		t.Fatal("no connection to drop")
	}
	if err := h.fake.WaitConnections(ctx, 3); err != nil {
		t.Fatal(err)
	}
	ask("owner int_inventory_snapshot")
}

func TestInvalidToken(t *testing.T) {
	t.Run("at start", func(t *testing.T) {
		h := startBot(t, harnessOpts{botToken: "xoxb-wrong"})
		select {
		case err := <-h.done:
			h.done <- err
			if !errors.Is(err, ErrAuth) || !strings.Contains(err.Error(), "invalid_auth") {
				t.Errorf("Run = %v, want ErrAuth with invalid_auth", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("Run did not fail on a bad token")
		}
	})
	t.Run("revoked while running", func(t *testing.T) {
		h := startBot(t, harnessOpts{})
		ctx := testCtx(t)
		if err := h.fake.WaitConnections(ctx, 1); err != nil {
			t.Fatal(err)
		}
		h.fake.RevokeTokens()
		h.fake.DropConnection()
		select {
		case err := <-h.done:
			h.done <- err
			if !errors.Is(err, ErrAuth) {
				t.Errorf("Run = %v, want ErrAuth", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("Run did not fail on a revoked token")
		}
	})
}

// TestConnected: the bot says it is connected once Slack said hello on its Socket Mode connection, and not after
// it stopped (readiness reads it).
func TestConnected(t *testing.T) {
	h := startBot(t, harnessOpts{})
	for deadline := time.Now().Add(10 * time.Second); !h.bot.Connected(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("never connected")
		}
	}
	if err := h.stop(t); err != nil {
		t.Fatal(err)
	}
	if h.bot.Connected() {
		t.Error("still connected after Run returned")
	}
}

// TestAnswersWhatADeadReplicaLeft: a slash command another process acked and journalled, then died before
// answering (its claim expired), is answered by this bot, once.
func TestAnswersWhatADeadReplicaLeft(t *testing.T) {
	h := startBot(t, harnessOpts{})
	ctx := testCtx(t)
	payload, err := json.Marshal(slack.SlashCommand{Command: "/todai", Text: "status fct_orders", UserID: "U1",
		ChannelID: "C1", ResponseURL: h.fake.ResponseURL("left")})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	if _, err := h.db.Write.ExecContext(ctx, `INSERT INTO bot_seen (key, seen_at, envelope_type, payload, holder, expires_at)
		VALUES ('env:dead1', ?, 'slash_commands', ?, 'dead/1', ?)`, localdb.FormatTime(now.Add(-time.Minute)),
		string(payload), localdb.FormatTime(now.Add(-time.Second))); err != nil {
		t.Fatal(err)
	}
	// And one nothing can answer (a garbled journal entry): given up, not tried every 5 s.
	if _, err := h.db.Write.ExecContext(ctx, `INSERT INTO bot_seen (key, seen_at, envelope_type, payload, holder, expires_at)
		VALUES ('env:garbled', ?, 'slash_commands', '{not json', 'dead/1', ?)`, localdb.FormatTime(now.Add(-time.Minute)),
		localdb.FormatTime(now.Add(-time.Second))); err != nil {
		t.Fatal(err)
	}
	p, err := h.fake.WaitPost(ctx, func(p slacktest.Post) bool { return p.ResponseID == "left" })
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(p.AllText(), "fct_orders") {
		t.Errorf("answer: %s", p.AllText())
	}
	time.Sleep(orphanEvery + time.Second) // the next look finds nothing left to answer
	var answers int
	for _, p := range h.fake.Posts() {
		if p.ResponseID == "left" {
			answers++
		}
	}
	var answered sql.NullString
	if err := h.db.Read.QueryRowContext(ctx, `SELECT answered_at FROM bot_seen WHERE key = 'env:dead1'`).Scan(&answered); err != nil ||
		!answered.Valid || answers != 1 {
		t.Errorf("answered %d times, answered_at %v (%v)", answers, answered, err)
	}
	if err := h.db.Read.QueryRowContext(ctx, `SELECT answered_at FROM bot_seen WHERE key = 'env:garbled'`).Scan(&answered); err != nil ||
		!answered.Valid {
		t.Errorf("a garbled entry is not given up: answered_at %v (%v)", answered, err)
	}
}

// TestStopBeforeAuthenticated stops the bot while Slack still fails auth.test: a shutdown before the bot has
// connected is as clean as one after (Run returns nil), not an error for serve to report.
func TestStopBeforeAuthenticated(t *testing.T) {
	slack := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	t.Cleanup(slack.Close)
	b := New(Config{APIURL: slack.URL + "/api/", AppToken: "xapp-1", BotToken: "xoxb-1",
		MinBackoff: 10 * time.Millisecond, MaxBackoff: 50 * time.Millisecond},
		Deps{DB: localdbtest.Open(t, filepath.Join(t.TempDir(), "empty.db")), Logger: slog.New(slog.DiscardHandler)})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- b.Run(ctx) }()
	time.Sleep(100 * time.Millisecond) // a few failed auth.test calls
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run = %v, want nil for a shutdown before auth.test answered", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
}

func TestBroadcastInDataIsEscaped(t *testing.T) {
	h := startBot(t, harnessOpts{})
	ctx := testCtx(t)
	h.fake.SendSlashCommand(slacktest.SlashCommand{Text: "describe fct_orders public", UserID: "U1", ChannelID: "C7"})
	p, err := h.fake.WaitPost(ctx, func(p slacktest.Post) bool { return p.Method == "response_url" })
	if err != nil {
		t.Fatal(err)
	}
	raw := string(p.Blocks) + p.Text
	for _, bad := range []string{"<!channel>", "<@U0EVIL>", "<https://evil.example|click>"} {
		if strings.Contains(raw, bad) {
			t.Errorf("posted blocks contain %q unescaped:\n%s", bad, raw)
		}
	}
	if !strings.Contains(p.AllText(), "&lt;!channel&gt;") {
		t.Errorf("description not shown escaped:\n%s", p.AllText())
	}
}

// blockingReader holds Status calls until released.
type blockingReader struct {
	ReadModel
	started chan struct{}
	release chan struct{}
	panicky bool
}

func (r *blockingReader) Status(ctx context.Context, name string) (queries.StatusAnswer, error) {
	if r.panicky && name == "boom" {
		panic("reader exploded")
	}
	select {
	case r.started <- struct{}{}:
	default:
	}
	select {
	case <-r.release:
	case <-ctx.Done():
		return queries.StatusAnswer{}, ctx.Err()
	}
	return r.ReadModel.Status(ctx, name)
}

func TestShutdownDrains(t *testing.T) {
	br := &blockingReader{started: make(chan struct{}, 1), release: make(chan struct{})}
	h := startBot(t, harnessOpts{reader: func(r *queries.Reader) ReadModel { br.ReadModel = r; return br }})
	ctx := testCtx(t)
	h.fake.SendSlashCommand(slacktest.SlashCommand{Text: "status fct_orders", UserID: "U1", ChannelID: "C8"})
	select {
	case <-br.started:
	case <-ctx.Done():
		t.Fatal("the command never reached the reader")
	}
	stopped := make(chan error, 1)
	go func() { stopped <- h.stop(t) }()
	time.AfterFunc(50*time.Millisecond, func() { close(br.release) })
	if err := <-stopped; err != nil {
		t.Errorf("Run after drain = %v", err)
	}
	if len(h.fake.Posts()) != 1 || !strings.Contains(h.fake.Posts()[0].AllText(), "fct_orders") {
		t.Errorf("the answer in flight was not posted before Run returned: %+v", h.fake.Posts())
	}
}

func TestQueueFullAnswersBusy(t *testing.T) {
	br := &blockingReader{started: make(chan struct{}, 1), release: make(chan struct{}), panicky: true}
	h := startBot(t, harnessOpts{cfg: Config{Workers: 1, Queue: 1},
		reader: func(r *queries.Reader) ReadModel { br.ReadModel = r; return br }})
	ctx := testCtx(t)
	var envs []string
	envs = append(envs, h.fake.SendSlashCommand(slacktest.SlashCommand{Text: "status fct_orders", UserID: "U1", ChannelID: "C9"}))
	<-br.started // the worker is busy
	envs = append(envs, h.fake.SendSlashCommand(slacktest.SlashCommand{Text: "status fct_revenue", UserID: "U1", ChannelID: "C9"}))
	if _, err := h.fake.WaitAck(ctx, envs[1]); err != nil {
		t.Fatal(err)
	}
	envs = append(envs, h.fake.SendSlashCommand(slacktest.SlashCommand{Text: "status int_inventory_snapshot", UserID: "U1", ChannelID: "C9"}))
	for _, e := range envs {
		if _, err := h.fake.WaitAck(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := h.fake.WaitPost(ctx, func(p slacktest.Post) bool { return strings.Contains(p.Text, "busy") }); err != nil {
		t.Fatal(err)
	}
	close(br.release)
	if _, err := h.fake.WaitPost(ctx, func(p slacktest.Post) bool { return strings.Contains(p.AllText(), "fct_revenue") }); err != nil {
		t.Fatal(err)
	}
	// A panic in one answer is recovered; the bot carries on.
	h.fake.SendSlashCommand(slacktest.SlashCommand{Text: "status boom", UserID: "U1", ChannelID: "C9"})
	h.fake.SendSlashCommand(slacktest.SlashCommand{Text: "owner fct_orders", UserID: "U1", ChannelID: "C9"})
	if _, err := h.fake.WaitPost(ctx, func(p slacktest.Post) bool {
		return strings.Contains(p.AllText(), "owner") || strings.Contains(p.AllText(), "Owner")
	}); err != nil {
		t.Fatal(err)
	}
}

// A busy reply in flight when the bot stops is sent before Run returns, as an answer in flight is.
func TestStopWaitsForBusyReplies(t *testing.T) {
	br := &blockingReader{started: make(chan struct{}, 1), release: make(chan struct{})}
	h := startBot(t, harnessOpts{cfg: Config{Workers: 1, Queue: 1},
		reader: func(r *queries.Reader) ReadModel { br.ReadModel = r; return br }})
	ctx := testCtx(t)
	h.fake.SendSlashCommand(slacktest.SlashCommand{Text: "status fct_orders", UserID: "U1", ChannelID: "C9"})
	<-br.started // the worker is busy
	queued := h.fake.SendSlashCommand(slacktest.SlashCommand{Text: "status fct_revenue", UserID: "U1", ChannelID: "C9"})
	if _, err := h.fake.WaitAck(ctx, queued); err != nil {
		t.Fatal(err)
	}
	h.fake.RateLimitNext("response_url", 1, 500*time.Millisecond) // the busy reply waits half a second
	third := h.fake.SendSlashCommand(slacktest.SlashCommand{Text: "status int_inventory_snapshot", UserID: "U1",
		ChannelID: "C9"})
	if _, err := h.fake.WaitAck(ctx, third); err != nil {
		t.Fatal(err)
	}
	stopped := make(chan error, 1)
	go func() { stopped <- h.stop(t) }()
	close(br.release)
	if err := <-stopped; err != nil {
		t.Errorf("Run after drain = %v", err)
	}
	var busy int
	for _, p := range h.fake.Posts() {
		if strings.Contains(p.Text, "busy") {
			busy++
		}
	}
	if busy != 1 {
		t.Errorf("%d busy replies posted before Run returned, want 1: %+v", busy, h.fake.Posts())
	}
}

func TestNoDataYetIsAnswered(t *testing.T) {
	h := startBot(t, harnessOpts{noMirror: true})
	ctx := testCtx(t)
	h.fake.SendSlashCommand(slacktest.SlashCommand{Text: "status fct_orders", UserID: "U1", ChannelID: "C10"})
	p, err := h.fake.WaitPost(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(p.AllText(), "No data yet") {
		t.Errorf("unavailable answer:\n%s", p.AllText())
	}
}

func TestCanChange(t *testing.T) {
	fake := slacktest.New(t)
	fake.AddChannel(slacktest.Channel{ID: "CFIN", Name: "data-finance", Members: []string{"U1", "U2"}})
	api := NewClient(Config{APIURL: fake.APIURL(), BotToken: fake.BotToken(), AppToken: fake.AppToken()}, nil)
	ctx := testCtx(t)
	tests := []struct {
		name, user, channel string
		admins              []string
		want                bool
		wantErr             bool
	}{
		{name: "member", user: "U2", channel: "CFIN", want: true},
		{name: "not a member", user: "U9", channel: "CFIN"},
		{name: "admin anywhere", user: "U9", channel: "CFIN", admins: []string{"U9"}, want: true},
		{name: "admin, no channel", user: "U9", admins: []string{"U9"}, want: true},
		{name: "no channel", user: "U1"},
		{name: "no user", user: "", channel: "CFIN"},
		{name: "unknown channel", user: "U1", channel: "CNOPE", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := CanChange(ctx, api, tt.admins, tt.user, tt.channel)
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Errorf("CanChange = %v, %v; want %v (error %v)", got, err, tt.want, tt.wantErr)
			}
		})
	}
}

// homeRecorder records App Home publications.
type homeRecorder struct{ users chan string }

func (r homeRecorder) Publish(_ context.Context, userID string, _ handlers.Lang) error {
	r.users <- userID
	return nil
}

func TestAppHomeOpened(t *testing.T) {
	rec := homeRecorder{users: make(chan string, 4)}
	h := startBot(t, harnessOpts{home: rec})
	h.fake.SendEvent(`{"type":"app_home_opened","user":"U1","channel":"D1","tab":"messages","event_ts":"1.2"}`, "", 0)
	h.fake.SendEvent(`{"type":"app_home_opened","user":"U2","channel":"D2","tab":"home","event_ts":"1.3"}`, "", 0)
	select {
	case u := <-rec.users:
		if u != "U2" {
			t.Errorf("published the home tab for %s, want U2 (the messages tab needs none)", u)
		}
	case <-testCtx(t).Done():
		t.Fatal("App Home not published")
	}
}

// recordingObserver records what the bot tells it about answered questions.
type recordingObserver struct {
	mu   sync.Mutex
	seen []string
	acks []time.Duration
	ans  []time.Duration
}

func (r *recordingObserver) ObserveQuestion(intent, outcome string, ack, answer time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.seen = append(r.seen, intent+"/"+outcome)
	r.acks = append(r.acks, ack)
	r.ans = append(r.ans, answer)
}

func TestQuestionsObserved(t *testing.T) {
	obs := &recordingObserver{}
	h := startBot(t, harnessOpts{questions: obs})
	ctx := testCtx(t)
	for i, text := range []string{"status fct_orders", "status no_such_model_xyz"} {
		rid := fmt.Sprintf("obs%d", i)
		h.fake.SendSlashCommand(slacktest.SlashCommand{Text: text, UserID: "U1", ChannelID: "C1",
			ResponseURL: h.fake.ResponseURL(rid)})
		if _, err := h.fake.WaitPost(ctx, func(p slacktest.Post) bool { return p.ResponseID == rid }); err != nil {
			t.Fatal(err)
		}
	}
	obs.mu.Lock()
	defer obs.mu.Unlock()
	if want := []string{"status/answered", "status/not_found"}; !reflect.DeepEqual(obs.seen, want) {
		t.Errorf("observed %v, want %v", obs.seen, want)
	}
	for i := range obs.seen {
		if obs.acks[i] <= 0 || obs.ans[i] < obs.acks[i] {
			t.Errorf("question %d: ack %s, answer %s: both measured, the answer after the ack", i, obs.acks[i], obs.ans[i])
		}
	}
}

func TestChannelLocaleByName(t *testing.T) {
	logs := &handlerstest.LogBuffer{}
	h := startBot(t, harnessOpts{
		cfg: Config{ChannelLocales: map[string]handlers.Lang{
			"#data-finance": handlers.LangJA, // resolved through conversations.list
			"data-ops":      handlers.LangJA, // a name without "#"
			"#nowhere":      handlers.LangJA, // unknown: no override, one warning
			"C0BYID01":      handlers.LangJA, // an ID is used as it is
		}},
		logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelWarn})),
	})
	h.fake.AddChannel(slacktest.Channel{ID: "C0FIN01", Name: "data-finance", Members: []string{"U1", h.fake.BotUserID()}})
	h.fake.AddChannel(slacktest.Channel{ID: "C0OPS01", Name: "data-ops", Members: []string{"U1", h.fake.BotUserID()}})
	h.fake.AddChannel(slacktest.Channel{ID: "C0MKT01", Name: "data-marketing", Members: []string{"U1", h.fake.BotUserID()}})
	tests := []struct {
		name, channel string
		ja            bool
	}{
		{name: "name with #", channel: "C0FIN01", ja: true},
		{name: "name without #", channel: "C0OPS01", ja: true},
		{name: "by ID", channel: "C0BYID01", ja: true},
		{name: "no override", channel: "C0MKT01", ja: false},
		{name: "again by name", channel: "C0FIN01", ja: true},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := testCtx(t)
			ts := fmt.Sprintf("1700000100.%06d", i)
			h.fake.SendEvent(slacktest.AppMention{User: "U1", Text: "<@U0BOT> status fct_orders", TS: ts,
				Channel: tt.channel}, "", 0)
			p, err := h.fake.WaitPost(ctx, func(p slacktest.Post) bool { return p.ThreadTS == ts })
			if err != nil {
				t.Fatal(err)
			}
			if p.Channel != tt.channel {
				t.Errorf("answered in %s, want %s", p.Channel, tt.channel)
			}
			if ja := strings.Contains(p.AllText(), "テスト"); ja != tt.ja {
				t.Errorf("answered in Japanese = %v, want %v:\n%s", ja, tt.ja, p.AllText())
			}
		})
	}
	// One listing served every question (the unknown name did not list again within the minute), and the
	// unknown name was logged once.
	if n := len(h.fake.Calls("conversations.list")); n != 1 {
		t.Errorf("conversations.list calls = %d, want 1", n)
	}
	if n := strings.Count(logs.String(), "channel=#nowhere"); n != 1 {
		t.Errorf("the unknown name was logged %d times, want once:\n%s", n, logs.String())
	}
}
