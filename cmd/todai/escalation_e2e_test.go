package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/todai-dev/todai/bot"
	"github.com/todai-dev/todai/bot/slacktest"
	"github.com/todai-dev/todai/bot/slackui"
	"github.com/todai-dev/todai/cmd/todai/config"
	"github.com/todai-dev/todai/handlers/handlerstest"
	"github.com/todai-dev/todai/queries"
	"github.com/todai-dev/todai/queries/demo"
	"github.com/todai-dev/todai/queries/elementary"
	"github.com/todai-dev/todai/queries/localdb"
	"github.com/todai-dev/todai/scheduler"
	"github.com/todai-dev/todai/scheduler/escalation"
)

// fakeClock is the injected clock of the timeline tests.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// fixtureWarehouse is an Elementary warehouse in a SQLite file, written with demo.Write.
type fixtureWarehouse struct {
	path string
}

// newFixtureWarehouse creates the warehouse with f's rows.
func newFixtureWarehouse(t *testing.T, f *demo.Fixture) fixtureWarehouse {
	t.Helper()
	w := fixtureWarehouse{path: filepath.Join(t.TempDir(), "elementary.db")}
	writeFixture(t, w.path, f)
	return w
}

func writeFixture(t *testing.T, path string, f *demo.Fixture) {
	t.Helper()
	db, err := sql.Open("sqlite3", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := demo.Write(context.Background(), db, elementary.SQLite, "", f); err != nil {
		t.Fatal(err)
	}
}

// add appends f's rows (a later dbt invocation) to the warehouse: demo.Write creates its tables, so the rows are
// written to a scratch file with the same DDL and copied over.
func (w fixtureWarehouse) add(t *testing.T, f *demo.Fixture) {
	t.Helper()
	scratch := filepath.Join(t.TempDir(), "batch.db")
	writeFixture(t, scratch, f)
	db, err := sql.Open("sqlite3", w.path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1) // ATTACH is per connection
	ctx := context.Background()
	if _, err := db.ExecContext(ctx, `ATTACH DATABASE ? AS batch`, scratch); err != nil {
		t.Fatal(err)
	}
	for _, tb := range elementary.Tables() {
		q := fmt.Sprintf(`INSERT INTO main."%s" SELECT * FROM batch."%s"`, tb.Name, tb.Name)
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatalf("copy %s: %v", tb.Name, err)
		}
	}
	if _, err := db.ExecContext(ctx, `DETACH DATABASE batch`); err != nil {
		t.Fatal(err)
	}
}

// escalationConfig is a todai.yaml with team finance (channel C0FINANCE, owner @jane) and a three-level policy.
const escalationConfig = `teams:
  - name: finance
    channel: C0FINANCE
    owners: ["@jane"]
    escalation:
      levels:
        - after: 0s
          notify: [{kind: channel}, {kind: owners}]
        - after: 2h
          notify: [{kind: user, id: U0ONCALL}]
        - after: 4h
          notify: [{kind: usergroup, id: S0LEADS}]
`

// escalationApp loads escalationConfig against the warehouse and a state file in dir, talking to the fake Slack.
func escalationApp(t *testing.T, fake *slacktest.Slack, warehouse, dir string, now func() time.Time, logs *handlerstest.LogBuffer) *app {
	t.Helper()
	return configuredApp(t, fake, warehouse, dir, escalationConfig, now, logs, slog.LevelInfo)
}

// configuredApp loads the YAML config body against the warehouse and a state file in dir, talking to the fake
// Slack, logging at level into logs.
func configuredApp(t testing.TB, fake *slacktest.Slack, warehouse, dir, body string, now func() time.Time,
	logs *handlerstest.LogBuffer, level slog.Level) *app {
	t.Helper()
	t.Setenv("SLACK_APP_TOKEN", "")
	t.Setenv("SLACK_BOT_TOKEN", "")
	t.Setenv("TODAI_SLACK_API_URL", "")
	file := filepath.Join(dir, "todai.yaml")
	if err := os.WriteFile(file, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(file, config.Overrides{Warehouse: "sqlite://" + warehouse, State: filepath.Join(dir, "state.db")})
	if err != nil {
		t.Fatal(err)
	}
	cfg.Slack.APIURL = fake.APIURL()
	cfg.Slack.AppToken = fake.AppToken()
	cfg.Slack.BotToken = fake.BotToken()
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: level}))
	return &app{stdout: logs, stderr: logs, now: now, cfg: cfg, logger: logger}
}

// seedWorkspace adds finance's channel (members ana and jane), the on-call, an outsider and the leads' group.
func seedWorkspace(fake *slacktest.Slack) {
	for _, u := range []slacktest.User{{ID: "U0ANA", Name: "ana"}, {ID: "U0JANE", Name: "jane"},
		{ID: "U0ONCALL", Name: "oncall"}, {ID: "U0OUT", Name: "outsider"}} {
		fake.AddUser(u)
	}
	fake.AddUserGroup(slacktest.UserGroup{ID: "S0LEADS", Handle: "data-leads", Name: "Data leads", Users: []string{"U0ANA"}})
	fake.AddChannel(slacktest.Channel{ID: "C0FINANCE", Name: "data-finance", Members: []string{"U0ANA", "U0JANE"}})
}

// serveStack is what `todai serve` runs for escalation: the state file, the bot (connected to the fake) and the
// escalator, built with serve's own constructors.
type serveStack struct {
	a    *app
	db   *localdb.DB
	bot  *bot.Bot
	esc  *scheduler.Escalator
	stop context.CancelFunc
	done chan error
}

func startStack(t *testing.T, a *app, fake *slacktest.Slack, connections int) *serveStack {
	t.Helper()
	ctx := context.Background()
	db, err := a.openState(ctx)
	if err != nil {
		t.Fatal(err)
	}
	reader := a.reader(db)
	s := &serveStack{a: a, db: db, bot: a.newBot(db, reader), done: make(chan error, 1)}
	s.esc = a.newEscalator(db, reader, s.bot)
	runCtx, stop := context.WithCancel(ctx)
	s.stop = stop
	go func() { s.done <- s.bot.Run(runCtx) }()
	wait, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if err := fake.WaitConnections(wait, connections); err != nil {
		t.Fatal(err)
	}
	return s
}

// sweep moves the clock to at, syncs when asked, and runs the escalation job as the scheduler would.
func (s *serveStack) sweep(t *testing.T, a *app, clock *fakeClock, at time.Time, sync bool) {
	t.Helper()
	clock.Set(at)
	if sync {
		if err := a.syncOnce(context.Background(), s.db); err != nil {
			t.Fatalf("sync at %s: %v", at, err)
		}
	}
	if err := s.esc.Run(context.Background(), at); err != nil {
		t.Fatalf("escalation at %s: %v", at, err)
	}
}

// close stops the bot (draining its answers) and closes the state file, as SIGTERM does.
func (s *serveStack) close(t *testing.T) {
	t.Helper()
	s.stop()
	select {
	case err := <-s.done:
		if err != nil {
			t.Errorf("bot stop: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the bot did not stop")
	}
	s.a.closeState(s.db)
}

// buttonOf returns the button actionID of incident id in a posted message.
func buttonOf(t *testing.T, p slacktest.Post, id int64, actionID string) slacktest.Action {
	t.Helper()
	var blocks []struct {
		Type     string `json:"type"`
		BlockID  string `json:"block_id"`
		Elements []struct {
			ActionID string `json:"action_id"`
			Value    string `json:"value"`
		} `json:"elements"`
	}
	if err := json.Unmarshal(p.Blocks, &blocks); err != nil {
		t.Fatalf("blocks of %s: %v", p.TS, err)
	}
	want := "todai_inc_actions_" + strconv.FormatInt(id, 10)
	for _, b := range blocks {
		if b.Type != "actions" || b.BlockID != want {
			continue
		}
		for _, e := range b.Elements {
			if e.ActionID == actionID {
				return slacktest.Action{ActionID: e.ActionID, BlockID: b.BlockID, Value: e.Value}
			}
		}
	}
	t.Fatalf("no %s button for incident %d in message %s:\n%s", actionID, id, p.TS, p.Blocks)
	return slacktest.Action{}
}

func hasButton(p slacktest.Post, id int64, actionID string) bool {
	return strings.Contains(string(p.Blocks), `"block_id":"todai_inc_actions_`+strconv.FormatInt(id, 10)+`"`) &&
		strings.Contains(string(p.Blocks), `"action_id":"`+actionID+`"`) &&
		strings.Contains(string(p.Blocks), `"value":"`+strconv.FormatInt(id, 10))
}

// channelPosts returns the chat.postMessage posts in channel.
func channelPosts(fake *slacktest.Slack, channel string) []slacktest.Post {
	var out []slacktest.Post
	for _, p := range fake.Posts() {
		if p.Method == "chat.postMessage" && p.Channel == channel {
			out = append(out, p)
		}
	}
	return out
}

func TestEscalationTimeline(t *testing.T) {
	logs := testLogs(t)
	ctx := context.Background()
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	clock := &fakeClock{t: t0}

	// The warehouse: model orders (owner @jane, team finance) with two tests failing in one dbt invocation.
	f := demo.NewFixture("shop")
	orders := f.Model("orders", demo.Values{"owner": `["@jane"]`})
	notNull := f.Test("not_null_orders_id", "not_null", orders, nil)
	accepted := f.Test("accepted_values_orders_status", "accepted_values", orders, nil)
	runInv := f.Invocation("run", t0.Add(-20*time.Minute), nil)
	f.RunResult(runInv, orders, "success", t0.Add(-20*time.Minute), nil)
	testInv := f.Invocation("test", t0.Add(-5*time.Minute), nil)
	f.TestResult(testInv, notNull, orders, "fail", t0.Add(-5*time.Minute), demo.Values{"column_name": "id", "failures": 3})
	f.TestResult(testInv, accepted, orders, "fail", t0.Add(-5*time.Minute), demo.Values{"column_name": "status", "failures": 1})
	wh := newFixtureWarehouse(t, f)

	fake := slacktest.New(t)
	seedWorkspace(fake)
	dir := t.TempDir()
	a := escalationApp(t, fake, wh.path, dir, clock.Now, logs)
	st := startStack(t, a, fake, 1)
	defer func() { st.close(t) }()

	run := func(at time.Duration, sync bool) { t.Helper(); st.sweep(t, a, clock, t0.Add(at), sync) }
	incidents := func() map[string]escalation.Incident {
		t.Helper()
		rows, err := st.db.Read.QueryContext(ctx, `SELECT id FROM incidents ORDER BY id`)
		if err != nil {
			t.Fatal(err)
		}
		var ids []int64
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				t.Fatal(err)
			}
			ids = append(ids, id)
		}
		rows.Close()
		out := map[string]escalation.Incident{}
		store := escalation.NewStore(st.db)
		for _, id := range ids {
			inc, err := store.Get(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if inc.Status != escalation.StatusResolved || out[inc.TestID].ID == 0 {
				out[inc.TestID] = inc // the newest unresolved incident of each test wins
			}
		}
		return out
	}
	timeline := func(id int64) []escalation.Event {
		t.Helper()
		evs, err := escalation.NewStore(st.db).Timeline(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		return evs
	}
	hasEvent := func(evs []escalation.Event, event, actor string) bool {
		for _, e := range evs {
			if e.Event == event && (actor == "" || e.Actor == actor) {
				return true
			}
		}
		return false
	}
	wait := func() (context.Context, context.CancelFunc) { return context.WithTimeout(ctx, 20*time.Second) }
	seen := 0
	newPosts := func() []slacktest.Post {
		ps := channelPosts(fake, "C0FINANCE")
		out := ps[seen:]
		seen = len(ps)
		return out
	}
	press := func(user string, msg slacktest.Post, act slacktest.Action, rid string) {
		fake.SendBlockAction(slacktest.BlockAction{UserID: user, ChannelID: "C0FINANCE", MessageTS: msg.TS,
			ThreadTS: msg.ThreadTS, ResponseURL: fake.ResponseURL(rid), Actions: []slacktest.Action{act}})
	}
	slash := func(user, channel, text, rid string) slacktest.Post {
		t.Helper()
		fake.SendSlashCommand(slacktest.SlashCommand{Text: text, UserID: user, ChannelID: channel, ResponseURL: fake.ResponseURL(rid)})
		w, cancel := wait()
		defer cancel()
		p, err := fake.WaitPost(w, func(p slacktest.Post) bool { return p.ResponseID == rid })
		if err != nil {
			t.Fatalf("/todai %s: %v", text, err)
		}
		return p
	}

	// +0: the tests fail → one level-1 message in finance's channel naming both tests and mentioning the owner.
	run(0, true)
	posts := newPosts()
	if len(posts) != 1 {
		t.Fatalf("first notices: %d posts, want 1 grouped message: %+v", len(posts), posts)
	}
	first := posts[0]
	text := first.AllText()
	for _, want := range []string{"not_null_orders_id", "accepted_values_orders_status", "<@U0JANE>", "2 problems for team finance"} {
		if !strings.Contains(text, want) {
			t.Errorf("level-1 message lacks %q:\n%s", want, text)
		}
	}
	if first.ThreadTS != "" {
		t.Errorf("level-1 message is a thread reply (thread_ts %s)", first.ThreadTS)
	}
	incs := incidents()
	a1, b1 := incs[notNull], incs[accepted]
	if a1.ID == 0 || b1.ID == 0 {
		t.Fatalf("incidents: %+v", incs)
	}
	for _, inc := range []escalation.Incident{a1, b1} {
		if inc.Team != "finance" || inc.Message.Channel != "C0FINANCE" || inc.Message.TS != first.TS || inc.LastNotified.Level != 1 {
			t.Errorf("incident after level 1: %+v", inc)
		}
		for _, act := range []string{slackui.ActionIncidentAck, slackui.ActionIncidentSnooze + "_1h", slackui.ActionIncidentSnooze + "_4h",
			slackui.ActionIncidentSnooze + "_1d", slackui.ActionIncidentHistory} {
			if !hasButton(first, inc.ID, act) {
				t.Errorf("message lacks %s for incident %d", act, inc.ID)
			}
		}
	}
	// Running again at once, and syncing again, sends nothing more.
	run(0, false)
	run(30*time.Minute, true)
	if ps := newPosts(); len(ps) != 0 {
		t.Fatalf("posts without a due level: %+v", ps)
	}

	// +1h30: ana (a member of #data-finance) snoozes the accepted_values incident for 1 h.
	clock.Set(t0.Add(90 * time.Minute))
	press("U0ANA", first, buttonOf(t, first, b1.ID, slackui.ActionIncidentSnooze+"_1h"), "snooze1")
	w, cancel := wait()
	_, err := fake.WaitPost(w, func(p slacktest.Post) bool {
		return p.Method == "chat.update" && p.TS == first.TS && strings.Contains(p.AllText(), "snoozed")
	})
	cancel()
	if err != nil {
		t.Fatalf("the message is not updated after the snooze: %v", err)
	}
	if inc := incidents()[accepted]; inc.SilencedBy == 0 || !hasEvent(timeline(inc.ID), "snoozed", "U0ANA") {
		t.Errorf("snoozed incident: %+v %+v", inc, timeline(inc.ID))
	}

	// +2h: no ack for 2 h → level 2 in the thread for not_null, mentioning the on-call; accepted_values is snoozed.
	run(2*time.Hour, true)
	posts = newPosts()
	if len(posts) != 1 {
		t.Fatalf("level 2 at +2h: %d posts, want 1: %+v", len(posts), posts)
	}
	lvl2 := posts[0]
	if lvl2.ThreadTS != first.TS || !strings.Contains(lvl2.AllText(), "Level 2") ||
		!strings.Contains(lvl2.AllText(), "not_null_orders_id") || !strings.Contains(lvl2.AllText(), "<@U0ONCALL>") ||
		strings.Contains(lvl2.AllText(), "accepted_values") {
		t.Errorf("level-2 reply (thread_ts %q):\n%s", lvl2.ThreadTS, lvl2.AllText())
	}

	// +2h05: restart — a new state handle, bot and escalator on the same state file: nothing is sent twice.
	st.close(t)
	st = startStack(t, a, fake, 2)
	run(2*time.Hour+5*time.Minute, true)
	if ps := newPosts(); len(ps) != 0 {
		t.Fatalf("posts after the restart: %+v", ps)
	}

	// +2h30: the snooze expired → accepted_values gets its level 2 now.
	run(2*time.Hour+30*time.Minute, false)
	posts = newPosts()
	if len(posts) != 1 || posts[0].ThreadTS != first.TS || !strings.Contains(posts[0].AllText(), "accepted_values_orders_status") ||
		!strings.Contains(posts[0].AllText(), "<@U0ONCALL>") {
		t.Fatalf("level 2 after the snooze expired: %+v", posts)
	}
	if inc := incidents()[accepted]; inc.SilencedBy != 0 || inc.LastNotified.Level != 2 {
		t.Errorf("incident after its snooze: %+v", inc)
	}

	// +2h40: an outsider presses Acknowledge → an ephemeral refusal; nothing changes.
	clock.Set(t0.Add(2*time.Hour + 40*time.Minute))
	press("U0OUT", first, buttonOf(t, first, a1.ID, slackui.ActionIncidentAck), "deny1")
	w, cancel = wait()
	refusal, err := fake.WaitPost(w, func(p slacktest.Post) bool { return p.ResponseID == "deny1" })
	cancel()
	if err != nil {
		t.Fatal(err)
	}
	if refusal.ResponseType != "ephemeral" || !strings.Contains(refusal.AllText(), "only members of the team's channel") {
		t.Errorf("refusal: %s %s", refusal.ResponseType, refusal.AllText())
	}
	if inc := incidents()[notNull]; inc.Status != escalation.StatusOpen || inc.AckedBy != "" || hasEvent(timeline(inc.ID), "acked", "") {
		t.Errorf("an outsider's ack changed the incident: %+v", inc)
	}

	// +2h45: ana acknowledges not_null from the level-2 reply → the message says who, and no level 3 follows.
	clock.Set(t0.Add(2*time.Hour + 45*time.Minute))
	press("U0ANA", lvl2, buttonOf(t, lvl2, a1.ID, slackui.ActionIncidentAck), "ack1")
	w, cancel = wait()
	_, err = fake.WaitPost(w, func(p slacktest.Post) bool {
		return p.Method == "chat.update" && p.TS == first.TS && strings.Contains(p.AllText(), "acknowledged by <@U0ANA>")
	})
	cancel()
	if err != nil {
		t.Fatalf("the message does not say who acknowledged: %v", err)
	}
	if inc := incidents()[notNull]; inc.Status != escalation.StatusAcked || inc.AckedBy != "U0ANA" {
		t.Errorf("acknowledged incident: %+v", inc)
	}
	run(4*time.Hour, true)
	if ps := newPosts(); len(ps) != 0 {
		t.Fatalf("posts at +4h (not_null is acknowledged, accepted_values' level 3 is due at +4h30): %+v", ps)
	}
	run(4*time.Hour+30*time.Minute, false)
	posts = newPosts()
	if len(posts) != 1 || !strings.Contains(posts[0].AllText(), "Level 3") ||
		!strings.Contains(posts[0].AllText(), "accepted_values_orders_status") || !strings.Contains(posts[0].AllText(), "<!subteam^S0LEADS>") {
		t.Fatalf("level 3 of the unacknowledged incident: %+v", posts)
	}
	run(6*time.Hour, false)
	if ps := newPosts(); len(ps) != 0 {
		t.Fatalf("posts after the policy ran out: %+v", ps)
	}

	// /todai incident ID shows the timeline, with who acknowledged.
	tl := slash("U0OUT", "C0FINANCE", fmt.Sprintf("incident %d", a1.ID), "tl1").AllText()
	for _, want := range []string{fmt.Sprintf("Incident %d", a1.ID), "opened", "notified at level 1", "notified at level 2",
		"acknowledged · <@U0ANA>"} {
		if !strings.Contains(tl, want) {
			t.Errorf("timeline lacks %q:\n%s", want, tl)
		}
	}
	if strings.Contains(tl, "level 3") {
		t.Errorf("timeline shows a level 3 after the ack:\n%s", tl)
	}
	// Show history answers with the same timeline, ephemeral.
	press("U0OUT", first, buttonOf(t, first, b1.ID, slackui.ActionIncidentHistory), "hist1")
	w, cancel = wait()
	hist, err := fake.WaitPost(w, func(p slacktest.Post) bool { return p.ResponseID == "hist1" })
	cancel()
	if err != nil {
		t.Fatal(err)
	}
	if hist.ResponseType != "ephemeral" || !strings.Contains(hist.AllText(), "snoozed") || !strings.Contains(hist.AllText(), "notified at level 3") {
		t.Errorf("Show history: %s\n%s", hist.ResponseType, hist.AllText())
	}

	// +7h: both tests pass again → the original message is updated in place and each thread says it resolved.
	f2 := demo.NewFixture("shop")
	inv2 := "00000000-0000-4000-8000-000000000102"
	f2.Invocation("test", t0.Add(6*time.Hour+55*time.Minute), demo.Values{"invocation_id": inv2})
	f2.TestResult(inv2, notNull, orders, "pass", t0.Add(6*time.Hour+55*time.Minute), demo.Values{"column_name": "id"})
	f2.TestResult(inv2, accepted, orders, "pass", t0.Add(6*time.Hour+55*time.Minute), demo.Values{"column_name": "status"})
	wh.add(t, f2)
	updatesBefore := len(fake.Calls("chat.update"))
	run(7*time.Hour, true)
	posts = newPosts()
	if len(posts) != 2 {
		t.Fatalf("resolution replies: %d, want 2: %+v", len(posts), posts)
	}
	for _, name := range []string{"not_null_orders_id", "accepted_values_orders_status"} {
		found := false
		for _, p := range posts {
			found = found || (p.ThreadTS == first.TS && strings.Contains(p.AllText(), "Resolved: *"+name))
		}
		if !found {
			t.Errorf("no resolution reply for %s in the thread: %+v", name, posts)
		}
	}
	var lastUpdate slacktest.Post
	for _, p := range fake.Posts() {
		if p.Method == "chat.update" && p.TS == first.TS {
			lastUpdate = p
		}
	}
	if len(fake.Calls("chat.update")) <= updatesBefore || !strings.Contains(lastUpdate.AllText(), "All 2 problems for team finance resolved") ||
		strings.Contains(string(lastUpdate.Blocks), slackui.ActionIncidentAck) {
		t.Errorf("the original message after the resolution:\n%s", lastUpdate.AllText())
	}
	for _, inc := range incidents() {
		if inc.Status != escalation.StatusResolved || !inc.ResolveAnnounced {
			t.Errorf("incident after the tests pass: %+v", inc)
		}
	}
	run(7*time.Hour+10*time.Minute, true)
	if ps := newPosts(); len(ps) != 0 {
		t.Fatalf("posts after the resolution was announced: %+v", ps)
	}

	// /todai mute creates a silence (members only) that /todai silences lists and that holds a new failure back.
	clock.Set(t0.Add(7*time.Hour + 10*time.Minute))
	if p := slash("U0OUT", "C0FINANCE", "mute node:orders for 2h deploy in progress", "mute0"); !strings.Contains(p.AllText(), "only members") {
		t.Errorf("an outsider's mute: %s", p.AllText())
	}
	muted := slash("U0ANA", "C0FINANCE", "mute node:orders for 2h deploy in progress", "mute1").AllText()
	if !strings.Contains(muted, "Silence") || !strings.Contains(muted, "node:*.orders") {
		t.Fatalf("mute: %s", muted)
	}
	list := slash("U0OUT", "C0FINANCE", "silences", "sil1").AllText()
	if !strings.Contains(list, "*1 active silence*") || !strings.Contains(list, "node:*.orders") ||
		!strings.Contains(list, "deploy in progress") || !strings.Contains(list, "<@U0ANA>") {
		t.Errorf("silences:\n%s", list)
	}
	f3 := demo.NewFixture("shop")
	inv3 := "00000000-0000-4000-8000-000000000103"
	f3.Invocation("test", t0.Add(7*time.Hour+55*time.Minute), demo.Values{"invocation_id": inv3})
	f3.TestResult(inv3, notNull, orders, "fail", t0.Add(7*time.Hour+55*time.Minute), demo.Values{"column_name": "id"})
	wh.add(t, f3)
	run(8*time.Hour, true)
	if ps := newPosts(); len(ps) != 0 {
		t.Fatalf("a muted failure was posted: %+v", ps)
	}
	if inc := incidents()[notNull]; inc.Status != escalation.StatusOpen || inc.SilencedBy == 0 || inc.ID == a1.ID {
		t.Errorf("the muted incident: %+v", inc)
	}
	run(9*time.Hour+15*time.Minute, false) // the silence ended at +9h10
	posts = newPosts()
	if len(posts) != 1 || posts[0].ThreadTS != "" || !strings.Contains(posts[0].AllText(), "not_null_orders_id") {
		t.Fatalf("the failure after the silence ended: %+v", posts)
	}
}

// TestSchedulerEscalatesAfterSync proves serve's scheduler runs escalation right after a sync, not a minute later:
// a failure that lands in the warehouse is posted within seconds of the next sync, before the minute tick.
func TestSchedulerEscalatesAfterSync(t *testing.T) {
	logs := testLogs(t)
	ctx := context.Background()
	now := time.Now().UTC()
	f := demo.NewFixture("shop")
	orders := f.Model("orders", demo.Values{"owner": `["@jane"]`})
	notNull := f.Test("not_null_orders_id", "not_null", orders, nil)
	inv := f.Invocation("test", now.Add(-10*time.Minute), nil)
	f.TestResult(inv, notNull, orders, "pass", now.Add(-10*time.Minute), demo.Values{"column_name": "id"})
	wh := newFixtureWarehouse(t, f)

	fake := slacktest.New(t)
	seedWorkspace(fake)
	a := escalationApp(t, fake, wh.path, t.TempDir(), time.Now, logs)
	a.cfg.Sync.Interval.Duration = time.Second
	db, err := a.openState(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	reader := a.reader(db)
	b := a.newBot(db, reader) // posting needs no socket connection
	sched, err := a.newScheduler(db, a.newWatchers(db, reader, b), b)
	if err != nil {
		t.Fatal(err)
	}
	runCtx, stop := context.WithCancel(ctx)
	started := time.Now()
	done := make(chan error, 1)
	go func() { done <- sched.Run(runCtx) }()
	defer func() {
		stop()
		if err := <-done; err != nil {
			t.Errorf("scheduler: %v", err)
		}
	}()

	// Wait for the first sync, then make the test fail in a new invocation.
	w, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	for n := 0; n == 0; {
		_ = db.Read.QueryRowContext(w, `SELECT count(*) FROM test_latest`).Scan(&n)
		select {
		case <-w.Done():
			t.Fatal("the first sync never landed")
		case <-time.After(50 * time.Millisecond):
		}
	}
	f2 := demo.NewFixture("shop")
	inv2 := "00000000-0000-4000-8000-000000000202"
	f2.Invocation("test", time.Now().UTC(), demo.Values{"invocation_id": inv2})
	f2.TestResult(inv2, notNull, orders, "fail", time.Now().UTC(), demo.Values{"column_name": "id"})
	wh.add(t, f2)

	w2, cancel2 := context.WithTimeout(ctx, 40*time.Second)
	defer cancel2()
	p, err := fake.WaitPost(w2, func(p slacktest.Post) bool {
		return p.Method == "chat.postMessage" && p.Channel == "C0FINANCE"
	})
	if err != nil {
		t.Fatalf("no incident message after the sync: %v", err)
	}
	if !strings.Contains(p.AllText(), "not_null_orders_id") {
		t.Errorf("incident message:\n%s", p.AllText())
	}
	if took := p.Time.Sub(started); took >= time.Minute {
		t.Errorf("posted %s after start: escalation waited for the minute tick", took)
	}
}

// TestEscalationRefusedFirstNoticeIsRetried: Slack answering ok:false proves nothing was posted, so the level-1
// notice is given back and goes out at the next sweep, once.
func TestEscalationRefusedFirstNoticeIsRetried(t *testing.T) {
	one := oneFailingTest(t)
	ctx := one.ctx

	fake := slacktest.New(t)
	seedWorkspace(fake)
	db, run := one.escalation(t, fake)
	fake.FailNext("chat.postMessage", "channel_not_found")
	if err := run(0, true); err == nil || !strings.Contains(err.Error(), "channel_not_found") {
		t.Fatalf("a refused level-1 post must be reported, got %v", err)
	}
	if ps := channelPosts(fake, "C0FINANCE"); len(ps) != 0 {
		t.Fatalf("posts: %+v", ps)
	}
	for _, at := range []time.Duration{time.Minute, 2 * time.Minute} {
		if err := run(at, false); err != nil {
			t.Fatalf("+%s: %v", at, err)
		}
	}
	ps := channelPosts(fake, "C0FINANCE")
	if len(ps) != 1 || ps[0].ThreadTS != "" || !strings.Contains(string(ps[0].Blocks), slackui.ActionIncidentAck) {
		t.Fatalf("the retried level-1 notice, once, with buttons: %+v", ps)
	}
	incs, err := escalation.NewStore(db).Pending(ctx)
	if err != nil || len(incs) != 1 || incs[0].Message.TS != ps[0].TS || incs[0].LastNotified.Level != 1 {
		t.Fatalf("incident: %+v %v", incs, err)
	}
	tl, err := escalation.NewStore(db).Timeline(ctx, incs[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	var events []string
	for _, e := range tl {
		events = append(events, e.Event)
	}
	if want := []string{"opened", "notified", "notify_failed", "notified"}; !slices.Equal(events, want) {
		t.Errorf("timeline %v, want %v", events, want)
	}
}

// TestEscalationFirstNoticeLost: when the level-1 post fails in a way that may hide a posted message (a 502), the
// send stays claimed (nothing is ever sent twice), so the level-2 notice must open the incident's message itself
// rather than fail for want of a thread; the resolution then updates that message.
func TestEscalationFirstNoticeLost(t *testing.T) {
	one := oneFailingTest(t)
	ctx, t0, wh, orders, notNull := one.ctx, one.t0, one.wh, one.orders, one.notNull

	fake := slacktest.New(t)
	seedWorkspace(fake)
	db, run := one.escalation(t, fake)

	fake.FailNextStatus("chat.postMessage", http.StatusBadGateway)
	if err := run(0, true); err == nil || !strings.Contains(err.Error(), "502") {
		t.Fatalf("a refused level-1 post must be reported, got %v", err)
	}
	if ps := channelPosts(fake, "C0FINANCE"); len(ps) != 0 {
		t.Fatalf("posts: %+v", ps)
	}
	if err := run(time.Hour, false); err != nil {
		t.Fatalf("nothing is due at +1h, got %v", err)
	}
	if err := run(2*time.Hour, false); err != nil {
		t.Fatalf("level 2 without a first message: %v", err)
	}
	ps := channelPosts(fake, "C0FINANCE")
	if len(ps) != 1 || ps[0].ThreadTS != "" || !strings.Contains(ps[0].AllText(), "not_null_orders_id") ||
		!strings.Contains(ps[0].AllText(), "<@U0ONCALL>") || !strings.Contains(string(ps[0].Blocks), slackui.ActionIncidentAck) {
		t.Fatalf("level 2 must open the message, mentioning the on-call, with buttons: %+v", ps)
	}
	inc, err := escalation.NewStore(db).Pending(ctx)
	if err != nil || len(inc) != 1 || inc[0].Message.TS != ps[0].TS || inc[0].LastNotified.Level != 2 {
		t.Fatalf("incident after level 2: %+v %v", inc, err)
	}

	f2 := demo.NewFixture("shop")
	inv2 := "00000000-0000-4000-8000-000000000302"
	f2.Invocation("test", t0.Add(3*time.Hour), demo.Values{"invocation_id": inv2})
	f2.TestResult(inv2, notNull, orders, "pass", t0.Add(3*time.Hour), demo.Values{"column_name": "id"})
	wh.add(t, f2)
	if err := run(3*time.Hour+5*time.Minute, true); err != nil {
		t.Fatalf("resolution: %v", err)
	}
	ps = channelPosts(fake, "C0FINANCE")
	if len(ps) != 2 || ps[1].ThreadTS != ps[0].TS || !strings.Contains(ps[1].AllText(), "Resolved") {
		t.Fatalf("resolution reply: %+v", ps)
	}
	updated := false
	for _, p := range fake.Posts() {
		updated = updated || (p.Method == "chat.update" && p.TS == ps[0].TS && strings.Contains(p.AllText(), "resolved"))
	}
	if !updated {
		t.Error("the message opened at level 2 was not updated on resolve")
	}
}

// TestEscalationAckInNamedChannel: a team channel written as "#data-finance" cannot be asked for its members by
// name; a click on the incident's own message is checked against the channel it came from (its ID).
func TestEscalationAckInNamedChannel(t *testing.T) {
	one := oneFailingTest(t)
	ctx, clock, logs, wh := one.ctx, one.clock, one.logs, one.wh
	fake := slacktest.New(t)
	seedWorkspace(fake)
	a := escalationApp(t, fake, wh.path, t.TempDir(), clock.Now, logs)
	a.cfg.Teams[0].Channel = "#data-finance"
	st := startStack(t, a, fake, 1)
	defer st.close(t)
	if err := a.syncOnce(ctx, st.db); err != nil {
		t.Fatal(err)
	}
	if err := st.esc.Run(ctx, clock.Now()); err != nil {
		t.Fatal(err)
	}
	// Like Slack, the fake files a post to "#data-finance" under the channel's ID and answers with it; the
	// incident must keep that ID, since chat.update refuses a channel name.
	ps := channelPosts(fake, "C0FINANCE")
	if len(ps) != 1 {
		t.Fatalf("posts: %+v", fake.Posts())
	}
	incs, err := escalation.NewStore(st.db).Pending(ctx)
	if err != nil || len(incs) != 1 {
		t.Fatalf("incidents: %+v %v", incs, err)
	}
	id := incs[0].ID
	for _, tc := range []struct{ user, rid, want string }{{"U0OUT", "n-deny", "only members"}, {"U0ANA", "n-ack", ""}} {
		fake.SendBlockAction(slacktest.BlockAction{UserID: tc.user, ChannelID: "C0FINANCE", MessageTS: ps[0].TS,
			ResponseURL: fake.ResponseURL(tc.rid), Actions: []slacktest.Action{buttonOf(t, ps[0], id, slackui.ActionIncidentAck)}})
		w, cancel := context.WithTimeout(ctx, 20*time.Second)
		if tc.want != "" {
			p, err := fake.WaitPost(w, func(p slacktest.Post) bool { return p.ResponseID == tc.rid })
			if err != nil || !strings.Contains(p.AllText(), tc.want) {
				t.Errorf("%s: %v %s", tc.user, err, p.AllText())
			}
		} else if _, err := fake.WaitPost(w, func(p slacktest.Post) bool {
			return p.Method == "chat.update" && p.Channel == "C0FINANCE" && strings.Contains(p.AllText(), "acknowledged by <@U0ANA>")
		}); err != nil {
			t.Errorf("a member's ack in a channel configured by name: %v", err)
		}
		cancel()
	}
	if inc, err := escalation.NewStore(st.db).Get(ctx, id); err != nil || inc.AckedBy != "U0ANA" {
		t.Errorf("incident: %+v %v", inc, err)
	}
}

// failingTest is the common start of the single-incident scenarios: a warehouse in which one not_null test on
// orders (owned by @jane) failed five minutes before t0, a fake clock at t0, and a log buffer printed if the test
// fails.
type failingTest struct {
	ctx             context.Context
	t0              time.Time
	clock           *fakeClock
	logs            *handlerstest.LogBuffer
	wh              fixtureWarehouse
	orders, notNull string
}

func oneFailingTest(t *testing.T) failingTest {
	t.Helper()
	one := failingTest{ctx: context.Background(), t0: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC), logs: &handlerstest.LogBuffer{}}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("logs:\n%s", one.logs.String())
		}
	})
	one.clock = &fakeClock{t: one.t0}
	f := demo.NewFixture("shop")
	one.orders = f.Model("orders", demo.Values{"owner": `["@jane"]`})
	one.notNull = f.Test("not_null_orders_id", "not_null", one.orders, nil)
	inv := f.Invocation("test", one.t0.Add(-5*time.Minute), nil)
	f.TestResult(inv, one.notNull, one.orders, "fail", one.t0.Add(-5*time.Minute), demo.Values{"column_name": "id"})
	one.wh = newFixtureWarehouse(t, f)
	return one
}

// escalation builds serve's escalator over a fresh state file, talking to fake; run(at, sync) sets the clock to
// t0+at, syncs the warehouse first when sync is set, and runs the escalation once.
func (one failingTest) escalation(t *testing.T, fake *slacktest.Slack) (db *localdb.DB, run func(at time.Duration, sync bool) error) {
	t.Helper()
	a := escalationApp(t, fake, one.wh.path, t.TempDir(), one.clock.Now, one.logs)
	db, err := a.openState(one.ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	reader := a.reader(db)
	esc := a.newEscalator(db, reader, a.newBot(db, reader))
	return db, func(at time.Duration, sync bool) error {
		one.clock.Set(one.t0.Add(at))
		if sync {
			if err := a.syncOnce(one.ctx, db); err != nil {
				t.Fatal(err)
			}
		}
		return esc.Run(one.ctx, one.clock.Now())
	}
}

// testLogs is a log buffer printed when the test fails.
func testLogs(t *testing.T) *handlerstest.LogBuffer {
	logs := &handlerstest.LogBuffer{}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("logs:\n%s", logs.String())
		}
	})
	return logs
}

// TestEscalationTeamNameCase: the dbt group (Finance), a model's meta.team (FINANCE) and the config (finance) spell
// the team three ways; the failures of both models escalate by finance's policy, in finance's channel, as "finance".
func TestEscalationTeamNameCase(t *testing.T) {
	ctx := context.Background()
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	clock := &fakeClock{t: t0}
	logs := testLogs(t)
	f := demo.NewFixture("shop")
	orders := f.Model("orders", demo.Values{"group_name": "Finance"})
	refunds := f.Model("refunds", demo.Values{"meta": `{"team": "FINANCE"}`})
	inv := f.Invocation("test", t0.Add(-5*time.Minute), nil)
	for _, m := range []string{orders, refunds} {
		test := f.Test("not_null_"+queries.NameOf(m)+"_id", "not_null", m, nil)
		f.TestResult(inv, test, m, "fail", t0.Add(-5*time.Minute), demo.Values{"column_name": "id"})
	}
	wh := newFixtureWarehouse(t, f)
	fake := slacktest.New(t)
	seedWorkspace(fake)
	a := configuredApp(t, fake, wh.path, t.TempDir(), `teams:
  - name: finance
    channel: C0FINANCE
    escalation:
      levels:
        - after: 0s
          notify: [{kind: channel}]
`, clock.Now, logs, slog.LevelInfo)
	db, err := a.openState(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	reader := a.reader(db)
	if err := a.syncOnce(ctx, db); err != nil {
		t.Fatal(err)
	}
	if err := a.newEscalator(db, reader, a.newBot(db, reader)).Run(ctx, clock.Now()); err != nil {
		t.Fatal(err)
	}
	posts := channelPosts(fake, "C0FINANCE")
	if len(posts) != 1 {
		t.Fatalf("%d posts in finance's channel, want the one notice of both failures", len(posts))
	}
	for _, name := range []string{"orders", "refunds"} {
		if !strings.Contains(posts[0].AllText(), name) {
			t.Errorf("the notice lacks %s:\n%s", name, posts[0].AllText())
		}
	}
	incs, err := escalation.NewStore(db).Pending(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, inc := range incs {
		if inc.Team != "finance" {
			t.Errorf("incident %d of team %q, want the configured spelling finance", inc.ID, inc.Team)
		}
	}
	if len(incs) != 2 {
		t.Errorf("%d incidents, want 2", len(incs))
	}
}
