package handlers

import (
	"fmt"

	"github.com/todai-dev/todai/queries"
)

// renderStatus writes the status answer as terminal text.
func (p *printer) renderStatus(a *queries.StatusAnswer) {
	p.line(p.marker(a.Health) + " " + p.nodeTitle(a.Node) + " — " + p.healthWord(a.Health))
	if a.Overdue != nil {
		p.line("  [" + p.tr("OVERDUE", "遅延") + "] " + p.overdue(a.Overdue))
	}
	p.nodeHeader(a.Node)
	if a.LastRun != nil {
		p.kv("  ", p.tr("last run", "最終実行"), p.run(*a.LastRun))
		if a.LastRun.Message != nil && !quiet(a.LastRun.Status) {
			p.kv("    ", p.tr("message", "メッセージ"), clean(*a.LastRun.Message))
		}
	} else {
		p.kv("  ", p.tr("last run", "最終実行"), p.tr("no runs recorded", "実行記録なし"))
	}
	if len(a.Tests) == 0 {
		p.kv("  ", p.tr("tests", "テスト"), p.tr("none recorded", "記録なし"))
	} else {
		p.line("  " + p.tr(fmt.Sprintf("tests (%d):", len(a.Tests)), fmt.Sprintf("テスト（%d 件）:", len(a.Tests))))
		names := stateNames(a.Tests)
		p.list("    ", len(a.Tests), func(i int) string { return p.test(a.Tests[i], names[i]) })
	}
	if len(a.Freshness) > 0 {
		p.line("  " + p.tr("freshness:", "鮮度:"))
		p.list("    ", len(a.Freshness), func(i int) string { return p.source(a.Freshness[i]) })
	}
}

func (p *printer) healthWord(h queries.Health) string {
	switch h {
	case queries.HealthError:
		return p.tr("the last run errored", "最後の実行がエラーでした")
	case queries.HealthFailing:
		return p.tr("tests are failing", "テストが失敗しています")
	case queries.HealthStale:
		return p.tr("source data is stale", "ソースデータが古くなっています")
	case queries.HealthWarn:
		return p.tr("warnings", "警告があります")
	case queries.HealthOK:
		return p.tr("healthy", "正常です")
	}
	return p.tr("no runs or results yet", "実行・結果がまだありません")
}
