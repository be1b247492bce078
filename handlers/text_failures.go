package handlers

import (
	"fmt"
	"strings"

	"github.com/todai-dev/todai/queries"
)

// renderFailures writes the failures answer as terminal text.
func (p *Printer) renderFailures(a *queries.FailuresAnswer) {
	scope := Clean(a.Scope)
	if scope == "" {
		scope = p.Tr("all nodes", "全ノード")
	}
	since := p.When(a.Since)
	if len(a.Failures) == 0 {
		p.line(p.Tr("No test failures since "+since+" ("+scope+").", since+" 以降、テストの失敗はありません（"+scope+"）。"))
		return
	}
	p.line(p.Tr(fmt.Sprintf("%d failing tests since %s (%s):", len(a.Failures), since, scope),
		fmt.Sprintf("%s 以降に失敗したテスト %d 件（%s）:", since, len(a.Failures), scope)))
	names := FailureNames(a.Failures)
	p.list("  ", len(a.Failures), func(i int) string {
		f := a.Failures[i]
		s := p.statusMark(f.Status) + " " + names[i]
		if f.ModelUniqueID != "" {
			s += p.Tr(" on ", " 対象 ") + Clean(f.ModelUniqueID)
		}
		if f.Column != "" {
			s += p.Tr(", column ", "、カラム ") + Clean(f.Column)
		}
		s += " — " + p.WhenPtr(f.DetectedAt)
		if f.Count > 1 {
			s += p.Tr(fmt.Sprintf(", %d times", f.Count), fmt.Sprintf("、%d 回", f.Count))
		}
		if f.Failures != nil {
			s += p.Tr(", ", "、") + p.FailingRows(*f.Failures)
		}
		if f.LatestStatus != "" && !strings.EqualFold(f.LatestStatus, f.Status) {
			s += p.Tr(", now ", "、現在 ") + p.statusMark(f.LatestStatus)
		}
		return s
	})
}
