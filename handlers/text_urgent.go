package handlers

import (
	"fmt"
	"strings"

	"github.com/todai-dev/todai/queries"
)

// renderUrgency writes the urgent answer as terminal text.
func (p *Printer) renderUrgency(a *queries.UrgencyAnswer) {
	p.line(p.Tr("Urgency ", "緊急度 ") + p.UrgencyWord(a.Urgency) + " — " + p.marker(a.Health) + " " + p.NodeTitle(a.Node))
	p.kv("  ", "unique_id", Clean(a.Node.UniqueID))
	if a.Likelihood != "" {
		p.kv("  ", p.Tr("decided by", "判断"), p.Axes(a))
	}
	if a.Next != nil {
		p.kv("  ", p.Tr("next", "次の一手"), p.nextStep(a.Next))
	}
	p.kv("  ", p.Tr("severity", "重大度"), Clean(a.Severity))
	if a.Streak > 0 {
		s := p.Tr(fmt.Sprintf("%d in a row", a.Streak), fmt.Sprintf("%d 回連続", a.Streak))
		if a.FailingSince != nil {
			s += p.Tr(", since ", "、開始 ") + p.WhenPtr(a.FailingSince)
		}
		p.kv("  ", p.Tr("failure streak", "連続失敗"), s)
	}
	p.kv("  ", p.Tr("criticality", "重要度"), Clean(a.Criticality))
	p.kv("  ", p.Tr("downstream models", "下流モデル"), fmt.Sprint(a.DownstreamCount))
	if len(a.DownstreamModels) > 0 {
		p.list("    ", len(a.DownstreamModels), func(i int) string { return p.lineage(a.DownstreamModels[i]) })
	}
	if len(a.Exposures) > 0 {
		p.line("  " + p.Tr(fmt.Sprintf("exposures affected (%d):", len(a.Exposures)), fmt.Sprintf("影響を受けるエクスポージャー（%d 件）:", len(a.Exposures))))
		p.list("    ", len(a.Exposures), func(i int) string { return p.exposure(a.Exposures[i]) })
	}
	if len(a.Reasons) > 0 {
		words := make([]string, len(a.Reasons))
		for i, r := range a.Reasons {
			words[i] = p.Reason(r)
		}
		p.kv("  ", p.Tr("because", "理由"), strings.Join(words, p.Tr("; ", "、")))
	}
	if len(a.FailingTests) > 0 {
		p.line("  " + p.Tr(fmt.Sprintf("failing tests (%d):", len(a.FailingTests)), fmt.Sprintf("失敗中のテスト（%d 件）:", len(a.FailingTests))))
		names := StateNames(a.FailingTests)
		p.list("    ", len(a.FailingTests), func(i int) string { return p.test(a.FailingTests[i], names[i]) })
	}
}

// Axes says why the urgency is what it is: "likely real (failing repeatedly) × hurts a lot (an exposure is
// affected)".
func (p *Printer) Axes(a *queries.UrgencyAnswer) string {
	why := func(i int) string {
		if i < len(a.DecidedBy) {
			return " (" + p.Reason(a.DecidedBy[i]) + ")"
		}
		return ""
	}
	likely := map[string][2]string{"high": {"very likely real", "実害の可能性 高"}, "medium": {"possibly real", "実害の可能性 中"},
		"low": {"not likely real yet", "実害の可能性 低"}}[a.Likelihood]
	hurts := map[string][2]string{"high": {"hurts a lot", "影響 大"}, "medium": {"hurts some", "影響 中"},
		"low": {"hurts little", "影響 小"}}[a.Impact]
	return p.Tr(likely[0], likely[1]) + why(0) + " × " + p.Tr(hurts[0], hurts[1]) + why(1)
}

// nextStep says what to do next, and whom to ask.
func (p *Printer) nextStep(n *queries.NextStep) string {
	s := p.NextAction(n)
	if len(n.Owners) > 0 {
		s += p.Tr(" — ask ", " — 相談先: ") + CleanJoin(n.Owners)
	}
	return s
}

// NextAction says what to do next.
func (p *Printer) NextAction(n *queries.NextStep) string {
	name := FirstClean(n.Name, n.UniqueID)
	switch n.Action {
	case "fix_error":
		return p.Tr("fix the error of "+name+" (`why "+name+"` shows it)", name+" のエラーを直す（`why "+name+"` で確認）")
	case "fix_root":
		return p.Tr("fix "+name+", which caused the skip (`why "+name+"`)", "スキップの原因 "+name+" を直す（`why "+name+"`）")
	case "check_run":
		return p.Tr("the rows do not say why "+name+" was skipped: check the run's log", name+" がスキップされた理由はデータにありません。実行ログを確認")
	case "check_loader":
		return p.Tr("check the loader of "+name+" (`freshness "+name+"`)", name+" のロード処理を確認（`freshness "+name+"`）")
	case "check_test":
		return p.Tr("look at the failing test "+name+" (`last-run "+name+"`)", "失敗中のテスト "+name+" を確認（`last-run "+name+"`）")
	case "check_job":
		return p.Tr("check why job "+name+" stopped building it", "ジョブ "+name+" がビルドしなくなった理由を確認")
	case "watch":
		return p.Tr("nothing to fix yet: watch it", "まだ対応は不要です。様子を見る")
	}
	return Clean(n.Action)
}

// UrgencyWord names an urgency level in the reader's language.
func (p *Printer) UrgencyWord(u string) string {
	switch u {
	case "high":
		return p.Tr("HIGH", "高")
	case "medium":
		return p.Tr("medium", "中")
	case "low":
		return p.Tr("low", "低")
	case "none":
		return p.Tr("none", "なし")
	}
	return Clean(u)
}

// Reason names an urgency reason code.
func (p *Printer) Reason(r string) string { return p.phrase(reasons, r) }

var reasons = phrases{
	"run_error":          {"the last run errored", "最後の実行がエラー"},
	"source_stale":       {"a source is stale", "ソースが古い"},
	"tests_failing":      {"tests are failing", "テストが失敗中"},
	"warn_only":          {"warnings only", "警告のみ"},
	"error_severity":     {"error severity", "重大度 ERROR"},
	"warn_severity":      {"warn severity", "重大度 WARN"},
	"exposure_affected":  {"an exposure is affected", "エクスポージャーに影響"},
	"critical":           {"marked critical in meta", "meta で重要と指定"},
	"wide_impact":        {"many downstream models", "下流モデルが多い"},
	"persistent_failure": {"failing repeatedly", "連続して失敗"},
	"new_failure":        {"a new failure", "新しい失敗"},
	"flaky":              {"a flaky test", "不安定なテスト"},
	"run_skipped":        {"its run was skipped", "実行がスキップされた"},
	"downstream_models":  {"models are downstream", "下流モデルあり"},
	"no_downstream":      {"nothing downstream", "下流なし"},
}
