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

// isIncidentAction reports whether an action is one of the incident buttons.
func isIncidentAction(actionID string) bool {
	return strings.HasPrefix(actionID, slackui.ActionIncidentPrefix)
}

// incidentActionJob answers an incident button: Acknowledge, Snooze and Split change the incident (members of the
// team's channel and admins only; others get an ephemeral refusal) and rewrite its message (a grouped incident's:
// its root's); Show history answers with the timeline, ephemeral.
func (b *Bot) incidentActionJob(cb slack.InteractionCallback, act *slack.BlockAction) job {
	channel := cmp.Or(cb.Container.ChannelID, cb.Channel.ID)
	msgTS := cmp.Or(cb.Container.MessageTs, cb.Message.Timestamp)
	ephemeral := func(ctx context.Context, msg slackui.Message) {
		rm := ResponseMessage{ResponseType: slack.ResponseTypeEphemeral, Text: msg.Text, Blocks: msg.Blocks}
		if err := b.post.PostResponse(ctx, cb.ResponseURL, rm); err != nil {
			b.log.Error("slack: incident action response", "action", act.ActionID, "channel", channel, "err", err)
		}
	}
	return job{kind: "action:" + act.ActionID,
		run: func(ctx context.Context) {
			if b.incidents == nil {
				return
			}
			id, arg, ok := incidentActionTarget(act)
			if !ok {
				b.log.Warn("bot: bad incident button value", "action", act.ActionID, "user", cb.User.ID)
				l := b.lang(ctx, handlers.Question{Command: true}, cb.User.ID, channel)
				ephemeral(ctx, slackui.Text(handlers.Tr(l, "That button does not name one of Todai's incidents: nothing changed.",
					"このボタンは Todai のインシデントを指していません。変更はありません。")))
				return
			}
			inc, err := b.incidents.Get(ctx, id)
			if err != nil {
				b.log.Warn("bot: incident of a button", "incident", id, "err", err)
				ephemeral(ctx, slackui.Text("That incident no longer exists. / このインシデントは存在しません。"))
				return
			}
			team, _ := b.teams.Named(inc.Team)
			l := team.Lang
			if l == "" {
				l = b.lang(ctx, handlers.Question{Command: true}, cb.User.ID, channel)
			}
			if r, ok := workOf(act, id, arg, cb.User.ID); ok {
				if out := b.work(ctx, r, l); len(out.reply.Blocks) > 0 && !out.changed {
					ephemeral(ctx, out.reply)
				}
				return
			}
			switch act.ActionID {
			case slackui.ActionIncidentHistory:
				ephemeral(ctx, b.timelineMessage(ctx, id, l))
				return
			case slackui.ActionIncidentResolve:
				b.openResolveModal(ctx, cb, inc, team, l, ephemeral)
				return
			}
			// A grouped incident's buttons are on its root's message.
			shown := b.shownIncident(ctx, inc)
			teamChannel := team.Channel
			if strings.HasPrefix(teamChannel, "#") && channel != "" && shown.Message.TS != "" && onIncidentMessage(cb, msgTS, shown) {
				// A team channel configured by name cannot be asked for its members; the button is on the incident's
				// own message (or its thread), which Todai posted in that channel, so the click's channel is its ID.
				teamChannel = channel
			}
			allowed, err := b.CanChange(ctx, cb.User.ID, teamChannel)
			if err != nil {
				b.log.Warn("bot: permission check", "user", cb.User.ID, "channel", teamChannel, "err", err)
			}
			if !allowed {
				ephemeral(ctx, slackui.NotAllowed(l))
				return
			}
			now := b.now()
			switch {
			case act.ActionID == slackui.ActionIncidentAck:
				err = b.incidents.Ack(ctx, id, cb.User.ID, now)
			case strings.HasPrefix(act.ActionID, slackui.ActionIncidentSnooze):
				d, perr := time.ParseDuration(arg)
				if perr != nil || d <= 0 || d > 7*24*time.Hour {
					b.log.Warn("bot: bad snooze", "value", act.Value)
					return
				}
				_, err = b.incidents.Snooze(ctx, id, d, cb.User.ID, now)
			case strings.HasPrefix(act.ActionID, slackui.ActionIncidentSplit):
				if err = b.incidents.Split(ctx, id, cb.User.ID, now); err == nil {
					ephemeral(ctx, slackui.Text(handlers.Tr(l, fmt.Sprintf("Split out: *%s* gets notices of its own from the next check.",
						slackui.Escape(slackui.IncidentTitle(inc, l))),
						fmt.Sprintf("分離しました: *%s* は次回の確認から個別に通知されます。", slackui.Escape(slackui.IncidentTitle(inc, l))))))
				}
			default:
				return
			}
			if errors.Is(err, errNotOurs) {
				// This process was presumed dead and another answers the click: it is not applied here.
				b.log.Info("bot: another process took this click over; not applied here", "action", act.ActionID, "incident", id)
				return
			}
			if err != nil {
				b.log.Warn("bot: incident action", "action", act.ActionID, "incident", id, "err", err)
				ephemeral(ctx, slackui.Text(handlers.Tr(l, "That did not work: the incident may have resolved already.",
					"操作できませんでした。インシデントはすでに解決している可能性があります。")))
				return
			}
			b.refreshIncidentMessage(ctx, shown, channel, msgTS)
		},
		busy: func(ctx context.Context) { ephemeral(ctx, slackui.Message{Text: busyText(handlers.LangEN)}) },
	}
}

// incidentActionTarget reads which incident an element acts on, and its argument: a button's value "ID" or
// "ID:arg" (a snooze's duration), Assign…'s action ID "todai_inc_assign_ID" (its argument the chosen user), a
// Severity option's value "ID:priority". ok is false for anything else (a forged or garbled value).
func incidentActionTarget(act *slack.BlockAction) (id int64, arg string, ok bool) {
	idText := act.Value
	switch {
	case strings.HasPrefix(act.ActionID, slackui.ActionIncidentAssign+"_"):
		idText, arg = strings.TrimPrefix(act.ActionID, slackui.ActionIncidentAssign+"_"), act.SelectedUser
	case strings.HasPrefix(act.ActionID, slackui.ActionIncidentSeverity+"_"):
		idText, arg, _ = strings.Cut(act.SelectedOption.Value, ":")
	default:
		idText, arg, _ = strings.Cut(idText, ":")
	}
	id, err := strconv.ParseInt(idText, 10, 64)
	return id, arg, err == nil && id > 0
}

// workOf is the workflow change an element asks for: Take it, Assign…, Severity; ok is false for the other
// elements.
func workOf(act *slack.BlockAction, id int64, arg, actor string) (workRequest, bool) {
	r := workRequest{id: id, actor: actor}
	switch {
	case act.ActionID == slackui.ActionIncidentTake:
		r.event = "taken"
	case strings.HasPrefix(act.ActionID, slackui.ActionIncidentAssign+"_"):
		r.event, r.assignee = "assigned", arg
	case strings.HasPrefix(act.ActionID, slackui.ActionIncidentSeverity+"_"):
		r.event, r.priority = "severity", escalation.Priority(arg)
	default:
		return workRequest{}, false
	}
	return r, true
}

// openResolveModal opens the Resolve… modal of an incident for a click's author, when they may work it (else
// refuses, as for every change).
func (b *Bot) openResolveModal(ctx context.Context, cb slack.InteractionCallback, inc escalation.Incident, team TeamInfo,
	l handlers.Lang, ephemeral func(context.Context, slackui.Message)) {
	if inc.Status == escalation.StatusResolved {
		ephemeral(ctx, alreadyResolved(inc, l))
		return
	}
	allowed, err := b.MayWork(ctx, cb.User.ID, team, membersChannel(team, b.shownIncident(ctx, inc)))
	if err != nil {
		b.log.Warn("bot: permission check", "user", cb.User.ID, "team", inc.Team, "err", err)
	}
	if !allowed {
		ephemeral(ctx, slackui.NotYours(cmp.Or(team.Name, inc.Team), b.whomToAsk(ctx, team, inc), l))
		return
	}
	if _, err := b.api.OpenViewContext(ctx, cb.TriggerID, slackui.ResolveModal(inc, l)); err != nil {
		b.log.Warn("slack: open the resolve modal", "incident", inc.ID, "err", err)
		ephemeral(ctx, slackui.Text(handlers.Tr(l, fmt.Sprintf("Slack did not open the form; try again, or `/todai resolve %d fixed`.", inc.ID),
			fmt.Sprintf("フォームを開けませんでした。もう一度押すか、`/todai resolve %d fixed` を使ってください。", inc.ID))))
	}
}

// onIncidentMessage reports whether a click came from the incident's own message or from its thread (TS's, or
// ThreadTS's when its first notice replied under Elementary's alert).
func onIncidentMessage(cb slack.InteractionCallback, msgTS string, inc escalation.Incident) bool {
	thread := cmp.Or(cb.Container.ThreadTs, cb.Message.ThreadTimestamp)
	return msgTS == inc.Message.TS || (thread != "" && (thread == inc.Message.TS || thread == inc.Message.ThreadTS))
}
