package handlers

import (
	"strings"

	"github.com/todai-dev/todai/queries"
)

// viewWhy lays out the why answer: health and overdue build, the last success, the skip chain, what changed, the
// next step, the causes by evidence, then the failed runs and failing tests behind them.
func viewWhy(p *Printer, a *queries.WhyAnswer, res Result) View {
	s := nodeState{node: a.Node, health: a.Health, overdue: a.Overdue, pipeline: a.Pipeline, data: a.Data}
	if a.LastSuccess != nil {
		s.built = a.LastSuccess.CompletedAt
	}
	v := p.healthView(s)
	last := Line{Words(p.Tr("none recorded", "記録なし"))}
	if a.LastSuccess != nil {
		last = Line{Words(p.WhenPtr(a.LastSuccess.CompletedAt))}
	}
	v.Blocks = append(v.Blocks, Facts{p.idFact(a.Node), {Label: p.Tr("Last success", "最後の成功"), Value: last}})
	v.addChart(p, a.Chart)
	if len(a.Chain) > 0 {
		v.Blocks = append(v.Blocks, Note{Label: p.Tr("Chain", "経路"), Text: Line{Words(p.Chain(a.Chain))}})
	}
	if len(a.Changes) > 0 {
		n := len(a.Changes)
		item := func(i int) Item {
			c := a.Changes[i]
			l := Line{Words(p.Change(c))}
			if c.CompareURL != "" {
				l = append(l, Words(" · "), Link(c.CompareURL, p.Tr("compare", "比較")))
			}
			return Item{Text: l}
		}
		v.Blocks = append(v.Blocks, listOf(p.Tr("Changed since its last success", "最後の成功以降の変更"), n, item))
	}
	v.Blocks = append(v.Blocks, p.nextNote(a.Next)...)
	v.Blocks = append(v.Blocks, p.historyNotes(a.History)...)
	if len(a.LikelyCauses) == 0 {
		v.Blocks = append(v.Blocks, Note{Text: Line{Words(p.Tr("No cause found in the mirrored data.",
			"ミラーされたデータからは原因が見つかりませんでした。"))}})
	} else {
		n := len(a.LikelyCauses)
		item := func(i int) Item {
			c := a.LikelyCauses[i]
			l := Line{Words(p.CauseKind(c.Kind) + ": "), Strong(FirstClean(c.Name, c.UniqueID))}
			if c.Detail != nil {
				l = append(append(l, Words(" — ")), p.causeDetail(c)...)
			}
			if c.LoadedAt != nil {
				l = append(l, Words(p.Tr(", last loaded ", "、最終ロード ")+p.When(*c.LoadedAt)))
			}
			if c.Since != nil {
				l = append(l, Words(p.Tr(", since ", "、開始 ")+p.When(*c.Since)))
			}
			if c.Confidence != "" {
				l = append(l, Words(" ("+p.Confidence(c.Confidence)+")"))
			}
			return Item{Text: l}
		}
		v.Blocks = append(v.Blocks, listOf(p.Tr("Causes, most probable first", "原因（可能性の高い順）"), n, item))
	}
	if len(a.FailedSince) > 0 {
		n := len(a.FailedSince)
		item := func(i int) Item {
			r := a.FailedSince[i]
			it := Item{Text: p.runLine(r)}
			if r.Message != nil {
				it.Detail = Line{Quote(*r.Message, messageRunes)}
			}
			return it
		}
		v.Blocks = append(v.Blocks, listOf(p.count("Failed runs since", "それ以降の失敗した実行", len(a.FailedSince)), n, item))
	}
	v.Blocks = append(v.Blocks, p.testList("Failing tests", "失敗中のテスト", a.FailingTests)...)
	return v
}

// Change renders what changed: "its SQL changed (abc1234 → def5678), 40 min before … in job nightly at commit
// def5678, PR #42".
func (p *Printer) Change(c queries.Change) string {
	s := p.phrase(changeKinds, c.Kind)
	if c.Kind != "full_refresh" && c.Detail != "" {
		s += " (" + Clean(c.Detail) + ")"
	}
	if c.At != nil {
		s += ", " + p.WhenPtr(c.At)
	}
	var ctx []string
	if c.JobName != "" {
		ctx = append(ctx, p.Tr("job ", "ジョブ ")+Clean(c.JobName))
	}
	if c.GitSHA != "" {
		ctx = append(ctx, p.Tr("commit ", "コミット ")+Clean(c.GitSHA))
	}
	if c.PullRequestID != "" {
		ctx = append(ctx, "PR #"+Clean(c.PullRequestID))
	}
	if len(ctx) > 0 {
		s += p.Tr(", first failing run: ", "、最初の失敗: ") + strings.Join(ctx, ", ")
	}
	return s
}

// Chain renders a skip chain: "stg_payments ✗ error → int_payments ⏭ skipped → fct_orders ⏭ skipped".
func (p *Printer) Chain(links []queries.ChainLink) string {
	parts := make([]string, len(links))
	for i, l := range links {
		parts[i] = FirstClean(l.Name, l.UniqueID) + " (" + p.chainStatus(l.Status) + ")"
	}
	return strings.Join(parts, " → ")
}

func (p *Printer) chainStatus(s string) string { return p.phrase(chainStatuses, s) }

// Confidence names how strongly the rows prove a cause.
func (p *Printer) Confidence(c string) string { return p.phrase(confidences, c) }

// CauseKind names a kind of cause.
func (p *Printer) CauseKind(k queries.CauseKind) string { return p.phrase(causeKinds, string(k)) }

// causeDetail is a cause's evidence: a stale source's freshness status and a changed definition's kind said in the
// reader's language, then the data behind them; any other detail is data.
func (p *Printer) causeDetail(c queries.Cause) Line {
	code, data, ok := c.Evidence()
	table := changeKinds
	if c.Kind == queries.CauseStaleSource {
		table = freshnessFailures
	}
	if _, known := table[code]; !ok || !known {
		return Line{{Kind: SpanDatum, Text: *c.Detail, Max: messageRunes}}
	}
	l := Line{Words(p.phrase(table, code))}
	if data != "" {
		l = append(l, Words(": "), Span{Kind: SpanDatum, Text: data, Max: messageRunes})
	}
	return l
}
