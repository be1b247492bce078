package handlers

import (
	"strings"

	"github.com/todai-dev/todai/queries"
)

// viewFreshness lays out the freshness answer: each source's latest check, the worst first in the mark; asked of a
// model ("is X up to date?"), how current its data is comes first and marks the answer.
func viewFreshness(p *Printer, a *queries.FreshnessAnswer, res Result) View {
	if a.Node != nil && a.Data != nil {
		return viewUpToDate(p, a)
	}
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

// viewUpToDate answers "is NODE up to date?": whether its data is current, where it stops and why, then the sources
// it reads.
func viewUpToDate(p *Printer, a *queries.FreshnessAnswer) View {
	d := a.Data
	v := View{Mark: p.dataMark(d.Verdict), Title: p.NodeTitle(*a.Node), Node: a.Node,
		Subtitle: p.phrase(dataUpToDate, string(d.Verdict))}
	v.Summary = Line{Words(upperFirst(v.Subtitle))}
	if d.AsOf != nil {
		v.Summary = append(append(v.Summary, Words(": ")), p.DataStops(d)...)
	}
	l := Line{Words(v.Subtitle)}
	switch {
	case d.AsOf != nil:
		l = append(append(l, Words(p.Tr(": ", "。"))), p.DataStops(d)...)
	case d.LimitedBy != nil:
		l = append(l, Words(p.Tr(": ", "。")), Datum(d.LimitedBy.Name), Words(p.limitWords(d.LimitedBy.Kind)))
	}
	v.Blocks = []Block{Note{Label: p.Tr("Data", "データ"), Text: l}, Facts{p.idFact(*a.Node)}}
	if len(d.Chain) > 1 {
		names := make([]string, len(d.Chain))
		for i, id := range d.Chain {
			names[i] = chainName(id)
		}
		v.Blocks = append(v.Blocks, Note{Label: p.Tr("Through", "経路"), Text: Line{Datum(strings.Join(names, " → "))}})
	}
	if len(a.Sources) > 0 {
		v.Blocks = append(v.Blocks, listOf(p.count("Sources it reads", "読んでいるソース", len(a.Sources)), len(a.Sources),
			func(i int) Item { return p.sourceItem(a.Sources[i]) }))
	}
	return v
}

// dataMark marks how current data is as a health: fresh ok, stale stale, unknown unknown.
func (p *Printer) dataMark(v queries.DataVerdict) Span {
	switch v {
	case queries.DataFresh:
		return HealthMark(queries.HealthOK)
	case queries.DataStale:
		return HealthMark(queries.HealthStale)
	}
	return HealthMark(queries.HealthUnknown)
}

// chainName names a node of a chain by its unique_id: a source as source_name.table, another node by its name.
func chainName(id string) string {
	if parts := strings.Split(id, "."); len(parts) >= 4 && parts[0] == "source" {
		return parts[len(parts)-2] + "." + parts[len(parts)-1]
	}
	return queries.NameOf(id)
}
