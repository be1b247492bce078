package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/todai-dev/todai/bot/slacktest"
	"github.com/todai-dev/todai/bot/slackui"
	"github.com/todai-dev/todai/queries/demo"
	"github.com/todai-dev/todai/queries/statedb/statedbtest"
	"github.com/todai-dev/todai/scheduler/escalation"
)

// workflowConfig is escalationConfig's team finance, whose incidents its user group S0FIN works, and a runbook for
// not_null tests.
const workflowConfig = `runbooks:
  test_types:
    not_null: https://wiki.example.com/runbooks/not-null
teams:
  - name: finance
    channel: C0FINANCE
    owners: ["@jane"]
    usergroup: S0FIN
    escalation:
      levels:
        - after: 0s
          notify: [{kind: channel}]
        - after: 2h
          notify: [{kind: user, id: U0ONCALL}]
`

// TestIncidentWorkflow works an incident in the fake Slack as a team would: an outsider is refused, a member takes
// it (twice: once applied), another raises its severity, and it is resolved as a false positive through the
// Resolve… modal after two submissions the modal refuses; each step is visible in place (chat.update) and in one
// line of the thread, and bad input (a forged button, an unknown incident, a resolved one) changes nothing — with
// Todai's own state in the local file, and in PostgreSQL.
func TestIncidentWorkflow(t *testing.T) {
	for _, postgres := range []bool{false, true} {
		name := "sqlite"
		if postgres {
			name = "postgres"
		}
		t.Run(name, func(t *testing.T) { incidentWorkflow(t, postgres) })
	}
}

// incidentWorkflow is TestIncidentWorkflow on one engine.
func incidentWorkflow(t *testing.T, postgres bool) {
	one := oneFailingTest(t)
	ctx := one.ctx
	fake := slacktest.New(t)
	seedWorkspace(fake)
	fake.AddUser(slacktest.User{ID: "U0BEN", Name: "ben"})
	fake.AddUserGroup(slacktest.UserGroup{ID: "S0FIN", Handle: "finance-data", Name: "Finance data", Users: []string{"U0ANA", "U0BEN"}})
	a := configuredApp(t, fake, one.wh.path, t.TempDir(), workflowConfig, one.clock.Now, one.logs, -4)
	if postgres {
		a.cfg.State.URL = statedbtest.URL(t) // Todai's own state in PostgreSQL; the mirror stays in the file
	}
	st := startStack(t, a, fake, 1)
	defer func() { st.close(t) }()
	store := escalation.NewStateStore(a.stateOf(st.db))
	wait := func() (context.Context, context.CancelFunc) { return context.WithTimeout(ctx, 20*time.Second) }
	waitPost := func(what string, match func(slacktest.Post) bool) slacktest.Post {
		t.Helper()
		w, cancel := wait()
		defer cancel()
		p, err := fake.WaitPost(w, match)
		if err != nil {
			t.Fatalf("waiting for %s: %v", what, err)
		}
		return p
	}
	reply := func(rid string) slacktest.Post {
		t.Helper()
		return waitPost("the reply "+rid, func(p slacktest.Post) bool { return p.ResponseID == rid })
	}
	threadLines := func(ts string) []string {
		var out []string
		for _, p := range channelPosts(fake, "C0FINANCE") {
			if p.ThreadTS == ts {
				out = append(out, p.Text)
			}
		}
		return out
	}

	st.sweep(t, a, one.clock, one.t0, true)
	posts := channelPosts(fake, "C0FINANCE")
	if len(posts) != 1 {
		t.Fatalf("posts: %+v", posts)
	}
	notice := posts[0]
	pending, err := store.Pending(ctx)
	if err != nil || len(pending) != 1 {
		t.Fatalf("pending: %+v, %v", pending, err)
	}
	id := pending[0].ID
	if text := notice.AllText(); !strings.Contains(text, "(computed from its urgency)") ||
		!strings.Contains(text, "📖 <https://wiki.example.com/runbooks/not-null|Runbook>") {
		t.Errorf("the notice says no computed severity or no runbook:\n%s", text)
	}
	press := func(user string, act slacktest.Action, rid string) {
		fake.SendBlockAction(slacktest.BlockAction{UserID: user, ChannelID: "C0FINANCE", MessageTS: notice.TS,
			ResponseURL: fake.ResponseURL(rid), Actions: []slacktest.Action{act}})
	}
	take := buttonOf(t, notice, id, slackui.ActionIncidentTake)

	// An outsider (in no group of the team) is refused and told whom to ask; nothing changes.
	press("U0OUT", take, "out-take")
	if p := reply("out-take"); p.ResponseType != "ephemeral" || !strings.Contains(p.AllText(), "only team *finance*") ||
		!strings.Contains(p.AllText(), "<!subteam^S0FIN>") {
		t.Errorf("the outsider's refusal: %s %s", p.ResponseType, p.AllText())
	}
	if inc, _ := store.Get(ctx, id); inc.Assignee != "" || inc.Status != escalation.StatusOpen {
		t.Fatalf("a refused take changed the incident: %+v", inc)
	}

	// Ana takes it, with a double click: one change, one thread line; the message shows her in place.
	press("U0ANA", take, "ana-take-1")
	press("U0ANA", take, "ana-take-2")
	waitPost("the taken message", func(p slacktest.Post) bool {
		return p.Method == "chat.update" && p.TS == notice.TS && strings.Contains(p.AllText(), "Assignee: <@U0ANA>")
	})
	waitPost("the take's thread line", func(p slacktest.Post) bool {
		return p.ThreadTS == notice.TS && strings.Contains(p.Text, "<@U0ANA> took")
	})

	// Ben raises the severity with the menu; Slack delivers that envelope twice: it is applied once.
	severity := fake.SendBlockAction(slacktest.BlockAction{UserID: "U0BEN", ChannelID: "C0FINANCE", MessageTS: notice.TS,
		ResponseURL: fake.ResponseURL("ben-sev"), Actions: []slacktest.Action{{
			ActionID: slackui.ActionIncidentSeverity + "_" + strconv.FormatInt(id, 10), Type: "static_select",
			BlockID: "todai_inc_actions_" + strconv.FormatInt(id, 10), SelectedOption: strconv.FormatInt(id, 10) + ":high"}}})
	fake.Redeliver(severity)
	waitPost("the severity in place", func(p slacktest.Post) bool {
		return p.Method == "chat.update" && p.TS == notice.TS && strings.Contains(p.AllText(), "Severity: *high* (set by <@U0BEN>)")
	})
	waitPost("the severity's thread line", func(p slacktest.Post) bool {
		return p.ThreadTS == notice.TS && strings.Contains(p.Text, "<@U0BEN> set the severity") && strings.Contains(p.Text, "*high*")
	})

	// Bad input: a forged button value and an unknown incident get a clear answer and change nothing.
	press("U0ANA", slacktest.Action{ActionID: slackui.ActionIncidentTake, Value: "1;DROP TABLE incidents"}, "forged")
	if p := reply("forged"); !strings.Contains(p.AllText(), "does not name one of Todai's incidents") {
		t.Errorf("a forged button: %s", p.AllText())
	}
	press("U0ANA", slacktest.Action{ActionID: slackui.ActionIncidentAssign + "_" + strconv.FormatInt(id, 10), Type: "users_select",
		SelectedUser: "<!channel>"}, "forged-user")
	if p := reply("forged-user"); !strings.Contains(p.AllText(), "Choose a person") {
		t.Errorf("a forged assignee: %s", p.AllText())
	}
	press("U0ANA", slacktest.Action{ActionID: slackui.ActionIncidentTake, Value: "999"}, "unknown")
	if p := reply("unknown"); !strings.Contains(p.AllText(), "no longer exists") {
		t.Errorf("an unknown incident's button: %s", p.AllText())
	}

	// Resolve… opens the modal; a submission without a reason, then one with a note over Slack's limit, keep it
	// open with the error by its input; the third resolves the incident as a false positive.
	press("U0ANA", buttonOf(t, notice, id, slackui.ActionIncidentResolve), "ana-resolve")
	w, cancel := wait()
	if err := fake.WaitFor(w, func() bool { return len(fake.Modals()) == 1 }); err != nil {
		t.Fatalf("no modal opened: %v", err)
	}
	cancel()
	modal := fake.Modals()[0]
	submit := func(reason, note string) slacktest.Ack {
		t.Helper()
		v := slacktest.ViewSubmission{UserID: "U0ANA", ViewID: modal.ID,
			Texts: map[string]map[string]string{slackui.BlockResolveNote: {slackui.ActionResolveNote: note}}}
		if reason != "" {
			v.Options = map[string]map[string]string{slackui.BlockResolution: {slackui.ActionResolution: reason}}
		}
		env := fake.SendViewSubmission(v)
		w, cancel := wait()
		defer cancel()
		ack, err := fake.WaitAck(w, env)
		if err != nil {
			t.Fatal(err)
		}
		return ack
	}
	errorsOf := func(ack slacktest.Ack) map[string]string {
		var body struct {
			ResponseAction string            `json:"response_action"`
			Errors         map[string]string `json:"errors"`
		}
		if len(ack.Payload) > 0 {
			if err := json.Unmarshal(ack.Payload, &body); err != nil {
				t.Fatalf("ack payload %s: %v", ack.Payload, err)
			}
		}
		if len(body.Errors) > 0 && body.ResponseAction != "errors" {
			t.Errorf("errors without response_action errors: %s", ack.Payload)
		}
		return body.Errors
	}
	if errs := errorsOf(submit("", "")); errs[slackui.BlockResolution] == "" {
		t.Errorf("a submission without a reason was taken: %v", errs)
	}
	if errs := errorsOf(submit("false_positive", strings.Repeat("x", escalation.MaxNoteLength+1))); !strings.Contains(errs[slackui.BlockResolveNote], "3001 characters") {
		t.Errorf("a note over the limit was taken: %v", errs)
	}
	if inc, _ := store.Get(ctx, id); inc.Status == escalation.StatusResolved {
		t.Fatalf("a refused submission resolved the incident: %+v", inc)
	}
	if errs := errorsOf(submit("false_positive", "a seasonal spike, <!channel>")); len(errs) != 0 {
		t.Fatalf("the good submission: %v", errs)
	}
	waitPost("the resolved message", func(p slacktest.Post) bool {
		return p.Method == "chat.update" && p.TS == notice.TS && strings.Contains(p.AllText(), "Resolved as *false positive* by <@U0ANA>")
	})
	line := waitPost("the resolution's thread line", func(p slacktest.Post) bool {
		return p.ThreadTS == notice.TS && strings.Contains(p.Text, "resolved")
	})
	if !strings.Contains(line.Text, "&lt;!channel&gt;") || strings.Contains(line.Text, "<!channel>") {
		t.Errorf("the note reached Slack unescaped: %s", line.Text)
	}
	inc, err := store.Get(ctx, id)
	if err != nil || inc.Status != escalation.StatusResolved || inc.Resolution != escalation.ResolutionFalsePositive ||
		inc.ResolvedBy != "U0ANA" || inc.Assignee != "U0ANA" || inc.Priority != escalation.PriorityHigh {
		t.Fatalf("the resolved incident: %+v, %v", inc, err)
	}

	// The same failure is still in the mirror: the next sweep neither reopens it nor says it passes again.
	before := len(channelPosts(fake, "C0FINANCE"))
	st.sweep(t, a, one.clock, one.t0.Add(10*time.Minute), true)
	if after := channelPosts(fake, "C0FINANCE"); len(after) != before {
		t.Errorf("the sweep after a person's resolution posted: %+v", after[before:])
	}
	if pending, _ := store.Pending(ctx); len(pending) != 0 {
		t.Errorf("the resolved failure opened again: %+v", pending)
	}

	// Slash forms: a resolved incident cannot be taken, an unknown one is said so, a bad severity shows the usage.
	slash := func(user, text, rid string) string {
		fake.SendSlashCommand(slacktest.SlashCommand{Text: text, UserID: user, ChannelID: "C0FINANCE", ResponseURL: fake.ResponseURL(rid)})
		return reply(rid).AllText()
	}
	for _, tc := range []struct{ text, want string }{
		{"take " + strconv.FormatInt(id, 10), "already resolved as false positive"},
		{"take 999", "There is no incident #999"},
		{"severity " + strconv.FormatInt(id, 10) + " urgent", "Which severity?"},
		{"resolve " + strconv.FormatInt(id, 10) + " maybe", "How did it end?"},
	} {
		if got := slash("U0ANA", tc.text, "slash-"+tc.text); !strings.Contains(got, tc.want) {
			t.Errorf("/todai %s = %q, want %q", tc.text, got, tc.want)
		}
	}

	// The redelivered severity envelope was recognised and skipped, not applied again.
	if !strings.Contains(one.logs.String(), "duplicate delivery skipped") || !strings.Contains(one.logs.String(), severity) {
		t.Errorf("the redelivered envelope %s was not skipped as a duplicate:\n%s", severity, one.logs.String())
	}
	// One line per change in the thread: taken, severity, resolved.
	if lines := threadLines(notice.TS); len(lines) != 3 {
		t.Errorf("thread lines: %q, want one per change (3)", lines)
	}
}

// TestDismissalsChangeTheNextNotice: the same test fails on four days and each of its first three incidents is
// resolved as a false positive; the fourth notice says so, with Elementary's settings to quiet it, and its computed
// severity is one step lower than the third's.
func TestDismissalsChangeTheNextNotice(t *testing.T) {
	one := oneFailingTest(t)
	fake := slacktest.New(t)
	seedWorkspace(fake)
	fake.AddUserGroup(slacktest.UserGroup{ID: "S0FIN", Handle: "finance-data", Name: "Finance data", Users: []string{"U0ANA"}})
	a := configuredApp(t, fake, one.wh.path, t.TempDir(), workflowConfig, one.clock.Now, one.logs, -4)
	st := startStack(t, a, fake, 1)
	defer func() { st.close(t) }()
	store := escalation.NewStore(st.db)
	var notices []slacktest.Post
	for day := range 4 {
		at := one.t0.Add(time.Duration(day) * 24 * time.Hour)
		if day > 0 {
			f := demo.NewFixture("shop")
			inv := fmt.Sprintf("00000000-0000-4000-8000-%012d", 300+day)
			f.Invocation("test", at.Add(-5*time.Minute), demo.Values{"invocation_id": inv})
			f.TestResult(inv, one.notNull, one.orders, "fail", at.Add(-5*time.Minute), demo.Values{"column_name": "id"})
			one.wh.add(t, f)
		}
		st.sweep(t, a, one.clock, at, true)
		posts := channelPosts(fake, "C0FINANCE")
		notices = append(notices, posts[len(posts)-1])
		if day == 3 {
			break
		}
		pending, err := store.Pending(one.ctx)
		if err != nil || len(pending) != 1 {
			t.Fatalf("day %d: pending %+v, %v", day, pending, err)
		}
		rid := fmt.Sprintf("resolve-%d", day)
		fake.SendSlashCommand(slacktest.SlashCommand{Text: fmt.Sprintf("resolve %d false positive", pending[0].ID),
			UserID: "U0ANA", ChannelID: "C0FINANCE", ResponseURL: fake.ResponseURL(rid)})
		w, cancel := context.WithTimeout(one.ctx, 20*time.Second)
		p, err := fake.WaitPost(w, func(p slacktest.Post) bool { return p.ResponseID == rid })
		cancel()
		if err != nil || !strings.Contains(p.AllText(), "as *false positive*") {
			t.Fatalf("day %d: /todai resolve: %v %s", day, err, p.AllText())
		}
	}
	third, fourth := notices[2].AllText(), notices[3].AllText()
	if strings.Contains(third, "false positive") || !strings.Contains(third, "Severity: normal (computed") {
		t.Errorf("the third notice (two dismissals before it):\n%s", third)
	}
	for _, want := range []string{"Severity: low (computed", "resolved as false positive 3 times since", "anomaly_sensitivity", "severity: warn"} {
		if !strings.Contains(fourth, want) {
			t.Errorf("the fourth notice lacks %q:\n%s", want, fourth)
		}
	}
}
