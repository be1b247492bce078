package handlers

import (
	"github.com/todai-dev/todai/queries"
)

// viewFreshness lays out the freshness answer: each source's latest check, the worst first in the mark.
func viewFreshness(p *Printer, a *queries.FreshnessAnswer, res Result) View {
	h := queries.HealthUnknown
	items := make([]Item, len(a.Sources))
	for i, s := range a.Sources {
		sh := s.Health()
		if i == 0 {
			h = sh
		}
		h = queries.Worse(h, sh)
		items[i] = p.sourceItem(s)
	}
	v := View{Mark: HealthMark(h)}
	if len(a.Sources) == 1 {
		v.Node = &queries.Node{UniqueID: a.Sources[0].UniqueID, Name: a.Sources[0].Name, ResourceType: "source"}
	}
	if len(a.Sources) == 0 {
		v.Summary = Line{Words(p.Tr("No source freshness results recorded.", "ソースの鮮度チェック結果はありません。"))}
		v.Blocks = []Block{Note{Text: v.Summary}}
		return v
	}
	v.Blocks = []Block{List{Title: p.count("Sources", "ソース", len(a.Sources)), Items: items}}
	return v
}
