package handlers

import (
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/todai-dev/todai/queries/quantity"
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
	for _, w := range []struct {
		words string
		back  time.Duration
	}{{"先週", 7 * 24 * time.Hour}, {"今週", 7 * 24 * time.Hour}, {"this week", 7 * 24 * time.Hour},
		{"今月", 30 * 24 * time.Hour}, {"this month", 30 * 24 * time.Hour}} {
		if i := strings.Index(lower, w.words); i >= 0 {
			q.Since = Since{Kind: SinceDuration, Duration: w.back}
			return lower[:i] + " " + lower[i+len(w.words):]
		}
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

// ParseTime reads a time as a question's "since" writes it — "2026-07-01 13:05:22 UTC", "2026-07-01T13:05Z",
// "2026-07-01" (midnight), "yesterday", "3d" (three days before now) — reading times written without a zone in loc
// (UTC when nil). ok is false for anything else.
func ParseTime(s string, now time.Time, loc *time.Location) (time.Time, bool) {
	since, ok := parseSinceArg(strings.ToLower(normalize(s)))
	if !ok {
		return time.Time{}, false
	}
	return since.Resolve(now, loc), true
}
