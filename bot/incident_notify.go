package bot

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/slack-go/slack"

	"github.com/todai-dev/todai/bot/slackui"
	"github.com/todai-dev/todai/handlers"
	"github.com/todai-dev/todai/queries"
	"github.com/todai-dev/todai/scheduler/escalation"
)

// IncidentNotice is one notice of an incident at a level of its team's policy, as escalation decided it.
type IncidentNotice struct {
	Incident escalation.Incident
	escalation.NotifyLevel
}

// updater is the part of *Poster that edits a message in place.
type updater interface {
	Update(ctx context.Context, channel, ts string, opts ...slack.MsgOption) error
}

// PostIncidents posts the first notices of new incidents of one team (one dbt invocation) as one message in
// channel, with Acknowledge, Snooze and Show history buttons for each; it returns the message's channel and ts.
// At most maxIncidentsPerMessage incidents fit: callers post the rest in another message.
func (b *Bot) PostIncidents(ctx context.Context, channel string, notices []IncidentNotice) (string, string, error) {
	return b.postIncidents(ctx, channel, "", notices)
}

// PostIncidentsInThread posts the first notices of new incidents as a reply in the thread of threadTS, edr
// monitor's alert for the same problem (found with FindAlertMessage), rather than as a second top-level alert: the
// same incident lines and buttons as PostIncidents under a header saying Todai tracks the alert above and will
// escalate it by the team's policy until someone acknowledges it. It returns the reply's channel ID and ts; the
// incidents' later notices go in the same thread (escalation.Incident.ThreadTS = threadTS).
func (b *Bot) PostIncidentsInThread(ctx context.Context, channel, threadTS string, notices []IncidentNotice) (channelID, ts string, err error) {
	if threadTS == "" {
		return "", "", errors.New("post incidents in thread: no thread")
	}
	return b.postIncidents(ctx, channel, threadTS, notices)
}

// postIncidents posts a grouped first notice, top level when threadTS is "", else as a reply under it.
func (b *Bot) postIncidents(ctx context.Context, channel, threadTS string, notices []IncidentNotice) (string, string, error) {
	if len(notices) == 0 {
		return "", "", errors.New("post incidents: none")
	}
	if channel == "" {
		return "", "", fmt.Errorf("post incidents of team %s: no channel", notices[0].Incident.Team)
	}
	if len(notices) > maxIncidentsPerMessage {
		notices = notices[:maxIncidentsPerMessage]
	}
	incs := make([]escalation.Incident, len(notices))
	for i, n := range notices {
		incs[i] = n.Incident
	}
	msg := b.incidentMessage(ctx, incs, notices, threadTS != "")
	channel = strings.TrimPrefix(channel, "#")
	opts := []slack.MsgOption{slack.MsgOptionText(msg.Text, false), slack.MsgOptionBlocks(msg.Blocks...)}
	if threadTS != "" {
		opts = append(opts, slack.MsgOptionTS(threadTS))
	}
	id, ts, err := b.post.PostMessage(ctx, channel, opts...)
	if err != nil {
		if threadTS != "" {
			return "", "", fmt.Errorf("post incidents of team %s under %s: %w", notices[0].Incident.Team, threadTS, err)
		}
		return "", "", fmt.Errorf("post incidents of team %s: %w", notices[0].Incident.Team, err)
	}
	return id, ts, nil // the channel's ID, which chat.update needs later
}

// PostEscalation posts a later notice (a higher level or a new loop) in the incident's thread (ThreadTS when its
// first notice replied under Elementary's alert, else the thread of TS), mentioning the level's targets.
func (b *Bot) PostEscalation(ctx context.Context, n IncidentNotice) error {
	inc := n.Incident
	if inc.Message.Channel == "" || inc.Message.TS == "" {
		return fmt.Errorf("escalate incident %d: no message to reply to", inc.ID)
	}
	l := b.incidentLang(inc)
	who := b.targetMentions(ctx, inc, n.Targets)
	text := trl(l, fmt.Sprintf("⏫ Level %d: *%s* is still failing and nobody has acknowledged it.", n.Level,
		slackui.Escape(incidentTitle(inc, l))),
		fmt.Sprintf("⏫ レベル %d: *%s* はまだ失敗しており、誰も確認していません。", n.Level, slackui.Escape(incidentTitle(inc, l))))
	if n.Loop > 0 {
		text += trl(l, fmt.Sprintf(" (round %d)", n.Loop+1), fmt.Sprintf("（%d 周目）", n.Loop+1))
	}
	if who != "" {
		text += " " + who
	}
	msg := textMsg(text)
	msg.Blocks = append(msg.Blocks, incidentButtons(inc, l))
	_, _, err := b.post.PostMessage(ctx, inc.Message.Channel, slack.MsgOptionText(msg.Text, false),
		slack.MsgOptionBlocks(msg.Blocks...), slack.MsgOptionTS(incidentThread(inc)))
	if err != nil {
		return fmt.Errorf("escalate incident %d: %w", inc.ID, err)
	}
	return nil
}

// UpdateIncidentMessage rewrites a grouped incident message in place (chat.update) with its incidents' current
// states. For incidents whose first notice replied under Elementary's alert (ThreadTS set), (channel, ts) is that
// reply, Todai's own message, and it keeps its threaded header.
func (b *Bot) UpdateIncidentMessage(ctx context.Context, channel, ts string, incs []escalation.Incident) error {
	up, ok := b.post.(updater)
	if !ok {
		return errors.New("update incident message: the poster cannot update messages")
	}
	if len(incs) == 0 {
		return nil
	}
	inThread := false
	for _, inc := range incs {
		inThread = inThread || inc.Message.ThreadTS != ""
	}
	msg := b.incidentMessage(ctx, incs, nil, inThread)
	if err := up.Update(ctx, channel, ts, slack.MsgOptionText(msg.Text, false), slack.MsgOptionBlocks(msg.Blocks...)); err != nil {
		return fmt.Errorf("update incident message %s/%s: %w", channel, ts, err)
	}
	return nil
}

// ReplyResolved says in the incident's thread (ThreadTS, else TS's) that it resolved.
func (b *Bot) ReplyResolved(ctx context.Context, inc escalation.Incident) error {
	if inc.Message.Channel == "" || inc.Message.TS == "" {
		return fmt.Errorf("resolve incident %d: no message to reply to", inc.ID)
	}
	l := b.incidentLang(inc)
	text := trl(l, fmt.Sprintf("✅ Resolved: *%s* passes again.", slackui.Escape(incidentTitle(inc, l))),
		fmt.Sprintf("✅ 解決: *%s* は正常に戻りました。", slackui.Escape(incidentTitle(inc, l))))
	if inc.Kind == escalation.KindModel {
		text = trl(l, fmt.Sprintf("✅ Resolved: *%s* ran successfully.", slackui.Escape(incidentTitle(inc, l))),
			fmt.Sprintf("✅ 解決: *%s* は正常に実行されました。", slackui.Escape(incidentTitle(inc, l))))
	}
	if _, _, err := b.post.PostMessage(ctx, inc.Message.Channel, slack.MsgOptionText(text, false), slack.MsgOptionTS(incidentThread(inc))); err != nil {
		return fmt.Errorf("resolve incident %d: %w", inc.ID, err)
	}
	return nil
}

// incidentMessage renders a grouped incident message; notices (parallel to incs, may be nil) add mentions and
// causes (what the read model's diagnosis names, with its confidence, else escalation's inhibiting cause). inThread
// renders the reply under Elementary's alert: a header saying Todai tracks the alert above, and
// no "Elementary already alerted" line (the parent is that alert).
func (b *Bot) incidentMessage(ctx context.Context, incs []escalation.Incident, notices []IncidentNotice, inThread bool) slackui.Message {
	l := b.incidentLang(incs[0])
	open := 0
	for _, inc := range incs {
		if inc.Status != escalation.StatusResolved {
			open++
		}
	}
	team := slackui.Escape(incs[0].Team)
	var head string
	switch {
	case open == 0:
		head = trl(l, fmt.Sprintf("✅ All %d problem(s) for team %s resolved", len(incs), team),
			fmt.Sprintf("✅ チーム %s の問題 %d 件はすべて解決しました", team, len(incs)))
	case inThread:
		head = trl(l, fmt.Sprintf("🔴 Todai is tracking the alert above for team %s (%d problem(s)) and will escalate it by the team's policy until someone acknowledges it", team, len(incs)),
			fmt.Sprintf("🔴 Todai は上のアラートをチーム %s の問題（%d 件）として追跡しています。誰かが確認するまで、チームのポリシーに従ってエスカレーションします", team, len(incs)))
	default:
		head = trl(l, fmt.Sprintf("🔴 %d problem(s) for team %s", len(incs), team),
			fmt.Sprintf("🔴 チーム %s で問題が %d 件", team, len(incs)))
	}
	blocks := []slack.Block{slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, "*"+head+"*", false, false), nil, nil)}
	texts := []string{head}
	for i, inc := range incs {
		var n IncidentNotice
		if i < len(notices) {
			n = notices[i]
		}
		line := fmt.Sprintf("*%s* — %s", slackui.Escape(incidentTitle(inc, l)), statusText(inc, l))
		if inc.Summary != "" {
			line += "\n" + slackui.Escape(handlers.Truncate(handlers.FirstLine(inc.Summary), 300))
		}
		owners := b.ownersText(ctx, inc.Owners, n.Mention && hasTarget(n.Targets, escalation.TargetOwners))
		if owners != "" {
			line += "\n" + trl(l, "Owners: ", "オーナー: ") + owners
		}
		if who := b.targetMentions(ctx, inc, withoutOwners(n.Targets)); n.Mention && who != "" {
			line += " " + who
		}
		if inc.Status != escalation.StatusResolved {
			if why := b.incidentCause(ctx, inc, l); why != "" {
				line += "\n" + why
			} else if cause := firstNonEmpty(n.causedBy(), inc.InhibitedBy); cause != "" {
				line += "\n" + trl(l, "Probably caused by ", "おそらく原因: ") + "`" + slackui.Escape(queries.NameOf(cause)) + "`"
			}
		}
		if alert := firstNonEmpty(n.LinkElementaryAlert, inc.ElementaryAlertID); alert != "" && inc.Status != escalation.StatusResolved && !inThread {
			line += "\n" + trl(l, "Elementary already alerted on this (alert ", "Elementary がすでに通知済みです（アラート ") +
				"`" + slackui.Escape(alert) + "`" + trl(l, ").", "）。")
		}
		line += fmt.Sprintf("  _#%d_", inc.ID)
		children := b.blastRadius(ctx, inc)
		if len(children) > 0 {
			line += "\n" + blastRadiusText(children, l)
		}
		blocks = append(blocks, slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType,
			handlers.Truncate(line, slackui.MaxSectionText), false, false), nil, nil,
			slack.SectionBlockOptionBlockID("todai_inc_"+strconv.FormatInt(inc.ID, 10))))
		if inc.Status != escalation.StatusResolved {
			blocks = append(blocks, incidentButtons(inc, l))
			if split := splitButtons(inc, children, l); split != nil {
				blocks = append(blocks, split)
			}
		}
		texts = append(texts, incidentTitle(inc, l)+" — "+statusText(inc, l))
	}
	return slackui.Message{Text: slackui.Escape(strings.Join(texts, "\n")), Blocks: blocks}
}

// blastRadius returns the incidents grouped under inc (nil when it has none or they cannot be read).
func (b *Bot) blastRadius(ctx context.Context, inc escalation.Incident) []escalation.Incident {
	r, ok := b.scheduled()
	if !ok || r.Incidents == nil {
		return nil
	}
	children, err := r.Incidents.ByParent(ctx, inc.ID)
	if err != nil {
		b.log.Warn("bot: incidents grouped under an incident", "incident", inc.ID, "err", err)
		return nil
	}
	return children
}

// maxBlastRadiusLines bounds the grouped incidents listed under their root's line.
const maxBlastRadiusLines = 10

// blastRadiusText lists the incidents a root caused: "Caused downstream (3, 2 still failing): • a — 🔴 open …".
func blastRadiusText(children []escalation.Incident, l handlers.Lang) string {
	failing := 0
	for _, c := range children {
		if c.Status != escalation.StatusResolved {
			failing++
		}
	}
	lines := []string{trl(l, fmt.Sprintf("*Caused downstream* (%d, %d still failing):", len(children), failing),
		fmt.Sprintf("*下流への影響* (%d 件、うち %d 件が失敗中):", len(children), failing))}
	for i, c := range children {
		if i == maxBlastRadiusLines {
			lines = append(lines, trl(l, fmt.Sprintf("…and %d more", len(children)-i), fmt.Sprintf("…ほか %d 件", len(children)-i)))
			break
		}
		lines = append(lines, fmt.Sprintf("• %s — %s  _#%d_", slackui.Escape(incidentTitle(c, l)), statusText(c, l), c.ID))
	}
	return strings.Join(lines, "\n")
}

// maxSplitButtons bounds the Split buttons under a root (one actions block).
const maxSplitButtons = 5

// splitButtons are a Split button for each grouped incident still failing: its grouping under inc was wrong, it gets
// notices of its own. Nil when there is none.
func splitButtons(inc escalation.Incident, children []escalation.Incident, l handlers.Lang) slack.Block {
	var els []slack.BlockElement
	for _, c := range children {
		if c.Status == escalation.StatusResolved || len(els) == maxSplitButtons {
			continue
		}
		id := strconv.FormatInt(c.ID, 10)
		label := handlers.Truncate(trl(l, "Split out ", "分離: ")+queries.NameOf(firstNonEmpty(c.TestID, c.NodeID)), slackui.MaxButtonText)
		els = append(els, slack.NewButtonBlockElement(ActionIncidentSplit+"_"+id, id,
			slack.NewTextBlockObject(slack.PlainTextType, label, false, false)))
	}
	if len(els) == 0 {
		return nil
	}
	return slack.NewActionBlock("todai_inc_split_"+strconv.FormatInt(inc.ID, 10), els...)
}

// incidentButtons are Acknowledge, Snooze 1 h / 4 h / 1 day and Show history; an acknowledged incident keeps only
// Show history.
func incidentButtons(inc escalation.Incident, l handlers.Lang) slack.Block {
	id := strconv.FormatInt(inc.ID, 10)
	btn := func(action, value, label string) slack.BlockElement {
		return slack.NewButtonBlockElement(action, value, slack.NewTextBlockObject(slack.PlainTextType, label, false, false))
	}
	var els []slack.BlockElement
	if inc.Status == escalation.StatusOpen {
		ack := slack.NewButtonBlockElement(ActionIncidentAck, id,
			slack.NewTextBlockObject(slack.PlainTextType, trl(l, "Acknowledge", "確認しました"), false, false))
		ack.Style = slack.StylePrimary
		els = append(els, ack,
			btn(ActionIncidentSnooze+"_1h", id+":1h", trl(l, "Snooze 1 h", "1時間スヌーズ")),
			btn(ActionIncidentSnooze+"_4h", id+":4h", trl(l, "Snooze 4 h", "4時間スヌーズ")),
			btn(ActionIncidentSnooze+"_1d", id+":24h", trl(l, "Snooze 1 day", "1日スヌーズ")))
	}
	els = append(els, btn(ActionIncidentHistory, id, trl(l, "Show history", "履歴を見る")))
	return slack.NewActionBlock("todai_inc_actions_"+id, els...)
}

// ownersText renders owners, as mentions when ping is set and the mentioner resolves them.
func (b *Bot) ownersText(ctx context.Context, owners []string, ping bool) string {
	if len(owners) == 0 {
		return ""
	}
	var m map[string]string
	if ping && b.mentions != nil {
		m = b.mentions.Mentions(ctx, owners)
	}
	parts := make([]string, 0, len(owners))
	for _, o := range owners {
		if v, ok := m[o]; ok && (strings.HasPrefix(v, "<@") || strings.HasPrefix(v, "<!subteam^")) {
			parts = append(parts, v)
		} else {
			parts = append(parts, slackui.Escape(o))
		}
	}
	return strings.Join(parts, ", ")
}

// targetMentions renders a level's targets as mentions: owners resolved, user groups and users by ID.
func (b *Bot) targetMentions(ctx context.Context, inc escalation.Incident, targets []escalation.Target) string {
	var parts []string
	for _, t := range targets {
		switch t.Kind {
		case escalation.TargetOwners:
			if s := b.ownersText(ctx, inc.Owners, true); s != "" {
				parts = append(parts, s)
			}
		case escalation.TargetUserGroup:
			if validGroupID(t.ID) {
				parts = append(parts, "<!subteam^"+t.ID+">")
			}
		case escalation.TargetUser:
			if validUserID(t.ID) {
				parts = append(parts, "<@"+t.ID+">")
			}
		}
	}
	return strings.Join(parts, " ")
}

// incidentThread is the thread an incident's later notices go in: ThreadTS when its first notice replied under
// Elementary's alert, else its own message's.
func incidentThread(inc escalation.Incident) string {
	return firstNonEmpty(inc.Message.ThreadTS, inc.Message.TS)
}

func validGroupID(s string) bool {
	return len(s) >= 3 && s[0] == 'S' && validUserID("U"+s[1:])
}

func hasTarget(ts []escalation.Target, kind escalation.TargetKind) bool {
	for _, t := range ts {
		if t.Kind == kind {
			return true
		}
	}
	return false
}

func withoutOwners(ts []escalation.Target) []escalation.Target {
	var out []escalation.Target
	for _, t := range ts {
		if t.Kind != escalation.TargetOwners {
			out = append(out, t)
		}
	}
	return out
}

// incidentCause is the diagnosis' first cause of an open incident that is not the incident's own failure (a root
// of a skip, the SQL change before an error, a stale source, a job that did not run), in one escaped line with its
// confidence; "" when the diagnosis names none or cannot be read.
func (b *Bot) incidentCause(ctx context.Context, inc escalation.Incident, l handlers.Lang) string {
	subject := firstNonEmpty(inc.TestID, inc.NodeID)
	if b.reader == nil || subject == "" {
		return ""
	}
	why, err := b.reader.Why(ctx, subject)
	if err != nil {
		b.log.Debug("bot: diagnosis of an incident", "incident", inc.ID, "node", subject, "err", err)
		return ""
	}
	for _, c := range why.LikelyCauses {
		if c.Kind == "run_error" || c.Kind == "run_skipped" {
			continue // the incident's own failure, already shown
		}
		return slackui.CauseLine(l, c)
	}
	return ""
}

// causedBy is the upstream node escalation's inhibition names ("" when none).
func (n IncidentNotice) causedBy() string {
	if n.ProbablyCausedBy == nil {
		return ""
	}
	return n.ProbablyCausedBy.Node
}
