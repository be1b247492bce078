package handlers

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/todai-dev/todai/queries"
)

// MaxListItems is how many items a text list shows before "…and N more".
const MaxListItems = 10

// RenderText writes res as friendly terminal text in the asker's language. Every data string is stripped of
// control characters and escape sequences first.
func RenderText(w io.Writer, res Result) error {
	bw := bufio.NewWriter(w)
	p := &Printer{w: bw, l: res.Lang, now: res.Now, loc: res.Zone}
	if p.now.IsZero() {
		p.now = time.Now().UTC()
	}
	if res.Warning != nil {
		p.line("! " + WarningText(res))
	}
	switch {
	case res.Err != nil:
		p.renderError(res)
	default:
		p.renderAnswer(res)
	}
	if res.Err == nil && !res.AsOf.IsZero() {
		p.line(p.Tr("As of ", "データ時点: ") + p.When(res.AsOf) + p.Tr(".", ""))
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("render text %s: %w", res.Intent, err)
	}
	return nil
}

// WarningText says the answer comes from an older sync because the last one failed.
func WarningText(res Result) string {
	if res.Warning == nil {
		return ""
	}
	ago := Relative(res.Lang, res.Warning.LastSuccess, res.Now)
	return Tr(res.Lang,
		"The warehouse could not be reached; answer from the last good sync, "+ago+".",
		"ウェアハウスに接続できませんでした。最後に成功した同期（"+ago+"）のデータで回答しています。")
}

// Printer phrases an answer's facts in the reader's language (times with their age, durations, health, causes,
// changes…) and, for the terminal, writes the answer's lines. The text renderer writes with it; bot/slackui lays
// out Block Kit with its phrases (NewPrinter), so both media word a fact the same way.
type Printer struct {
	w   *bufio.Writer
	l   Lang
	now time.Time
	// loc is the reader's zone for text times (UTC when nil).
	loc *time.Location
	// showTime, when set, shows a time without its age instead of the zone's clock (Slack's date tokens, which every
	// reader sees in their own zone).
	showTime func(time.Time) string
}

// NewPrinter returns a Printer for phrases only (it writes no lines) in language l, ages counted to now, times
// shown by showTime.
func NewPrinter(l Lang, now time.Time, showTime func(time.Time) string) *Printer {
	return &Printer{l: NormLang(l), now: now, showTime: showTime}
}

// NewZonedPrinter returns a Printer for phrases only in language l, ages counted to now, times shown in loc (UTC
// when nil) as the terminal shows them.
func NewZonedPrinter(l Lang, now time.Time, loc *time.Location) *Printer {
	return &Printer{l: NormLang(l), now: now, loc: loc}
}

// Tr picks the English or the Japanese text for the reader.
func (p *Printer) Tr(en, ja string) string { return Tr(p.l, en, ja) }

func (p *Printer) line(s string) {
	p.w.WriteString(s)
	p.w.WriteByte('\n')
}

// When renders a time with its age: "2026-11-24 19:00 JST (3 h ago)" in the reader's zone, or in Slack a date token
// that Slack shows in each reader's own zone, with the UTC time as its fallback text.
func (p *Printer) When(t time.Time) string {
	if t.IsZero() {
		return p.Tr("never", "なし")
	}
	return p.clock(t) + " (" + Relative(p.l, t, p.now) + ")"
}

// clock renders a time without its age.
func (p *Printer) clock(t time.Time) string {
	if p.showTime != nil {
		return p.showTime(t)
	}
	loc := p.loc
	if loc == nil {
		loc = time.UTC
	}
	return t.In(loc).Format("2006-01-02 15:04 MST")
}

// WhenPtr is When of a time that may be unknown.
func (p *Printer) WhenPtr(t *time.Time) string {
	if t == nil {
		return p.Tr("unknown time", "時刻不明")
	}
	return p.When(*t)
}

// Relative renders t Relative to now: "3 h ago", "3時間前".
func Relative(l Lang, t, now time.Time) string {
	d := now.Sub(t)
	future := d < 0
	if future {
		d = -d
	}
	var n int
	var en, ja string
	switch {
	case d < time.Minute:
		return Tr(l, "just now", "たった今")
	case d < time.Hour:
		n, en, ja = int(d/time.Minute), "min", "分"
	case d < 48*time.Hour:
		n, en, ja = int(d/time.Hour), "h", "時間"
	default:
		n, en, ja = int(d/(24*time.Hour)), "d", "日"
	}
	if future {
		return Tr(l, fmt.Sprintf("in %d %s", n, en), fmt.Sprintf("%d%s後", n, ja))
	}
	return Tr(l, fmt.Sprintf("%d %s ago", n, en), fmt.Sprintf("%d%s前", n, ja))
}

// Seconds renders a run's execution time ("12.3 s"); "" when unknown.
func (p *Printer) Seconds(s *float64) string {
	if s == nil {
		return ""
	}
	return p.Tr(fmt.Sprintf("%.1f s", *s), fmt.Sprintf("%.1f秒", *s))
}

// Age renders a number of seconds as "3 h" / "3時間".
func (p *Printer) Age(s float64) string {
	if math.IsNaN(s) || math.IsInf(s, 0) {
		return "?"
	}
	d := time.Duration(s * float64(time.Second))
	switch {
	case d < time.Hour:
		return p.Tr(fmt.Sprintf("%d min", int(d/time.Minute)), fmt.Sprintf("%d分", int(d/time.Minute)))
	case d < 48*time.Hour:
		return p.Tr(fmt.Sprintf("%d h", int(d/time.Hour)), fmt.Sprintf("%d時間", int(d/time.Hour)))
	}
	return p.Tr(fmt.Sprintf("%d d", int(d/(24*time.Hour))), fmt.Sprintf("%d日", int(d/(24*time.Hour))))
}

// more writes "…and N more" when a list was capped.
func (p *Printer) more(indent string, total int) {
	if total > MaxListItems {
		p.line(indent + p.Tr(fmt.Sprintf("…and %d more", total-MaxListItems), fmt.Sprintf("…他 %d 件", total-MaxListItems)))
	}
}

// marker is a plain-text health marker.
func (p *Printer) marker(h queries.Health) string {
	return p.phraseOr(healthMarkers, string(h), healthMarkers[string(queries.HealthUnknown)])
}

// statusMark is a marker for a raw run/test/freshness status string.
func (p *Printer) statusMark(s string) string {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "success", "pass":
		return "[ok]"
	case "warn":
		return "[warn]"
	case "fail", "error", "runtime error":
		return "[" + strings.ToUpper(Clean(s)) + "]"
	case "skipped":
		return "[skipped]"
	case "":
		return "[?]"
	}
	return "[" + Clean(s) + "]"
}

// FreshMark is a marker for a source freshness status.
func (p *Printer) FreshMark(s string) string {
	if ph, ok := freshMarkers[strings.ToLower(strings.TrimSpace(s))]; ok {
		return p.Tr(ph[0], ph[1])
	}
	return p.statusMark(s)
}

// NodeTitle is "fct_orders (model)" in the reader's language.
func (p *Printer) NodeTitle(n queries.Node) string {
	name := Clean(n.Name)
	if name == "" {
		name = Clean(n.UniqueID)
	}
	if n.ResourceType != "" {
		name += " (" + p.ResourceType(n.ResourceType) + ")"
	}
	return name
}

// ResourceType names a dbt resource type in the reader's language.
func (p *Printer) ResourceType(t string) string { return p.phrase(resourceTypes, t) }

// TestWhat says what a test checks: "not_null on id of model.shop.orders (ERROR)".
func (p *Printer) TestWhat(d *queries.TestDefinition) string {
	s := FirstClean(d.ShortName, p.Tr("test", "テスト"))
	if d.Column != "" {
		s += p.Tr(" on ", " 対象カラム ") + Clean(d.Column)
	}
	if d.ModelUniqueID != "" {
		s += p.Tr(" of ", " 対象 ") + Clean(d.ModelUniqueID)
	}
	if d.Severity != "" {
		s += " (" + Clean(d.Severity) + ")"
	}
	return s
}

// QuietStatus reports a run status whose message is not worth showing (a success or a passing test).
func QuietStatus(status string) bool {
	st := strings.ToLower(status)
	return st == "success" || st == "pass"
}

// Overdue says a node missed its usual build: "missed its daily build: last success … , 5 h late; job nightly has
// not run since".
func (p *Printer) Overdue(o *queries.Overdue) string {
	cadence := map[string][2]string{"hourly": {"hourly", "毎時"}, "daily": {"daily", "毎日"},
		"weekdays": {"weekday", "平日"}}[o.Cadence]
	if cadence[0] == "" {
		h := int(o.CadenceSeconds / 3600)
		cadence = [2]string{fmt.Sprintf("every-%d-hour", h), fmt.Sprintf("%d時間ごとの", h)}
	}
	late := p.Age(o.LateSeconds)
	s := p.Tr("missed its "+cadence[0]+" build: last success ", cadence[1]+"のビルドが遅れています。最後の成功 ") +
		p.WhenPtr(o.LastSuccess) + p.Tr(", "+late+" late", "、"+late+"遅延")
	switch {
	case o.JobName == "":
	case o.JobRanSince:
		s += p.Tr("; job "+Clean(o.JobName)+" ran since without building it", "。ジョブ "+Clean(o.JobName)+" は実行されましたがビルドしていません")
	default:
		s += p.Tr("; job "+Clean(o.JobName)+" has not run since", "。ジョブ "+Clean(o.JobName)+" はそれ以降実行されていません")
	}
	return s
}

// FailingRows is "1 failing row", "7 failing rows", "失敗行 7".
func (p *Printer) FailingRows(n int64) string {
	if n == 1 {
		return p.Tr("1 failing row", "失敗行 1")
	}
	return p.Tr(fmt.Sprintf("%d failing rows", n), fmt.Sprintf("失敗行 %d", n))
}

// testNames returns how each test of a list is named: its short name ("not_null"), else its dbt name, else its
// unique_id. Where two tests of the list would read the same (same short name, column and model), each of them
// is named by its dbt name instead, and by its unique_id when even those are the same.
func testNames(n int, ref func(i int) (short, name, id, column, model string)) []string {
	type key struct{ label, column, model string }
	labels := make([]string, n)
	keys := make([]key, n)
	seen := make(map[key]int, n)
	for i := range n {
		short, name, id, column, model := ref(i)
		labels[i] = FirstClean(short, name, id)
		keys[i] = key{labels[i], column, model}
		seen[keys[i]]++
	}
	full := make(map[string]int, n)
	for i := range n {
		if seen[keys[i]] > 1 {
			_, name, id, _, _ := ref(i)
			labels[i] = FirstClean(name, id)
			full[labels[i]]++
		}
	}
	for i := range n {
		if seen[keys[i]] > 1 && full[labels[i]] > 1 {
			_, _, id, _, _ := ref(i)
			labels[i] = Clean(id)
		}
	}
	return labels
}

// StateNames names the tests of a list of latest results (testNames).
func StateNames(ts []queries.TestState) []string {
	return testNames(len(ts), func(i int) (string, string, string, string, string) {
		return ts[i].ShortName, ts[i].Name, ts[i].UniqueID, ts[i].Column, ""
	})
}

// FailureNames names the tests of a failures list (testNames).
func FailureNames(fs []queries.Failure) []string {
	return testNames(len(fs), func(i int) (string, string, string, string, string) {
		return fs[i].TestShortName, fs[i].TestName, fs[i].TestUniqueID, fs[i].Column, fs[i].ModelUniqueID
	})
}

// FirstClean is the first of ss that is not empty once cleaned.
func FirstClean(ss ...string) string {
	for _, s := range ss {
		if c := Clean(s); c != "" {
			return c
		}
	}
	return ""
}

func (p *Printer) list(indent string, n int, item func(i int) string) {
	for i := 0; i < n && i < MaxListItems; i++ {
		p.line(indent + item(i))
	}
	p.more(indent, n)
}

func (p *Printer) renderError(res Result) {
	e := res.Err
	p.line(p.Tr("Sorry: ", "エラー: ") + Clean(e.Message))
	if len(e.Suggestions) > 0 {
		if e.Code == CodeAmbiguous {
			p.line(p.Tr("Candidates:", "候補:"))
		} else {
			p.line(p.Tr("Did you mean:", "もしかして:"))
		}
		p.list("  - ", len(e.Suggestions), func(i int) string { return Clean(e.Suggestions[i]) })
	}
	if e.Code == CodeBadRequest && (e.Problem == ProblemUnknown || e.Problem == ProblemNone) {
		p.line("")
		if help, ok := p.View(Result{Intent: string(IntentHelp), Answer: Help(res.Lang), Lang: res.Lang}); ok {
			p.renderView(help)
		}
	}
}

func (p *Printer) renderAnswer(res Result) {
	v, ok := p.View(res)
	if !ok {
		p.line(p.Tr("No answer.", "回答はありません。"))
		return
	}
	p.renderView(v)
}

// renderView writes a view as lines: the marked title, then each block indented — a note as "label: text" (its
// icon's marker standing for the label), facts one per line, a list under its title.
func (p *Printer) renderView(v View) {
	title := v.Title
	if m := p.plainSpan(v.Mark); m != "" {
		title = m + " " + title
	}
	if v.Subtitle != "" {
		title += " — " + v.Subtitle
	}
	p.line(title)
	for _, b := range v.Blocks {
		switch b := b.(type) {
		case Note:
			head := b.Label + ": "
			if m := p.plainSpan(IconMark(b.Icon)); m != "" {
				head = m + " "
			} else if b.Label == "" {
				head = ""
			}
			p.line("  " + head + p.Plain(b.Text))
		case Facts:
			for _, f := range b {
				if f.Value.Empty() {
					continue
				}
				p.line("  " + f.Label + ": " + p.Plain(f.Value))
				for _, m := range f.More {
					p.line("      " + p.Plain(m))
				}
			}
		case *Chart:
			p.line("  " + p.Tr("Chart", "グラフ") + ": " + b.Title + "  " + b.Spark())
			for _, l := range b.Summary {
				p.line("    " + p.Plain(l))
			}
		case List:
			p.line("  " + b.Title + ":")
			items, total := b.Shown()
			p.list("    ", total, func(i int) string {
				s := p.Plain(items[i].Text)
				if !items[i].Detail.Empty() {
					s += "\n      " + p.Plain(items[i].Detail)
				}
				return s
			})
		}
	}
}

// Clean makes a data string safe for a terminal: ANSI escape sequences removed, control and bidi/format characters
// replaced by spaces (newlines and tabs too, so one datum stays on one line), runs of spaces collapsed.
func Clean(s string) string {
	if s == "" || alreadyClean(s) {
		return s
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

// alreadyClean reports whether Clean would return s unchanged: valid UTF-8 with no control, invisible or
// non-space white space characters, single spaces and none at the ends. Most data is; it skips Clean's rebuild.
func alreadyClean(s string) bool {
	if s[0] == ' ' || s[len(s)-1] == ' ' {
		return false
	}
	prevSpace := false
	for _, r := range s {
		switch {
		case r == ' ':
			if prevSpace {
				return false
			}
			prevSpace = true
			continue
		case r < 0x20, r == 0x7f, r >= 0x80 && (unicode.IsSpace(r) || unicode.IsControl(r) || isInvisible(r)):
			return false
		}
		prevSpace = false
	}
	return true
}

func CleanJoin(ss []string) string {
	out := make([]string, 0, len(ss))
	for _, s := range ss {
		if c := Clean(s); c != "" {
			out = append(out, c)
		}
	}
	return strings.Join(out, ", ")
}

// FirstLine is s's first line, trimmed: an error message or a summary shown in one line.
func FirstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// Truncate shortens s for display to at most n runes, the last one "…" when something was cut. It is the one
// truncation of text meant for a reader, in every renderer and in the bot; data parsed back (a button's value) is
// clipped by clipRunes instead.
func Truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	if n < 1 {
		return ""
	}
	return string([]rune(s)[:n-1]) + "…"
}

func OrDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
