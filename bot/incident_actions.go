package bot

import (
	"cmp"
	"context"
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
			idText, durText, _ := strings.Cut(act.Value, ":")
			id, err := strconv.ParseInt(idText, 10, 64)
			if err != nil || id <= 0 {
				b.log.Warn("bot: bad incident button value", "action", act.ActionID, "user", cb.User.ID)
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
			if act.ActionID == slackui.ActionIncidentHistory {
				ephemeral(ctx, b.timelineMessage(ctx, id, l))
				return
			}
			// A grouped incident's buttons are on its root's message.
			shown := inc
			if inc.ParentID != 0 {
				if root, err := b.incidents.Get(ctx, inc.ParentID); err == nil {
					shown = root
				}
			}
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
				d, perr := time.ParseDuration(durText)
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
			if err != nil {
				b.log.Warn("bot: incident action", "action", act.ActionID, "incident", id, "err", err)
				ephemeral(ctx, slackui.Text(handlers.Tr(l, "That did not work: the incident may have resolved already.",
					"操作できませんでした。インシデントはすでに解決している可能性があります。")))
				return
			}
			// The incident's own message: a top-level grouped message, or the reply under Elementary's alert when
			// its first notice went there (a click in that thread carries the alert's ts as container.thread_ts;
			// the reply is still inc.TS, and it is the one to rewrite).
			ch, ts := cmp.Or(shown.Message.Channel, channel), cmp.Or(shown.Message.TS, msgTS)
			if ch == "" || ts == "" {
				return
			}
			incs, err := b.incidents.ByMessage(ctx, ch, ts)
			if err != nil {
				b.log.Warn("bot: incidents of a message", "channel", ch, "ts", ts, "err", err)
				return
			}
			if err := b.UpdateIncidentMessage(ctx, ch, ts, incs); err != nil {
				b.log.Warn("bot: update incident message", "err", err)
			}
		},
		busy: func(ctx context.Context) { ephemeral(ctx, slackui.Message{Text: busyText(handlers.LangEN)}) },
	}
}

// onIncidentMessage reports whether a click came from the incident's own message or from its thread (TS's, or
// ThreadTS's when its first notice replied under Elementary's alert).
func onIncidentMessage(cb slack.InteractionCallback, msgTS string, inc escalation.Incident) bool {
	thread := cmp.Or(cb.Container.ThreadTs, cb.Message.ThreadTimestamp)
	return msgTS == inc.Message.TS || (thread != "" && (thread == inc.Message.TS || thread == inc.Message.ThreadTS))
}
