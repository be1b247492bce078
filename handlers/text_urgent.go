package handlers

import (
	"fmt"
	"strings"

	"github.com/todai-dev/todai/queries"
)

// renderUrgency writes the urgent answer as terminal text.
func (p *printer) renderUrgency(a *queries.UrgencyAnswer) {
	p.line(p.tr("Urgency ", "緊急度 ") + p.urgencyWord(a.Urgency) + " — " + p.marker(a.Health) + " " + p.nodeTitle(a.Node))
	p.kv("  ", "unique_id", clean(a.Node.UniqueID))
	if a.Likelihood != "" {
		p.kv("  ", p.tr("decided by", "判断"), p.axes(a))
	}
	if a.Next != nil {
		p.kv("  ", p.tr("next", "次の一手"), p.nextStep(a.Next))
	}
	p.kv("  ", p.tr("severity", "重大度"), clean(a.Severity))
	if a.Streak > 0 {
		s := p.tr(fmt.Sprintf("%d in a row", a.Streak), fmt.Sprintf("%d 回連続", a.Streak))
		if a.FailingSince != nil {
			s += p.tr(", since ", "、開始 ") + p.whenPtr(a.FailingSince)
		}
		p.kv("  ", p.tr("failure streak", "連続失敗"), s)
	}
	p.kv("  ", p.tr("criticality", "重要度"), clean(a.Criticality))
	p.kv("  ", p.tr("downstream models", "下流モデル"), fmt.Sprint(a.DownstreamCount))
	if len(a.DownstreamModels) > 0 {
		p.list("    ", len(a.DownstreamModels), func(i int) string { return p.lineage(a.DownstreamModels[i]) })
	}
	if len(a.Exposures) > 0 {
		p.line("  " + p.tr(fmt.Sprintf("exposures affected (%d):", len(a.Exposures)), fmt.Sprintf("影響を受けるエクスポージャー（%d 件）:", len(a.Exposures))))
		p.list("    ", len(a.Exposures), func(i int) string { return p.exposure(a.Exposures[i]) })
	}
	if len(a.Reasons) > 0 {
		words := make([]string, len(a.Reasons))
		for i, r := range a.Reasons {
			words[i] = p.reason(r)
		}
		p.kv("  ", p.tr("because", "理由"), strings.Join(words, p.tr("; ", "、")))
	}
	if len(a.FailingTests) > 0 {
		p.line("  " + p.tr(fmt.Sprintf("failing tests (%d):", len(a.FailingTests)), fmt.Sprintf("失敗中のテスト（%d 件）:", len(a.FailingTests))))
		names := stateNames(a.FailingTests)
		p.list("    ", len(a.FailingTests), func(i int) string { return p.test(a.FailingTests[i], names[i]) })
	}
}

// axes says why the urgency is what it is: "likely real (failing repeatedly) × hurts a lot (an exposure is
// affected)".
func (p *printer) axes(a *queries.UrgencyAnswer) string {
	why := func(i int) string {
		if i < len(a.DecidedBy) {
			return " (" + p.reason(a.DecidedBy[i]) + ")"
		}
		return ""
	}
	likely := map[string][2]string{"high": {"very likely real", "実害の可能性 高"}, "medium": {"possibly real", "実害の可能性 中"},
		"low": {"not likely real yet", "実害の可能性 低"}}[a.Likelihood]
	hurts := map[string][2]string{"high": {"hurts a lot", "影響 大"}, "medium": {"hurts some", "影響 中"},
		"low": {"hurts little", "影響 小"}}[a.Impact]
	return p.tr(likely[0], likely[1]) + why(0) + " × " + p.tr(hurts[0], hurts[1]) + why(1)
}

// nextStep says what to do next, and whom to ask.
func (p *printer) nextStep(n *queries.NextStep) string {
	s := p.nextAction(n)
	if len(n.Owners) > 0 {
		s += p.tr(" — ask ", " — 相談先: ") + cleanJoin(n.Owners)
	}
	return s
}

// nextAction says what to do next.
func (p *printer) nextAction(n *queries.NextStep) string {
	name := firstClean(n.Name, n.UniqueID)
	switch n.Action {
	case "fix_error":
		return p.tr("fix the error of "+name+" (`why "+name+"` shows it)", name+" のエラーを直す（`why "+name+"` で確認）")
	case "fix_root":
		return p.tr("fix "+name+", which caused the skip (`why "+name+"`)", "スキップの原因 "+name+" を直す（`why "+name+"`）")
	case "check_run":
		return p.tr("the rows do not say why "+name+" was skipped: check the run's log", name+" がスキップされた理由はデータにありません。実行ログを確認")
	case "check_loader":
		return p.tr("check the loader of "+name+" (`freshness "+name+"`)", name+" のロード処理を確認（`freshness "+name+"`）")
	case "check_test":
		return p.tr("look at the failing test "+name+" (`last-run "+name+"`)", "失敗中のテスト "+name+" を確認（`last-run "+name+"`）")
	case "check_job":
		return p.tr("check why job "+name+" stopped building it", "ジョブ "+name+" がビルドしなくなった理由を確認")
	case "watch":
		return p.tr("nothing to fix yet: watch it", "まだ対応は不要です。様子を見る")
	}
	return clean(n.Action)
}

func (p *printer) urgencyWord(u string) string {
	switch u {
	case "high":
		return p.tr("HIGH", "高")
	case "medium":
		return p.tr("medium", "中")
	case "low":
		return p.tr("low", "低")
	case "none":
		return p.tr("none", "なし")
	}
	return clean(u)
}

// reason names an urgency reason code.
func (p *printer) reason(r string) string { return p.phrase(reasons, r) }

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
