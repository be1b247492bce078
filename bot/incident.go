package bot

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/todai-dev/todai/bot/slackui"
	"github.com/todai-dev/todai/handlers"
	"github.com/todai-dev/todai/queries/quantity"
	"github.com/todai-dev/todai/scheduler/escalation"
)

// maxIncidentsPerMessage bounds the incidents of one grouped message (two blocks each, within Slack's 50).
const maxIncidentsPerMessage = 20

// IncidentDesk is the escalation state the incident buttons and commands act on: *escalation.Store in production.
type IncidentDesk interface {
	Get(ctx context.Context, id int64) (escalation.Incident, error)
	// ByMessage returns the incidents posted in one message, by id.
	ByMessage(ctx context.Context, channel, ts string) ([]escalation.Incident, error)
	// ByParent returns the incidents grouped under one (its blast radius), by id.
	ByParent(ctx context.Context, id int64) ([]escalation.Incident, error)
	// Split takes an incident out of its root cause's incident.
	Split(ctx context.Context, id int64, actor string, now time.Time) error
	Ack(ctx context.Context, id int64, actor string, now time.Time) error
	Snooze(ctx context.Context, id int64, d time.Duration, actor string, now time.Time) (escalation.Silence, error)
	Timeline(ctx context.Context, id int64) ([]escalation.Event, error)
	Silence(ctx context.Context, s escalation.Silence, now time.Time) (escalation.Silence, error)
	ActiveSilences(ctx context.Context, now time.Time) ([]escalation.Silence, error)
	// Take, Assign, SetPriority and ResolveAs work an incident (the workflow's buttons, menus, modal and commands).
	Take(ctx context.Context, id int64, actor string, now time.Time) (bool, error)
	Assign(ctx context.Context, id int64, assignee, actor string, now time.Time) (bool, error)
	SetPriority(ctx context.Context, id int64, p escalation.Priority, actor string, now time.Time) (bool, error)
	ResolveAs(ctx context.Context, id int64, r escalation.Resolution, note, actor string, now time.Time) error
}

// command answers the scheduled features' commands (digest, mute, silences, incident); ok is false for the other
// intents.
func (b *Bot) command(ctx context.Context, q handlers.Question, userID, channelID string) (slackui.Message, bool) {
	l := q.Lang
	switch q.Intent {
	case handlers.IntentDigest:
		return b.digestCommand(ctx, q, channelID), true
	case handlers.IntentTake, handlers.IntentAssign, handlers.IntentSeverity, handlers.IntentResolve:
		return b.workCommand(ctx, q, userID), true
	case handlers.IntentMute, handlers.IntentSilences, handlers.IntentIncident:
	default:
		return slackui.Message{}, false
	}
	if b.incidents == nil {
		return slackui.Text(handlers.Tr(l, "Escalation is not enabled on this Todai.", "この Todai ではエスカレーションが有効になっていません。")), true
	}
	now := b.now()
	switch q.Intent {
	case handlers.IntentSilences:
		sils, err := b.incidents.ActiveSilences(ctx, now)
		if err != nil {
			b.log.Error("bot: list silences", "err", err)
			return slackui.Text(handlers.Tr(l, "Could not read the silences; the error has been logged.", "ミュートを読み込めませんでした。エラーはログに記録されています。")), true
		}
		return slackui.Silences(sils, l, now), true
	case handlers.IntentIncident:
		id, err := strconv.ParseInt(strings.TrimPrefix(strings.Fields(q.Args + " x")[0], "#"), 10, 64)
		if err != nil || id <= 0 {
			return slackui.Text(handlers.Tr(l, "Which incident? Try: `/todai incident 42`", "どのインシデントですか? 例: `/todai incident 42`")), true
		}
		return b.timelineMessage(ctx, id, l), true
	}
	sil, err := ParseMute(q.Args, now)
	if err != nil {
		return slackui.Text(handlers.Tr(l, "I could not read that mute: "+err.Error()+". Try: `/todai mute node:fct_orders tag:finance for 2h deploy in progress`",
			"ミュートを読み取れませんでした: "+err.Error()+"。例: `/todai mute node:fct_orders for 2h デプロイ中`")), true
	}
	teamChannel := ""
	for _, m := range sil.Matchers {
		if m.Field == "team" && !m.Glob {
			if t, ok := b.teams.Named(m.Value); ok {
				teamChannel = t.Channel
			}
		}
	}
	if teamChannel == "" {
		if t, ok := b.teams.OfChannel(channelID); ok {
			teamChannel = t.Channel
		}
	}
	if allowed, err := b.CanChange(ctx, userID, teamChannel); err != nil || !allowed {
		if err != nil {
			b.log.Warn("bot: permission check", "user", userID, "channel", teamChannel, "err", err)
		}
		return slackui.NotAllowed(l), true
	}
	sil.CreatedBy = userID
	sil, err = b.incidents.Silence(ctx, sil, now)
	if err != nil {
		b.log.Error("bot: create silence", "user", userID, "err", err)
		return slackui.Text(handlers.Tr(l, "Could not create the silence; the error has been logged.", "ミュートを作成できませんでした。エラーはログに記録されています。")), true
	}
	return slackui.Text(handlers.Tr(l, fmt.Sprintf("🔕 Silence %d: %s until %s.", sil.ID, slackui.MatchersText(sil.Matchers), slackui.Date(sil.EndsAt)),
		fmt.Sprintf("🔕 ミュート %d: %s を %s まで。", sil.ID, slackui.MatchersText(sil.Matchers), slackui.Date(sil.EndsAt)))), true
}

// ParseMute reads the arguments of `/todai mute`: matchers (field:value with field node, test, tag, owner, team or
// key; a bare word is a node), "for" and a duration (90m, 2h, 1d), then an optional comment. Values with * or ? are
// globs; a node or test without a dot matches any unique_id ending in it.
func ParseMute(args string, now time.Time) (escalation.Silence, error) {
	s := escalation.Silence{StartsAt: now}
	toks := strings.Fields(args)
	i := 0
	var dur time.Duration
	for ; i < len(toks); i++ {
		tok := toks[i]
		if strings.EqualFold(tok, "for") || tok == "を" {
			continue
		}
		if d, ok := parseMuteDuration(tok); ok {
			dur = d
			i++
			break
		}
		field, value, ok := strings.Cut(tok, ":")
		if !ok {
			field, value = "node", tok
		}
		field = strings.ToLower(field)
		switch field {
		case "node", "test", "tag", "owner", "team", "key", "model", "source":
		default:
			return s, fmt.Errorf("unknown field %q", field)
		}
		if field == "model" || field == "source" {
			field = "node"
		}
		if value == "" || len(value) > 256 {
			return s, fmt.Errorf("bad value for %s", field)
		}
		m := escalation.Matcher{Field: field, Value: value, Glob: strings.ContainsAny(value, "*?[")}
		if (field == "node" || field == "test") && !m.Glob && !strings.Contains(value, ".") {
			m.Value, m.Glob = "*."+value, true
		}
		s.Matchers = append(s.Matchers, m)
	}
	if len(s.Matchers) == 0 {
		return s, errors.New("no matcher")
	}
	if dur <= 0 {
		return s, errors.New("no duration")
	}
	s.EndsAt = now.Add(dur)
	s.Comment = strings.Join(toks[i:], " ")
	if len(s.Comment) > 500 {
		s.Comment = s.Comment[:500]
	}
	return s, nil
}

// parseMuteDuration reads a mute's length as a question's (handlers.ParseDuration: 90m, 2h, 1h30m, 1d, 2w, 2時間,
// 30分, 1日) and keeps it between a moment and a year.
func parseMuteDuration(tok string) (time.Duration, bool) {
	d, ok := quantity.ParseDuration(tok)
	if !ok || d <= 0 || d > 366*24*time.Hour {
		return 0, false
	}
	return d, true
}

// timelineMessage renders an incident's timeline.
func (b *Bot) timelineMessage(ctx context.Context, id int64, l handlers.Lang) slackui.Message {
	inc, err := b.incidents.Get(ctx, id)
	if err != nil {
		return slackui.Text(handlers.Tr(l, fmt.Sprintf("I could not find incident %d.", id), fmt.Sprintf("インシデント %d が見つかりませんでした。", id)))
	}
	evs, err := b.incidents.Timeline(ctx, id)
	if err != nil {
		b.log.Error("bot: incident timeline", "incident", id, "err", err)
		return slackui.Text(handlers.Tr(l, "Could not read the timeline; the error has been logged.", "履歴を読み込めませんでした。エラーはログに記録されています。"))
	}
	return slackui.Timeline(inc, evs, l)
}

// incidentLang is the language of an incident's messages: its team's, else the bot's default.
func (b *Bot) incidentLang(inc escalation.Incident) handlers.Lang {
	t, _ := b.teams.Named(inc.Team)
	return b.teamLang(t)
}

// teamLang is the language of a team's messages: its own, else the bot's default.
func (b *Bot) teamLang(t TeamInfo) handlers.Lang {
	return cmp.Or(t.Lang, b.cfg.DefaultLang)
}
