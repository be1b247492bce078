package handlers

import (
	"fmt"

	"github.com/todai-dev/todai/queries"
)

// renderLineage writes the lineage answer as terminal text.
func (p *Printer) renderLineage(a *queries.LineageAnswer, down bool) {
	nodes := a.Upstream
	title := p.Tr("Upstream of ", "上流: ")
	if down {
		nodes = a.Downstream
		title = p.Tr("Downstream of ", "下流: ")
	}
	p.line(title + p.NodeTitle(a.Node))
	p.kv("  ", "unique_id", Clean(a.Node.UniqueID))
	if len(nodes) == 0 {
		p.line("  " + p.Tr("nothing", "なし"))
	} else {
		p.list("  ", len(nodes), func(i int) string { return p.lineage(nodes[i]) })
	}
	if down && len(a.Exposures) > 0 {
		p.line("  " + p.Tr(fmt.Sprintf("exposures (%d):", len(a.Exposures)), fmt.Sprintf("エクスポージャー（%d 件）:", len(a.Exposures))))
		p.list("    ", len(a.Exposures), func(i int) string { return p.exposure(a.Exposures[i]) })
	}
}
