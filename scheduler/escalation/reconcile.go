package escalation

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/todai-dev/todai/queries"
	"github.com/todai-dev/todai/queries/localdb"
	"github.com/todai-dev/todai/queries/statedb"
)

// MirrorReader is what Reconcile reads of the mirror; *queries.Reader implements it.
type MirrorReader interface {
	// Problems returns the current failures.
	Problems(ctx context.Context) ([]queries.Problem, error)
	// ElementaryAlerts returns, for each key that edr monitor alerted on (alerts_v2, status sent) for a failure
	// detected at or after since[key] (zero: any time), the newest such alert's id.
	ElementaryAlerts(ctx context.Context, since map[string]time.Time) (map[string]string, error)
	// LatestResults returns the latest result of each test, model or source (its freshness check) named.
	LatestResults(ctx context.Context, ids []string) (map[string]queries.ResultRef, error)
	// SyncInfo says when the mirror read the warehouse (ReadAt).
	SyncInfo(ctx context.Context) (queries.SyncInfo, error)
}

// Group is the new incidents of one team from one dbt invocation: they go out as one message.
type Group struct {
	Team         string
	InvocationID string
	Incidents    []Incident
}

// ReconcileResult says what Reconcile changed.
type ReconcileResult struct {
	Opened   []Incident
	Resolved []Incident
	// Groups are the opened incidents by team and invocation, in team then invocation order.
	Groups []Group
	// Stale says nothing was applied: the mirror read the warehouse before the one a reconcile last applied (another
	// replica's, synced later), and would resolve what that one has just opened — or it never synced at all.
	Stale bool
}

// Reconcile opens an incident for every current problem without an unresolved one (warn-only tests only when the
// team's policy includes warn), links edr monitor's alerts to the incidents still waiting for theirs, and resolves
// every unresolved incident whose problem is gone: the test passes again, the model ran successfully, the source is
// fresh. The store applies it all at once (ApplyReconcile), unless a reconcile from a mirror read later has been
// applied already (replicas each sync their own mirror): then nothing changes and the result says Stale.
func (e Engine) Reconcile(ctx context.Context, m MirrorReader, policyFor func(team string) (Policy, bool), now time.Time) (ReconcileResult, error) {
	problems, err := m.Problems(ctx)
	if err != nil {
		return ReconcileResult{}, fmt.Errorf("reconcile: %w", err)
	}
	open, err := e.Store.Unresolved(ctx)
	if err != nil {
		return ReconcileResult{}, fmt.Errorf("reconcile: %w", err)
	}
	wanted := wantedIncidents(problems, policyFor, now)
	alerts := map[string]string{}
	if since := alertWindows(wanted, open, policyFor, now); len(since) > 0 {
		if alerts, err = m.ElementaryAlerts(ctx, since); err != nil {
			return ReconcileResult{}, fmt.Errorf("reconcile: %w", err)
		}
	}
	plan := planReconcile(wanted, open, alerts)
	info, err := m.SyncInfo(ctx)
	if err != nil {
		return ReconcileResult{}, fmt.Errorf("reconcile: %w", err)
	}
	if info.ReadAt.IsZero() {
		// A mirror that never synced shows no problem: it would resolve every incident.
		return ReconcileResult{Stale: true}, nil
	}
	plan.ReadAt = info.ReadAt
	if plan.ClearedBy, err = clearedBy(ctx, m, plan.Resolve, open); err != nil {
		return ReconcileResult{}, fmt.Errorf("reconcile: %w", err)
	}
	opened, resolved, err := e.Store.ApplyReconcile(ctx, plan, now)
	if errors.Is(err, ErrStaleMirror) {
		return ReconcileResult{Stale: true}, nil
	}
	if err != nil {
		return ReconcileResult{}, fmt.Errorf("reconcile: %w", err)
	}
	sort.Slice(resolved, func(i, j int) bool { return resolved[i].ID < resolved[j].ID })
	return ReconcileResult{Opened: opened, Resolved: resolved, Groups: groupIncidents(opened)}, nil
}

// ReconcilePlan is what a reconcile changes.
type ReconcilePlan struct {
	// Open are the incidents to open (a key already open is left as it is).
	Open []Incident
	// Link maps an unresolved incident's id to the edr monitor alert found for it.
	Link map[int64]string
	// Resolve lists the unresolved incidents whose problem is gone, and ClearedBy the dbt invocation whose result
	// cleared each (absent when the mirror does not say).
	Resolve   []int64
	ClearedBy map[int64]string
	// ReadAt is when the mirror the plan was made from read the warehouse; zero applies the plan whatever.
	ReadAt time.Time
}

// ErrStaleMirror is ApplyReconcile's refusal of a plan made from a mirror that read the warehouse before the one
// the last applied plan was made from.
var ErrStaleMirror = errors.New("mirror older than the last reconcile's")

// reconciledReadKey is the scheduler_state key holding the ReadAt of the newest plan applied.
const reconciledReadKey = "escalation.reconciled_read_at"

// clearedBy says which dbt invocation's result cleared each incident to resolve: its subject's latest result.
func clearedBy(ctx context.Context, m MirrorReader, resolve []int64, open map[string]Unresolved) (map[int64]string, error) {
	if len(resolve) == 0 {
		return nil, nil
	}
	subjects := map[int64]string{}
	var ids []string
	for _, u := range open {
		if slices.Contains(resolve, u.ID) {
			subjects[u.ID] = u.Subject
			ids = append(ids, u.Subject)
		}
	}
	latest, err := m.LatestResults(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := map[int64]string{}
	for id, subject := range subjects {
		if r, ok := latest[subject]; ok && r.InvocationID != "" {
			out[id] = r.InvocationID
		}
	}
	return out, nil
}

// Unresolved is what Reconcile needs of an unresolved incident.
type Unresolved struct {
	ID   int64
	Team string
	// Subject is its test's unique_id, else its node's: whose latest result cleared it.
	Subject string
	// WaitsForAlert: no notice went out and no edr monitor alert is linked yet.
	WaitsForAlert bool
	DetectedAt    time.Time
	OpenedAt      time.Time
}

// wantedIncidents are the incidents the current problems call for, in the team of each problem's node.
func wantedIncidents(problems []queries.Problem, policyFor func(team string) (Policy, bool), now time.Time) []Incident {
	var out []Incident
	for _, p := range problems {
		if p.Severity == SeverityWarn {
			if pol, ok := policyFor(p.Team); !ok || !pol.IncludeWarn {
				continue
			}
		}
		out = append(out, Incident{Key: p.Key, Team: p.Team, Kind: Kind(p.Kind), NodeID: p.NodeID, TestID: p.TestID,
			Severity: p.Severity, InvocationID: p.InvocationID, Summary: p.Summary, Owners: p.Facts.Owners,
			Tags: p.Facts.Tags, OpenedAt: now, DetectedAt: p.DetectedAt})
	}
	return out
}

// alertWindows says, per key, since when an edr monitor alert counts: for the new incidents, and for those still
// waiting for theirs before a first notice.
func alertWindows(wanted []Incident, open map[string]Unresolved, policyFor func(team string) (Policy, bool),
	now time.Time) map[string]time.Time {
	since := map[string]time.Time{}
	current := map[string]bool{}
	for _, w := range wanted {
		current[w.Key] = true
		if _, ok := open[w.Key]; !ok {
			since[w.Key] = alertsSince(w.DetectedAt, now)
		}
	}
	for key, u := range open {
		if u.WaitsForAlert && current[key] {
			if pol, ok := policyFor(u.Team); ok && pol.LinksElementaryAlerts() {
				since[key] = alertsSince(u.DetectedAt, u.OpenedAt)
			}
		}
	}
	return since
}

// planReconcile is pure: open what is wanted and not open (with its alert), link the alerts found for the open
// incidents still waiting, resolve what is open and no longer wanted.
func planReconcile(wanted []Incident, open map[string]Unresolved, alerts map[string]string) ReconcilePlan {
	plan := ReconcilePlan{Link: map[int64]string{}}
	current := map[string]bool{}
	for _, w := range wanted {
		current[w.Key] = true
		if _, ok := open[w.Key]; ok {
			continue
		}
		w.ElementaryAlertID = alerts[w.Key]
		plan.Open = append(plan.Open, w)
	}
	for key, u := range open {
		switch {
		case !current[key]:
			plan.Resolve = append(plan.Resolve, u.ID)
		case u.WaitsForAlert && alerts[key] != "":
			plan.Link[u.ID] = alerts[key]
		}
	}
	slices.Sort(plan.Resolve)
	return plan
}

// ApplyReconcile carries a plan out in one write transaction and returns the incidents it opened and resolved.
func (s *Store) ApplyReconcile(ctx context.Context, plan ReconcilePlan, now time.Time) (opened, resolved []Incident, err error) {
	err = s.inTx(ctx, "reconcile", func(tx *statedb.Tx) error {
		if err := notStale(ctx, tx, plan.ReadAt); err != nil {
			return err
		}
		for id, alert := range plan.Link {
			if err := linkAlertTx(ctx, tx, id, alert, now); err != nil {
				return fmt.Errorf("link incident %d: %w", id, err)
			}
		}
		for _, w := range plan.Open {
			inc, isNew, err := openTx(ctx, tx, w)
			if err != nil {
				return fmt.Errorf("open %s: %w", w.Key, err)
			}
			if isNew {
				opened = append(opened, inc)
			}
		}
		for _, id := range plan.Resolve {
			if err := clearTx(ctx, tx, id, plan.ClearedBy[id], now); err != nil {
				return fmt.Errorf("resolve incident %d: %w", id, err)
			}
			inc, err := getIncident(ctx, tx, id)
			if err != nil {
				return err
			}
			resolved = append(resolved, inc)
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	return opened, resolved, nil
}

// notStale records readAt as the newest mirror a plan was applied from, or returns ErrStaleMirror when a plan from
// a mirror read later was applied already. It runs in the plan's transaction (the writer's lock), so of two
// replicas reconciling together the later mirror's plan is the last applied.
func notStale(ctx context.Context, tx *statedb.Tx, readAt time.Time) error {
	if readAt.IsZero() {
		return nil
	}
	latest, err := statedb.RecordLatest(ctx, tx.Querier, reconciledReadKey, readAt)
	if err != nil {
		return err
	}
	if !latest {
		return ErrStaleMirror
	}
	return nil
}

// alertsSince is the earliest detection time of an edr monitor alert about a failure detected at detected: the
// detection itself, or a day before opened when it is unknown.
func alertsSince(detected, opened time.Time) time.Time {
	if detected.IsZero() {
		return opened.Add(-24 * time.Hour)
	}
	return detected
}

// Unresolved returns the unresolved incidents by key.
func (s *Store) Unresolved(ctx context.Context) (map[string]Unresolved, error) {
	rows, err := s.db.Writer().QueryContext(ctx, `SELECT key, id, team, coalesce(nullif(test_id, ''), node_id),
		notified_level = 0 AND elementary_alert_id = '', coalesce(detected_at, ''), opened_at
		FROM incidents WHERE status <> 'resolved'`)
	if err != nil {
		return nil, fmt.Errorf("read unresolved incidents: %w", err)
	}
	defer rows.Close()
	out := map[string]Unresolved{}
	for rows.Next() {
		var (
			k, detected, opened string
			u                   Unresolved
		)
		if err := rows.Scan(&k, &u.ID, &u.Team, &u.Subject, &u.WaitsForAlert, &detected, &opened); err != nil {
			return nil, fmt.Errorf("read unresolved incidents: %w", err)
		}
		if u.OpenedAt, err = localdb.ParseTime(opened); err != nil {
			return nil, fmt.Errorf("read unresolved incident %d: %w", u.ID, err)
		}
		if detected != "" {
			if u.DetectedAt, err = localdb.ParseTime(detected); err != nil {
				return nil, fmt.Errorf("read unresolved incident %d: %w", u.ID, err)
			}
		}
		out[k] = u
	}
	return out, rows.Err()
}

func groupIncidents(incs []Incident) []Group {
	idx := map[[2]string]int{}
	var out []Group
	for _, inc := range incs {
		k := [2]string{inc.Team, inc.InvocationID}
		i, ok := idx[k]
		if !ok {
			i = len(out)
			idx[k] = i
			out = append(out, Group{Team: inc.Team, InvocationID: inc.InvocationID})
		}
		out[i].Incidents = append(out[i].Incidents, inc)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Team != out[j].Team {
			return out[i].Team < out[j].Team
		}
		return out[i].InvocationID < out[j].InvocationID
	})
	return out
}
