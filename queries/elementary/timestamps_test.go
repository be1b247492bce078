package elementary

import (
	"testing"
	"time"
)

func TestParseTimestamp(t *testing.T) {
	at := time.Date(2026, 11, 20, 9, 15, 30, 0, time.UTC)
	milli := at.Add(123 * time.Millisecond)
	for _, tc := range []struct {
		in   string
		want time.Time
		ok   bool
	}{
		{"2026-11-20 09:15:30", at, true},            // Elementary's own, UTC
		{"2026-11-20T09:15:30.123000Z", milli, true}, // the mirror's layout
		{"2026-11-20T09:15:30.123456789Z", at.Add(123456789), true},
		{"2026-11-20T18:15:30+09:00", at, true},        // dbt's ISO-8601 with an offset
		{"2026-11-20T09:15:30", at, true},              // no zone: UTC
		{"2026-11-20 18:15:30.123+09:00", milli, true}, // go-sqlite3 text
		{"2026-11-20 01:15:30-0800", at, true},         // a text dump's offset
		{"2026-11-20 09:15:30 UTC", at, true},
		{" 2026-11-20 09:15:30 ", at, true},
		{"2026-11-20 09:15", at.Add(-30 * time.Second), true},
		{"2026-11-20", time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC), true},
		{"", time.Time{}, false},
		{"yesterday", time.Time{}, false},
		{"2026-13-40 09:15:30", time.Time{}, false},
		{"1700000000", time.Time{}, false},
	} {
		got, ok := ParseTimestamp(tc.in)
		if ok != tc.ok || !got.Equal(tc.want) || (ok && got.Location() != time.UTC) {
			t.Errorf("ParseTimestamp(%q) = %v, %v; want %v, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}
