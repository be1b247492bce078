package handlers

import (
	"fmt"
	"math"
	"slices"

	"github.com/todai-dev/todai/queries"
	"github.com/todai-dev/todai/queries/quantity"
)

// Dimension names a quality dimension.
func (p *Printer) Dimension(d queries.QualityDimension) string {
	return p.phrase(qualityDimensions, string(d))
}

// Verdict names a node's verdict.
func (p *Printer) Verdict(v queries.NodeVerdict) string { return p.phrase(nodeVerdicts, string(v)) }

// HealthReason says why a node is not healthy.
func (p *Printer) HealthReason(h queries.HealthReason) string {
	return p.phrase(healthReasons, string(h))
}

// ScoreHealth is the mark of a score: ok from 90, warn from 70, error below; unknown without one.
func ScoreHealth(score *float64) queries.Health {
	switch {
	case score == nil:
		return queries.HealthUnknown
	case *score >= 90:
		return queries.HealthOK
	case *score >= 70:
		return queries.HealthWarn
	}
	return queries.HealthError
}

// verdictHealth is the mark of a node's verdict.
func verdictHealth(v queries.NodeVerdict) queries.Health {
	return markOf(v, queries.VerdictDegraded, queries.VerdictCaution)
}

// markOf is the mark of a three-way verdict: error when it is bad, warn when it is so-so, else ok.
func markOf[V comparable](v, bad, soso V) queries.Health {
	switch v {
	case bad:
		return queries.HealthError
	case soso:
		return queries.HealthWarn
	}
	return queries.HealthOK
}

// Score says a score out of 100 ("63.3"), "no tests" without one.
func (p *Printer) Score(score *float64) string {
	if score == nil {
		return p.Tr("no tests", "テストなし")
	}
	return fmt.Sprintf("%g", *score)
}

// ScoreChange says how a score moved against a week before: "▼36.7 vs a week before (100)", "no change", or ""
// when it cannot be told.
func (p *Printer) ScoreChange(now, before *float64) string {
	if now == nil || before == nil {
		return ""
	}
	d := math.Round((*now-*before)*10) / 10
	switch {
	case d > 0:
		return p.Tr(fmt.Sprintf("▲%g vs a week before (%g)", d, *before), fmt.Sprintf("先週比 ▲%g（%g）", d, *before))
	case d < 0:
		return p.Tr(fmt.Sprintf("▼%g vs a week before (%g)", -d, *before), fmt.Sprintf("先週比 ▼%g（%g）", -d, *before))
	}
	return p.Tr("no change from a week before", "先週から変化なし")
}

// viewHealth lays out the health answer: the total and its change, a node's verdict and why, each dimension's
// score, the weakest test of each weak dimension, then the blind spots.
func viewHealth(p *Printer, a *queries.HealthAnswer, res Result) View {
	title := p.Tr("the whole project", "プロジェクト全体")
	v := View{Mark: HealthMark(ScoreHealth(a.Total))}
	switch a.Scope {
	case "team":
		title = Clean(a.Team) + p.Tr(" (team)", "（チーム）")
	case "node":
		title = p.NodeTitle(*a.Node)
		v.Node, v.Mark = a.Node, HealthMark(verdictHealth(a.Verdict))
	}
	v.Title = title
	score := p.Score(a.Total) + "/100"
	if a.Total == nil {
		score = p.Tr("No scored tests in the window", "期間内に採点できるテストがありません")
	}
	if ch := p.ScoreChange(a.Total, a.TotalBefore); ch != "" {
		score += p.Tr(", ", "、") + ch
	}
	if a.Total != nil {
		v.Summary = Line{Words(p.Tr("Health ", "健全性 ") + score)}
	} else {
		v.Summary = Line{Words(score)}
	}
	if a.Scope == "node" {
		v.Subtitle = p.Verdict(a.Verdict)
		why := p.Tr("nothing to improve", "特に問題はありません")
		for i, h := range a.Reasons {
			if i == 0 {
				why = ""
			} else {
				why += p.Tr("; ", "、")
			}
			why += p.HealthReason(h)
		}
		v.Blocks = append(v.Blocks, Note{Label: p.Tr("Verdict", "判定"), Text: Line{Strong(p.Verdict(a.Verdict)), Words(" — " + why)}})
	}
	v.Blocks = append(v.Blocks, Note{Label: p.Tr("Score", "スコア"), Text: Line{Words(score + p.Tr(
		fmt.Sprintf(" (since %s)", p.When(a.Since)), fmt.Sprintf("（%s 以降）", p.When(a.Since))))}})
	facts := Facts{}
	for _, d := range a.Dimensions {
		val := p.Score(d.Score)
		if d.Score != nil {
			val += p.Tr(" ("+quantity.Plural(int64(d.Tests), "test", "tests")+")", fmt.Sprintf("（テスト %d 件）", d.Tests))
			if ch := p.ScoreChange(d.Score, d.Before); ch != "" && *d.Score != *d.Before {
				val += " " + ch
			}
		}
		facts = append(facts, Fact{Label: upperFirst(p.Dimension(d.Dimension)), Value: Line{Words(val)}})
	}
	if a.Unclassified > 0 {
		facts = append(facts, Fact{Label: p.Tr("Unclassified", "未分類"), Value: Line{Words(p.Tr(
			fmt.Sprintf("%d tests without a dimension (not scored)", a.Unclassified),
			fmt.Sprintf("観点のないテスト %d 件（採点対象外）", a.Unclassified)))}})
	}
	v.Blocks = append(v.Blocks, facts)
	var weak []queries.DimensionScore
	for _, d := range a.Dimensions {
		if d.Lowest != nil {
			weak = append(weak, d)
		}
	}
	if len(weak) > 0 {
		v.Blocks = append(v.Blocks, listOf(p.Tr("Weakest tests", "弱いテスト"), len(weak), func(i int) Item {
			d := weak[i]
			t := d.Lowest
			l := Line{Words(upperFirst(p.Dimension(d.Dimension)) + " " + p.Score(d.Score) + ": "), Strong(FirstClean(t.Name, t.UniqueID)),
				Words(" "), Status(t.Status)}
			if t.DetectedAt != nil {
				l = append(l, Words(", "+p.When(*t.DetectedAt)))
			}
			if who := Owners(t.Owners); len(who) > 0 {
				l = append(append(l, Words(p.Tr(" — ask ", " — 相談先: "))), who...)
			}
			return Item{Text: l}
		}))
	}
	v.Blocks = append(v.Blocks, p.coverageBlocks(a.Coverage)...)
	return v
}

// coverageBlocks lay out the blind spots: how many of each kind, then the ones that hurt most.
func (p *Printer) coverageBlocks(cv queries.Coverage) []Block {
	c := cv.Counts
	of := func(n, total int) Line {
		return Line{Words(p.Tr(fmt.Sprintf("%d of %d", n, total), fmt.Sprintf("%d / %d", n, total)))}
	}
	facts := Facts{}
	if c.Models > 0 {
		facts = append(facts,
			Fact{Label: p.Tr("Models without tests", "テストのないモデル"), Value: of(c.ModelsNoTests, c.Models)},
			Fact{Label: p.Tr("Models without an owner", "オーナーのないモデル"), Value: of(c.ModelsNoOwner, c.Models)},
			Fact{Label: p.Tr("Models without a description", "説明のないモデル"), Value: of(c.ModelsNoDesc, c.Models)},
			Fact{Label: p.Tr(fmt.Sprintf("Models not built in %d days", queries.NotBuiltDays),
				fmt.Sprintf("%d 日ビルドされていないモデル", queries.NotBuiltDays)), Value: of(c.ModelsNotBuilt, c.Models)})
	}
	if c.Sources > 0 {
		facts = append(facts, Fact{Label: p.Tr("Sources never checked for freshness", "鮮度チェックのないソース"),
			Value: of(c.SourcesNoFreshness, c.Sources)})
	}
	if c.Exposures > 0 {
		facts = append(facts, Fact{Label: p.Tr("Exposures without an owner", "オーナーのないエクスポージャー"),
			Value: of(c.ExposuresNoOwner, c.Exposures)})
	}
	if len(facts) == 0 {
		return nil
	}
	out := []Block{facts}
	type gap struct {
		what string // each of the node's gaps, joined
		g    queries.GapNode
	}
	var gaps []gap
	at := map[string]int{} // a node's place in gaps: one line per node
	for _, l := range []struct {
		what string
		gs   []queries.GapNode
	}{
		{p.Tr("no tests", "テストなし"), cv.NoTests}, {p.Tr("no owner", "オーナーなし"), cv.NoOwner},
		{p.Tr("no freshness check", "鮮度チェックなし"), cv.NoFreshness},
		{p.Tr(fmt.Sprintf("not built in %d days", queries.NotBuiltDays), fmt.Sprintf("%d 日ビルドなし", queries.NotBuiltDays)), cv.NotBuilt},
		{p.Tr("exposure without an owner", "オーナーなしのエクスポージャー"), cv.ExposuresNoOwner},
		{p.Tr("no description", "説明なし"), cv.NoDescription},
	} {
		for _, g := range l.gs {
			if i, ok := at[g.Node.UniqueID]; ok {
				gaps[i].what += p.Tr(", ", "・") + l.what
			} else if g.Downstream > 0 || len(gaps) < 3 {
				at[g.Node.UniqueID] = len(gaps)
				gaps = append(gaps, gap{l.what, g})
			}
		}
	}
	slices.SortStableFunc(gaps, func(x, y gap) int { return y.g.Downstream - x.g.Downstream })
	if len(gaps) > 0 {
		out = append(out, listOf(p.Tr("Blind spots that hurt most", "影響の大きい死角"), len(gaps), func(i int) Item {
			g := gaps[i]
			return Item{Text: Line{Strong(FirstClean(g.g.Node.Name, g.g.Node.UniqueID)), Words(" — " + g.what +
				p.Tr(fmt.Sprintf(", %d downstream", g.g.Downstream), fmt.Sprintf("、下流 %d", g.g.Downstream)))}}
		}))
	}
	return out
}
