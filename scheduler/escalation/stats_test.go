package escalation

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/todai-dev/todai/queries"
)

func TestStatsOf(t *testing.T) {
	since, until := t0, t0.Add(7*24*time.Hour)
	at := func(h float64) time.Time { return since.Add(time.Duration(h * float64(time.Hour))) }
	hs := []Handled{
		// Opened before the window, resolved in it: counts as resolved only.
		{ID: 1, Subject: "a", OpenedAt: at(-10), ResolvedAt: at(2), Resolution: ResolutionCleared},
		{ID: 2, Subject: "a", OpenedAt: at(1), AckedAt: at(1.25), ResolvedAt: at(3), Resolution: ResolutionFixed},
		{ID: 3, Subject: "a", OpenedAt: at(10), AckedAt: at(10.5), ResolvedAt: at(12), Resolution: ResolutionFalsePositive, Reopens: 2},
		{ID: 4, Subject: "b", OpenedAt: at(20), AckedAt: at(22)},                  // still open
		{ID: 5, Subject: "b", OpenedAt: at(30), Reopens: 9},                       // still open, not acked
		{ID: 6, Subject: "c", OpenedAt: at(200), ResolvedAt: at(201), Reopens: 8}, // after the window
		{ID: 7, Subject: "a", OpenedAt: at(40), ResolvedAt: at(41), Reopens: 3, Resolution: ResolutionFalsePositive},
	}
	got := StatsOf(hs, "finance", since, until)
	sec := func(h float64) *float64 { s := h * 3600; return &s }
	want := queries.IncidentStatsAnswer{Team: "finance", Since: since, Until: until, Opened: 5, Acknowledged: 3, StillOpen: 2, Resolved: 4,
		TimeToAcknowledge: queries.DurationStats{Count: 3, MedianSeconds: sec(0.5), P90Seconds: sec(2)},
		TimeToResolve:     queries.DurationStats{Count: 4, MedianSeconds: sec(2), P90Seconds: sec(12)},
		Resolutions: []queries.ResolutionCount{{Resolution: "false_positive", Count: 2}, {Resolution: "cleared", Count: 1},
			{Resolution: "fixed", Count: 1}},
		MostReopened: []queries.ReopenedSubject{{UniqueID: "a", Reopens: 2}, {UniqueID: "b", Reopens: 1}}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("StatsOf =\n%+v\nwant\n%+v", got, want)
	}
	if empty := StatsOf(nil, "", since, until); empty.TimeToResolve.MedianSeconds != nil || len(empty.Resolutions) != 0 {
		t.Errorf("no incidents: %+v", empty)
	}
}

// TestStats reads the figures through the store: the team compared without case, other teams left out.
func TestStats(t *testing.T) {
	eachState(t, func(t *testing.T, store *Store) {
		ctx := context.Background()
		open := func(key, team string, at time.Time) int64 {
			inc := openIncident()
			inc.ID, inc.Key, inc.Team, inc.TestID, inc.OpenedAt = 0, key, team, "test.shop."+key, at
			got, _, err := store.Open(ctx, inc)
			if err != nil {
				t.Fatal(err)
			}
			return got.ID
		}
		a := open("a", "Finance", t0)
		open("b", "growth", t0)
		if _, err := store.Take(ctx, a, "U_ANA", t0.Add(30*time.Minute)); err != nil {
			t.Fatal(err)
		}
		if err := store.ResolveAs(ctx, a, ResolutionExpected, "", "U_ANA", t0.Add(2*time.Hour)); err != nil {
			t.Fatal(err)
		}
		got, err := store.Stats(ctx, "finance", t0.Add(-time.Hour), t0.Add(24*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if got.Opened != 1 || got.Acknowledged != 1 || got.Resolved != 1 || *got.TimeToAcknowledge.MedianSeconds != 1800 ||
			*got.TimeToResolve.MedianSeconds != 7200 || len(got.Resolutions) != 1 || got.Resolutions[0].Resolution != "expected" {
			t.Errorf("finance's figures: %+v", got)
		}
		all, err := store.Stats(ctx, "", t0.Add(-time.Hour), t0.Add(24*time.Hour))
		if err != nil || all.Opened != 2 || all.StillOpen != 1 {
			t.Errorf("every team's figures: %+v, %v", all, err)
		}
	})
}
