package handlers

import (
	"fmt"
	"strconv"

	"github.com/todai-dev/todai/queries"
	"github.com/todai-dev/todai/queries/quantity"
)

// viewTests lays out the tests answer: each test's latest result and its pass rate over the window.
func viewTests(p *Printer, a *queries.TestsAnswer, res Result) View {
	v := View{Mark: IconMark(IconTests), Title: p.NodeTitle(a.Node), Node: &a.Node,
		Blocks: []Block{append(Facts{p.idFact(a.Node)}, p.ownerFacts(a.Node)...)}}
	if len(a.Tests) == 0 {
		v.Summary = Line{Words(p.Tr("No tests on it.", "テストはありません。"))}
		v.Blocks = append(v.Blocks, Note{Text: v.Summary})
		return v
	}
	failing := 0
	for _, t := range a.Tests {
		if t.Status == "fail" || t.Status == "error" {
			failing++
		}
	}
	v.Summary = Line{Words(p.Tr(quantity.Plural(len(a.Tests), "test", "tests")+", "+strconv.Itoa(failing)+" failing",
		fmt.Sprintf("テスト %d 件、うち失敗 %d 件", len(a.Tests), failing)))}
	test := p.testItem(states(a.Tests))
	v.Blocks = append(v.Blocks, listOf(p.count(fmt.Sprintf("Tests, pass rate over %d days", a.WindowDays),
		fmt.Sprintf("テストと %d 日間の合格率", a.WindowDays), len(a.Tests)), len(a.Tests), func(i int) Item {
		it := test(i)
		it.Text = append(it.Text, Words(" · "+p.PassRate(a.Tests[i])))
		return it
	}))
	v.addChart(p, a.Chart)
	return v
}

// PassRate is a test's pass rate in the window: "92% of 13 runs", "no runs".
func (p *Printer) PassRate(t queries.TestRecord) string {
	if t.PassRate == nil {
		return p.Tr("no runs", "実行なし")
	}
	return p.Tr(fmt.Sprintf("%.0f%% of %d runs", *t.PassRate*100, t.Runs), fmt.Sprintf("%d 回中 %.0f%%", t.Runs, *t.PassRate*100))
}

// states are the tests' latest results, for naming them apart.
func states(ts []queries.TestRecord) []queries.TestState {
	out := make([]queries.TestState, len(ts))
	for i, t := range ts {
		out[i] = t.TestState
	}
	return out
}
