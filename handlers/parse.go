package handlers

import (
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/todai-dev/todai/handlers/quantity"
)

// MaxQuestionRunes is the longest question Parse accepts; longer text is refused with ProblemTooLong.
const MaxQuestionRunes = 2000

// MaxNodeLen bounds a node or team token.
const MaxNodeLen = 256

// DefaultLimit is how many runs last-run shows when the question does not say.
const DefaultLimit = 5

// MaxLimit is the most runs last-run shows.
const MaxLimit = 50

// Lang is the asker's language.
type Lang string

// Languages.
const (
	LangEN Lang = "en"
	LangJA Lang = "ja"
)

// Problem says why a question cannot be asked as written.
type Problem string

// Problems.
const (
	ProblemNone        Problem = ""
	ProblemTooLong     Problem = "too_long"     // over MaxQuestionRunes
	ProblemMissingNode Problem = "missing_node" // the intent needs a node and none was given
	ProblemBadNode     Problem = "bad_node"     // the node token is too long
	ProblemBadSince    Problem = "bad_since"    // "since" was followed by something that is not a duration or date
	ProblemUnknown     Problem = "unknown"      // no intent recognised
)

// SinceKind says how a Since was written.
type SinceKind int

// Since kinds.
const (
	SinceNone      SinceKind = iota // not given: the default window applies
	SinceDuration                   // a duration back from now ("24h", "3d")
	SinceDate                       // a calendar date, from midnight in the asker's zone
	SinceToday                      // midnight today in the asker's zone
	SinceYesterday                  // midnight yesterday in the asker's zone
	SinceWeekday                    // midnight of the latest such weekday (today when it is that day)
	SinceTime                       // a date and time ("2026-11-19T18:00Z", "2026-11-19 18:00" in the asker's zone)
)

// DefaultSince is the failures window when the question does not give one.
const DefaultSince = 24 * time.Hour

// Since is the start of a failures window, as the asker wrote it; Resolve turns it into a time.
type Since struct {
	Kind     SinceKind
	Duration time.Duration // for SinceDuration
	// Date is the calendar date (SinceDate) or the date and time (SinceTime) as written: when Zoned is false its
	// clock reading is kept in UTC and means the asker's zone; when Zoned is true it is the instant written.
	Date    time.Time
	Zoned   bool
	Weekday time.Weekday // for SinceWeekday
}

// NeedsZone reports whether Resolve depends on the asker's zone: a day, a date, or a time written without a zone.
func (s Since) NeedsZone() bool {
	switch s.Kind {
	case SinceDate, SinceTime:
		return !s.Zoned
	case SinceToday, SinceYesterday, SinceWeekday:
		return true
	}
	return false
}

// Resolve returns the window start relative to now. Dates, days and times written without a zone are read in loc,
// the asker's zone (UTC when nil).
func (s Since) Resolve(now time.Time, loc *time.Location) time.Time {
	if loc == nil {
		loc = time.UTC
	}
	local := now.In(loc)
	midnight := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, loc)
	switch s.Kind {
	case SinceDuration:
		return now.Add(-s.Duration)
	case SinceDate, SinceTime:
		if s.Zoned {
			return s.Date
		}
		d := s.Date
		return time.Date(d.Year(), d.Month(), d.Day(), d.Hour(), d.Minute(), d.Second(), d.Nanosecond(), loc)
	case SinceToday:
		return midnight
	case SinceYesterday:
		return midnight.AddDate(0, 0, -1)
	case SinceWeekday:
		back := (int(now.Weekday()) - int(s.Weekday) + 7) % 7
		return midnight.AddDate(0, 0, -back)
	}
	return now.Add(-DefaultSince)
}

// Question is a parsed question.
type Question struct {
	Intent Intent
	// Node is the node (or, for freshness, the source) asked about, as written: a name or a unique_id.
	Node string
	// Team scopes failures to a team.
	Team string
	// Since starts the failures window.
	Since Since
	// Limit is how many runs last-run shows (DefaultLimit when not given).
	Limit int
	// Lang is "ja" when the text holds kana or kanji, else "en".
	Lang Lang
	// Zone is the asker's time zone: dates and times written without a zone are read in it, and text answers show
	// times in it. Nil means UTC. Parse leaves it nil; the caller that knows the asker sets it.
	Zone *time.Location
	// Command is true when the question carries no language of its own: the command form ("status x"), or empty.
	// Callers may then answer in a configured default language instead of Lang.
	Command bool
	// Public asks for the answer to be shown to everyone (Slack: in channel, not ephemeral); "--public".
	Public bool
	// Args is the rest of a mute or incident command after its command word, as written (case kept).
	Args string
	// LastSuccess asks when the node was last updated ("when was X updated?", 「いつ更新された?」): for a model its
	// last successful build, for a source its newest loaded data (freshness).
	LastSuccess bool
	// Literal is, in the command form of an intent about a node, everything after the command word as written
	// (quotes, spaces and semicolons kept: some aliases hold them). Ask tries it as the node first; only when it
	// names nothing does Node, the node picked out of the words, apply.
	Literal string
	// Problem says why the question cannot be asked; Detail holds the offending token, if any.
	Problem Problem
	Detail  string
	// Text is the normalised question (empty when it was too long).
	Text string
}

// Parse turns a question into a Question. It never fails: problems are reported in Question.Problem.
func Parse(text string) Question {
	if !utf8.ValidString(text) {
		text = strings.ToValidUTF8(text, " ") // a space, so that the bytes around it are not joined into one token
	}
	if utf8.RuneCountInString(text) > MaxQuestionRunes {
		q := Question{Intent: IntentUnknown, Lang: detectLang(text[:min(len(text), 4*MaxQuestionRunes)]),
			Problem: ProblemTooLong, Limit: DefaultLimit}
		return q
	}
	norm := normalize(text)
	q := Question{Lang: detectLang(norm), Limit: DefaultLimit, Text: norm}
	work := " " + norm + " "
	if reFlagPublic.MatchString(work) {
		q.Public = true
		work = reFlagPublic.ReplaceAllString(work, " ")
	}
	if reBarePublic.MatchString(strings.TrimSpace(work)) {
		// "public" as the first or last word also asks for a public answer ("/todai status x public").
		q.Public = true
		work = reBarePublic.ReplaceAllString(strings.TrimSpace(work), " ")
	}
	work = trimEndPunct(dropAddress(work))
	if work == "" {
		q.Intent, q.Command = IntentHelp, true
		return q
	}
	lower := strings.ToLower(work)

	q.Intent = commandIntent(lower)
	command := q.Intent != ""
	q.Command = command && q.Lang == LangEN
	if q.Intent == "" {
		if q.Lang == LangJA {
			q.Intent = phrasedIntent(lower, LangJA)
		} else {
			q.Intent = phrasedIntent(lower, LangEN)
		}
	}
	switch q.Intent {
	case IntentHelp:
		return q
	case IntentDigest:
		q.parseDigestTeam(lower, work)
		return q
	case IntentMute, IntentSilences, IntentIncident:
		if command {
			_, q.Args, _ = strings.Cut(work, " ")
			q.Args = strings.TrimSpace(q.Args)
		}
		return q
	}

	if command && q.Intent.takesNode() {
		q.Literal = commandLiteral(text)
	}
	// Strip the parts that are not the node: team, since, limit.
	rest := lower
	if q.Intent == IntentFailures {
		rest = q.parseTeam(rest, work)
		rest = q.parseSince(rest)
	}
	if q.Intent == IntentLastRun {
		rest = q.parseLimit(rest)
		q.LastSuccess = reUpdatedEN.MatchString(lower) || reUpdatedJA.MatchString(lower)
	}
	if q.Team != "" || q.Since.Kind != SinceNone || q.Limit != DefaultLimit || q.Problem != ProblemNone {
		q.Literal = "" // the argument held a team, a window or a count: it is not one name
	}
	node := pickNode(rest, work, q.Lang)
	if node == "" && command && q.Intent.needsNode() {
		node = commandArg(rest, work)
	}
	if len(node) > MaxNodeLen {
		q.Problem, q.Detail = ProblemBadNode, node[:MaxNodeLen]+"…"
		return q
	}
	q.Node = node
	if q.Intent == "" || q.Intent == IntentUnknown {
		if node != "" && (looksLikeNode(node) || strings.EqualFold(node, work)) {
			q.Intent = IntentStatus
		} else {
			q.Intent, q.Node = IntentUnknown, ""
			if q.Problem == ProblemNone {
				q.Problem = ProblemUnknown
			}
			return q
		}
	}
	if q.Problem == ProblemNone && q.Intent.needsNode() && q.Node == "" {
		q.Problem = ProblemMissingNode
	}
	return q
}

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

// commandIntent recognises the command form: the first word is a command.
var (
	// reUpdatedEN and reUpdatedJA ask when data was last updated (not when it last ran).
	reUpdatedEN = regexp.MustCompile(`\bwhen (was|were|did|is)\b.*\b(updated?|refreshed|refresh|loaded|rebuilt)\b|\blast (updated|refreshed|loaded)\b|\blast (update|refresh)\b`)
	reUpdatedJA = regexp.MustCompile(`いつ更新|最終更新|いつ最新|最後に更新|最後の更新`)
)

var (
	reTeamColon = regexp.MustCompile(`(?:^|\s|の)(?:team|チーム)[:=]\s*([A-Za-z0-9_.\-]+|[^\s]+?)(?:\s|$|の|から|で|は|が)`)
	reTeamEN    = regexp.MustCompile(`\b(?:for|of|by|on|from)?\s*(?:the\s+)?team\s+([a-z0-9_.\-]+)\b|\b(?:for|of|by|on|from)\s+(?:the\s+)?([a-z0-9_.\-]+)\s+team\b|^([a-z0-9_.\-]+)\s+team\b`)
	reTeamJA    = regexp.MustCompile(`([A-Za-z0-9_.\-]+)\s*チーム|([\p{Han}\p{Katakana}ー]+?)チーム`)
	// reTeamJAAfter is "チーム NAME", a Latin name written after the word.
	reTeamJAAfter = regexp.MustCompile(`チーム\s*([A-Za-z0-9_.\-]+)`)
)

// parseTeam finds "team:NAME", "team NAME", "NAME team", "NAMEチーム", "チーム NAME" and removes it from lower; the
// team keeps the case it was written in.
func (q *Question) parseTeam(lower, orig string) string {
	for _, re := range []*regexp.Regexp{reTeamColon, reTeamEN, reTeamJA, reTeamJAAfter} {
		m := re.FindStringSubmatchIndex(lower)
		if m == nil {
			continue
		}
		for g := 1; 2*g+1 < len(m); g++ {
			if m[2*g] < 0 {
				continue
			}
			name := lower[m[2*g]:m[2*g+1]]
			if isStopword(name) {
				continue
			}
			if len(orig) == len(lower) {
				name = orig[m[2*g]:m[2*g+1]]
			}
			q.Team = name
			return lower[:m[0]] + " " + lower[m[1]:]
		}
	}
	return lower
}

// digestFiller are words of a digest question that are not the team.
var digestFiller = map[string]bool{"digest": true, "summary": true, "daily": true, "report": true, "todays": true,
	"send": true, "post": true, "run": true}

// parseDigestTeam finds the team of a digest question: "team:NAME", "NAME team", "NAMEチーム", else the first word
// that is not filler ("digest finance", "finance のダイジェスト"); none means the asker's channel's team.
func (q *Question) parseDigestTeam(lower, orig string) {
	rest := q.parseTeam(lower, orig)
	if q.Team != "" {
		return
	}
	for _, tok := range reIdent.FindAllString(rest, -1) {
		tok = strings.TrimRight(tok, ".-")
		if tok == "" || isStopword(tok) || digestFiller[tok] || isNumber(tok) {
			continue
		}
		if len(tok) > MaxNodeLen {
			q.Problem, q.Detail = ProblemBadNode, tok[:MaxNodeLen]+"…"
			return
		}
		q.Team = restoreCase(tok, orig)
		return
	}
}

var (
	reSinceWord = regexp.MustCompile(`\b(?:since|from|after)\s+(\S+(?:\s+(?:hours?|hrs?|days?|weeks?|minutes?|mins?|ago))?)`)
	reLastDur   = regexp.MustCompile(`\b(?:in\s+|over\s+|during\s+)?(?:the\s+)?(?:last|past)\s+(\d+\s*[a-z]+|hour|day|week|24h|month)\b`)
	reBareDur   = regexp.MustCompile(`(?:^|\s)(\d+\s*(?:m|min|mins|minutes?|h|hrs?|hours?|d|days?|w|wks?|weeks?))(?:\s|$)`)
	// reDateTime is a date with an optional time and zone, as ISO 8601 and RFC 3339 write them (lower-cased):
	// "2026-11-19", "2026-11-19t18:00z", "2026-11-19 18:00:05.123+09:00", "2026/11/19 18:00 jst".
	reDateTime = regexp.MustCompile(`\b(\d{4})[-/](\d{1,2})[-/](\d{1,2})` +
		`(?:(?:t|\s+)(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?` +
		`(z\b|\s*(?:utc|gmt|jst)\b|\s*[+-]\d{2}(?::?\d{2})?\b)?`)
	// reDateJA is a Japanese date with an optional time: "2026年11月19日", "2026年11月19日 18時30分",
	// "2026年11月19日 18:00".
	reDateJA = regexp.MustCompile(`(\d{4})年\s*(\d{1,2})月\s*(\d{1,2})日` +
		`(?:\s*(\d{1,2})(?:時|:)(?:(\d{2})分?)?()()())?`)
	reDurJA = regexp.MustCompile(`(\d+)\s*(分|時間|日|週間|週)`)
	reLimit = regexp.MustCompile(`(?:--limit[= ]|-n\s*|limit[:=]\s*|last\s+)(\d+)\b|\b(\d+)\s+runs\b|(\d+)\s*(?:件|回)|(?:^|\s)(\d+)$`)
)

// parseSince finds the failures window and removes it from lower.
func (q *Question) parseSince(lower string) string {
	if m := reDateJA.FindStringSubmatchIndex(lower); m != nil {
		if s, ok := sinceFromMatch(lower, m); ok {
			q.Since = s
		} else {
			q.Problem, q.Detail = ProblemBadSince, lower[m[0]:m[1]]
		}
		return cut(lower, m)
	}
	if m := reDateTime.FindStringSubmatchIndex(lower); m != nil {
		if m[1] < len(lower) && isDigit(lower[m[1]]) {
			q.Problem, q.Detail = ProblemBadSince, strings.Fields(lower[m[0]:])[0]
			return cut(lower, m)
		}
		if s, ok := sinceFromMatch(lower, m); ok {
			q.Since = s
			lower = cut(lower, m)
			return strings.Replace(lower, "since", " ", 1)
		}
		q.Problem, q.Detail = ProblemBadSince, strings.TrimSpace(lower[m[0]:m[1]])
		return cut(lower, m)
	}
	if m := reSinceWord.FindStringSubmatchIndex(lower); m != nil {
		arg := strings.TrimSuffix(strings.TrimSpace(lower[m[2]:m[3]]), " ago")
		if s, ok := parseSinceArg(arg); ok {
			q.Since = s
		} else if strings.HasPrefix(lower[m[0]:m[1]], "since") {
			q.Problem, q.Detail = ProblemBadSince, arg
		} else {
			return lower // "failures from team x": not a window
		}
		return cut(lower, m)
	}
	if m := reLastDur.FindStringSubmatchIndex(lower); m != nil {
		if s, ok := parseSinceArg(lower[m[2]:m[3]]); ok {
			q.Since = s
			return cut(lower, m)
		}
	}
	for _, w := range []struct {
		word string
		kind SinceKind
	}{{"yesterday", SinceYesterday}, {"昨日", SinceYesterday}, {"きのう", SinceYesterday}, {"today", SinceToday},
		{"今日", SinceToday}, {"本日", SinceToday}, {"きょう", SinceToday}} {
		if i := strings.Index(lower, w.word); i >= 0 {
			q.Since = Since{Kind: w.kind}
			return lower[:i] + " " + lower[i+len(w.word):]
		}
	}
	for d, name := range []string{"日曜", "月曜", "火曜", "水曜", "木曜", "金曜", "土曜"} {
		if i := strings.Index(lower, name); i >= 0 {
			q.Since = Since{Kind: SinceWeekday, Weekday: time.Weekday(d)}
			end := i + len(name)
			if strings.HasPrefix(lower[end:], "日") {
				end += len("日")
			}
			return lower[:i] + " " + lower[end:]
		}
	}
	if i := strings.Index(lower, "先週"); i >= 0 {
		q.Since = Since{Kind: SinceDuration, Duration: 7 * 24 * time.Hour}
		return lower[:i] + " " + lower[i+len("先週"):]
	}
	if m := reDurJA.FindStringSubmatchIndex(lower); m != nil {
		if d, ok := quantity.ParseDuration(lower[m[2]:m[5]]); ok && d > 0 {
			q.Since = Since{Kind: SinceDuration, Duration: d}
			return cut(lower, m)
		}
	}
	if m := reBareDur.FindStringSubmatchIndex(lower); m != nil {
		if s, ok := parseSinceArg(lower[m[2]:m[3]]); ok {
			q.Since = s
			return cut(lower, m)
		}
	}
	return lower
}

func cut(s string, m []int) string { return s[:m[0]] + " " + s[m[1]:] }

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// sinceFromMatch reads a reDateTime or reDateJA match: year, month, day, then optional hour, minute, second,
// fraction and zone. ok is false for a date or time that does not exist (2026-02-31, 25:00) or a zone that
// cannot be read.
func sinceFromMatch(s string, m []int) (Since, bool) {
	group := func(g int) string {
		if 2*g+1 >= len(m) || m[2*g] < 0 {
			return ""
		}
		return s[m[2*g]:m[2*g+1]]
	}
	d, ok := mkDate(group(1), group(2), group(3))
	if !ok {
		return Since{}, false
	}
	hh, mm, ss, frac, zone := group(4), group(5), group(6), group(7), strings.TrimSpace(group(8))
	if hh == "" && zone == "" {
		return Since{Kind: SinceDate, Date: d}, true
	}
	clock := [3]int{}
	for i, part := range []string{hh, mm, ss} {
		if part == "" {
			continue
		}
		n, err := strconv.Atoi(part)
		if err != nil {
			return Since{}, false
		}
		clock[i] = n
	}
	if clock[0] > 23 || clock[1] > 59 || clock[2] > 59 {
		return Since{}, false
	}
	nanos := 0
	if frac != "" {
		n, err := strconv.Atoi((frac + "000000000")[:9])
		if err != nil {
			return Since{}, false
		}
		nanos = n
	}
	t := time.Date(d.Year(), d.Month(), d.Day(), clock[0], clock[1], clock[2], nanos, time.UTC)
	kind := SinceTime
	if hh == "" {
		kind = SinceDate
	}
	if zone == "" {
		return Since{Kind: kind, Date: t}, true
	}
	loc, ok := zoneOf(zone)
	if !ok {
		return Since{}, false
	}
	return Since{Kind: kind, Zoned: true,
		Date: time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), loc)}, true
}

// zoneOf reads a written zone: "z", "utc", "gmt", "jst", "+09:00", "+0900", "-05".
func zoneOf(z string) (*time.Location, bool) {
	switch z {
	case "z", "utc", "gmt":
		return time.UTC, true
	case "jst":
		return time.FixedZone("JST", 9*3600), true
	}
	if len(z) < 3 || (z[0] != '+' && z[0] != '-') {
		return nil, false
	}
	digits := strings.ReplaceAll(z[1:], ":", "")
	if len(digits) != 2 && len(digits) != 4 {
		return nil, false
	}
	h, err := strconv.Atoi(digits[:2])
	if err != nil {
		return nil, false
	}
	mins := 0
	if len(digits) == 4 {
		if mins, err = strconv.Atoi(digits[2:]); err != nil {
			return nil, false
		}
	}
	if h > 14 || mins > 59 || (h == 14 && mins > 0) {
		return nil, false
	}
	off := h*3600 + mins*60
	if z[0] == '-' {
		off = -off
	}
	return time.FixedZone("", off), true
}
func mkDate(ys, ms, ds string) (time.Time, bool) {
	y, err1 := strconv.Atoi(ys)
	mo, err2 := strconv.Atoi(ms)
	d, err3 := strconv.Atoi(ds)
	if err1 != nil || err2 != nil || err3 != nil || mo < 1 || mo > 12 || d < 1 || d > 31 || y < 1970 || y > 9999 {
		return time.Time{}, false
	}
	t := time.Date(y, time.Month(mo), d, 0, 0, 0, 0, time.UTC)
	if t.Day() != d {
		return time.Time{}, false // 2026-02-31
	}
	return t, true
}

// parseSinceArg reads "24h", "3d", "1w", "90m", "3 days", "yesterday", "today", "2026-11-20", "week", and dates
// with times as reDateTime reads them.
func parseSinceArg(s string) (Since, bool) {
	s = strings.TrimSpace(s)
	switch s {
	case "yesterday", "昨日":
		return Since{Kind: SinceYesterday}, true
	case "today", "今日":
		return Since{Kind: SinceToday}, true
	case "hour":
		return Since{Kind: SinceDuration, Duration: time.Hour}, true
	case "day", "24h":
		return Since{Kind: SinceDuration, Duration: 24 * time.Hour}, true
	case "week", "last-week":
		return Since{Kind: SinceDuration, Duration: 7 * 24 * time.Hour}, true
	case "month":
		return Since{Kind: SinceDuration, Duration: 30 * 24 * time.Hour}, true
	}
	for d := time.Sunday; d <= time.Saturday; d++ {
		if name := strings.ToLower(d.String()); s == name || s == name[:3] {
			return Since{Kind: SinceWeekday, Weekday: d}, true
		}
	}
	if m := reDateTime.FindStringSubmatchIndex(s); m != nil && m[0] == 0 && m[1] == len(s) {
		return sinceFromMatch(s, m)
	}
	d, ok := quantity.ParseDuration(s)
	if !ok || d <= 0 {
		return Since{}, false
	}
	return Since{Kind: SinceDuration, Duration: d}, true
}

// parseLimit finds how many runs to show and removes it from lower.
func (q *Question) parseLimit(lower string) string {
	m := reLimit.FindStringSubmatchIndex(lower)
	if m == nil {
		return lower
	}
	for g := 1; 2*g+1 < len(m); g++ {
		if m[2*g] < 0 {
			continue
		}
		n, err := strconv.Atoi(lower[m[2*g]:m[2*g+1]])
		if err != nil || n <= 0 {
			return cut(lower, m)
		}
		q.Limit = min(n, MaxLimit)
		return cut(lower, m)
	}
	return lower
}

// pickNode chooses the node token: the first identifier that is not a stopword, preferring ones that look like
// dbt names (with "_" or "." or digits). The token keeps the case it was written in when lower still lines up with
// orig.
func pickNode(lower, orig string, lang Lang) string {
	var cands []string
	for _, tok := range reIdent.FindAllString(lower, -1) {
		tok = strings.TrimRight(tok, ".-")
		if tok == "" || isStopword(tok) || isNumber(tok) {
			continue
		}
		if lang == LangJA && !looksLikeNode(tok) && isJAFiller(tok) {
			continue
		}
		cands = append(cands, tok)
	}
	if len(cands) == 0 {
		return ""
	}
	best := cands[0]
	for _, c := range cands {
		if looksLikeNode(c) {
			best = c
			break
		}
	}
	return restoreCase(best, orig)
}

// commandArg is the command form's literal argument, for nodes named like English words ("status test"): the
// one token after the command word that is not a preposition or article. A sentence ("why is this stale?") has
// more than one and names no node this way.
func commandArg(lower, orig string) string {
	_, args, _ := strings.Cut(strings.TrimSpace(lower), " ")
	arg := ""
	for _, tok := range reIdent.FindAllString(args, -1) {
		tok = strings.TrimRight(tok, ".-")
		switch tok {
		case "", "of", "for", "on", "the", "a", "an", "about", "in", "is", "me", "please", "pls":
			continue
		}
		if isNumber(tok) {
			continue
		}
		if arg != "" {
			return ""
		}
		arg = tok
	}
	return restoreCase(arg, orig)
}

// restoreCase finds tok in orig case-insensitively and returns it as written there.
func restoreCase(tok, orig string) string {
	lo := strings.ToLower(orig)
	if len(lo) != len(orig) {
		return tok
	}
	for i := 0; i+len(tok) <= len(lo); {
		j := strings.Index(lo[i:], tok)
		if j < 0 {
			break
		}
		s := i + j
		e := s + len(tok)
		before := s == 0 || !isIdentByte(lo[s-1])
		after := e == len(lo) || !isIdentByte(lo[e]) || lo[e] == '.' || lo[e] == '-'
		if before && after {
			return orig[s:e]
		}
		i = s + 1
	}
	return tok
}

func isIdentByte(c byte) bool {
	return c == '_' || c == '.' || c == '-' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

func looksLikeNode(s string) bool {
	return strings.ContainsAny(s, "_.0123456789")
}

func isNumber(s string) bool {
	_, err := strconv.ParseFloat(s, 64)
	return err == nil
}

func isJAFiller(s string) bool {
	switch s {
	case "dbt", "ok", "test", "tests", "source", "sources", "model", "models":
		return true
	}
	return false
}

// isStopword reports English words that are never a node.
func isStopword(s string) bool {
	switch strings.ToLower(s) {
	case "a", "an", "the", "is", "are", "was", "were", "be", "been", "being", "am", "do", "does", "did", "done",
		"has", "have", "had", "what", "whats", "what's", "who", "whom", "whose", "which", "when", "where", "why",
		"how", "hows", "of", "for", "on", "in", "at", "to", "from", "by", "with", "about", "into", "onto", "and",
		"or", "not", "no", "it", "its", "it's", "this", "that", "these", "those", "there", "me", "my", "i", "we",
		"our", "us", "you", "your", "please", "pls", "can", "could", "would", "will", "should", "tell", "show",
		"give", "get", "list", "find", "any", "all", "some", "up", "down", "s", "t", "right", "now", "currently",
		"today", "yesterday", "since", "last", "past", "recent", "recently", "latest", "ago", "hour", "hours",
		"day", "days", "week", "weeks", "minutes", "min", "mins",
		"status", "state", "health", "healthy", "ok", "okay", "wrong", "broken", "failing", "failed", "fail",
		"fails", "failure", "failures", "error", "errors", "errored", "issue", "issues", "problem", "problems",
		"working", "green", "red", "good", "fine", "going", "doing", "happening", "owner", "owners", "own",
		"owns", "owned", "responsible", "maintains", "maintainer", "maintainers", "ask", "ping", "contact",
		"run", "runs", "ran", "running", "last-run", "lastrun", "last_run", "built", "build", "updated", "refreshed",
		"history", "test", "tests", "fresh", "freshness", "stale", "late", "behind", "loaded", "date", "data",
		"old", "upstream", "downstream", "feeds", "feed", "feeding", "depends", "depend", "relies", "rely",
		"parents", "parent", "children", "child", "consumers", "consumer", "affected", "impacted", "impact",
		"blast", "radius", "used", "uses", "use", "input", "inputs", "come", "comes", "sources", "source",
		"describe", "description", "docs", "doc", "documentation", "columns", "column", "explain", "definition",
		"mean", "means", "meaning", "contain", "contains", "hold", "info", "urgent", "urgency", "bad", "serious",
		"critical", "important", "priority", "matter", "matters", "care", "root", "cause", "caused", "why's",
		"team", "teams", "model", "models", "table", "tables", "dbt", "node", "help", "todai", "everything",
		"anything", "something", "again", "still", "yet", "so", "very", "really", "just", "out", "if", "break",
		"breaks", "incident", "incidents", "desc", "fresh?", "q", "todays", "thing", "things", "here", "know",
		"want", "need", "see", "check", "look", "looks", "like", "lately", "then", "than", "after", "before",
		"alert", "alerts", "hasn", "haven", "isn", "aren", "wasn", "weren", "didn", "doesn", "don", "won", "one",
		"high", "low", "kind", "sort":
		return true
	}
	return false
}
