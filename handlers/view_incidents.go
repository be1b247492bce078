package handlers

import (
	"fmt"

	"github.com/todai-dev/todai/queries"
)

// IncidentDurations says how soon incidents were acknowledged or resolved: "median 14 min, 90% within 2 h (10)";
// "none" without any.
func (p *Printer) IncidentDurations(d queries.DurationStats) string {
	if d.Count == 0 || d.MedianSeconds == nil || d.P90Seconds == nil {
		return p.Tr("none in the window", "期間内になし")
	}
	return p.Tr(fmt.Sprintf("median %s, 90%% within %s (%d)", p.Age(*d.MedianSeconds), p.Age(*d.P90Seconds), d.Count),
		fmt.Sprintf("中央値 %s、90%% が %s 以内（%d 件）", p.Age(*d.MedianSeconds), p.Age(*d.P90Seconds), d.Count))
}

// IncidentCounts says the window's counts in one line: "12 opened, 10 acknowledged, 2 still open; 11 resolved".
func (p *Printer) IncidentCounts(a *queries.IncidentStatsAnswer) string {
	return p.Tr(fmt.Sprintf("%d opened, %d acknowledged, %d still open; %d resolved", a.Opened, a.Acknowledged, a.StillOpen, a.Resolved),
		fmt.Sprintf("発生 %d 件、確認 %d 件、未解決 %d 件、解決 %d 件", a.Opened, a.Acknowledged, a.StillOpen, a.Resolved))
}

// viewIncidentStats lays out how a team's incidents were handled: the counts, how soon they were acknowledged and
// resolved, how they ended, and the tests whose fixes did not hold.
func viewIncidentStats(p *Printer, a *queries.IncidentStatsAnswer, _ Result) View {
	title := p.Tr("Incidents of every team", "全チームのインシデント")
	if a.Team != "" {
		title = p.Tr("Incidents of team ", "チーム ") + Clean(a.Team) + p.Tr("", " のインシデント")
	}
	counts := p.IncidentCounts(a) + p.Tr(" since ", "（") + p.When(a.Since) + p.Tr("", " 以降）")
	v := View{Mark: HealthMark(queries.HealthOK), Title: title, Summary: Line{Words(counts)}}
	if a.StillOpen > 0 {
		v.Mark = HealthMark(queries.HealthWarn)
	}
	v.Blocks = append(v.Blocks, Note{Label: p.Tr("Incidents", "インシデント"), Text: Line{Words(counts)}}, Facts{
		{Label: p.Tr("Time to acknowledge", "確認までの時間"), Value: Line{Words(p.IncidentDurations(a.TimeToAcknowledge))}},
		{Label: p.Tr("Time to resolve", "解決までの時間"), Value: Line{Words(p.IncidentDurations(a.TimeToResolve))}},
	})
	if len(a.Resolutions) > 0 {
		v.Blocks = append(v.Blocks, listOf(p.Tr("How they ended", "解決の内訳"), len(a.Resolutions), func(i int) Item {
			r := a.Resolutions[i]
			return Item{Text: Line{Words(fmt.Sprintf("%s: %d", ResolutionWord(p.l, r.Resolution), r.Count))}}
		}))
	}
	if len(a.MostReopened) > 0 {
		v.Blocks = append(v.Blocks, listOf(p.Tr("Reopened most (fixes that did not hold)", "再発の多いもの（効かなかった修正）"), len(a.MostReopened), func(i int) Item {
			r := a.MostReopened[i]
			return Item{Text: Line{Strong(FirstClean(r.Name, r.UniqueID)), Words(p.Tr(fmt.Sprintf(" — %d times", r.Reopens), fmt.Sprintf(" — %d 回", r.Reopens)))}}
		}))
	}
	return v
}
