package elementary

import (
	"strings"
	"time"
)

// timestampLayouts are the text forms a timestamp takes on its way from Elementary's tables to the mirror:
// Elementary's own "2006-01-02 15:04:05" (UTC), dbt's ISO-8601 with "Z", an offset or no zone, RFC 3339 with
// nanoseconds (the mirror's own layout is one), what go-sqlite3 and SHOW return as text, and the "+0000" and
// " UTC" forms of text dumps. Fractional seconds are optional in every form.
var timestampLayouts = [...]string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999",
	"2006-01-02T15:04:05.999999999-0700",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999-0700",
	"2006-01-02 15:04:05.999999999 MST",
	"2006-01-02 15:04",
	"2006-01-02",
}

// ParseTimestamp reads a timestamp written as text in any form of timestampLayouts; a text without a zone is UTC,
// and the time returned is in UTC. ok is false for anything else. It is the one reader of timestamp text, for the
// sync, the mirror's answers and the warehouse's rows.
func ParseTimestamp(s string) (t time.Time, ok bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, false
	}
	for _, l := range timestampLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}
