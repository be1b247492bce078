package scheduler

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"

	"github.com/todai-dev/todai/queries/statedb"
)

// episodes are the bad stretches of subjects — an exposure unsafe to use, a team's health fallen — each told once
// when it begins and once when it ends: every notice is claimed in the state database (episode_notices) before it is
// posted, so that a restart or a second process never repeats one, and a post that fails gives its claim back for
// the next run.
type episodes struct {
	db     *statedb.DB
	holder string
	log    *slog.Logger
}

// Episode notice kinds: the one that opens an episode, the one that closes it.
const (
	episodeBegins = "begins"
	episodeEnds   = "ends"
)

// current is subject's latest episode (0 when none) and whether it is still open (its end not told).
func (e episodes) current(ctx context.Context, subject string) (int, bool, error) {
	var episode sql.NullInt64
	var ended bool
	err := e.db.Writer().QueryRowContext(ctx, `SELECT max(episode),
			EXISTS (SELECT 1 FROM episode_notices u WHERE u.subject = ?1 AND u.kind = ?2
				AND u.episode = (SELECT max(episode) FROM episode_notices WHERE subject = ?1))
		FROM episode_notices WHERE subject = ?1`, subject, episodeEnds).Scan(&episode, &ended)
	if err != nil {
		return 0, false, fmt.Errorf("%s: read notices: %w", subject, err)
	}
	return int(episode.Int64), episode.Valid && !ended, nil
}

// update tells subject's state: bad opens a new episode (told by post) when none is open; not bad closes the open
// one (told by post, which may say nothing: channel ""). Nothing happens when the state did not change.
func (e episodes) update(ctx context.Context, subject string, bad bool, now string,
	post func(ctx context.Context, begins bool) (channel, ts string, err error)) error {
	episode, open, err := e.current(ctx, subject)
	if err != nil {
		return err
	}
	switch {
	case bad && !open:
		return e.tell(ctx, subject, episode+1, episodeBegins, now, func(ctx context.Context) (string, string, error) {
			return post(ctx, true)
		})
	case !bad && open:
		return e.tell(ctx, subject, episode, episodeEnds, now, func(ctx context.Context) (string, string, error) {
			return post(ctx, false)
		})
	}
	return nil
}

// tell claims one notice, posts it, and records where it went; a failed post gives the claim back.
func (e episodes) tell(ctx context.Context, subject string, episode int, kind, now string,
	post func(ctx context.Context) (channel, ts string, err error)) error {
	res, err := e.db.Writer().ExecContext(ctx, `INSERT INTO episode_notices (subject, episode, kind, claimed_at,
		claimed_by) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`, subject, episode, kind, now, e.holder)
	if err != nil {
		return fmt.Errorf("%s: claim: %w", subject, err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return err // another process claimed it
	}
	channel, ts, err := post(ctx)
	if err != nil {
		if _, rerr := e.db.Writer().ExecContext(context.WithoutCancel(ctx), `DELETE FROM episode_notices
			WHERE subject = ? AND episode = ? AND kind = ?`, subject, episode, kind); rerr != nil {
			err = errors.Join(err, fmt.Errorf("give the claim back: %w", rerr))
		}
		return fmt.Errorf("%s: %w", subject, err)
	}
	if _, err := e.db.Writer().ExecContext(ctx, `UPDATE episode_notices SET posted_at = ?, channel = ?, ts = ?
		WHERE subject = ? AND episode = ? AND kind = ?`, now, channel, ts, subject, episode, kind); err != nil {
		return fmt.Errorf("%s: record the post: %w", subject, err)
	}
	if channel != "" {
		e.logger().Info("episode told", "subject", subject, "episode", episode, "kind", kind, "channel", channel)
	}
	return nil
}

func (e episodes) logger() *slog.Logger {
	if e.log == nil {
		return slog.Default()
	}
	return e.log
}
