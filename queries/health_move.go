package queries

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"time"
)

// HealthMoveWindow is how far back a health drop is measured.
const HealthMoveWindow = 24 * time.Hour

// HealthMove is how a team's health total moved in a day, and the tests that moved it.
type HealthMove struct {
	Team string `json:"team"`
	// Total is the team's health now and DayBefore a day before (each over HealthWindow before it); nil when none
	// of its tests was scored then.
	Total     *float64 `json:"total"`
	DayBefore *float64 `json:"day_before"`
	// Movers are the tests (and sources' freshness checks) whose score fell since a day before, or that failed
	// without a score then — the largest fall first, at most healthListCap.
	Movers []ScoredMove `json:"movers"`
}

// ScoredMove is a test whose score fell: its result now, and its score a day before (nil when it had none).
type ScoredMove struct {
	ScoredTest
	Before *float64 `json:"before"`
}

// HealthMove measures how a team's health moved in the last day (HealthMoveWindow).
func (r *Reader) HealthMove(ctx context.Context, team string) (HealthMove, error) {
	return inSnapshot(ctx, r, func(r *Reader) (HealthMove, error) {
		c, err := r.catalog(ctx)
		if err != nil {
			return HealthMove{}, err
		}
		key := strings.ToLower(strings.TrimSpace(team))
		ids := c.byTeam[key]
		if len(ids) == 0 {
			return HealthMove{}, &NotFoundError{Name: "team:" + team, Suggestions: c.teamNames}
		}
		m := HealthMove{Team: cmp.Or(c.byID[ids[0]].Team, team), Movers: []ScoredMove{}}
		var now HealthAnswer
		if err := r.scopeHealth(ctx, c, &now, time.Time{}, key); err != nil {
			return m, err
		}
		m.Total = now.Total
		x, err := r.extras(ctx, c)
		if err != nil {
			return m, err
		}
		at := r.now().Add(-HealthMoveWindow)
		then, err := r.resultsAsOf(ctx, c, at.Add(-HealthWindow), at)
		if err != nil {
			return m, err
		}
		var sources []*nodeInfo
		for _, id := range ids {
			if n := c.byID[id]; n.ResourceType == "source" {
				sources = append(sources, n)
			}
		}
		var dayBefore HealthAnswer
		r.scoreWith(&dayBefore, x.testsByTeam[key], sources, at.Add(-HealthWindow), then, nil)
		m.DayBefore = dayBefore.Total
		latest, err := r.latestResults(ctx, c)
		if err != nil {
			return m, err
		}
		since := r.now().Add(-HealthWindow)
		move := func(id, name string, owners []string, now, was scored) {
			if !now.ok || now.at.Before(since) || now.score >= 100 || was.ok && now.score >= was.score {
				return
			}
			at := now.at
			mv := ScoredMove{ScoredTest: ScoredTest{UniqueID: id, Name: name, Status: now.status, Score: now.score,
				DetectedAt: &at, Owners: append([]string{}, owners...)}}
			if was.ok {
				s := was.score
				mv.Before = &s
			}
			m.Movers = append(m.Movers, mv)
		}
		for _, t := range x.testsByTeam[key] {
			if t.test.dimension != "" {
				move(t.UniqueID, t.Name, t.Owners, latest.tests[t.test.index], then.tests[t.test.index])
			}
		}
		for _, s := range sources {
			move(s.UniqueID, s.Name, s.Owners, latest.sources[s.UniqueID], then.sources[s.UniqueID])
		}
		fall := func(v ScoredMove) float64 {
			if v.Before == nil {
				return 100 - v.Score
			}
			return *v.Before - v.Score
		}
		slices.SortStableFunc(m.Movers, func(a, b ScoredMove) int {
			return cmp.Or(cmp.Compare(fall(b), fall(a)), strings.Compare(a.UniqueID, b.UniqueID))
		})
		m.Movers = m.Movers[:min(len(m.Movers), healthListCap)]
		return m, nil
	})
}
