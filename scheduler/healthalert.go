package scheduler

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/todai-dev/todai/queries"
	"github.com/todai-dev/todai/queries/localdb"
	"github.com/todai-dev/todai/queries/statedb"
)

// HealthAlert tells a team when its health falls: below Below, or by more than Drop points within a day. Each fall is
// told once, with the tests that moved it, and not again until the team is back (at or above Below, and no longer
// fallen by more than Drop in a day); the recovery itself is recorded, not posted (episodes). Run it after each sync.
type HealthAlert struct {
	// DB is Todai's own state: the notices claimed and told.
	DB *statedb.DB
	// Mirror is the read model: each run reads one snapshot of it.
	Mirror *queries.Reader
	// Teams are the teams watched.
	Teams []string
	// Below and Drop are the thresholds (nil: not watched).
	Below, Drop *float64
	// Post tells a team its health fell, why (below, drop, or both) and what moved it, and says where it went.
	Post func(ctx context.Context, m queries.HealthMove, why HealthFall) (channel, ts string, err error)
	// Holder names this process in the claims.
	Holder string
	Logger *slog.Logger

	mu sync.Mutex // one run at a time
}

// HealthFall says how a team's health fell: below its threshold, by more than the allowed drop in a day, or both.
type HealthFall struct {
	Below, Drop *float64 // the thresholds it crossed (nil: not that one)
}

// fell reports whether the move crossed a threshold, and which.
func (h *HealthAlert) fell(m queries.HealthMove) (HealthFall, bool) {
	var f HealthFall
	if m.Total == nil {
		return f, false
	}
	if h.Below != nil && *m.Total < *h.Below {
		f.Below = h.Below
	}
	if h.Drop != nil && m.DayBefore != nil && *m.DayBefore-*m.Total > *h.Drop {
		f.Drop = h.Drop
	}
	return f, f.Below != nil || f.Drop != nil
}

// Run looks at every watched team once, at now.
func (h *HealthAlert) Run(ctx context.Context, now time.Time) error {
	if h.DB == nil || h.Mirror == nil || h.Post == nil {
		return errors.New("health alert: not configured")
	}
	if h.Below == nil && h.Drop == nil {
		return nil
	}
	return oneRun(ctx, &h.mu, h.Mirror, "health alert", func(mirror *queries.Reader) error {
		e := episodes{db: h.DB, holder: h.Holder, log: h.Logger}
		var errs []error
		for _, team := range h.Teams {
			m, err := mirror.HealthMove(ctx, team)
			var nf *queries.NotFoundError
			if errors.As(err, &nf) {
				continue // a configured team that owns nothing yet
			}
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", team, err))
				continue
			}
			why, bad := h.fell(m)
			err = e.update(ctx, "health:"+m.Team, bad, localdb.FormatTime(now),
				func(ctx context.Context, begins bool) (string, string, error) {
					if !begins {
						return "", "", nil // recovered: recorded, so that the next fall is told
					}
					return h.Post(ctx, m, why)
				})
			if err != nil {
				errs = append(errs, err)
			}
		}
		return errors.Join(errs...)
	})
}
