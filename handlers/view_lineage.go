package handlers

import (
	"github.com/todai-dev/todai/queries"
)

// viewLineage lays out the upstream or downstream answer: the nodes with their health, and downstream the
// exposures.
func viewLineage(p *Printer, a *queries.LineageAnswer, res Result) View {
	down := res.Intent == string(IntentDownstream)
	nodes, title := a.Upstream, p.count("Upstream", "上流", len(a.Upstream))
	if down {
		nodes, title = a.Downstream, p.count("Downstream", "下流", len(a.Downstream))
	}
	v := View{Title: p.NodeTitle(a.Node), Node: &a.Node, Blocks: []Block{Facts{p.idFact(a.Node)}}}
	if len(nodes) == 0 {
		// No mark: nothing up- or downstream has a health to sum up (a mark would say "unknown").
		v.Blocks = append(v.Blocks, Note{Label: title, Text: Line{Words(p.Tr("nothing", "なし"))}})
	} else {
		h := queries.HealthOK
		for _, n := range nodes {
			h = queries.Worse(h, n.Health)
		}
		v.Mark = HealthMark(h)
	}
	v.Blocks = append(v.Blocks, p.lineageList(title, nodes)...)
	if down {
		v.Blocks = append(v.Blocks, p.exposureList("Exposures", "エクスポージャー", a.Exposures)...)
	}
	return v
}
