package handlers

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"strings"
	"time"
	"unicode"

	"github.com/todai-dev/todai/queries"
)

// MaxListItems is how many items a text list shows before "…and N more".
const MaxListItems = 10

// maxFieldRunes bounds one data string in text output (messages, descriptions).
const maxFieldRunes = 400

// RenderText writes res as friendly terminal text in the asker's language. Every data string is stripped of
// control characters and escape sequences first.
func RenderText(w io.Writer, res Result) error {
	bw := bufio.NewWriter(w)
	p := &printer{w: bw, l: res.Lang, now: res.Now}
	if p.now.IsZero() {
		p.now = time.Now().UTC()
	}
	if res.Warning != nil {
		p.line("! " + warningText(res))
	}
	switch {
	case res.Err != nil:
		p.renderError(res)
	default:
		p.renderAnswer(res)
	}
	if res.Err == nil && !res.AsOf.IsZero() {
		p.line(p.tr("As of ", "データ時点: ") + p.when(res.AsOf) + p.tr(".", ""))
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("render text %s: %w", res.Intent, err)
	}
	return nil
}

// warningText says the answer comes from an older sync because the last one failed.
func warningText(res Result) string {
	if res.Warning == nil {
		return ""
	}
	ago := relative(res.Lang, res.Warning.LastSuccess, res.Now)
	return tr(res.Lang,
		"The warehouse could not be reached; answer from the last good sync, "+ago+".",
		"ウェアハウスに接続できませんでした。最後に成功した同期（"+ago+"）のデータで回答しています。")
}

type printer struct {
	w   *bufio.Writer
	l   Lang
	now time.Time
}

func (p *printer) tr(en, ja string) string { return tr(p.l, en, ja) }

func (p *printer) line(s string) {
	p.w.WriteString(s)
	p.w.WriteByte('\n')
}

func (p *printer) kv(indent, key, val string) {
	if val == "" {
		return
	}
	p.line(indent + key + ": " + val)
}

// when renders a time as "2026-11-24 10:00 UTC (3 h ago)".
func (p *printer) when(t time.Time) string {
	if t.IsZero() {
		return p.tr("never", "なし")
	}
	return t.UTC().Format("2006-01-02 15:04 UTC") + " (" + relative(p.l, t, p.now) + ")"
}

func (p *printer) whenPtr(t *time.Time) string {
	if t == nil {
		return p.tr("unknown time", "時刻不明")
	}
	return p.when(*t)
}

// relative renders t relative to now: "3 h ago", "3時間前".
func relative(l Lang, t, now time.Time) string {
	d := now.Sub(t)
	future := d < 0
	if future {
		d = -d
	}
	var n int
	var en, ja string
	switch {
	case d < time.Minute:
		return tr(l, "just now", "たった今")
	case d < time.Hour:
		n, en, ja = int(d/time.Minute), "min", "分"
	case d < 48*time.Hour:
		n, en, ja = int(d/time.Hour), "h", "時間"
	default:
		n, en, ja = int(d/(24*time.Hour)), "d", "日"
	}
	if future {
		return tr(l, fmt.Sprintf("in %d %s", n, en), fmt.Sprintf("%d%s後", n, ja))
	}
	return tr(l, fmt.Sprintf("%d %s ago", n, en), fmt.Sprintf("%d%s前", n, ja))
}

func (p *printer) seconds(s *float64) string {
	if s == nil {
		return ""
	}
	return p.tr(fmt.Sprintf("%.1f s", *s), fmt.Sprintf("%.1f秒", *s))
}

// age renders a number of seconds as "3 h" / "3時間".
func (p *printer) age(s float64) string {
	if math.IsNaN(s) || math.IsInf(s, 0) {
		return "?"
	}
	d := time.Duration(s * float64(time.Second))
	switch {
	case d < time.Hour:
		return p.tr(fmt.Sprintf("%d min", int(d/time.Minute)), fmt.Sprintf("%d分", int(d/time.Minute)))
	case d < 48*time.Hour:
		return p.tr(fmt.Sprintf("%d h", int(d/time.Hour)), fmt.Sprintf("%d時間", int(d/time.Hour)))
	}
	return p.tr(fmt.Sprintf("%d d", int(d/(24*time.Hour))), fmt.Sprintf("%d日", int(d/(24*time.Hour))))
}

// more writes "…and N more" when a list was capped.
func (p *printer) more(indent string, total int) {
	if total > MaxListItems {
		p.line(indent + p.tr(fmt.Sprintf("…and %d more", total-MaxListItems), fmt.Sprintf("…他 %d 件", total-MaxListItems)))
	}
}

// marker is a plain-text health marker.
func (p *printer) marker(h queries.Health) string {
	switch h {
	case queries.HealthError:
		return p.tr("[ERROR]", "[エラー]")
	case queries.HealthFailing:
		return p.tr("[FAILING]", "[テスト失敗]")
	case queries.HealthStale:
		return p.tr("[STALE]", "[鮮度切れ]")
	case queries.HealthWarn:
		return p.tr("[warn]", "[警告]")
	case queries.HealthOK:
		return p.tr("[ok]", "[正常]")
	}
	return p.tr("[?]", "[不明]")
}

// statusMark is a marker for a raw run/test/freshness status string.
func (p *printer) statusMark(s string) string {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "success", "pass":
		return "[ok]"
	case "warn":
		return "[warn]"
	case "fail", "error", "runtime error":
		return "[" + strings.ToUpper(clean(s)) + "]"
	case "skipped":
		return "[skipped]"
	case "":
		return "[?]"
	}
	return "[" + clean(s) + "]"
}

// freshMark is a marker for a source freshness status.
func (p *printer) freshMark(s string) string {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "pass":
		return p.tr("[fresh]", "[新鮮]")
	case "warn":
		return p.tr("[warn]", "[警告]")
	case "error":
		return p.tr("[STALE]", "[鮮度切れ]")
	case "runtime error":
		return p.tr("[CHECK FAILED]", "[チェック失敗]")
	}
	return p.statusMark(s)
}

func (p *printer) nodeTitle(n queries.Node) string {
	name := clean(n.Name)
	if name == "" {
		name = clean(n.UniqueID)
	}
	if n.ResourceType != "" {
		name += " (" + p.resourceType(n.ResourceType) + ")"
	}
	return name
}

func (p *printer) resourceType(t string) string {
	if p.l != LangJA {
		return clean(t)
	}
	switch t {
	case "model":
		return "モデル"
	case "source":
		return "ソース"
	case "seed":
		return "シード"
	case "snapshot":
		return "スナップショット"
	case "exposure":
		return "エクスポージャー"
	case "test":
		return "テスト"
	}
	return clean(t)
}

func (p *printer) nodeHeader(n queries.Node) {
	p.kv("  ", "unique_id", clean(n.UniqueID))
	if len(n.Owners) > 0 {
		p.kv("  ", p.tr("owners", "オーナー"), cleanJoin(n.Owners))
	}
	p.kv("  ", p.tr("team", "チーム"), clean(n.Team))
}

func (p *printer) run(r queries.Run) string {
	parts := []string{p.statusMark(r.Status) + " " + p.whenPtr(r.CompletedAt)}
	if s := p.seconds(r.ExecutionTime); s != "" {
		parts = append(parts, s)
	}
	if r.InvocationID != "" {
		parts = append(parts, p.tr("invocation ", "実行ID ")+clean(r.InvocationID))
	}
	if r.Invocation != nil && r.Invocation.JobName != "" {
		parts = append(parts, p.tr("job ", "ジョブ ")+clean(r.Invocation.JobName))
	}
	return strings.Join(parts, ", ")
}

func (p *printer) test(t queries.TestState) string {
	name := clean(t.ShortName)
	if name == "" {
		name = clean(t.Name)
	}
	if name == "" {
		name = clean(t.UniqueID)
	}
	if t.Column != "" {
		name += p.tr(" on ", " 対象カラム ") + clean(t.Column)
	}
	s := p.statusMark(t.Status) + " " + name + " — " + p.whenPtr(t.DetectedAt)
	if st := strings.ToLower(t.Status); t.Severity != "" && st != "pass" && st != "success" {
		s += " (" + clean(t.Severity) + ")"
	}
	return s
}

func (p *printer) source(s queries.SourceFreshness) string {
	name := clean(s.Name)
	if name == "" {
		name = clean(s.UniqueID)
	}
	loaded := p.tr("never loaded", "ロード記録なし")
	if s.MaxLoadedAt != nil {
		loaded = p.tr("loaded ", "最終ロード ") + p.when(*s.MaxLoadedAt)
	}
	out := p.freshMark(s.Status) + " " + name + " — " + loaded
	if s.AgeSeconds != nil {
		out += p.tr(", age ", "、経過 ") + p.age(*s.AgeSeconds)
	}
	if s.WarnAfter != "" || s.ErrorAfter != "" {
		out += p.tr(" (warn after ", "（警告 ") + orDash(clean(s.WarnAfter)) + p.tr(", error after ", "、エラー ") +
			orDash(clean(s.ErrorAfter)) + p.tr(")", "）")
	}
	return out
}

func (p *printer) lineage(n queries.LineageNode) string {
	name := clean(n.Name)
	if name == "" {
		name = clean(n.UniqueID)
	}
	s := p.marker(n.Health) + " " + name
	if n.ResourceType != "" {
		s += " (" + p.resourceType(n.ResourceType) + ")"
	}
	if n.Depth > 1 {
		s += p.tr(fmt.Sprintf(", %d hops away", n.Depth), fmt.Sprintf("、%d 段先", n.Depth))
	}
	return s
}

func (p *printer) exposure(e queries.Exposure) string {
	name := clean(e.Label)
	if name == "" {
		name = clean(e.Name)
	}
	s := name
	if e.Type != "" {
		s += " (" + clean(e.Type) + ")"
	}
	if e.OwnerName != "" || e.OwnerEmail != "" {
		s += p.tr(" — owner ", " — オーナー ") + strings.TrimSpace(clean(e.OwnerName)+" "+clean(e.OwnerEmail))
	}
	if e.URL != "" {
		s += " " + clean(e.URL)
	}
	return s
}

func (p *printer) list(indent string, n int, item func(i int) string) {
	for i := 0; i < n && i < MaxListItems; i++ {
		p.line(indent + item(i))
	}
	p.more(indent, n)
}

func (p *printer) renderError(res Result) {
	e := res.Err
	p.line(p.tr("Sorry: ", "エラー: ") + clean(e.Message))
	if len(e.Suggestions) > 0 {
		if e.Code == CodeAmbiguous {
			p.line(p.tr("Candidates:", "候補:"))
		} else {
			p.line(p.tr("Did you mean:", "もしかして:"))
		}
		p.list("  - ", len(e.Suggestions), func(i int) string { return clean(e.Suggestions[i]) })
	}
	if e.Code == CodeBadRequest && (e.Problem == ProblemUnknown || e.Problem == ProblemNone) {
		p.line("")
		p.renderHelp(Help(res.Lang))
	}
}

func (p *printer) renderAnswer(res Result) {
	switch a := res.Answer.(type) {
	case *queries.StatusAnswer:
		p.renderStatus(a)
	case *queries.OwnerAnswer:
		p.renderOwner(a)
	case *queries.LastRunAnswer:
		p.renderLastRun(a)
	case *queries.FailuresAnswer:
		p.renderFailures(a)
	case *queries.FreshnessAnswer:
		p.renderFreshness(a)
	case *queries.LineageAnswer:
		p.renderLineage(a, res.Intent == string(IntentDownstream))
	case *queries.DescribeAnswer:
		p.renderDescribe(a)
	case *queries.WhyAnswer:
		p.renderWhy(a)
	case *queries.UrgencyAnswer:
		p.renderUrgency(a)
	case *HelpAnswer:
		p.renderHelp(a)
	default:
		p.line(p.tr("No answer.", "回答はありません。"))
	}
}

func (p *printer) renderStatus(a *queries.StatusAnswer) {
	p.line(p.marker(a.Health) + " " + p.nodeTitle(a.Node) + " — " + p.healthWord(a.Health))
	p.nodeHeader(a.Node)
	if a.LastRun != nil {
		p.kv("  ", p.tr("last run", "最終実行"), p.run(*a.LastRun))
		if a.LastRun.Message != "" && a.LastRun.Status != "success" {
			p.kv("    ", p.tr("message", "メッセージ"), clean(a.LastRun.Message))
		}
	} else {
		p.kv("  ", p.tr("last run", "最終実行"), p.tr("no runs recorded", "実行記録なし"))
	}
	if len(a.Tests) == 0 {
		p.kv("  ", p.tr("tests", "テスト"), p.tr("none recorded", "記録なし"))
	} else {
		p.line("  " + p.tr(fmt.Sprintf("tests (%d):", len(a.Tests)), fmt.Sprintf("テスト（%d 件）:", len(a.Tests))))
		p.list("    ", len(a.Tests), func(i int) string { return p.test(a.Tests[i]) })
	}
	if len(a.Freshness) > 0 {
		p.line("  " + p.tr("freshness:", "鮮度:"))
		p.list("    ", len(a.Freshness), func(i int) string { return p.source(a.Freshness[i]) })
	}
}

func (p *printer) healthWord(h queries.Health) string {
	switch h {
	case queries.HealthError:
		return p.tr("the last run errored", "最後の実行がエラーでした")
	case queries.HealthFailing:
		return p.tr("tests are failing", "テストが失敗しています")
	case queries.HealthStale:
		return p.tr("source data is stale", "ソースデータが古くなっています")
	case queries.HealthWarn:
		return p.tr("warnings", "警告があります")
	case queries.HealthOK:
		return p.tr("healthy", "正常です")
	}
	return p.tr("no runs or results yet", "実行・結果がまだありません")
}

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

func (p *printer) renderLastRun(a *queries.LastRunAnswer) {
	p.line(p.nodeTitle(a.Node) + p.tr(fmt.Sprintf(" — last %d runs, newest first", len(a.Runs)),
		fmt.Sprintf(" — 直近 %d 回の実行（新しい順）", len(a.Runs))))
	p.kv("  ", "unique_id", clean(a.Node.UniqueID))
	if len(a.Runs) == 0 {
		p.line("  " + p.tr("No runs recorded.", "実行記録はありません。"))
		return
	}
	p.list("  ", len(a.Runs), func(i int) string {
		s := p.run(a.Runs[i])
		if a.Runs[i].Message != "" && a.Runs[i].Status != "success" {
			s += "\n      " + truncate(clean(a.Runs[i].Message), 200)
		}
		return s
	})
}

func (p *printer) renderFailures(a *queries.FailuresAnswer) {
	scope := clean(a.Scope)
	if scope == "" {
		scope = p.tr("all nodes", "全ノード")
	}
	since := p.when(a.Since)
	if len(a.Failures) == 0 {
		p.line(p.tr("No test failures since "+since+" ("+scope+").", since+" 以降、テストの失敗はありません（"+scope+"）。"))
		return
	}
	p.line(p.tr(fmt.Sprintf("%d failing tests since %s (%s):", len(a.Failures), since, scope),
		fmt.Sprintf("%s 以降に失敗したテスト %d 件（%s）:", since, len(a.Failures), scope)))
	p.list("  ", len(a.Failures), func(i int) string {
		f := a.Failures[i]
		name := clean(f.TestShortName)
		if name == "" {
			name = clean(f.TestName)
		}
		if name == "" {
			name = clean(f.TestUniqueID)
		}
		s := p.statusMark(f.Status) + " " + name
		if f.ModelUniqueID != "" {
			s += p.tr(" on ", " 対象 ") + clean(f.ModelUniqueID)
		}
		s += " — " + p.whenPtr(f.DetectedAt)
		if f.Count > 1 {
			s += p.tr(fmt.Sprintf(", %d times", f.Count), fmt.Sprintf("、%d 回", f.Count))
		}
		if f.Failures != nil {
			s += p.tr(fmt.Sprintf(", %d failing rows", *f.Failures), fmt.Sprintf("、失敗行 %d", *f.Failures))
		}
		if f.LatestStatus != "" && !strings.EqualFold(f.LatestStatus, f.Status) {
			s += p.tr(", now ", "、現在 ") + p.statusMark(f.LatestStatus)
		}
		return s
	})
}

func (p *printer) renderFreshness(a *queries.FreshnessAnswer) {
	if len(a.Sources) == 0 {
		p.line(p.tr("No source freshness results recorded.", "ソースの鮮度チェック結果はありません。"))
		return
	}
	p.line(p.tr(fmt.Sprintf("Source freshness (%d):", len(a.Sources)), fmt.Sprintf("ソースの鮮度（%d 件）:", len(a.Sources))))
	p.list("  ", len(a.Sources), func(i int) string {
		s := p.source(a.Sources[i])
		if a.Sources[i].Error != "" {
			s += "\n      " + truncate(clean(a.Sources[i].Error), 200)
		}
		return s
	})
}

func (p *printer) renderLineage(a *queries.LineageAnswer, down bool) {
	nodes := a.Upstream
	title := p.tr("Upstream of ", "上流: ")
	if down {
		nodes = a.Downstream
		title = p.tr("Downstream of ", "下流: ")
	}
	p.line(title + p.nodeTitle(a.Node))
	p.kv("  ", "unique_id", clean(a.Node.UniqueID))
	if len(nodes) == 0 {
		p.line("  " + p.tr("nothing", "なし"))
	} else {
		p.list("  ", len(nodes), func(i int) string { return p.lineage(nodes[i]) })
	}
	if down && len(a.Exposures) > 0 {
		p.line("  " + p.tr(fmt.Sprintf("exposures (%d):", len(a.Exposures)), fmt.Sprintf("エクスポージャー（%d 件）:", len(a.Exposures))))
		p.list("    ", len(a.Exposures), func(i int) string { return p.exposure(a.Exposures[i]) })
	}
}

func (p *printer) renderDescribe(a *queries.DescribeAnswer) {
	p.line(p.nodeTitle(a.Node))
	p.nodeHeader(a.Node)
	desc := clean(a.Description)
	if desc == "" {
		desc = p.tr("(no description)", "（説明なし）")
	}
	p.kv("  ", p.tr("description", "説明"), truncate(desc, maxFieldRunes))
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
				s += " — " + truncate(clean(c.Description), 120)
			}
			return s
		})
	}
	if len(a.Exposures) > 0 {
		p.line("  " + p.tr(fmt.Sprintf("exposures (%d):", len(a.Exposures)), fmt.Sprintf("エクスポージャー（%d 件）:", len(a.Exposures))))
		p.list("    ", len(a.Exposures), func(i int) string { return p.exposure(a.Exposures[i]) })
	}
}

func (p *printer) renderWhy(a *queries.WhyAnswer) {
	p.line(p.marker(a.Health) + " " + p.nodeTitle(a.Node) + " — " + p.healthWord(a.Health))
	p.kv("  ", "unique_id", clean(a.Node.UniqueID))
	if a.LastSuccess != nil {
		p.kv("  ", p.tr("last success", "最後の成功"), p.whenPtr(a.LastSuccess.CompletedAt))
	} else {
		p.kv("  ", p.tr("last success", "最後の成功"), p.tr("none recorded", "記録なし"))
	}
	if len(a.FailedSince) > 0 {
		p.line("  " + p.tr(fmt.Sprintf("failed runs since (%d):", len(a.FailedSince)), fmt.Sprintf("それ以降の失敗した実行（%d 件）:", len(a.FailedSince))))
		p.list("    ", len(a.FailedSince), func(i int) string {
			s := p.run(a.FailedSince[i])
			if a.FailedSince[i].Message != "" {
				s += " — " + truncate(clean(a.FailedSince[i].Message), 200)
			}
			return s
		})
	}
	if len(a.FailingTests) > 0 {
		p.line("  " + p.tr(fmt.Sprintf("failing tests (%d):", len(a.FailingTests)), fmt.Sprintf("失敗中のテスト（%d 件）:", len(a.FailingTests))))
		p.list("    ", len(a.FailingTests), func(i int) string { return p.test(a.FailingTests[i]) })
	}
	if len(a.LikelyCauses) == 0 {
		p.line("  " + p.tr("No likely cause found in the mirrored data.", "ミラーされたデータからは原因の候補が見つかりませんでした。"))
		return
	}
	p.line("  " + p.tr("likely causes:", "考えられる原因:"))
	p.list("    - ", len(a.LikelyCauses), func(i int) string {
		c := a.LikelyCauses[i]
		name := clean(c.Name)
		if name == "" {
			name = clean(c.UniqueID)
		}
		s := p.causeKind(c.Kind) + ": " + name
		if c.Detail != "" {
			s += " — " + truncate(clean(c.Detail), 200)
		}
		return s
	})
}

func (p *printer) causeKind(k string) string {
	switch k {
	case "upstream_error":
		return p.tr("an upstream run errored", "上流の実行がエラー")
	case "upstream_failing":
		return p.tr("upstream tests are failing", "上流のテストが失敗")
	case "stale_source":
		return p.tr("a source is stale", "ソースが古い")
	case "run_error":
		return p.tr("its own run errored", "自身の実行がエラー")
	case "run_skipped":
		return p.tr("its run was skipped", "実行がスキップされた")
	}
	return clean(k)
}

func (p *printer) renderUrgency(a *queries.UrgencyAnswer) {
	p.line(p.tr("Urgency ", "緊急度 ") + p.urgencyWord(a.Urgency) + " — " + p.marker(a.Health) + " " + p.nodeTitle(a.Node))
	p.kv("  ", "unique_id", clean(a.Node.UniqueID))
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
		p.list("    ", len(a.FailingTests), func(i int) string { return p.test(a.FailingTests[i]) })
	}
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

func (p *printer) reason(r string) string {
	switch r {
	case "run_error":
		return p.tr("the last run errored", "最後の実行がエラー")
	case "source_stale":
		return p.tr("a source is stale", "ソースが古い")
	case "tests_failing":
		return p.tr("tests are failing", "テストが失敗中")
	case "warn_only":
		return p.tr("warnings only", "警告のみ")
	case "error_severity":
		return p.tr("error severity", "重大度 ERROR")
	case "warn_severity":
		return p.tr("warn severity", "重大度 WARN")
	case "exposure_affected":
		return p.tr("an exposure is affected", "エクスポージャーに影響")
	case "critical":
		return p.tr("marked critical in meta", "meta で重要と指定")
	case "wide_impact":
		return p.tr("many downstream models", "下流モデルが多い")
	case "persistent_failure":
		return p.tr("failing repeatedly", "連続して失敗")
	}
	return clean(r)
}

func (p *printer) renderHelp(a *HelpAnswer) {
	p.line(p.tr("I answer questions about your dbt models from Elementary's results. Ask in English or Japanese:",
		"Elementary の結果から dbt モデルについての質問に答えます。日本語でも英語でも質問できます:"))
	for _, c := range a.Commands {
		p.line("  " + clean(c.Usage))
		p.line("      " + clean(c.Description))
		for _, e := range c.Examples {
			p.line(p.tr("      e.g. ", "      例: ") + clean(e))
		}
	}
}

// clean makes a data string safe for a terminal: ANSI escape sequences removed, control and bidi/format characters
// replaced by spaces (newlines and tabs too, so one datum stays on one line), runs of spaces collapsed.
func clean(s string) string {
	if s == "" {
		return ""
	}
	s = strings.ToValidUTF8(s, "")
	s = reANSI.ReplaceAllString(s, "")
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range s {
		switch {
		case unicode.IsSpace(r):
			if !space && b.Len() > 0 {
				b.WriteByte(' ')
			}
			space = true
		case unicode.IsControl(r) || isInvisible(r):
			// dropped
		default:
			space = false
			b.WriteRune(r)
		}
	}
	return strings.TrimRight(b.String(), " ")
}

func cleanJoin(ss []string) string {
	out := make([]string, 0, len(ss))
	for _, s := range ss {
		if c := clean(s); c != "" {
			out = append(out, c)
		}
	}
	return strings.Join(out, ", ")
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
