package slackui

import (
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/todai-dev/todai/handlers"
	"github.com/todai-dev/todai/queries"
)

// Date is a Slack date token: Slack shows it in the reader's zone; clients that cannot read it show UTC.
func Date(t time.Time) string {
	t = t.UTC()
	return fmt.Sprintf("<!date^%d^{date_short_pretty} {time}|%s>", t.Unix(), t.Format("2006-01-02 15:04 UTC"))
}

// Escape makes a data or user string safe for Slack text: control characters removed (as for the terminal),
// then &, < and > escaped, so no datum can become a mention, a broadcast or a link. Date tokens exactly as Date
// writes them are kept: a phrase of handlers.Printer holds its times as such tokens (and a date is all a datum
// could make of one).
func Escape(s string) string {
	s = handlers.Clean(s)
	if !strings.Contains(s, "<!date^") {
		return escapeMarkup(s)
	}
	var b strings.Builder
	last := 0
	for _, m := range dateToken.FindAllStringIndex(s, -1) {
		b.WriteString(escapeMarkup(s[last:m[0]]))
		b.WriteString(s[m[0]:m[1]])
		last = m[1]
	}
	b.WriteString(escapeMarkup(s[last:]))
	return b.String()
}

// dateToken matches a date token as Date writes it.
var dateToken = regexp.MustCompile(`<!date\^[0-9]{1,12}\^\{date_short_pretty\} \{time\}\|[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2} UTC>`)

// escapeMarkup escapes Slack's three control characters.
func escapeMarkup(s string) string {
	if !strings.ContainsAny(s, "&<>") {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 16)
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '&':
			b.WriteString("&amp;")
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// code puts a datum in an inline code span (backticks inside it become quotes), escaped.
func code(s string) string {
	s = handlers.Clean(s)
	if s == "" {
		return ""
	}
	return "`" + escapeMarkup(strings.ReplaceAll(s, "`", "'")) + "`"
}

// fitEscaped cuts escaped mrkdwn to at most n runes, ending with "…", never inside an entity (&amp;) or a
// <…> token (mentions, dates).
func fitEscaped(s string, n int) string {
	if len(s) <= n || utf8.RuneCountInString(s) <= n {
		return s
	}
	cut, runes, end := 0, 0, rune(0)
	for i, r := range s {
		if runes > n-1 {
			break
		}
		if end == 0 {
			cut = i
		}
		switch {
		case end == 0 && r == '&':
			end = ';'
		case end == 0 && r == '<':
			end = '>'
		case end != 0 && r == end:
			end = 0
		}
		runes++
	}
	return s[:cut] + "…"
}

// validMention accepts only what the bot can produce: <@U…>, <@W…> and <!subteam^S…>.
func validMention(m string) bool {
	var id string
	switch {
	case strings.HasPrefix(m, "<@") && strings.HasSuffix(m, ">"):
		id = m[2 : len(m)-1]
		if len(id) < 2 || (id[0] != 'U' && id[0] != 'W') {
			return false
		}
	case strings.HasPrefix(m, "<!subteam^") && strings.HasSuffix(m, ">"):
		id = m[len("<!subteam^") : len(m)-1]
	default:
		return false
	}
	if id == "" || len(id) > 32 {
		return false
	}
	for i := 0; i < len(id); i++ {
		if c := id[i]; (c < 'A' || c > 'Z') && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}

// link is a Slack link to u labelled label (both ours or validated: an http(s) URL of the configuration and hex
// commits), "" when u is empty or holds a character that would break the link's markup.
func link(u, label string) string {
	if u == "" || strings.ContainsAny(u, "<>| \n") || (!strings.HasPrefix(u, "https://") && !strings.HasPrefix(u, "http://")) {
		return ""
	}
	return "<" + u + "|" + Escape(label) + ">"
}

// CauseLine renders one diagnosed cause for Slack, escaped: "Cause: an upstream run errored: *stg_payments* —
// relation does not exist (certain)".
func CauseLine(l handlers.Lang, c queries.Cause) string {
	p := handlers.NewPrinter(l, time.Time{}, Date)
	s := p.Tr("Cause: ", "原因: ") + Escape(p.CauseKind(c.Kind)) + ": *" + escapeMarkup(handlers.FirstClean(c.Name, c.UniqueID)) + "*"
	if c.Detail != nil {
		s += " — " + fitEscaped(Escape(*c.Detail), 200)
	}
	if c.LoadedAt != nil {
		s += p.Tr(", last loaded ", "、最終ロード ") + Date(*c.LoadedAt)
	}
	if c.Since != nil {
		s += p.Tr(", since ", "、開始 ") + Date(*c.Since)
	}
	if c.Confidence != "" {
		s += " _(" + Escape(p.Confidence(c.Confidence)) + ")_"
	}
	return s
}

// NextLine says what to do next, escaped: "Next: fix stg_payments, which caused the skip (`why stg_payments`) — ask
// @payments" (owners named, not pinged); "" when there is nothing to do.
func NextLine(l handlers.Lang, n *queries.NextStep) string {
	if n == nil {
		return ""
	}
	p := handlers.NewPrinter(l, time.Time{}, Date)
	s := p.Tr("Next: ", "次の一手: ") + Escape(p.NextAction(n))
	if len(n.Owners) > 0 {
		s += p.Tr(" — ask ", " — 相談先: ") + Escape(strings.Join(n.Owners, ", "))
	}
	return s
}

// channelID matches a conversation ID: channels (C…), private channels of old (G…) and DMs (D…). Channel names are
// lower-case, so an upper-case word of this shape is an ID.
var channelID = regexp.MustCompile(`^[CGD][A-Z0-9]{2,}$`)

// IsChannelID reports whether s is a conversation's ID (C…, G…, D…) rather than a channel's name: the one rule
// the bot, the config check and doctor share.
func IsChannelID(s string) bool { return channelID.MatchString(s) }

// IsConversationChannel accepts a channel's ID (C…, G…), never a name or a DM's ID.
func IsConversationChannel(s string) bool {
	return IsChannelID(s) && s[0] != 'D'
}
