package quantity

import (
	"testing"
	"time"
)

func TestParseDuration(t *testing.T) {
	const day = 24 * time.Hour
	for _, tc := range []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"90m", 90 * time.Minute, true},
		{"1h30m", 90 * time.Minute, true},
		{"60s", time.Minute, true},
		{"0s", 0, true},
		{"3d", 3 * day, true},
		{"3 days", 3 * day, true},
		{" 2w ", 14 * day, true},
		{"2時間", 2 * time.Hour, true},
		{"30分", 30 * time.Minute, true},
		{"1日", day, true},
		{"2週間", 14 * day, true},
		{"-1h", 0, false},
		{"3 fortnights", 0, false},
		{"soon", 0, false},
		{"", 0, false},
		{"d", 0, false},
		// Too long to represent: refused, where it used to wrap to a shorter window.
		{"100000w", 0, false},
		{"99999999999999999999d", 0, false},
	} {
		got, ok := ParseDuration(tc.in)
		if ok != tc.ok || got != tc.want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestPlural(t *testing.T) {
	for _, tc := range []struct {
		n    int
		want string
	}{{0, "0 teams"}, {1, "1 team"}, {2, "2 teams"}} {
		if got := Plural(tc.n, "team", "teams"); got != tc.want {
			t.Errorf("Plural(%d) = %q, want %q", tc.n, got, tc.want)
		}
	}
}
