package scheduler

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/todai-dev/todai/scheduler/escalation"
)

// EscalationMirror is what the escalation job reads of the mirror: the current problems, edr monitor's alerts and
// whether it is in use; *queries.Reader implements it.
type EscalationMirror interface {
	escalation.MirrorReader
	ElementaryInUse(ctx context.Context, now time.Time) (bool, error)
}

// Escalator is the escalation job: Reconcile (open and resolve incidents from the mirror), Sweep (decide) and
// Execute (send through the notifier). Run it after each sync and on the minute tick; runs never overlap.
type Escalator struct {
	Store  *escalation.Store
	Mirror EscalationMirror
	// Causes diagnoses the incidents through the read model, once per sync: it groups them by root cause and names
	// their causes (nil: no diagnosis).
	Causes *escalation.CauseCache
	// PolicyFor returns a team's policy; teams without one get no incidents escalated.
	PolicyFor func(team string) (escalation.Policy, bool)
	// Notifier returns the notifier for one sweep's decisions (it may group the first notices per team and
	// invocation into one message).
	Notifier func(decisions []escalation.Decision) escalation.Notifier
	Logger   *slog.Logger

	mu sync.Mutex // one run at a time
}

// Run reconciles, sweeps and executes once at now.
func (e *Escalator) Run(ctx context.Context, now time.Time) error {
	if e.Store == nil || e.Mirror == nil || e.PolicyFor == nil || e.Notifier == nil {
		return errors.New("escalation: not configured")
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	engine := escalation.Engine{Store: e.Store}
	if _, err := engine.Reconcile(ctx, e.Mirror, e.PolicyFor, now); err != nil {
		return fmt.Errorf("escalation: %w", err)
	}
	inUse, err := e.Mirror.ElementaryInUse(ctx, now)
	if err != nil {
		return fmt.Errorf("escalation: %w", err)
	}
	cond := escalation.Conditions{ElementaryInUse: inUse}
	if e.Causes != nil {
		if cond.CauseOf, err = e.Causes.CauseOf(ctx); err != nil {
			return fmt.Errorf("escalation: %w", err)
		}
	}
	decisions, err := engine.Sweep(ctx, now, e.PolicyFor, cond)
	if err != nil {
		return fmt.Errorf("escalation: %w", err)
	}
	if len(decisions) == 0 {
		return nil
	}
	log := e.Logger
	if log == nil {
		log = slog.Default()
	}
	if err := engine.Execute(ctx, decisions, e.Notifier, now, log); err != nil {
		return fmt.Errorf("escalation: %w", err)
	}
	return nil
}
