package handlers

import (
	"fmt"

	"github.com/todai-dev/todai/queries"
)

// renderTests writes the tests answer as terminal text: each test's latest result and its pass rate.
func (p *Printer) renderTests(a *queries.TestsAnswer) {
	p.line(p.NodeTitle(a.Node))
	p.nodeHeader(a.Node)
	if len(a.Tests) == 0 {
		p.line(p.Tr("  no tests on it", "  テストはありません"))
		return
	}
	p.line(fmt.Sprintf(p.Tr("  tests (%d), pass rate over %d days:", "  テスト（%d 件）、%d 日間の合格率:"), len(a.Tests), a.WindowDays))
	names := StateNames(states(a.Tests))
	p.list("    ", len(a.Tests), func(i int) string { return p.test(a.Tests[i].TestState, names[i]) + " · " + p.PassRate(a.Tests[i]) })
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
