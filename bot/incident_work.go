package bot

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/todai-dev/todai/bot/slackui"
	"github.com/todai-dev/todai/handlers"
	"github.com/todai-dev/todai/scheduler/escalation"
)

// workRequest is one change a person asks of an incident, by a button, a menu, the Resolve… modal or a command.
type workRequest struct {
	id    int64
	actor string
	// event is taken, assigned, severity or resolved; the field it needs is set.
	event      string
	assignee   string
	priority   escalation.Priority
	resolution escalation.Resolution
	note       string
}

// workOutcome is what a change did: the reply to its author (empty when the change shows in place), and whether it
// changed anything.
type workOutcome struct {
	reply   slackui.Message
	changed bool
}

// work applies r when its actor may work the incident — the team's members and admins (MayWork) — and then
// rewrites the incident's message in place and says the change in one line of its thread. Everything it refuses
// (an unknown incident, a resolved one, someone not of the team, a bad severity or note) is said in the reply and
// changes nothing. l is the language of the reply when the incident has no team language.
func (b *Bot) work(ctx context.Context, r workRequest, l handlers.Lang) workOutcome {
	desk := b.incidents
	if desk == nil {
		return workOutcome{reply: slackui.Text(handlers.Tr(l, "Escalation is not enabled on this Todai.", "この Todai ではエスカレーションが有効になっていません。"))}
	}
	inc, err := b.incidents.Get(ctx, r.id)
	if err != nil {
		if !errors.Is(err, escalation.ErrNotFound) {
			b.log.Error("bot: read an incident", "incident", r.id, "err", err)
		}
		return workOutcome{reply: slackui.Text(handlers.Tr(l, fmt.Sprintf("There is no incident #%d.", r.id),
			fmt.Sprintf("インシデント #%d は見つかりません。", r.id)))}
	}
	team, _ := b.teams.Named(inc.Team)
	if team.Lang != "" {
		l = team.Lang
	}
	if inc.Status == escalation.StatusResolved {
		return workOutcome{reply: alreadyResolved(inc, l)}
	}
	if r.event == "assigned" && !slackui.ValidUserID(r.assignee) {
		return workOutcome{reply: slackui.Text(handlers.Tr(l, "Choose a person to assign it to.", "割り当てる人を選んでください。"))}
	}
	shown := b.shownIncident(ctx, inc)
	allowed, err := b.MayWork(ctx, r.actor, team, membersChannel(team, shown))
	if err != nil {
		b.log.Warn("bot: permission check", "user", r.actor, "team", inc.Team, "err", err)
	}
	if !allowed {
		return workOutcome{reply: slackui.NotYours(cmp.Or(team.Name, inc.Team), b.whomToAsk(ctx, team, inc), l)}
	}
	now := b.now()
	changed := false
	switch r.event {
	case "taken":
		changed, err = desk.Take(ctx, r.id, r.actor, now)
	case "assigned":
		changed, err = desk.Assign(ctx, r.id, r.assignee, r.actor, now)
	case "severity":
		changed, err = desk.SetPriority(ctx, r.id, r.priority, r.actor, now)
	case "resolved":
		err = desk.ResolveAs(ctx, r.id, r.resolution, r.note, r.actor, now)
		changed = err == nil
	default:
		return workOutcome{}
	}
	switch {
	case errors.Is(err, errNotOurs):
		b.log.Info("bot: another process took this click over; not applied here", "incident", r.id)
		return workOutcome{}
	case errors.Is(err, escalation.ErrResolved):
		if now, gerr := b.incidents.Get(ctx, r.id); gerr == nil {
			inc = now
		}
		return workOutcome{reply: alreadyResolved(inc, l)}
	case errors.Is(err, escalation.ErrInvalid):
		return workOutcome{reply: slackui.Text(handlers.Tr(l, "That change cannot be made: "+slackui.Escape(err.Error())+".",
			"その変更はできません: "+slackui.Escape(err.Error())+"。"))}
	case err != nil:
		b.log.Error("bot: work an incident", "incident", r.id, "event", r.event, "err", err)
		return workOutcome{reply: slackui.Text(handlers.Tr(l, "Could not change the incident; the error has been logged.",
			"インシデントを変更できませんでした。エラーはログに記録されています。"))}
	case !changed:
		return workOutcome{}
	}
	change, err := b.AnnounceChange(ctx, inc, r.event, r.actor, now)
	if err != nil {
		b.log.Warn("bot: say an incident's change", "incident", r.id, "err", err)
	}
	if change.Incident.ID == 0 { // the changed incident could not be read back: say what was asked
		change = slackui.Change{Incident: inc, Event: r.event, Actor: r.actor, At: now, Was: inc.Priority}
	}
	return workOutcome{reply: slackui.Text(slackui.ChangeText(change, l)), changed: true}
}

// AnnounceChange shows a change someone made to an incident (before is the incident as it was): its message is
// rewritten in place and one line of its thread says who did what, when. The change is described as the store now
// has it.
func (b *Bot) AnnounceChange(ctx context.Context, before escalation.Incident, event, actor string, at time.Time) (slackui.Change, error) {
	after, err := b.incidents.Get(ctx, before.ID)
	if err != nil {
		return slackui.Change{}, fmt.Errorf("announce a change of incident %d: %w", before.ID, err)
	}
	change := slackui.Change{Incident: after, Event: event, Actor: actor, At: at, Was: before.Priority}
	shown := b.shownIncident(ctx, after)
	b.refreshIncidentMessage(ctx, shown, "", "")
	if shown.Message.Channel == "" || shown.Message.TS == "" {
		return change, nil // never posted: nothing to say it in
	}
	line := slackui.ChangeText(change, b.incidentLang(after))
	if _, _, err := b.post.PostMessage(ctx, shown.Message.Channel, slack.MsgOptionText(line, false),
		slack.MsgOptionTS(incidentThread(shown))); err != nil {
		return change, fmt.Errorf("announce a change of incident %d: %w", before.ID, err)
	}
	return change, nil
}

// alreadyResolved says an incident is resolved, how and by whom.
func alreadyResolved(inc escalation.Incident, l handlers.Lang) slackui.Message {
	how := ""
	if inc.Resolution != "" {
		how = handlers.Tr(l, " as "+slackui.ResolutionWord(l, inc.Resolution), "（"+slackui.ResolutionWord(l, inc.Resolution)+"）")
	}
	return slackui.Text(handlers.Tr(l, fmt.Sprintf("Incident #%d is already resolved%s: nothing changed.", inc.ID, how),
		fmt.Sprintf("インシデント #%d はすでに解決済みです%s。変更はありません。", inc.ID, how)))
}

// shownIncident is the incident whose message shows inc: its root's when it is grouped under one.
func (b *Bot) shownIncident(ctx context.Context, inc escalation.Incident) escalation.Incident {
	if inc.ParentID != 0 {
		if root, err := b.incidents.Get(ctx, inc.ParentID); err == nil {
			return root
		}
	}
	return inc
}

// membersChannel is the channel whose members work a team's incidents when it names neither members nor a user
// group: its channel, or — configured by name, which cannot be asked for members — the channel Todai posted the
// incident in (an ID).
func membersChannel(team TeamInfo, shown escalation.Incident) string {
	if strings.HasPrefix(team.Channel, "#") && shown.Message.Channel != "" {
		return shown.Message.Channel
	}
	return team.Channel
}

// whomToAsk mentions who may work a team's incident: its user group, else the incident's owners.
func (b *Bot) whomToAsk(ctx context.Context, team TeamInfo, inc escalation.Incident) string {
	if validGroupID(team.UserGroup) {
		return "<!subteam^" + team.UserGroup + ">"
	}
	return b.ownersText(ctx, inc.Owners, true)
}

// refreshIncidentMessage rewrites the message that shows an incident (shown: the root of a grouped one) with its
// incidents' current states; channel and ts are where a click came from, used when the store has no message.
func (b *Bot) refreshIncidentMessage(ctx context.Context, shown escalation.Incident, channel, ts string) {
	// The incident's own message: a top-level grouped message, or the reply under Elementary's alert when its first
	// notice went there (a click in that thread carries the alert's ts as container.thread_ts; the reply is still
	// inc.TS, and it is the one to rewrite).
	ch, msgTS := cmp.Or(shown.Message.Channel, channel), cmp.Or(shown.Message.TS, ts)
	if ch == "" || msgTS == "" {
		return
	}
	incs, err := b.incidents.ByMessage(ctx, ch, msgTS)
	if err != nil {
		b.log.Warn("bot: incidents of a message", "channel", ch, "ts", msgTS, "err", err)
		return
	}
	if err := b.UpdateIncidentMessage(ctx, ch, msgTS, incs); err != nil {
		b.log.Warn("bot: update incident message", "err", err)
	}
}

// workCommand reads `/todai take|assign|severity|resolve ID …` and works the incident for userID; the reply says
// what changed, or why nothing did.
func (b *Bot) workCommand(ctx context.Context, q handlers.Question, userID string) slackui.Message {
	l := q.Lang
	fields := strings.Fields(q.Args)
	usage := map[handlers.Intent][2]string{
		handlers.IntentTake:     {"`/todai take 42`", "`/todai take 42`"},
		handlers.IntentAssign:   {"`/todai assign 42 @ana`", "`/todai assign 42 @ana`"},
		handlers.IntentSeverity: {"`/todai severity 42 high` (critical, high, normal or low)", "`/todai severity 42 high`（critical・high・normal・low）"},
		handlers.IntentResolve: {"`/todai resolve 42 false positive the backfill re-ran` (fixed, expected, no action needed or false positive, then a note)",
			"`/todai resolve 42 expected 月末の再集計`（fixed・expected・no action needed・false positive のあとにメモ）"},
	}[q.Intent]
	try := func(problem string) slackui.Message {
		return slackui.Text(handlers.Tr(l, problem+" Try: "+usage[0], problem+" 例: "+usage[1]))
	}
	var id int64
	if len(fields) > 0 {
		id, _ = strconv.ParseInt(strings.TrimPrefix(fields[0], "#"), 10, 64)
	}
	if id <= 0 {
		return try(handlers.Tr(l, "Which incident?", "どのインシデントですか?"))
	}
	rest := fields[1:]
	r := workRequest{id: id, actor: userID}
	switch q.Intent {
	case handlers.IntentTake:
		r.event = "taken"
	case handlers.IntentAssign:
		if len(rest) != 1 {
			return try(handlers.Tr(l, "To whom?", "誰に割り当てますか?"))
		}
		assignee, ok := b.userOf(ctx, rest[0])
		if !ok {
			return try(handlers.Tr(l, "I do not know the Slack user "+slackui.Escape(rest[0])+".",
				"Slack のユーザー "+slackui.Escape(rest[0])+" が見つかりません。"))
		}
		r.event, r.assignee = "assigned", assignee
	case handlers.IntentSeverity:
		p, ok := escalation.Priority(""), false
		if len(rest) == 1 {
			p, ok = escalation.ParsePriority(rest[0])
		}
		if !ok {
			return try(handlers.Tr(l, "Which severity?", "重大度はどれですか?"))
		}
		r.event, r.priority = "severity", p
	case handlers.IntentResolve:
		res, n := leadingResolution(rest)
		if n == 0 {
			return try(handlers.Tr(l, "How did it end?", "どのように解決しましたか?"))
		}
		r.event, r.resolution, r.note = "resolved", res, strings.Join(rest[n:], " ")
	}
	out := b.work(ctx, r, l)
	if len(out.reply.Blocks) == 0 {
		return slackui.Text(handlers.Tr(l, fmt.Sprintf("Incident #%d already is as you asked: nothing changed.", id),
			fmt.Sprintf("インシデント #%d はすでにそのとおりです。変更はありません。", id)))
	}
	return out.reply
}

// leadingResolution reads a resolution from the first one, two or three words ("false positive", "no action
// needed", "false_positive") and says how many words it took; 0 when they name none.
func leadingResolution(words []string) (escalation.Resolution, int) {
	for n := min(3, len(words)); n > 0; n-- {
		if r, ok := escalation.ParseResolution(strings.Join(words[:n], " ")); ok {
			return r, n
		}
	}
	return "", 0
}

// userOf reads a Slack user as a command names them: an ID (U…, W…, or <@U…> as Slack escapes it), else a handle
// or name the user directory knows ("@ana").
func (b *Bot) userOf(ctx context.Context, s string) (string, bool) {
	id := strings.TrimSuffix(strings.TrimPrefix(s, "<@"), ">")
	id, _, _ = strings.Cut(id, "|")
	if slackui.ValidUserID(id) {
		return id, true
	}
	if b.mentions == nil {
		return "", false
	}
	handle := "@" + strings.TrimPrefix(s, "@")
	m := b.mentions.Mentions(ctx, []string{handle})[handle]
	if id := strings.TrimSuffix(strings.TrimPrefix(m, "<@"), ">"); strings.HasPrefix(m, "<@") && slackui.ValidUserID(id) {
		return id, true
	}
	return "", false
}

// viewSubmissionAck is the ack of a modal's submission, decided while Slack waits: the Resolve… modal's errors
// (no reason chosen, a note over the limit, a form that names no incident) keep it open and say what is wrong;
// nil closes it.
func (b *Bot) viewSubmissionAck(cb slack.InteractionCallback) any {
	if cb.View.CallbackID != slackui.CallbackResolve {
		return nil
	}
	_, l, reason, note, ok := slackui.ResolveSubmission(cb.View)
	if !ok {
		return slack.NewErrorsViewSubmissionResponse(map[string]string{slackui.BlockResolution: handlers.Tr(l,
			"This form does not name one of Todai's incidents.", "このフォームは Todai のインシデントを指していません。")})
	}
	if errs := slackui.ResolveErrors(reason, note, l); len(errs) > 0 {
		return slack.NewErrorsViewSubmissionResponse(errs)
	}
	return nil
}

// viewSubmissionJob resolves the incident of a Resolve… modal that was accepted (viewSubmissionAck), as its author
// chose; a refusal (not of the team, already resolved) is said to them in the incident's channel, ephemeral.
func (b *Bot) viewSubmissionJob(cb slack.InteractionCallback) job {
	if cb.View.CallbackID != slackui.CallbackResolve {
		return job{}
	}
	id, l, reason, note, ok := slackui.ResolveSubmission(cb.View)
	resolution, valid := escalation.ParseResolution(reason)
	if !ok || !valid || len(slackui.ResolveErrors(reason, note, l)) > 0 {
		return job{} // the ack kept the modal open
	}
	return job{kind: "view:" + slackui.CallbackResolve,
		run: func(ctx context.Context) {
			out := b.work(ctx, workRequest{id: id, actor: cb.User.ID, event: "resolved", resolution: resolution, note: note}, l)
			if out.changed || len(out.reply.Blocks) == 0 {
				return
			}
			inc, err := b.incidents.Get(ctx, id)
			if err != nil || b.shownIncident(ctx, inc).Message.Channel == "" {
				b.log.Warn("bot: a refused resolution has nowhere to be said", "incident", id, "user", cb.User.ID)
				return
			}
			if _, err := b.post.PostEphemeral(ctx, b.shownIncident(ctx, inc).Message.Channel, cb.User.ID,
				slack.MsgOptionText(out.reply.Text, false), slack.MsgOptionBlocks(out.reply.Blocks...)); err != nil {
				b.log.Warn("slack: say a refused resolution", "incident", id, "err", err)
			}
		}}
}
