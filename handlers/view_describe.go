package handlers

import (
	"github.com/todai-dev/todai/queries"
)

// viewDescribe lays out the describe answer: the description, where the node lives, its columns and exposures.
func viewDescribe(p *Printer, a *queries.DescribeAnswer, res Result) View {
	desc := Line{Datum(a.Description)}
	desc[0].Max = 1500
	if Clean(a.Description) == "" {
		desc = Line{Words(p.Tr("(no description)", "（説明なし）"))}
	}
	summary := Line{Datum(a.Description)}
	summary[0].Max = 300
	if Clean(a.Description) == "" {
		summary = desc
	}
	facts := append(Facts{p.idFact(a.Node)}, p.ownerFacts(a.Node)...)
	if a.Test != nil {
		facts = append(facts, Fact{Label: p.Tr("Checks", "検査内容"), Value: Line{Words(p.TestWhat(a.Test))}})
	}
	facts = append(facts,
		Fact{Label: p.Tr("Relation", "リレーション"), Value: Line{Code(a.Relation)}},
		Fact{Label: p.Tr("Materialized", "マテリアライズ"), Value: Line{Datum(a.Materialization)}},
		Fact{Label: p.Tr("Path", "パス"), Value: Line{Code(a.Path)}},
		Fact{Label: p.Tr("Group", "グループ"), Value: Line{Datum(a.Group)}},
		Fact{Label: p.Tr("Tags", "タグ"), Value: Line{Datum(CleanJoin(a.Tags))}})
	v := View{Mark: IconMark(IconDescribe), Title: p.NodeTitle(a.Node), Node: &a.Node, Summary: summary,
		Blocks: []Block{Note{Text: desc}, facts}}
	if len(a.Columns) > 0 {
		n := len(a.Columns)
		item := func(i int) Item {
			c := a.Columns[i]
			l := Line{Code(c.Name)}
			if c.DataType != "" {
				l = append(l, Words(" "), Datum(c.DataType))
			}
			if c.Description != "" {
				d := Datum(c.Description)
				d.Max = 120
				l = append(l, Words(" — "), d)
			}
			return Item{Text: l}
		}
		v.Blocks = append(v.Blocks, listOf(p.count("Columns", "カラム", len(a.Columns)), n, item))
	}
	v.Blocks = append(v.Blocks, p.exposureList("Exposures", "エクスポージャー", a.Exposures)...)
	return v
}
