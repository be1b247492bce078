package slackui

import (
	"strings"

	"github.com/todai-dev/todai/handlers"
	"github.com/todai-dev/todai/queries"
)

// This file lays out an answer's view (handlers.View) as blocks, and errors. Every datum goes through Escape (or
// code, or owner); labels are ours.

func (b *builder) renderAnswer() {
	v, ok := b.p.View(b.res)
	if !ok {
		b.header(":white_circle:", "Todai")
		b.section(b.tr("No answer.", "回答はありません。"))
		return
	}
	b.node = v.Node
	if b.opts.Mentions == nil && b.opts.Resolve != nil {
		if owners := v.OwnerKeys(); len(owners) > 0 {
			b.opts.Mentions = b.opts.Resolve(owners)
		}
	}
	b.header(b.span(v.Mark), v.Title)
	b.summary = b.line(v.Summary)
	if v.Subtitle != "" {
		b.section("*" + Escape(v.Subtitle) + "*")
	}
	b.blocksOf(v)
}

// blocksOf adds a view's body: a note as a section ("*Label*: text"), facts as fields, a list as a titled list.
func (b *builder) blocksOf(v handlers.View) {
	for _, blk := range v.Blocks {
		switch blk := blk.(type) {
		case handlers.Note:
			s := b.line(blk.Text)
			if blk.Label != "" {
				s = "*" + Escape(blk.Label) + "*: " + s
			}
			if blk.Icon != "" {
				s = iconEmoji(blk.Icon) + " " + s
			}
			b.section(s)
		case handlers.Facts:
			fs := make([]field, 0, len(blk))
			for _, f := range blk {
				if f.Value.Empty() {
					continue
				}
				v := b.line(f.Value)
				for _, m := range f.More {
					v += "\n" + b.line(m)
				}
				fs = append(fs, field{strings.ReplaceAll(Escape(f.Label), "*", ""), v})
			}
			b.fields(fs...)
		case *handlers.Chart:
			b.addChart(blk)
		case handlers.List:
			items, total := blk.Shown()
			b.list(Escape(blk.Title), total, func(i int) string {
				s := b.line(items[i].Text)
				if d := items[i].Detail; !d.Empty() {
					s += "\n   " + b.line(d)
				}
				return s
			})
		}
	}
}

// line renders spans as escaped mrkdwn.
func (b *builder) line(l handlers.Line) string {
	var sb strings.Builder
	for _, s := range l {
		sb.WriteString(b.span(s))
	}
	return sb.String()
}

// span renders one span: our words and data escaped, names bold, identifiers as code, messages in italics, owners
// as mentions when the bot resolved them, statuses and healths as emoji.
func (b *builder) span(s handlers.Span) string {
	switch s.Kind {
	case handlers.SpanWords:
		return escapeWords(s.Text)
	case handlers.SpanDatum:
		return fitMax(Escape(s.Text), s.Max)
	case handlers.SpanStrong:
		if t := handlers.Clean(s.Text); t != "" {
			return "*" + escapeMarkup(t) + "*"
		}
		return ""
	case handlers.SpanCode:
		return code(s.Text)
	case handlers.SpanQuote:
		if t := fitMax(Escape(s.Text), s.Max); t != "" {
			return "_" + t + "_"
		}
		return ""
	case handlers.SpanOwner:
		if m, ok := b.opts.Mentions[s.OwnerKey()]; ok && validMention(m) {
			return m
		}
		return Escape(s.Text)
	case handlers.SpanStatus:
		return statusEmoji(s.Text)
	case handlers.SpanFresh:
		return statusEmoji(s.Text) + " " + Escape(b.p.FreshMark(s.Text))
	case handlers.SpanHealth:
		return healthEmoji(s.Health)
	case handlers.SpanIcon:
		return iconEmoji(s.Icon)
	case handlers.SpanLink:
		return link(s.URL, s.Text)
	}
	return ""
}

// escapeWords escapes our own words as Escape does, keeping the spaces at their ends: they join the spans.
func escapeWords(s string) string {
	core := strings.Trim(s, " ")
	if core == "" {
		return s
	}
	i := strings.Index(s, core)
	return s[:i] + Escape(core) + s[i+len(core):]
}

// fitMax cuts escaped text to max runes (no bound when max is 0).
func fitMax(s string, max int) string {
	if max <= 0 {
		return s
	}
	return fitEscaped(s, max)
}

// iconEmoji is the Slack emoji of an icon.
func iconEmoji(i handlers.Icon) string {
	switch i {
	case handlers.IconOverdue:
		return ":hourglass:"
	case handlers.IconStopped:
		return ":octagonal_sign:"
	case handlers.IconOwner:
		return ":bust_in_silhouette:"
	case handlers.IconDescribe:
		return ":page_facing_up:"
	case handlers.IconTests:
		return ":test_tube:"
	case handlers.IconHelp:
		return ":wave:"
	case handlers.IconAlert:
		return ":rotating_light:"
	}
	return ":white_circle:"
}

// healthEmoji is the Slack emoji for a health.
func healthEmoji(h queries.Health) string {
	switch h {
	case queries.HealthError, queries.HealthFailing:
		return ":red_circle:"
	case queries.HealthStale:
		return ":large_orange_circle:"
	case queries.HealthWarn:
		return ":large_yellow_circle:"
	case queries.HealthOK:
		return ":large_green_circle:"
	}
	return ":white_circle:"
}

// statusEmoji is the emoji for a raw run, test or freshness status.
func statusEmoji(s string) string {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "success", "pass":
		return ":white_check_mark:"
	case "warn":
		return ":warning:"
	case "fail", "error":
		return ":x:"
	case "runtime error":
		return ":exclamation:"
	case "skipped":
		return ":fast_forward:"
	}
	return ":grey_question:"
}

func (b *builder) renderError() {
	e := b.res.Err
	emoji := ":warning:"
	title := b.tr("Sorry", "エラー")
	switch e.Code {
	case handlers.CodeNotFound:
		emoji, title = ":mag:", b.tr("Not found", "見つかりません")
	case handlers.CodeAmbiguous:
		emoji, title = ":twisted_rightwards_arrows:", b.tr("Which one?", "どれのことですか?")
	case handlers.CodeUnavailable:
		emoji, title = ":hourglass_flowing_sand:", b.tr("No data", "データがありません")
	case handlers.CodeBadRequest:
		title = b.tr("I did not get that", "質問を理解できませんでした")
	}
	b.header(emoji, title)
	msg := Escape(e.Message)
	b.summary = msg
	b.section(msg)
	if len(e.Suggestions) > 0 {
		label := b.tr("Did you mean", "もしかして")
		if e.Code == handlers.CodeAmbiguous {
			label = b.tr("Candidates", "候補")
		}
		b.list(label, len(e.Suggestions), func(i int) string { return code(e.Suggestions[i]) })
	}
	if e.Code == handlers.CodeBadRequest && (e.Problem == handlers.ProblemUnknown || e.Problem == handlers.ProblemNone) {
		if help, ok := b.p.View(handlers.Result{Intent: string(handlers.IntentHelp), Answer: handlers.Help(b.l), Lang: b.l}); ok {
			b.blocksOf(help)
		}
	}
}

// addChart adds a chart: Slack's drawing of it (Message.Picture when Slack cannot draw it), then its essentials in
// words, which every reader gets and the fallback text repeats.
func (b *builder) addChart(c *handlers.Chart) {
	b.chart = c
	if block, ok := ChartBlock(c, b.id("chart")); ok {
		b.blocks = append(b.blocks, block)
	} else {
		b.picture = true
	}
	lines := make([]string, 0, len(c.Summary)+1)
	lines = append(lines, "*"+Escape(c.Title)+"*")
	for _, l := range c.Summary {
		lines = append(lines, b.line(l))
	}
	b.section(strings.Join(lines, "\n"))
}
