package escalation

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"time"

	"github.com/todai-dev/todai/queries"
	"github.com/todai-dev/todai/queries/localdb"
)

// MirrorReader is what Reconcile reads of the mirror; *queries.Reader implements it.
type MirrorReader interface {
	// Problems returns the current failures.
	Problems(ctx context.Context) ([]queries.Problem, error)
	// ElementaryAlerts returns, for each key that edr monitor alerted on (alerts_v2, status sent) for a failure
	// detected at or after since[key] (zero: any time), the newest such alert's id.
	ElementaryAlerts(ctx context.Context, since map[string]time.Time) (map[string]string, error)
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
}

// Reconcile opens an incident for every current problem without an unresolved one (warn-only tests only when the
// team's policy includes warn) and resolves every unresolved incident whose problem is gone: the test passes again,
// the model ran successfully, the source is fresh. It runs in one write transaction.
func (s *Store) Reconcile(ctx context.Context, m MirrorReader, policyFor func(team string) (Policy, bool), now time.Time) (ReconcileResult, error) {
	var res ReconcileResult
	problems, err := m.Problems(ctx)
	if err != nil {
		return res, fmt.Errorf("reconcile: %w", err)
	}
	current := make(map[string]bool, len(problems))
	var wanted []Incident
	for _, p := range problems {
		team := p.Team
		if p.Severity == SeverityWarn {
			if pol, ok := policyFor(team); !ok || !pol.IncludeWarn {
				continue
			}
		}
		current[p.Key] = true
		wanted = append(wanted, Incident{Key: p.Key, Team: team, Kind: Kind(p.Kind), NodeID: p.NodeID, TestID: p.TestID,
			Severity: p.Severity, InvocationID: p.InvocationID, Summary: p.Summary, Owners: p.Facts.Owners,
			Tags: p.Facts.Tags, OpenedAt: now, DetectedAt: p.DetectedAt})
	}
	open, err := s.unresolved(ctx)
	if err != nil {
		return res, fmt.Errorf("reconcile: %w", err)
	}
	// edr monitor's alerts: for the new incidents, and for those still waiting for theirs before a first notice.
	since := map[string]time.Time{}
	for _, w := range wanted {
		if _, ok := open[w.Key]; !ok {
			since[w.Key] = alertsSince(w.DetectedAt, now)
		}
	}
	for key, u := range open {
		if u.waitsForAlert && current[key] {
			if pol, ok := policyFor(u.team); ok && pol.LinksElementaryAlerts() {
				since[key] = alertsSince(u.detectedAt, u.openedAt)
			}
		}
	}
	alerts := map[string]string{}
	if len(since) > 0 {
		if alerts, err = m.ElementaryAlerts(ctx, since); err != nil {
			return res, fmt.Errorf("reconcile: %w", err)
		}
	}
	err = s.inTx(ctx, "reconcile", func(tx *sql.Tx) error {
		for key, u := range open {
			if a := alerts[key]; a != "" && u.waitsForAlert && current[key] {
				if err := linkAlertTx(ctx, tx, u.id, a, now); err != nil {
					return fmt.Errorf("link %s: %w", key, err)
				}
			}
		}
		for _, w := range wanted {
			if _, ok := open[w.Key]; ok {
				continue
			}
			w.ElementaryAlertID = alerts[w.Key]
			inc, opened, err := openTx(ctx, tx, w)
			if err != nil {
				return fmt.Errorf("open %s: %w", w.Key, err)
			}
			if opened {
				res.Opened = append(res.Opened, inc)
			}
		}
		for key, u := range open {
			if current[key] {
				continue
			}
			if err := resolveTx(ctx, tx, u.id, "todai", now, "no longer failing in the mirror"); err != nil {
				return fmt.Errorf("resolve %s: %w", key, err)
			}
			inc, err := getIncident(ctx, tx, u.id)
			if err != nil {
				return err
			}
			res.Resolved = append(res.Resolved, inc)
		}
		return nil
	})
	if err != nil {
		return ReconcileResult{}, err
	}
	sort.Slice(res.Resolved, func(i, j int) bool { return res.Resolved[i].ID < res.Resolved[j].ID })
	res.Groups = groupIncidents(res.Opened)
	return res, nil
}

// unresolvedIncident is what Reconcile needs of an unresolved incident.
type unresolvedIncident struct {
	id   int64
	team string
	// waitsForAlert: no notice went out and no edr monitor alert is linked yet.
	waitsForAlert bool
	detectedAt    time.Time
	openedAt      time.Time
}

// alertsSince is the earliest detection time of an edr monitor alert about a failure detected at detected: the
// detection itself, or a day before opened when it is unknown.
func alertsSince(detected, opened time.Time) time.Time {
	if detected.IsZero() {
		return opened.Add(-24 * time.Hour)
	}
	return detected
}

func (s *Store) unresolved(ctx context.Context) (map[string]unresolvedIncident, error) {
	rows, err := s.db.Write.QueryContext(ctx, `SELECT key, id, team, notified_level = 0 AND elementary_alert_id = '',
		coalesce(detected_at, ''), opened_at FROM incidents WHERE status <> 'resolved'`)
	if err != nil {
		return nil, fmt.Errorf("read unresolved incidents: %w", err)
	}
	defer rows.Close()
	out := map[string]unresolvedIncident{}
	for rows.Next() {
		var (
			k, detected, opened string
			u                   unresolvedIncident
		)
		if err := rows.Scan(&k, &u.id, &u.team, &u.waitsForAlert, &detected, &opened); err != nil {
			return nil, fmt.Errorf("read unresolved incidents: %w", err)
		}
		if u.openedAt, err = localdb.ParseTime(opened); err != nil {
			return nil, fmt.Errorf("read unresolved incident %d: %w", u.id, err)
		}
		if detected != "" {
			if u.detectedAt, err = localdb.ParseTime(detected); err != nil {
				return nil, fmt.Errorf("read unresolved incident %d: %w", u.id, err)
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
