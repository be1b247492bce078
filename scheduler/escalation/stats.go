package escalation

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/todai-dev/todai/queries"
	"github.com/todai-dev/todai/queries/localdb"
)

// Handled is how one incident was handled: when it opened, was acknowledged (or taken) and resolved (zero: not
// yet), how it ended, and the fixed incident it reopens.
type Handled struct {
	ID         int64
	Team       string
	Subject    string // its test's unique_id, else its node's
	OpenedAt   time.Time
	AckedAt    time.Time
	ResolvedAt time.Time
	Resolution Resolution
	Reopens    int64
}

// Handled returns the incidents of team (every team's for "", compared without case) opened at or after since or
// resolved at or after it, by id.
func (s *Store) Handled(ctx context.Context, team string, since time.Time) ([]Handled, error) {
	from := localdb.FormatTime(since)
	// Through the writer, as OpenOn: the read model calls it inside a snapshot that holds one of the readers.
	rows, err := s.db.Writer().QueryContext(ctx, `SELECT id, team, coalesce(nullif(test_id, ''), node_id), opened_at,
		coalesce(acked_at, ''), coalesce(resolved_at, ''), resolution, reopens FROM incidents
		WHERE (?1 = '' OR lower(team) = lower(?1)) AND (opened_at >= ?2 OR resolved_at >= ?2) ORDER BY id`, team, from)
	if err != nil {
		return nil, fmt.Errorf("incidents handled: %w", err)
	}
	defer rows.Close()
	var out []Handled
	for rows.Next() {
		var (
			h                       Handled
			opened, acked, resolved string
			resolution              string
		)
		if err := rows.Scan(&h.ID, &h.Team, &h.Subject, &opened, &acked, &resolved, &resolution, &h.Reopens); err != nil {
			return nil, fmt.Errorf("incidents handled: %w", err)
		}
		h.Resolution = Resolution(resolution)
		for _, f := range []struct {
			s   string
			dst *time.Time
		}{{opened, &h.OpenedAt}, {acked, &h.AckedAt}, {resolved, &h.ResolvedAt}} {
			if f.s == "" {
				continue
			}
			if *f.dst, err = localdb.ParseTime(f.s); err != nil {
				return nil, fmt.Errorf("incident %d: %w", h.ID, err)
			}
		}
		out = append(out, h)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("incidents handled: %w", err)
	}
	return out, nil
}

// Stats is how a team's incidents (every team's for "") were handled in [since, until): the read model's
// ReaderOptions.IncidentStats.
func (s *Store) Stats(ctx context.Context, team string, since, until time.Time) (queries.IncidentStatsAnswer, error) {
	hs, err := s.Handled(ctx, team, since)
	if err != nil {
		return queries.IncidentStatsAnswer{}, err
	}
	return StatsOf(hs, team, since, until), nil
}

// maxMostReopened bounds the stats' most reopened tests.
const maxMostReopened = 5

// StatsOf sums up the incidents handled in [since, until) (see queries.IncidentStatsAnswer).
func StatsOf(hs []Handled, team string, since, until time.Time) queries.IncidentStatsAnswer {
	a := queries.IncidentStatsAnswer{Team: team, Since: since, Until: until, Resolutions: []queries.ResolutionCount{},
		MostReopened: []queries.ReopenedSubject{}}
	in := func(t time.Time) bool { return !t.IsZero() && !t.Before(since) && t.Before(until) }
	var toAck, toResolve []time.Duration
	resolutions := map[string]int{}
	reopened := map[string]int{}
	for _, h := range hs {
		if in(h.OpenedAt) {
			a.Opened++
			if !h.AckedAt.IsZero() && h.AckedAt.Before(until) {
				a.Acknowledged++
				toAck = append(toAck, h.AckedAt.Sub(h.OpenedAt))
			}
			if h.ResolvedAt.IsZero() || !h.ResolvedAt.Before(until) {
				a.StillOpen++
			}
			if h.Reopens != 0 {
				reopened[h.Subject]++
			}
		}
		if in(h.ResolvedAt) {
			a.Resolved++
			toResolve = append(toResolve, h.ResolvedAt.Sub(h.OpenedAt))
			resolutions[string(h.Resolution)]++
		}
	}
	a.TimeToAcknowledge, a.TimeToResolve = durationStats(toAck), durationStats(toResolve)
	for r, n := range resolutions {
		a.Resolutions = append(a.Resolutions, queries.ResolutionCount{Resolution: r, Count: n})
	}
	slices.SortFunc(a.Resolutions, func(x, y queries.ResolutionCount) int {
		return cmp.Or(y.Count-x.Count, strings.Compare(x.Resolution, y.Resolution))
	})
	for subject, n := range reopened {
		a.MostReopened = append(a.MostReopened, queries.ReopenedSubject{UniqueID: subject, Reopens: n})
	}
	slices.SortFunc(a.MostReopened, func(x, y queries.ReopenedSubject) int {
		return cmp.Or(y.Reopens-x.Reopens, strings.Compare(x.UniqueID, y.UniqueID))
	})
	a.MostReopened = a.MostReopened[:min(len(a.MostReopened), maxMostReopened)]
	return a
}

// durationStats is the count, median and 90th percentile (nearest rank) of ds.
func durationStats(ds []time.Duration) queries.DurationStats {
	out := queries.DurationStats{Count: len(ds)}
	if len(ds) == 0 {
		return out
	}
	sorted := slices.Clone(ds)
	slices.Sort(sorted)
	rank := func(p float64) *float64 {
		i := int(math.Ceil(p*float64(len(sorted)))) - 1
		secs := sorted[max(i, 0)].Seconds()
		return &secs
	}
	out.MedianSeconds, out.P90Seconds = rank(0.5), rank(0.9)
	return out
}
