package handlers

import (
	"fmt"
	"strings"

	"github.com/todai-dev/todai/queries"
	"github.com/todai-dev/todai/queries/quantity"
)

// viewFailures lays out the failures answer: the tests that failed in the window, with their owners.
func viewFailures(p *Printer, a *queries.FailuresAnswer, res Result) View {
	scope := Clean(a.Scope)
	if scope == "" {
		scope = p.Tr("all nodes", "全ノード")
	}
	v := View{Mark: HealthMark(queries.HealthOK), Title: scope}
	if a.Scope != "" && !strings.HasPrefix(a.Scope, "team:") {
		v.Node = &queries.Node{UniqueID: a.Scope, ResourceType: strings.SplitN(a.Scope, ".", 2)[0]}
	}
	since := p.When(a.Since)
	if len(a.Failures) == 0 {
		v.Summary = Line{Words(p.Tr("No test failures since "+since+".", since+" 以降、テストの失敗はありません。"))}
		v.Blocks = []Block{Note{Text: v.Summary}}
		return v
	}
	v.Mark = HealthMark(queries.HealthFailing)
	v.Summary = Line{Words(p.Tr(quantity.Plural(len(a.Failures), "failing test", "failing tests")+" since "+since+".",
		fmt.Sprintf("%s 以降に失敗したテスト %d 件。", since, len(a.Failures))))}
	names := FailureNames(a.Failures)
	n := len(a.Failures)
	item := func(i int) Item {
		f := a.Failures[i]
		l := Line{Status(f.Status), Words(" "), Strong(names[i])}
		if f.ModelUniqueID != "" {
			l = append(l, Words(p.Tr(" on ", " 対象 ")), Code(f.ModelUniqueID))
		}
		if f.Column != "" {
			l = append(l, Words(p.Tr(", column ", "、カラム ")), Code(f.Column))
		}
		l = append(l, Words(" — "+p.WhenPtr(f.DetectedAt)))
		if f.Count > 1 {
			l = append(l, Words(p.Tr(fmt.Sprintf(", %d times", f.Count), fmt.Sprintf("、%d 回", f.Count))))
		}
		if f.Failures != nil {
			l = append(l, Words(p.Tr(", ", "、")+p.FailingRows(*f.Failures)))
		}
		if f.LatestStatus != "" && !strings.EqualFold(f.LatestStatus, f.Status) {
			l = append(l, Words(p.Tr(", now ", "、現在 ")), Status(f.LatestStatus))
		}
		if owners := Owners(f.Owners); len(owners) > 0 {
			l = append(append(l, Words(p.Tr(" — owners ", " — オーナー "))), owners...)
		}
		return Item{Text: l}
	}
	v.Blocks = []Block{listOf(p.Tr(quantity.Plural(len(a.Failures), "failing test", "failing tests")+" since "+since,
		fmt.Sprintf("%s 以降に失敗したテスト %d 件", since, len(a.Failures))), n, item)}
	return v
}
