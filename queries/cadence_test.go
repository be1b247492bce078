package queries

import (
	"testing"
	"time"
)

// TestCadenceInTheTeamsZone: cadences are learned and judged in the zone the schedule is written in. A Monday-to-
// Friday 07:00 Tokyo job runs Sunday to Thursday in UTC: judged in UTC it looks daily and is called late every
// Saturday; judged in Tokyo it is a weekday job, due on Monday. The same holds for Kolkata (+05:30) and for Los
// Angeles across the change to daylight saving time, where a daily job keeps its local hour.
func TestCadenceInTheTeamsZone(t *testing.T) {
	zone := func(name string) *time.Location {
		loc, err := time.LoadLocation(name)
		if err != nil {
			t.Fatal(err)
		}
		return loc
	}
	tokyo, kolkata, la := zone("Asia/Tokyo"), zone("Asia/Kolkata"), zone("America/Los_Angeles")
	// builds lists a job's builds at hh:mm local time on the given days of a month, newest first.
	builds := func(loc *time.Location, year int, month time.Month, hh, mm int, days ...int) []time.Time {
		var out []time.Time
		for i := len(days) - 1; i >= 0; i-- {
			out = append(out, time.Date(year, month, days[i], hh, mm, 0, 0, loc))
		}
		return out
	}
	// December 2026: Monday the 7th … Friday the 11th, Monday the 14th … Friday the 18th.
	weekdays := []int{7, 8, 9, 10, 11, 14, 15, 16, 17, 18}
	at := func(loc *time.Location, day, hh int) time.Time { return time.Date(2026, 12, day, hh, 0, 0, 0, loc) }
	for _, tc := range []struct {
		name    string
		builds  []time.Time
		loc     *time.Location
		now     time.Time
		cadence string
		late    bool
	}{
		// Tokyo, Monday to Friday at 07:00 (22:00 UTC the evening before).
		{"Tokyo weekdays, Saturday evening", builds(tokyo, 2026, 12, 7, 0, weekdays...), tokyo, at(tokyo, 19, 20), "weekdays", false},
		{"Tokyo weekdays, Monday 07:30", builds(tokyo, 2026, 12, 7, 0, weekdays...), tokyo, at(tokyo, 21, 7).Add(30 * time.Minute), "weekdays", false},
		{"Tokyo weekdays, Monday evening without a build", builds(tokyo, 2026, 12, 7, 0, weekdays...), tokyo, at(tokyo, 21, 20), "weekdays", true},
		{"Tokyo weekdays judged in UTC (the old way): late on Saturday", builds(tokyo, 2026, 12, 7, 0, weekdays...), time.UTC, at(tokyo, 19, 20), "daily", true},
		// Tokyo, every day at 07:00.
		{"Tokyo daily, Saturday 07:30", builds(tokyo, 2026, 12, 7, 0, 12, 13, 14, 15, 16, 17, 18, 19), tokyo, at(tokyo, 19, 7).Add(30 * time.Minute), "daily", false},
		{"Tokyo daily, Sunday evening without Sunday's build", builds(tokyo, 2026, 12, 7, 0, 12, 13, 14, 15, 16, 17, 18, 19), tokyo, at(tokyo, 20, 20), "daily", true},
		// Kolkata, +05:30: Monday to Friday at 06:00 (00:30 UTC the same day), and daily at 02:00 (20:30 UTC the day before).
		{"Kolkata weekdays, Saturday", builds(kolkata, 2026, 12, 6, 0, weekdays...), kolkata, at(kolkata, 19, 12), "weekdays", false},
		{"Kolkata weekdays, Monday noon without a build", builds(kolkata, 2026, 12, 6, 0, weekdays...), kolkata, at(kolkata, 21, 20), "weekdays", true},
		{"Kolkata daily, Sunday 02:30", builds(kolkata, 2026, 12, 2, 0, 14, 15, 16, 17, 18, 19), kolkata, at(kolkata, 20, 2).Add(30 * time.Minute), "daily", false},
		// Los Angeles across the change to daylight saving time (Sunday 8 March 2026, 02:00 → 03:00): a daily 06:00
		// job runs at 14:00 UTC before and 13:00 UTC after. Its due time keeps the local hour.
		{"LA daily, the morning after DST began", builds(la, 2026, 3, 6, 0, 3, 4, 5, 6, 7, 8), la, time.Date(2026, 3, 9, 7, 0, 0, 0, la), "daily", false},
		{"LA daily, DST day, 06:10 local", builds(la, 2026, 3, 6, 0, 2, 3, 4, 5, 6, 7), la, time.Date(2026, 3, 8, 6, 10, 0, 0, la), "daily", false},
		{"LA daily, missed the DST day's build", builds(la, 2026, 3, 6, 0, 2, 3, 4, 5, 6, 7), la, time.Date(2026, 3, 8, 19, 0, 0, 0, la), "daily", true},
		// Los Angeles, Monday to Friday at 17:00 (01:00 UTC the next day: Tuesday to Saturday in UTC), across the same week.
		{"LA weekdays, Saturday", builds(la, 2026, 3, 17, 0, 2, 3, 4, 5, 6, 9, 10, 11, 12, 13), la, time.Date(2026, 3, 14, 18, 0, 0, 0, la), "weekdays", false},
		{"LA weekdays, Monday 17:30", builds(la, 2026, 3, 17, 0, 2, 3, 4, 5, 6, 9, 10, 11, 12, 13), la, time.Date(2026, 3, 16, 17, 30, 0, 0, la), "weekdays", false},
		{"LA weekdays, Tuesday without Monday's build", builds(la, 2026, 3, 17, 0, 2, 3, 4, 5, 6, 9, 10, 11, 12, 13), la, time.Date(2026, 3, 17, 9, 0, 0, 0, la), "weekdays", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, _, lateAt := judge(tc.builds, tc.loc)
			if c.name != tc.cadence {
				t.Errorf("cadence %s, want %s", c.name, tc.cadence)
			}
			if late := tc.now.After(lateAt); late != tc.late {
				t.Errorf("late at %s: %v (late from %s), want %v", tc.now, late, lateAt.In(tc.loc), tc.late)
			}
		})
	}
}
