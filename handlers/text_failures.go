package handlers

import (
	"fmt"
	"strings"

	"github.com/todai-dev/todai/queries"
)

// renderFailures writes the failures answer as terminal text.
func (p *printer) renderFailures(a *queries.FailuresAnswer) {
	scope := clean(a.Scope)
	if scope == "" {
		scope = p.tr("all nodes", "全ノード")
	}
	since := p.when(a.Since)
	if len(a.Failures) == 0 {
		p.line(p.tr("No test failures since "+since+" ("+scope+").", since+" 以降、テストの失敗はありません（"+scope+"）。"))
		return
	}
	p.line(p.tr(fmt.Sprintf("%d failing tests since %s (%s):", len(a.Failures), since, scope),
		fmt.Sprintf("%s 以降に失敗したテスト %d 件（%s）:", since, len(a.Failures), scope)))
	names := failureNames(a.Failures)
	p.list("  ", len(a.Failures), func(i int) string {
		f := a.Failures[i]
		s := p.statusMark(f.Status) + " " + names[i]
		if f.ModelUniqueID != "" {
			s += p.tr(" on ", " 対象 ") + clean(f.ModelUniqueID)
		}
		if f.Column != "" {
			s += p.tr(", column ", "、カラム ") + clean(f.Column)
		}
		s += " — " + p.whenPtr(f.DetectedAt)
		if f.Count > 1 {
			s += p.tr(fmt.Sprintf(", %d times", f.Count), fmt.Sprintf("、%d 回", f.Count))
		}
		if f.Failures != nil {
			s += p.tr(", ", "、") + p.failingRows(*f.Failures)
		}
		if f.LatestStatus != "" && !strings.EqualFold(f.LatestStatus, f.Status) {
			s += p.tr(", now ", "、現在 ") + p.statusMark(f.LatestStatus)
		}
		return s
	})
}
