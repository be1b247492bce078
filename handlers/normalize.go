package handlers

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// The question's text as people write it: flags, Slack markup, escapes and spaces, and the identifiers in it.
var (
	reFlagPublic = regexp.MustCompile(`(?i)\s(?:--?|—|–)public\s`)
	reBarePublic = regexp.MustCompile(`(?i)^public\s+|\s+public$|^public$`)
	reIdent      = regexp.MustCompile(`[A-Za-z0-9_][A-Za-z0-9_.\-]*`)
	reSlackLink  = regexp.MustCompile(`<([^<>|]*)\|([^<>]*)>`)
	reSlackSpec  = regexp.MustCompile(`<[@#!][^<>]*>`)
	reSlackURL   = regexp.MustCompile(`<((?:https?|mailto):[^<>]*)>`)
	reANSI       = regexp.MustCompile(`\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-Z\\-_])`)
	reSpaces     = regexp.MustCompile(`\s+`)
)

// normalize folds full-width ASCII to ASCII, removes control characters and ANSI escapes, unwraps Slack markup
// (links, mentions, bold, code) and collapses whitespace.
func normalize(s string) string {
	s = reANSI.ReplaceAllString(s, " ")
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case r >= 0xFF01 && r <= 0xFF5E: // full-width ASCII
			r -= 0xFEE0
		case r == 0x3000: // ideographic space
			r = ' '
		case r == 0xFF61: // half-width ideographic full stop
			r = '。'
		case r == '’' || r == '‘':
			r = '\''
		}
		if unicode.IsControl(r) || isInvisible(r) {
			r = ' '
		}
		b.WriteRune(r)
	}
	s = b.String()
	s = reSlackLink.ReplaceAllString(s, " $2 ")
	s = reSlackSpec.ReplaceAllString(s, " ")
	s = reSlackURL.ReplaceAllString(s, " $1 ")
	s = strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&").Replace(s)
	s = strings.Map(func(r rune) rune {
		switch r {
		case '*', '`', '~', '"', '“', '”', '「', '」', '『', '』', '【', '】', '(', ')', '[', ']', '{', '}', '<', '>',
			',', ';', '、', '!':
			return ' '
		}
		return r
	}, s)
	s = reSpaces.ReplaceAllString(s, " ")
	return strings.TrimSpace(s)
}

// dropAddress drops the leading words that address the bot ("todai", "/todai", "@todai") and trims s.
func dropAddress(s string) string {
	s = strings.TrimSpace(s)
	for {
		first, rest, _ := strings.Cut(s, " ")
		lf := strings.ToLower(first)
		if lf != "todai" && lf != "/todai" && !strings.HasPrefix(lf, "@") {
			return s
		}
		s = strings.TrimSpace(rest)
	}
}

// commandLiteral is what follows the command word of text, as written: without the words that address the bot
// ("todai", "/todai", "@todai") and without the --public flag, Slack's &lt; &gt; &amp; decoded, invisible and
// control characters dropped, and spaces at either end trimmed.
func commandLiteral(text string) string {
	text = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || isInvisible(r) {
			return -1
		}
		return r
	}, text)
	text = strings.TrimSpace(reFlagPublic.ReplaceAllString(" "+text+" ", " "))
	text = dropAddress(reBarePublic.ReplaceAllString(text, " "))
	_, rest, _ := strings.Cut(text, " ") // the command word
	rest = strings.TrimSpace(strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&").Replace(rest))
	if utf8.RuneCountInString(rest) > MaxNodeLen {
		return ""
	}
	return rest
}

// isInvisible reports format characters that can hide or reorder text (bidi overrides, zero-width characters).
func isInvisible(r rune) bool {
	return unicode.Is(unicode.Cf, r) || r == 0xFFFD
}

// trimEndPunct removes trailing question marks, full stops and the like.
func trimEndPunct(s string) string {
	return strings.TrimSpace(strings.TrimRightFunc(s, func(r rune) bool {
		return r == '?' || r == '。' || r == '.' || r == ' ' || r == '!' || r == ':' || r == '…'
	}))
}

// detectLang says ja when s holds kana or kanji.
func detectLang(s string) Lang {
	for _, r := range s {
		if unicode.In(r, unicode.Hiragana, unicode.Katakana, unicode.Han) || r == 'ー' {
			return LangJA
		}
	}
	return LangEN
}
