package handlers

import (
	"fmt"

	"github.com/todai-dev/todai/queries"
)

// renderFreshness writes the freshness answer as terminal text.
func (p *Printer) renderFreshness(a *queries.FreshnessAnswer) {
	if len(a.Sources) == 0 {
		p.line(p.Tr("No source freshness results recorded.", "ソースの鮮度チェック結果はありません。"))
		return
	}
	p.line(p.Tr(fmt.Sprintf("Source freshness (%d):", len(a.Sources)), fmt.Sprintf("ソースの鮮度（%d 件）:", len(a.Sources))))
	p.list("  ", len(a.Sources), func(i int) string {
		s := p.source(a.Sources[i])
		if a.Sources[i].Error != "" {
			s += "\n      " + Truncate(Clean(a.Sources[i].Error), 200)
		}
		return s
	})
}
