package handlers

import (
	"fmt"

	"github.com/todai-dev/todai/queries"
)

// renderDescribe writes the describe answer as terminal text.
func (p *printer) renderDescribe(a *queries.DescribeAnswer) {
	p.line(p.nodeTitle(a.Node))
	p.nodeHeader(a.Node)
	desc := clean(a.Description)
	if desc == "" {
		desc = p.tr("(no description)", "（説明なし）")
	}
	p.kv("  ", p.tr("description", "説明"), Truncate(desc, maxFieldRunes))
	if a.Test != nil {
		p.kv("  ", p.tr("checks", "検査内容"), p.testWhat(a.Test))
	}
	p.kv("  ", p.tr("relation", "リレーション"), clean(a.Relation))
	p.kv("  ", p.tr("materialized", "マテリアライズ"), clean(a.Materialization))
	p.kv("  ", p.tr("path", "パス"), clean(a.Path))
	p.kv("  ", p.tr("group", "グループ"), clean(a.Group))
	if len(a.Tags) > 0 {
		p.kv("  ", p.tr("tags", "タグ"), cleanJoin(a.Tags))
	}
	if len(a.Columns) > 0 {
		p.line("  " + p.tr(fmt.Sprintf("columns (%d):", len(a.Columns)), fmt.Sprintf("カラム（%d 件）:", len(a.Columns))))
		p.list("    ", len(a.Columns), func(i int) string {
			c := a.Columns[i]
			s := clean(c.Name)
			if c.DataType != "" {
				s += " " + clean(c.DataType)
			}
			if c.Description != "" {
				s += " — " + Truncate(clean(c.Description), 120)
			}
			return s
		})
	}
	if len(a.Exposures) > 0 {
		p.line("  " + p.tr(fmt.Sprintf("exposures (%d):", len(a.Exposures)), fmt.Sprintf("エクスポージャー（%d 件）:", len(a.Exposures))))
		p.list("    ", len(a.Exposures), func(i int) string { return p.exposure(a.Exposures[i]) })
	}
}
