package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/todai-dev/todai/bot"
	"github.com/todai-dev/todai/queries"
	"github.com/todai-dev/todai/queries/localdb"
	"github.com/todai-dev/todai/queries/mirror"
	"github.com/todai-dev/todai/scheduler"
)

func newScheduleCmd(a *app) *cobra.Command {
	var n int
	cmd := &cobra.Command{
		Use:   "schedule [--next N]",
		Short: "Print what `todai serve` runs when: the sync, each team's digest (in its zone) and the minute tick",
		Args:  cobra.NoArgs,
		RunE: a.onState(func(cmd *cobra.Command, _ []string, db *localdb.DB) error {
			ctx := cmd.Context()
			s, err := a.newScheduler(db, watchers{}, nil)
			if err != nil {
				return err
			}
			for _, p := range s.Plan(a.now(), n) {
				next := make([]string, len(p.Next))
				for i, t := range p.Next {
					next[i] = t.Format("Mon 2006-01-02 15:04 MST")
				}
				fmt.Fprintf(a.stdout, "%-30s %-22s %s\n  next: %s\n", p.Job, p.Spec, p.Location, strings.Join(next, ", "))
			}
			claims, err := s.Claims().Latest(ctx)
			if err != nil {
				return err
			}
			for _, c := range claims {
				state := "running"
				switch {
				case c.Done:
					state = "done"
				case !c.ExpiresAt.After(a.now()):
					state = "abandoned: its process stopped before finishing"
				}
				fmt.Fprintf(a.stdout, "last %s: %s by %s (%s)\n", c.Job, c.Tick.Format(time.RFC3339), c.Holder, state)
			}
			return nil
		}),
	}
	cmd.Flags().IntVar(&n, "next", 3, "how many upcoming runs to show per job")
	return cmd
}

// newScheduler builds the scheduler of `todai serve` from the config: the sync every sync.interval and each team's
// digest schedule, posted through b (nil: a scheduler that only shows its schedule), and the watchers after each
// successful sync (escalation also on the minute tick).
func (a *app) newScheduler(db *localdb.DB, w watchers, b *bot.Bot) (*scheduler.Scheduler, error) {
	opts := scheduler.Options{DB: a.stateOf(db), Holder: holderID(), SyncInterval: a.cfg.Sync.Interval.Duration,
		Sync:  func(ctx context.Context) error { return a.syncOnce(ctx, db) },
		Teams: a.cfg.DigestSchedules(), Post: a.digestPoster(b), Logger: a.logger, Now: a.now}
	opts.AfterSync = w.afterSync(opts.Holder)
	if a.cfg.Warehouse.URL != "" {
		opts.MirrorRead = func(ctx context.Context) (time.Time, error) { return mirror.LastRead(ctx, db) }
		if feed := a.mirrorFeed(); feed != nil {
			opts.Follow = a.follow(db, mirror.NewFollower(db, feed, a.mirrorOptions()))
		}
	}
	s, err := scheduler.New(opts)
	if err != nil {
		return nil, err
	}
	if w.esc != nil {
		s.OnTick("escalation", w.esc.Run)
	}
	return s, nil
}

// watchers are the jobs that look at the mirror after each successful sync, each nil when off: escalation, the
// heads-up to exposures' audiences and the alert when a team's health falls.
type watchers struct {
	esc    *scheduler.Escalator
	heads  *scheduler.HeadsUp
	health *scheduler.HealthAlert
}

// newWatchers builds the watchers the config turns on, posting through b.
func (a *app) newWatchers(db *localdb.DB, reader *queries.Reader, b *bot.Bot) watchers {
	return watchers{esc: a.newEscalator(db, reader, b), heads: a.newHeadsUp(db, reader, b),
		health: a.newHealthAlert(db, reader, b)}
}

// afterSync is what runs after each successful sync: escalation, then the heads-up, then the health alert, those
// that are on (nil when none is), their claims made as holder; a failure of one does not keep the others from
// running.
func (w watchers) afterSync(holder string) scheduler.TickFunc {
	var jobs []scheduler.TickFunc
	if w.esc != nil {
		jobs = append(jobs, w.esc.Run)
	}
	if w.heads != nil {
		w.heads.Holder = holder
		jobs = append(jobs, w.heads.Run)
	}
	if w.health != nil {
		w.health.Holder = holder
		jobs = append(jobs, w.health.Run)
	}
	if len(jobs) == 0 {
		return nil
	}
	return func(ctx context.Context, now time.Time) error {
		var errs []error
		for _, job := range jobs {
			errs = append(errs, job(ctx, now))
		}
		return errors.Join(errs...)
	}
}

// holderID names this process in the scheduler's claims: host, pid and start time.
func holderID() string {
	host, err := os.Hostname()
	if err != nil {
		host = "unknown"
	}
	return fmt.Sprintf("%s/%d/%d", host, os.Getpid(), time.Now().UnixNano())
}

// follow is the scheduler's Follow over a shared state: it applies to the mirror in db what the other replicas'
// syncs read, and reads the warehouse itself (without publishing) only when the feed cannot bring it up to date.
func (a *app) follow(db *localdb.DB, f *mirror.Follower) func(ctx context.Context) error {
	return func(ctx context.Context) error {
		rep, err := f.CatchUp(ctx, func(ctx context.Context) (mirror.Report, error) {
			rep, err := a.readWarehouse(ctx, db, nil)
			logSync(a.logger, rep, err, ctx)
			return rep, err
		})
		if err != nil {
			return fmt.Errorf("follow the mirror feed: %w", err)
		}
		if rep.Applied > 0 {
			a.logger.DebugContext(ctx, "mirror followed the feed", "entries", rep.Applied, "rows", rep.Rows,
				"position", rep.Position)
		}
		return nil
	}
}

// syncOnce syncs the mirror when a warehouse is configured (nothing otherwise).
func (a *app) syncOnce(ctx context.Context, db *localdb.DB) error {
	rep, err := a.syncMirror(ctx, db)
	if errors.Is(err, errNoWarehouse) {
		return nil
	}
	logSync(a.logger, rep, err, ctx)
	return err
}
