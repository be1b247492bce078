package slackui

import (
	"strconv"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/todai-dev/todai/handlers"
	"github.com/todai-dev/todai/queries"
)

// Digest renders a digest as Block Kit: a header with the status emoji, the headline, one section per part,
// owners as the mentions the bot resolved (mentions; the others escaped), and a button to the Elementary report.
func Digest(a queries.DigestAnswer, o handlers.DigestOptions, mentions map[string]string) Message {
	owner := func(s string) string {
		if m, ok := mentions[s]; ok && validMention(m) {
			return m
		}
		return Escape(s)
	}
	return digestMessage(handlers.BuildDigest(a, o, owner, Escape), a.ReportURL, o.Lang)
}

// PlatformDigest renders the platform digest as Block Kit.
func PlatformDigest(d queries.PlatformDigest, l handlers.Lang, loc *time.Location, reportURL string) Message {
	return digestMessage(handlers.BuildPlatformDigest(d, l, loc, Escape), reportURL, l)
}

// digestMessage renders a digest's view (a team's or the platform's): a header with the status emoji, the headline,
// one section per part (its chart first, when it has one), and a button to the Elementary report.
func digestMessage(v handlers.DigestView, reportURL string, l handlers.Lang) Message {
	blocks := []slack.Block{
		slack.NewHeaderBlock(slack.NewTextBlockObject(slack.PlainTextType, handlers.Truncate(v.Emoji+" "+v.Title, 150), true, false)),
		slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, "*"+v.Headline+"*", false, false), nil, nil),
	}
	if v.Note != "" {
		blocks = append(blocks, slack.NewContextBlock("todai_digest_late",
			slack.NewTextBlockObject(slack.MarkdownType, v.Note, false, false)))
	}
	var chart *handlers.Chart
	picture := false
	for i, s := range v.Sections {
		if s.Chart != nil {
			block, ok := ChartBlock(s.Chart, "todai_digest_chart_"+strconv.Itoa(i))
			if ok {
				blocks = append(blocks, block)
			}
			chart, picture = s.Chart, !ok
		}
		text := "*" + s.Title + "*\n" + strings.Join(s.Lines, "\n")
		blocks = append(blocks, slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType,
			handlers.Truncate(text, 3000), false, false), nil, nil))
	}
	if reportURL != "" {
		btn := slack.NewButtonBlockElement("todai_digest_report", "report",
			slack.NewTextBlockObject(slack.PlainTextType, handlers.Tr(l, "Open Elementary report", "Elementary レポートを開く"), false, false))
		btn.URL = reportURL
		blocks = append(blocks, slack.NewActionBlock("todai_digest_actions", btn))
	}
	return Message{Text: v.Emoji + " " + v.Title + " — " + v.Headline, Blocks: blocks, Chart: chart, Picture: picture}
}
