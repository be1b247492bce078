package handlers

import (
	"fmt"

	"github.com/todai-dev/todai/queries"
)

// renderDescribe writes the describe answer as terminal text.
func (p *Printer) renderDescribe(a *queries.DescribeAnswer) {
	p.line(p.NodeTitle(a.Node))
	p.nodeHeader(a.Node)
	desc := Clean(a.Description)
	if desc == "" {
		desc = p.Tr("(no description)", "（説明なし）")
	}
	p.kv("  ", p.Tr("description", "説明"), Truncate(desc, maxFieldRunes))
	if a.Test != nil {
		p.kv("  ", p.Tr("checks", "検査内容"), p.TestWhat(a.Test))
	}
	p.kv("  ", p.Tr("relation", "リレーション"), Clean(a.Relation))
	p.kv("  ", p.Tr("materialized", "マテリアライズ"), Clean(a.Materialization))
	p.kv("  ", p.Tr("path", "パス"), Clean(a.Path))
	p.kv("  ", p.Tr("group", "グループ"), Clean(a.Group))
	if len(a.Tags) > 0 {
		p.kv("  ", p.Tr("tags", "タグ"), CleanJoin(a.Tags))
	}
	if len(a.Columns) > 0 {
		p.line("  " + p.Tr(fmt.Sprintf("columns (%d):", len(a.Columns)), fmt.Sprintf("カラム（%d 件）:", len(a.Columns))))
		p.list("    ", len(a.Columns), func(i int) string {
			c := a.Columns[i]
			s := Clean(c.Name)
			if c.DataType != "" {
				s += " " + Clean(c.DataType)
			}
			if c.Description != "" {
				s += " — " + Truncate(Clean(c.Description), 120)
			}
			return s
		})
	}
	if len(a.Exposures) > 0 {
		p.line("  " + p.Tr(fmt.Sprintf("exposures (%d):", len(a.Exposures)), fmt.Sprintf("エクスポージャー（%d 件）:", len(a.Exposures))))
		p.list("    ", len(a.Exposures), func(i int) string { return p.exposure(a.Exposures[i]) })
	}
}
