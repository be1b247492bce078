package slackui

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/todai-dev/todai/handlers"
	"github.com/todai-dev/todai/queries"
)

// Slack Block Kit limits (docs.slack.dev/reference/block-kit); Answer never exceeds them.
const (
	MaxBlocks         = 50
	MaxSectionText    = 3000
	MaxFields         = 10
	MaxFieldText      = 2000
	MaxHeaderText     = 150
	MaxActionElements = 25
	MaxButtonText     = 75
	MaxButtonValue    = 2000
	MaxButtonURL      = 3000
	MaxContextItems   = 10
	// maxItemRunes bounds one list item so one long message cannot crowd out the rest.
	maxItemRunes = 500
	// maxSuggestionButtons bounds the "ask about this one instead" buttons on a not-found or ambiguous error.
	maxSuggestionButtons = 5
)

// Action IDs of the buttons Answer adds. Suggestion buttons use ActionSuggest followed by an index.
const (
	ActionShare    = "todai_share"
	ActionUpstream = "todai_upstream"
	ActionOwner    = "todai_owner"
	ActionReport   = "todai_report"
	ActionDocs     = "todai_docs"
	ActionSuggest  = "todai_suggest_"
)

// Options are what the bot knows that the answer does not.
type Options struct {
	// Resolve, when set and Mentions is not, turns the owners an answer shows into their mentions (the bot's user
	// directory); it is called once per answer, with exactly those owners.
	Resolve func(owners []string) map[string]string
	// Mentions maps an owner as found in the data ("@alice", "alice@example.com", "finance-team") to a mention the
	// bot resolved ("<@U123>", "<!subteam^S123>"). Owners not in the map, or mapped to anything that is not a
	// user or user-group mention, are shown as escaped plain text.
	Mentions map[string]string
	// ReportURL is the base URL of the Elementary report; when set, an "Open in Elementary report" button appears.
	ReportURL string
	// DocsURL is the base URL of the dbt docs site; when set, a "dbt docs" button appears.
	DocsURL string
	// Ephemeral says the message is shown only to the asker; a "Share in channel" button is then added.
	Ephemeral bool
	// Now is the time relative times are shown against; Result.Now, then the clock, when zero.
	Now time.Time
}

// Message is a rendered answer: Blocks for the message and Text as the notification and fallback text.
type Message struct {
	// Text is the plain fallback (notifications, screen readers); always set, already escaped for Slack.
	Text string `json:"text"`
	// Blocks can be posted with slack.MsgOptionBlocks(msg.Blocks...).
	Blocks []slack.Block `json:"blocks"`
	// Subject is the unique_id of the node the answer is about, when it is about one (the bot remembers it for
	// replies in the thread).
	Subject string `json:"-"`
	// Chart is the answer's chart, when it has one: the bot draws it as an image where Slack cannot (Picture set,
	// or a post refused as invalid_blocks).
	Chart *handlers.Chart `json:"-"`
	// Picture says Slack cannot draw Chart as a block: the bot should attach it as an image.
	Picture bool `json:"-"`
}

// Action is what a Todai button's value carries, so the bot can ask again: {"i":"upstream","n":"model.x.y","l":"ja"}.
type Action struct {
	// Intent is the intent to ask ("upstream", "owner", …).
	Intent string `json:"i"`
	// Node is the node to ask about (a unique_id where known), or the failures scope.
	Node string `json:"n,omitempty"`
	// Lang is the asker's language.
	Lang handlers.Lang `json:"l,omitempty"`
	// Text is the original question, for the share button: the bot parses it again and posts the answer publicly.
	Text string `json:"q,omitempty"`
}

// ErrBadAction is returned by ParseAction for a value that is not a Todai button value.
var ErrBadAction = errors.New("not a todai button value")

// ParseAction reads a button value written by Answer.
func ParseAction(value string) (Action, error) {
	var a Action
	if len(value) > 4*MaxButtonValue {
		return a, fmt.Errorf("parse button value (%d bytes): %w", len(value), ErrBadAction)
	}
	if err := json.Unmarshal([]byte(value), &a); err != nil {
		return Action{}, fmt.Errorf("parse button value: %w: %w", ErrBadAction, err)
	}
	if a.Intent == "" {
		return Action{}, fmt.Errorf("parse button value: no intent: %w", ErrBadAction)
	}
	a.Lang = handlers.NormLang(a.Lang)
	return a, nil
}

// Question turns a button's action back into a question. With Text it parses the original question again (in the
// action's language); otherwise it asks Intent about Node. Bad values become a Question with a Problem, never a
// panic.
func (a Action) Question() handlers.Question {
	lang := handlers.NormLang(a.Lang)
	if a.Text != "" {
		q := handlers.Parse(a.Text)
		q.Lang = lang
		return q
	}
	q := handlers.Question{Intent: handlers.Intent(a.Intent), Node: a.Node, Lang: lang, Command: true, Text: a.Intent + " " + a.Node}
	// A button asks what the read model answers, or for help.
	switch spec, ok := handlers.Spec(q.Intent); {
	case !ok || (spec.Answer == nil && q.Intent != handlers.IntentHelp):
		q.Intent, q.Problem = handlers.IntentUnknown, handlers.ProblemUnknown
	case spec.Node == handlers.NeedsNode && a.Node == "":
		q.Problem = handlers.ProblemMissingNode
	}
	if strings.HasPrefix(q.Node, "team:") && q.Intent == handlers.IntentFailures {
		q.Team, q.Node = strings.TrimPrefix(q.Node, "team:"), ""
	}
	if len(q.Node) > handlers.MaxNodeLen || len(q.Team) > handlers.MaxNodeLen {
		q.Problem, q.Node, q.Team = handlers.ProblemBadNode, "", ""
	}
	return q
}

// Answer renders res as a Block Kit message in the asker's language, within Slack's limits. Every data string
// is escaped; only opts.Mentions produces mentions.
func Answer(res handlers.Result, opts Options) Message {
	now := opts.Now
	if now.IsZero() {
		now = res.Now
	}
	if now.IsZero() {
		now = time.Now().UTC()
	}
	b := &builder{p: handlers.NewPrinter(res.Lang, now, Date), l: res.Lang, opts: opts, res: res,
		ids: make(map[string]int, 8), blocks: make([]slack.Block, 0, 12)}
	if res.Err != nil {
		b.renderError()
	} else {
		b.renderAnswer()
	}
	return b.finish()
}

type builder struct {
	p      *handlers.Printer
	l      handlers.Lang
	opts   Options
	res    handlers.Result
	ids    map[string]int
	blocks []slack.Block
	// title is the header's text without the emoji, for the fallback.
	title string
	// summary is an optional first line for the fallback.
	summary string
	// node is what the buttons are about.
	node *queries.Node
	// chart is the answer's chart; picture says Slack cannot draw it as a block.
	chart   *handlers.Chart
	picture bool
}

func (b *builder) tr(en, ja string) string { return handlers.Tr(b.l, en, ja) }

// id returns a block_id unique within the message.
func (b *builder) id(base string) string {
	n := b.ids[base]
	b.ids[base] = n + 1
	if n == 0 {
		return "todai_" + base
	}
	return "todai_" + base + "_" + strconv.Itoa(n)
}

// header adds the header block: emoji and title, plain text. title is raw (not yet escaped).
func (b *builder) header(emoji, title string) {
	b.title = fitEscaped(Escape(title), MaxHeaderText)
	text := fitEscaped(strings.TrimSpace(emoji+" "+Escape(title)), MaxHeaderText) // a view may have no mark
	b.blocks = append(b.blocks, slack.NewHeaderBlock(slack.NewTextBlockObject(slack.PlainTextType, text, true, false),
		slack.HeaderBlockOptionBlockID(b.id("header"))))
}

// section adds a mrkdwn section; text is already escaped.
func (b *builder) section(text string) {
	if text == "" {
		return
	}
	b.blocks = append(b.blocks, slack.NewSectionBlock(
		slack.NewTextBlockObject(slack.MarkdownType, fitEscaped(text, MaxSectionText), false, false), nil, nil,
		slack.SectionBlockOptionBlockID(b.id("section"))))
}

// field is a label (trusted) and an escaped value.
type field struct{ label, value string }

// fields adds sections of at most ten "*label*\nvalue" fields; empty values are left out.
func (b *builder) fields(fs ...field) {
	objs := make([]*slack.TextBlockObject, 0, len(fs))
	for _, f := range fs {
		if f.value == "" {
			continue
		}
		objs = append(objs, slack.NewTextBlockObject(slack.MarkdownType,
			fitEscaped("*"+f.label+"*\n"+f.value, MaxFieldText), false, false))
	}
	for len(objs) > 0 {
		n := min(len(objs), MaxFields)
		b.blocks = append(b.blocks, slack.NewSectionBlock(nil, objs[:n:n], nil,
			slack.SectionBlockOptionBlockID(b.id("fields"))))
		objs = objs[n:]
	}
}

// list adds a section: a bold title line, then up to MaxListItems bullet items (escaped mrkdwn), then
// "…and N more" for the rest or for what did not fit in one section.
func (b *builder) list(title string, n int, item func(i int) string) {
	if n == 0 {
		return
	}
	var sb strings.Builder
	sb.WriteString("*" + title + "*")
	runes := utf8.RuneCountInString(title) + 2
	const reserve = 40 // room for "…and N more"
	shown := 0
	for i := 0; i < n && i < handlers.MaxListItems; i++ {
		line := "\n• " + fitEscaped(item(i), maxItemRunes)
		lr := utf8.RuneCountInString(line)
		if runes+lr > MaxSectionText-reserve {
			break
		}
		sb.WriteString(line)
		runes += lr
		shown++
	}
	if shown < n {
		sb.WriteString("\n" + b.tr(fmt.Sprintf("…and %d more", n-shown), fmt.Sprintf("…他 %d 件", n-shown)))
	}
	b.section(sb.String())
}

// finish adds the context line and the buttons, enforces the block limit and builds the fallback text.
func (b *builder) finish() Message {
	var ctx []slack.MixedElement
	if b.res.Warning != nil {
		ctx = append(ctx, slack.NewTextBlockObject(slack.MarkdownType, ":warning: "+Escape(handlers.WarningText(b.res)), false, false))
	}
	if b.res.Err == nil && !b.res.AsOf.IsZero() {
		ctx = append(ctx, slack.NewTextBlockObject(slack.MarkdownType, b.tr("as of ", "データ時点: ")+b.p.When(b.res.AsOf), false, false))
	}
	var tail []slack.Block
	if len(ctx) > 0 {
		tail = append(tail, slack.NewContextBlock(b.id("context"), ctx...))
	}
	if btns := b.buttons(); len(btns) > 0 {
		tail = append(tail, slack.NewActionBlock(b.id("actions"), btns...))
	}
	if room := MaxBlocks - len(tail); len(b.blocks) > room {
		b.blocks = b.blocks[:room-1]
		b.section(b.tr("…(cut to fit Slack's limits)", "…（Slack の制限のため省略）"))
	}
	b.blocks = append(b.blocks, tail...)
	text := b.title
	if b.summary != "" {
		text += "\n" + b.summary
	}
	if text == "" {
		text = "Todai"
	}
	if b.chart != nil {
		text += "\n" + Escape(b.chart.Title)
		for _, l := range b.chart.Summary {
			text += "\n" + Escape(b.p.Plain(l))
		}
	}
	msg := Message{Text: fitEscaped(text, MaxSectionText), Blocks: b.blocks, Chart: b.chart, Picture: b.picture}
	if b.node != nil {
		msg.Subject = b.node.UniqueID
	}
	return msg
}

// button makes a button with escaped, length-limited text.
func (b *builder) button(actionID, label string, a *Action) *slack.ButtonBlockElement {
	btn := slack.NewButtonBlockElement(actionID, "",
		slack.NewTextBlockObject(slack.PlainTextType, fitEscaped(Escape(label), MaxButtonText), false, false))
	if a != nil {
		v, ok := actionValue(*a)
		if !ok {
			return nil
		}
		btn.Value = v
	}
	return btn
}

// actionValue encodes a as compact JSON of at most MaxButtonValue characters, shortening the question text
// if needed; ok is false if it cannot fit.
func actionValue(a Action) (string, bool) {
	a.Node = clipRunes(a.Node, handlers.MaxNodeLen)
	a.Text = clipRunes(a.Text, 1000)
	for range 2 {
		v, err := json.Marshal(a)
		if err == nil && utf8.RuneCount(v) <= MaxButtonValue {
			return string(v), true
		}
		a.Text = ""
	}
	return "", false
}

// clipRunes cuts s to at most n runes without marking the cut: for values parsed back, never for display (Truncate).
func clipRunes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n])
}

// buttons are Share, Show upstream, Who owns this, the report and docs links, or suggestions for an error.
func (b *builder) buttons() []slack.BlockElement {
	out := make([]slack.BlockElement, 0, 6)
	add := func(btn *slack.ButtonBlockElement) {
		if btn != nil && len(out) < MaxActionElements {
			out = append(out, btn)
		}
	}
	res := b.res
	if res.Err != nil {
		if res.Err.Code != handlers.CodeNotFound && res.Err.Code != handlers.CodeAmbiguous {
			return out
		}
		for i, s := range res.Err.Suggestions {
			if i == maxSuggestionButtons {
				break
			}
			add(b.button(ActionSuggest+strconv.Itoa(i), handlers.Clean(s),
				&Action{Intent: res.Intent, Node: s, Lang: b.l}))
		}
		return out
	}
	if b.opts.Ephemeral && res.Intent != string(handlers.IntentHelp) {
		node := res.Question.Node
		if b.node != nil && b.node.UniqueID != "" {
			node = b.node.UniqueID
		}
		btn := b.button(ActionShare, b.tr("Share in channel", "チャンネルに共有"),
			&Action{Intent: res.Intent, Node: node, Lang: b.l, Text: res.Question.Text})
		if btn != nil {
			btn.Style = slack.StylePrimary
		}
		add(btn)
	}
	n := b.node
	if n == nil || n.UniqueID == "" {
		return out
	}
	if res.Intent != string(handlers.IntentUpstream) && n.ResourceType != "source" {
		add(b.button(ActionUpstream, b.tr("Show upstream", "上流を表示"),
			&Action{Intent: string(handlers.IntentUpstream), Node: n.UniqueID, Lang: b.l}))
	}
	if res.Intent != string(handlers.IntentOwner) {
		add(b.button(ActionOwner, b.tr("Who owns this", "オーナーは誰?"),
			&Action{Intent: string(handlers.IntentOwner), Node: n.UniqueID, Lang: b.l}))
	}
	if u := reportURL(b.opts.ReportURL, *n); u != "" {
		btn := b.button(ActionReport, b.tr("Open in Elementary report", "Elementary レポートを開く"), nil)
		btn.URL = u
		add(btn)
	}
	if u := docsURL(b.opts.DocsURL, *n); u != "" {
		btn := b.button(ActionDocs, b.tr("dbt docs", "dbt ドキュメント"), nil)
		btn.URL = u
		add(btn)
	}
	return out
}

// baseURL accepts an http(s) URL and returns it without a trailing slash, or "".
func baseURL(s string) string {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return ""
	}
	u.Fragment, u.RawFragment = "", ""
	return strings.TrimRight(u.String(), "/")
}

// reportURL links a model, seed or snapshot's runs in the Elementary report (elementary-schema.md §4.2).
func reportURL(base string, n queries.Node) string {
	base = baseURL(base)
	switch n.ResourceType {
	case "model", "seed", "snapshot":
	default:
		return ""
	}
	if base == "" {
		return ""
	}
	u := base + "/report/model-runs/" + url.PathEscape(n.UniqueID) + "/"
	if len(u) > MaxButtonURL {
		return ""
	}
	return u
}

// docsURL links a node in the dbt docs site: #!/model/<unique_id>.
func docsURL(base string, n queries.Node) string {
	base = baseURL(base)
	switch n.ResourceType {
	case "model", "source", "seed", "snapshot", "exposure":
	default:
		return ""
	}
	if base == "" {
		return ""
	}
	u := base + "/#!/" + n.ResourceType + "/" + url.PathEscape(n.UniqueID)
	if len(u) > MaxButtonURL {
		return ""
	}
	return u
}
