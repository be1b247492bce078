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

// HeadsUp tells an exposure's audience when it turns unsafe to use, and once more when it is usable again: each
// unsafe episode is told once when it begins and once when it ends (episodes: claimed before it is posted, so that
// a restart or a second process never repeats one). Run it after each sync.
type HeadsUp struct {
	// DB is Todai's own state: the notices claimed and told.
	DB *statedb.DB
	// Mirror is the read model: each run reads one snapshot of it.
	Mirror *queries.Reader
	// Post tells an exposure's audience its verdict (recovered: it is usable again) and says where it went; a ""
	// channel without an error says there was nobody to tell, and the notice is not tried again.
	Post func(ctx context.Context, a queries.SafeAnswer, recovered bool) (channel, ts string, err error)
	// Holder names this process in the claims.
	Holder string
	Logger *slog.Logger

	mu sync.Mutex // one run at a time
}

// Run looks at every exposure once, at now.
func (h *HeadsUp) Run(ctx context.Context, now time.Time) error {
	if h.DB == nil || h.Mirror == nil || h.Post == nil {
		return errors.New("heads-up: not configured")
	}
	return oneRun(ctx, &h.mu, h.Mirror, "heads-up", func(mirror *queries.Reader) error {
		exposures, err := mirror.Exposures(ctx)
		if err != nil {
			return err
		}
		var errs []error
		for _, x := range exposures {
			if err := h.look(ctx, mirror, x, now); err != nil {
				errs = append(errs, err)
			}
		}
		return errors.Join(errs...)
	})
}

// look tells x's audience when it turns unsafe to use, and when it is usable again.
func (h *HeadsUp) look(ctx context.Context, mirror *queries.Reader, x queries.Node, now time.Time) error {
	a, err := mirror.Safe(ctx, x.UniqueID)
	if err != nil {
		return fmt.Errorf("%s: %w", x.UniqueID, err)
	}
	e := episodes{db: h.DB, holder: h.Holder, log: h.Logger}
	return e.update(ctx, x.UniqueID, a.Verdict == queries.Unsafe, localdb.FormatTime(now),
		func(ctx context.Context, begins bool) (string, string, error) { return h.Post(ctx, a, !begins) })
}
