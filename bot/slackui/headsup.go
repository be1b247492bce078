package slackui

import (
	"cmp"
	"slices"

	"github.com/slack-go/slack"

	"github.com/todai-dev/todai/handlers"
	"github.com/todai-dev/todai/queries"
)

// HeadsUpOwner is whom a heads-up about an exposure mentions: its owner's email, else name ("" when it has none).
func HeadsUpOwner(a queries.SafeAnswer) string {
	if a.Exposure == nil {
		return ""
	}
	return cmp.Or(a.Exposure.OwnerEmail, a.Exposure.OwnerName)
}

// ExposureNotice renders a heads-up to an exposure's audience (in lang): a first section that mentions its owner
// (opts.Mentions[HeadsUpOwner(a)], else names them) and says it turned unsafe to use — its first reason and the
// incident, if any — or, recovered, that it is usable again; then the safe answer itself, with its buttons. The
// notification text is that first line.
func ExposureNotice(a queries.SafeAnswer, recovered bool, lang handlers.Lang, opts Options) Message {
	res := handlers.Result{Intent: "safe", Lang: lang, Now: opts.Now, Answer: &a}
	msg := Answer(res, opts)
	p := handlers.NewPrinter(lang, opts.Now, Date)
	line := Escape(p.HeadsUp(&a, recovered))
	if owner := HeadsUpOwner(a); owner != "" {
		who := Escape(owner)
		if m, ok := opts.Mentions[owner]; ok && validMention(m) {
			who = m
		}
		line = who + " " + line
	}
	emoji := ":rotating_light: "
	if recovered {
		emoji = ":white_check_mark: "
	}
	lead := slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType,
		fitEscaped(emoji+line, MaxSectionText), false, false), nil, nil,
		slack.SectionBlockOptionBlockID("todai_heads_up"))
	blocks := slices.Insert(slices.Clone(msg.Blocks), 0, slack.Block(lead))
	if len(blocks) > MaxBlocks {
		blocks = blocks[:MaxBlocks]
	}
	return Message{Text: fitEscaped(line, MaxSectionText), Blocks: blocks, Subject: msg.Subject}
}
