package handlers

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/todai-dev/todai/queries"
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
	// Mentions maps owners to Slack mentions (Slack only), as in SlackOptions.
	Mentions map[string]string
}

// digestView is the digest's content as lines, shared by the text and Slack renderers.
type digestView struct {
	emoji, title, headline string
	note                   string
	sections               []digestSection
	footer                 string
}

type digestSection struct {
	title string
	lines []string
}

func statusEmojiDigest(s string) string {
	switch s {
	case queries.DigestRed:
		return "🔴"
	case queries.DigestYellow:
		return "🟡"
	}
	return "🟢"
}

// buildDigest turns a digest into localised lines; owner renders an owner (plain text or a mention), esc escapes
// a data string for the medium.
func buildDigest(a queries.DigestAnswer, o DigestOptions, owner func(string) string, esc func(string) string) digestView {
	l := o.Lang
	loc := o.Location
	if loc == nil {
		loc = time.UTC
	}
	at := func(t time.Time) string { return t.In(loc).Format("2006-01-02 15:04 MST") }
	owners := func(os []string) string {
		if len(os) == 0 {
			return tr(l, "no owner", "オーナー未設定")
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
		d := relative(l, *p.Since, a.Now)
		if p.SinceBefore {
			return tr(l, "for over 7 days", "7日以上")
		}
		return tr(l, "since "+d, d+"から")
	}
	v := digestView{emoji: statusEmojiDigest(a.Status),
		title: tr(l, "Daily digest: ", "デイリーダイジェスト: ") + esc(a.Team) + " · " + a.Now.In(loc).Format("2006-01-02")}
	c := a.Counts
	switch a.Status {
	case queries.DigestRed:
		n := len(a.ModelErrors) + len(a.New) + len(a.StillFailing) + len(a.Sources)
		v.headline = tr(l, fmt.Sprintf("%d problem(s) need attention.", n), fmt.Sprintf("対応が必要な問題が %d 件あります。", n))
	case queries.DigestYellow:
		v.headline = tr(l, "No failures, but some warnings to look at.", "失敗はありませんが、確認したい警告があります。")
	default:
		v.headline = tr(l, "All green: every model ran and every test passed.", "オールグリーン: すべてのモデルとテストが正常です。")
	}
	if o.Late {
		slot := o.Slot
		if slot.IsZero() {
			slot = a.Now
		}
		v.note = tr(l, "⏰ This digest was due at "+at(slot)+" but Todai was down; posted late.",
			"⏰ このダイジェストは "+at(slot)+" の予定でしたが、Todai が停止していたため遅れて投稿しています。")
	}
	counts := tr(l,
		fmt.Sprintf("Models: %d run, %d failed, %d skipped · Tests: %d pass, %d warn, %d fail, %d error",
			c.ModelsRun, c.ModelsFailed, c.ModelsSkipped, c.TestsPass, c.TestsWarn, c.TestsFail, c.TestsError),
		fmt.Sprintf("モデル: 実行 %d・失敗 %d・スキップ %d ／ テスト: 成功 %d・警告 %d・失敗 %d・エラー %d",
			c.ModelsRun, c.ModelsFailed, c.ModelsSkipped, c.TestsPass, c.TestsWarn, c.TestsFail, c.TestsError))
	add := func(title string, lines []string) {
		if len(lines) > 0 {
			v.sections = append(v.sections, digestSection{title, lines})
		}
	}
	add(tr(l, "Last 24 h", "過去24時間"), []string{counts})
	if a.AllGreen() {
		add(tr(l, "7-day trend", "7日間の推移"), []string{a.Sparkline})
		v.footer = reportLine(a, l)
		return v
	}
	problem := func(p queries.DigestProblem) string {
		s := esc(p.TestName) + tr(l, " on ", "（") + esc(p.Node.Name) + tr(l, "", "）") + " — " + p.Kind[len("test_"):]
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
			lines = append(lines, "• "+esc(p.Node.Name)+tr(l, " errored", " がエラー")+" · "+owners(p.Owners))
		}
	}
	newTitle := tr(l, "New since the last digest", "前回のダイジェスト以降の新規")
	if a.Previous == nil {
		newTitle = tr(l, "New in the last 24 h", "過去24時間の新規")
	}
	add(newTitle, lines)
	lines = nil
	for _, p := range a.StillFailing {
		lines = append(lines, "• "+problem(p))
	}
	add(tr(l, "Still failing", "継続中の失敗"), lines)
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
	add(tr(l, "Model errors", "モデルのエラー"), lines)
	lines = nil
	for _, s := range a.Sources {
		what := tr(l, "stale", "鮮度切れ")
		if s.Status == "runtime error" {
			what = tr(l, "freshness check failed", "鮮度チェック失敗")
		}
		line := "• " + esc(s.Name) + " — " + what
		if s.MaxLoadedAt != nil {
			line += tr(l, ", last loaded ", "、最終ロード ") + relative(l, *s.MaxLoadedAt, a.Now)
		}
		if s.Error != "" {
			line += "\n    " + esc(FirstLine(s.Error))
		}
		lines = append(lines, line)
	}
	add(tr(l, "Sources", "ソース"), lines)
	lines = nil
	for _, s := range a.Slow {
		lines = append(lines, fmt.Sprintf("• %s — %.0fs %s %.0fs (×%.1f)", esc(s.Node.Name), s.Seconds,
			tr(l, "vs a 7-day median of", "／7日間の中央値"), s.MedianSeconds, s.Ratio))
	}
	add(tr(l, "Slow models", "遅いモデル"), lines)
	lines = nil
	for _, f := range a.Flaky {
		lines = append(lines, "• "+esc(f.Name)+tr(l, fmt.Sprintf(" — %d flips in 7 days", f.Flips),
			fmt.Sprintf(" — 7日間で %d 回反転", f.Flips))+" · "+owners(f.Owners))
	}
	add(tr(l, "Flaky tests", "不安定なテスト"), lines)
	add(tr(l, "7-day trend", "7日間の推移"), []string{a.Sparkline + "  " + trendNumbers(a.Trend)})
	lines = nil
	for i, x := range a.Actions {
		var what string
		switch x.Kind {
		case "fix_model":
			what = tr(l, "Fix the model ", "モデルを修正: ") + esc(x.Subject)
		case "check_source":
			what = tr(l, "Check the loader of ", "ローダーを確認: ") + esc(x.Subject)
		default:
			what = tr(l, "Fix the test ", "テストを修正: ") + esc(x.Subject) + tr(l, " on ", "（") + esc(x.Node.Name) + tr(l, "", "）")
		}
		lines = append(lines, fmt.Sprintf("%d. %s → %s", i+1, what, owners(x.Owners)))
	}
	add(tr(l, "Top actions", "優先アクション"), lines)
	v.footer = reportLine(a, l)
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
	return tr(l, "Elementary report: ", "Elementary レポート: ") + a.ReportURL
}

// RenderDigestText writes a digest as terminal text.
func RenderDigestText(w io.Writer, a queries.DigestAnswer, o DigestOptions) error {
	v := buildDigest(a, o, func(s string) string { return clean(s) }, clean)
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "%s %s\n%s\n", v.emoji, v.title, v.headline)
	if v.note != "" {
		fmt.Fprintln(bw, v.note)
	}
	for _, s := range v.sections {
		fmt.Fprintf(bw, "\n%s\n", s.title)
		for _, line := range s.lines {
			fmt.Fprintln(bw, line)
		}
	}
	if v.footer != "" {
		fmt.Fprintf(bw, "\n%s\n", v.footer)
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

// RenderDigestSlack renders a digest as Block Kit: a header with the status emoji, the headline, one section
// per part, owners mentioned, and a button to the Elementary report.
func RenderDigestSlack(a queries.DigestAnswer, o DigestOptions) SlackMessage {
	owner := func(s string) string {
		if m, ok := o.Mentions[s]; ok && validMention(m) {
			return m
		}
		return SlackEscape(s)
	}
	v := buildDigest(a, o, owner, SlackEscape)
	blocks := []slack.Block{
		slack.NewHeaderBlock(slack.NewTextBlockObject(slack.PlainTextType, Truncate(v.emoji+" "+v.title, 150), true, false)),
		slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, "*"+v.headline+"*", false, false), nil, nil),
	}
	if v.note != "" {
		blocks = append(blocks, slack.NewContextBlock("todai_digest_late",
			slack.NewTextBlockObject(slack.MarkdownType, v.note, false, false)))
	}
	for _, s := range v.sections {
		text := "*" + s.title + "*\n" + strings.Join(s.lines, "\n")
		blocks = append(blocks, slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType,
			Truncate(text, 3000), false, false), nil, nil))
	}
	if a.ReportURL != "" {
		btn := slack.NewButtonBlockElement("todai_digest_report", "report",
			slack.NewTextBlockObject(slack.PlainTextType, tr(o.Lang, "Open Elementary report", "Elementary レポートを開く"), false, false))
		btn.URL = a.ReportURL
		blocks = append(blocks, slack.NewActionBlock("todai_digest_actions", btn))
	}
	return SlackMessage{Text: v.emoji + " " + v.title + " — " + v.headline, Blocks: blocks}
}
