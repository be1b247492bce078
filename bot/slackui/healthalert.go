package slackui

import (
	"fmt"
	"math"
	"time"

	"github.com/slack-go/slack"

	"github.com/todai-dev/todai/handlers"
	"github.com/todai-dev/todai/queries"
)

// HealthAlert renders a team's health alert in l: how far its total fell (below the threshold below, by more than
// drop points in a day — nil: not that one), the tests that moved it, whom to ask (mentions the bot resolved; the
// others named), and that it will not be said again until the team recovers.
func HealthAlert(m queries.HealthMove, below, drop *float64, l handlers.Lang, mentions map[string]string) Message {
	p := handlers.NewPrinter(l, time.Time{}, Date)
	tr := func(en, ja string) string { return handlers.Tr(l, en, ja) }
	team := Escape(m.Team)
	head := tr(fmt.Sprintf(":warning: %s's data health fell to %s/100", team, p.Score(m.Total)),
		fmt.Sprintf(":warning: %s のデータ健全性が %s/100 に下がりました", team, p.Score(m.Total)))
	if m.DayBefore != nil {
		head += tr(fmt.Sprintf(" (%s a day before)", p.Score(m.DayBefore)), fmt.Sprintf("（前日 %s）", p.Score(m.DayBefore)))
	}
	var why []string
	if below != nil {
		why = append(why, tr(fmt.Sprintf("below the alert threshold of %g", *below), fmt.Sprintf("アラートのしきい値 %g を下回りました", *below)))
	}
	if drop != nil && m.DayBefore != nil && m.Total != nil {
		fell := math.Round((*m.DayBefore-*m.Total)*10) / 10
		why = append(why, tr(fmt.Sprintf("a fall of %g points in a day (more than %g)", fell, *drop),
			fmt.Sprintf("1 日で %g ポイント低下しました（許容 %g）", fell, *drop)))
	}
	for i, w := range why {
		if i == 0 {
			head += " — "
		} else {
			head += tr("; ", "、")
		}
		head += w
	}
	blocks := []slack.Block{slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType,
		fitEscaped(head, MaxSectionText), false, false), nil, nil, slack.SectionBlockOptionBlockID("todai_health_alert"))}
	if len(m.Movers) > 0 {
		lines := "*" + tr("Tests that moved it", "下げたテスト") + "*"
		for _, mv := range m.Movers {
			was := tr("not scored", "採点なし")
			if mv.Before != nil {
				was = p.Score(mv.Before)
			}
			line := "\n• *" + escapeMarkup(handlers.FirstClean(mv.Name, mv.UniqueID)) + "*: " + Escape(mv.Status) +
				" (" + was + " → " + p.Score(&mv.Score) + ")"
			if len(mv.Owners) > 0 {
				line += tr(" — ask ", " — 相談先: ")
				for i, o := range mv.Owners {
					if i > 0 {
						line += ", "
					}
					if mm, ok := mentions[o]; ok && validMention(mm) {
						line += mm
					} else {
						line += Escape(o)
					}
				}
			}
			lines += line
		}
		blocks = append(blocks, slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType,
			fitEscaped(lines, MaxSectionText), false, false), nil, nil, slack.SectionBlockOptionBlockID("todai_health_movers")))
	}
	blocks = append(blocks, slack.NewContextBlock("todai_health_next", slack.NewTextBlockObject(slack.MarkdownType,
		tr("Todai will not say this again until the team's health recovers. `/todai health "+team+"` for the details.",
			"健全性が回復するまで、この通知は繰り返しません。詳細は `/todai health "+team+"`。"), false, false)))
	return Message{Text: fitEscaped(head, MaxSectionText), Blocks: blocks}
}
