package bot

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/todai-dev/todai/bot/slacktest"
	"github.com/todai-dev/todai/bot/slackui"
	"github.com/todai-dev/todai/handlers"
	"github.com/todai-dev/todai/handlers/handlerstest"
	"github.com/todai-dev/todai/scheduler/escalation"
)

// checkGolden compares got with testdata/golden/name, or rewrites it with -update.
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	handlerstest.Golden(t, filepath.Join("testdata", "golden", name), got)
}

// postJSON is a post as the golden files hold it: its fallback text and blocks, indented (its ts and thread_ts
// change with the clock and are checked by the tests).
func postJSON(t *testing.T, p slacktest.Post) []byte {
	t.Helper()
	var blocks any
	if err := json.Unmarshal(p.Blocks, &blocks); err != nil {
		t.Fatalf("blocks: %v", err)
	}
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(map[string]any{"text": p.Text, "blocks": blocks}); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// threadNotices are two first notices of team finance: a failing test (owners pinged, with edr's alert id) and a
// model held back by an upstream failure.
func threadNotices() []IncidentNotice {
	opened := time.Date(2026, 11, 24, 5, 0, 0, 0, time.UTC)
	test := escalation.Incident{ID: 41, Key: "test:test.jaffle.not_null_orders_order_id.abc", Team: "finance", Kind: "test",
		NodeID: "model.jaffle.orders", TestID: "test.jaffle.not_null_orders_order_id.abc", Severity: "error", Status: "open",
		Summary: "Got 3 results, configured to fail if != 0\nselect …", Owners: []string{"@alice", "bob@example.com"},
		OpenedAt: opened, ElementaryAlertID: "a1b2c3"}
	model := escalation.Incident{ID: 42, Key: "model:model.jaffle.fct_orders", Team: "finance", Kind: "model",
		NodeID: "model.jaffle.fct_orders", Severity: "error", Status: "open", Summary: "Database Error in model fct_orders",
		OpenedAt: opened}
	return []IncidentNotice{
		{Incident: test, NotifyLevel: escalation.NotifyLevel{Level: 1, Mention: true, LinkElementaryAlert: "a1b2c3",
			Targets: []escalation.Target{{Kind: escalation.TargetOwners}, {Kind: escalation.TargetUserGroup, ID: "S0ONCALL"}}}},
		{Incident: model, NotifyLevel: escalation.NotifyLevel{Level: 1, Targets: []escalation.Target{{Kind: escalation.TargetChannel}},
			ProbablyCausedBy: &escalation.Cause{Node: "model.jaffle.stg_orders"}}},
	}
}

func TestPostIncidentsInThread(t *testing.T) {
	for _, lang := range []handlers.Lang{handlers.LangEN, handlers.LangJA} {
		t.Run(string(lang), func(t *testing.T) {
			fake := slacktest.New(t)
			ctx := webTestCtx(t)
			b := New(Config{APIURL: fake.APIURL(), BotToken: fake.BotToken(), AppToken: fake.AppToken(), PostInterval: time.Millisecond,
				DefaultLang: lang}, Deps{Mentioner: &mapMentioner{m: map[string]string{"@alice": "<@U0ALICE>"}}})
			fake.AddChannel(slacktest.Channel{ID: "C0FIN", Name: "data-finance"})
			alertTS := fake.AddMessage("C0FIN", slacktest.Message{BotID: "BELEM", Blocks: json.RawMessage(alertTestNewBlocks),
				Attachments: json.RawMessage(alertTestNewAttachments)})

			ch, ts, err := b.PostIncidentsInThread(ctx, "#data-finance", alertTS, threadNotices())
			if err != nil || ch != "C0FIN" || ts == "" || ts == alertTS {
				t.Fatalf("PostIncidentsInThread = %q %q %v", ch, ts, err)
			}
			posts := fake.Posts()
			if len(posts) != 1 || posts[0].ThreadTS != alertTS || posts[0].TS != ts || posts[0].ReplyBroadcast {
				t.Fatalf("posts = %+v", posts)
			}
			p := posts[0]
			checkGolden(t, "incident_thread."+string(lang)+".json", postJSON(t, p))
			all := p.AllText()
			for _, s := range []string{"<@U0ALICE>", "<!subteam^S0ONCALL>", "stg_orders"} {
				if !strings.Contains(all, s) {
					t.Errorf("notice lacks %q:\n%s", s, all)
				}
			}
			if strings.Contains(all, "a1b2c3") {
				t.Errorf("a reply under the alert must not point at the alert:\n%s", all)
			}
			bs := buttons(t, p.Blocks)
			for _, a := range []string{slackui.ActionIncidentAck, slackui.ActionIncidentSnooze + "_1h", slackui.ActionIncidentHistory} {
				if _, ok := bs[a]; !ok {
					t.Errorf("no %s button: %v", a, bs)
				}
			}

			// Later levels and the resolution go in the alert's thread; the update rewrites Todai's reply.
			n := threadNotices()[0]
			n.Incident.Message = escalation.MessageRef{Channel: ch, TS: ts, ThreadTS: alertTS}
			n.Level, n.Targets = 2, []escalation.Target{{Kind: escalation.TargetUser, ID: "U0LEAD"}}
			if err := b.PostEscalation(ctx, n); err != nil {
				t.Fatal(err)
			}
			resolved := n.Incident
			resolved.Status = escalation.StatusResolved
			if err := b.ReplyResolved(ctx, resolved); err != nil {
				t.Fatal(err)
			}
			other := threadNotices()[1].Incident
			other.Message = escalation.MessageRef{Channel: ch, TS: ts, ThreadTS: alertTS}
			if err := b.UpdateIncidentMessage(ctx, ch, ts, []escalation.Incident{resolved, other}); err != nil {
				t.Fatal(err)
			}
			posts = fake.Posts()
			if len(posts) != 4 {
				t.Fatalf("posts = %+v", posts)
			}
			for i, p := range posts[1:3] {
				if p.Method != "chat.postMessage" || p.ThreadTS != alertTS {
					t.Errorf("later post %d in thread %q, want %q: %+v", i, p.ThreadTS, alertTS, p)
				}
			}
			if !strings.Contains(posts[1].AllText(), "<@U0LEAD>") {
				t.Errorf("escalation:\n%s", posts[1].AllText())
			}
			up := posts[3]
			if up.Method != "chat.update" || up.TS != ts || up.ThreadTS != alertTS {
				t.Errorf("update = %+v", up)
			}
			wantHead := map[handlers.Lang]string{handlers.LangEN: "Todai is tracking the alert above", handlers.LangJA: "上のアラート"}[lang]
			if !strings.Contains(up.AllText(), wantHead) {
				t.Errorf("the updated reply lost its header:\n%s", up.AllText())
			}
		})
	}
}

func TestPostIncidentsTopLevelUnchanged(t *testing.T) {
	fake := slacktest.New(t)
	ctx := webTestCtx(t)
	b := New(Config{APIURL: fake.APIURL(), BotToken: fake.BotToken(), AppToken: fake.AppToken(), PostInterval: time.Millisecond},
		Deps{Mentioner: &mapMentioner{}})
	ch, ts, err := b.PostIncidents(ctx, "C0FIN", threadNotices())
	if err != nil || ch != "C0FIN" || ts == "" {
		t.Fatalf("PostIncidents = %q %q %v", ch, ts, err)
	}
	p := fake.Posts()[0]
	if p.ThreadTS != "" || !strings.Contains(p.AllText(), "2 problems for team finance") ||
		!strings.Contains(p.AllText(), "Elementary already alerted on this (alert `a1b2c3`)") ||
		strings.Contains(p.AllText(), "tracking the alert above") {
		t.Errorf("top-level notice:\n%s", p.AllText())
	}
	if _, _, err := b.PostIncidentsInThread(ctx, "C0FIN", "", threadNotices()); err == nil {
		t.Error("no thread: no error")
	}
}

// memDesk is an IncidentDesk in memory.
type memDesk struct {
	mu    sync.Mutex
	incs  map[int64]escalation.Incident
	acked []int64
}

func (d *memDesk) Get(_ context.Context, id int64) (escalation.Incident, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	inc, ok := d.incs[id]
	if !ok {
		return escalation.Incident{}, errors.New("no such incident")
	}
	return inc, nil
}

func (d *memDesk) ByMessage(_ context.Context, channel, ts string) ([]escalation.Incident, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []escalation.Incident
	for id := int64(1); id <= 100; id++ {
		if inc, ok := d.incs[id]; ok && inc.Message.Channel == channel && inc.Message.TS == ts {
			out = append(out, inc)
		}
	}
	return out, nil
}

func (d *memDesk) ByParent(_ context.Context, id int64) ([]escalation.Incident, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []escalation.Incident
	for i := int64(1); i <= 100; i++ {
		if inc, ok := d.incs[i]; ok && inc.ParentID == id {
			out = append(out, inc)
		}
	}
	return out, nil
}

func (d *memDesk) Split(_ context.Context, id int64, _ string, _ time.Time) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	inc := d.incs[id]
	inc.Split, inc.ParentID = true, 0
	d.incs[id] = inc
	return nil
}

func (d *memDesk) Ack(_ context.Context, id int64, actor string, _ time.Time) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	inc := d.incs[id]
	inc.Status, inc.AckedBy = escalation.StatusAcked, actor
	d.incs[id] = inc
	d.acked = append(d.acked, id)
	return nil
}

func (d *memDesk) Snooze(context.Context, int64, time.Duration, string, time.Time) (escalation.Silence, error) {
	return escalation.Silence{}, nil
}
func (d *memDesk) Timeline(context.Context, int64) ([]escalation.Event, error) { return nil, nil }
func (d *memDesk) Silence(_ context.Context, s escalation.Silence, _ time.Time) (escalation.Silence, error) {
	return s, nil
}
func (d *memDesk) ActiveSilences(context.Context, time.Time) ([]escalation.Silence, error) {
	return nil, nil
}

// The workflow is the SQLite store's (TestIncidentWorkflow); this desk does not work incidents.
var errNotWorked = errors.New("memDesk does not work incidents")

func (d *memDesk) Take(context.Context, int64, string, time.Time) (bool, error) {
	return false, errNotWorked
}
func (d *memDesk) Assign(context.Context, int64, string, string, time.Time) (bool, error) {
	return false, errNotWorked
}
func (d *memDesk) SetPriority(context.Context, int64, escalation.Priority, string, time.Time) (bool, error) {
	return false, errNotWorked
}
func (d *memDesk) ResolveAs(context.Context, int64, escalation.Resolution, string, string, time.Time) error {
	return errNotWorked
}

// TestAckOnThreadedNotice: a click on the notice Todai replied under Elementary's alert carries the alert's ts as
// container.thread_ts; the ack must rewrite the reply (chat.update with the reply's ts), not the alert.
func TestAckOnThreadedNotice(t *testing.T) {
	desk := &memDesk{incs: map[int64]escalation.Incident{}}
	teams := Teams{{Name: "finance", Channel: "#data-finance", Location: time.UTC}}
	h := startBot(t, harnessOpts{incidents: desk, teams: teams})
	ctx := testCtx(t)
	h.fake.AddChannel(slacktest.Channel{ID: "C0FIN", Name: "data-finance", Members: []string{"U0ANA", h.fake.BotUserID()}})
	alertTS := h.fake.AddMessage("C0FIN", slacktest.Message{BotID: "BELEM", Blocks: json.RawMessage(alertTestNewBlocks),
		Attachments: json.RawMessage(alertTestNewAttachments)})
	// The team channel is configured by name: the click's channel must be accepted for the permission check.
	notices := threadNotices()
	ch, ts, err := h.bot.PostIncidentsInThread(ctx, "C0FIN", alertTS, notices)
	if err != nil {
		t.Fatal(err)
	}
	desk.mu.Lock()
	for _, n := range notices {
		inc := n.Incident
		inc.Message = escalation.MessageRef{Channel: ch, TS: ts, ThreadTS: alertTS}
		desk.incs[inc.ID] = inc
	}
	desk.mu.Unlock()

	env := h.fake.SendBlockAction(slacktest.BlockAction{UserID: "U0ANA", ChannelID: "C0FIN", MessageTS: ts, ThreadTS: alertTS,
		Actions: []slacktest.Action{{ActionID: slackui.ActionIncidentAck, Value: "41"}}})
	if _, err := h.fake.WaitAck(ctx, env); err != nil {
		t.Fatal(err)
	}
	up, err := h.fake.WaitPost(ctx, func(p slacktest.Post) bool { return p.Method == "chat.update" })
	if err != nil {
		t.Fatal(err)
	}
	if up.TS != ts || up.Channel != "C0FIN" || up.ThreadTS != alertTS {
		t.Errorf("chat.update of %s/%s (thread %s), want the reply %s", up.Channel, up.TS, up.ThreadTS, ts)
	}
	all := up.AllText()
	if !strings.Contains(all, "acknowledged by <@U0ANA>") || !strings.Contains(all, "tracking the alert above") {
		t.Errorf("updated reply:\n%s", all)
	}
	bs := buttons(t, up.Blocks)
	if v, ok := bs[slackui.ActionIncidentAck]; !ok || v != "42" {
		t.Errorf("only the unacknowledged incident keeps its Acknowledge button: %v", bs)
	}
	for _, c := range h.fake.Calls("chat.update") {
		if c.Form.Get("ts") != ts || c.Error != "" {
			t.Errorf("chat.update call: ts %s, error %q", c.Form.Get("ts"), c.Error)
		}
	}
	for _, m := range h.fake.Messages("C0FIN") {
		if m.TS == alertTS && m.BotID != "BELEM" {
			t.Errorf("the alert was changed: %+v", m)
		}
	}

	// A later level's message in the same thread: its buttons act on the incident too (the click carries the
	// alert's ts as thread_ts, which is the incident's ThreadTS, so the by-name team channel is the click's), and
	// the grouped reply is what gets rewritten, not the level message.
	desk.mu.Lock()
	inc42 := desk.incs[42]
	desk.mu.Unlock()
	if err := h.bot.PostEscalation(ctx, IncidentNotice{Incident: inc42, NotifyLevel: escalation.NotifyLevel{Level: 2}}); err != nil {
		t.Fatal(err)
	}
	lvl, err := h.fake.WaitPost(ctx, func(p slacktest.Post) bool { return p.Method == "chat.postMessage" && p.TS != ts })
	if err != nil || lvl.ThreadTS != alertTS {
		t.Fatalf("level 2 post: %+v %v", lvl, err)
	}
	h.fake.SendBlockAction(slacktest.BlockAction{UserID: "U0ANA", ChannelID: "C0FIN", MessageTS: lvl.TS, ThreadTS: alertTS,
		Actions: []slacktest.Action{{ActionID: slackui.ActionIncidentAck, Value: "42"}}})
	up2, err := h.fake.WaitPost(ctx, func(p slacktest.Post) bool {
		return p.Method == "chat.update" && strings.Contains(p.AllText(), "fct_orders* — 👀")
	})
	if err != nil {
		t.Fatal(err)
	}
	if up2.TS != ts || !strings.Contains(up2.AllText(), "fct_orders* — 👀 acknowledged by <@U0ANA>") {
		t.Errorf("second update of %s, want %s:\n%s", up2.TS, ts, up2.AllText())
	}
	desk.mu.Lock()
	defer desk.mu.Unlock()
	if len(desk.acked) != 2 || desk.acked[0] != 41 || desk.acked[1] != 42 {
		t.Errorf("acked = %v", desk.acked)
	}
}
