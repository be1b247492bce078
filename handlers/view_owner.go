package handlers

import (
	"strings"

	"github.com/todai-dev/todai/queries"
)

// viewOwner lays out the owner answer: the owners, the team and the dbt group with its owner.
func viewOwner(p *Printer, a *queries.OwnerAnswer, res Result) View {
	owners := Owners(a.Owners)
	if len(owners) == 0 {
		owners = Line{Words(p.Tr("none set (add meta.owner in dbt)", "未設定（dbt の meta.owner で設定できます）"))}
	}
	facts := Facts{p.idFact(a.Node), {Label: p.Tr("Owners", "オーナー"), Value: owners},
		{Label: p.Tr("Team", "チーム"), Value: Line{Datum(OrDash(Clean(a.Team)))}}}
	if a.Group != nil {
		g := Line{Datum(a.Group.Name)}
		if a.Group.OwnerName != "" || a.Group.OwnerEmail != "" {
			g = append(g, Words(" — "),
				Owner(strings.TrimSpace(Clean(a.Group.OwnerName)+" "+Clean(a.Group.OwnerEmail)), a.Group.OwnerEmail))
		}
		facts = append(facts, Fact{Label: p.Tr("Group", "グループ"), Value: g})
	}
	return View{Mark: IconMark(IconOwner), Title: p.NodeTitle(a.Node), Node: &a.Node, Summary: owners,
		Blocks: []Block{facts}}
}
