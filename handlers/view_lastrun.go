package handlers

import (
	"fmt"

	"github.com/todai-dev/todai/queries"
)

// viewLastRun lays out the last-run answer: the latest runs with their messages, or the last successful build.
func viewLastRun(p *Printer, a *queries.LastRunAnswer, res Result) View {
	h := queries.HealthUnknown
	if len(a.Runs) > 0 {
		h = a.Runs[0].Health()
	}
	v := View{Mark: HealthMark(h), Title: p.NodeTitle(a.Node), Node: &a.Node,
		Blocks: []Block{Facts{p.idFact(a.Node)}}}
	note := func(l Line) {
		v.Summary = l
		v.Blocks = append(v.Blocks, Note{Text: l})
	}
	switch {
	case a.SuccessfulOnly && len(a.Runs) == 0:
		note(Line{Words(p.Tr("No successful build recorded.", "成功したビルドの記録はありません。"))})
	case a.SuccessfulOnly:
		note(append(Line{Words(p.Tr("Last successful build: ", "最後に成功したビルド: "))}, p.runLine(a.Runs[0])...))
	case len(a.Runs) == 0:
		note(Line{Words(p.Tr("No runs recorded.", "実行記録はありません。"))})
	default:
		v.Summary = p.runLine(a.Runs[0])
		n := len(a.Runs)
		item := func(i int) Item {
			r := a.Runs[i]
			return p.runItem(r)
		}
		v.Blocks = append(v.Blocks, listOf(p.Tr(fmt.Sprintf("Last %d runs, newest first", len(a.Runs)),
			fmt.Sprintf("直近 %d 回の実行（新しい順）", len(a.Runs))), n, item))
	}
	v.addChart(p, a.Chart)
	return v
}
