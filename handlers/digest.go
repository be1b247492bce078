package handlers

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/todai-dev/todai/queries"
	"github.com/todai-dev/todai/queries/quantity"
)

// DigestOptions say how a digest is rendered.
type DigestOptions struct {
	Lang Lang
	// Location is the team's zone for times (UTC when nil).
	Location *time.Location
	// Late says the digest was missed while Todai was down and is posted late: a note says so.
	Late bool
	// Slot is the scheduled time of a late digest.
	Slot time.Time
}

// DigestView is the digest's content as lines, shared by the text and Slack renderers.
type DigestView struct {
	Emoji, Title, Headline string
	Note                   string
	Sections               []DigestSection
	Footer                 string
}

// DigestSection is one titled part of a digest: its lines, already escaped for the medium, and the chart they
// sum up, when the part is a picture (the team's trend).
type DigestSection struct {
	Title string
	Lines []string
	Chart *Chart
}

func digestEmoji(s string) string {
	switch s {
	case queries.DigestRed:
		return "🔴"
	case queries.DigestYellow:
		return "🟡"
	}
	return "🟢"
}

// BuildDigest turns a digest into localised lines; owner renders an owner (plain text or a mention), esc escapes
// a data string for the medium.
func BuildDigest(a queries.DigestAnswer, o DigestOptions, owner func(string) string, esc func(string) string) DigestView {
	l := o.Lang
	words := &Printer{l: l} // the catalog's words for codes
	loc := o.Location
	if loc == nil {
		loc = time.UTC
	}
	at := func(t time.Time) string { return t.In(loc).Format("2006-01-02 15:04 MST") }
	owners := func(os []string) string {
		if len(os) == 0 {
			return Tr(l, "no owner", "オーナー未設定")
		}
		parts := make([]string, len(os))
		for i, x := range os {
			parts[i] = owner(x)
		}
		return strings.Join(parts, ", ")
	}
	since := func(p queries.DigestProblem) string {
		if p.Since == nil {
			return ""
		}
		d := Relative(l, *p.Since, a.Now)
		if p.SinceBefore {
			return Tr(l, "for over 7 days", "7日以上")
		}
		return Tr(l, "since "+d, d+"から")
	}
	v := DigestView{Emoji: digestEmoji(a.Status),
		Title: Tr(l, "Daily digest: ", "デイリーダイジェスト: ") + esc(a.Team) + " · " + a.Now.In(loc).Format("2006-01-02")}
	c := a.Counts
	switch {
	case a.Pipeline != nil:
		v.Headline = Tr(l, "The whole dbt pipeline stopped: no job has run since "+at(a.Pipeline.Since)+".",
			"dbt パイプライン全体が停止しています: "+at(a.Pipeline.Since)+" 以降どのジョブも実行されていません。")
	case a.Status == queries.DigestRed:
		n := len(a.ModelErrors) + len(a.New) + len(a.StillFailing) + len(a.Sources)
		v.Headline = Tr(l, quantity.Plural(n, "problem needs", "problems need")+" attention.", fmt.Sprintf("対応が必要な問題が %d 件あります。", n))
	case a.Status == queries.DigestYellow:
		v.Headline = Tr(l, "No failures, but some warnings to look at.", "失敗はありませんが、確認したい警告があります。")
	default:
		v.Headline = Tr(l, "All green: every model ran and every test passed.", "オールグリーン: すべてのモデルとテストが正常です。")
	}
	if o.Late {
		slot := o.Slot
		if slot.IsZero() {
			slot = a.Now
		}
		v.Note = Tr(l, "⏰ This digest was due at "+at(slot)+" but Todai was down; posted late.",
			"⏰ このダイジェストは "+at(slot)+" の予定でしたが、Todai が停止していたため遅れて投稿しています。")
	}
	counts := Tr(l,
		fmt.Sprintf("Models: %d run, %d failed, %d skipped · Tests: %d pass, %d warn, %d fail, %d error",
			c.ModelsRun, c.ModelsFailed, c.ModelsSkipped, c.TestsPass, c.TestsWarn, c.TestsFail, c.TestsError),
		fmt.Sprintf("モデル: 実行 %d・失敗 %d・スキップ %d ／ テスト: 成功 %d・警告 %d・失敗 %d・エラー %d",
			c.ModelsRun, c.ModelsFailed, c.ModelsSkipped, c.TestsPass, c.TestsWarn, c.TestsFail, c.TestsError))
	add := func(title string, lines []string) {
		if len(lines) > 0 {
			v.Sections = append(v.Sections, DigestSection{Title: title, Lines: lines})
		}
	}
	// trend adds the team's failures per day: the chart, said in words, else (an older answer) the sparkline.
	trend := func() {
		p := &Printer{l: l, loc: loc}
		if cv := p.ChartBlock(a.Chart); cv != nil {
			lines := make([]string, len(cv.Summary))
			for i, line := range cv.Summary {
				lines[i] = esc(p.Plain(line))
			}
			v.Sections = append(v.Sections, DigestSection{Title: cv.Title, Lines: lines, Chart: cv})
			return
		}
		add(Tr(l, "7-day trend", "7日間の推移"), []string{a.Sparkline + "  " + trendNumbers(a.Trend)})
	}
	if s := a.Pipeline; s != nil {
		last := ""
		if s.JobName != "" {
			last = Tr(l, " (the last: job ", "（最後はジョブ ") + esc(s.JobName) + Tr(l, ")", "）")
		}
		add(Tr(l, "⛔ Pipeline stopped", "⛔ パイプライン停止"), []string{Tr(l,
			"No dbt run of any job since "+at(s.Since)+last+": check the orchestrator before anything below.",
			at(s.Since)+" 以降、どのジョブの dbt 実行もありません"+last+"。以下より先にオーケストレーターを確認してください。")})
	}
	add(Tr(l, "Last 24 h", "過去24時間"), []string{counts})
	words.loc, words.now = loc, a.Now
	add(Tr(l, "Health", "健全性"), words.digestHealth(a.Health, esc))
	if a.Coverage != nil {
		add(Tr(l, "Blind spots (weekly)", "死角（週次）"), words.digestCoverage(*a.Coverage, esc))
	}
	if a.Incidents != nil {
		add(Tr(l, "Incidents this week", "今週のインシデント"), words.digestIncidents(a.Incidents, esc))
	}
	if a.AllGreen() {
		trend()
		v.Footer = reportLine(a, l)
		return v
	}
	problem := func(p queries.DigestProblem) string {
		s := esc(p.TestName) + Tr(l, " on ", "（") + esc(p.Node.Name) + Tr(l, "", "）") + " — " + p.Kind[len("test_"):]
		if x := since(p); x != "" {
			s += ", " + x
		}
		s += " · " + owners(p.Owners)
		if p.Detail != "" {
			s += "\n    " + esc(p.Detail)
		}
		return s
	}
	var lines []string
	for _, p := range a.New {
		lines = append(lines, "• "+problem(p))
	}
	for _, p := range a.ModelErrors {
		if p.New {
			lines = append(lines, "• "+esc(p.Node.Name)+Tr(l, " errored", " がエラー")+" · "+owners(p.Owners))
		}
	}
	newTitle := Tr(l, "New since the last digest", "前回のダイジェスト以降の新規")
	if a.Previous == nil {
		newTitle = Tr(l, "New in the last 24 h", "過去24時間の新規")
	}
	add(newTitle, lines)
	lines = nil
	for _, p := range a.StillFailing {
		lines = append(lines, "• "+problem(p))
	}
	add(Tr(l, "Still failing", "継続中の失敗"), lines)
	lines = nil
	for _, p := range a.ModelErrors {
		s := "• " + esc(p.Node.Name)
		if x := since(p); x != "" {
			s += " — " + x
		}
		s += " · " + owners(p.Owners)
		if p.Detail != "" {
			s += "\n    " + esc(p.Detail)
		}
		lines = append(lines, s)
	}
	add(Tr(l, "Model errors", "モデルのエラー"), lines)
	lines = nil
	for _, s := range a.Skipped {
		lines = append(lines, "• "+skipLine(l, words, s, owners, esc))
	}
	add(Tr(l, "Skipped models", "スキップされたモデル"), lines)
	lines = nil
	for _, s := range a.Sources {
		line := "• " + esc(s.Name) + " — " + words.phraseOr(digestSourceStates, s.Status, digestSourceStates["error"])
		if s.MaxLoadedAt != nil {
			line += Tr(l, ", last loaded ", "、最終ロード ") + Relative(l, *s.MaxLoadedAt, a.Now)
		}
		if s.Error != "" {
			line += "\n    " + esc(FirstLine(s.Error))
		}
		lines = append(lines, line)
	}
	add(Tr(l, "Sources", "ソース"), lines)
	lines = nil
	for _, s := range a.Slow {
		lines = append(lines, fmt.Sprintf("• %s — %.0fs %s %.0fs (×%.1f)", esc(s.Node.Name), s.Seconds,
			Tr(l, "vs a 7-day median of", "／7日間の中央値"), s.MedianSeconds, s.Ratio))
	}
	add(Tr(l, "Slow models", "遅いモデル"), lines)
	lines = nil
	for _, f := range a.Flaky {
		lines = append(lines, "• "+esc(f.Name)+Tr(l, fmt.Sprintf(" — %d flips in 7 days", f.Flips),
			fmt.Sprintf(" — 7日間で %d 回反転", f.Flips))+" · "+owners(f.Owners))
	}
	add(Tr(l, "Flaky tests", "不安定なテスト"), lines)
	trend()
	lines = nil
	for i, x := range a.Actions {
		var what string
		switch x.Kind {
		case "fix_model":
			what = Tr(l, "Fix the model ", "モデルを修正: ") + esc(x.Subject)
		case "check_source":
			what = Tr(l, "Check the loader of ", "ローダーを確認: ") + esc(x.Subject)
		default:
			what = Tr(l, "Fix the test ", "テストを修正: ") + esc(x.Subject) + Tr(l, " on ", "（") + esc(x.Node.Name) + Tr(l, "", "）")
		}
		line := fmt.Sprintf("%d. %s → %s", i+1, what, owners(x.Owners))
		if x.Downstream > 0 {
			line += Tr(l, " — also fixes "+quantity.Plural(x.Downstream, "failing test", "failing tests")+" downstream",
				fmt.Sprintf(" — 下流の失敗中のテスト %d 件も解消", x.Downstream))
		}
		if c := x.Cause; c != nil {
			line += Tr(l, " — caused by ", " — 原因: ") + esc(words.CauseKind(c.Kind)+": "+FirstClean(c.Name, c.UniqueID)) +
				" (" + esc(words.Confidence(c.Confidence)) + ")"
		}
		lines = append(lines, line)
	}
	add(Tr(l, "Top actions", "優先アクション"), lines)
	v.Footer = reportLine(a, l)
	return v
}

func trendNumbers(days []queries.TrendDay) string {
	parts := make([]string, len(days))
	for i, d := range days {
		parts[i] = fmt.Sprint(d.Problems)
	}
	return "(" + strings.Join(parts, " ") + ")"
}

func reportLine(a queries.DigestAnswer, l Lang) string {
	if a.ReportURL == "" {
		return ""
	}
	return Tr(l, "Elementary report: ", "Elementary レポート: ") + a.ReportURL
}

// RenderDigestText writes a digest as terminal text.
func RenderDigestText(w io.Writer, a queries.DigestAnswer, o DigestOptions) error {
	return renderDigestView(w, BuildDigest(a, o, func(s string) string { return Clean(s) }, Clean))
}

// renderDigestView writes a digest's view (a team's or the platform's) as terminal text.
func renderDigestView(w io.Writer, v DigestView) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "%s %s\n%s\n", v.Emoji, v.Title, v.Headline)
	if v.Note != "" {
		fmt.Fprintln(bw, v.Note)
	}
	for _, s := range v.Sections {
		fmt.Fprintf(bw, "\n%s\n", s.Title)
		if s.Chart != nil {
			fmt.Fprintln(bw, s.Chart.Spark())
		}
		for _, line := range s.Lines {
			fmt.Fprintln(bw, line)
		}
	}
	if v.Footer != "" {
		fmt.Fprintf(bw, "\n%s\n", v.Footer)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("render digest: %w", err)
	}
	return nil
}

// RenderDigestJSON writes a digest as indented JSON: {"intent":"digest","late":…,"answer":{…}} with UTC times.
func RenderDigestJSON(w io.Writer, a queries.DigestAnswer, o DigestOptions) error {
	body := struct {
		Intent string               `json:"intent"`
		Late   bool                 `json:"late"`
		Answer queries.DigestAnswer `json:"answer"`
	}{"digest", o.Late, a}
	b, err := json.MarshalIndent(body, "", "  ")
	if err != nil {
		return fmt.Errorf("render digest json: %w", err)
	}
	if _, err := w.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("render digest json: %w", err)
	}
	return nil
}

// skipLine says why some of a team's models were skipped and whom to ask: "2 models were skipped because
// stg_payments errored (team payments): fct_orders, int_payments — ask @payments". A root nobody owns sends the
// reader to the platform team; models whose skip the rows do not explain send them to the run's log.
func skipLine(l Lang, words *Printer, s queries.DigestSkip, owners func([]string) string, esc func(string) string) string {
	models := make([]string, len(s.Models))
	for i, m := range s.Models {
		models[i] = esc(m.Name)
	}
	list := ": " + strings.Join(models, ", ")
	if s.Count > len(s.Models) {
		list += Tr(l, fmt.Sprintf(" and %d more", s.Count-len(s.Models)), fmt.Sprintf(" ほか %d 件", s.Count-len(s.Models)))
	}
	count := Tr(l, quantity.Plural(s.Count, "model was", "models were"), fmt.Sprintf(" %d 件のモデル", s.Count))
	c := s.Root
	if c == nil {
		return Tr(l, count+" skipped"+list+" — the rows do not say why: check the run's log",
			strings.TrimSpace(count)+"がスキップされました"+list+" — 理由はデータにありません。実行ログを確認")
	}
	name := esc(FirstClean(c.Name, c.UniqueID))
	var because string
	switch c.Kind {
	case queries.CauseUpstreamError:
		because = Tr(l, name+" errored", name+" がエラー")
	case queries.CauseUpstreamTestFailed:
		because = Tr(l, "a test of "+name+" failed", name+" のテストが失敗")
	default:
		because = esc(words.CauseKind(c.Kind)) + ": " + name
	}
	team := ""
	if s.Team != "" {
		team = Tr(l, " (team ", "（チーム ") + esc(s.Team) + Tr(l, ")", "）")
	}
	ask := Tr(l, "ask ", "相談先: ") + owners(s.Owners)
	if len(s.Owners) == 0 {
		ask = Tr(l, "nobody owns it: ask the platform team", "オーナー不在のためプラットフォームチームへ")
	}
	return Tr(l, count+" skipped because "+because+team+list+" — "+ask,
		because+team+"のため"+count+"がスキップされました"+list+" — "+ask)
}

// digestHealth says a team's health in its digest: its score against a week before, and its weakest dimension with
// the test that pulls it down; nothing when no test of the team was scored.
func (p *Printer) digestHealth(h queries.DigestHealth, esc func(string) string) []string {
	if h.Total == nil {
		return nil
	}
	return []string{p.Tr("Score ", "スコア ") + p.healthLine(h, esc)}
}

// healthLine is a score out of 100, its change against a week before and its weakest dimension: "71.4/100, ▼6.8 vs
// a week before (78.2) — weakest: accuracy 44 (assert_margin_positive fail)".
func (p *Printer) healthLine(h queries.DigestHealth, esc func(string) string) string {
	line := p.Score(h.Total) + "/100"
	if ch := p.ScoreChange(h.Total, h.Before); ch != "" {
		line += p.Tr(", ", "、") + ch
	}
	if w := h.Weakest; w != nil && w.Lowest != nil {
		line += p.Tr(" — weakest: ", " — 最も弱い観点: ") + p.Dimension(w.Dimension) + " " + p.Score(w.Score) +
			p.Tr(" (", "（") + esc(FirstClean(w.Lowest.Name, w.Lowest.UniqueID)) + " " + w.Lowest.Status + p.Tr(")", "）")
	}
	return line
}

// digestCoverage says a team's blind spots, weekly: how many of its models lack tests, an owner or a description,
// and its sources never checked, then the three that hurt most.
func (p *Printer) digestCoverage(cv queries.Coverage, esc func(string) string) []string {
	c := cv.Counts
	lines := []string{p.Tr(
		fmt.Sprintf("Models: %d of %d without tests, %d without an owner, %d without a description, %d not built in %d days",
			c.ModelsNoTests, c.Models, c.ModelsNoOwner, c.ModelsNoDesc, c.ModelsNotBuilt, queries.NotBuiltDays),
		fmt.Sprintf("モデル %d 件中: テストなし %d・オーナーなし %d・説明なし %d・%d 日ビルドなし %d",
			c.Models, c.ModelsNoTests, c.ModelsNoOwner, c.ModelsNoDesc, queries.NotBuiltDays, c.ModelsNotBuilt))}
	if c.Sources > 0 || c.Exposures > 0 {
		lines = append(lines, p.Tr(
			fmt.Sprintf("Sources never checked for freshness: %d of %d · exposures without an owner: %d of %d",
				c.SourcesNoFreshness, c.Sources, c.ExposuresNoOwner, c.Exposures),
			fmt.Sprintf("鮮度チェックのないソース %d / %d・オーナーのないエクスポージャー %d / %d",
				c.SourcesNoFreshness, c.Sources, c.ExposuresNoOwner, c.Exposures)))
	}
	for i, b := range p.coverageBlocks(cv) {
		if list, ok := b.(List); ok && i > 0 {
			items, _ := list.Shown()
			for k, it := range items {
				if k == 3 {
					break
				}
				lines = append(lines, "• "+esc(p.Plain(it.Text)))
			}
		}
	}
	return lines
}

// BuildPlatformDigest lays the platform digest out: the project's health, every team's, worst first, then the
// blind spots that hurt most and the models nobody owns. esc escapes a data string for the medium.
func BuildPlatformDigest(d queries.PlatformDigest, l Lang, loc *time.Location, esc func(string) string) DigestView {
	p := &Printer{l: l, loc: loc, now: d.Now}
	if loc == nil {
		loc = time.UTC
	}
	v := DigestView{Emoji: digestEmoji(platformStatus(d)),
		Title: Tr(l, "Platform digest · ", "プラットフォームダイジェスト · ") + d.Now.In(loc).Format("2006-01-02")}
	v.Headline = Tr(l, "Every team's data health, the weakest first, and where the project is blind.",
		"全チームのデータ健全性（弱い順）と、プロジェクトの死角です。")
	if lines := p.digestHealth(d.Project, esc); len(lines) > 0 {
		v.Sections = append(v.Sections, DigestSection{Title: Tr(l, "The whole project", "プロジェクト全体"), Lines: lines})
	}
	var teams []string
	for _, t := range d.Teams {
		line := "• " + esc(t.Team) + ": "
		if t.Total == nil {
			line += Tr(l, "no scored tests", "採点できるテストなし")
		} else {
			line += p.healthLine(t.DigestHealth, esc)
		}
		if c := t.Coverage; c.ModelsNoOwner > 0 {
			line += Tr(l, " · "+quantity.Plural(int64(c.ModelsNoOwner), "model", "models")+" without an owner",
				fmt.Sprintf("・オーナーなし %d", c.ModelsNoOwner))
		}
		if c := t.Coverage; c.ModelsNoTests > 0 {
			line += Tr(l, " · "+quantity.Plural(int64(c.ModelsNoTests), "model", "models")+" without tests",
				fmt.Sprintf("・テストなし %d", c.ModelsNoTests))
		}
		teams = append(teams, line)
	}
	if len(teams) > 0 {
		v.Sections = append(v.Sections, DigestSection{Title: Tr(l, "Teams, the weakest first", "チーム（弱い順）"), Lines: teams})
	}
	others := d.Coverage
	others.NoOwner = nil // listed on their own below
	v.Sections = append(v.Sections, DigestSection{Title: Tr(l, "Blind spots", "死角"), Lines: p.digestCoverage(others, esc)})
	var unowned []string
	for _, g := range d.Coverage.NoOwner {
		unowned = append(unowned, "• "+esc(FirstClean(g.Node.Name, g.Node.UniqueID))+
			Tr(l, fmt.Sprintf(" — %d downstream", g.Downstream), fmt.Sprintf(" — 下流 %d", g.Downstream)))
	}
	if len(unowned) > 0 {
		title := Tr(l, fmt.Sprintf("Models nobody owns (%d), most depended on first", d.Coverage.Counts.ModelsNoOwner),
			fmt.Sprintf("オーナーのいないモデル（%d 件、影響の大きい順）", d.Coverage.Counts.ModelsNoOwner))
		v.Sections = append(v.Sections, DigestSection{Title: title, Lines: unowned})
	}
	return v
}

// platformStatus colours the platform digest by the project's score: green from 90, yellow from 70, else red.
func platformStatus(d queries.PlatformDigest) string {
	switch ScoreHealth(d.Project.Total) {
	case queries.HealthOK:
		return queries.DigestGreen
	case queries.HealthWarn, queries.HealthUnknown:
		return queries.DigestYellow
	}
	return queries.DigestRed
}

// RenderPlatformText writes the platform digest as terminal text.
func RenderPlatformText(w io.Writer, d queries.PlatformDigest, l Lang, loc *time.Location) error {
	return renderDigestView(w, BuildPlatformDigest(d, l, loc, Clean))
}

// RenderPlatformJSON writes the platform digest as indented JSON: {"intent":"platform_digest","answer":{…}}.
func RenderPlatformJSON(w io.Writer, d queries.PlatformDigest) error {
	b, err := json.MarshalIndent(struct {
		Intent string                 `json:"intent"`
		Answer queries.PlatformDigest `json:"answer"`
	}{"platform_digest", d}, "", "  ")
	if err != nil {
		return fmt.Errorf("render platform digest json: %w", err)
	}
	if _, err := w.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("render platform digest json: %w", err)
	}
	return nil
}

// digestIncidents says, weekly, how the team's incidents were handled: the counts, how soon they were acknowledged
// and resolved, how they ended and the tests reopened most. Nothing when no incident opened or resolved.
func (p *Printer) digestIncidents(a *queries.IncidentStatsAnswer, esc func(string) string) []string {
	if a.Opened == 0 && a.Resolved == 0 {
		return nil
	}
	lines := []string{p.IncidentCounts(a),
		p.Tr("Time to acknowledge: ", "確認までの時間: ") + p.IncidentDurations(a.TimeToAcknowledge),
		p.Tr("Time to resolve: ", "解決までの時間: ") + p.IncidentDurations(a.TimeToResolve)}
	if len(a.Resolutions) > 0 {
		var ended []string
		for _, r := range a.Resolutions {
			ended = append(ended, fmt.Sprintf("%s %d", ResolutionWord(p.l, r.Resolution), r.Count))
		}
		lines = append(lines, p.Tr("How they ended: ", "解決の内訳: ")+strings.Join(ended, p.Tr(", ", "、")))
	}
	if len(a.MostReopened) > 0 {
		var names []string
		for _, r := range a.MostReopened {
			names = append(names, esc(FirstClean(r.Name, r.UniqueID))+fmt.Sprintf(" (%d)", r.Reopens))
		}
		lines = append(lines, p.Tr("Reopened most: ", "再発の多いもの: ")+strings.Join(names, p.Tr(", ", "、")))
	}
	return lines
}
