package handlers

import (
	"fmt"

	"github.com/todai-dev/todai/queries"
)

// renderLastRun writes the lastrun answer as terminal text.
func (p *Printer) renderLastRun(a *queries.LastRunAnswer) {
	if a.SuccessfulOnly {
		p.line(p.NodeTitle(a.Node) + p.Tr(" — last successful build", " — 最後に成功したビルド"))
		p.kv("  ", "unique_id", Clean(a.Node.UniqueID))
		if len(a.Runs) == 0 {
			p.line("  " + p.Tr("No successful build recorded.", "成功したビルドの記録はありません。"))
			return
		}
		p.line("  " + p.Tr("updated ", "更新: ") + p.run(a.Runs[0]))
		return
	}
	p.line(p.NodeTitle(a.Node) + p.Tr(fmt.Sprintf(" — last %d runs, newest first", len(a.Runs)),
		fmt.Sprintf(" — 直近 %d 回の実行（新しい順）", len(a.Runs))))
	p.kv("  ", "unique_id", Clean(a.Node.UniqueID))
	if len(a.Runs) == 0 {
		p.line("  " + p.Tr("No runs recorded.", "実行記録はありません。"))
		return
	}
	p.list("  ", len(a.Runs), func(i int) string {
		s := p.run(a.Runs[i])
		if a.Runs[i].Message != nil && !QuietStatus(a.Runs[i].Status) {
			s += "\n      " + Truncate(Clean(*a.Runs[i].Message), 200)
		}
		return s
	})
}
