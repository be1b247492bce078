package handlers

import (
	"fmt"
	"strings"

	"github.com/todai-dev/todai/queries"
)

// renderWhy writes the why answer as terminal text.
func (p *Printer) renderWhy(a *queries.WhyAnswer) {
	p.line(p.marker(a.Health) + " " + p.NodeTitle(a.Node) + " — " + p.HealthWord(a.Health))
	if a.Overdue != nil {
		p.line("  [" + p.Tr("OVERDUE", "遅延") + "] " + p.Overdue(a.Overdue))
	}
	p.kv("  ", "unique_id", Clean(a.Node.UniqueID))
	if a.LastSuccess != nil {
		p.kv("  ", p.Tr("last success", "最後の成功"), p.WhenPtr(a.LastSuccess.CompletedAt))
	} else {
		p.kv("  ", p.Tr("last success", "最後の成功"), p.Tr("none recorded", "記録なし"))
	}
	if len(a.FailedSince) > 0 {
		p.line("  " + p.Tr(fmt.Sprintf("failed runs since (%d):", len(a.FailedSince)), fmt.Sprintf("それ以降の失敗した実行（%d 件）:", len(a.FailedSince))))
		p.list("    ", len(a.FailedSince), func(i int) string {
			s := p.run(a.FailedSince[i])
			if a.FailedSince[i].Message != nil {
				s += " — " + Truncate(Clean(*a.FailedSince[i].Message), 200)
			}
			return s
		})
	}
	if len(a.FailingTests) > 0 {
		p.line("  " + p.Tr(fmt.Sprintf("failing tests (%d):", len(a.FailingTests)), fmt.Sprintf("失敗中のテスト（%d 件）:", len(a.FailingTests))))
		names := StateNames(a.FailingTests)
		p.list("    ", len(a.FailingTests), func(i int) string { return p.test(a.FailingTests[i], names[i]) })
	}
	if len(a.Chain) > 0 {
		p.kv("  ", p.Tr("chain", "経路"), p.Chain(a.Chain))
	}
	if len(a.Changes) > 0 {
		p.line("  " + p.Tr("changed since its last success:", "最後の成功以降の変更:"))
		p.list("    - ", len(a.Changes), func(i int) string {
			s := p.Change(a.Changes[i])
			if u := a.Changes[i].CompareURL; u != "" {
				s += p.Tr(" — compare: ", " — 比較: ") + Clean(u)
			}
			return s
		})
	}
	if a.Next != nil {
		p.kv("  ", p.Tr("next", "次の一手"), p.nextStep(a.Next))
	}
	if len(a.LikelyCauses) == 0 {
		p.line("  " + p.Tr("No cause found in the mirrored data.", "ミラーされたデータからは原因が見つかりませんでした。"))
		return
	}
	p.line("  " + p.Tr("causes, most probable first:", "原因（可能性の高い順）:"))
	p.list("    - ", len(a.LikelyCauses), func(i int) string {
		c := a.LikelyCauses[i]
		name := Clean(c.Name)
		if name == "" {
			name = Clean(c.UniqueID)
		}
		s := p.CauseKind(c.Kind) + ": " + name
		if c.Detail != nil {
			s += " — " + Truncate(Clean(*c.Detail), 200)
		}
		if c.LoadedAt != nil {
			s += p.Tr(", last loaded ", "、最終ロード ") + p.When(*c.LoadedAt)
		}
		if c.Confidence != "" {
			s += " [" + p.Confidence(c.Confidence) + "]"
		}
		return s
	})
}

// Change renders what changed: "its SQL changed (abc1234 → def5678), 40 min before … in job nightly at commit
// def5678, PR #42".
func (p *Printer) Change(c queries.Change) string {
	what := map[string][2]string{"sql": {"its SQL changed", "SQL が変更"}, "parents": {"its parents changed", "親ノードが変更"},
		"commit": {"the commit changed", "コミットが変更"}, "dbt_version": {"the dbt version changed", "dbt のバージョンが変更"},
		"full_refresh": {"the run was a full refresh", "フルリフレッシュで実行"}}[c.Kind]
	s := p.Tr(what[0], what[1])
	if what[0] == "" {
		s = Clean(c.Kind)
	}
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

// chainStatuses name how a node fared in a skip chain.
var chainStatuses = phrases{
	"error":   {"errored", "エラー"},
	"fail":    {"a test failed", "テスト失敗"},
	"skipped": {"skipped", "スキップ"},
}

// Confidence names how strongly the rows prove a cause.
func (p *Printer) Confidence(c string) string { return p.phrase(confidences, c) }

var confidences = phrases{
	queries.ConfidenceHigh:   {"certain", "確実"},
	queries.ConfidenceMedium: {"likely", "可能性高"},
	queries.ConfidenceLow:    {"weak evidence", "根拠弱"},
}

// CauseKind names a kind of cause.
func (p *Printer) CauseKind(k string) string { return p.phrase(causeKinds, k) }

var causeKinds = phrases{
	"upstream_error":       {"an upstream run errored", "上流の実行がエラー"},
	"upstream_test_failed": {"an upstream test failed (a build skips what is downstream)", "上流のテストが失敗（build は下流をスキップ）"},
	"stale_source":         {"a source is stale", "ソースが古い"},
	"definition_changed":   {"its definition changed before it first failed", "最初の失敗の前に定義が変更"},
	"job_not_run":          {"its job has not run since its last success", "最後の成功以降ジョブが実行されていない"},
	"not_built_by_job":     {"its job ran since without building it", "ジョブは実行されたがビルドされていない"},
	"run_error":            {"its own run errored", "自身の実行がエラー"},
	"run_skipped":          {"its run was skipped, and nothing upstream failed in that run", "実行がスキップされた（その実行で上流の失敗はなし）"},
}
