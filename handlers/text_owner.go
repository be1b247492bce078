package handlers

import (
	"strings"

	"github.com/todai-dev/todai/queries"
)

// renderOwner writes the owner answer as terminal text.
func (p *Printer) renderOwner(a *queries.OwnerAnswer) {
	p.line(p.NodeTitle(a.Node))
	p.kv("  ", "unique_id", Clean(a.Node.UniqueID))
	if len(a.Owners) == 0 {
		p.kv("  ", p.Tr("owners", "オーナー"), p.Tr("none set (add meta.owner in dbt)", "未設定（dbt の meta.owner で設定できます）"))
	} else {
		p.kv("  ", p.Tr("owners", "オーナー"), CleanJoin(a.Owners))
	}
	p.kv("  ", p.Tr("team", "チーム"), OrDash(Clean(a.Team)))
	if a.Group != nil {
		g := Clean(a.Group.Name)
		if a.Group.OwnerName != "" || a.Group.OwnerEmail != "" {
			g += " — " + strings.TrimSpace(Clean(a.Group.OwnerName)+" "+Clean(a.Group.OwnerEmail))
		}
		p.kv("  ", p.Tr("group", "グループ"), g)
	}
}
