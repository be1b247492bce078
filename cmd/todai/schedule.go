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
	"github.com/todai-dev/todai/queries/localdb"
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
			s, err := a.newScheduler(db, nil, nil, nil)
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
			holder, exp, err := s.Lease().Current(ctx)
			if err != nil {
				return err
			}
			if holder != "" && exp.After(a.now()) {
				fmt.Fprintf(a.stdout, "lease: held by %s until %s\n", holder, exp.Format(time.RFC3339))
			}
			return nil
		}),
	}
	cmd.Flags().IntVar(&n, "next", 3, "how many upcoming runs to show per job")
	return cmd
}

// newScheduler builds the scheduler of `todai serve` from the config: the sync every sync.interval and each team's
// digest schedule, posted through b (nil: a scheduler that only shows its schedule). After each successful sync
// run escalation (esc, also on the minute tick) and the heads-up to exposures' audiences (heads), each when given.
func (a *app) newScheduler(db *localdb.DB, esc *scheduler.Escalator, heads *scheduler.HeadsUp, b *bot.Bot) (*scheduler.Scheduler, error) {
	opts := scheduler.Options{DB: db, Holder: holderID(), SyncInterval: a.cfg.Sync.Interval.Duration,
		Sync:  func(ctx context.Context) error { return a.syncOnce(ctx, db) },
		Teams: a.cfg.DigestSchedules(), Post: a.digestPoster(b), Logger: a.logger, Now: a.now}
	if heads != nil {
		heads.Holder = opts.Holder
	}
	opts.AfterSync = afterSync(esc, heads)
	s, err := scheduler.New(opts)
	if err != nil {
		return nil, err
	}
	if esc != nil {
		s.OnTick("escalation", esc.Run)
	}
	return s, nil
}

// afterSync is what runs after each successful sync: escalation, then the heads-up, each when given (nil when
// neither is); a failure of one does not keep the other from running.
func afterSync(esc *scheduler.Escalator, heads *scheduler.HeadsUp) scheduler.TickFunc {
	var jobs []scheduler.TickFunc
	if esc != nil {
		jobs = append(jobs, esc.Run)
	}
	if heads != nil {
		jobs = append(jobs, heads.Run)
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

// holderID names this process in the scheduler lease: host, pid and start time.
func holderID() string {
	host, err := os.Hostname()
	if err != nil {
		host = "unknown"
	}
	return fmt.Sprintf("%s/%d/%d", host, os.Getpid(), time.Now().UnixNano())
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
