package queries

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// IncidentStatsWindow is the window of "incidents stats" unless asked otherwise, and of the digest's weekly figures.
const IncidentStatsWindow = 7 * 24 * time.Hour

// IncidentStatsQuery asks how a team's incidents (every team's when Team is "") were handled since a time.
type IncidentStatsQuery struct {
	Team  string
	Since time.Time
}

// IncidentStatsAnswer answers "incidents stats [TEAM] [since …]": how the incidents Todai's escalation opened were
// handled in [Since, Until) — how many opened, were acknowledged (or taken) and resolved, how soon, how they ended,
// and the tests whose fixes did not hold most often.
type IncidentStatsAnswer struct {
	// Team is the team's configured name ("" for every team).
	Team  string    `json:"team"`
	Since time.Time `json:"since"`
	Until time.Time `json:"until"`
	// Opened is the incidents opened in the window; Acknowledged those of them acknowledged or taken, StillOpen those
	// not resolved yet.
	Opened       int `json:"opened"`
	Acknowledged int `json:"acknowledged"`
	StillOpen    int `json:"still_open"`
	// Resolved is the incidents resolved in the window (opened in it or before).
	Resolved int `json:"resolved"`
	// TimeToAcknowledge is from opening to the acknowledgement, over the incidents opened in the window and
	// acknowledged; TimeToResolve from opening to the resolution, over those resolved in the window.
	TimeToAcknowledge DurationStats `json:"time_to_acknowledge"`
	TimeToResolve     DurationStats `json:"time_to_resolve"`
	// Resolutions counts how the incidents resolved in the window ended (fixed, expected, no_action_needed,
	// false_positive, cleared; "" for those resolved before Todai recorded how), the most first.
	Resolutions []ResolutionCount `json:"resolutions"`
	// MostReopened are the tests (or nodes) whose new incidents reopened a fix most often in the window (at most 5).
	MostReopened []ReopenedSubject `json:"most_reopened"`
}

// DurationStats summarises durations: how many, their median and 90th percentile (nil when there are none).
type DurationStats struct {
	Count         int      `json:"count"`
	MedianSeconds *float64 `json:"median_seconds"`
	P90Seconds    *float64 `json:"p90_seconds"`
}

// ResolutionCount is how many incidents ended one way.
type ResolutionCount struct {
	Resolution string `json:"resolution"`
	Count      int    `json:"count"`
}

// ReopenedSubject is a test (or node) whose fixes did not hold: how many of its incidents reopened one.
type ReopenedSubject struct {
	UniqueID string `json:"unique_id"`
	Name     string `json:"name"`
	Reopens  int    `json:"reopens"`
}

// IncidentStatsSource reads the figures of a team's incidents (every team's for "") in [since, until): the state
// store's (ReaderOptions.IncidentStats).
type IncidentStatsSource func(ctx context.Context, team string, since, until time.Time) (IncidentStatsAnswer, error)

// ErrNoIncidentStore is returned for incident figures when the read model was given no state store to read them
// from.
var ErrNoIncidentStore = errors.New("incident figures: no escalation state to read")

// IncidentStats answers "incidents stats [TEAM] [since …]" from the state store: a configured team's (its name
// compared without case; a team no node belongs to is a NotFoundError suggesting the known ones), or every team's.
func (r *Reader) IncidentStats(ctx context.Context, q IncidentStatsQuery) (IncidentStatsAnswer, error) {
	if r.incidentStats == nil {
		return IncidentStatsAnswer{}, ErrNoIncidentStore
	}
	team := ""
	if q.Team != "" {
		c, err := r.catalog(ctx)
		if err != nil {
			return IncidentStatsAnswer{}, err
		}
		ids := c.byTeam[strings.ToLower(strings.TrimPrefix(strings.TrimSpace(q.Team), "team:"))]
		if len(ids) == 0 {
			return IncidentStatsAnswer{}, &NotFoundError{Name: "team:" + q.Team, Suggestions: c.teamNames}
		}
		team = cmp.Or(c.byID[ids[0]].Team, q.Team)
	}
	now := r.now()
	since := q.Since
	if since.IsZero() {
		since = now.Add(-IncidentStatsWindow)
	}
	return r.incidentFigures(ctx, team, since, now)
}

// incidentFigures reads a team's figures from the state store, naming the tests reopened most.
func (r *Reader) incidentFigures(ctx context.Context, team string, since, until time.Time) (IncidentStatsAnswer, error) {
	a, err := r.incidentStats(ctx, team, since, until)
	if err != nil {
		return a, fmt.Errorf("incident figures of %q: %w", team, err)
	}
	for i, s := range a.MostReopened {
		a.MostReopened[i].Name = NameOf(s.UniqueID)
	}
	return a, nil
}
