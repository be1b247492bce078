// Package quantity reads and writes quantities as people write them, in English and Japanese: durations ("3d",
// "2時間", "90m") in questions, mutes, the config and dbt meta, and counts of things ("1 team", "3 teams"). It imports
// only the standard library, so that any package may use it.
package quantity

import (
	"math"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// ParseDuration reads a duration as people write it, in a question, a mute or the config: a whole number and a
// unit in English or Japanese (3d, 3 days, 2w, 2時間, 30分, 1日, 2週間) or Go's own form (90s, 1h30m). ok is false
// for anything else, for a negative duration and for one too long to represent (no silent overflow); callers bound
// the range they accept.
func ParseDuration(s string) (d time.Duration, ok bool) {
	s = strings.TrimSpace(s)
	digits := strings.IndexFunc(s, func(r rune) bool { return r < '0' || r > '9' })
	if digits > 0 {
		if unit, known := unitOf(strings.TrimLeftFunc(s[digits:], unicode.IsSpace)); known {
			n, err := strconv.ParseInt(s[:digits], 10, 64)
			if err != nil || n > int64(math.MaxInt64/unit) {
				return 0, false
			}
			return time.Duration(n) * unit, true
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, false
	}
	return d, true
}

// unitOf is the length of a unit a person writes after a whole number, in English or Japanese.
func unitOf(u string) (time.Duration, bool) {
	const day, week = 24 * time.Hour, 7 * 24 * time.Hour
	switch u {
	case "m", "min", "mins", "minute", "minutes", "分":
		return time.Minute, true
	case "h", "hr", "hrs", "hour", "hours", "時間":
		return time.Hour, true
	case "d", "day", "days", "日":
		return day, true
	case "w", "wk", "wks", "week", "weeks", "週", "週間":
		return week, true
	}
	return 0, false
}

// Plural is n and an English noun in its number: "1 problem", "3 problems" (Japanese counts with 件 instead).
func Plural[N ~int | ~int64](n N, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.FormatInt(int64(n), 10) + " " + many
}
