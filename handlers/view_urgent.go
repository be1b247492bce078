package handlers

import (
	"fmt"
	"strings"

	"github.com/todai-dev/todai/queries"
)

// viewUrgency lays out the urgent answer: the urgency and the two axes that decided it, the next step, the facts
// behind it, then what is downstream and the failing tests.
func viewUrgency(p *Printer, a *queries.UrgencyAnswer, res Result) View {
	word := p.UrgencyWord(a.Urgency)
	v := View{Mark: HealthMark(a.Health), Title: p.NodeTitle(a.Node), Node: &a.Node,
		Summary: Line{Words(p.Tr("Urgency: ", "緊急度: ") + word)}}
	v.Blocks = append(v.Blocks, Note{Label: p.Tr("Urgency", "緊急度"), Text: Line{Strong(word), Words(" — " + p.HealthWord(a.Health))}})
	if a.Likelihood != "" {
		v.Blocks = append(v.Blocks, Note{Label: p.Tr("Decided by", "判断"), Text: Line{Words(p.Axes(a))}})
	}
	v.Blocks = append(v.Blocks, p.nextNote(a.Next)...)
	v.Blocks = append(v.Blocks, p.historyNotes(a.History)...)
	var streak Line
	if a.Streak > 0 {
		s := p.Tr(fmt.Sprintf("%d in a row", a.Streak), fmt.Sprintf("%d 回連続", a.Streak))
		if a.FailingSince != nil {
			s += p.Tr(", since ", "、開始 ") + p.WhenPtr(a.FailingSince)
		}
		streak = Line{Words(s)}
	}
	words := make([]string, 0, len(a.Reasons))
	for _, r := range a.Reasons {
		words = append(words, p.Reason(r))
	}
	v.Blocks = append(v.Blocks, Facts{p.idFact(a.Node),
		{Label: p.Tr("Severity", "重大度"), Value: Line{Datum(a.Severity)}},
		{Label: p.Tr("Failure streak", "連続失敗"), Value: streak},
		{Label: p.Tr("Criticality", "重要度"), Value: Line{Datum(a.Criticality)}},
		{Label: p.Tr("Downstream models", "下流モデル"), Value: Line{Words(fmt.Sprint(a.DownstreamCount))}},
		{Label: p.Tr("Because", "理由"), Value: Line{Words(strings.Join(words, p.Tr("; ", "、")))}}})
	v.addChart(p, a.Chart)
	v.Blocks = append(v.Blocks, p.lineageList(p.count("Downstream models", "下流モデル", len(a.DownstreamModels)), a.DownstreamModels)...)
	v.Blocks = append(v.Blocks, p.exposureList("Exposures affected", "影響を受けるエクスポージャー", a.Exposures)...)
	v.Blocks = append(v.Blocks, p.testList("Failing tests", "失敗中のテスト", a.FailingTests)...)
	return v
}

// Axes says why the urgency is what it is: "likely real (failing repeatedly) × hurts a lot (an exposure is
// affected)".
func (p *Printer) Axes(a *queries.UrgencyAnswer) string {
	why := func(i int) string {
		if i < len(a.DecidedBy) {
			return " (" + p.Reason(a.DecidedBy[i]) + ")"
		}
		return ""
	}
	likely := map[string][2]string{"high": {"very likely real", "実害の可能性 高"}, "medium": {"possibly real", "実害の可能性 中"},
		"low": {"not likely real yet", "実害の可能性 低"}}[a.Likelihood]
	hurts := map[string][2]string{"high": {"hurts a lot", "影響 大"}, "medium": {"hurts some", "影響 中"},
		"low": {"hurts little", "影響 小"}}[a.Impact]
	return p.Tr(likely[0], likely[1]) + why(0) + " × " + p.Tr(hurts[0], hurts[1]) + why(1)
}

// NextAction says what to do next, naming the node (or job) to act on.
func (p *Printer) NextAction(n *queries.NextStep) string {
	name := FirstClean(n.Name, n.UniqueID)
	ph, ok := nextActions[string(n.Action)]
	if !ok {
		return Clean(string(n.Action))
	}
	words := p.Tr(ph[0], ph[1])
	if !strings.Contains(words, "%[1]s") {
		return words
	}
	return fmt.Sprintf(words, name)
}

// UrgencyWord names an urgency level in the reader's language.
func (p *Printer) UrgencyWord(u string) string { return p.phrase(urgencyWords, u) }

// Reason names an urgency reason code.
func (p *Printer) Reason(r queries.Reason) string { return p.phrase(reasons, string(r)) }
