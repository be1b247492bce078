package slackui

import (
	"cmp"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/todai-dev/todai/handlers"
	"github.com/todai-dev/todai/queries"
	"github.com/todai-dev/todai/queries/quantity"
	"github.com/todai-dev/todai/scheduler/escalation"
)

// Action IDs of the buttons on incident messages. Their values are the incident's id; a snooze's is "ID:duration".
const (
	ActionIncidentAck     = "todai_inc_ack"
	ActionIncidentSnooze  = "todai_inc_snooze"
	ActionIncidentHistory = "todai_inc_history"
	// ActionIncidentSplit splits an incident out of its root cause's incident (value: its id).
	ActionIncidentSplit = "todai_inc_split"
	// ActionIncidentPrefix starts every incident button's action ID.
	ActionIncidentPrefix = "todai_inc_"
)

// IncidentLine is one incident of a grouped message with what the bot resolved for it: its owners (mentioned or
// escaped), the level's other targets' mentions, its cause line and what to do next (CauseLine, NextLine), edr
// monitor's alert it follows, and the incidents grouped under it.
type IncidentLine struct {
	Incident escalation.Incident
	Owners   string
	Mentions string
	Cause    string
	Next     string
	AlertID  string
	Children []escalation.Incident
	// Chart is an anomaly test's chart (nil for none): drawn under the incident while it is open.
	Chart *handlers.Chart
	// Computed is the severity Todai computes from the incident's urgency, shown until a person sets one.
	Computed escalation.Priority
	// History says how its test's incidents ended lately, when people dismissed them often or a fix did not hold
	// (escaped; "" for nothing).
	History string
	// Runbook is the playbook of its test or node, linked while it is open ("" for none).
	Runbook string
}

// maxIncidentCharts bounds the charts of one incident message (Slack's 50 blocks).
const maxIncidentCharts = 2

// IncidentMessage renders a grouped incident message in l. inThread renders the reply under Elementary's alert: a
// header saying Todai tracks the alert above, and no "Elementary already alerted" line (the parent is that alert).
func IncidentMessage(l handlers.Lang, lines []IncidentLine, inThread bool) Message {
	open := 0
	for _, x := range lines {
		if x.Incident.Status != escalation.StatusResolved {
			open++
		}
	}
	team := Escape(lines[0].Incident.Team)
	var head string
	switch {
	case open == 0:
		resolved := fmt.Sprintf("✅ All %d problems for team %s resolved", len(lines), team)
		if len(lines) == 1 {
			resolved = fmt.Sprintf("✅ The problem for team %s is resolved", team)
		}
		head = handlers.Tr(l, resolved,
			fmt.Sprintf("✅ チーム %s の問題 %d 件はすべて解決しました", team, len(lines)))
	case inThread:
		head = handlers.Tr(l, fmt.Sprintf("🔴 Todai is tracking the alert above for team %s (%s) and will escalate it by the team's policy until someone acknowledges it", team, quantity.Plural(len(lines), "problem", "problems")),
			fmt.Sprintf("🔴 Todai は上のアラートをチーム %s の問題（%d 件）として追跡しています。誰かが確認するまで、チームのポリシーに従ってエスカレーションします", team, len(lines)))
	default:
		head = handlers.Tr(l, "🔴 "+quantity.Plural(len(lines), "problem", "problems")+" for team "+team,
			fmt.Sprintf("🔴 チーム %s で問題が %d 件", team, len(lines)))
	}
	blocks := []slack.Block{slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, "*"+head+"*", false, false), nil, nil)}
	texts := []string{head}
	var chart *handlers.Chart
	picture, charts := false, 0
	for _, x := range lines {
		inc := x.Incident
		line := fmt.Sprintf("*%s* — %s", Escape(IncidentTitle(inc, l)), IncidentStatus(inc, l))
		if inc.Summary != "" {
			line += "\n" + Escape(handlers.Truncate(handlers.FirstLine(inc.Summary), 300))
		}
		if work := workLine(inc, x.Computed, l); work != "" && inc.Status != escalation.StatusResolved {
			line += "\n" + work
		}
		if ended := resolvedLine(inc, l); ended != "" && inc.Status == escalation.StatusResolved {
			line += "\n" + ended
		}
		if x.Owners != "" {
			line += "\n" + handlers.Tr(l, "Owners: ", "オーナー: ") + x.Owners
		}
		if x.Mentions != "" {
			line += " " + x.Mentions
		}
		if x.Cause != "" && inc.Status != escalation.StatusResolved {
			line += "\n" + x.Cause
		}
		if x.Next != "" && inc.Status != escalation.StatusResolved {
			line += "\n" + x.Next
		}
		if rb := link(x.Runbook, handlers.Tr(l, "Runbook", "手順書")); rb != "" && inc.Status != escalation.StatusResolved {
			line += "\n📖 " + rb
		}
		if x.History != "" && inc.Status != escalation.StatusResolved {
			line += "\n" + handlers.Tr(l, "🔁 Before: ", "🔁 これまで: ") + x.History
		}
		if inc.ParentID != 0 && inc.Status != escalation.StatusResolved {
			line += "\n" + handlers.Tr(l, fmt.Sprintf("Now part of incident #%d, its root cause's: escalated there.", inc.ParentID),
				fmt.Sprintf("根本原因のインシデント #%d にまとめられました（エスカレーションはそちらで行います）。", inc.ParentID))
		}
		if x.AlertID != "" && inc.Status != escalation.StatusResolved && !inThread {
			line += "\n" + handlers.Tr(l, "Elementary already alerted on this (alert ", "Elementary がすでに通知済みです（アラート ") +
				"`" + Escape(x.AlertID) + "`" + handlers.Tr(l, ").", "）。")
		}
		line += fmt.Sprintf("  _#%d_", inc.ID)
		if len(x.Children) > 0 {
			line += "\n" + blastRadiusText(x.Children, l)
		}
		blocks = append(blocks, slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType,
			handlers.Truncate(line, MaxSectionText), false, false), nil, nil,
			slack.SectionBlockOptionBlockID("todai_inc_"+strconv.FormatInt(inc.ID, 10))))
		if c := x.Chart; c != nil && inc.Status != escalation.StatusResolved && charts < maxIncidentCharts {
			block, ok := ChartBlock(c, "todai_inc_chart_"+strconv.FormatInt(inc.ID, 10))
			if ok {
				blocks = append(blocks, block)
			}
			words := ChartWords(l, c)
			shown := "*" + Escape(words[0]) + "*"
			for _, w := range words[1:] {
				shown += "\n" + Escape(w)
			}
			blocks = append(blocks, slack.NewContextBlock("todai_inc_chart_words_"+strconv.FormatInt(inc.ID, 10),
				slack.NewTextBlockObject(slack.MarkdownType, handlers.Truncate(shown, MaxSectionText), false, false)))
			texts = append(texts, words...)
			if chart == nil {
				chart, picture = c, !ok
			}
			charts++
		}
		if inc.Status != escalation.StatusResolved {
			blocks = append(blocks, IncidentButtons(inc, x.Computed, l))
			if split := splitButtons(inc, x.Children, l); split != nil {
				blocks = append(blocks, split)
			}
		}
		texts = append(texts, IncidentTitle(inc, l)+" — "+IncidentStatus(inc, l))
	}
	return Message{Text: Escape(strings.Join(texts, "\n")), Blocks: blocks, Chart: chart, Picture: picture}
}

// ProbablyCausedBy is the cause line of an incident whose cause escalation names but the diagnosis does not phrase.
func ProbablyCausedBy(l handlers.Lang, node string) string {
	return handlers.Tr(l, "Probably caused by ", "おそらく原因: ") + "`" + Escape(queries.NameOf(node)) + "`"
}

// EscalationMessage is a later level's notice in an incident's thread, mentioning who: the level, the round, and
// the incident's buttons.
func EscalationMessage(inc escalation.Incident, level, loop int, who string, l handlers.Lang) Message {
	text := handlers.Tr(l, fmt.Sprintf("⏫ Level %d: *%s* is still failing and nobody has acknowledged it.", level,
		Escape(IncidentTitle(inc, l))),
		fmt.Sprintf("⏫ レベル %d: *%s* はまだ失敗しており、誰も確認していません。", level, Escape(IncidentTitle(inc, l))))
	if loop > 0 {
		text += handlers.Tr(l, fmt.Sprintf(" (round %d)", loop+1), fmt.Sprintf("（%d 周目）", loop+1))
	}
	if who != "" {
		text += " " + who
	}
	msg := Text(text)
	msg.Blocks = append(msg.Blocks, IncidentButtons(inc, "", l))
	return msg
}

// ResolvedText says in an incident's thread that it resolved by itself — a test passes again, a model ran
// successfully, a source is fresh — and which run cleared it: the dbt invocation, and its job when known ("").
func ResolvedText(inc escalation.Incident, job string, l handlers.Lang) string {
	var text string
	switch inc.Kind {
	case escalation.KindModel:
		text = handlers.Tr(l, fmt.Sprintf("✅ Resolved: *%s* ran successfully", Escape(IncidentTitle(inc, l))),
			fmt.Sprintf("✅ 解決: *%s* は正常に実行されました", Escape(IncidentTitle(inc, l))))
	case escalation.KindFreshness:
		text = handlers.Tr(l, fmt.Sprintf("✅ Resolved: *%s* is fresh again", Escape(IncidentTitle(inc, l))),
			fmt.Sprintf("✅ 解決: *%s* は最新に戻りました", Escape(IncidentTitle(inc, l))))
	default:
		text = handlers.Tr(l, fmt.Sprintf("✅ Resolved: *%s* passes again", Escape(IncidentTitle(inc, l))),
			fmt.Sprintf("✅ 解決: *%s* は正常に戻りました", Escape(IncidentTitle(inc, l))))
	}
	switch {
	case inc.ClearedBy != "" && job != "":
		text += handlers.Tr(l, " in the run of job `"+Escape(job)+"` (invocation `"+Escape(inc.ClearedBy)+"`)",
			"（ジョブ `"+Escape(job)+"` の実行 `"+Escape(inc.ClearedBy)+"` で解消）")
	case inc.ClearedBy != "":
		text += handlers.Tr(l, " in dbt invocation `"+Escape(inc.ClearedBy)+"`", "（dbt の実行 `"+Escape(inc.ClearedBy)+"` で解消）")
	}
	return text + handlers.Tr(l, ".", "。")
}

// MatchersText renders a silence's matchers as code spans: `node:*.fct_orders` `tag:finance`.
func MatchersText(ms []escalation.Matcher) string {
	parts := make([]string, len(ms))
	for i, m := range ms {
		parts[i] = "`" + m.Field + ":" + Escape(m.Value) + "`"
	}
	return strings.Join(parts, " ")
}

// Silences lists the active silences (at most 30), each with its end, its author and its comment.
func Silences(sils []escalation.Silence, l handlers.Lang, now time.Time) Message {
	if len(sils) == 0 {
		return Text(handlers.Tr(l, "No active silences.", "有効なミュートはありません。"))
	}
	lines := []string{handlers.Tr(l, "*"+quantity.Plural(len(sils), "active silence", "active silences")+"*", fmt.Sprintf("*有効なミュート %d 件*", len(sils)))}
	for i, s := range sils {
		if i == 30 {
			lines = append(lines, handlers.Tr(l, fmt.Sprintf("… and %d more", len(sils)-i), fmt.Sprintf("…ほか %d 件", len(sils)-i)))
			break
		}
		line := fmt.Sprintf("• #%d %s — %s %s", s.ID, MatchersText(s.Matchers), handlers.Tr(l, "until", "期限"), Date(s.EndsAt))
		if s.CreatedBy != "" {
			line += " · <@" + Escape(s.CreatedBy) + ">"
		}
		if s.Comment != "" {
			line += " · " + Escape(s.Comment)
		}
		lines = append(lines, line)
	}
	return Text(strings.Join(lines, "\n"))
}

// actorText is a timeline's actor: a mention for a Slack user ID, else the escaped name.
func actorText(a string) string {
	if ValidUserID(a) {
		return "<@" + a + ">"
	}
	return Escape(a)
}

// ValidUserID reports whether s is a Slack user ID (U… or W…), safe to mention.
func ValidUserID(s string) bool {
	if len(s) < 3 || len(s) > 20 || (s[0] != 'U' && s[0] != 'W') {
		return false
	}
	for _, c := range s[1:] {
		if (c < 'A' || c > 'Z') && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}

// eventText says what an incident's timeline event did, in the reader's language.
func eventText(e escalation.Event, l handlers.Lang) string {
	switch e.Event {
	case "opened":
		return handlers.Tr(l, "opened", "発生")
	case "notified":
		return handlers.Tr(l, fmt.Sprintf("notified at level %d (loop %d)", e.Level, e.Loop+1), fmt.Sprintf("レベル %d で通知（%d 周目）", e.Level, e.Loop+1))
	case "acked":
		return handlers.Tr(l, "acknowledged", "確認済み")
	case "snoozed":
		return handlers.Tr(l, "snoozed", "スヌーズ")
	case "silenced":
		return handlers.Tr(l, "silenced", "ミュート")
	case "unsilenced":
		return handlers.Tr(l, "silence ended", "ミュート終了")
	case "inhibited":
		return handlers.Tr(l, "held back by an upstream failure", "上流の障害のため抑制")
	case "uninhibited":
		return handlers.Tr(l, "upstream failure gone", "上流の障害が解消")
	case "grouped":
		return handlers.Tr(l, "grouped under its root cause's incident", "根本原因のインシデントにまとめられました")
	case "ungrouped":
		return handlers.Tr(l, "its root cause's incident no longer explains it", "根本原因のインシデントから外れました")
	case "split":
		return handlers.Tr(l, "split out of its root cause's incident", "根本原因のインシデントから分離されました")
	case "resolved":
		return handlers.Tr(l, "resolved", "解決")
	case "taken":
		return handlers.Tr(l, "taken", "担当")
	case "assigned":
		return handlers.Tr(l, "assigned to", "割り当て")
	case "severity":
		return handlers.Tr(l, "severity set", "重大度を設定")
	case "reopened":
		return handlers.Tr(l, "reopened: the fix did not hold", "再発: 修正が効きませんでした")
	case "resolve_announced":
		return handlers.Tr(l, "resolution posted", "解決を通知")
	case "elementary_alert":
		return handlers.Tr(l, "edr monitor alerted", "edr monitor が通知")
	case "notify_failed":
		return handlers.Tr(l, fmt.Sprintf("Slack refused the level %d notice; it is retried at the next sweep", e.Level),
			fmt.Sprintf("Slack がレベル %d の通知を拒否しました（次回の確認で再送します）", e.Level))
	case "notify_abandoned":
		return handlers.Tr(l, fmt.Sprintf("Slack kept refusing the level %d notice; given up", e.Level),
			fmt.Sprintf("Slack がレベル %d の通知を拒否し続けたため、断念しました", e.Level))
	}
	return Escape(e.Event)
}

// IncidentTitle names an incident's subject: the node, the test on its node, or the source's freshness.
// IncidentTitle names an incident's subject: the node, the test on its node, or the source's freshness.
func IncidentTitle(inc escalation.Incident, l handlers.Lang) string {
	name := queries.NameOf(inc.NodeID)
	switch inc.Kind {
	case escalation.KindTest:
		return handlers.Tr(l, queries.NameOf(inc.TestID)+" on "+name, name+" の "+queries.NameOf(inc.TestID))
	case escalation.KindFreshness:
		return handlers.Tr(l, name+" (freshness)", name+"（鮮度）")
	}
	return name
}

// IncidentStatus is an incident's state with its emoji: open, acknowledged (by whom), snoozed, resolved.
func IncidentStatus(inc escalation.Incident, l handlers.Lang) string {
	switch {
	case inc.Status == escalation.StatusResolved:
		return handlers.Tr(l, "✅ resolved", "✅ 解決済み")
	case inc.Status == escalation.StatusAcked:
		by := ""
		if inc.AckedBy != "" {
			by = " " + handlers.Tr(l, "by ", "") + actorText(inc.AckedBy)
		}
		return handlers.Tr(l, "👀 acknowledged"+by, "👀 確認済み"+by)
	case inc.SilencedBy != 0:
		return handlers.Tr(l, "🔕 snoozed", "🔕 スヌーズ中")
	}
	return handlers.Tr(l, "🔴 open", "🔴 未対応")
}

// Text is a message of one mrkdwn section (already escaped), within Slack's limits.
func Text(s string) Message {
	return Message{Text: s, Blocks: []slack.Block{slack.NewSectionBlock(
		slack.NewTextBlockObject(slack.MarkdownType, handlers.Truncate(s, MaxSectionText), false, false), nil, nil)}}
}

// NotAllowed refuses a change to an incident to someone outside its team's channel.
func NotAllowed(l handlers.Lang) Message {
	return Text(handlers.Tr(l, "Sorry, only members of the team's channel (or Todai admins) can change this incident.",
		"申し訳ありません。この操作はチームのチャンネルのメンバー（または Todai の管理者）のみ行えます。"))
}

// Timeline renders an incident's timeline: its title and state, then each event with its time and actor.
func Timeline(inc escalation.Incident, evs []escalation.Event, l handlers.Lang) Message {
	lines := []string{fmt.Sprintf("*%s %d* — %s · %s", handlers.Tr(l, "Incident", "インシデント"), inc.ID,
		Escape(IncidentTitle(inc, l)), IncidentStatus(inc, l))}
	for i, e := range evs {
		if i == 60 {
			lines = append(lines, "…")
			break
		}
		line := "• " + Date(e.At) + " · " + eventText(e, l)
		if e.Actor != "" && e.Actor != "todai" {
			line += " · " + actorText(e.Actor)
		}
		if e.Detail != "" {
			line += " · " + Escape(e.Detail)
		}
		lines = append(lines, line)
	}
	return Text(strings.Join(lines, "\n"))
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
	lines := []string{handlers.Tr(l, fmt.Sprintf("*Caused downstream* (%d, %d still failing):", len(children), failing),
		fmt.Sprintf("*下流への影響* (%d 件、うち %d 件が失敗中):", len(children), failing))}
	for i, c := range children {
		if i == maxBlastRadiusLines {
			lines = append(lines, handlers.Tr(l, fmt.Sprintf("…and %d more", len(children)-i), fmt.Sprintf("…ほか %d 件", len(children)-i)))
			break
		}
		lines = append(lines, fmt.Sprintf("• %s — %s  _#%d_", Escape(IncidentTitle(c, l)), IncidentStatus(c, l), c.ID))
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
		label := handlers.Truncate(handlers.Tr(l, "Split out ", "分離: ")+queries.NameOf(cmp.Or(c.TestID, c.NodeID)), MaxButtonText)
		els = append(els, slack.NewButtonBlockElement(ActionIncidentSplit+"_"+id, id,
			slack.NewTextBlockObject(slack.PlainTextType, label, false, false)))
	}
	if len(els) == 0 {
		return nil
	}
	return slack.NewActionBlock("todai_inc_split_"+strconv.FormatInt(inc.ID, 10), els...)
}

// IncidentButtons are an unresolved incident's elements: Acknowledge and Snooze 1 h / 4 h / 1 day while it is open,
// Take it, Resolve…, Show history, and the Assign… and Severity menus (computed: the severity shown until a person
// sets one).
func IncidentButtons(inc escalation.Incident, computed escalation.Priority, l handlers.Lang) slack.Block {
	id := strconv.FormatInt(inc.ID, 10)
	btn := func(action, value, label string) slack.BlockElement {
		return slack.NewButtonBlockElement(action, value, slack.NewTextBlockObject(slack.PlainTextType, label, false, false))
	}
	take, resolve, menus := workElements(inc, computed, l)
	var els []slack.BlockElement
	if inc.Status == escalation.StatusOpen {
		ack := slack.NewButtonBlockElement(ActionIncidentAck, id,
			slack.NewTextBlockObject(slack.PlainTextType, handlers.Tr(l, "Acknowledge", "確認しました"), false, false))
		ack.Style = slack.StylePrimary
		els = append(els, ack, take,
			btn(ActionIncidentSnooze+"_1h", id+":1h", handlers.Tr(l, "Snooze 1 h", "1時間スヌーズ")),
			btn(ActionIncidentSnooze+"_4h", id+":4h", handlers.Tr(l, "Snooze 4 h", "4時間スヌーズ")),
			btn(ActionIncidentSnooze+"_1d", id+":24h", handlers.Tr(l, "Snooze 1 day", "1日スヌーズ")))
	} else {
		els = append(els, take)
	}
	els = append(els, resolve, btn(ActionIncidentHistory, id, handlers.Tr(l, "Show history", "履歴を見る")))
	return slack.NewActionBlock("todai_inc_actions_"+id, append(els, menus...)...)
}
