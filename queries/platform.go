package queries

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"time"
)

// PlatformDigest is the platform team's digest: every team's health, worst first, and the project's blind spots —
// the models nobody owns first.
type PlatformDigest struct {
	Now time.Time `json:"now"`
	// Project is the whole project's health (scores and coverage).
	Project DigestHealth `json:"project"`
	// Teams are every team's health, the lowest total first (teams with no scored test last).
	Teams []TeamHealth `json:"teams"`
	// Coverage is the project's blind spots; its models_without_owner are the unowned models.
	Coverage Coverage `json:"coverage"`
}

// TeamHealth is one team's line in the platform digest.
type TeamHealth struct {
	Team string `json:"team"`
	DigestHealth
	Coverage CoverageCounts `json:"coverage"`
}

// Platform builds the platform digest at the Reader's now.
func (r *Reader) Platform(ctx context.Context) (PlatformDigest, error) {
	return inSnapshot(ctx, r, func(r *Reader) (PlatformDigest, error) {
		c, err := r.catalog(ctx)
		if err != nil {
			return PlatformDigest{}, err
		}
		d := PlatformDigest{Now: r.now().UTC(), Teams: []TeamHealth{}}
		var project HealthAnswer
		if err := r.scopeHealth(ctx, c, &project, time.Time{}, ""); err != nil {
			return d, err
		}
		d.Project, d.Coverage = digestHealth(project), project.Coverage
		for _, team := range c.teamNames {
			var h HealthAnswer
			if err := r.scopeHealth(ctx, c, &h, time.Time{}, strings.ToLower(team)); err != nil {
				return d, err
			}
			d.Teams = append(d.Teams, TeamHealth{Team: team, DigestHealth: digestHealth(h), Coverage: h.Coverage.Counts})
		}
		slices.SortStableFunc(d.Teams, func(x, y TeamHealth) int {
			switch {
			case x.Total == nil || y.Total == nil:
				return cmp.Compare(boolInt(x.Total == nil), boolInt(y.Total == nil))
			}
			return cmp.Or(cmp.Compare(*x.Total, *y.Total), strings.Compare(x.Team, y.Team))
		})
		return d, nil
	})
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
