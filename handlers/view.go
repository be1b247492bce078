package handlers

import (
	"cmp"
	"strconv"

	"github.com/todai-dev/todai/queries"
)

// View is one answer laid out for any medium: a marked title, a one-line summary and blocks of notes, facts and
// lists. Each intent's view (view_*.go) chooses and phrases every fact once, through the Printer of the medium (so
// times are the medium's); the text renderer here and bot/slackui's Block Kit renderer only decide how each kind of
// block and span looks. So the terminal and Slack say the same things in the same order.
type View struct {
	// Mark leads the title: a health (a text marker, a coloured circle in Slack) or an icon; none where there is
	// nothing to sum up (an empty lineage).
	Mark Span
	// Title names what the answer is about ("fct_orders (model)"); the registry puts the intent's label before it
	// ("Why: fct_orders (model)").
	Title string
	// Subtitle follows the title, in words: "tests are failing".
	Subtitle string
	// Node is what the answer is about: Slack's buttons (upstream, owner, report, docs) act on it.
	Node *queries.Node
	// Summary is the answer in one line, for notifications (Slack's fallback text).
	Summary Line
	// Blocks are the body, in order.
	Blocks []Block
}

// Block is one part of a view's body: a Note, Facts or a List.
type Block interface{ block() }

// Note is one line: "Next: fix stg_payments …", or a sentence without a label.
type Note struct {
	// Icon marks the note (an overdue build); "" for none.
	Icon  Icon
	Label string
	Text  Line
}

// Facts are labelled values, one per line in text and two columns in Slack. A fact without a value is left out.
type Facts []Fact

// Fact is one labelled value; More are further lines of it (a run's message, a command's examples).
type Fact struct {
	Label string
	Value Line
	More  []Line
}

// List is a titled list: Items holds the first MaxListItems of its Total entries, and the renderers count the rest
// ("…and 12 more").
type List struct {
	Title string
	Items []Item
	Total int
}

// Shown is what a medium shows of the list: at most MaxListItems items, and how many entries there are in all.
func (l List) Shown() ([]Item, int) {
	items := l.Items[:min(len(l.Items), MaxListItems)]
	total := max(l.Total, len(l.Items))
	if len(items) < min(total, MaxListItems) {
		total = len(items) // Total promised more items than the list holds
	}
	return items, total
}

// listOf makes the list of n entries, laying out only the ones a medium shows.
func listOf(title string, n int, item func(i int) Item) List {
	items := make([]Item, min(n, MaxListItems))
	for i := range items {
		items[i] = item(i)
	}
	return List{Title: title, Items: items, Total: n}
}

// Item is one entry of a list; Detail, when set, is shown under it (a run's message, a check's error).
type Item struct {
	Text   Line
	Detail Line
}

func (Note) block()  {}
func (Facts) block() {}
func (List) block()  {}

// Line is a run of spans, rendered one after the other.
type Line []Span

// Span is a piece of a line. Words are ours (already phrased in the reader's language, possibly holding cleaned
// data and the medium's times); every other kind holds one datum, which each medium makes safe its own way.
type Span struct {
	Kind SpanKind
	// Text is the words or the datum (for Status and Fresh spans, the raw status).
	Text string
	// Key is the owner to mention for an Owner span (an email or a handle); Text when empty.
	Key string
	// URL is a Link's target.
	URL string
	// Health is a Health span's health.
	Health queries.Health
	// Icon is an Icon span's icon.
	Icon Icon
	// Max bounds a datum's length in runes (0: no bound beyond the medium's own).
	Max int
}

// SpanKind says how a span is drawn.
type SpanKind int

// The kinds of span.
const (
	// SpanWords is our own text.
	SpanWords SpanKind = iota
	// SpanDatum is a data string shown as it is.
	SpanDatum
	// SpanStrong is a datum that names the item (bold in Slack).
	SpanStrong
	// SpanCode is an identifier (a code span in Slack).
	SpanCode
	// SpanQuote is a message from the warehouse or dbt (italic in Slack).
	SpanQuote
	// SpanOwner is an owner, mentioned in Slack when the bot knows them.
	SpanOwner
	// SpanStatus is a raw run or test status ("fail"): a marker or an emoji.
	SpanStatus
	// SpanFresh is a source freshness status ("error" = stale): a marker or an emoji.
	SpanFresh
	// SpanHealth is a node's health: a marker or a coloured circle.
	SpanHealth
	// SpanIcon is an icon: a marker in text where it says something, an emoji in Slack.
	SpanIcon
	// SpanLink is a link: its Text labels URL.
	SpanLink
)

// Icon names a symbol each medium draws its own way.
type Icon string

// Icons.
const (
	IconOverdue  Icon = "overdue"
	IconStopped  Icon = "stopped"
	IconOwner    Icon = "owner"
	IconDescribe Icon = "describe"
	IconTests    Icon = "tests"
	IconHelp     Icon = "help"
	IconAlert    Icon = "alert"
)

// Words is a span of our own text.
func Words(s string) Span { return Span{Kind: SpanWords, Text: s} }

// Datum is a span of one data string.
func Datum(s string) Span { return Span{Kind: SpanDatum, Text: s} }

// Strong is a span of a datum that names the item.
func Strong(s string) Span { return Span{Kind: SpanStrong, Text: s} }

// Code is a span of an identifier.
func Code(s string) Span { return Span{Kind: SpanCode, Text: s} }

// Quote is a span of a message, shown up to max runes.
func Quote(s string, max int) Span { return Span{Kind: SpanQuote, Text: s, Max: max} }

// Owner is a span of an owner shown as display and mentioned as key.
func Owner(display, key string) Span { return Span{Kind: SpanOwner, Text: display, Key: key} }

// Status is a span of a raw run or test status.
func Status(s string) Span { return Span{Kind: SpanStatus, Text: s} }

// Fresh is a span of a source freshness status.
func Fresh(s string) Span { return Span{Kind: SpanFresh, Text: s} }

// HealthMark is a span of a health.
func HealthMark(h queries.Health) Span { return Span{Kind: SpanHealth, Health: h} }

// IconMark is a span of an icon.
func IconMark(i Icon) Span { return Span{Kind: SpanIcon, Icon: i} }

// Link is a span linking url, labelled label.
func Link(url, label string) Span { return Span{Kind: SpanLink, URL: url, Text: label} }

// Owners is a line of owners separated by commas; empty when there are none.
func Owners(owners []string) Line {
	var l Line
	for _, o := range owners {
		if Clean(o) == "" {
			continue
		}
		if len(l) > 0 {
			l = append(l, Words(", "))
		}
		l = append(l, Owner(o, o))
	}
	return l
}

// OwnerKey is whom an Owner span mentions: its Key, else the owner as shown.
func (s Span) OwnerKey() string {
	return cmp.Or(s.Key, s.Text)
}

// Empty reports whether the line shows nothing.
func (l Line) Empty() bool {
	for _, s := range l {
		if s.Kind == SpanHealth || s.Kind == SpanIcon || s.Kind == SpanStatus || s.Kind == SpanFresh || Clean(s.Text) != "" {
			return false
		}
	}
	return true
}

// Plain is the line's text as the terminal shows it.
func (p *Printer) Plain(l Line) string {
	var b []byte
	for _, s := range l {
		b = append(b, p.plainSpan(s)...)
	}
	return string(b)
}

func (p *Printer) plainSpan(s Span) string {
	switch s.Kind {
	case SpanWords:
		return s.Text
	case SpanStatus:
		return p.statusMark(s.Text)
	case SpanFresh:
		return p.FreshMark(s.Text)
	case SpanHealth:
		return p.marker(s.Health)
	case SpanIcon:
		switch s.Icon {
		case IconOverdue:
			return "[" + p.Tr("OVERDUE", "遅延") + "]"
		case IconStopped:
			return "[" + p.Tr("STOPPED", "停止") + "]"
		}
		return ""
	case SpanLink:
		return s.Text + ": " + Clean(s.URL)
	}
	d := Clean(s.Text)
	if s.Max > 0 {
		d = Truncate(d, s.Max)
	}
	return d
}

// View lays res's answer out with this Printer's words and times; ok is false when no view knows the answer.
func (p *Printer) View(res Result) (View, bool) {
	if spec, found := Spec(Intent(res.Intent)); found && spec.View != nil {
		v, ok := spec.View(p, res)
		if ok && res.Alert != nil {
			v = p.withAlert(v, res)
		}
		if label := p.Tr(spec.Label[0], spec.Label[1]); v.Title == "" {
			v.Title = label
		} else {
			v.Title = label + ": " + v.Title
		}
		return v, ok
	}
	return View{}, false
}

// viewOf adapts an intent's typed view to the registry: the answer must be an A.
func viewOf[A any](f func(p *Printer, a A, res Result) View) func(*Printer, Result) (View, bool) {
	return func(p *Printer, res Result) (View, bool) {
		a, ok := res.Answer.(A)
		if !ok {
			return View{}, false
		}
		return f(p, a, res), true
	}
}

// count is "Tests (3)", "テスト（3 件）".
func (p *Printer) count(en, ja string, n int) string {
	return p.Tr(en+" ("+strconv.Itoa(n)+")", ja+"（"+strconv.Itoa(n)+" 件）")
}

// OwnerKeys lists the owners the view names, first seen first: whom its message may mention, and no one else.
func (v View) OwnerKeys() []string {
	var out []string
	seen := map[string]bool{}
	add := func(l Line) {
		for _, s := range l {
			if key := s.OwnerKey(); s.Kind == SpanOwner && key != "" && !seen[key] {
				seen[key] = true
				out = append(out, key)
			}
		}
	}
	add(v.Summary)
	for _, b := range v.Blocks {
		switch b := b.(type) {
		case Note:
			add(b.Text)
		case Facts:
			for _, f := range b {
				add(f.Value)
				for _, m := range f.More {
					add(m)
				}
			}
		case List:
			for _, it := range b.Items {
				add(it.Text)
				add(it.Detail)
			}
		}
	}
	return out
}
