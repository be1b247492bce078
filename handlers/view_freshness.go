package handlers

import (
	"github.com/todai-dev/todai/queries"
)

// viewFreshness lays out the freshness answer: each source's latest check, the worst first in the mark.
func viewFreshness(p *Printer, a *queries.FreshnessAnswer, res Result) View {
	h := queries.HealthUnknown
	for i, s := range a.Sources {
		if i == 0 {
			h = s.Health()
		}
		h = queries.Worse(h, s.Health())
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
	v.Blocks = []Block{listOf(p.count("Sources", "ソース", len(a.Sources)), len(a.Sources),
		func(i int) Item { return p.sourceItem(a.Sources[i]) })}
	return v
}
