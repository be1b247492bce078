package handlers

import (
	"strings"

	"github.com/todai-dev/todai/queries"
)

// renderOwner writes the owner answer as terminal text.
func (p *printer) renderOwner(a *queries.OwnerAnswer) {
	p.line(p.nodeTitle(a.Node))
	p.kv("  ", "unique_id", clean(a.Node.UniqueID))
	if len(a.Owners) == 0 {
		p.kv("  ", p.tr("owners", "オーナー"), p.tr("none set (add meta.owner in dbt)", "未設定（dbt の meta.owner で設定できます）"))
	} else {
		p.kv("  ", p.tr("owners", "オーナー"), cleanJoin(a.Owners))
	}
	p.kv("  ", p.tr("team", "チーム"), orDash(clean(a.Team)))
	if a.Group != nil {
		g := clean(a.Group.Name)
		if a.Group.OwnerName != "" || a.Group.OwnerEmail != "" {
			g += " — " + strings.TrimSpace(clean(a.Group.OwnerName)+" "+clean(a.Group.OwnerEmail))
		}
		p.kv("  ", p.tr("group", "グループ"), g)
	}
}
