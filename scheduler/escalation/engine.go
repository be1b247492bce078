package escalation

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// IncidentStore keeps incidents, their timelines, silences and sends: *Store (SQLite) in production, an in-memory
// store in the engine's tests.
type IncidentStore interface {
	// Pending returns the incidents a sweep must look at (Store.Pending).
	Pending(ctx context.Context) ([]Incident, error)
	Get(ctx context.Context, id int64) (Incident, error)
	ActiveSilences(ctx context.Context, now time.Time) ([]Silence, error)
	// SentKeys returns the sends recorded for the pending incidents.
	SentKeys(ctx context.Context) (map[SendKey]bool, error)
	// Apply records a marking action with its timeline event.
	Apply(ctx context.Context, id int64, act Action, now time.Time) error
	// ClaimSends claims sends before they go out, each at most once ever, and returns those it claimed; a claimed
	// notice becomes its incident's last notice, a claimed ResolveLevel marks the resolution announced.
	ClaimSends(ctx context.Context, keys []SendKey, now time.Time) (map[SendKey]bool, error)
	// UnclaimSend gives back the claim of a notice Slack refused (the last notice back to prev), up to
	// MaxSendAttempts.
	UnclaimSend(ctx context.Context, key SendKey, prev Step, now time.Time, reason string) error
	// SetMessages records where the sends went (the incidents' message, for the first ones).
	SetMessages(ctx context.Context, keys []SendKey, msg MessageRef) error
	// Unresolved returns the unresolved incidents by key, for Reconcile.
	Unresolved(ctx context.Context) (map[string]Unresolved, error)
	// ApplyReconcile carries a reconcile's plan out at once and returns the incidents it opened and resolved.
	ApplyReconcile(ctx context.Context, plan ReconcilePlan, now time.Time) (opened, resolved []Incident, err error)
}

// Engine is escalation's orchestration over a store: Reconcile opens and resolves incidents from the mirror's
// problems, Sweep decides (Decide for each incident, grouped by root cause), Execute carries the decisions out
// through a Notifier.
type Engine struct {
	Store IncidentStore
}

var _ IncidentStore = (*Store)(nil)

// Sweep reads every pending incident, the silences and the sends, and decides for each with its team's policy
// (policyFor; an incident whose team has no policy is skipped) under the mirror's conditions. It changes nothing: the
// caller performs the actions, claiming each send with ClaimSends and recording marks with Apply.
func (e Engine) Sweep(ctx context.Context, now time.Time, policyFor func(team string) (Policy, bool), cond Conditions) ([]Decision, error) {
	incs, err := e.Store.Pending(ctx)
	if err != nil {
		return nil, fmt.Errorf("sweep: %w", err)
	}
	sils, err := e.Store.ActiveSilences(ctx, now)
	if err != nil {
		return nil, fmt.Errorf("sweep: %w", err)
	}
	sent, err := e.Store.SentKeys(ctx)
	if err != nil {
		return nil, fmt.Errorf("sweep: %w", err)
	}
	causes := map[int64]Cause{}
	if cond.CauseOf != nil {
		for _, inc := range incs {
			if inc.Status != StatusOpen {
				continue
			}
			c, ok, err := cond.CauseOf(ctx, inc)
			if err != nil {
				return nil, fmt.Errorf("sweep: diagnose incident %d: %w", inc.ID, err)
			}
			if ok {
				causes[inc.ID] = c
			}
		}
	}
	roots := Roots(incs, causes)
	byID := make(map[int64]Incident, len(incs))
	for _, inc := range incs {
		byID[inc.ID] = inc
	}
	var out []Decision
	for _, inc := range incs {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("sweep: %w", err)
		}
		pol, ok := policyFor(inc.Team)
		if !ok {
			continue
		}
		in := Input{Incident: inc, Policy: pol, Silences: sils, Now: now, AlreadySent: sent,
			ElementaryInUse: cond.ElementaryInUse}
		if c, ok := causes[inc.ID]; ok {
			in.Cause = &c
		}
		if r, ok := roots[inc.ID]; ok {
			in.Root = &r
		}
		if inc.ParentID != 0 {
			p, ok := byID[inc.ParentID]
			if !ok {
				if p, err = e.Store.Get(ctx, inc.ParentID); err != nil && !errors.Is(err, ErrNotFound) {
					return nil, fmt.Errorf("sweep: root of incident %d: %w", inc.ID, err)
				}
			}
			if p.ID != 0 {
				in.Parent = &p
			}
		}
		if acts := Decide(in); len(acts) > 0 {
			out = append(out, Decision{Incident: inc, Actions: acts})
		}
	}
	return out, nil
}
