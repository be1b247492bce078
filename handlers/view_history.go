package handlers

import (
	"fmt"
	"strings"

	"github.com/todai-dev/todai/queries"
)

// IncidentHistory says how a test's or node's incidents ended lately, without its name: "resolved as false
// positive 3 times and as expected once since Nov 10 — Elementary's own settings can quiet it: …", "reopened:
// incident #12 was resolved as fixed less than a day before". "" when there is nothing to say.
func (p *Printer) IncidentHistory(h queries.IncidentHistory) string {
	var parts []string
	if h.Flagged() {
		var how []string
		times := func(n int) string {
			if n == 1 {
				return p.Tr("once", "1 回")
			}
			return p.Tr(fmt.Sprintf("%d times", n), fmt.Sprintf("%d 回", n))
		}
		if h.FalsePositive > 0 {
			how = append(how, p.Tr("as false positive "+times(h.FalsePositive), "誤検知として "+times(h.FalsePositive)))
		}
		if h.Expected > 0 {
			how = append(how, p.Tr("as expected "+times(h.Expected), "想定どおりとして "+times(h.Expected)))
		}
		parts = append(parts, p.Tr("resolved "+strings.Join(how, " and ")+" since "+p.When(h.Since)+
			" — less likely real; Elementary's own settings can quiet it: anomaly_sensitivity or ignore_small_changes on an anomaly test, severity: warn on any test",
			p.When(h.Since)+" 以降、"+strings.Join(how, "、")+"解決されています — 実害の可能性は低めです。Elementary の設定で抑えられます: 異常検知テストなら anomaly_sensitivity や ignore_small_changes、どのテストでも severity: warn"))
	}
	if h.Reopens != 0 {
		parts = append(parts, p.Tr(fmt.Sprintf("reopened: incident #%d was resolved as fixed less than a day before, and the fix did not hold", h.Reopens),
			fmt.Sprintf("再発: インシデント #%d は 1 日以内に修正済みとして解決されましたが、修正が効いていません", h.Reopens)))
	}
	return strings.Join(parts, p.Tr("; ", "。"))
}

// historyNotes say, for each test or node whose incidents people dismissed often or whose fix did not hold, how
// they ended.
func (p *Printer) historyNotes(hist []queries.IncidentHistory) []Block {
	var out []Block
	for _, h := range hist {
		if text := p.IncidentHistory(h); text != "" {
			out = append(out, Note{Label: p.Tr("Resolved before", "過去の解決"),
				Text: Line{Datum(queries.NameOf(h.UniqueID)), Words(p.Tr(": ", ": ") + text)}})
		}
	}
	return out
}
