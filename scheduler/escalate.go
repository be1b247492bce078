package scheduler

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/todai-dev/todai/queries"
	"github.com/todai-dev/todai/scheduler/escalation"
)

// Escalator is the escalation job: Reconcile (open and resolve incidents from the mirror), Sweep (decide) and
// Execute (send through the notifier). Run it after each sync and on the minute tick; runs never overlap.
type Escalator struct {
	Store *escalation.Store
	// Mirror is the read model: each run reads one snapshot of it — the problems, edr monitor's alerts and the
	// diagnosis that groups incidents by root cause and names their causes.
	Mirror *queries.Reader
	// PolicyFor returns a team's policy; teams without one get no incidents escalated.
	PolicyFor func(team string) (escalation.Policy, bool)
	// Notifier returns the notifier for one sweep's decisions (it may group the first notices per team and
	// invocation into one message), naming their causes from the sweep's snapshot of the mirror.
	Notifier func(decisions []escalation.Decision, mirror *queries.Reader) escalation.Notifier
	Logger   *slog.Logger

	mu sync.Mutex // one run at a time
}

// Run reconciles, sweeps and executes once at now.
func (e *Escalator) Run(ctx context.Context, now time.Time) error {
	if e.Store == nil || e.Mirror == nil || e.PolicyFor == nil || e.Notifier == nil {
		return errors.New("escalation: not configured")
	}
	return oneRun(ctx, &e.mu, e.Mirror, "escalation", func(mirror *queries.Reader) error {
		log := e.Logger
		if log == nil {
			log = slog.Default()
		}
		engine := escalation.Engine{Store: e.Store}
		res, err := engine.Reconcile(ctx, mirror, e.PolicyFor, now)
		if err != nil {
			return err
		}
		if res.Stale {
			log.Debug("escalation: another replica's mirror is newer; incidents are opened and resolved from it until this one syncs")
		}
		inUse, err := mirror.ElementaryInUse(ctx, now)
		if err != nil {
			return err
		}
		cond := escalation.Conditions{ElementaryInUse: inUse, CauseOf: escalation.DiagnosedCause(mirror)}
		decisions, err := engine.Sweep(ctx, now, e.PolicyFor, cond)
		if err != nil || len(decisions) == 0 {
			return err
		}
		notifier := func(ds []escalation.Decision) escalation.Notifier { return e.Notifier(ds, mirror) }
		return engine.Execute(ctx, decisions, notifier, now, log)
	})
}

// oneRun runs a job over one snapshot of the read model, one run at a time (mu); its error is prefixed with the
// job's name.
func oneRun(ctx context.Context, mu *sync.Mutex, reader *queries.Reader, job string, f func(mirror *queries.Reader) error) error {
	mu.Lock()
	defer mu.Unlock()
	mirror, release, err := reader.Snapshot(ctx)
	if err != nil {
		return fmt.Errorf("%s: %w", job, err)
	}
	defer release()
	if err := f(mirror); err != nil {
		return fmt.Errorf("%s: %w", job, err)
	}
	return nil
}
