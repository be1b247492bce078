package slackui

import (
	"cmp"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/todai-dev/todai/handlers"
	"github.com/todai-dev/todai/queries"
	"github.com/todai-dev/todai/scheduler/escalation"
)

// App Home bounds.
const (
	homeMaxTeams = 40   // team sections shown; the Home tab allows 100 blocks
	homeMaxOwned = 15   // owned failures listed
	homeMaxText  = 2900 // under Slack's 3000-character section text
)

// HomeTeam is one team on a user's Home tab: its channel (an ID, or the configured name when it cannot be
// resolved), its nodes, and its failing and warning tests (Unreadable: they could not be read).
type HomeTeam struct {
	Name, Channel         string
	Nodes, Failing, Warns int
	Unreadable            bool
	// Score is its health total (nil when none of its tests is scored) and ScoreBefore a week before.
	Score, ScoreBefore *float64
}

// HomeData is what a user's Home tab shows: their teams and the failures they own, as of Updated.
type HomeData struct {
	Updated time.Time
	// Pipeline is set when the whole dbt pipeline stopped: said first, once.
	Pipeline        *queries.PipelineStop
	Teams           []HomeTeam
	TeamsUnreadable bool
	Owned           []queries.Problem
	OwnedUnreadable bool
	// Incidents are the reader's incidents: assigned to them, then the unassigned open ones of their teams.
	Incidents           []HomeIncident
	IncidentsUnreadable bool
}

// HomeIncident is an unresolved incident on a reader's Home tab, and whether it is theirs (assigned to them) rather
// than their team's to take.
type HomeIncident struct {
	Incident escalation.Incident
	Mine     bool
	// Runbook is its test's or node's playbook ("" for none).
	Runbook string
}

// HomeMaxIncidents bounds the Home tab's incidents.
const HomeMaxIncidents = 10

// Home renders a user's Home tab in lang.
func Home(d HomeData, lang handlers.Lang) slack.HomeTabViewRequest {
	tr := func(en, ja string) string { return handlers.Tr(lang, en, ja) }
	blocks := []slack.Block{
		slack.NewHeaderBlock(slack.NewTextBlockObject(slack.PlainTextType, tr("Todai", "Todai 灯台"), false, false)),
		slack.NewContextBlock("home_asof", slack.NewTextBlockObject(slack.MarkdownType,
			tr("Updated ", "更新: ")+Date(d.Updated), false, false)),
	}
	if s := d.Pipeline; s != nil {
		p := handlers.NewPrinter(lang, d.Updated, Date)
		blocks = append(blocks, homeSection("home_pipeline", ":octagonal_sign: *"+tr("Pipeline stopped", "パイプライン停止")+
			"*: "+Escape(p.PipelineStop(s))))
	}
	blocks = append(blocks, homeSection("home_teams_title", "*"+tr("Your teams", "あなたのチーム")+"*"))
	switch {
	case d.TeamsUnreadable:
		blocks = append(blocks, homeSection("home_teams_error",
			tr(":warning: Could not read the teams right now.", ":warning: 現在チーム情報を読み込めません。")))
	case len(d.Teams) == 0:
		blocks = append(blocks, homeSection("home_teams_none", tr(
			"You are not in any team's channel and own no nodes yet.",
			"どのチームのチャンネルにも参加しておらず、所有するノードもまだありません。")))
	}
	for i, t := range d.Teams {
		if i == homeMaxTeams {
			blocks = append(blocks, homeSection("home_teams_more",
				tr(fmt.Sprintf("…and %d more teams", len(d.Teams)-i), fmt.Sprintf("…他 %d チーム", len(d.Teams)-i))))
			break
		}
		line := teamHealthEmoji(t) + " *" + Escape(t.Name) + "*"
		switch {
		case IsConversationChannel(t.Channel):
			line += "  <#" + t.Channel + ">"
		case t.Channel != "":
			line += "  #" + Escape(strings.TrimPrefix(t.Channel, "#"))
		}
		var health string
		switch {
		case t.Unreadable:
			health = tr("could not read its failures", "失敗情報を読み込めません")
		case t.Failing > 0 || t.Warns > 0:
			health = tr(fmt.Sprintf("%d failing, %d warning", t.Failing, t.Warns),
				fmt.Sprintf("失敗 %d 件、警告 %d 件", t.Failing, t.Warns))
		default:
			health = tr("all passing", "すべて正常")
		}
		line += "\n" + health + tr(fmt.Sprintf(" · %d nodes", t.Nodes), fmt.Sprintf(" · ノード %d 件", t.Nodes))
		if t.Score != nil {
			p := handlers.NewPrinter(lang, d.Updated, Date)
			line += tr(" · health ", " · 健全性 ") + p.Score(t.Score) + "/100"
			if ch := p.ScoreChange(t.Score, t.ScoreBefore); ch != "" {
				line += " (" + ch + ")"
			}
		}
		blocks = append(blocks, homeSection(fmt.Sprintf("home_team_%d", i), line))
	}

	blocks = append(blocks, homeList("home_owned", tr("Failing that you own", "あなたが所有する失敗中のもの"),
		d.OwnedUnreadable, tr(":warning: Could not read the failures right now.", ":warning: 現在失敗情報を読み込めません。"),
		tr(":white_check_mark: Nothing you own is failing.", ":white_check_mark: 所有するもので失敗中のものはありません。"),
		boundedLines(len(d.Owned), homeMaxOwned, func(i int) string { return ownedLine(d.Owned[i], tr) }, tr))...)
	blocks = append(blocks, homeList("home_incidents", tr("Your incidents", "あなたのインシデント"),
		d.IncidentsUnreadable, tr(":warning: Could not read the incidents right now.", ":warning: 現在インシデントを読み込めません。"),
		tr(":white_check_mark: Nothing assigned to you, and nothing open in your teams.",
			":white_check_mark: あなたの担当も、チームの未対応のインシデントもありません。"),
		boundedLines(len(d.Incidents), HomeMaxIncidents, func(i int) string { return homeIncidentLine(d.Incidents[i], lang) }, tr))...)

	blocks = append(blocks, slack.NewDividerBlock(),
		slack.NewContextBlock("home_digest", slack.NewTextBlockObject(slack.MarkdownType,
			tr(":calendar: digests: not scheduled yet", ":calendar: ダイジェスト: まだ予定されていません"), false, false)))
	return slack.HomeTabViewRequest{Type: slack.VTHomeTab, Blocks: slack.Blocks{BlockSet: blocks},
		CallbackID: "todai_home"}
}

// ownedLine renders one owned problem: emoji, what fails (a test on its model, a model's run, a source's
// freshness) and since when.
func ownedLine(p queries.Problem, tr func(en, ja string) string) string {
	emoji := ":red_circle:"
	if p.Severity == "WARN" {
		emoji = ":large_yellow_circle:"
	}
	node := "*" + Escape(handlers.Truncate(queries.NameOf(p.NodeID), 120)) + "*"
	var line string
	switch p.Kind {
	case "test":
		test := cmp.Or(p.ShortName, queries.NameOf(p.TestID))
		line = emoji + " " + Escape(handlers.Truncate(test, 120))
		if p.Column != "" {
			line += " (" + Escape(handlers.Truncate(p.Column, 60)) + ")"
		}
		line += tr(" on ", " — ") + node
	case "freshness":
		line = ":large_orange_circle: " + node + tr(" is stale", " のデータが古い")
	default:
		line = emoji + " " + node + tr(" failed to build", " のビルドが失敗")
	}
	if !p.DetectedAt.IsZero() {
		line += " · " + Date(p.DetectedAt)
	}
	return line
}

func teamHealthEmoji(t HomeTeam) string {
	switch {
	case t.Unreadable:
		return ":grey_question:"
	case t.Failing > 0:
		return ":red_circle:"
	case t.Warns > 0:
		return ":large_yellow_circle:"
	}
	return ":large_green_circle:"
}

// homeSection is a mrkdwn section; text must already be escaped. It is cut to fit Slack's limit on a line break.
func homeSection(id, text string) *slack.SectionBlock {
	if utf8.RuneCountInString(text) > homeMaxText {
		r := []rune(text)[:homeMaxText]
		cut := string(r)
		if i := strings.LastIndexByte(cut, '\n'); i > 0 {
			cut = cut[:i]
		}
		text = cut + "\n…"
	}
	return slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, text, false, false), nil, nil,
		slack.SectionBlockOptionBlockID(id))
}

// boundedLines renders the first of n items, at most most of them and whole lines within a section's text (links are
// never cut), then "…and N more" for the rest.
func boundedLines(n, most int, line func(i int) string, tr func(en, ja string) string) []string {
	lines := make([]string, 0, min(n, most)+1)
	size := 0
	for i := range n {
		l := line(i)
		size += utf8.RuneCountInString(l) + 1
		if i == most || size > homeMaxText-40 { // room for the "more" line
			return append(lines, tr(fmt.Sprintf("…and %d more", n-i), fmt.Sprintf("…他 %d 件", n-i)))
		}
		lines = append(lines, l)
	}
	return lines
}

// homeIncidentLine is one incident on the Home tab: whose it is, its subject, its state and severity, since when.
func homeIncidentLine(x HomeIncident, l handlers.Lang) string {
	inc := x.Incident
	who := handlers.Tr(l, "🙋 yours", "🙋 あなたの担当")
	if !x.Mine {
		who = handlers.Tr(l, "🔴 to take", "🔴 担当者なし")
	}
	title := Escape(IncidentTitle(inc, l))
	line := fmt.Sprintf("%s · *%s* — %s", who, title, IncidentStatus(inc, l))
	if inc.Priority != "" {
		line += handlers.Tr(l, " · severity ", " · 重大度 ") + PriorityWord(l, inc.Priority)
	}
	line += handlers.Tr(l, " · since ", " · 発生 ") + Date(inc.OpenedAt)
	if rb := link(x.Runbook, handlers.Tr(l, "runbook", "手順書")); rb != "" {
		line += " · 📖 " + rb
	}
	return line + fmt.Sprintf("  _#%d_", inc.ID)
}

// homeList is one titled list of the App Home after a divider: its lines, else what says there are none, else what
// says it could not be read. Its blocks are named id_title, id_list, id_none and id_error.
func homeList(id, title string, unreadable bool, cannot, none string, lines []string) []slack.Block {
	blocks := []slack.Block{slack.NewDividerBlock(), homeSection(id+"_title", "*"+title+"*")}
	switch {
	case unreadable:
		return append(blocks, homeSection(id+"_error", cannot))
	case len(lines) == 0:
		return append(blocks, homeSection(id+"_none", none))
	}
	return append(blocks, homeSection(id+"_list", strings.Join(lines, "\n")))
}
