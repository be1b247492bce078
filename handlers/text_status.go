package handlers

import (
	"fmt"

	"github.com/todai-dev/todai/queries"
)

// renderStatus writes the status answer as terminal text.
func (p *Printer) renderStatus(a *queries.StatusAnswer) {
	p.line(p.marker(a.Health) + " " + p.NodeTitle(a.Node) + " — " + p.HealthWord(a.Health))
	if a.Overdue != nil {
		p.line("  [" + p.Tr("OVERDUE", "遅延") + "] " + p.Overdue(a.Overdue))
	}
	p.nodeHeader(a.Node)
	if a.LastRun != nil {
		p.kv("  ", p.Tr("last run", "最終実行"), p.run(*a.LastRun))
		if a.LastRun.Message != nil && !QuietStatus(a.LastRun.Status) {
			p.kv("    ", p.Tr("message", "メッセージ"), Clean(*a.LastRun.Message))
		}
	} else {
		p.kv("  ", p.Tr("last run", "最終実行"), p.Tr("no runs recorded", "実行記録なし"))
	}
	if len(a.Tests) == 0 {
		p.kv("  ", p.Tr("tests", "テスト"), p.Tr("none recorded", "記録なし"))
	} else {
		p.line("  " + p.Tr(fmt.Sprintf("tests (%d):", len(a.Tests)), fmt.Sprintf("テスト（%d 件）:", len(a.Tests))))
		names := StateNames(a.Tests)
		p.list("    ", len(a.Tests), func(i int) string { return p.test(a.Tests[i], names[i]) })
	}
	if len(a.Freshness) > 0 {
		p.line("  " + p.Tr("freshness:", "鮮度:"))
		p.list("    ", len(a.Freshness), func(i int) string { return p.source(a.Freshness[i]) })
	}
}

// HealthWord names a health in the reader's language.
func (p *Printer) HealthWord(h queries.Health) string {
	switch h {
	case queries.HealthError:
		return p.Tr("the last run errored", "最後の実行がエラーでした")
	case queries.HealthFailing:
		return p.Tr("tests are failing", "テストが失敗しています")
	case queries.HealthStale:
		return p.Tr("source data is stale", "ソースデータが古くなっています")
	case queries.HealthWarn:
		return p.Tr("warnings", "警告があります")
	case queries.HealthOK:
		return p.Tr("healthy", "正常です")
	}
	return p.Tr("no runs or results yet", "実行・結果がまだありません")
}
