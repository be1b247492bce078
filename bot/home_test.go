package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/todai-dev/todai/bot/slacktest"
	"github.com/todai-dev/todai/handlers"
	"github.com/todai-dev/todai/queries"
	"github.com/todai-dev/todai/scheduler/escalation"
)

// The read model is what the core hands to NewHome.
var _ HomeReader = (*queries.Reader)(nil)

// homeData is an in-memory HomeReader.
type homeData struct {
	nodes    map[string][]queries.Node // team → nodes
	problems []queries.Problem
	stop     *queries.PipelineStop
	scores   map[string][2]float64 // team → health total now and a week before
	err      error
}

func (d *homeData) Teams(context.Context) ([]string, error) {
	var out []string
	for t := range d.nodes {
		out = append(out, t)
	}
	return out, d.err
}

func (d *homeData) TeamNodes(_ context.Context, team string) ([]queries.Node, error) {
	return d.nodes[team], d.err
}

func (d *homeData) Problems(context.Context) ([]queries.Problem, error) { return d.problems, d.err }

// Runbook links the runbook of the tests called *_test.
func (d *homeData) Runbook(_ context.Context, id string) (string, error) {
	if strings.HasSuffix(id, "bobs_test") {
		return "https://wiki.example.com/runbooks/bob", d.err
	}
	return "", d.err
}

func (d *homeData) Pipeline(context.Context) (*queries.PipelineStop, error) { return d.stop, d.err }

func (d *homeData) Health(_ context.Context, q queries.HealthQuery) (queries.HealthAnswer, error) {
	a := queries.HealthAnswer{Scope: "team", Team: q.Team}
	if s, ok := d.scores[q.Team]; ok {
		a.Total, a.TotalBefore = &s[0], &s[1]
	}
	return a, d.err
}

func homeFixture(t *testing.T) (*slacktest.Slack, *Home) {
	t.Helper()
	fake, api := newWebFake(t)
	fake.AddUser(slacktest.User{ID: "UALICE", Name: "alice", DisplayName: "Alice", Email: "alice@example.com"})
	fake.AddUser(slacktest.User{ID: "UBOB", Name: "bob", Email: "bob@example.com"})
	fake.AddUser(slacktest.User{ID: "UNEW", Name: "newbie", Email: "newbie@example.com"})
	members := []string{"UX1", "UX2", "UX3", "UBOB"}
	fake.AddChannel(slacktest.Channel{ID: "CFIN", Name: "data-finance", Members: members})
	fake.AddChannel(slacktest.Channel{ID: "CMKT", Name: "data-marketing", Members: []string{"UX1"}})
	at := time.Date(2025, 3, 1, 6, 0, 0, 0, time.UTC)
	data := &homeData{
		nodes: map[string][]queries.Node{
			"finance": {
				{UniqueID: "model.shop.revenue", Name: "revenue", Owners: []string{"@Alice"}, Team: "finance"},
				{UniqueID: "model.shop.invoices", Name: "invoices", Owners: []string{"carol@example.com"}, Team: "finance"},
			},
			"marketing": {{UniqueID: "model.shop.campaigns", Name: "campaigns", Owners: []string{"dave"}, Team: "marketing"}},
			"growth":    {{UniqueID: "model.shop.signups", Name: "signups", Owners: []string{"ALICE@example.com"}, Team: "growth"}},
		},
		problems: []queries.Problem{
			{Kind: "test", TestID: "test.shop.nn_revenue", ShortName: "not_null", Column: "amount",
				NodeID: "model.shop.revenue", Severity: "ERROR", Facts: queries.NodeFacts{Owners: []string{"@Alice"}},
				Team: "finance", DetectedAt: at},
			{Kind: "test", TestID: "test.shop.uq_invoices", ShortName: "unique <!channel>",
				NodeID: "model.shop.invoices", Severity: "WARN", Facts: queries.NodeFacts{Owners: []string{"carol@example.com"}},
				Team: "finance"},
		},
		scores: map[string][2]float64{"finance": {71.4, 78.2}},
	}
	users := NewUsers(api, UsersOptions{})
	inc := func(id int64, team, test, assignee string) escalation.Incident {
		return escalation.Incident{ID: id, Team: team, Kind: escalation.KindTest, NodeID: "model.shop.revenue",
			TestID: "test.shop." + test, Status: escalation.StatusOpen, Assignee: assignee, OpenedAt: at}
	}
	incidents := homeIncidents{inc(7, "finance", "bobs_test", "UBOB"), inc(8, "Finance", "nobodys_test", ""),
		inc(9, "marketing", "marketing_test", ""), inc(10, "growth", "taken_test", "UX9")}
	incidents[0].Priority = escalation.PriorityHigh
	home := NewHome(api, users, data, HomeOptions{
		Teams:     []HomeTeam{{Name: "finance", Channel: "CFIN"}, {Name: "Marketing", Channel: "CMKT"}},
		Now:       func() time.Time { return at.Add(time.Hour) },
		Incidents: incidents,
	})
	return fake, home
}

// homeIncidents are the unresolved incidents of the Home tab's tests.
type homeIncidents []escalation.Incident

func (h homeIncidents) List(context.Context, string, time.Time) ([]escalation.Incident, error) {
	return h, nil
}

// homeText publishes userID's tab and returns every text on it, newline-joined.
func homeText(t *testing.T, fake *slacktest.Slack, home *Home, userID string, lang handlers.Lang) string {
	t.Helper()
	ctx := webTestCtx(t)
	if err := home.Publish(ctx, userID, lang); err != nil {
		t.Fatalf("Publish: %v", err)
	}
	raw := fake.HomeView(userID)
	var view struct {
		Type   string          `json:"type"`
		Blocks json.RawMessage `json:"blocks"`
	}
	if err := json.Unmarshal(raw, &view); err != nil || view.Type != "home" {
		t.Fatalf("published view %s: %v", raw, err)
	}
	var blocks []any
	if err := json.Unmarshal(view.Blocks, &blocks); err != nil || len(blocks) > 100 {
		t.Fatalf("%d blocks: %v", len(blocks), err)
	}
	return slacktest.Post{Blocks: view.Blocks}.AllText()
}

// checkHomeText checks that a home tab's text has every want and no notWant.
func checkHomeText(t *testing.T, text string, want, notWant []string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(text, w) {
			t.Errorf("home tab lacks %q:\n%s", w, text)
		}
	}
	for _, w := range notWant {
		if strings.Contains(text, w) {
			t.Errorf("home tab has %q:\n%s", w, text)
		}
	}
}

func TestHomeView(t *testing.T) {
	fake, home := homeFixture(t)
	tests := []struct {
		name    string
		user    string
		lang    handlers.Lang
		want    []string
		notWant []string
	}{
		{name: "owner by handle and email", user: "UALICE", lang: handlers.LangEN, want: []string{
			"*finance*  <#CFIN>", "1 failing, 1 warning · 2 nodes · health 71.4/100 (▼6.8 vs a week before (78.2))", ":red_circle: *finance*",
			":large_green_circle: *growth*", "all passing · 1 nodes",
			":red_circle: not_null (amount) on *revenue*", "<!date^1740808800^",
			"digests: not scheduled yet", "🔴 to take · *nobodys_test on revenue* — 🔴 open",
		}, notWant: []string{"Marketing", "recency", "Nothing you own", "bobs_test", "taken_test", "marketing_test"}},
		{name: "member by channel", user: "UBOB", lang: handlers.LangEN, want: []string{
			"*finance*  <#CFIN>", "Nothing you own is failing", "🙋 yours · *bobs_test on revenue* — 🔴 open · severity high",
			"<https://wiki.example.com/runbooks/bob|runbook>",
			"🔴 to take · *nobodys_test on revenue*",
		}, notWant: []string{"growth", "Marketing", "marketing_test"}},
		{name: "nobody", user: "UNEW", lang: handlers.LangEN, want: []string{
			"You are not in any team's channel", "Nothing you own is failing", "digests: not scheduled yet",
			"Nothing assigned to you, and nothing open in your teams.",
		}},
		{name: "japanese", user: "UALICE", lang: handlers.LangJA, want: []string{
			"あなたのチーム", "失敗 1 件、警告 1 件 · ノード 2 件 · 健全性 71.4/100", "ダイジェスト: まだ予定されていません",
			"あなたのインシデント", "🔴 担当者なし · *revenue の nobodys_test*",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			text := homeText(t, fake, home, tt.user, tt.lang)
			checkHomeText(t, text, tt.want, tt.notWant)
			if strings.Contains(text, "<!channel>") {
				t.Errorf("unescaped broadcast in:\n%s", text)
			}
		})
	}
	// conversations.members was paged (the fake's default page holds everyone, so check the limit was sent).
	calls := fake.Calls("conversations.members")
	if len(calls) == 0 || calls[0].Form.Get("limit") != fmt.Sprint(homeMembersPage) {
		t.Errorf("conversations.members calls = %+v", calls)
	}
}

func TestHomeEscapesAndBounds(t *testing.T) {
	fake, api := newWebFake(t)
	fake.AddUser(slacktest.User{ID: "U1", Name: "owner", Email: "o@example.com"})
	var problems []queries.Problem
	nodes := map[string][]queries.Node{}
	for i := range 60 {
		team := fmt.Sprintf("team<%d>", i)
		nodes[team] = []queries.Node{{UniqueID: fmt.Sprintf("model.p.m%d", i), Owners: []string{"@owner"}}}
		problems = append(problems, queries.Problem{Kind: "test", ShortName: strings.Repeat("<@U999>&", 40),
			NodeID: fmt.Sprintf("model.p.m%d", i), Severity: "ERROR", Facts: queries.NodeFacts{Owners: []string{"o@example.com"}},
			Team: team})
	}
	home := NewHome(api, NewUsers(api, UsersOptions{}), &homeData{nodes: nodes, problems: problems}, HomeOptions{})
	text := homeText(t, fake, home, "U1", handlers.LangEN)
	checkHomeText(t, text, []string{"…and 20 more teams", "&lt;@U999&gt;&amp;", "*team&lt;0&gt;*"}, nil)
	if !regexp.MustCompile(`(?m)^…and (4[0-9]|5[0-9]) more$`).MatchString(text) {
		t.Errorf("owned failures not cut to fit with a count of the rest:\n%s", text)
	}
	if strings.Contains(text, "<@U999>") {
		t.Error("a test name became a mention")
	}
}

func TestHomeReadFailure(t *testing.T) {
	fake, api := newWebFake(t)
	fake.AddUser(slacktest.User{ID: "U1", Name: "owner", Email: "o@example.com"})
	home := NewHome(api, NewUsers(api, UsersOptions{}), &homeData{err: errors.New("database is locked")}, HomeOptions{})
	text := homeText(t, fake, home, "U1", handlers.LangEN)
	checkHomeText(t, text, []string{"Could not read the teams", "Could not read the failures", "digests: not scheduled yet"}, nil)
	fake.FailNext("views.publish", "invalid_auth")
	err := home.Publish(webTestCtx(t), "U1", handlers.LangEN)
	if err == nil || !strings.Contains(err.Error(), "views.publish for U1") {
		t.Errorf("Publish error = %v, want views.publish's", err)
	}
}

func TestHomeTeamChannelByName(t *testing.T) {
	fake, _ := homeFixture(t) // users, channels CFIN (#data-finance, with UBOB) and CMKT
	api := newWebClient(fake)
	channels := NewChannels(api, ChannelsOptions{})
	data := &homeData{nodes: map[string][]queries.Node{
		"finance": {{UniqueID: "model.shop.revenue", Name: "revenue", Owners: []string{"carol@example.com"}, Team: "finance"}},
		"growth":  {{UniqueID: "model.shop.signups", Name: "signups", Owners: []string{"@alice"}, Team: "growth"}},
	}}
	home := NewHome(api, NewUsers(api, UsersOptions{}), data, HomeOptions{Channels: channels, Teams: []HomeTeam{
		{Name: "finance", Channel: "#data-finance"}, // resolved: membership and a link
		{Name: "growth", Channel: "#gone<x>"},       // unknown: plain text, no membership
	}})
	tests := []struct {
		name, user    string
		want, notWant []string
	}{
		{name: "member through a resolved name", user: "UBOB", want: []string{"*finance*  <#CFIN>"},
			notWant: []string{"growth"}},
		{name: "unresolved name as plain text", user: "UALICE", want: []string{"*growth*  #gone&lt;x&gt;\n"},
			notWant: []string{"finance", "<#"}},
		{name: "neither", user: "UNEW", want: []string{"You are not in any team's channel"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			text := homeText(t, fake, home, tt.user, handlers.LangEN)
			checkHomeText(t, text, tt.want, tt.notWant)
		})
	}
	// The shared index listed the channels once for the three tabs; members were read by the resolved ID.
	if n := len(fake.Calls("conversations.list")); n != 1 {
		t.Errorf("conversations.list calls = %d, want 1", n)
	}
	for _, c := range fake.Calls("conversations.members") {
		if ch := c.Form.Get("channel"); ch != "CFIN" {
			t.Errorf("conversations.members asked for %q, want CFIN only", ch)
		}
	}
	if id, err := channels.ChannelID(webTestCtx(t), "#data-finance"); err != nil || id != "CFIN" {
		t.Errorf("the Home's index: %q %v", id, err)
	}
}

// TestHomeShowsWhatIsFailingNow: the Home lists what escalation sees failing now, models and sources too, the
// blocking ones first.
func TestHomeShowsWhatIsFailingNow(t *testing.T) {
	fake, api := newWebFake(t)
	fake.AddUser(slacktest.User{ID: "U1", Name: "owner", Email: "o@example.com"})
	mine := queries.NodeFacts{Owners: []string{"o@example.com"}}
	data := &homeData{
		nodes: map[string][]queries.Node{"core": {{UniqueID: "model.p.orders", Owners: []string{"o@example.com"}, Team: "core"}}},
		problems: []queries.Problem{
			{Kind: "test", TestID: "test.p.not_null_orders_id.abc", NodeID: "model.p.orders", Severity: "WARN", Facts: mine, Team: "core"},
			{Kind: "model", NodeID: "model.p.orders", Severity: "ERROR", Facts: mine, Team: "core"},
			{Kind: "freshness", NodeID: "source.p.raw.payments", Severity: "ERROR", Facts: mine, Team: "core"},
			{Kind: "test", TestID: "test.p.other.def", NodeID: "model.p.other", Severity: "ERROR", Team: "core"},
		},
	}
	home := NewHome(api, NewUsers(api, UsersOptions{}), data, HomeOptions{})
	text := homeText(t, fake, home, "U1", handlers.LangEN)
	model := strings.Index(text, "*orders* failed to build")
	source := strings.Index(text, "*payments* is stale")
	warn := strings.Index(text, ":large_yellow_circle: not_null_orders_id on *orders*")
	if model < 0 || source < 0 || warn < 0 || warn < model || warn < source {
		t.Errorf("owned problems, blocking ones first:\n%s", text)
	}
	if !strings.Contains(text, "3 failing, 0 warning") || strings.Contains(text, "other") {
		t.Errorf("team health or someone else's problem:\n%s", text)
	}
}

// TestHomeSaysThePipelineStopped: when no dbt job has run for longer than usual, the Home says so first, once.
func TestHomeSaysThePipelineStopped(t *testing.T) {
	fake, home := homeFixture(t)
	since := time.Date(2026, 12, 3, 5, 0, 0, 0, time.UTC)
	home.data.(*homeData).stop = &queries.PipelineStop{Since: since, JobName: "nightly", SilentSeconds: 3 * 86400}
	for lang, want := range map[handlers.Lang][]string{
		handlers.LangEN: {":octagonal_sign: *Pipeline stopped*: no dbt run of any job since", "the last: job nightly", "check the orchestrator"},
		handlers.LangJA: {"パイプライン停止", "どのジョブの dbt 実行もありません", "最後はジョブ nightly"},
	} {
		text := homeText(t, fake, home, "UALICE", lang)
		checkHomeText(t, text, want, nil)
		if strings.Index(text, "Pipeline stopped") > strings.Index(text, "Your teams") && lang == handlers.LangEN {
			t.Errorf("the stopped pipeline is not said first:\n%s", text)
		}
	}
}
