package scheduler

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/todai-dev/todai/queries"
	"github.com/todai-dev/todai/queries/localdb"
)

// HeadsUp tells an exposure's audience when it turns unsafe to use, and once more when it is usable again. Each
// unsafe episode of an exposure is announced once when it begins and once when it ends, claimed in the state
// database before the post (exposure_notices), so that a restart or a second process never repeats one; a post that
// fails gives its claim back for the next run. Run it after each sync.
type HeadsUp struct {
	DB *localdb.DB
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

// look announces x's new unsafe episode, or the end of its open one.
func (h *HeadsUp) look(ctx context.Context, mirror *queries.Reader, x queries.Node, now time.Time) error {
	a, err := mirror.Safe(ctx, x.UniqueID)
	if err != nil {
		return fmt.Errorf("%s: %w", x.UniqueID, err)
	}
	episode, open, err := h.episode(ctx, x.UniqueID)
	if err != nil {
		return err
	}
	switch {
	case a.Verdict == queries.Unsafe && !open:
		return h.announce(ctx, a, episode+1, "unsafe", false, now)
	case a.Verdict != queries.Unsafe && open:
		return h.announce(ctx, a, episode, "usable", true, now)
	}
	return nil
}

// episode is x's latest unsafe episode (0 when none) and whether it is still open (its end not announced).
func (h *HeadsUp) episode(ctx context.Context, id string) (int, bool, error) {
	var episode sql.NullInt64
	var ended bool
	err := h.DB.Write.QueryRowContext(ctx, `SELECT max(episode),
			EXISTS (SELECT 1 FROM exposure_notices u WHERE u.exposure_id = ?1 AND u.kind = 'usable'
				AND u.episode = (SELECT max(episode) FROM exposure_notices WHERE exposure_id = ?1))
		FROM exposure_notices WHERE exposure_id = ?1`, id).Scan(&episode, &ended)
	if err != nil {
		return 0, false, fmt.Errorf("%s: read notices: %w", id, err)
	}
	return int(episode.Int64), episode.Valid && !ended, nil
}

// announce claims one notice, posts it, and records where it went; a failed post gives the claim back.
func (h *HeadsUp) announce(ctx context.Context, a queries.SafeAnswer, episode int, kind string, recovered bool, now time.Time) error {
	id := a.Node.UniqueID
	res, err := h.DB.Write.ExecContext(ctx, `INSERT INTO exposure_notices (exposure_id, episode, kind, claimed_at,
		claimed_by) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`, id, episode, kind, localdb.FormatTime(now), h.Holder)
	if err != nil {
		return fmt.Errorf("%s: claim: %w", id, err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return err // another process claimed it
	}
	channel, ts, err := h.Post(ctx, a, recovered)
	if err != nil {
		if _, rerr := h.DB.Write.ExecContext(context.WithoutCancel(ctx), `DELETE FROM exposure_notices
			WHERE exposure_id = ? AND episode = ? AND kind = ?`, id, episode, kind); rerr != nil {
			err = errors.Join(err, fmt.Errorf("give the claim back: %w", rerr))
		}
		return fmt.Errorf("%s: %w", id, err)
	}
	if _, err := h.DB.Write.ExecContext(ctx, `UPDATE exposure_notices SET posted_at = ?, channel = ?, ts = ?
		WHERE exposure_id = ? AND episode = ? AND kind = ?`, localdb.FormatTime(now), channel, ts, id, episode,
		kind); err != nil {
		return fmt.Errorf("%s: record the post: %w", id, err)
	}
	if channel == "" {
		return nil
	}
	h.logger().Info("heads-up posted", "exposure", id, "verdict", a.Verdict, "episode", episode, "kind", kind,
		"channel", channel)
	return nil
}

func (h *HeadsUp) logger() *slog.Logger {
	if h.Logger == nil {
		return slog.Default()
	}
	return h.Logger
}
