package handlers

import (
	"github.com/todai-dev/todai/queries"
)

// viewStatus lays out the status answer: health, overdue build, the node, its last run, tests and freshness.
func viewStatus(p *Printer, a *queries.StatusAnswer, res Result) View {
	s := nodeState{node: a.Node, health: a.Health, overdue: a.Overdue, pipeline: a.Pipeline, data: a.Data}
	if a.LastRun != nil && a.LastRun.Status == "success" {
		s.built = a.LastRun.CompletedAt
	}
	v := p.healthView(s)
	last := Fact{Label: p.Tr("Last run", "最終実行"), Value: Line{Words(p.Tr("no runs recorded", "実行記録なし"))}}
	if a.LastRun != nil {
		it := p.runItem(*a.LastRun)
		last.Value = it.Text
		if len(it.Detail) > 0 {
			last.More = []Line{{Quote(*a.LastRun.Message, 600)}}
		}
	}
	facts := append(Facts{p.idFact(a.Node)}, p.ownerFacts(a.Node)...)
	facts = append(facts, last)
	if len(a.Tests) == 0 {
		facts = append(facts, Fact{Label: p.Tr("Tests", "テスト"), Value: Line{Words(p.Tr("none recorded", "記録なし"))}})
	}
	v.Blocks = append(v.Blocks, facts)
	v.Blocks = append(v.Blocks, p.testList("Tests", "テスト", a.Tests)...)
	if len(a.Freshness) > 0 {
		n := len(a.Freshness)
		item := func(i int) Item {
			s := a.Freshness[i]
			return p.sourceItem(s)
		}
		v.Blocks = append(v.Blocks, listOf(p.Tr("Freshness", "鮮度"), n, item))
	}
	v.addChart(p, a.Chart)
	return v
}

// HealthWord names a health in the reader's language.
func (p *Printer) HealthWord(h queries.Health) string {
	return p.phraseOr(healthWords, string(h), healthWords[string(queries.HealthUnknown)])
}
